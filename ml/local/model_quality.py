"""Local emulation of a Model Monitor model-quality job (the ground-truth merge and the analyzer).

The local loop runs this in place of the two processing jobs one model-quality execution runs in
AWS: the merge of the endpoint's captured predictions with the ground truth users upload, then the
metrics of the problem type. Like the analyzer container it is driven by environment variables:

    dataset_source       directory of the captured data (SageMaker's capture format, *.jsonl below
                         it, sub-folders too, in sorted path order)
    ground_truth_source  directory of the ground truth (*.jsonl below it, likewise)
    output_path          directory the reports are written to
    problem_type         BinaryClassification, MulticlassClassification or Regression
                         (ModelQualityAppSpecification.ProblemType)
    probability_attribute, probability_threshold_attribute
                         BinaryClassification: the column of the captured endpointOutput CSV that
                         holds the probability of class 1, and the probability from which a
                         prediction is class 1 (EndpointInput.ProbabilityAttribute and
                         ProbabilityThresholdAttribute; for CSV an attribute is a column index)
    inference_attribute  MulticlassClassification and Regression: the column holding the predicted
                         class index or value (EndpointInput.InferenceAttribute)
    baseline_constraints optional: constraints in the format a model-quality baseline job suggests,
                         {"binary_classification_constraints": {"auc": {"threshold": 0.75,
                         "comparison_operator": "LessThanThreshold"}}} (or multiclass_/regression_);
                         when set, each metric that crosses its threshold is a violation
    publish_cloudwatch_metrics  Disabled or Enabled; nothing is ever published

The merge follows "Ingest Ground Truth labels and merge them with predictions"
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-merge.html): a ground
truth record is one JSON line {"groundTruthData": {"data": "1", "encoding": "CSV"},
"eventMetadata": {"eventId": "..."}, "eventVersion": "0"}; it joins the captured record whose
eventMetadata.inferenceId, or when the capture has none its eventMetadata.eventId, equals its
eventMetadata.eventId. Captured records without ground truth are left out, as are ground truth
records without a capture; when one id has several ground truth records the last in path order
counts (the page does not say; this is the emulation's choice). A captured record of k CSV rows
needs ground truth of k CSV lines, row for row.

statistics.json holds the metrics of the problem type in the format of "Model quality metrics"
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html):
{"version": 0.0, "dataset": {"item_count": merged rows}, "binary_classification_metrics": {"auc":
{"value": ..., "standard_deviation": ...}, ..., "confusion_matrix": {actual: {predicted: n}}}}, the
same names as ml/evaluation.py writes at registration. A standard deviation is given from 200 rows
on, "by randomly sampling 80% of the data 5 times" (the page's rule; the seed is the emulation's),
else the string "NaN". Binary predictions are class 1 from the threshold on (>=, as evaluation.py
decides them; the page does not say which side the threshold itself falls on). The best constant
classifier of a binary model always predicts 1, as the page's example shows; of a multiclass model
it predicts the most frequent class. constraint_violations.json lists {"constraint_check_type":
"LessThanThreshold", "description": "Metric auc with 0.61 was LessThanThreshold 0.75",
"metric_name": "auc"} per violated constraint, and is written only with baseline_constraints. In
AWS the stage's jobs run without constraints: the model-quality alarm compares the published metric
with the threshold instead; the local loop passes the alarm's threshold as a constraint so that one
comparison is made here too.

The job completes (exit 0) also when there are violations. Exit 1 with one line: no capture or
ground truth files, an unreadable line, no captured record with ground truth, a label or prediction
that does not fit the problem type, an unreadable constraints file. Exit 2: a required variable
unset or malformed.

Self-contained on purpose, like the scripts SageMaker runs: numpy and the standard library only.
"""
import base64
import binascii
import csv
import io
import json
import logging
import math
import os
import sys

import numpy as np

logger = logging.getLogger("model_quality")

PROBLEM_TYPES = {
    "BinaryClassification": "binary_classification",
    "MulticlassClassification": "multiclass_classification",
    "Regression": "regression",
}
NOT_COMPUTED = "NaN"
BETAS = (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0))
STD_MIN_ROWS = 200
STD_SAMPLES = 5
STD_SHARE = 0.8
STD_SEED = 0
COMPARISONS = {"LessThanThreshold": lambda value, threshold: value < threshold,
               "GreaterThanThreshold": lambda value, threshold: value > threshold}


class DataError(Exception):
    """Input the job cannot process; reported as one line and exit code 1."""


class UsageError(Exception):
    """A required environment variable unset or malformed; reported as one line and exit code 2."""


