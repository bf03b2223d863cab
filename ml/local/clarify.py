"""Local stand-in for the SageMaker Clarify processing container: pre-training bias only.

In AWS the pipeline runs the Clarify image (sagemaker-clarify-processing) as a processing step; the
local loop runs this script in its place. Like the container it takes no arguments and reads the
processing job's paths, each below CDK_MLOPS_CONTAINER_ROOT when that is set (as the other ml/
scripts do); the arguments exist for tests and the local loop:

    --dataset-dir   /opt/ml/processing/input/data     the "dataset" processing input: every file below
                    it, sub-folders too, in sorted path order (an S3 prefix of several objects arrives
                    as several files; the container also reads every object under the prefix)
    --config-dir    /opt/ml/processing/input/config   the "analysis_config" input: analysis_config.json
    --output-dir    /opt/ml/processing/output         the "analysis_result" output: analysis.json, and
                                                      <report name>.html when methods.report is set

Sources: "Configure a SageMaker Clarify Processing Job" (input names and local paths,
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-parameters.html),
"Analysis Configuration Files" (the keys below,
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-configure-analysis.html),
"Analysis Results" (analysis.json,
https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-processing-job-analysis-results.html) and
the metric pages linked from "Measure Pretraining Bias"
(https://docs.aws.amazon.com/sagemaker/latest/dg/clarify-measure-data-bias.html).

analysis_config.json keys read:
    dataset_type               "text/csv" (the only type emulated)
    headers                    optional column names. Given: no file has a header row and the names
                               are these, in order. Left out: every file's first row is its header (all
                               must agree). The container's further fallback (a dataset without header
                               rows and no headers gets column_0, column_1, ...) needs it to tell a
                               header from data, which this stand-in does not guess.
    label                      the label column: name or zero-based index
    label_values_or_threshold  a list of label values that are the positive outcome, or a threshold:
                               labels above it are positive ("applied as the lower bound")
    facet                      a list of {"name_or_index", "value_or_threshold"}: the sensitive group,
                               facet d, is the rows whose value is in the list, or above the threshold;
                               facet a is every other row (a missing value too). Without
                               value_or_threshold a categorical facet gives one result per value, each
                               against the rest
    group_variable             the column that forms the subgroups of CDDL: name or index
    methods.pre_training_bias.methods  "all" or a list of CI, DPL, KL, JS, LP, TVD, KS, CDDL
    methods.report             optional {"name", "title"}: an HTML page of the results
    version                    optional, "1.0"
A threshold is a number ("a threshold number"), or, as the SageMaker Python SDK writes it, a list of
one number when the column holds fractional values; on a column of whole numbers a list of one
number is that value (a 0/1 facet [1]). AWS's open-source smclarify library
(aws/amazon-sagemaker-clarify), on which the container's bias metrics rest, guesses by the column:
any float column, or an integer one with at least 5 % distinct values, is continuous, so there [1]
can also be a threshold on a small 0/1 column. Write a threshold as a bare number to be sure.
Which side the configured values are on follows the SDK's BiasConfig ("values to form a sensitive
group", "the lower bound of a sensitive group") and the metric pages (facet d is the disfavoured
group, CI is positive when it has fewer rows); the configuration page's examples call the same group
the one "bias favors", which contradicts them.

Metrics, per facet value, of facet a (n_a rows, share q_a of positive labels) against facet d, each
the formula of its page; labels are collapsed to two outcomes, positive or not, as the library does:
    CI    (n_a - n_d) / (n_a + n_d)                       clarify-bias-metric-class-imbalance.html
    DPL   q_a - q_d                                       clarify-data-bias-metric-true-label-imbalance.html
    KL    sum_y P_a(y) ln(P_a(y) / P_d(y)), 0 ln 0 = 0    clarify-data-bias-metric-kl-divergence.html
    JS    (KL(P_a || P) + KL(P_d || P)) / 2, P = (P_a + P_d) / 2
                                                          clarify-data-bias-metric-jensen-shannon-divergence.html
    LP    (sum_y |P_a(y) - P_d(y)|^2)^(1/2)               clarify-data-bias-metric-lp-norm.html
    TVD   sum_y |P_a(y) - P_d(y)| / 2                     clarify-data-bias-metric-total-variation-distance.html
    KS    max_y |P_a(y) - P_d(y)|                         clarify-data-bias-metric-kolmogorov-smirnov.html
    CDDL  (1/n) sum_i n_i DD_i over the group_variable's subgroups i, DD_i = (facet d share of the
          subgroup's negative labels) - (facet d share of its positive labels); a subgroup without
          negative (or positive) labels contributes 0 for that share, as in the library
                                                          clarify-data-bias-metric-cddl.html
KL is infinite when facet d lacks an outcome facet a has; it is written as the string "Infinity",
as the library does (JSON has no infinity). "all" computes CDDL only when group_variable is set;
naming CDDL without one is an error.

analysis.json (the layout of the "Analysis Results" page; metrics in name order, as the library
sorts them; a threshold is written in the library's interval notation "(threshold, max]"):
    {"pre_training_bias_metrics": {
        "label": "<label column>", "label_value_or_threshold": "1",
        "facets": {"<facet column>": [{"value_or_threshold": "0",
            "metrics": [{"name": "CI", "description": "Class Imbalance (CI)", "value": 0.25}, ...]}]}}}

Not emulated: other dataset types, dataset_uri and facet_dataset_uri (S3), post-training bias,
SHAP, PDP, the report's notebook and PDF, Spark; other configuration keys are named in a warning.
Exit 1 with one line naming the key and the value for an unusable configuration or dataset: unknown
metric names, a missing facet, label or group column, an empty facet group, label values that match
no row. Exit 2 for invalid arguments.

Self-contained on purpose, like the scripts SageMaker runs: numpy, pandas and the standard library.
"""
import argparse
import html
import json
import logging
import math
import os
import sys

