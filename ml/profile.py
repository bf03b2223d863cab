"""Data profile (exploratory data analysis) of a run's raw data: the pipeline's first processing step.

Reads every *.csv under --input-dir (or the one --input-file of the local CLI) and writes to
--output-dir:
    profile.html    self-contained report: inline CSS, charts as embedded PNG data: URIs, no URL
    profile.json    the same facts, shape version 1:
                    {"version": 1, "problemType": "binary", "dataset": {...}, "label": {...},
                     "columns": [...], "correlations": [...], "featureProcessing": {...}, "warnings": [...]}
                    (documented in ml/README.md; numbers are JSON numbers, undefined ones null)

--problem-type (and --num-classes) are preprocessing.py's, and say what the label holds:
    binary       (default) 0/1; the label section counts each value, a class below 10 % warns
    multiclass   whole numbers 0 to --num-classes - 1; the label section counts each class, a class
                 without rows (preprocessing.py fails) or below 10 % (below 50/K % for K > 5) or one
                 above 90 % warns; correlations use no Pearson r (see correlations())
    regression   finite numbers; the label section holds the label's statistics, quantiles and
                 histogram; a constant label or one with fewer than 10 distinct values warns
Label values the problem type does not allow, like a missing label column, fail with preprocessing.py's
message (exit 1); rows without a label are counted, as preprocessing.py drops them.

Besides per-column statistics it reports what preprocessing.py's feature rules will do to this data
(rows dropped, values imputed, one-hot columns, feature count) and warns about data that needs a look.

Charts need matplotlib (Agg canvas, no pyplot); without it the profile is written with no charts and
a warning, since SageMaker's scikit-learn 1.2-1 image does not install matplotlib.

Self-contained on purpose: SageMaker ships only this file into the container.
"""
import argparse
import base64
import datetime
import html
import io
import json
import logging
import math
import os
import sys

import numpy as np
import pandas as pd

try:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
except ImportError:
    Figure = None

logger = logging.getLogger("profile")

# The local loop runs this script outside a container: it sets CDK_MLOPS_CONTAINER_ROOT to a folder
# that stands for the container's "/", and the /opt/ml/... defaults are read below it.
CONTAINER_ROOT = os.environ.get("CDK_MLOPS_CONTAINER_ROOT", "")

VERSION = 1
PROBLEM_TYPES = ("binary", "multiclass", "regression")
HISTOGRAM_BINS = 20
HIGH_MISSING_SHARE = 0.5
# Beyond 90/10 the minority class is thin enough to distort training and the 0.5-threshold metrics.
IMBALANCE_SHARE = 0.1
# A regression label with fewer distinct values looks like classes.
MIN_REGRESSION_DISTINCT = 10
REGRESSION_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
KIND_COLORS = {"numeric": "#4c72b0", "categorical": "#dd8452", "label": "#55a868"}