def read_settings(environ):
    missing = [name for name in ("dataset_source", "ground_truth_source", "output_path", "problem_type")
               if not environ.get(name)]
    if missing:
        raise UsageError("environment variable(s) %s not set" % ", ".join(missing))
    problem_type = environ["problem_type"]
    if problem_type not in PROBLEM_TYPES:
        raise UsageError("problem_type must be one of %s, got %r" % (", ".join(PROBLEM_TYPES), problem_type))
    settings = {name: environ[name] for name in ("dataset_source", "ground_truth_source", "output_path")}
    settings.update(problem_type=problem_type, baseline_constraints=environ.get("baseline_constraints", ""))
    if problem_type == "BinaryClassification":
        settings["column"] = column_index(environ, "probability_attribute")
        raw = environ.get("probability_threshold_attribute", "0.5")
        try:
            threshold = float(raw)
        except ValueError:
            threshold = float("nan")
        if not 0 <= threshold <= 1:
            raise UsageError("probability_threshold_attribute must be a probability from 0 to 1, got %r" % raw)
        settings["threshold"] = threshold
    else:
        settings["column"] = column_index(environ, "inference_attribute")
    publish = environ.get("publish_cloudwatch_metrics", "Disabled")
    if publish not in ("Disabled", "Enabled"):
        raise UsageError("publish_cloudwatch_metrics must be Disabled or Enabled, got %r" % publish)
    settings["publish_cloudwatch_metrics"] = publish
    return settings


def column_index(environ, name):
    raw = environ.get(name, "")
    if not raw.isdigit():
        raise UsageError("%s must be the column index of the prediction in the captured CSV output, such as 0, got %r"
                         % (name, raw))
    return int(raw)


def jsonl_files(directory, what):
    paths = sorted(os.path.join(root, name) for root, _, names in os.walk(directory) for name in names
                   if name.lower().endswith(".jsonl"))
    if not paths:
        raise DataError("no %s files (*.jsonl) found under %s" % (what, directory))
    return paths


def json_lines(paths):
    """(where, record) of every non-empty line."""
    for path in paths:
        with open(path) as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = "%s line %d" % (path, number)
                try:
                    yield where, json.loads(line)
                except ValueError as error:
                    raise DataError("%s is not valid JSON: %s" % (where, error))


def csv_rows(payload, where, what):
    try:
        data, encoding = payload["data"], payload["encoding"]
    except (KeyError, TypeError):
        raise DataError("%s: no %s with data and encoding" % (where, what))
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise DataError("%s: %s is not base64-encoded UTF-8 text: %s" % (where, what, error))
    elif encoding != "CSV":
        raise DataError("%s: %s is encoded %s; only CSV is supported" % (where, what, encoding))
    return [row for row in csv.reader(io.StringIO(str(data))) if row]


def event_id(record, where, what):
    metadata = record.get("eventMetadata") if isinstance(record, dict) else None
    if not isinstance(metadata, dict):
        raise DataError("%s: the %s has no eventMetadata" % (where, what))
    key = metadata.get("inferenceId") or metadata.get("eventId")
    if not isinstance(key, str) or not key:
        raise DataError("%s: the %s has no eventMetadata.eventId" % (where, what))
    return key


def read_ground_truth(directory):
    labels, duplicates = {}, 0
    for where, record in json_lines(jsonl_files(directory, "ground truth")):
        key = event_id(record, where, "ground truth record")
        if key in labels:
            duplicates += 1
        labels[key] = (where, [row[0].strip() if row else "" for row in csv_rows(record.get("groundTruthData"), where, "groundTruthData")])
    if duplicates:
        logger.warning("%d ground truth record(s) repeat an eventId; the last in path order counts", duplicates)
    return labels


def merge(capture_dir, labels, column):
    """(rows of (label text, prediction text), captured records, records merged)."""
    merged, captured, matched = [], 0, 0
    for where, record in json_lines(jsonl_files(capture_dir, "capture")):
        captured += 1
        key = event_id(record, where, "captured record")
        if key not in labels:
            continue
        output = record.get("captureData", {}).get("endpointOutput") if isinstance(record.get("captureData"), dict) else None
        predictions = csv_rows(output, where, "captureData.endpointOutput")
        truth_where, truths = labels[key]
        if len(truths) != len(predictions):
            raise DataError("%s: %d predicted row(s), but the ground truth at %s has %d line(s)"
                            % (where, len(predictions), truth_where, len(truths)))
        for truth, row in zip(truths, predictions):
            if column >= len(row):
                raise DataError("%s: the output row has %d column(s); the prediction is read from column %d"
                                % (where, len(row), column))
            merged.append((truth, row[column].strip()))
        matched += 1
    return merged, captured, matched


def numbers(texts, what):
    values = []
    for text in texts:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not math.isfinite(value):
            raise DataError("%s %r is not a finite number" % (what, text))
        values.append(value)
    return np.array(values)


