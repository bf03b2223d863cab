"""Local emulation of the Model Monitor analyzer container (sagemaker-model-monitor-analyzer).

The local loop runs this in place of the AWS container, for the pipeline's DataQualityBaseline step
(baseline mode) and for data-quality monitoring of the captured traffic (monitoring mode). Like the
container it is driven by environment variables only:

    dataset_format       JSON: {"csv": {"header": true, "output_columns_position": "START"}} or
                         {"sagemakerCaptureJson": {"captureIndexNames": ["endpointInput", "endpointOutput"]}}
    dataset_source       directory; every *.csv (csv) or *.jsonl (sagemakerCaptureJson) file below it is
                         read, sub-folders too, in sorted path order
    output_path          directory the reports are written to
    baseline_statistics  statistics.json of the baseline (monitoring mode)
    baseline_constraints constraints.json of the baseline; when set, the script runs in monitoring mode
    publish_cloudwatch_metrics  Disabled or Enabled; nothing is ever published
    CDK_MLOPS_CONTAINER_ROOT    the emulation's own, default empty: when set, each path variable above
                         that starts with /opt/ml/ is read below this folder (root + path), which is how
                         the local loop maps the container paths of a pipeline definition to its work folder
Left out of dataset_format, header is true, output_columns_position START and captureIndexNames both
(the SageMaker Python SDK's DatasetFormat defaults).

Baseline mode writes statistics.json and constraints.json in the documented formats
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html,
https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html). A column whose
every present value is an integer is Integral, else one whose every value is a number is Fractional,
else String; an empty cell is missing. Without a header the columns are named _c0, _c1, ... .
Numbers get 10 equal-width buckets between min and max (the page's "10 buckets", here exact counts
rather than a KLL sketch); strings get their value counts, and a domain when they have at most
MAX_DOMAIN_VALUES distinct values (the page's "for small cardinality" gives no number).
output_columns_position is validated but changes nothing here: the statistics list the columns in
file order, and monitoring mode builds captured rows output first, which matches START.

Monitoring mode builds the dataset the way the analyzer does for CSV endpoints: per captured row the
endpointOutput columns, then the endpointInput columns (a record's data may hold several CSV lines,
one row each; BASE64 payloads are decoded; JSON payloads are refused), names the columns by position
after the baseline statistics, writes statistics.json of that data and constraint_violations.json
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-interpreting-violations.html), empty
when nothing is violated. A csv dataset works in monitoring mode too, its columns likewise named by
position. The checks, read from the constraints page's table:
    missing_column_check / extra_column_check  rows with fewer / more columns than the baseline; the
        per-column checks stop there, as columns no longer align
    data_type_check     share of present values of the baseline type (Integral: integers only,
        Fractional: any number) below datatype_check_threshold. The page's wording is ambiguous;
        published reports of the real analyzer read 1.0 as "Expected match: 100.0%", and so does this
    completeness_check  share of present values below the feature's baseline completeness (the
        violations page says "exceeds", which cannot be meant)
    categorical_values_check  share of values inside the baseline domain below domain_content_threshold
        (read like datatype_check_threshold)
    baseline_drift_check  when perform_comparison is Enabled: a distance above comparison_threshold
        (categorical_comparison_threshold for strings, when set). Numbers: the largest absolute
        difference between the baseline's and the current empirical CDFs, evaluated at the baseline
        bucket edges (the page's "maximum absolute difference between the cumulative distribution
        functions"; evaluating at the bucket edges is this emulation's). Strings: the largest absolute
        difference between category frequencies (the page's LInfinity). comparison_method Simple
        (linf_simple) takes that distance as it is; Robust (linf_robust) subtracts the two-sample
        Kolmogorov-Smirnov term 1.8 * sqrt((n + m) / (n * m)) (n, m: the baseline's and the current
        number of values), floored at 0, so small samples do not read as drift: the page names the test
        but not the constant, which is the one in the open-source Deequ library's Distance.scala
        (awslabs/deequ). ChiSquared is not emulated.
evaluate_constraints Disabled turns every check off. Not emulated: CloudWatch metrics (emit_metrics,
publish_cloudwatch_metrics), num_constraints.is_non_negative (the violations page lists no check for
it) and per-feature monitoringConfigOverrides (the page documents no content for them; a non-empty
one is reported as a warning).

The job completes (exit 0) also when there are violations, as the real one does. Exit 1 with one
line: no data files, an unreadable capture line, a missing or unreadable baseline file, an
unsupported dataset_format or monitoring option. Exit 2: a required variable unset or malformed.

Self-contained on purpose, like the scripts SageMaker runs: numpy and the standard library only.
"""
import base64
import binascii
import collections
import csv
import io
import json
import logging
import math
import os
import re
import sys