class DataError(Exception):
    """Input data the script cannot profile; reported as one line and exit code 1."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Data profile of the churn pipeline's raw data.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--input-dir", default=CONTAINER_ROOT + "/opt/ml/processing/input/raw",
                        help="every *.csv below it, sub-folders too; all must have the same header")
    source.add_argument("--input-file", help="one CSV file instead of --input-dir")
    parser.add_argument("--output-dir", default=CONTAINER_ROOT + "/opt/ml/processing/profile")
    parser.add_argument("--label-column", default="churn")
    parser.add_argument("--problem-type", choices=PROBLEM_TYPES, default="binary",
                        help="what the label holds, as preprocessing.py's --problem-type")
    parser.add_argument("--num-classes", type=int, help="number of classes K (multiclass only): labels 0 to K-1")
    parser.add_argument("--max-categories", type=int, default=20,
                        help="values shown per categorical column; the rest are grouped as 'other'")
    args = parser.parse_args(argv)
    if args.max_categories < 1:
        parser.error("--max-categories must be at least 1, got %d" % args.max_categories)
    # preprocessing.py's checks and messages.
    if args.problem_type == "multiclass" and args.num_classes is None:
        parser.error("--problem-type multiclass needs --num-classes K (the labels are 0 to K-1)")
    if args.problem_type == "multiclass" and args.num_classes < 2:
        parser.error("--num-classes must be at least 2, got %d" % args.num_classes)
    if args.problem_type != "multiclass" and args.num_classes is not None:
        parser.error("--num-classes is only for --problem-type multiclass, got --problem-type %s" % args.problem_type)
    return args


def csv_paths(args):
    if args.input_file is not None:
        if not os.path.isfile(args.input_file):
            raise DataError("input file %s not found" % args.input_file)
        return [args.input_file]
    paths = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(args.input_dir)
        for name in names
        if name.lower().endswith(".csv")
    )
    if not paths:
        raise DataError("no CSV files found under input directory %s" % args.input_dir)
    return paths


def read_csv(path):
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DataError("CSV file %s is empty" % path)


def read_input(paths):
    frames = [read_csv(path) for path in paths]
    expected = list(frames[0].columns)
    for path, frame in zip(paths[1:], frames[1:]):
        if list(frame.columns) != expected:
            raise DataError(
                "CSV file %s has columns %s, but %s has %s" % (path, list(frame.columns), paths[0], expected)
            )
    # Concatenated before typing columns, as preprocessing.py does, so both infer the same dtypes.
    return pd.concat(frames, ignore_index=True), [len(frame) for frame in frames]


def read_labels(frame, label_column, problem_type="binary", num_classes=None):
    """The label as numbers, NaN where missing; the checks and messages are preprocessing.py's
    (binary_labels, class_labels, regression_labels) for the labelled rows. What preprocessing.py
    refuses about the labels as a whole (a binary label with one value, a class without rows) is a
    warning here, so that the profile shows the data that caused it."""
    if label_column not in frame.columns:
        raise DataError("label column '%s' not found; columns are %s" % (label_column, list(frame.columns)))
    raw = frame[label_column]
    labels = pd.to_numeric(raw, errors="coerce")
    if problem_type == "binary":
        invalid = raw[raw.notna() & (labels.isna() | ~labels.isin([0, 1]))]
        message = "label column '%s' must be binary (0 or 1); found other values such as %s"
        details = (label_column,)
    elif problem_type == "multiclass":
        invalid = raw[raw.notna() & (labels.isna() | ~labels.isin(range(num_classes)))]
        message = ("label column '%s' must hold whole numbers 0 to %d for --num-classes %d; found other values "
                   "such as %s")
        details = (label_column, num_classes - 1, num_classes)
    else:
        invalid = raw[raw.notna() & (labels.isna() | ~np.isfinite(labels.fillna(0)))]
        message = "label column '%s' must hold finite numbers for regression; found other values such as %s"
        details = (label_column,)
    if len(invalid):
        raise DataError(message % (details + (sorted(invalid.astype(str).unique())[:5],)))
    return labels


def column_kinds(frame, label_column):
    # preprocessing.py's rule: a numeric pandas dtype makes a numeric feature, any other a categorical one.
    return {
        column: "label" if column == label_column
        else "numeric" if pd.api.types.is_numeric_dtype(frame[column]) else "categorical"
        for column in frame.columns
    }


def share(count, total):
    return count / total if total else None


def feature_processing(frame, labels, kinds):
    """What preprocessing.py does to this data. Mirrors its clean_label, fit_features and
    transform_features (this script is self-contained, so keep the two in step): rows without a label
    are dropped; numeric columns keep their values, missing ones imputed with the median; every other
    column becomes one 0/1 column per value, `<column>_<value>` with values sorted as strings, a missing
    value all zeros; no column is dropped, the label becomes the target. preprocessing.py learns
    medians and values on the training split: here they come from every labelled row, so the medians
    are estimates, and a rare value could miss the training split and get no column there."""
    labelled = frame[labels.notna()]
    numeric = [column for column, kind in kinds.items() if kind == "numeric"]
    categorical = [column for column, kind in kinds.items() if kind == "categorical"]
    one_hot = {
        column: ["%s_%s" % (column, value) for value in sorted(labelled[column].dropna().astype(str).unique())]
        for column in categorical
    }
    features = numeric + [name for column in categorical for name in one_hot[column]]
    return {
        "rowsDropped": int(labels.isna().sum()),
        "rowsKept": len(labelled),
        "imputed": [
            {"column": column, "missingValues": int(labelled[column].isna().sum()),
             "approxMedian": labelled[column].astype(float).median()}
            for column in numeric
        ],
        "oneHot": [
            {"column": column, "columns": one_hot[column], "missingValues": int(labelled[column].isna().sum())}
            for column in categorical
        ],
        "droppedColumns": [],
        "target": next(column for column, kind in kinds.items() if kind == "label"),
        "featureColumns": features,
        "featureCount": len(features),
    }


def top_values(values, rows, max_categories):
    """The most frequent values (ties by value) and the rest as one 'other' group; shares of all rows."""
    counts = sorted(values.astype(str).value_counts().items(), key=lambda item: (-item[1], item[0]))
    top = [{"value": value, "count": int(count), "share": share(count, rows)}
           for value, count in counts[:max_categories]]
    rest = counts[max_categories:]
    other = None
    if rest:
        count = sum(count for _, count in rest)
        other = {"distinct": len(rest), "count": int(count), "share": share(count, rows)}
    return top, other


def profile_column(series, kind, max_categories):
    present = series.dropna()
    missing = len(series) - len(present)
    entry = {
        "name": series.name,
        "kind": kind,
        "dtype": str(series.dtype),
        "missing": missing,
        "missingShare": share(missing, len(series)),
        "distinct": int(present.nunique()),
    }
    if kind == "numeric":
        values = present.astype(float)
        entry["stats"] = {
            "min": values.min(), "q1": values.quantile(0.25), "median": values.median(),
            "q3": values.quantile(0.75), "max": values.max(), "mean": values.mean(), "std": values.std(),
        }
        entry["histogram"] = histogram(values)
    elif kind == "categorical":
        entry["topValues"], entry["otherValues"] = top_values(present, len(series), max_categories)
    return entry


def histogram(values):
    """Counts in up to HISTOGRAM_BINS equal bins of the finite values; None without any (pandas reads
    "inf" as infinity, which has no bin)."""
    finite = values[np.isfinite(values)]
    if not len(finite):
        return None
    counts, edges = np.histogram(finite, bins=min(HISTOGRAM_BINS, finite.nunique()))
    return {"edges": edges.tolist(), "counts": counts.tolist()}


def profile_label(labels, label_column, problem_type="binary", num_classes=None):
    """Binary and multiclass: rows and share of each class (0 and 1, or 0 to K-1); regression: the
    label's distribution."""
    present = labels.dropna()
    label = {"column": label_column}
    if problem_type == "multiclass":
        label["numClasses"] = num_classes
    label["rowsWithLabel"] = len(present)
    label["rowsWithoutLabel"] = int(labels.isna().sum())
    if problem_type == "regression":
        values = present.astype(float)
        label["distinct"] = int(values.nunique())
        label["stats"] = {"min": values.min(), "max": values.max(), "mean": values.mean(), "std": values.std()}
        label["quantiles"] = {"p%d" % round(100 * q): values.quantile(q) for q in REGRESSION_QUANTILES}
        label["histogram"] = histogram(values)
        return label
    classes = range(num_classes) if problem_type == "multiclass" else (0, 1)
    counts = {value: int((present == value).sum()) for value in classes}
    label["values"] = [{"value": value, "count": count, "share": share(count, len(present))}
                       for value, count in counts.items()]
    return label


