"""Shared helpers for the ml/ script tests: each script runs as a subprocess, as SageMaker runs it."""
import contextlib
import json
import os
import subprocess
import sys
import tarfile
import types
import urllib.error
import urllib.request

import numpy as np
import pandas as pd
import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ML_DIR = os.path.join(REPO, "ml")
SAMPLE_CSV = os.path.join(ML_DIR, "data", "churn-sample.csv")
REGRESSION_CSV = os.path.join(ML_DIR, "data", "delivery-sample.csv")
REGRESSION_LABEL = "delivery_minutes"
# The hyperparameters the pipeline uses for the built-in XGBoost algorithm, in its spelling.
PIPELINE_HYPERPARAMETERS = ["--objective", "binary:logistic", "--num_round", "50", "--max_depth", "5", "--eta", "0.2"]
# The analyzer environment of the pipeline's DataQualityBaseline step (constructs/training-pipeline.ts).
BASELINE_ENV = {
    "dataset_format": json.dumps({"csv": {"header": True, "output_columns_position": "START"}}),
    "dataset_source": "/opt/ml/processing/input/baseline_dataset_input",
    "output_path": "/opt/ml/processing/output",
    "publish_cloudwatch_metrics": "Disabled",
}
CAPTURE_FORMAT = {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
# No proxy from the environment may stand between the tests and 127.0.0.1.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


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


# The built-in algorithm's hyperparameters for the other problem types, in its spelling.
REGRESSION_HYPERPARAMETERS = ["--objective", "reg:squarederror", "--eval_metric", "rmse"]
MULTICLASS_HYPERPARAMETERS = ["--objective", "multi:softmax", "--num_class", "3", "--eval_metric", "merror"]
MULTICLASS_LABEL = "plan"


def multiclass_frame(rows=600, seed=7):
    """A synthetic three-class problem: the plan (0 basic, 1 plus, 2 premium) a customer picks, from
    income, household size and region, plus noise; a few incomes blank."""
    rng = np.random.default_rng(seed)
    income = rng.normal(50, 15, rows).round(1)
    household = rng.integers(1, 6, rows)
    region = rng.choice(["east", "north", "west"], rows)
    scores = np.stack([
        np.zeros(rows),
        0.08 * (income - 48) + 0.4 * (household - 3) + np.where(region == "north", 0.5, 0.0),
        0.16 * (income - 50) + 0.2 * (household - 3) + np.where(region == "west", 0.8, 0.0),
    ], axis=1) + rng.gumbel(0, 0.5, (rows, 3))
    frame = pd.DataFrame({"income": income, "household": household, "region": region,
                          MULTICLASS_LABEL: scores.argmax(axis=1)})
    frame.loc[rng.random(rows) < 0.03, "income"] = np.nan
    return frame


def train(processing_dir, model_dir, *hyperparameters):
    process = check_ok(run_script("train.py", *hyperparameters, env={
        "SM_CHANNEL_TRAIN": str(processing_dir / "train"),
        "SM_CHANNEL_VALIDATION": str(processing_dir / "validation"),
        "SM_MODEL_DIR": str(model_dir),
    }))
    pack_model(model_dir)
    return model_dir, process


@pytest.fixture(scope="session")
def regression_processing_dir(tmp_path_factory):
    """/opt/ml/processing after preprocessing the regression sample."""
    root = tmp_path_factory.mktemp("regression")
    (root / "input").mkdir()
    (root / "input" / "delivery-sample.csv").write_bytes(open(REGRESSION_CSV, "rb").read())
    check_ok(preprocess(root / "input", root, "--problem-type", "regression", "--label-column", REGRESSION_LABEL))
    return root


@pytest.fixture(scope="session")
def regression_model(tmp_path_factory, regression_processing_dir):
    return train(regression_processing_dir, tmp_path_factory.mktemp("regression-model"), *REGRESSION_HYPERPARAMETERS)


@pytest.fixture(scope="session")
def multiclass_processing_dir(tmp_path_factory):
    """/opt/ml/processing after preprocessing the synthetic three-class data set."""
    root = tmp_path_factory.mktemp("multiclass")
    (root / "input").mkdir()
    multiclass_frame().to_csv(root / "input" / "plans.csv", index=False)
    check_ok(preprocess(root / "input", root, "--problem-type", "multiclass", "--num-classes", "3",
                        "--label-column", MULTICLASS_LABEL))
    return root


@pytest.fixture(scope="session")
def multiclass_model(tmp_path_factory, multiclass_processing_dir):
    return train(multiclass_processing_dir, tmp_path_factory.mktemp("multiclass-model"), *MULTICLASS_HYPERPARAMETERS)


def monitor(source, output, baseline=None, dataset_format=None):
    """Runs ml/local/model_monitor.py on source, in monitoring mode when a baseline folder is given."""
    env = {
        "dataset_format": json.dumps(dataset_format or CAPTURE_FORMAT),
        "dataset_source": str(source),
        "output_path": str(output),
        "publish_cloudwatch_metrics": "Disabled",
    }
    if baseline is not None:
        env["baseline_statistics"] = os.path.join(str(baseline), "statistics.json")
        env["baseline_constraints"] = os.path.join(str(baseline), "constraints.json")
    return run_script(os.path.join("local", "model_monitor.py"), env=env)


@pytest.fixture(scope="session")
def monitor_baseline(tmp_path_factory, processing_dir):
    """The DataQualityBaseline step on the sample's baseline.csv, with its container paths below a root."""
    root = tmp_path_factory.mktemp("container")
    source = root / BASELINE_ENV["dataset_source"].lstrip("/")
    source.mkdir(parents=True)
    (source / "baseline.csv").write_bytes((processing_dir / "baseline" / "baseline.csv").read_bytes())
    process = check_ok(run_script(os.path.join("local", "model_monitor.py"),
                                  env={**BASELINE_ENV, "CDK_MLOPS_CONTAINER_ROOT": str(root)}))
    return root / BASELINE_ENV["output_path"].lstrip("/"), process


@contextlib.contextmanager
def serving(model_dir, capture_dir, sampling_percent, stderr_path):
    """Runs ml/local/serve.py on a free port; yields (port, process) and stops it with SIGTERM."""
    with open(str(stderr_path), "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, os.path.join(ML_DIR, "local", "serve.py"), "--model-dir", str(model_dir),
             "--port", "0", "--capture-dir", str(capture_dir), "--sampling-percent", str(sampling_percent),
             "--endpoint-name", "churn-local", "--variant-name", "AllTraffic"],
            stdout=subprocess.PIPE, stderr=stderr, text=True,
        )
    try:
        line = process.stdout.readline()
        assert line, "serve.py exited with %s:\n%s" % (process.wait(), open(str(stderr_path)).read())
        yield json.loads(line)["port"], process
    finally:
        process.terminate()
        process.wait(timeout=10)