import numpy as np

logger = logging.getLogger("model_monitor")

PATH_VARIABLES = ("dataset_source", "output_path", "baseline_statistics", "baseline_constraints")
CONTAINER_PREFIX = "/opt/ml/"
NUM_BUCKETS = 10
MAX_DOMAIN_VALUES = 20
# The two-sample Kolmogorov-Smirnov factor of linf_robust, as in Deequ's Distance.scala.
ROBUST_KS_FACTOR = 1.8
CAPTURE_INDEXES = ("endpointOutput", "endpointInput")  # the order of a row's columns
COMPARISON_METHODS = {"Simple": "linf_simple", "linf_simple": "linf_simple",
                      "Robust": "linf_robust", "linf_robust": "linf_robust"}
MONITORING_CONFIG = {
    "evaluate_constraints": "Enabled",
    "emit_metrics": "Enabled",
    "datatype_check_threshold": 1.0,
    "domain_content_threshold": 1.0,
    "distribution_constraints": {
        "perform_comparison": "Enabled",
        "comparison_threshold": 0.1,
        "comparison_method": "Robust",
    },
}
INTEGER = re.compile(r"[+-]?[0-9]+\Z")


class DataError(Exception):
    """Input the analyzer cannot process; reported as one line and exit code 1."""


class UsageError(Exception):
    """A required environment variable unset or malformed; reported as one line and exit code 2."""


def read_settings(environ):
    missing = [name for name in ("dataset_format", "dataset_source", "output_path") if not environ.get(name)]
    if missing:
        raise UsageError("environment variable(s) %s not set" % ", ".join(missing))
    try:
        dataset_format = json.loads(environ["dataset_format"])
    except ValueError as error:
        raise UsageError("dataset_format is not JSON: %s" % error)
    publish = environ.get("publish_cloudwatch_metrics", "Disabled")
    if publish not in ("Disabled", "Enabled"):
        raise UsageError("publish_cloudwatch_metrics must be Disabled or Enabled, got %r" % publish)
    root = environ.get("CDK_MLOPS_CONTAINER_ROOT", "")
    settings = {name: container_path(environ.get(name, ""), root) for name in PATH_VARIABLES}
    if settings["baseline_constraints"] and not settings["baseline_statistics"]:
        raise UsageError("baseline_constraints is set but baseline_statistics is not; monitoring needs both")
    settings.update(dataset_format=dataset_format, publish_cloudwatch_metrics=publish)
    return settings


def container_path(path, root):
    return root.rstrip("/") + path if root and path.startswith(CONTAINER_PREFIX) else path


def parse_format(dataset_format):
    """Returns ("csv", header) or ("capture", index names in column order)."""
    if isinstance(dataset_format, dict) and len(dataset_format) == 1:
        kind, options = next(iter(dataset_format.items()))
        if kind == "csv" and isinstance(options, dict):
            header = options.get("header", True)
            position = options.get("output_columns_position", "START")
            if isinstance(header, bool) and position in ("START", "END"):
                return "csv", header
        if kind == "sagemakerCaptureJson" and isinstance(options, dict):
            names = options.get("captureIndexNames", list(CAPTURE_INDEXES))
            if isinstance(names, list) and names and set(names) <= set(CAPTURE_INDEXES):
                return "capture", [name for name in CAPTURE_INDEXES if name in names]
    raise DataError(
        "dataset_format %s is not supported: the emulation reads {\"csv\": {\"header\": true|false, "
        "\"output_columns_position\": \"START\"|\"END\"}} or {\"sagemakerCaptureJson\": "
        "{\"captureIndexNames\": [\"endpointInput\", \"endpointOutput\"]}}" % json.dumps(dataset_format)
    )


