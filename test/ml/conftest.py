"""Shared helpers for the ml/ script tests: each script runs as a subprocess, as SageMaker runs it."""
import os
import subprocess
import sys
import tarfile

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ML_DIR = os.path.join(REPO, "ml")
SAMPLE_CSV = os.path.join(ML_DIR, "data", "churn-sample.csv")
# The hyperparameters the pipeline uses for the built-in XGBoost algorithm, in its spelling.
PIPELINE_HYPERPARAMETERS = ["--objective", "binary:logistic", "--num_round", "50", "--max_depth", "5", "--eta", "0.2"]


def run_script(script, *args, env=None):
    """Runs ml/<script> with this interpreter (/usr/bin/python3 in CI) and returns the finished process."""
    return subprocess.run(
        [sys.executable, os.path.join(ML_DIR, script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def check_ok(process):
    assert process.returncode == 0, "exit %d\nstdout:\n%s\nstderr:\n%s" % (
        process.returncode, process.stdout, process.stderr)
    return process


def preprocess(input_dir, output_dir, *args):
    return run_script("preprocessing.py", "--input-dir", str(input_dir), "--output-dir", str(output_dir), *args)


def pack_model(model_dir):
    """Packs model_dir like SageMaker does at the end of training: its files at the archive root."""
    archive = os.path.join(str(model_dir), "model.tar.gz")
    with tarfile.open(archive, "w:gz") as tar:
        for name in sorted(os.listdir(str(model_dir))):
            if name != "model.tar.gz":
                tar.add(os.path.join(str(model_dir), name), arcname=name)
    return archive


@pytest.fixture(scope="session")
def processing_dir(tmp_path_factory):
    """/opt/ml/processing as the processing job leaves it, for the shipped sample and default arguments."""
    root = tmp_path_factory.mktemp("processing")
    input_dir = root / "input"
    input_dir.mkdir()
    (input_dir / "churn-sample.csv").write_bytes(open(SAMPLE_CSV, "rb").read())
    check_ok(preprocess(input_dir, root))
    return root


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory, processing_dir):
    """Runs train.py with the training-container environment and packs its model; returns (dir, process)."""
    model_dir = tmp_path_factory.mktemp("model")
    process = check_ok(run_script("train.py", *PIPELINE_HYPERPARAMETERS, env={
        "SM_CHANNEL_TRAIN": str(processing_dir / "train"),
        "SM_CHANNEL_VALIDATION": str(processing_dir / "validation"),
        "SM_MODEL_DIR": str(model_dir),
    }))
    pack_model(model_dir)
    return model_dir, process
