"""The local end-to-end flow: sample -> preprocessing.py -> train.py -> model.tar.gz -> evaluation.py."""
import json
import math
import re

from conftest import check_ok, run_script

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
    assert set(metrics) == METRIC_NAMES | {"confusion_matrix"}
    for name in METRIC_NAMES:
        assert set(metrics[name]) == {"value", "standard_deviation"}
        assert isinstance(metrics[name]["value"], float) and 0 <= metrics[name]["value"] <= 1
        assert metrics[name]["standard_deviation"] == "NaN"
    matrix = metrics["confusion_matrix"]
    assert sum(matrix[actual][guess] for actual in "01" for guess in "01") == 300
    # AND the AUC the condition step reads is finite and clearly better than chance
    auc = json_get(report, "binary_classification_metrics.auc.value")
    assert math.isfinite(auc) and auc > 0.75