def list_files(directory, suffix, kind):
    paths = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(directory)
        for name in names
        if name.lower().endswith(suffix)
    )
    if not paths:
        raise DataError("no %s files (*%s) found under dataset_source %s" % (kind, suffix, directory))
    return paths


def read_csv_files(paths, header):
    """Returns (header names or None, rows of cells)."""
    names, rows = None, []
    for path in paths:
        with open(path, newline="") as handle:
            lines = [line for line in csv.reader(handle) if line]
        if header:
            if not lines:
                raise DataError("CSV file %s is empty; dataset_format says it has a header" % path)
            if names is not None and lines[0] != names:
                raise DataError("CSV file %s has header %s, but %s has %s" % (path, lines[0], paths[0], names))
            names, lines = lines[0], lines[1:]
        rows.extend(lines)
    return names, rows


def read_capture_files(paths, indexes):
    """Returns (rows of cells, number of capture records); a row is the output columns, then the input."""
    rows, records = [], 0
    for path in paths:
        with open(path) as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                where = "%s line %d" % (path, number)
                try:
                    record = json.loads(line)
                except ValueError as error:
                    raise DataError("%s is not valid JSON: %s" % (where, error))
                parts = [payload_rows(record, index, where) for index in indexes]
                if len({len(part) for part in parts}) > 1:
                    raise DataError("%s: %s" % (where, ", ".join(
                        "%s holds %d CSV rows" % (index, len(part)) for index, part in zip(indexes, parts))))
                rows.extend([cell for part in row_parts for cell in part] for row_parts in zip(*parts))
                records += 1
    return rows, records


def payload_rows(record, index, where):
    try:
        payload = record["captureData"][index]
        data, encoding = payload["data"], payload["encoding"]
    except (KeyError, TypeError):
        raise DataError("%s: no captureData.%s with data and encoding" % (where, index))
    if encoding == "BASE64":
        try:
            data = base64.b64decode(data, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError) as error:
            raise DataError("%s: captureData.%s is not base64-encoded UTF-8 text: %s" % (where, index, error))
    elif encoding != "CSV":
        raise DataError("%s: captureData.%s is encoded %s; only CSV payloads are analysed" % (where, index, encoding))
    return [row for row in csv.reader(io.StringIO(data)) if row]


def read_dataset(settings):
    """Returns (header names or None, rows, record count) of dataset_source."""
    kind, option = parse_format(settings["dataset_format"])
    source = settings["dataset_source"]
    if kind == "csv":
        names, rows = read_csv_files(list_files(source, ".csv", "CSV"), option)
        records = len(rows)
    else:
        names, (rows, records) = None, read_capture_files(list_files(source, ".jsonl", "capture"), option)
    if not rows:
        raise DataError("the files under dataset_source %s hold no data rows" % source)
    logger.info("read %d rows from %d record(s) under %s", len(rows), records, source)
    return names, rows, records


def columns_of(rows):
    width = max(len(row) for row in rows)
    return [[row[i].strip() if i < len(row) else "" for row in rows] for i in range(width)]


def is_number(text):
    # Non-finite values are not numbers here: the statistics could not hold them as JSON.
    try:
        return math.isfinite(float(text)) and "_" not in text
    except ValueError:
        return False


def infer_type(present):
    if all(INTEGER.match(value) for value in present):
        return "Integral"
    if all(is_number(value) for value in present):
        return "Fractional"
    return "String"


