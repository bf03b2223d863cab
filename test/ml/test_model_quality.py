"""ml/local/model_quality.py: the ground-truth merge and model-quality metrics of the Model Monitor emulation."""
import json
import os

import numpy as np
import pytest
from sklearn import metrics as sk

from conftest import check_ok, run_script

SCRIPT = os.path.join("local", "model_quality.py")


def read_json(path):
    with open(str(path)) as handle:
        return json.load(handle)


def capture(event_id, features, output, inference_id=None):
    metadata = {"eventId": event_id, "inferenceTime": "2026-12-01T00:00:00Z"}
    if inference_id:
        metadata["inferenceId"] = inference_id
    return {
        "captureData": {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": features, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": output, "encoding": "CSV"},
        },
        "eventMetadata": metadata,
        "eventVersion": "0",
    }


def truth(event_id, label):
    return {"groundTruthData": {"data": str(label), "encoding": "CSV"}, "eventMetadata": {"eventId": event_id}, "eventVersion": "0"}


def write_jsonl(path, records):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(record) + "\n" for record in records))


def layout(tmp_path, captures, truths):
    """Captures and ground truth in SageMaker's S3 layouts (…/AllTraffic/yyyy/mm/dd/hh and …/yyyy/mm/dd/hh)."""
    write_jsonl(tmp_path / "capture" / "endpoint" / "AllTraffic" / "2026" / "12" / "01" / "00" / "a.jsonl", captures)
    write_jsonl(tmp_path / "ground-truth" / "2026" / "12" / "02" / "09" / "labels.jsonl", truths)
    return tmp_path


def run(tmp_path, problem_type="BinaryClassification", constraints=None, **env):
    settings = {
        "dataset_source": str(tmp_path / "capture"),
        "ground_truth_source": str(tmp_path / "ground-truth"),
        "output_path": str(tmp_path / "output"),
        "problem_type": problem_type,
        "publish_cloudwatch_metrics": "Disabled",
    }
    if problem_type == "BinaryClassification":
        settings.update(probability_attribute="0", probability_threshold_attribute="0.5")
    else:
        settings["inference_attribute"] = "0"
    if constraints is not None:
        path = tmp_path / "constraints.json"
        path.write_text(json.dumps(constraints))
        settings["baseline_constraints"] = str(path)
    settings.update(env)
    return run_script(SCRIPT, env=settings)


# The page's binary example: 4 rows, one positive; 1 TN, 2 FP, 0 FN, 1 TP.
PAGE_LABELS = [0, 0, 0, 1]
PAGE_SCORES = [0.2, 0.7, 0.9, 0.95]


def test_binary_metrics_reproduce_the_pages_example(tmp_path):
    layout(tmp_path, [capture("e%d" % i, "1,2", str(s)) for i, s in enumerate(PAGE_SCORES)],
           [truth("e%d" % i, y) for i, y in enumerate(PAGE_LABELS)])
    check_ok(run(tmp_path))
    statistics = read_json(tmp_path / "output" / "statistics.json")
    section = statistics["binary_classification_metrics"]
    values = {name: entry["value"] for name, entry in section.items() if name != "confusion_matrix"}

    assert statistics["version"] == 0.0 and statistics["dataset"] == {"item_count": 4}
    assert section["confusion_matrix"] == {"0": {"0": 1, "1": 2}, "1": {"0": 0, "1": 1}}
    expected = {
        "recall": 1.0, "precision": 1 / 3, "accuracy": 0.5,
        "recall_best_constant_classifier": 1.0, "precision_best_constant_classifier": 0.25,
        "accuracy_best_constant_classifier": 0.25, "true_positive_rate": 1.0,
        "true_negative_rate": 1 / 3, "false_positive_rate": 2 / 3, "false_negative_rate": 0.0,
        "auc": 1.0, "f0_5": 0.3846153846153846, "f1": 0.5, "f2": 0.7142857142857143,
        "f0_5_best_constant_classifier": 0.29411764705882354, "f1_best_constant_classifier": 0.4,
        "f2_best_constant_classifier": 0.625,
    }
    assert values == pytest.approx(expected)
    # Under 200 rows no standard deviation is computed, written as the string Model Monitor writes.
    assert {entry["standard_deviation"] for name, entry in section.items() if name != "confusion_matrix"} == {"NaN"}
    assert not (tmp_path / "output" / "constraint_violations.json").exists()