def correlation_ratio(values, groups):
    """The correlation ratio eta of values by groups: the square root of the share of the values'
    variance that lies between the groups' means, 0 (every group has the same mean) to 1 (each group
    holds one value). NaN without variance or with fewer than two groups. For two groups it equals
    |Pearson r| of the values with the 0/1 group indicator."""
    finite = np.isfinite(values)
    values, groups = values[finite], groups[finite]
    if groups.nunique() < 2:
        return math.nan
    total = ((values - values.mean()) ** 2).sum()
    if not total > 0:
        return math.nan
    means = values.groupby(groups).transform("mean")
    return math.sqrt(min(1.0, ((means - values.mean()) ** 2).sum() / total))


def cramers_v(first, second):
    """Cramer's V of two categorical series: chi-square of their contingency table scaled to 0 (no
    association) to 1; NaN when either has fewer than two values."""
    table = pd.crosstab(first, second).to_numpy(dtype=float)
    if min(table.shape) < 2:
        return math.nan
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    chi2 = ((table - expected) ** 2 / expected).sum()
    return math.sqrt(chi2 / (table.sum() * (min(table.shape) - 1)))


def by_value(y, values, max_categories):
    """The labelled rows grouped by the column's value (missing values left out), largest groups first
    (ties by value), at most max_categories of them; with the label values and their groups."""
    present = values.notna()
    y, keys = y[present], values[present].astype(str)
    sizes = sorted(keys.value_counts().items(), key=lambda item: (-item[1], item[0]))
    return y, keys, [(value, int(size), y[keys == value]) for value, size in sizes[:max_categories]]