def feature_statistics(name, values):
    """One feature of statistics.json; a column without any value counts as String."""
    present = [value for value in values if value]
    common = {"num_present": len(present), "num_missing": len(values) - len(present)}
    inferred = infer_type(present) if present else "String"
    if inferred == "String":
        counts = collections.Counter(present)
        return {"name": name, "inferred_type": inferred, "string_statistics": {
            "common": common,
            "distinct_count": len(counts),
            "distribution": {"categorical": {"buckets": [
                {"value": value, "count": count} for value, count in sorted(counts.items())]}},
        }}
    numbers = np.array([float(value) for value in present])
    return {"name": name, "inferred_type": inferred, "numerical_statistics": {
        "common": common,
        "mean": float(numbers.mean()),
        "sum": float(numbers.sum()),
        "std_dev": float(numbers.std()),
        "min": float(numbers.min()),
        "max": float(numbers.max()),
        "distribution": {"kll": {"buckets": buckets(numbers)}},
    }}


def buckets(numbers):
    low, high = float(numbers.min()), float(numbers.max())
    if low == high:
        # A single value: ten buckets of width zero would say nothing more than one.
        return [{"lower_bound": low, "upper_bound": high, "count": len(numbers)}]
    edges = np.linspace(low, high, NUM_BUCKETS + 1)
    # numpy's buckets are [lower, upper), the last one [lower, upper]; the drift check relies on it.
    counts, _ = np.histogram(numbers, bins=edges)
    return [{"lower_bound": float(edges[i]), "upper_bound": float(edges[i + 1]), "count": int(counts[i])}
            for i in range(NUM_BUCKETS)]


def dataset_statistics(names, columns, item_count):
    return {
        "version": 0.0,
        "dataset": {"item_count": item_count},
        "features": [feature_statistics(name, values) for name, values in zip(names, columns)],
    }


def feature_constraints(feature):
    if "numerical_statistics" in feature:
        stats = feature["numerical_statistics"]
        extra = {"num_constraints": {"is_non_negative": stats["min"] >= 0}}
    else:
        stats = feature["string_statistics"]
        values = [bucket["value"] for bucket in stats["distribution"]["categorical"]["buckets"]]
        extra = {"string_constraints": {"domains": values}} if len(values) <= MAX_DOMAIN_VALUES else {}
    common = stats["common"]
    completeness = common["num_present"] / (common["num_present"] + common["num_missing"])
    return {"name": feature["name"], "inferred_type": feature["inferred_type"], "completeness": completeness,
            **extra}


def run_baseline(settings, names, rows):
    columns = columns_of(rows)
    widths = sorted({len(row) for row in rows})
    if names is not None and widths != [len(names)]:
        raise DataError("the header names %d columns, but rows have %s" % (len(names), widths))
    if len(widths) > 1:
        raise DataError("a baseline needs rows of one width; rows have %s columns" % widths)
    names = names or ["_c%d" % i for i in range(len(columns))]
    empty = [name for name, values in zip(names, columns) if not any(values)]
    if empty:
        raise DataError("column(s) %s hold no value in the baseline; their type cannot be inferred" % empty)
    statistics = dataset_statistics(names, columns, len(rows))
    constraints = {
        "version": 0.0,
        "features": [feature_constraints(feature) for feature in statistics["features"]],
        "monitoring_config": MONITORING_CONFIG,
    }
    write_json(settings["output_path"], "statistics.json", statistics)
    write_json(settings["output_path"], "constraints.json", constraints)
    logger.info("baseline of %d rows x %d columns: %s", len(rows), len(names),
                ", ".join("%s %s" % (f["name"], f["inferred_type"]) for f in statistics["features"]))


def read_json(path, what):
    if not os.path.isfile(path):
        raise DataError("%s file not found: %s" % (what, path))
    try:
        with open(path) as handle:
            return json.load(handle)
    except ValueError as error:
        raise DataError("%s file %s is not valid JSON: %s" % (what, path, error))


