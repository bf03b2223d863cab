"""Feature processing for the pipeline (SageMaker Processing, scikit-learn 1.2-1 container).

Reads every *.csv under --input-dir (several files are fine: with more than one instance SageMaker
shards the S3 objects across instances), splits the rows into train/validation/test with a
seeded split, and writes what the built-in XGBoost algorithm reads: CSV, no header, label in the
first column, numeric features only.

--problem-type says what the label holds and how the rows are split:
    binary       (default) 0/1; split stratified on the label, so every split holds both values
    multiclass   whole numbers 0 to --num-classes - 1 (what multi:softmax trains on); split
                 stratified on the label, so every split holds every class
    regression   any finite number; split stratified on ten quantile bins of the label (fewer for
                 small data), so every split spans the label's range; every split needs 2 rows

Outputs under --output-dir:
    train/train.csv, validation/validation.csv, test/test.csv    label first, no header
    baseline/baseline.csv                                        with header: the label (as the output
                                                                 column, float), then the features
With several instances each file name gets the host as suffix (train/train-algo-2.csv) so that
instances do not overwrite each other's objects under the shared S3 output prefix.

Self-contained on purpose: SageMaker ships only this file into the container.
"""
import argparse
import json
import logging
import os
import sys

import numpy as np
import pandas as pd

logger = logging.getLogger("preprocessing")

# The local loop runs this script outside a container: it sets CDK_MLOPS_CONTAINER_ROOT to a folder
# that stands for the container's "/", and the /opt/ml/... defaults are read below it.
CONTAINER_ROOT = os.environ.get("CDK_MLOPS_CONTAINER_ROOT", "")

SPLITS = ("train", "validation", "test")
PROBLEM_TYPES = ("binary", "multiclass", "regression")
# Regression splits are stratified on this many quantile bins of the label, at most one bin per
# MIN_ROWS_PER_BIN rows, so each bin is large enough to reach every split.
REGRESSION_BINS = 10
MIN_ROWS_PER_BIN = 20
MIN_REGRESSION_SPLIT_ROWS = 2