import numpy as np
import pandas as pd

logger = logging.getLogger("clarify")

# The local loop runs this script outside a container: it sets CDK_MLOPS_CONTAINER_ROOT to a folder
# that stands for the container's "/", and the /opt/ml/... defaults are read below it.
CONTAINER_ROOT = os.environ.get("CDK_MLOPS_CONTAINER_ROOT", "")

CONFIG_FILE = "analysis_config.json"
RESULT_FILE = "analysis.json"
# Names and descriptions; the descriptions are the metric pages' titles, CDDL's with the name the
# configuration uses for it.
METRICS = {
    "CDDL": "Conditional Demographic Disparity in Labels (CDDL)",
    "CI": "Class Imbalance (CI)",
    "DPL": "Difference in Proportions of Labels (DPL)",
    "JS": "Jensen-Shannon Divergence (JS)",
    "KL": "Kullback-Leibler Divergence (KL)",
    "KS": "Kolmogorov-Smirnov (KS)",
    "LP": "Lp-norm (LP)",
    "TVD": "Total Variation Distance (TVD)",
}
# Keys this stand-in reads, and keys it knows but ignores because they do not change pre-training bias.
READ_KEYS = {"version", "dataset_type", "headers", "label", "label_values_or_threshold", "facet", "group_variable",
             "methods"}
REFUSED_KEYS = {"dataset_uri": "the stand-in reads only the dataset processing input",
                "facet_dataset_uri": "the stand-in reads facets only from the dataset"}