def read_baseline(settings):
    statistics = read_json(settings["baseline_statistics"], "baseline statistics")
    constraints = read_json(settings["baseline_constraints"], "baseline constraints")
    try:
        stats_names = [feature["name"] for feature in statistics["features"]]
        constraint_names = [feature["name"] for feature in constraints["features"]]
        config = constraints.get("monitoring_config", {})
    except (KeyError, TypeError) as error:
        raise DataError("baseline statistics or constraints lack %s" % error)
    if stats_names != constraint_names:
        raise DataError("baseline statistics name features %s, but the constraints %s"
                        % (stats_names, constraint_names))
    distribution = config.get("distribution_constraints", {})
    method = distribution.get("comparison_method", "Robust")
    if method not in COMPARISON_METHODS:
        raise DataError("comparison_method %r is not supported: use Simple or Robust" % method)
    if distribution.get("categorical_drift_method", "LInfinity") != "LInfinity":
        raise DataError("categorical_drift_method %r is not emulated: use LInfinity"
                        % distribution["categorical_drift_method"])
    for feature in constraints["features"]:
        if feature.get("monitoringConfigOverrides"):
            logger.warning("monitoringConfigOverrides of %s are not emulated: %s",
                           feature["name"], json.dumps(feature["monitoringConfigOverrides"]))
    return statistics["features"], constraints["features"], config


def share(count, total):
    return count / total if total else 1.0


def check_feature(feature, baseline_stats, values, config):
    """The violations of one feature in the current column values."""
    name, inferred = feature["name"], feature["inferred_type"]
    present = [value for value in values if value]
    violations = []

    def flag(check, description):
        violations.append({"feature_name": name, "constraint_check_type": check, "description": description})

    completeness = share(len(present), len(values))
    if completeness < feature.get("completeness", 0.0):
        flag("completeness_check", "%s: completeness %.4f is below the baseline's %.4f"
             % (name, completeness, feature["completeness"]))
    if inferred in ("Integral", "Fractional"):
        accepts = INTEGER.match if inferred == "Integral" else is_number
        matched = share(sum(1 for value in present if accepts(value)), len(present))
        threshold = config.get("datatype_check_threshold", 1.0)
        if matched < threshold:
            flag("data_type_check", "%s: %.2f%% of %d present values are %s; datatype_check_threshold %s "
                 "requires at least %.2f%%" % (name, 100 * matched, len(present), inferred, threshold, 100 * threshold))
    domain = feature.get("string_constraints", {}).get("domains")
    if inferred == "String" and domain is not None:
        known = set(domain)
        unknown = [value for value in present if value not in known]
        inside = share(len(present) - len(unknown), len(present))
        threshold = config.get("domain_content_threshold", 1.0)
        if inside < threshold:
            flag("categorical_values_check", "%s: %.2f%% of %d present values are in the baseline domain "
                 "(outside it: %s); domain_content_threshold %s requires at least %.2f%%"
                 % (name, 100 * inside, len(present), sorted(set(unknown))[:5], threshold, 100 * threshold))
    distribution = config.get("distribution_constraints", {})
    if distribution.get("perform_comparison", "Enabled") == "Enabled":
        drift = drift_distance(baseline_stats, inferred, present, distribution)
        # None: no current value to compare, which the completeness or data type check reports.
        if drift is not None:
            distance, method, threshold_name, threshold = drift
            if distance > threshold:
                flag("baseline_drift_check", "%s: distribution distance %.4f (%s) exceeds %s %s"
                     % (name, distance, method, threshold_name, threshold))
    return violations


def drift_distance(baseline_stats, inferred, present, distribution):
    """(distance, method, threshold name, threshold), or None when either side has no value."""
    threshold_name = "comparison_threshold"
    try:
        if inferred == "String":
            if "categorical_comparison_threshold" in distribution:
                threshold_name = "categorical_comparison_threshold"
            bucket_list = baseline_stats["string_statistics"]["distribution"]["categorical"]["buckets"]
            sample, distance_of = present, categorical_distance
        else:
            bucket_list = baseline_stats["numerical_statistics"]["distribution"]["kll"]["buckets"]
            sample, distance_of = [float(value) for value in present if is_number(value)], numerical_distance
        n = sum(bucket["count"] for bucket in bucket_list)
    except (KeyError, TypeError):
        raise DataError("baseline statistics of %s have no %s distribution buckets"
                        % (baseline_stats.get("name"), inferred))
    m = len(sample)
    if not n or not m:
        return None
    distance = distance_of(bucket_list, sample, n, m)
    method = COMPARISON_METHODS[distribution.get("comparison_method", "Robust")]
    if method == "linf_robust":
        distance = max(0.0, distance - ROBUST_KS_FACTOR * math.sqrt((n + m) / (n * m)))
    return distance, method, threshold_name, distribution.get(threshold_name, 0.1)


