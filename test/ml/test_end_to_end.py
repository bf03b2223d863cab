"""The local end-to-end flow: sample -> preprocessing.py -> train.py -> model.tar.gz -> evaluation.py."""
import json
import math
import re

from conftest import check_ok, pack_model, run_script

METRIC_NAMES = {"auc", "accuracy", "precision", "recall", "f1"}


def strict_json(text):
    def reject(constant):
        raise ValueError("bare %s is not valid JSON" % constant)
    return json.loads(text, parse_constant=reject)


def json_get(document, path):
    """Resolves a dotted path the way the pipeline's JsonGet reads evaluation.json."""
    for key in path.split("."):
        document = document[key]
    return document


def test_scripts_run_end_to_end_and_write_a_valid_evaluation_report(processing_dir, trained_model, tmp_path):
    # GIVEN the sample processed and a model trained with the pipeline's hyperparameters
    model_dir, training = trained_model

    # WHEN the evaluation script runs on the packed model and the test split
    check_ok(run_script(
        "evaluation.py", "--model-dir", str(model_dir), "--test-dir", str(processing_dir / "test"),
        "--output-dir", str(tmp_path / "evaluation"),
    ))

    # THEN training printed one parseable validation AUC per round
    validation_auc = re.findall(r"validation:auc=([0-9\.]+)", training.stdout)
    assert len(validation_auc) == 50
    assert float(validation_auc[-1]) > 0.7
    # AND evaluation.json is strict JSON in the model-quality shape
    report = strict_json((tmp_path / "evaluation" / "evaluation.json").read_text())
    assert set(report) == {"binary_classification_metrics"}
    metrics = report["binary_classification_metrics"]
    # (the metrics added with the other problem types: test_binary_report_also_holds_...)
    assert METRIC_NAMES | {"confusion_matrix"} <= set(metrics)
    for name in METRIC_NAMES:
        assert set(metrics[name]) == {"value", "standard_deviation"}
        assert isinstance(metrics[name]["value"], float) and 0 <= metrics[name]["value"] <= 1
        assert metrics[name]["standard_deviation"] == "NaN"
    matrix = metrics["confusion_matrix"]
    assert sum(matrix[actual][guess] for actual in "01" for guess in "01") == 300
    # AND the AUC the condition step reads is finite and clearly better than chance
    auc = json_get(report, "binary_classification_metrics.auc.value")
    assert math.isfinite(auc) and auc > 0.75


MULTICLASS_METRICS = {"accuracy", "weighted_recall", "weighted_precision", "weighted_f0_5", "weighted_f1",
                      "weighted_f2"}
REGRESSION_METRICS = {"mae", "mse", "rmse", "r2"}


def assert_metric_shape(metrics, names):
    for name in names:
        assert set(metrics[name]) == {"value", "standard_deviation"}, name
        assert isinstance(metrics[name]["value"], float) and math.isfinite(metrics[name]["value"]), name
        assert metrics[name]["standard_deviation"] == "NaN", name


def evaluate_with_baseline(model_dir, processing_dir, out, *args):
    return check_ok(run_script(
        "evaluation.py", *args, "--model-dir", str(model_dir), "--test-dir", str(processing_dir / "test"),
        "--output-dir", str(out / "evaluation"), "--baseline-input-dir", str(processing_dir / "baseline"),
        "--baseline-output-dir", str(out / "baseline"),
    ))


def test_binary_report_also_holds_the_pages_rates_f_scores_and_best_constant_classifier(processing_dir,
                                                                                        trained_model, tmp_path):
    check_ok(run_script("evaluation.py", "--model-dir", str(trained_model[0]), "--test-dir",
                        str(processing_dir / "test"), "--output-dir", str(tmp_path)))

    metrics = strict_json((tmp_path / "evaluation.json").read_text())["binary_classification_metrics"]
    added = {"true_positive_rate", "true_negative_rate", "false_positive_rate", "false_negative_rate", "f0_5", "f2"} | {
        name + "_best_constant_classifier" for name in ("recall", "precision", "accuracy", "f0_5", "f1", "f2")}
    assert set(metrics) == METRIC_NAMES | added | {"confusion_matrix"}
    assert_metric_shape(metrics, METRIC_NAMES | added)
    assert metrics["true_positive_rate"]["value"] == metrics["recall"]["value"]
    assert metrics["accuracy"]["value"] > metrics["accuracy_best_constant_classifier"]["value"]
    assert metrics["f1"]["value"] > metrics["f1_best_constant_classifier"]["value"]


