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


def load_evaluation():
    """evaluation.py as a module, for its metric functions on hand-made labels."""
    import importlib.util
    import os

    from conftest import ML_DIR
    spec = importlib.util.spec_from_file_location("evaluation", os.path.join(ML_DIR, "evaluation.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def values(section):
    return {name: entry["value"] for name, entry in section.items() if name != "confusion_matrix"}


def test_binary_metrics_reproduce_the_model_quality_pages_example():
    import numpy as np
    import pandas as pd

    # GIVEN the page's example: 3 negatives, 1 positive; the model calls 2 of the negatives positive
    labels, scores = pd.Series([0, 0, 0, 1]), np.array([0.2, 0.7, 0.8, 0.9])

    # WHEN the binary metrics are computed
    section = load_evaluation().compute_metrics(labels, scores)["binary_classification_metrics"]

    # THEN they are the page's values (its best constant classifier always predicts 1)
    expected = {
        "recall": 1.0, "precision": 1 / 3, "accuracy": 0.5, "auc": 1.0, "true_positive_rate": 1.0,
        "true_negative_rate": 1 / 3, "false_positive_rate": 2 / 3, "false_negative_rate": 0.0,
        "f0_5": 0.3846153846153846, "f1": 0.5, "f2": 0.7142857142857143,
        "recall_best_constant_classifier": 1.0, "precision_best_constant_classifier": 0.25,
        "accuracy_best_constant_classifier": 0.25, "f0_5_best_constant_classifier": 0.29411764705882354,
        "f1_best_constant_classifier": 0.4, "f2_best_constant_classifier": 0.625,
    }
    assert values(section) == pytest.approx(expected)
    assert section["confusion_matrix"] == {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}


def test_multiclass_best_constant_classifier_predicts_the_majority_class():
    import numpy as np
    import pandas as pd

    # GIVEN six classes whose largest holds 406 of 2,096 rows, the share behind the page's example
    labels = pd.Series([0] * 406 + [k for k in range(1, 6) for _ in range(338)])
    guesses = np.array(labels)

    # WHEN a perfect model is scored
    section = load_evaluation().compute_metrics(labels, guesses, "multiclass", 6)["multiclass_classification_metrics"]

    # THEN the best constant classifier's metrics are the page's example values
    assert values(section) == pytest.approx({
        "accuracy": 1.0, "weighted_recall": 1.0, "weighted_precision": 1.0, "weighted_f0_5": 1.0, "weighted_f1": 1.0,
        "weighted_f2": 1.0, "accuracy_best_constant_classifier": 0.19370229007633588,
        "weighted_recall_best_constant_classifier": 0.19370229007633588,
        "weighted_precision_best_constant_classifier": 0.03752057718081697,
        "weighted_f0_5_best_constant_classifier": 0.04473443104152011,
        "weighted_f1_best_constant_classifier": 0.06286421244683643,
        "weighted_f2_best_constant_classifier": 0.10570313141262414,
    })
    assert section["confusion_matrix"]["0"] == {"0": 406, "1": 0, "2": 0, "3": 0, "4": 0, "5": 0}


def test_regression_metrics_and_their_best_constants_by_hand():
    import numpy as np
    import pandas as pd

    # GIVEN labels 1, 2, 3, 10 (mean 4, median 2.5) and predictions off by 1, -1, 0, 2
    labels, predicted = pd.Series([1.0, 2.0, 3.0, 10.0]), np.array([2.0, 1.0, 3.0, 8.0])

    section = load_evaluation().compute_metrics(labels, predicted, "regression")["regression_metrics"]

    # THEN mse = (1 + 1 + 0 + 4) / 4 = 1.5, and the constants: the mean's mse = (9 + 4 + 1 + 36) / 4 = 12.5,
    # the median's mae = (1.5 + 0.5 + 0.5 + 7.5) / 4 = 2.5
    assert values(section) == pytest.approx({
        "mae": 1.0, "mse": 1.5, "rmse": 1.5 ** 0.5, "r2": 1 - 1.5 / 12.5,
        "mae_best_constant_regressor": 2.5, "mse_best_constant_regressor": 12.5,
        "rmse_best_constant_regressor": 12.5 ** 0.5, "r2_best_constant_regressor": 0.0,
    })


@pytest.mark.parametrize("fixture, args, content, message", [
    ("multiclass_model", ["--problem-type", "multiclass", "--num-classes", "3"], "3,1.0,2.0,0,1,0\n0,1,2,0,1,0\n",
     r"test labels \(first column\) under .* must be whole numbers 0 to 2 for --num-classes 3; found \['3'\]"),
    ("multiclass_model", ["--problem-type", "multiclass", "--num-classes", "3"], "1.5,1.0,2.0,0,1,0\n",
     r"must be whole numbers 0 to 2 for --num-classes 3; found \['1.5'\]"),
    ("multiclass_model", ["--problem-type", "multiclass", "--num-classes", "2"], "1,40,2,0,1,0\n0,80,2,0,0,1\n",
     r"the model predicts classes \[2\], outside 0 to 1 of --num-classes 2"),
    ("regression_model", ["--problem-type", "regression"], "fast," + ",".join(["1"] * 14) + "\n",
     r"test labels \(first column\) under .* must be finite numbers for regression; found \['fast'\]"),
    ("regression_model", ["--problem-type", "regression"], "12.5," + ",".join(["1"] * 14) + "\n",
     r"regression metrics need at least 2 test rows; .* holds 1"),
    ("multiclass_model", [], "1,40,2,0,1,0\n0,80,2,0,0,1\n",
     r"the model gives values from 0 to 2; --problem-type binary needs probabilities"),
])
def test_fails_on_test_data_that_does_not_fit_the_problem_type(request, tmp_path, fixture, args, content, message):
    model_dir, _ = request.getfixturevalue(fixture)
    test_dir = tmp_path / "test"
    test_dir.mkdir()
    (test_dir / "test.csv").write_text(content)

    process = run_script("evaluation.py", *args, "--model-dir", str(model_dir), "--test-dir", str(test_dir),
                         "--output-dir", str(tmp_path / "out"))

    assert_fails(process, message)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("args, message", [
    (["--problem-type", "multiclass"], r"--problem-type multiclass needs --num-classes K"),
    (["--problem-type", "regression", "--num-classes", "3"],
     r"--num-classes is only for --problem-type multiclass, got --problem-type regression"),
])
def test_fails_on_problem_type_arguments_that_do_not_fit(tmp_path, args, message):
    process = run_script("evaluation.py", *args, "--model-dir", str(tmp_path))

    assert process.returncode == 2
    assert re.search(message, process.stderr), process.stderr
