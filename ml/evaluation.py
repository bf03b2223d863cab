"""Model evaluation for the pipeline (SageMaker Processing, in a container with xgboost).

Reads model.tar.gz from --model-dir (the artifact of the built-in XGBoost algorithm, 1.3-1 or
later, or of train.py: a native Booster saved as `xgboost-model`) and the label-first headerless
test CSVs under --test-dir, and writes --output-dir/evaluation.json in the Model Monitor
model-quality format, which the model registry also accepts as ModelQuality statistics. The
metrics and their names are those of the page "Model quality metrics and Amazon CloudWatch
monitoring" (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-model-quality-metrics.html),
one section per --problem-type:

    binary (default)  {"binary_classification_metrics": {
                          "auc": {"value": 0.87, "standard_deviation": "NaN"}, "accuracy": {...},
                          "precision": {...}, "recall": {...}, "f1": {...}, ...,
                          "confusion_matrix": {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}}}
    multiclass        {"multiclass_classification_metrics": {"accuracy": {...}, "weighted_f1": {...}, ...,
                          "confusion_matrix": {"0": {"0": n, "1": n, "2": n}, ...}}}
    regression        {"regression_metrics": {"mae": {...}, "mse": {...}, "rmse": {...}, "r2": {...}, ...}}

A pipeline condition reads e.g. `binary_classification_metrics.auc.value` with JsonGet.
standard_deviation is the string "NaN", as Model Monitor writes it when it computes none: a bare
NaN would make the file invalid JSON. Binary class metrics use a 0.5 probability threshold;
multiclass ones the predicted class (multi:softmax's output, or the argmax of multi:softprob's).

Self-contained on purpose: SageMaker ships only this file into the container.
"""
import argparse
import json
import logging
import os
import sys
import tarfile
import tempfile

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn import metrics

logger = logging.getLogger("evaluation")

# The local loop runs this script outside a container: it sets CDK_MLOPS_CONTAINER_ROOT to a folder
# that stands for the container's "/", and the /opt/ml/... defaults are read below it.
CONTAINER_ROOT = os.environ.get("CDK_MLOPS_CONTAINER_ROOT", "")

MODEL_ARCHIVE = "model.tar.gz"
MODEL_FILE = "xgboost-model"
THRESHOLD = 0.5
NOT_COMPUTED = "NaN"
PROBLEM_TYPES = ("binary", "multiclass", "regression")
SECTIONS = {
    "binary": "binary_classification_metrics",
    "multiclass": "multiclass_classification_metrics",
    "regression": "regression_metrics",
}
# The metric the end-of-run log line names, per problem type.
HEADLINE = {"binary": "auc", "multiclass": "accuracy", "regression": "rmse"}
# F-beta scores the page lists: f0_5, f1, f2.
BETAS = (("f0_5", 0.5), ("f1", 1.0), ("f2", 2.0))