class DataError(Exception):
    """A configuration or dataset the job cannot analyse; reported as one line and exit code 1."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Local stand-in of the SageMaker Clarify container (pre-training bias).")
    parser.add_argument("--dataset-dir", default=CONTAINER_ROOT + "/opt/ml/processing/input/data")
    parser.add_argument("--config-dir", default=CONTAINER_ROOT + "/opt/ml/processing/input/config")
    parser.add_argument("--output-dir", default=CONTAINER_ROOT + "/opt/ml/processing/output")
    return parser.parse_args(argv)


def show(value):
    return json.dumps(value)


def read_config(config_dir):
    path = os.path.join(config_dir, CONFIG_FILE)
    if not os.path.isfile(path):
        raise DataError("analysis configuration not found: %s" % path)
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except ValueError as error:
        raise DataError("%s is not JSON: %s" % (path, error))
    if not isinstance(config, dict):
        raise DataError("%s must hold a JSON object, got %s" % (path, show(config)))
    return config


def check_config(config):
    """Returns (metric names to compute, report options or None); raises DataError on the first problem."""
    for key, reason in REFUSED_KEYS.items():
        if key in config:
            raise DataError("%s %s is not supported: %s" % (key, show(config[key]), reason))
    ignored = sorted(set(config) - READ_KEYS)
    if ignored:
        logger.warning("ignoring configuration keys that do not change pre-training bias: %s", ", ".join(ignored))
    if config.get("version", "1.0") != "1.0":
        raise DataError("version %s is not supported: expected \"1.0\"" % show(config["version"]))
    if config.get("dataset_type") != "text/csv":
        raise DataError("dataset_type %s is not supported: the stand-in reads \"text/csv\"" % show(config.get("dataset_type")))
    headers = config.get("headers")
    if headers is not None and not (isinstance(headers, list) and headers and all(isinstance(h, str) for h in headers)):
        raise DataError("headers %s must be a list of column names" % show(headers))
    for key in ("label", "label_values_or_threshold", "facet"):
        if key not in config:
            raise DataError("%s is required for bias analysis" % key)
    if not isinstance(config["facet"], list) or not config["facet"]:
        raise DataError("facet %s must be a list of {\"name_or_index\", \"value_or_threshold\"} objects"
                        % show(config["facet"]))
    for number, facet in enumerate(config["facet"]):
        if not isinstance(facet, dict) or "name_or_index" not in facet:
            raise DataError("facet[%d] %s needs name_or_index" % (number, show(facet)))
        values = facet.get("value_or_threshold")
        if values is not None and not is_number(values) and not (isinstance(values, list) and all(
                is_number(v) or isinstance(v, str) for v in values)):
            raise DataError("facet[%d].value_or_threshold %s must be a list of values or a number" % (number, show(values)))
    labels = config["label_values_or_threshold"]
    if not is_number(labels) and not (isinstance(labels, list) and labels and all(
            is_number(v) or isinstance(v, str) for v in labels)):
        raise DataError("label_values_or_threshold %s must be a non-empty list of values or a number" % show(labels))
    methods = config.get("methods")
    if not isinstance(methods, dict) or "pre_training_bias" not in methods:
        raise DataError("methods %s must hold pre_training_bias: the stand-in computes pre-training bias only"
                        % show(methods))
    unsupported = sorted(set(methods) - {"pre_training_bias", "report"})
    if unsupported:
        raise DataError("methods.%s is not supported: the stand-in computes pre-training bias only" % unsupported[0])
    names = methods["pre_training_bias"].get("methods") if isinstance(methods["pre_training_bias"], dict) else None
    if names == "all":
        names = [name for name in METRICS if name != "CDDL" or "group_variable" in config]
        if "group_variable" not in config:
            logger.info("methods.pre_training_bias.methods \"all\": CDDL left out, as no group_variable is set")
    elif isinstance(names, list) and names and all(isinstance(name, str) for name in names):
        unknown = [name for name in names if name not in METRICS]
        if unknown:
            raise DataError("methods.pre_training_bias.methods names unknown metric(s) %s; expected \"all\" or "
                            "some of %s" % (show(unknown), ", ".join(sorted(METRICS))))
        if "CDDL" in names and "group_variable" not in config:
            raise DataError("methods.pre_training_bias.methods names CDDL, which needs group_variable; none is set")
    else:
        raise DataError("methods.pre_training_bias.methods %s must be \"all\" or a list of metric names"
                        % show(names))
    report = methods.get("report")
    if report is not None and not isinstance(report, dict):
        raise DataError("methods.report %s must be an object with name and title" % show(report))
    return sorted(set(names)), report


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def list_files(directory):
    if not os.path.isdir(directory):
        raise DataError("dataset folder not found: %s" % directory)
    paths = sorted(os.path.join(root, name) for root, _, names in os.walk(directory) for name in names)
    paths = [path for path in paths if os.path.getsize(path) > 0]
    if not paths:
        raise DataError("no data files found under %s" % directory)
    return paths


def read_dataset(directory, headers):
    frames = []
    paths = list_files(directory)
    for path in paths:
        try:
            if headers is None:
                frame = pd.read_csv(path)
            else:
                frame = pd.read_csv(path, header=None)
                if frame.shape[1] != len(headers):
                    raise DataError("%s has %d columns but headers names %d: %s"
                                    % (path, frame.shape[1], len(headers), show(headers)))
                if frame.iloc[0].astype(str).tolist() == headers:
                    raise DataError("%s starts with a header row, but headers is set: with headers the files "
                                    "have no header row" % path)
                frame.columns = headers
        except (pd.errors.ParserError, UnicodeDecodeError) as error:
            raise DataError("%s is not CSV: %s" % (path, str(error).splitlines()[0]))
        if frames and list(frame.columns) != list(frames[0].columns):
            raise DataError("%s has columns %s, but %s has %s" % (path, list(frame.columns), paths[0],
                                                                   list(frames[0].columns)))
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    logger.info("read %d rows x %d columns from %d file(s) under %s", len(frame), frame.shape[1], len(paths), directory)
    return frame


def column(frame, key, name_or_index):
    """The column a configuration key names, by name or zero-based index."""
    if is_number(name_or_index) and float(name_or_index).is_integer():
        index = int(name_or_index)
        if not 0 <= index < frame.shape[1]:
            raise DataError("%s %s is not a column index: the dataset has %d columns" % (key, show(name_or_index),
                                                                                       frame.shape[1]))
        return frame.columns[index]
    if name_or_index not in frame.columns:
        raise DataError("%s %s is not a column of the dataset; columns are %s" % (key, show(name_or_index),
                                                                                 list(frame.columns)))
    return name_or_index


def is_fractional(series):
    """A numeric column with a value that is not a whole number."""
    if not pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series):
        return False
    values = series.dropna()
    return bool((values != np.floor(values)).any())


def threshold_of(series, values):
    """The threshold values_or_threshold stands for on this column, or None for a list of values."""
    if is_number(values):
        return float(values)
    if len(values) == 1 and is_number(values[0]) and is_fractional(series):
        return float(values[0])
    return None


def matching(series, values):
    """Rows whose value is one of values: numbers compare as numbers on a numeric column, else as text."""
    mask = pd.Series(False, index=series.index)
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    text = series.astype(str).where(series.notna())
    for value in values:
        number = to_number(value)
        if numeric and number is not None:
            mask |= series == number
        else:
            mask |= text == str(value)
    return mask


def to_number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def interval(series, threshold):
    """The group above a threshold in the container library's notation, "(threshold, max]"."""
    top = series.max()
    if pd.api.types.is_integer_dtype(series) and threshold.is_integer():
        return "(%d, %d]" % (threshold, top)
    return "(%r, %r]" % (float(threshold), float(top))