class DataError(Exception):
    """Input data the script cannot process; reported as one line and exit code 1."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Feature processing for SageMaker Processing.")
    parser.add_argument("--input-dir", default=CONTAINER_ROOT + "/opt/ml/processing/input")
    parser.add_argument("--output-dir", default=CONTAINER_ROOT + "/opt/ml/processing")
    parser.add_argument("--label-column", default="churn")
    parser.add_argument("--problem-type", choices=PROBLEM_TYPES, default="binary")
    parser.add_argument("--num-classes", type=int, help="number of classes K (multiclass only): labels 0 to K-1")
    parser.add_argument("--train-ratio", type=float, default=0.7)
    parser.add_argument("--validation-ratio", type=float, default=0.15)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--resource-config",
        default=CONTAINER_ROOT + "/opt/ml/config/resourceconfig.json",
        help="SageMaker's host list; used only to name outputs uniquely when there are several hosts",
    )
    args = parser.parse_args(argv)
    # The tolerance catches sums that are 1 up to float rounding (1 - 0.7 - 0.3 is 5.6e-17).
    test_ratio = 1 - args.train_ratio - args.validation_ratio
    if args.train_ratio <= 0 or args.validation_ratio <= 0 or test_ratio <= 1e-9:
        parser.error(
            "--train-ratio and --validation-ratio must be above 0 and sum to less than 1, "
            "got %s and %s" % (args.train_ratio, args.validation_ratio)
        )
    if args.problem_type == "multiclass" and args.num_classes is None:
        parser.error("--problem-type multiclass needs --num-classes K (the labels are 0 to K-1)")
    if args.problem_type == "multiclass" and args.num_classes < 2:
        parser.error("--num-classes must be at least 2, got %d" % args.num_classes)
    if args.problem_type != "multiclass" and args.num_classes is not None:
        parser.error("--num-classes is only for --problem-type multiclass, got --problem-type %s" % args.problem_type)
    return args


def read_csv(path):
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError("CSV file %s is empty" % path)


def read_input(input_dir):
    paths = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(input_dir)
        for name in names
        if name.lower().endswith(".csv")
    )
    if not paths:
        raise DataError("no CSV files found under input directory %s" % input_dir)
    frames = [read_csv(path) for path in paths]
    expected = list(frames[0].columns)
    for path, frame in zip(paths[1:], frames[1:]):
        if list(frame.columns) != expected:
            raise DataError(
                "CSV file %s has columns %s, but %s has %s" % (path, list(frame.columns), paths[0], expected)
            )
    frame = pd.concat(frames, ignore_index=True)
    logger.info("read %d rows from %d CSV file(s) under %s", len(frame), len(paths), input_dir)
    return frame


def clean_label(frame, label_column, problem_type="binary", num_classes=None):
    if label_column not in frame.columns:
        raise DataError("label column '%s' not found; columns are %s" % (label_column, list(frame.columns)))
    missing = frame[label_column].isna()
    if missing.any():
        logger.warning("dropping %d row(s) with no '%s' value", int(missing.sum()), label_column)
        frame = frame[~missing].reset_index(drop=True)
    labels = pd.to_numeric(frame[label_column], errors="coerce")
    if problem_type == "binary":
        labels = binary_labels(frame[label_column], labels, label_column)
    elif problem_type == "multiclass":
        labels = class_labels(frame[label_column], labels, label_column, num_classes)
    else:
        labels = regression_labels(frame[label_column], labels, label_column)
    frame = frame.copy()
    frame[label_column] = labels
    return frame


def examples(values):
    """Up to five distinct offending values, as strings, for an error message."""
    return sorted(values.astype(str).unique())[:5]


def binary_labels(raw, labels, label_column):
    invalid = raw[labels.isna() | ~labels.isin([0, 1])]
    if len(invalid):
        raise DataError(
            "label column '%s' must be binary (0 or 1); found other values such as %s"
            % (label_column, examples(invalid))
        )
    if labels.nunique() < 2:
        raise DataError(
            "label column '%s' is not binary: it needs both 0 and 1, found only %s"
            % (label_column, sorted(labels.unique().tolist()))
        )
    return labels.astype(int)


def class_labels(raw, labels, label_column, num_classes):
    # multi:softmax and multi:softprob read the label as the class index 0..num_class-1.
    invalid = raw[labels.isna() | ~labels.isin(range(num_classes))]
    if len(invalid):
        raise DataError(
            "label column '%s' must hold whole numbers 0 to %d for --num-classes %d; found other values such as %s"
            % (label_column, num_classes - 1, num_classes, examples(invalid))
        )
    return labels.astype(int)


def regression_labels(raw, labels, label_column):
    invalid = raw[labels.isna() | ~np.isfinite(labels.fillna(0))]
    if len(invalid):
        raise DataError(
            "label column '%s' must hold finite numbers for regression; found other values such as %s"
            % (label_column, examples(invalid))
        )
    return labels.astype(float)


def strata(labels, problem_type):
    """What the split is stratified on: the label itself, or for regression its quantile bins."""
    if problem_type != "regression":
        return labels
    bins = max(1, min(REGRESSION_BINS, len(labels) // MIN_ROWS_PER_BIN))
    # Ranks, not values, so tied labels cannot collapse two bin edges into one.
    return pd.Series(pd.qcut(labels.rank(method="first"), bins, labels=False), index=labels.index)


def split_indices(labels, train_ratio, validation_ratio, seed):
    """Stratified split: each stratum (label value or label bin) is split in the same ratios."""
    rng = np.random.default_rng(seed)
    parts = {name: [] for name in SPLITS}
    for value in sorted(labels.unique()):
        indices = rng.permutation(np.flatnonzero(labels.to_numpy() == value))
        n_train = int(round(len(indices) * train_ratio))
        n_validation = int(round(len(indices) * validation_ratio))
        parts["train"].append(indices[:n_train])
        parts["validation"].append(indices[n_train:n_train + n_validation])
        parts["test"].append(indices[n_train + n_validation:])
    return {name: rng.permutation(np.concatenate(chunks)) for name, chunks in parts.items()}


def split_sizes(indices):
    return ", ".join("%s %d" % (split, len(indices[split])) for split in SPLITS)


def check_split(labels, indices, label_column, problem_type="binary", num_classes=None):
    if problem_type == "binary":
        for name in SPLITS:
            if labels.iloc[indices[name]].nunique() < 2:
                raise DataError(
                    "too few rows to split: %d rows (%d with %s=1) give %s; every split needs rows with "
                    "both label values" % (len(labels), int(labels.sum()), label_column, split_sizes(indices))
                )
    elif problem_type == "multiclass":
        for value in range(num_classes):
            counts = ", ".join("%s %d" % (name, int((labels.iloc[indices[name]] == value).sum())) for name in SPLITS)
            if any((labels.iloc[indices[name]] == value).sum() == 0 for name in SPLITS):
                raise DataError(
                    "too few rows to split: class %s=%d has %d of %d rows, which give %s; every split needs "
                    "rows of every class 0 to %d" % (label_column, value, int((labels == value).sum()), len(labels),
                                                     counts, num_classes - 1)
                )
    elif min(len(indices[name]) for name in SPLITS) < MIN_REGRESSION_SPLIT_ROWS:
        raise DataError(
            "too few rows to split: %d rows give %s; every split needs at least %d rows"
            % (len(labels), split_sizes(indices), MIN_REGRESSION_SPLIT_ROWS)
        )


def fit_features(train):
    """Learns imputation values and category levels from the training split only (no leakage)."""
    numeric = [c for c in train.columns if pd.api.types.is_numeric_dtype(train[c])]
    categorical = [c for c in train.columns if c not in numeric]
    return {
        "medians": {c: train[c].median() for c in numeric},
        "levels": {c: sorted(train[c].dropna().astype(str).unique()) for c in categorical},
    }


def transform_features(frame, spec):
    # No scaling: tree ensembles are insensitive to it, unscaled features keep the Model Monitor
    # baseline in business units, and shards cannot end up with different scales.
    columns = {}
    for column, median in spec["medians"].items():
        columns[column] = pd.to_numeric(frame[column], errors="coerce").fillna(median)
    for column, levels in spec["levels"].items():
        values = frame[column].astype(str).where(frame[column].notna())
        for level in levels:
            # Explicit 0/1 ints: pandas 2 get_dummies yields booleans, which XGBoost CSV cannot read.
            # Missing or unseen categories become all zeros.
            columns["%s_%s" % (column, level)] = (values == level).astype(int)
    return pd.DataFrame(columns, index=frame.index)


def output_suffix(resource_config):
    if not os.path.exists(resource_config):
        return ""
    with open(resource_config) as handle:
        config = json.load(handle)
    return "-%s" % config["current_host"] if len(config.get("hosts", [])) > 1 else ""


def write_csv(frame, directory, name, header):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    frame.to_csv(path, header=header, index=False)
    logger.info("wrote %d rows x %d columns to %s", len(frame), frame.shape[1], path)


def write_outputs(splits, label_column, output_dir, suffix):
    for name, frame in splits.items():
        write_csv(frame, os.path.join(output_dir, name), name + suffix + ".csv", header=False)
    write_csv(baseline_frame(splits["train"], label_column), os.path.join(output_dir, "baseline"),
              "baseline" + suffix + ".csv", header=True)


def baseline_frame(train, label_column):
    """The Model Monitor data-quality baseline: the training rows in the columns of a captured request.

    The endpoint captures its input and its output, and the monitoring job analyses both as one row.
    AWS's "Create a Baseline" page: the baseline's schema must match the inference data exactly (number
    and order of columns) and "the prediction/output column(s) are assumed to be the 1st column(s)"
    (https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-create-baseline.html). So the output
    column comes first, then the features in train.csv's order. Captured CSV carries no column names;
    statistics.json and constraints.json take theirs from this header (same page), so the output column
    keeps the label's name: it is the model's churn prediction.

    The built-in XGBoost endpoint returns one prediction per row (binary:logistic a probability,
    multi:softmax a class index, reg:squarederror a value), which the training data does not have (the
    model is trained after this step), so the label stands in for it; evaluation.py rewrites the column
    with the model's predictions. It is written as a float (0.0/1.0) so the analyzer infers the column
    as Fractional, the type of the captured probabilities; as Integral it would fail the data_type_check
    of every monitoring run. Its distribution (only 0 and 1) still differs from that of probabilities.
    """
    features = [column for column in train.columns if column != label_column]
    baseline = train[[label_column] + features].copy()
    baseline[label_column] = baseline[label_column].astype(float)
    return baseline


def run(args):
    frame = clean_label(read_input(args.input_dir), args.label_column, args.problem_type, args.num_classes)
    labels = frame[args.label_column]
    indices = split_indices(strata(labels, args.problem_type), args.train_ratio, args.validation_ratio, args.seed)
    check_split(labels, indices, args.label_column, args.problem_type, args.num_classes)
    raw = {name: frame.iloc[idx].reset_index(drop=True) for name, idx in indices.items()}
    spec = fit_features(raw["train"].drop(columns=[args.label_column]))
    splits = {
        name: pd.concat([part[[args.label_column]], transform_features(part, spec)], axis=1)
        for name, part in raw.items()
    }
    write_outputs(splits, args.label_column, args.output_dir, output_suffix(args.resource_config))


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