def test_binary_metrics_agree_with_scikit_learn_and_give_deviations_from_200_rows(tmp_path):
    generator = np.random.default_rng(7)
    labels = generator.integers(0, 2, 300)
    scores = np.clip(labels * 0.3 + generator.random(300) * 0.7, 0, 1).round(4)
    layout(tmp_path, [capture("e%d" % i, "1", str(s)) for i, s in enumerate(scores)],
           [truth("e%d" % i, y) for i, y in enumerate(labels)])
    check_ok(run(tmp_path))
    section = read_json(tmp_path / "output" / "statistics.json")["binary_classification_metrics"]
    predicted = (scores >= 0.5).astype(int)

    assert section["auc"]["value"] == pytest.approx(sk.roc_auc_score(labels, scores))
    assert section["accuracy"]["value"] == pytest.approx(sk.accuracy_score(labels, predicted))
    assert section["f1"]["value"] == pytest.approx(sk.f1_score(labels, predicted))
    assert section["f2"]["value"] == pytest.approx(sk.fbeta_score(labels, predicted, beta=2))
    assert isinstance(section["auc"]["standard_deviation"], float) and 0 < section["auc"]["standard_deviation"] < 0.1


def test_merges_by_event_id_leaving_out_records_without_a_partner(tmp_path):
    captures = [capture("a", "1", "0.9"), capture("b", "2", "0.1"), capture("c", "3", "0.8"), capture("no-label", "4", "0.9")]
    truths = [truth("c", 1), truth("a", 0), truth("b", 0), truth("no-capture", 1)]
    layout(tmp_path, captures, truths)
    process = check_ok(run(tmp_path))
    section = read_json(tmp_path / "output" / "statistics.json")["binary_classification_metrics"]

    assert read_json(tmp_path / "output" / "statistics.json")["dataset"] == {"item_count": 3}
    assert section["confusion_matrix"] == {"0": {"0": 1, "1": 1}, "1": {"0": 0, "1": 1}}
    assert "merged 3 of 4 captured record(s) with ground truth (4 ground truth record(s))" in process.stderr


def test_an_inference_id_in_the_capture_is_the_key_when_present(tmp_path):
    layout(tmp_path, [capture("generated-1", "1", "0.9", inference_id="order-17"), capture("generated-2", "2", "0.2")],
           [truth("order-17", 1), truth("generated-2", 0), truth("generated-1", 0)])
    check_ok(run(tmp_path))
    section = read_json(tmp_path / "output" / "statistics.json")["binary_classification_metrics"]
    assert section["accuracy"]["value"] == 1.0


def test_writes_a_violation_when_a_metric_crosses_its_constraint(tmp_path):
    layout(tmp_path, [capture("e%d" % i, "1", str(s)) for i, s in enumerate(PAGE_SCORES)],
           [truth("e%d" % i, y) for i, y in enumerate(PAGE_LABELS)])
    constraints = {"version": 0.0, "binary_classification_constraints": {
        "accuracy": {"threshold": 0.75, "comparison_operator": "LessThanThreshold"},
        "auc": {"threshold": 0.75, "comparison_operator": "LessThanThreshold"},
        "false_positive_rate": {"threshold": 0.5, "comparison_operator": "GreaterThanThreshold"},
    }}
    check_ok(run(tmp_path, constraints=constraints))
    violations = read_json(tmp_path / "output" / "constraint_violations.json")["violations"]
    assert violations == [
        {"constraint_check_type": "LessThanThreshold", "description": "Metric accuracy with 0.5 was LessThanThreshold 0.75", "metric_name": "accuracy"},
        {"constraint_check_type": "GreaterThanThreshold", "description": "Metric false_positive_rate with 0.666667 was GreaterThanThreshold 0.5",
         "metric_name": "false_positive_rate"},
    ]