class DataError(Exception):
    """Missing or unusable model or test data; reported as one line and exit code 1."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate an XGBoost model on the test split.")
    parser.add_argument("--problem-type", choices=PROBLEM_TYPES, default="binary")
    parser.add_argument("--num-classes", type=int, help="number of classes K (multiclass only): labels 0 to K-1")
    parser.add_argument("--model-dir", default=CONTAINER_ROOT + "/opt/ml/processing/model")
    parser.add_argument("--test-dir", default=CONTAINER_ROOT + "/opt/ml/processing/test")
    parser.add_argument("--output-dir", default=CONTAINER_ROOT + "/opt/ml/processing/evaluation")
    parser.add_argument(
        "--baseline-input-dir",
        default=CONTAINER_ROOT + "/opt/ml/processing/baseline_input",
        help="preprocessing.py's baseline.csv (label first, with header); skipped when the folder does not exist",
    )
    parser.add_argument("--baseline-output-dir", default=CONTAINER_ROOT + "/opt/ml/processing/baseline")
    args = parser.parse_args(argv)
    if args.problem_type == "multiclass" and args.num_classes is None:
        parser.error("--problem-type multiclass needs --num-classes K (the labels are 0 to K-1)")
    if args.problem_type == "multiclass" and args.num_classes < 2:
        parser.error("--num-classes must be at least 2, got %d" % args.num_classes)
    if args.problem_type != "multiclass" and args.num_classes is not None:
        parser.error("--num-classes is only for --problem-type multiclass, got --problem-type %s" % args.problem_type)
    return args


def load_model(model_dir):
    archive = os.path.join(model_dir, MODEL_ARCHIVE)
    if not os.path.isfile(archive):
        raise DataError("model archive not found: %s" % archive)
    with tarfile.open(archive, "r:gz") as tar:
        # Read the one member by name instead of extracting the archive, so odd member paths are harmless.
        members = {os.path.normpath(member.name): member for member in tar.getmembers() if member.isfile()}
        if MODEL_FILE not in members:
            raise DataError("%s holds no %s file; it holds %s" % (archive, MODEL_FILE, sorted(members)))
        content = tar.extractfile(members[MODEL_FILE]).read()
    with tempfile.TemporaryDirectory() as scratch:
        path = os.path.join(scratch, MODEL_FILE)
        with open(path, "wb") as handle:
            handle.write(content)
        booster = xgb.Booster()
        try:
            booster.load_model(path)
        except xgb.core.XGBoostError as error:
            raise DataError(
                "%s in %s is not a native XGBoost model (built-in XGBoost before 1.3-1 pickles it): %s"
                % (MODEL_FILE, archive, str(error).splitlines()[0])
            )
    logger.info("loaded model from %s", archive)
    return booster


def read_test_data(test_dir, problem_type="binary", num_classes=None):
    paths = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(test_dir)
        for name in names
        if name.lower().endswith(".csv")
    )
    if not paths:
        raise DataError("no CSV files found under test directory %s" % test_dir)
    try:
        frame = pd.concat([pd.read_csv(path, header=None) for path in paths], ignore_index=True)
    except pd.errors.EmptyDataError as error:
        raise DataError("empty CSV file under test directory %s: %s" % (test_dir, error))
    labels = frame.iloc[:, 0]
    if problem_type == "binary":
        if not labels.isin([0, 1]).all() or labels.nunique() < 2:
            raise DataError(
                "test labels (first column) under %s must be 0 and 1, both present; found %s"
                % (test_dir, sorted(labels.astype(str).unique().tolist())[:5])
            )
        labels = labels.astype(int)
    elif problem_type == "multiclass":
        invalid = labels[~pd.to_numeric(labels, errors="coerce").isin(range(num_classes))]
        if len(invalid):
            raise DataError(
                "test labels (first column) under %s must be whole numbers 0 to %d for --num-classes %d; found %s"
                % (test_dir, num_classes - 1, num_classes, sorted(invalid.astype(str).unique().tolist())[:5])
            )
        labels = pd.to_numeric(labels).astype(int)
    else:
        numbers = pd.to_numeric(labels, errors="coerce")
        invalid = labels[numbers.isna() | ~np.isfinite(numbers.fillna(0))]
        if len(invalid):
            raise DataError(
                "test labels (first column) under %s must be finite numbers for regression; found %s"
                % (test_dir, sorted(invalid.astype(str).unique().tolist())[:5])
            )
        if len(labels) < 2:
            raise DataError("regression metrics need at least 2 test rows; %s holds %d" % (test_dir, len(labels)))
        labels = numbers.astype(float)
    logger.info("read %d test rows from %d file(s) under %s", len(frame), len(paths), test_dir)
    return frame.iloc[:, 1:], labels


def predict(booster, features):
    if booster.num_features() != features.shape[1]:
        raise DataError("the model expects %d features but the test data has %d"
                        % (booster.num_features(), features.shape[1]))
    # A plain array, like the built-in algorithm's CSV reader: no feature names to mismatch.
    return booster.predict(xgb.DMatrix(features.to_numpy(dtype=float)))


def predictions(booster, features, problem_type="binary", num_classes=None):
    """The model's prediction per row, as the endpoint returns it: binary the probability of 1,
    multiclass the class index (multi:softprob's probability rows are reduced to their argmax),
    regression the value."""
    output = predict(booster, features)
    if problem_type == "multiclass":
        if output.ndim == 2:
            if output.shape[1] != num_classes:
                raise DataError("the model gives probabilities of %d classes but --num-classes is %d"
                                % (output.shape[1], num_classes))
            output = output.argmax(axis=1)
        classes = np.rint(output).astype(int)
        outside = classes[(classes < 0) | (classes >= num_classes)]
        if len(outside):
            raise DataError("the model predicts classes %s, outside 0 to %d of --num-classes %d"
                            % (sorted(set(outside.tolist()))[:5], num_classes - 1, num_classes))
        return classes
    if output.ndim != 1:
        raise DataError("the model gives %d values per row; --problem-type %s needs one (a multiclass model "
                        "needs --problem-type multiclass)" % (output.shape[1], problem_type))
    if problem_type == "binary" and len(output) and (output.min() < 0 or output.max() > 1):
        raise DataError("the model gives values from %g to %g; --problem-type binary needs probabilities (an "
                        "objective such as binary:logistic)" % (output.min(), output.max()))
    return output.astype(float) if problem_type == "regression" else output


def metric(value):
    return {"value": float(value), "standard_deviation": NOT_COMPUTED}


def f_beta(precision, recall, beta):
    """F-beta of a precision and a recall; 0 when both are 0."""
    denominator = beta * beta * precision + recall
    return (1 + beta * beta) * precision * recall / denominator if denominator else 0.0


def compute_metrics(labels, scores, problem_type="binary", num_classes=None):
    if problem_type == "multiclass":
        return {SECTIONS["multiclass"]: multiclass_metrics(labels, scores, num_classes)}
    if problem_type == "regression":
        return {SECTIONS["regression"]: regression_metrics(labels, scores)}
    return {SECTIONS["binary"]: binary_metrics(labels, scores)}


def binary_metrics(labels, scores):
    predicted = (scores >= THRESHOLD).astype(int)
    matrix = metrics.confusion_matrix(labels, predicted, labels=[0, 1])
    (tn, fp), (fn, tp) = matrix
    precision = metrics.precision_score(labels, predicted, zero_division=0)
    recall = metrics.recall_score(labels, predicted, zero_division=0)
    # The page's best constant classifier always predicts 1: its recall is 1 and its precision and
    # accuracy are the share of 1s (its example: 1 positive of 4 rows gives precision and accuracy 0.25,
    # f1 0.4). Not the majority class, whose accuracy would be higher when 1s are the minority.
    positive_share = float(labels.mean())
    result = {
        "auc": metric(metrics.roc_auc_score(labels, scores)),
        "accuracy": metric(metrics.accuracy_score(labels, predicted)),
        "precision": metric(precision),
        "recall": metric(recall),
        "f1": metric(metrics.f1_score(labels, predicted, zero_division=0)),
        # The test labels hold both values (read_test_data), so no rate divides by zero.
        "true_positive_rate": metric(tp / (tp + fn)),
        "true_negative_rate": metric(tn / (tn + fp)),
        "false_positive_rate": metric(fp / (fp + tn)),
        "false_negative_rate": metric(fn / (fn + tp)),
        "f0_5": metric(f_beta(precision, recall, 0.5)),
        "f2": metric(f_beta(precision, recall, 2.0)),
        "recall_best_constant_classifier": metric(1.0),
        "precision_best_constant_classifier": metric(positive_share),
        "accuracy_best_constant_classifier": metric(positive_share),
    }
    for name, beta in BETAS:
        result[name + "_best_constant_classifier"] = metric(f_beta(positive_share, 1.0, beta))
    # Model Monitor layout: outer key the actual label, inner key the predicted label.
    result["confusion_matrix"] = {
        str(actual): {str(guess): int(matrix[actual][guess]) for guess in (0, 1)} for actual in (0, 1)
    }
    return result


def multiclass_metrics(labels, classes, num_classes):
    everyone = list(range(num_classes))
    matrix = metrics.confusion_matrix(labels, classes, labels=everyone)
    result = {
        "accuracy": metric(metrics.accuracy_score(labels, classes)),
        "weighted_recall": metric(metrics.recall_score(labels, classes, labels=everyone, average="weighted",
                                                       zero_division=0)),
        "weighted_precision": metric(metrics.precision_score(labels, classes, labels=everyone, average="weighted",
                                                             zero_division=0)),
    }
    for name, beta in BETAS:
        result["weighted_" + name] = metric(metrics.fbeta_score(labels, classes, beta=beta, labels=everyone,
                                                                average="weighted", zero_division=0))
    # The best constant classifier predicts the most frequent test class c, share p: class c has recall
    # 1 and precision p, every other class 0, so the support-weighted averages are p (recall), p*p
    # (precision) and p*F-beta(p, 1). Every one of these grows with p, so the majority class is the
    # constant best at each. The page lists these metrics but not the rule; its example's values fit a
    # constant guess of its rarer class (share 0.1937), which would make a lower bar.
    share = float(labels.value_counts(normalize=True).max())
    result["accuracy_best_constant_classifier"] = metric(share)
    result["weighted_recall_best_constant_classifier"] = metric(share)
    result["weighted_precision_best_constant_classifier"] = metric(share * share)
    for name, beta in BETAS:
        result["weighted_%s_best_constant_classifier" % name] = metric(share * f_beta(share, 1.0, beta))
    result["confusion_matrix"] = {
        str(actual): {str(guess): int(matrix[actual][guess]) for guess in everyone} for actual in everyone
    }
    return result


def regression_metrics(labels, values):
    mse = metrics.mean_squared_error(labels, values)
    # The page lists mae, mse, rmse and r2. The *_best_constant_regressor entries are this script's,
    # named after the page's *_best_constant_classifier: each the metric of the constant that does best
    # at it, the median for mae, the mean for mse and rmse (r2 0 by definition).
    constant_mse = float(np.mean((labels - labels.mean()) ** 2))
    return {
        "mae": metric(metrics.mean_absolute_error(labels, values)),
        "mse": metric(mse),
        "rmse": metric(np.sqrt(mse)),
        "r2": metric(metrics.r2_score(labels, values)),
        "mae_best_constant_regressor": metric(np.mean(np.abs(labels - labels.median()))),
        "mse_best_constant_regressor": metric(constant_mse),
        "rmse_best_constant_regressor": metric(np.sqrt(constant_mse)),
        "r2_best_constant_regressor": metric(0.0),
    }


def write_report(report, output_dir, problem_type="binary"):
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "evaluation.json")
    with open(path, "w") as handle:
        # allow_nan=False: fail rather than write a bare NaN that JSON readers reject.
        json.dump(report, handle, indent=2, allow_nan=False)
    headline = HEADLINE[problem_type]
    value = report[SECTIONS[problem_type]][headline]["value"]
    if problem_type == "binary":
        # This line is unchanged from before the other problem types existed.
        logger.info("wrote %s: auc=%.4f", path, value)
    else:
        logger.info("wrote %s: %s=%.4f (%s)", path, headline, value, problem_type)


def write_prediction_baseline(booster, input_dir, output_dir, problem_type="binary", num_classes=None):
    """Rewrites the baseline with the model's predictions in its first column.

    The endpoint captures the prediction it returns as the first column of each record (binary the
    probability, multiclass the class index, regression the value), so the baseline Model Monitor
    compares the capture with must hold the same: preprocessing.py can only put the label there (no
    model exists yet), whose 0/1 distribution is not that of probabilities and makes the drift check
    on that column fail on clean traffic. Written as floats, the type of the captured values.
    """
    if not os.path.isdir(input_dir):
        logger.warning("no baseline input folder %s: no prediction baseline written", input_dir)
        return
    paths = sorted(
        os.path.join(root, name) for root, _, names in os.walk(input_dir) for name in names if name.lower().endswith(".csv")
    )
    if not paths:
        raise DataError("no CSV files found under baseline input directory %s" % input_dir)
    os.makedirs(output_dir, exist_ok=True)
    for path in paths:
        frame = read_baseline(path)
        frame[frame.columns[0]] = predictions(booster, frame.iloc[:, 1:], problem_type, num_classes).astype(float)
        target = os.path.join(output_dir, os.path.relpath(path, input_dir))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        frame.to_csv(target, index=False)
        logger.info("wrote %s: %d rows, column %s holds the model's predictions", target, len(frame), frame.columns[0])


def read_baseline(path):
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError("baseline CSV file %s is empty" % path)


def run(args):
    booster = load_model(args.model_dir)
    features, labels = read_test_data(args.test_dir, args.problem_type, args.num_classes)
    scores = predictions(booster, features, args.problem_type, args.num_classes)
    write_report(compute_metrics(labels, scores, args.problem_type, args.num_classes), args.output_dir,
                 args.problem_type)
    write_prediction_baseline(booster, args.baseline_input_dir, args.baseline_output_dir, args.problem_type,
                              args.num_classes)


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args()
    try:
        run(args)
    except DataError as error:
        logger.error("%s", error)
        sys.exit(1)


if __name__ == "__main__":
    main()