def correlations(frame, labels, kinds, max_categories, problem_type="binary"):
    """Each feature's association with the label, strongest first ("strength"; NaN for a constant
    column or label sorts last). "value" is the figure named by "measure".

    binary      numeric: Pearson r with the 0/1 label ("pearson", strength |r|); categorical: the
                label rate (share of 1) per value and, as value and strength, the spread between the
                highest and lowest rate among the shown values ("labelRateSpread", "labelRates").
    multiclass  the class numbers are names, not amounts, so neither Pearson r nor a mean class is
                meaningful. Numeric: the correlation ratio eta of the column by class ("correlationRatio",
                how far the classes' means of the column lie apart, 0 to 1); categorical: Cramer's V of
                the column and the class ("cramersV", 0 to 1), with the most frequent class of each shown
                value and its share of the value's rows ("topClasses").
    regression  numeric: Pearson r with the label, as binary; categorical: the mean label per shown value
                ("labelMeans") and, as value, the spread between the highest and lowest mean, in the
                label's units ("labelMeanSpread"). Since that spread is not on the scale of |r| (minutes
                or dollars, not 0 to 1), the strength that ranks it is the correlation ratio eta of the
                label by the column's values, which is: 0 to 1, and |r| of the value indicator for two
                values.
    """
    labelled = labels.notna()
    y = labels[labelled]
    result = []
    for column, kind in kinds.items():
        values = frame.loc[labelled, column]
        if kind == "numeric" and problem_type == "multiclass":
            eta = correlation_ratio(values.astype(float), y)
            result.append({"column": column, "kind": kind, "measure": "correlationRatio", "value": eta,
                           "strength": eta})
        elif kind == "numeric":
            pearson = values.astype(float).corr(y)
            result.append({"column": column, "kind": kind, "measure": "pearson", "value": pearson,
                           "strength": abs(pearson)})
        elif kind == "categorical" and problem_type == "multiclass":
            present_y, keys, groups = by_value(y, values, max_categories)
            top = []
            for value, size, group in groups:
                counts = group.value_counts()
                best = min(counts[counts == counts.max()].index)
                top.append({"value": value, "rows": size, "topClass": int(best),
                            "topClassShare": share(int(counts[best]), size)})
            strength = cramers_v(keys, present_y)
            result.append({"column": column, "kind": kind, "measure": "cramersV", "value": strength,
                           "strength": strength, "topClasses": top})
        elif kind == "categorical" and problem_type == "regression":
            present_y, keys, groups = by_value(y, values, max_categories)
            means = [{"value": value, "rows": size, "labelMean": group.mean()} for value, size, group in groups]
            spread = max(m["labelMean"] for m in means) - min(m["labelMean"] for m in means) if means else math.nan
            result.append({"column": column, "kind": kind, "measure": "labelMeanSpread", "value": spread,
                           "strength": correlation_ratio(present_y.astype(float), keys), "labelMeans": means})
        elif kind == "categorical":
            present = values.notna()
            groups = y[present].groupby(values[present].astype(str)).agg(["size", "mean"])
            ranked = sorted(groups.itertuples(), key=lambda row: (-row.size, row.Index))
            rates = [{"value": row.Index, "rows": int(row.size), "labelRate": row.mean}
                     for row in ranked[:max_categories]]
            spread = max(r["labelRate"] for r in rates) - min(r["labelRate"] for r in rates) if rates else math.nan
            result.append({"column": column, "kind": kind, "measure": "labelRateSpread", "value": spread,
                           "strength": spread, "labelRates": rates})
    # NaN (a constant column or label) sorts last.
    return sorted(result, key=lambda entry: (math.isnan(entry["strength"]),
                                             0 if math.isnan(entry["strength"]) else -entry["strength"],
                                             entry["column"]))


def find_warnings(dataset, label, columns, max_categories, problem_type="binary"):
    warnings = []

    def warn(check, column, message):
        warnings.append({"check": check, "column": column, "message": message})

    for entry in columns:
        if entry["kind"] == "label":
            continue
        name = entry["name"]
        if entry["missingShare"] is not None and entry["missingShare"] > HIGH_MISSING_SHARE:
            warn("highMissing", name, "column '%s' is %.1f %% missing" % (name, 100 * entry["missingShare"]))
        if entry["distinct"] <= 1:
            warn("constant", name, "column '%s' has %s" % (
                name, "no values" if entry["distinct"] == 0 else "a single value: it cannot inform the model"))
        if entry["kind"] == "categorical" and entry["distinct"] > max_categories:
            warn("manyCategories", name, "categorical column '%s' has %d distinct values: preprocessing.py "
                 "makes a one-hot column of each" % (name, entry["distinct"]))
    column = label["column"]
    if label["rowsWithoutLabel"]:
        warn("unlabelledRows", column, "%d row(s) have no '%s' value: preprocessing.py drops them"
             % (label["rowsWithoutLabel"], column))
    if problem_type == "multiclass":
        class_warnings(label, warn)
    elif problem_type == "regression":
        regression_warnings(label, warn)
    else:
        binary_warnings(label, warn)
    if dataset["duplicateRows"]:
        warn("duplicateRows", None, "%d row(s) duplicate an earlier row in every column" % dataset["duplicateRows"])
    if Figure is None:
        warn("noCharts", None, "matplotlib is not installed: profile.html has no charts")
    return warnings


