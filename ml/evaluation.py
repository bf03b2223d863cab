"""Model evaluation for the churn pipeline (SageMaker Processing, in a container with xgboost).

Reads model.tar.gz from --model-dir (the artifact of the built-in XGBoost algorithm, 1.3-1 or
later, or of train.py: a native Booster saved as `xgboost-model`) and the label-first headerless
test CSVs under --test-dir, and writes --output-dir/evaluation.json in the Model Monitor
model-quality format, which the model registry also accepts as ModelQuality statistics:

    {"binary_classification_metrics": {
        "auc": {"value": 0.87, "standard_deviation": "NaN"}, "accuracy": {...}, "precision": {...},
        "recall": {...}, "f1": {...},
        "confusion_matrix": {"0": {"0": tn, "1": fp}, "1": {"0": fn, "1": tp}}}}

A pipeline condition reads e.g. `binary_classification_metrics.auc.value` with JsonGet.
standard_deviation is the string "NaN", as Model Monitor writes it when it computes none: a bare
NaN would make the file invalid JSON. Class metrics use a 0.5 probability threshold.

Self-contained on purpose: SageMaker ships only this file into the container.
"""
import argparse
import json
import logging
import os
import sys
import tarfile
import tempfile

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


class DataError(Exception):
    """Missing or unusable model or test data; reported as one line and exit code 1."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Evaluate an XGBoost model on the churn test split.")
    parser.add_argument("--model-dir", default=CONTAINER_ROOT + "/opt/ml/processing/model")
    parser.add_argument("--test-dir", default=CONTAINER_ROOT + "/opt/ml/processing/test")
    parser.add_argument("--output-dir", default=CONTAINER_ROOT + "/opt/ml/processing/evaluation")
    parser.add_argument(
        "--baseline-input-dir",
        default=CONTAINER_ROOT + "/opt/ml/processing/baseline_input",
        help="preprocessing.py's baseline.csv (label first, with header); skipped when the folder does not exist",
    )
    parser.add_argument("--baseline-output-dir", default=CONTAINER_ROOT + "/opt/ml/processing/baseline")
    return parser.parse_args(argv)


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


def read_test_data(test_dir):
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
    if not labels.isin([0, 1]).all() or labels.nunique() < 2:
        raise DataError(
            "test labels (first column) under %s must be 0 and 1, both present; found %s"
            % (test_dir, sorted(labels.astype(str).unique().tolist())[:5])
        )
    logger.info("read %d test rows from %d file(s) under %s", len(frame), len(paths), test_dir)
    return frame.iloc[:, 1:], labels.astype(int)


def predict(booster, features):
    if booster.num_features() != features.shape[1]:
        raise DataError("the model expects %d features but the test data has %d"
                        % (booster.num_features(), features.shape[1]))
    # A plain array, like the built-in algorithm's CSV reader: no feature names to mismatch.
    return booster.predict(xgb.DMatrix(features.to_numpy(dtype=float)))


def metric(value):
    return {"value": float(value), "standard_deviation": NOT_COMPUTED}


def compute_metrics(labels, scores):
    predicted = (scores >= THRESHOLD).astype(int)
    matrix = metrics.confusion_matrix(labels, predicted, labels=[0, 1])
    return {
        "binary_classification_metrics": {
            "auc": metric(metrics.roc_auc_score(labels, scores)),
            "accuracy": metric(metrics.accuracy_score(labels, predicted)),
            "precision": metric(metrics.precision_score(labels, predicted, zero_division=0)),
            "recall": metric(metrics.recall_score(labels, predicted, zero_division=0)),
            "f1": metric(metrics.f1_score(labels, predicted, zero_division=0)),
            # Model Monitor layout: outer key the actual label, inner key the predicted label.
            "confusion_matrix": {
                str(actual): {str(guess): int(matrix[actual][guess]) for guess in (0, 1)} for actual in (0, 1)
            },
        }
    }


def write_report(report, output_dir):
    os.makedirs(output_dir, exist_ok=True)
    path = os.path.join(output_dir, "evaluation.json")
    with open(path, "w") as handle:
        # allow_nan=False: fail rather than write a bare NaN that JSON readers reject.
        json.dump(report, handle, indent=2, allow_nan=False)
    logger.info("wrote %s: auc=%.4f", path, report["binary_classification_metrics"]["auc"]["value"])


def write_prediction_baseline(booster, input_dir, output_dir):
    """Rewrites the baseline with the model's predictions in its first column.

    The endpoint captures the probability it returns as the first column of each record, so the
    baseline Model Monitor compares the capture with must hold the same: preprocessing.py can only
    put the label there (no model exists yet), whose 0/1 distribution is not that of probabilities
    and makes the drift check on that column fail on clean traffic.
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
        frame[frame.columns[0]] = predict(booster, frame.iloc[:, 1:]).astype(float)
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
    features, labels = read_test_data(args.test_dir)
    write_report(compute_metrics(labels, predict(booster, features)), args.output_dir)
    write_prediction_baseline(booster, args.baseline_input_dir, args.baseline_output_dir)


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