def request(port, path, body=None, content_type="text/csv"):
    """Returns (status, content type, body text) of one request to a local server."""
    headers = {"Content-Type": content_type} if body is not None else {}
    data = body.encode() if body is not None else None
    try:
        url = "http://127.0.0.1:%d%s" % (port, path)
        with OPENER.open(urllib.request.Request(url, data, headers), timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read().decode()


def split_rows(processing_dir):
    """test.csv's rows minus the label: what a client sends to the endpoint, one CSV line each."""
    return [line.split(",", 1)[1] for line in (processing_dir / "test" / "test.csv").read_text().splitlines()]


@pytest.fixture(scope="session")
def served_test_split(tmp_path_factory, trained_model, processing_dir):
    """The test split sent to serve.py (sampling 100 %) in requests of 1 to 3 rows, plus one rejected
    request, after which the server is stopped with SIGTERM."""
    root = tmp_path_factory.mktemp("served")
    rows, bodies, start = split_rows(processing_dir), [], 0
    while start < len(rows):
        size = len(bodies) % 3 + 1
        bodies.append("".join(row + "\n" for row in rows[start:start + size]))
        start += size
    with serving(trained_model[0], root / "capture", 100, root / "stderr.log") as (port, process):
        answers = [request(port, "/invocations", body) for body in bodies]
        rejected = request(port, "/invocations", "1,2")
        process.terminate()
        returncode = process.wait(timeout=10)
    return types.SimpleNamespace(capture=root / "capture", bodies=bodies, answers=answers, rejected=rejected,
                                 returncode=returncode, stderr=(root / "stderr.log").read_text())