def values_text(values):
    return ",".join(str(value) for value in values)


def positive_labels(frame, label, wanted):
    series = frame[label]
    threshold = threshold_of(series, wanted)
    if threshold is not None:
        if not pd.api.types.is_numeric_dtype(series):
            raise DataError("label_values_or_threshold %s is a threshold, but label column %s is not numeric"
                            % (show(wanted), show(label)))
        positive, text = series > threshold, interval(series, threshold)
    else:
        positive, text = matching(series, wanted), values_text(wanted)
    if not positive.any():
        raise DataError("label_values_or_threshold %s matches no row of label column %s; its values include %s"
                        % (show(wanted), show(label), sorted(series.astype(str).unique())[:5]))
    return positive.to_numpy(), text


def facet_groups(frame, number, facet):
    """[(value_or_threshold text, boolean array of facet d)] for one facet of the configuration."""
    name = column(frame, "facet[%d].name_or_index" % number, facet["name_or_index"])
    series = frame[name]
    wanted = facet.get("value_or_threshold")
    key = "facet[%d].value_or_threshold" % number
    if wanted is None or wanted == []:
        distinct = list(pd.unique(series.dropna()))
        groups = [(str(value), matching(series, [value])) for value in distinct]
    else:
        threshold = threshold_of(series, wanted)
        if threshold is not None:
            if not pd.api.types.is_numeric_dtype(series):
                raise DataError("%s %s is a threshold, but facet column %s is not numeric" % (key, show(wanted), show(name)))
            groups = [(interval(series, threshold), series > threshold)]
        else:
            groups = [(values_text(wanted), matching(series, wanted))]
    for text, sensitive in groups:
        if not sensitive.any():
            raise DataError("%s %s matches no row of facet column %s, so facet d is empty; its values include %s"
                            % (key, show(wanted), show(name), sorted(series.astype(str).unique())[:5]))
        if sensitive.all():
            raise DataError("%s %s matches every row of facet column %s, so facet a (the other rows) is empty"
                            % (key, show(wanted if wanted is not None else text), show(name)))
    return name, [(text, sensitive.to_numpy()) for text, sensitive in groups]


def outcome_distribution(positive):
    share = float(positive.mean())
    return np.array([1.0 - share, share])


def kl_divergence(p, q):
    total = 0.0
    for pa, pd_ in zip(p, q):
        if pa == 0:
            continue
        if pd_ == 0:
            return math.inf
        total += pa * math.log(pa / pd_)
    return total