def class_indexes(texts, what):
    values = numbers(texts, what)
    if not np.all(values == np.round(values)) or np.any(values < 0):
        bad = next(text for text, value in zip(texts, values) if value != round(value) or value < 0)
        raise DataError("%s %r is not a class index (0, 1, 2, ...)" % (what, bad))
    return values.astype(int)


def f_beta(precision, recall, beta):
    denominator = beta * beta * precision + recall
    return (1 + beta * beta) * precision * recall / denominator if denominator else 0.0


def auc(labels, scores):
    """Area under the ROC curve: the Mann-Whitney statistic, ties counted half."""
    positives, negatives = labels == 1, labels == 0
    n_pos, n_neg = int(positives.sum()), int(negatives.sum())
    if n_pos == 0 or n_neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    start = 0
    while start < len(scores):
        end = start
        while end + 1 < len(scores) and sorted_scores[end + 1] == sorted_scores[start]:
            end += 1
        ranks[order[start:end + 1]] = (start + end) / 2.0 + 1
        start = end + 1
    return float((ranks[positives].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def binary_values(labels, scores, threshold):
    predicted = (scores >= threshold).astype(int)
    tp = int(np.sum((predicted == 1) & (labels == 1)))
    tn = int(np.sum((predicted == 0) & (labels == 0)))
    fp = int(np.sum((predicted == 1) & (labels == 0)))
    fn = int(np.sum((predicted == 0) & (labels == 1)))
    share = lambda a, b: a / b if b else 0.0
    precision, recall = share(tp, tp + fp), share(tp, tp + fn)
    positive_share = float(labels.mean())
    values = {
        "recall": recall,
        "precision": precision,
        "accuracy": share(tp + tn, len(labels)),
        "recall_best_constant_classifier": 1.0,
        "precision_best_constant_classifier": positive_share,
        "accuracy_best_constant_classifier": positive_share,
        "true_positive_rate": recall,
        "true_negative_rate": share(tn, tn + fp),
        "false_positive_rate": share(fp, fp + tn),
        "false_negative_rate": share(fn, fn + tp),
        "auc": auc(labels, scores),
    }
    for name, beta in BETAS:
        values[name] = f_beta(precision, recall, beta)
        values[name + "_best_constant_classifier"] = f_beta(positive_share, 1.0, beta)
    matrix = {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}
    return values, matrix


def multiclass_values(labels, predicted):
    classes = sorted(set(labels.tolist()) | set(predicted.tolist()))
    total = len(labels)
    weighted = {"recall": 0.0, "precision": 0.0}
    fscores = {name: 0.0 for name, _ in BETAS}
    for cls in classes:
        support = int(np.sum(labels == cls))
        tp = int(np.sum((predicted == cls) & (labels == cls)))
        predicted_count = int(np.sum(predicted == cls))
        precision = tp / predicted_count if predicted_count else 0.0
        recall = tp / support if support else 0.0
        weight = support / total
        weighted["recall"] += weight * recall
        weighted["precision"] += weight * precision
        for name, beta in BETAS:
            fscores[name] += weight * f_beta(precision, recall, beta)
    share = max(np.sum(labels == cls) for cls in set(labels.tolist())) / total
    values = {
        "accuracy": float(np.mean(labels == predicted)),
        "weighted_recall": weighted["recall"],
        "weighted_precision": weighted["precision"],
        "accuracy_best_constant_classifier": share,
        "weighted_recall_best_constant_classifier": share,
        "weighted_precision_best_constant_classifier": share * share,
    }
    for name, beta in BETAS:
        values["weighted_" + name] = fscores[name]
        values["weighted_%s_best_constant_classifier" % name] = share * f_beta(share, 1.0, beta)
    matrix = {str(actual): {str(guess): int(np.sum((labels == actual) & (predicted == guess))) for guess in classes}
              for actual in classes}
    return values, matrix


def regression_values(labels, predicted):
    errors = predicted - labels
    mse = float(np.mean(errors ** 2))
    variance = float(np.mean((labels - labels.mean()) ** 2))
    values = {
        "mae": float(np.mean(np.abs(errors))),
        "mse": mse,
        "rmse": math.sqrt(mse),
        "r2": 1.0 - mse / variance if variance else float("nan"),
    }
    return values, None


def values_of(problem_type, labels, predictions, threshold):
    if problem_type == "BinaryClassification":
        return binary_values(labels, predictions, threshold)
    if problem_type == "MulticlassClassification":
        return multiclass_values(labels, predictions)
    return regression_values(labels, predictions)


def typed(problem_type, merged):
    truths, predictions = [truth for truth, _ in merged], [prediction for _, prediction in merged]
    if problem_type == "Regression":
        return numbers(truths, "ground truth"), numbers(predictions, "prediction")
    if problem_type == "MulticlassClassification":
        return class_indexes(truths, "ground truth label"), class_indexes(predictions, "predicted class")
    labels = class_indexes(truths, "ground truth label")
    if np.any(labels > 1):
        raise DataError("ground truth label %d is not 0 or 1, as a binary classifier's labels are" % labels[labels > 1][0])
    scores = numbers(predictions, "predicted probability")
    if np.any((scores < 0) | (scores > 1)):
        raise DataError("predicted probability %s is outside 0..1: is probability_attribute the right column?"
                        % scores[(scores < 0) | (scores > 1)][0])
    return labels, scores


def metrics_section(settings, labels, predictions):
    problem_type = settings["problem_type"]
    values, matrix = values_of(problem_type, labels, predictions, settings.get("threshold", 0.5))
    deviations = {}
    if len(labels) >= STD_MIN_ROWS:
        generator = np.random.default_rng(STD_SEED)
        size = int(round(STD_SHARE * len(labels)))
        samples = []
        for _ in range(STD_SAMPLES):
            chosen = generator.choice(len(labels), size=size, replace=False)
            samples.append(values_of(problem_type, labels[chosen], predictions[chosen], settings.get("threshold", 0.5))[0])
        deviations = {name: float(np.std([sample[name] for sample in samples])) for name in values}
    section = {}
    for name, value in values.items():
        finite = math.isfinite(value)
        deviation = deviations.get(name)
        section[name] = {
            "value": float(value) if finite else NOT_COMPUTED,
            "standard_deviation": deviation if deviation is not None and math.isfinite(deviation) else NOT_COMPUTED,
        }
    if matrix is not None:
        section["confusion_matrix"] = matrix
    return section


def read_constraints(path, problem_type):
    try:
        with open(path) as handle:
            document = json.load(handle)
    except OSError as error:
        raise DataError("baseline constraints file not readable: %s" % error)
    except ValueError as error:
        raise DataError("baseline constraints file %s is not valid JSON: %s" % (path, error))
    key = PROBLEM_TYPES[problem_type] + "_constraints"
    constraints = document.get(key) if isinstance(document, dict) else None
    if not isinstance(constraints, dict):
        raise DataError("baseline constraints %s have no %s, the section of %s" % (path, key, problem_type))
    for name, constraint in constraints.items():
        if (not isinstance(constraint, dict) or constraint.get("comparison_operator") not in COMPARISONS
                or not isinstance(constraint.get("threshold"), (int, float))):
            raise DataError("constraint %s in %s needs a numeric threshold and a comparison_operator of %s"
                            % (name, path, " or ".join(COMPARISONS)))
    return constraints


def violations_of(section, constraints):
    violations = []
    for name, constraint in constraints.items():
        value = section.get(name, {}).get("value")
        if not isinstance(value, float):
            logger.warning("constraint %s names a metric without a value here; it is not checked", name)
            continue
        operator, threshold = constraint["comparison_operator"], constraint["threshold"]
        if COMPARISONS[operator](value, threshold):
            violations.append({
                "constraint_check_type": operator,
                "description": "Metric %s with %s was %s %s" % (name, round(value, 6), operator, threshold),
                "metric_name": name,
            })
    return violations


def write_json(directory, name, document):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        json.dump(document, handle, indent=2, allow_nan=False)
    logger.info("wrote %s", path)


def run(environ):
    settings = read_settings(environ)
    if settings["publish_cloudwatch_metrics"] == "Enabled":
        logger.info("publish_cloudwatch_metrics is Enabled; the emulation publishes no CloudWatch metrics")
    constraints = read_constraints(settings["baseline_constraints"], settings["problem_type"]) if settings["baseline_constraints"] else None
    labels = read_ground_truth(settings["ground_truth_source"])
    merged, captured, matched = merge(settings["dataset_source"], labels, settings["column"])
    if not merged:
        raise DataError("none of the %d captured record(s) under %s has ground truth under %s (matched by eventId)"
                        % (captured, settings["dataset_source"], settings["ground_truth_source"]))
    logger.info("merged %d of %d captured record(s) with ground truth (%d ground truth record(s))",
                matched, captured, len(labels))
    truths, predictions = typed(settings["problem_type"], merged)
    section = metrics_section(settings, truths, predictions)
    key = PROBLEM_TYPES[settings["problem_type"]] + "_metrics"
    write_json(settings["output_path"], "statistics.json",
               {"version": 0.0, "dataset": {"item_count": len(merged)}, key: section})
    if constraints is not None:
        violations = violations_of(section, constraints)
        write_json(settings["output_path"], "constraint_violations.json", {"violations": violations})
        logger.info("%d violation(s)", len(violations))
        for violation in violations:
            logger.info("%s", violation["description"])


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        run(os.environ)
    except UsageError as error:
        logger.error("%s", error)
        sys.exit(2)
    except DataError as error:
        logger.error("%s", error)
        sys.exit(1)


if __name__ == "__main__":
    main()