def test_multiclass_reads_the_class_index_and_weights_by_support(tmp_path):
    labels = [0, 0, 1, 1, 1, 2]
    predicted = ["0.0", "1.0", "1.0", "1.0", "2.0", "2.0"]  # multi:softmax answers floats
    layout(tmp_path, [capture("e%d" % i, "1", p) for i, p in enumerate(predicted)], [truth("e%d" % i, y) for i, y in enumerate(labels)])
    check_ok(run(tmp_path, problem_type="MulticlassClassification"))
    section = read_json(tmp_path / "output" / "statistics.json")["multiclass_classification_metrics"]
    as_int = [int(float(p)) for p in predicted]

    assert section["accuracy"]["value"] == pytest.approx(4 / 6)
    assert section["weighted_recall"]["value"] == pytest.approx(sk.recall_score(labels, as_int, average="weighted"))
    assert section["weighted_precision"]["value"] == pytest.approx(sk.precision_score(labels, as_int, average="weighted"))
    assert section["weighted_f1"]["value"] == pytest.approx(sk.f1_score(labels, as_int, average="weighted"))
    assert section["accuracy_best_constant_classifier"]["value"] == pytest.approx(0.5)
    assert section["confusion_matrix"] == {"0": {"0": 1, "1": 1, "2": 0}, "1": {"0": 0, "1": 2, "2": 1}, "2": {"0": 0, "1": 0, "2": 1}}


def test_regression_metrics(tmp_path):
    labels, predicted = [10.0, 20.0, 30.0, 40.0], [12.0, 18.0, 33.0, 40.0]
    layout(tmp_path, [capture("e%d" % i, "1", str(p)) for i, p in enumerate(predicted)], [truth("e%d" % i, y) for i, y in enumerate(labels)])
    check_ok(run(tmp_path, problem_type="Regression", constraints={"regression_constraints": {"rmse": {"threshold": 2.0, "comparison_operator": "GreaterThanThreshold"}}}))
    section = read_json(tmp_path / "output" / "statistics.json")["regression_metrics"]

    assert {name: entry["value"] for name, entry in section.items()} == pytest.approx({
        "mae": 1.75, "mse": 4.25, "rmse": 4.25 ** 0.5, "r2": sk.r2_score(labels, predicted)})
    assert "confusion_matrix" not in section
    assert [v["metric_name"] for v in read_json(tmp_path / "output" / "constraint_violations.json")["violations"]] == ["rmse"]


@pytest.mark.parametrize("captures, truths, message", [
    ([capture("a", "1", "0.9")], [truth("b", 1)], "none of the 1 captured record(s)"),
    ([capture("a", "1", "0.9")], [truth("a", 2)], "ground truth label 2 is not 0 or 1"),
    ([capture("a", "1", "1.7")], [truth("a", 1)], "predicted probability 1.7 is outside 0..1"),
    ([capture("a", "1", "0.9")], [truth("a", "yes")], "ground truth label 'yes' is not a finite number"),
    ([capture("a", "1\n2", "0.9\n0.1")], [truth("a", 1)], "2 predicted row(s), but the ground truth at"),
])
def test_fails_with_one_line_on_data_it_cannot_use(tmp_path, captures, truths, message):
    layout(tmp_path, captures, truths)
    process = run(tmp_path)
    assert process.returncode == 1
    assert message in process.stderr
    assert process.stderr.count("ERROR") == 1


def test_fails_without_ground_truth_files(tmp_path):
    write_jsonl(tmp_path / "capture" / "a.jsonl", [capture("a", "1", "0.9")])
    (tmp_path / "ground-truth").mkdir()
    process = run(tmp_path)
    assert process.returncode == 1
    assert "no ground truth files (*.jsonl) found under" in process.stderr


@pytest.mark.parametrize("env, message", [
    ({"problem_type": "binary"}, "problem_type must be one of BinaryClassification, MulticlassClassification, Regression, got 'binary'"),
    ({"probability_attribute": "prob"}, "probability_attribute must be the column index of the prediction"),
    ({"probability_threshold_attribute": "2"}, "probability_threshold_attribute must be a probability from 0 to 1, got '2'"),
    ({"ground_truth_source": ""}, "environment variable(s) ground_truth_source not set"),
])
def test_fails_with_exit_2_on_bad_settings(tmp_path, env, message):
    layout(tmp_path, [capture("a", "1", "0.9")], [truth("a", 1)])
    process = run(tmp_path, **env)
    assert process.returncode == 2
    assert message in process.stderr


def test_fails_on_constraints_of_another_problem_type(tmp_path):
    layout(tmp_path, [capture("a", "1", "0.9")], [truth("a", 1)])
    process = run(tmp_path, constraints={"regression_constraints": {"rmse": {"threshold": 1, "comparison_operator": "GreaterThanThreshold"}}})
    assert process.returncode == 1
    assert "have no binary_classification_constraints, the section of BinaryClassification" in process.stderr
