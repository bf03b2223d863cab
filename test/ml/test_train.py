"""train.py: the training-container contract beyond the end-to-end run."""
import os
import re

import pytest

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


def test_multiclass_softmax_prints_the_validation_error_per_round(multiclass_model):
    _, process = multiclass_model

    merror = [float(v) for v in re.findall(r"^\[\d+\] validation:merror=([0-9\.]+)$", process.stdout, re.MULTILINE)]
    assert len(merror) == 50
    assert merror[-1] < 0.4  # three classes: a constant guess errs on about 0.6 of the rows


def test_multiclass_softmax_prints_mlogloss_when_asked(multiclass_processing_dir, tmp_path):
    process = check_ok(run_script(
        "train.py", "--objective", "multi:softmax", "--num_class", "3", "--eval_metric", "mlogloss", "--num_round", "3",
        "--train-dir", str(multiclass_processing_dir / "train"),
        "--validation-dir", str(multiclass_processing_dir / "validation"), "--model-dir", str(tmp_path),
    ))
    assert len(re.findall(r"^\[\d+\] validation:mlogloss=[0-9\.]+$", process.stdout, re.MULTILINE)) == 3


@pytest.mark.parametrize("metric", ["rmse", "mae"])
def test_regression_prints_the_validation_error_per_round(regression_processing_dir, tmp_path, metric):
    process = check_ok(run_script(
        "train.py", "--objective", "reg:squarederror", "--eval_metric", metric,
        "--train-dir", str(regression_processing_dir / "train"),
        "--validation-dir", str(regression_processing_dir / "validation"), "--model-dir", str(tmp_path),
    ))
    values = [float(v) for v in re.findall(r"^\[\d+\] validation:%s=([0-9\.]+)$" % metric, process.stdout, re.MULTILINE)]
    assert len(values) == 50
    assert values[-1] < values[0] / 3  # the sample's label is about 33 minutes; the model learns it
    assert os.path.isfile(os.path.join(str(tmp_path), "xgboost-model"))


def test_fails_when_a_multiclass_objective_has_no_num_class(multiclass_processing_dir, tmp_path):
    process = run_script("train.py", "--objective", "multi:softmax", "--model-dir", str(tmp_path / "model"))

    assert process.returncode == 2
    assert re.search(r"--objective multi:softmax needs --num_class \(the number of classes\)", process.stderr)


def test_fails_when_labels_are_not_below_num_class(multiclass_processing_dir, tmp_path):
    process = run_script(
        "train.py", "--objective", "multi:softmax", "--num_class", "2",
        "--train-dir", str(multiclass_processing_dir / "train"),
        "--validation-dir", str(multiclass_processing_dir / "validation"), "--model-dir", str(tmp_path / "model"),
    )

    assert process.returncode == 1
    assert re.search(r"ERROR train: XGBoost refused to train with .*'num_class': 2.*: "
                     r"SoftmaxMultiClassObj: label must be in \[0, num_class\)", process.stderr), process.stderr
    assert "Traceback" not in process.stderr
    assert not (tmp_path / "model").exists()
