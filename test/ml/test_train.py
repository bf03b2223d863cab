"""train.py: the training-container contract beyond the end-to-end run."""
import os
import re

from conftest import PIPELINE_HYPERPARAMETERS, check_ok, run_script


def test_writes_the_model_where_the_built_in_algorithm_does(trained_model):
    model_dir, _ = trained_model
    assert os.path.isfile(os.path.join(str(model_dir), "xgboost-model"))


def test_accepts_dashed_hyperparameter_names(processing_dir, tmp_path):
    process = check_ok(run_script(
        "train.py", "--num-round", "3", "--max-depth", "2", "--eta", "0.3", "--objective", "binary:logistic",
        "--train-dir", str(processing_dir / "train"), "--validation-dir", str(processing_dir / "validation"),
        "--model-dir", str(tmp_path),
    ))
    assert len(re.findall(r"^\[\d+\] validation:auc=[0-9\.]+$", process.stdout, re.MULTILINE)) == 3


def test_fails_when_a_channel_has_no_csv_files(processing_dir, tmp_path):
    process = run_script("train.py", *PIPELINE_HYPERPARAMETERS, env={
        "SM_CHANNEL_TRAIN": str(processing_dir / "train"),
        "SM_CHANNEL_VALIDATION": str(tmp_path / "missing"),
        "SM_MODEL_DIR": str(tmp_path / "model"),
    })

    assert process.returncode == 1
    assert re.search(r"no CSV files found for the validation channel under .*missing", process.stderr)
    assert not (tmp_path / "model").exists()