def conditional_demographic_disparity(sensitive, positive, groups):
    total = 0.0
    for group in pd.unique(groups):
        members = groups == group
        rejected, accepted = members & ~positive, members & positive
        share_rejected = (rejected & sensitive).sum() / rejected.sum() if rejected.any() else 0.0
        share_accepted = (accepted & sensitive).sum() / accepted.sum() if accepted.any() else 0.0
        total += members.sum() * (share_rejected - share_accepted)
    return total / len(groups)


def compute(name, sensitive, positive, groups):
    n_d, n_a = int(sensitive.sum()), int((~sensitive).sum())
    p_a, p_d = outcome_distribution(positive[~sensitive]), outcome_distribution(positive[sensitive])
    if name == "CI":
        return (n_a - n_d) / (n_a + n_d)
    if name == "DPL":
        return p_a[1] - p_d[1]
    if name == "KL":
        return kl_divergence(p_a, p_d)
    if name == "JS":
        mixture = (p_a + p_d) / 2
        return (kl_divergence(p_a, mixture) + kl_divergence(p_d, mixture)) / 2
    if name == "LP":
        return float(np.sqrt(np.sum((p_a - p_d) ** 2)))
    if name == "TVD":
        return float(np.sum(np.abs(p_a - p_d)) / 2)
    if name == "KS":
        return float(np.max(np.abs(p_a - p_d)))
    return conditional_demographic_disparity(sensitive, positive, groups)


def json_value(value):
    value = float(value)
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def analyse(frame, config, names):
    label = column(frame, "label", config["label"])
    missing = frame[label].isna()
    if missing.any():
        logger.warning("dropping %d row(s) with no label %s value", int(missing.sum()), show(label))
        frame = frame[~missing].reset_index(drop=True)
    positive, label_text = positive_labels(frame, label, config["label_values_or_threshold"])
    groups = None
    if "CDDL" in names:
        group_name = column(frame, "group_variable", config["group_variable"])
        groups = frame[group_name].astype(str).where(frame[group_name].notna(), "").to_numpy()
    facets = {}
    for number, facet in enumerate(config["facet"]):
        name, entries = facet_groups(frame, number, facet)
        results = facets.setdefault(str(name), [])
        for text, sensitive in entries:
            metrics = [{"name": metric, "description": METRICS[metric],
                        "value": json_value(compute(metric, sensitive, positive, groups))} for metric in names]
            results.append({"value_or_threshold": text, "metrics": metrics})
            logger.info("facet %s %s (%d of %d rows): %s", show(str(name)), text, int(sensitive.sum()), len(frame),
                        ", ".join("%s=%s" % (m["name"], round_for_log(m["value"])) for m in metrics))
    return {"pre_training_bias_metrics": {"label": str(label), "label_value_or_threshold": label_text,
                                          "facets": facets}}


def round_for_log(value):
    return "%.4f" % value if isinstance(value, float) else value


def write_report(analysis, report, output_dir):
    """A small HTML page of the results; the container writes a notebook, HTML and PDF report."""
    name = str(report.get("name", "report"))
    title = str(report.get("title", "SageMaker Analysis Report"))
    section = analysis["pre_training_bias_metrics"]
    rows = []
    for facet, entries in section["facets"].items():
        for entry in entries:
            for metric in entry["metrics"]:
                rows.append("<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>" % tuple(html.escape(str(cell)) for cell in (
                    facet, entry["value_or_threshold"], metric["description"], metric["value"])))
    page = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>%s</title></head><body>\n<h1>%s</h1>\n"
            "<p>Pre-training bias of label %s, positive outcome %s (local stand-in of SageMaker Clarify).</p>\n"
            "<table>\n<tr><th>facet</th><th>facet d</th><th>metric</th><th>value</th></tr>\n%s\n</table>\n"
            "</body></html>\n") % (html.escape(title), html.escape(title), html.escape(section["label"]),
                                   html.escape(section["label_value_or_threshold"]), "\n".join(rows))
    path = os.path.join(output_dir, name + ".html")
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(page)
    logger.info("wrote %s", path)


def run(args):
    config = read_config(args.config_dir)
    names, report = check_config(config)
    frame = read_dataset(args.dataset_dir, config.get("headers"))
    analysis = analyse(frame, config, names)
    os.makedirs(args.output_dir, exist_ok=True)
    path = os.path.join(args.output_dir, RESULT_FILE)
    with open(path, "w") as handle:
        json.dump(analysis, handle, indent=2, allow_nan=False)
    logger.info("wrote %s: %s for %d facet(s)", path, ", ".join(names), len(analysis["pre_training_bias_metrics"]["facets"]))
    if report is not None:
        write_report(analysis, report, args.output_dir)


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