def test_regression_sample_runs_end_to_end_and_beats_the_best_constant(regression_processing_dir,
                                                                       regression_model, tmp_path):
    # GIVEN the regression sample processed and a reg:squarederror model trained with eval_metric rmse
    model_dir, training = regression_model
    validation_rmse = re.findall(r"validation:rmse=([0-9\.]+)", training.stdout)
    assert len(validation_rmse) == 50

    # WHEN evaluated as a regression problem
    process = evaluate_with_baseline(model_dir, regression_processing_dir, tmp_path, "--problem-type", "regression")

    # THEN evaluation.json holds the regression metrics only, in the model-quality shape
    report = strict_json((tmp_path / "evaluation" / "evaluation.json").read_text())
    assert set(report) == {"regression_metrics"}
    metrics = report["regression_metrics"]
    constants = {name + "_best_constant_regressor" for name in REGRESSION_METRICS}
    assert set(metrics) == REGRESSION_METRICS | constants
    assert_metric_shape(metrics, REGRESSION_METRICS | constants)
    # AND the model is far better than predicting the mean (figures in ml/README.md)
    rmse = json_get(report, "regression_metrics.rmse.value")
    assert rmse < 0.6 * json_get(report, "regression_metrics.rmse_best_constant_regressor.value")
    assert metrics["mae"]["value"] < metrics["mae_best_constant_regressor"]["value"]
    assert metrics["r2"]["value"] > 0.75
    assert math.isclose(metrics["mse"]["value"], rmse ** 2)
    assert re.search(r"wrote .*evaluation\.json: rmse=%.4f \(regression\)" % rmse, process.stderr)
    # AND the prediction baseline holds predicted minutes where preprocessing put the label
    import pandas as pd
    placeholder = pd.read_csv(regression_processing_dir / "baseline" / "baseline.csv")
    baseline = pd.read_csv(tmp_path / "baseline" / "baseline.csv")
    assert list(baseline.columns) == list(placeholder.columns) and baseline.columns[0] == "delivery_minutes"
    assert baseline.iloc[:, 1:].equals(placeholder.iloc[:, 1:])
    assert abs(baseline.iloc[:, 0].mean() - placeholder.iloc[:, 0].mean()) < 1
    assert not baseline.iloc[:, 0].equals(placeholder.iloc[:, 0])


def test_multiclass_data_runs_end_to_end_with_multiclass_metrics(multiclass_processing_dir, multiclass_model, tmp_path):
    # GIVEN the synthetic three-class data processed and a multi:softmax model trained on it
    model_dir, _ = multiclass_model

    # WHEN evaluated as a multiclass problem
    process = evaluate_with_baseline(model_dir, multiclass_processing_dir, tmp_path,
                                     "--problem-type", "multiclass", "--num-classes", "3")

    # THEN evaluation.json holds the page's multiclass metrics
    report = strict_json((tmp_path / "evaluation" / "evaluation.json").read_text())
    assert set(report) == {"multiclass_classification_metrics"}
    metrics = report["multiclass_classification_metrics"]
    constants = {name + "_best_constant_classifier" for name in MULTICLASS_METRICS}
    assert set(metrics) == MULTICLASS_METRICS | constants | {"confusion_matrix"}
    assert_metric_shape(metrics, MULTICLASS_METRICS | constants)
    matrix = metrics["confusion_matrix"]
    assert sorted(matrix) == ["0", "1", "2"] and all(sorted(row) == ["0", "1", "2"] for row in matrix.values())
    test_rows = len((multiclass_processing_dir / "test" / "test.csv").read_text().splitlines())
    assert sum(sum(row.values()) for row in matrix.values()) == test_rows
    correct = sum(matrix[k][k] for k in matrix)
    assert math.isclose(metrics["accuracy"]["value"], correct / test_rows)
    assert metrics["weighted_recall"]["value"] == metrics["accuracy"]["value"]
    assert metrics["accuracy"]["value"] > metrics["accuracy_best_constant_classifier"]["value"] + 0.15
    assert metrics["weighted_f1"]["value"] > metrics["weighted_f1_best_constant_classifier"]["value"]
    assert re.search(r"wrote .*evaluation\.json: accuracy=[0-9.]+ \(multiclass\)", process.stderr)
    # AND the prediction baseline holds the predicted class index, as a float, in its first column
    lines = (tmp_path / "baseline" / "baseline.csv").read_text().splitlines()
    assert lines[0].split(",")[0] == "plan"
    assert {line.split(",")[0] for line in lines[1:]} == {"0.0", "1.0", "2.0"}


def test_a_softprob_model_is_evaluated_by_its_most_probable_class(multiclass_processing_dir, multiclass_model,
                                                                  tmp_path):
    # GIVEN the same data trained with multi:softprob, which predicts one probability per class
    softprob_dir = tmp_path / "softprob"
    check_ok(run_script(
        "train.py", "--objective", "multi:softprob", "--num_class", "3", "--eval_metric", "merror",
        "--train-dir", str(multiclass_processing_dir / "train"),
        "--validation-dir", str(multiclass_processing_dir / "validation"), "--model-dir", str(softprob_dir),
    ))
    pack_model(softprob_dir)

    # WHEN both models are evaluated
    for name, model_dir in (("softmax", multiclass_model[0]), ("softprob", softprob_dir)):
        evaluate_with_baseline(model_dir, multiclass_processing_dir, tmp_path / name,
                               "--problem-type", "multiclass", "--num-classes", "3")

    # THEN the argmax of the probabilities is the class multi:softmax predicts (same trees, same seed)
    reports = [strict_json((tmp_path / name / "evaluation" / "evaluation.json").read_text()) for name in
               ("softmax", "softprob")]
    assert reports[0] == reports[1]
    assert (tmp_path / "softmax" / "baseline" / "baseline.csv").read_bytes() == (
        tmp_path / "softprob" / "baseline" / "baseline.csv").read_bytes()
