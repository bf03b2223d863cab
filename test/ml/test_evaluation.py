"""evaluation.py: clear failures on missing or unusable model and test data."""
import re
import tarfile

import pytest

from conftest import run_script


def evaluate(model_dir, test_dir, output_dir):
    return run_script("evaluation.py", "--model-dir", str(model_dir), "--test-dir", str(test_dir),
                      "--output-dir", str(output_dir))


def assert_fails(process, message):
    assert process.returncode == 1
    assert re.search(message, process.stderr), process.stderr
    assert "Traceback" not in process.stderr


def test_fails_when_the_model_archive_is_missing(processing_dir, tmp_path):
    process = evaluate(tmp_path, processing_dir / "test", tmp_path / "out")

    assert_fails(process, r"model archive not found: .*model\.tar\.gz")
    assert not (tmp_path / "out").exists()


def test_fails_when_the_archive_has_no_xgboost_model(processing_dir, tmp_path):
    (tmp_path / "model.pkl").write_bytes(b"not a booster")
    with tarfile.open(str(tmp_path / "model.tar.gz"), "w:gz") as tar:
        tar.add(str(tmp_path / "model.pkl"), arcname="model.pkl")

    assert_fails(evaluate(tmp_path, processing_dir / "test", tmp_path / "out"),
                 r"model\.tar\.gz holds no xgboost-model file; it holds \['model\.pkl'\]")


def test_fails_when_xgboost_model_is_not_a_native_booster(processing_dir, tmp_path):
    (tmp_path / "xgboost-model").write_bytes(b"\x80\x04pickled")
    with tarfile.open(str(tmp_path / "model.tar.gz"), "w:gz") as tar:
        tar.add(str(tmp_path / "xgboost-model"), arcname="./xgboost-model")

    assert_fails(evaluate(tmp_path, processing_dir / "test", tmp_path / "out"),
                 r"xgboost-model in .* is not a native XGBoost model")


@pytest.mark.parametrize("content, message", [
    (None, r"no CSV files found under test directory"),
    ("0,1.0\n0,2.0\n", r"test labels \(first column\) under .* must be 0 and 1, both present; found \['0'\]"),
    ("0,1.0\n1,2.0\n", r"the model expects 12 features but the test data has 1"),
])
def test_fails_on_unusable_test_data(trained_model, tmp_path, content, message):
    model_dir, _ = trained_model
    test_dir = tmp_path / "test"
    test_dir.mkdir()
    if content is not None:
        (test_dir / "test.csv").write_text(content)

    assert_fails(evaluate(model_dir, test_dir, tmp_path / "out"), message)
    assert not (tmp_path / "out").exists()


def test_writes_the_baseline_with_the_models_predictions_as_its_output_column(trained_model, processing_dir, tmp_path):
    import pandas as pd

    model_dir, _ = trained_model
    process = run_script(
        "evaluation.py", "--model-dir", str(model_dir), "--test-dir", str(processing_dir / "test"),
        "--output-dir", str(tmp_path / "evaluation"),
        "--baseline-input-dir", str(processing_dir / "baseline"), "--baseline-output-dir", str(tmp_path / "baseline"),
    )
    assert process.returncode == 0, process.stderr
    placeholder = pd.read_csv(processing_dir / "baseline" / "baseline.csv")
    baseline = pd.read_csv(tmp_path / "baseline" / "baseline.csv")
    # Same header and rows; only the first column changed, from the 0/1 label to probabilities.
    assert list(baseline.columns) == list(placeholder.columns)
    assert baseline.iloc[:, 1:].equals(placeholder.iloc[:, 1:])
    scores = baseline.iloc[:, 0]
    assert scores.between(0, 1).all() and scores.nunique() > 100
    assert placeholder.iloc[:, 0].isin([0, 1]).all()


def test_fails_when_the_baseline_input_folder_holds_no_csv(trained_model, processing_dir, tmp_path):
    model_dir, _ = trained_model
    (tmp_path / "empty").mkdir()
    process = run_script(
        "evaluation.py", "--model-dir", str(model_dir), "--test-dir", str(processing_dir / "test"),
        "--output-dir", str(tmp_path / "evaluation"), "--baseline-input-dir", str(tmp_path / "empty"),
    )
    assert_fails(process, r"no CSV files found under baseline input directory .*empty")