def numerical_distance(bucket_list, numbers, n, m):
    """L-infinity distance of the baseline's and the current empirical CDFs at the baseline bucket edges.

    The baseline CDF at an upper edge is the count of that bucket and those below (buckets are
    [lower, upper), the last one closed), so the current one counts values below each edge and, at
    the last edge, values up to it; at the first edge the baseline CDF is 0.
    """
    edges = [bucket_list[0]["lower_bound"]] + [bucket["upper_bound"] for bucket in bucket_list]
    current = np.sort(numbers)
    below = np.searchsorted(current, edges[:-1], side="left")
    up_to_last = np.searchsorted(current, edges[-1], side="right")
    baseline_cdf = np.concatenate([[0.0], np.cumsum([bucket["count"] for bucket in bucket_list])]) / n
    current_cdf = np.append(below, up_to_last) / m
    return float(np.max(np.abs(baseline_cdf - current_cdf)))


def categorical_distance(bucket_list, values, n, m):
    """L-infinity distance of the baseline's and the current category frequencies."""
    baseline = {bucket["value"]: bucket["count"] for bucket in bucket_list}
    current = collections.Counter(values)
    return max(abs(baseline.get(key, 0) / n - current.get(key, 0) / m) for key in set(baseline) | set(current))


def column_violations(rows, baseline_names):
    expected = len(baseline_names)
    widths = sorted({len(row) for row in rows})
    violations = []
    if widths[0] < expected:
        violations.append({"feature_name": "Missing columns", "constraint_check_type": "missing_column_check",
                           "description": "the current dataset has rows of %s columns; the baseline has %d"
                           % (widths, expected)})
    if widths[-1] > expected:
        violations.append({"feature_name": "Extra columns", "constraint_check_type": "extra_column_check",
                           "description": "the current dataset has rows of %s columns; the baseline has %d"
                           % (widths, expected)})
    return violations


def run_monitoring(settings, rows, records):
    baseline_stats, constraint_features, config = read_baseline(settings)
    columns = columns_of(rows)
    baseline_names = [feature["name"] for feature in baseline_stats]
    names = baseline_names[:len(columns)] + ["_c%d" % i for i in range(len(baseline_names), len(columns))]
    write_json(settings["output_path"], "statistics.json", dataset_statistics(names, columns, len(rows)))
    violations = []
    if config.get("evaluate_constraints", "Enabled") != "Enabled":
        logger.info("evaluate_constraints is %s: no constraint is checked", config["evaluate_constraints"])
    else:
        violations = column_violations(rows, baseline_names) or [
            violation
            for feature, stats, values in zip(constraint_features, baseline_stats, columns)
            for violation in check_feature(feature, stats, values, config)
        ]
    write_json(settings["output_path"], "constraint_violations.json", {"violations": violations})
    logger.info("%d violations in %d records", len(violations), records)
    for violation in violations:
        logger.info("%s %s", violation["constraint_check_type"], violation["description"])


def write_json(directory, name, document):
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, name)
    with open(path, "w") as handle:
        # allow_nan=False: fail rather than write a bare NaN that JSON readers reject.
        json.dump(document, handle, indent=2, allow_nan=False)
    logger.info("wrote %s", path)


def run(environ):
    settings = read_settings(environ)
    if settings["publish_cloudwatch_metrics"] == "Enabled":
        logger.info("publish_cloudwatch_metrics is Enabled; the emulation publishes no CloudWatch metrics")
    names, rows, records = read_dataset(settings)
    if settings["baseline_constraints"]:
        run_monitoring(settings, rows, records)
    else:
        if settings["baseline_statistics"]:
            logger.info("baseline_statistics is ignored: without baseline_constraints this is a baseline job")
        run_baseline(settings, names, rows)


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