def binary_warnings(label, warn):
    column = label["column"]
    counts = {entry["value"]: entry["count"] for entry in label["values"]}
    if not label["rowsWithLabel"]:
        warn("labelImbalance", column, "no row has a '%s' value: preprocessing.py fails" % column)
    elif min(counts.values()) == 0:
        warn("labelImbalance", column, "label column '%s' holds only %d: preprocessing.py fails, it needs "
             "both 0 and 1" % (column, max(counts, key=counts.get)))
    elif min(entry["share"] for entry in label["values"]) < IMBALANCE_SHARE:
        warn("labelImbalance", column, "label column '%s' is imbalanced beyond 90/10: %s" % (column, ", ".join(
            "%.1f %% %d" % (100 * entry["share"], entry["value"]) for entry in label["values"])))


def class_imbalance_share(num_classes):
    """The share below which a class is thin: IMBALANCE_SHARE, or half of an even split's share for
    more than 5 classes, so that evenly spread classes do not warn (each of 10 holds 10 %)."""
    return min(IMBALANCE_SHARE, 0.5 / num_classes)


def class_warnings(label, warn):
    """preprocessing.py needs rows of every class 0 to K-1 (in every split); a class below
    class_imbalance_share or one above 90 % is imbalance."""
    column = label["column"]
    last = label["numClasses"] - 1
    empty = [entry["value"] for entry in label["values"] if entry["count"] == 0]
    shares = [entry["share"] for entry in label["values"]]
    thin = class_imbalance_share(label["numClasses"])
    if not label["rowsWithLabel"]:
        warn("labelImbalance", column, "no row has a '%s' value: preprocessing.py fails" % column)
    elif empty:
        warn("labelImbalance", column, "label column '%s' has no row of class %s: preprocessing.py fails, it needs "
             "rows of every class 0 to %d" % (column, ", ".join(str(value) for value in empty), last))
    elif min(shares) < thin or max(shares) > 1 - IMBALANCE_SHARE:
        warn("labelImbalance", column, "label column '%s' is imbalanced (a class below %.3g %% or one above 90 %%): "
             "%s" % (column, 100 * thin, ", ".join("%.1f %% %d" % (100 * entry["share"], entry["value"])
                                                   for entry in label["values"])))


def regression_warnings(label, warn):
    """No balance to check; a label with no, one or only a few distinct values is suspect."""
    column = label["column"]
    distinct = label["distinct"]
    if not label["rowsWithLabel"]:
        warn("labelConstant", column, "no row has a '%s' value: preprocessing.py fails" % column)
    elif distinct == 1:
        warn("labelConstant", column, "label column '%s' holds only %s: a constant label leaves nothing to learn"
             % (column, fmt(label["stats"]["min"])))
    elif distinct < MIN_REGRESSION_DISTINCT:
        warn("labelCategorical", column, "label column '%s' has only %d distinct values: it looks categorical, is "
             "--problem-type regression right?" % (column, distinct))


def build_profile(args):
    paths = csv_paths(args)
    frame, rows_per_file = read_input(paths)
    source = args.input_file if args.input_file is not None else args.input_dir
    logger.info("read %d rows from %d CSV file(s) under %s", len(frame), len(paths), source)
    labels = read_labels(frame, args.label_column, args.problem_type, args.num_classes)
    kinds = column_kinds(frame, args.label_column)
    dataset = {
        "source": source,
        "files": [
            {"path": path if args.input_file is not None else os.path.relpath(path, args.input_dir), "rows": rows}
            for path, rows in zip(paths, rows_per_file)
        ],
        "rows": len(frame),
        "columns": frame.shape[1],
        "duplicateRows": int(frame.duplicated().sum()),
        "generatedAt": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    label = profile_label(labels, args.label_column, args.problem_type, args.num_classes)
    columns = [profile_column(frame[column], kind, args.max_categories) for column, kind in kinds.items()]
    return {
        "version": VERSION,
        "problemType": args.problem_type,
        "dataset": dataset,
        "label": label,
        "columns": columns,
        "correlations": correlations(frame, labels, kinds, args.max_categories, args.problem_type),
        "featureProcessing": feature_processing(frame, labels, kinds),
        "warnings": find_warnings(dataset, label, columns, args.max_categories, args.problem_type),
    }


def jsonable(value):
    """Plain JSON types; NaN and infinities (undefined statistics) become null."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(item) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


# Charts ------------------------------------------------------------------------------------------

def figure(height=2.6):
    chart = Figure(figsize=(5.2, height), dpi=80)
    axes = chart.subplots()
    axes.spines["top"].set_visible(False)
    axes.spines["right"].set_visible(False)
    return chart, axes


def data_uri(chart):
    buffer = io.BytesIO()
    canvas = FigureCanvasAgg(chart)
    chart.tight_layout()
    # The default Software entry carries matplotlib's URL; the report holds none.
    canvas.print_png(buffer, metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def bars(labels, values, color, xlabel):
    """Horizontal bars, first label on top; the figure grows with the number of bars."""
    chart, axes = figure(0.9 + 0.24 * len(labels))
    positions = np.arange(len(labels))
    axes.barh(positions, values, color=color)
    axes.set_yticks(positions)
    axes.set_yticklabels([text if len(text) <= 28 else text[:27] + "…" for text in labels])
    axes.invert_yaxis()
    axes.set_xlabel(xlabel)
    return data_uri(chart)


def histogram_chart(counts, name, color):
    if counts is None:
        return None
    chart, axes = figure()
    edges = np.array(counts["edges"])
    axes.bar(edges[:-1], counts["counts"], width=np.diff(edges), align="edge", color=color, edgecolor="white")
    axes.set_xlabel(name)
    axes.set_ylabel("rows")
    return data_uri(chart)


def column_chart(entry):
    if entry["kind"] == "numeric":
        return histogram_chart(entry["histogram"], entry["name"], KIND_COLORS["numeric"])
    groups = entry["topValues"] + ([{"value": "other (%d values)" % entry["otherValues"]["distinct"],
                                     "count": entry["otherValues"]["count"]}] if entry["otherValues"] else [])
    if not groups:
        return None
    return bars([group["value"] for group in groups], [group["count"] for group in groups],
                KIND_COLORS["categorical"], "rows")


def label_chart(label):
    """A bar per class (0 and 1, or 0 to K-1); for regression the label's histogram."""
    if not label["rowsWithLabel"]:
        return None
    if "values" not in label:
        return histogram_chart(label["histogram"], label["column"], KIND_COLORS["label"])
    chart, axes = figure()
    classes = [entry["value"] for entry in label["values"]]
    axes.bar(classes, [entry["count"] for entry in label["values"]], color=KIND_COLORS["label"])
    axes.set_xticks(classes)
    axes.set_xlabel(label["column"])
    axes.set_ylabel("rows")
    return data_uri(chart)


# What each measure's bar is labelled with (for labelMeanSpread the strength is eta), and the x axis.
STRENGTH_NAMES = {"pearson": "r", "labelRateSpread": "rate spread", "correlationRatio": "η", "cramersV": "V",
                  "labelMeanSpread": "η"}
STRENGTH_AXES = {"binary": "strength: |Pearson r| or label-rate spread",
                 "multiclass": "strength: correlation ratio η or Cramér's V",
                 "regression": "strength: |Pearson r| or correlation ratio η"}


def correlation_chart(entries, problem_type="binary"):
    shown = [entry for entry in entries if entry["strength"] is not None]
    if not shown:
        return None
    names = ["%s (%s)" % (entry["column"], STRENGTH_NAMES[entry["measure"]]) for entry in shown]
    return bars(names, [entry["strength"] for entry in shown], [KIND_COLORS[entry["kind"]] for entry in shown],
                STRENGTH_AXES[problem_type])


def charts(profile):
    """One PNG data: URI per column (the label's is the balance chart, or for regression its histogram)
    and one of the correlations."""
    if Figure is None:
        return {}
    result = {entry["name"]: column_chart(entry) for entry in profile["columns"] if entry["kind"] != "label"}
    result[profile["label"]["column"]] = label_chart(profile["label"])
    result[None] = correlation_chart(profile["correlations"], profile["problemType"])
    return result


# HTML --------------------------------------------------------------------------------------------

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 70em;
       color: #222; padding: 0 1em; }
h1 { margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ccc; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; } td, th { padding: 0.2em 0.8em; text-align: left; }
th { background: #f0f0f0; } tr:nth-child(even) td { background: #fafafa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
.columns { display: flex; flex-wrap: wrap; gap: 1em; }
.column { border: 1px solid #ddd; border-radius: 4px; padding: 0 1em 1em; flex: 1 1 30em; }
.kind { font-size: 0.8em; color: #fff; border-radius: 3px; padding: 0.1em 0.4em; vertical-align: middle; }
.numeric { background: #4c72b0; } .categorical { background: #dd8452; } .label { background: #55a868; }
.warning { color: #8a4b00; } .muted { color: #777; }
"""


def esc(value):
    return html.escape(str(value))


def fmt(value):
    if value is None:
        return "–"
    if isinstance(value, int):
        return "{:,}".format(value)
    return "%.4g" % value


def pct(value):
    return "–" if value is None else "%.1f %%" % (100 * value)


def table(header, rows):
    """rows of cells; a number or None is right-aligned and formatted, anything else escaped; no
    header row when header is None."""
    def cell(value):
        if value is None or isinstance(value, (int, float)):
            return '<td class="n">%s</td>' % fmt(value)
        return "<td>%s</td>" % esc(value)
    head = "<tr>%s</tr>" % "".join("<th>%s</th>" % esc(title) for title in header) if header else ""
    body = "".join("<tr>%s</tr>" % "".join(cell(value) for value in row) for row in rows)
    return "<table>%s%s</table>" % (head, body)


def image(uri, alt):
    return '<p><img src="%s" alt="%s"></p>' % (uri, esc(alt)) if uri else ""


def problem_type_text(profile):
    if profile["problemType"] == "multiclass":
        return "multiclass (%d classes)" % profile["label"]["numClasses"]
    return profile["problemType"]


def dataset_html(dataset, problem_type):
    rows = [("problem type", problem_type), ("source", dataset["source"]), ("rows", dataset["rows"]),
            ("columns", dataset["columns"]),
            ("duplicate rows", dataset["duplicateRows"]), ("generated at (UTC)", dataset["generatedAt"])]
    files = table(["file", "rows"], [(entry["path"], entry["rows"]) for entry in dataset["files"]])
    return "<h2>Dataset</h2>%s%s" % (table(None, rows), files)


def warnings_html(warnings):
    items = "".join('<li class="warning">%s</li>' % esc(entry["message"]) for entry in warnings)
    return "<h2>Warnings</h2>%s" % ("<ul>%s</ul>" % items if items else "<p>None.</p>")


def label_html(label, uri):
    if "values" not in label:
        stats = label["stats"]
        rows = [("labelled rows", label["rowsWithLabel"]), ("distinct", label["distinct"]),
                ("min", stats["min"]), ("max", stats["max"]), ("mean", stats["mean"]), ("std", stats["std"])]
        rows += [("quantile %s %%" % name[1:], value) for name, value in label["quantiles"].items()]
        facts, alt = table(None, rows), "label distribution"
    else:
        rows = [(str(entry["value"]), entry["count"], pct(entry["share"])) for entry in label["values"]]
        facts, alt = table(["value", "rows", "share of labelled rows"], rows), "label balance"
    return "<h2>Label <code>%s</code></h2>%s<p>Rows without a label: %s (of %s).</p>%s" % (
        esc(label["column"]), facts, fmt(label["rowsWithoutLabel"]),
        fmt(label["rowsWithLabel"] + label["rowsWithoutLabel"]), image(uri, alt))


CORRELATIONS_NOTES = {
    "binary": "Strength: |Pearson r| with the 0/1 label for numeric columns; for categorical ones the spread "
              "between the highest and lowest label rate (share of 1) of its values.",
    "multiclass": "The class numbers are names, not amounts, so no Pearson r. Strength: for numeric columns the "
                  "correlation ratio η (how far apart the classes' means of the column lie, 0 to 1); for "
                  "categorical ones Cramér's V of the column and the class (0 to 1), with the most frequent class "
                  "of each value.",
    "regression": "Strength: |Pearson r| with the label for numeric columns; for categorical ones the correlation "
                  "ratio η of the label by the column's values (0 to 1, for two values the |r| of one), with the "
                  "mean label of each value and the spread between the highest and lowest mean.",
}


def correlation_detail(entry):
    if entry["measure"] == "pearson":
        return "Pearson r = %s" % fmt(entry["value"])
    if entry["measure"] == "correlationRatio":
        return "η = %s" % fmt(entry["value"])
    if entry["measure"] == "cramersV":
        return "V = %s; most frequent class: %s" % (fmt(entry["value"]), ", ".join(
            "%s %d (%s of %d rows)" % (top["value"], top["topClass"], pct(top["topClassShare"]), top["rows"])
            for top in entry["topClasses"]))
    if entry["measure"] == "labelMeanSpread":
        return "mean label: %s; spread %s" % (", ".join(
            "%s %s (%d rows)" % (mean["value"], fmt(mean["labelMean"]), mean["rows"]) for mean in entry["labelMeans"]),
            fmt(entry["value"]))
    rates = ["%s %s (%d rows)" % (rate["value"], pct(rate["labelRate"]), rate["rows"]) for rate in entry["labelRates"]]
    return "label rate: " + ", ".join(rates)


def correlations_html(entries, uri, problem_type="binary"):
    rows = [(entry["column"], entry["kind"], entry["strength"], correlation_detail(entry)) for entry in entries]
    return ("<h2>Correlations with the label</h2><p class=\"muted\">%s Strongest first.</p>%s%s" % (
        CORRELATIONS_NOTES[problem_type], table(["column", "kind", "strength", "detail"], rows),
        image(uri, "correlations with the label")))


def feature_processing_html(processing):
    imputed = table(["numeric column", "values to impute", "median (all labelled rows)"], [
        (entry["column"], entry["missingValues"], entry["approxMedian"]) for entry in processing["imputed"]])
    one_hot = table(["categorical column", "one-hot columns", "missing (all zeros)"], [
        (entry["column"], ", ".join(entry["columns"]), entry["missingValues"]) for entry in processing["oneHot"]])
    return (
        "<h2>Feature processing</h2>"
        "<p class=\"muted\">What preprocessing.py's rules do to this data. It learns medians and category values "
        "on the training split; here they come from every labelled row, so the medians are estimates.</p>"
        "<p>Rows dropped (no label): %s; rows kept: %s.</p>%s%s"
        "<p>Columns dropped: %s; <code>%s</code> becomes the target.</p>"
        "<p>Features: %s, in this order: <code>%s</code>.</p>" % (
            fmt(processing["rowsDropped"]), fmt(processing["rowsKept"]), imputed, one_hot,
            esc(", ".join(processing["droppedColumns"])) or "none", esc(processing["target"]),
            fmt(processing["featureCount"]), esc(", ".join(processing["featureColumns"]))))


def column_html(entry, uri, problem_type="binary"):
    facts = [("dtype", entry["dtype"]), ("missing", "%s (%s)" % (fmt(entry["missing"]), pct(entry["missingShare"]))),
             ("distinct", entry["distinct"])]
    if entry["kind"] == "numeric":
        facts += list(entry["stats"].items())
        details = ""
    elif entry["kind"] == "categorical":
        rows = [(value["value"], value["count"], pct(value["share"])) for value in entry["topValues"]]
        if entry["otherValues"]:
            other = entry["otherValues"]
            rows.append(("other (%d values)" % other["distinct"], other["count"], pct(other["share"])))
        details = table(["value", "rows", "share"], rows)
    else:
        details = '<p class="muted">The label: see its %s above.</p>' % (
            "distribution" if problem_type == "regression" else "balance")
    return '<div class="column"><h3>%s <span class="kind %s">%s</span></h3>%s%s%s</div>' % (
        esc(entry["name"]), esc(entry["kind"]), esc(entry["kind"]), table(None, facts), details,
        image(uri, "distribution of %s" % entry["name"]))


def render_html(profile, uris):
    label_column = profile["label"]["column"]
    columns = "".join(column_html(entry, uris.get(entry["name"]) if entry["kind"] != "label" else None,
                                  profile["problemType"]) for entry in profile["columns"])
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Data profile</title>'
        "<style>%s</style></head><body><h1>Data profile</h1>%s%s%s%s%s<h2>Columns</h2><div class=\"columns\">%s"
        "</div></body></html>\n" % (
            STYLE, dataset_html(profile["dataset"], problem_type_text(profile)), warnings_html(profile["warnings"]),
            label_html(profile["label"], uris.get(label_column)),
            correlations_html(profile["correlations"], uris.get(None), profile["problemType"]),
            feature_processing_html(profile["featureProcessing"]), columns))


def write_outputs(profile, output_dir):
    os.makedirs(output_dir, exist_ok=True)
    with open(os.path.join(output_dir, "profile.json"), "w") as handle:
        # allow_nan=False: a NaN that escaped jsonable fails here instead of writing invalid JSON.
        json.dump(profile, handle, indent=2, allow_nan=False)
        handle.write("\n")
    uris = charts(profile)
    with open(os.path.join(output_dir, "profile.html"), "w", encoding="utf-8") as handle:
        handle.write(render_html(profile, uris))
    logger.info("wrote profile.html (%d charts) and profile.json to %s",
                sum(1 for uri in uris.values() if uri), output_dir)


def run(args):
    profile = jsonable(build_profile(args))
    for entry in profile["warnings"]:
        logger.warning("%s", entry["message"])
    write_outputs(profile, args.output_dir)


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
