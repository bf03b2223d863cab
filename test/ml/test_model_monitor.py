"""ml/local/model_monitor.py: baseline and monitoring modes of the analyzer emulation."""
import base64
import json
import re
import uuid

import pandas as pd
import pytest

from conftest import CAPTURE_FORMAT, check_ok, monitor, run_script, split_rows

CSV_NO_HEADER = {"csv": {"header": False, "output_columns_position": "START"}}


def read_json(path):
    with open(str(path)) as handle:
        return json.load(handle)


def violations_of(output):
    violations = read_json(output / "constraint_violations.json")["violations"]
    return [(v["constraint_check_type"], v["feature_name"]) for v in violations]


def test_sample_baseline_names_and_types_the_columns_in_baseline_order(monitor_baseline, processing_dir):
    output, process = monitor_baseline
    header = list(pd.read_csv(processing_dir / "baseline" / "baseline.csv", nrows=0).columns)
    statistics, constraints = read_json(output / "statistics.json"), read_json(output / "constraints.json")

    assert [f["name"] for f in statistics["features"]] == header
    assert [f["name"] for f in constraints["features"]] == header
    types = {f["name"]: f["inferred_type"] for f in constraints["features"]}
    # The label stands in for the probability as 0.0/1.0, so it is Fractional like the captured output.
    assert types["churn"] == "Fractional"
    assert [types[n] for n in ("tenure_months", "monthly_charges", "data_usage_gb", "support_calls", "age")] == [
        "Integral", "Fractional", "Fractional", "Integral", "Integral"]
    assert {types[n] for n in header if n.startswith(("contract_", "payment_method_"))} == {"Integral"}
    assert statistics["dataset"] == {"item_count": 1400}
    for feature in statistics["features"]:
        numbers = feature["numerical_statistics"]
        assert numbers["common"] == {"num_present": 1400, "num_missing": 0}
        buckets = numbers["distribution"]["kll"]["buckets"]
        assert len(buckets) == 10 and sum(b["count"] for b in buckets) == 1400
        assert (buckets[0]["lower_bound"], buckets[-1]["upper_bound"]) == (numbers["min"], numbers["max"])
    assert {f["completeness"] for f in constraints["features"]} == {1.0}
    assert all(f["num_constraints"] == {"is_non_negative": True} for f in constraints["features"])
    assert constraints["monitoring_config"] == {
        "evaluate_constraints": "Enabled", "emit_metrics": "Enabled",
        "datatype_check_threshold": 1.0, "domain_content_threshold": 1.0,
        "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.1,
                                     "comparison_method": "Robust"},
    }
    # The container paths were read below CDK_MLOPS_CONTAINER_ROOT.
    assert "read 1400 rows" in process.stderr


def capture_record(rows, scores, encoding="CSV"):
    """A SageMaker capture record of one invocation; rows and scores are CSV lines."""
    def payload(mode, data):
        if encoding == "BASE64":
            data = base64.b64encode(data.encode()).decode()
        return {"observedContentType": "text/csv", "mode": mode, "data": data, "encoding": encoding}
    return {
        "captureData": {"endpointInput": payload("INPUT", "".join(row + "\n" for row in rows)),
                        "endpointOutput": payload("OUTPUT", "\n".join(scores))},
        "eventMetadata": {"eventId": str(uuid.uuid4()), "inferenceTime": "2026-12-02T10:00:00Z"},
        "eventVersion": "0",
    }


def write_capture(directory, rows, scores):
    """Invocations of 1 to 3 rows, every fifth one BASE64-encoded, in two hourly folders; returns the record count."""
    records, start, size = [], 0, 1
    while start < len(rows):
        encoding = "BASE64" if len(records) % 5 == 4 else "CSV"
        records.append(capture_record(rows[start:start + size], scores[start:start + size], encoding))
        start, size = start + size, size % 3 + 1
    half = len(records) // 2
    for hour, part in (("10", records[:half]), ("11", records[half:])):
        folder = directory / "churn-local" / "AllTraffic" / "2026" / "12" / "02" / hour
        folder.mkdir(parents=True)
        (folder / ("00-00-000-%s.jsonl" % uuid.uuid4())).write_text("".join(json.dumps(r) + "\n" for r in part))
    return len(records)


def test_clean_test_traffic_violates_only_the_drift_of_the_label_stand_in(
        monitor_baseline, served_test_split, tmp_path):
    # GIVEN the test split sent to the endpoint and captured (ml/local/serve.py, the pipeline's model)
    records = len(served_test_split.bodies)

    # WHEN the monitoring job analyses the captures against the sample baseline
    process = check_ok(monitor(served_test_split.capture, tmp_path / "out", baseline=monitor_baseline[0]))

    # THEN the only violation is the drift of churn: the baseline holds the 0/1 label, traffic probabilities
    assert violations_of(tmp_path / "out") == [("baseline_drift_check", "churn")]
    assert re.search(r"1 violations in %d records" % records, process.stderr)
    # AND statistics.json describes the current data, output column first, under the baseline's names
    statistics = read_json(tmp_path / "out" / "statistics.json")
    assert statistics["dataset"] == {"item_count": 300}
    assert statistics["features"][0]["name"] == "churn" and statistics["features"][0]["inferred_type"] == "Fractional"


def served_scores(served):
    return [line for _, _, answer in served.answers for line in answer.split("\n")]


def triple_first_two_features(row):
    tenure, charges, *rest = row.split(",")
    return ",".join([str(int(tenure) * 3), repr(float(charges) * 3)] + rest)


def test_drifted_traffic_violates_the_drift_of_the_drifted_features(
        monitor_baseline, processing_dir, served_test_split, tmp_path):
    # The clean predictions stay: the check under test is that of the inputs.
    rows = [triple_first_two_features(row) for row in split_rows(processing_dir)]
    write_capture(tmp_path / "capture", rows, served_scores(served_test_split))

    check_ok(monitor(tmp_path / "capture", tmp_path / "out", baseline=monitor_baseline[0]))

    assert violations_of(tmp_path / "out") == [
        ("baseline_drift_check", "churn"), ("baseline_drift_check", "tenure_months"),
        ("baseline_drift_check", "monthly_charges")]
    descriptions = [v["description"] for v in read_json(tmp_path / "out" / "constraint_violations.json")["violations"]]
    assert re.match(r"tenure_months: distribution distance 0\.\d+ \(linf_robust\) exceeds comparison_threshold 0\.1$",
                    descriptions[1])


@pytest.mark.parametrize("transform, check, feature", [
    (lambda cells: cells[:-1], "missing_column_check", "Missing columns"),
    (lambda cells: cells + ["0"], "extra_column_check", "Extra columns"),
], ids=["missing", "extra"])
def test_a_column_count_other_than_the_baseline_is_reported_once(
        monitor_baseline, processing_dir, tmp_path, transform, check, feature):
    rows = [",".join(transform(row.split(","))) for row in split_rows(processing_dir)[:20]]
    write_capture(tmp_path / "capture", rows, ["0.5"] * 20)

    check_ok(monitor(tmp_path / "capture", tmp_path / "out", baseline=monitor_baseline[0]))

    assert violations_of(tmp_path / "out") == [(check, feature)]
    width = 1 + len(rows[0].split(","))  # the output column, then the input
    description = read_json(tmp_path / "out" / "constraint_violations.json")["violations"][0]["description"]
    assert description == "the current dataset has rows of [%d] columns; the baseline has 13" % width


def test_headerless_baseline_with_a_string_column_checks_types_completeness_and_domain(tmp_path):
    # GIVEN a headerless baseline: an integer, a category and a number
    (tmp_path / "baseline").mkdir()
    (tmp_path / "baseline" / "part.csv").write_text("".join(
        "%d,%s,%.1f\n" % (i % 7, ("red", "green", "blue")[i % 3], i / 10) for i in range(300)))
    check_ok(monitor(tmp_path / "baseline", tmp_path / "base", dataset_format=CSV_NO_HEADER))
    constraints = read_json(tmp_path / "base" / "constraints.json")
    assert [(f["name"], f["inferred_type"]) for f in constraints["features"]] == [
        ("_c0", "Integral"), ("_c1", "String"), ("_c2", "Fractional")]
    assert constraints["features"][1]["string_constraints"] == {"domains": ["blue", "green", "red"]}

    # WHEN current CSV data has a fraction in the integer column, an unknown colour and missing numbers
    (tmp_path / "current").mkdir()
    (tmp_path / "current" / "part.csv").write_text("".join(
        "%s,%s,%s\n" % ("2.5" if i == 0 else i % 7, "purple" if i < 3 else ("red", "green", "blue")[i % 3],
                        "" if i < 2 else i / 10) for i in range(300)))
    check_ok(monitor(tmp_path / "current", tmp_path / "out", baseline=tmp_path / "base", dataset_format=CSV_NO_HEADER))

    # THEN each of the three checks names its feature
    assert violations_of(tmp_path / "out") == [
        ("data_type_check", "_c0"), ("categorical_values_check", "_c1"), ("completeness_check", "_c2")]
    descriptions = [v["description"] for v in read_json(tmp_path / "out" / "constraint_violations.json")["violations"]]
    assert descriptions[0] == "_c0: 99.67% of 300 present values are Integral; datatype_check_threshold 1.0 " \
                              "requires at least 100.00%"
    assert descriptions[1].startswith("_c1: 99.00% of 300 present values are in the baseline domain (outside it: "
                                      "['purple'])")
    assert descriptions[2] == "_c2: completeness 0.9933 is below the baseline's 1.0000"


def assert_fails(process, message, code=1):
    assert process.returncode == code, process.stderr
    assert re.search(message, process.stderr), process.stderr
    assert "Traceback" not in process.stderr


@pytest.mark.parametrize("content, message", [
    (None, r"no capture files \(\*\.jsonl\) found under dataset_source"),
    ('{"captureData": {}}\n', r"capture\.jsonl line 1: no captureData\.endpointOutput with data and encoding"),
    (json.dumps(capture_record(["1,2"], ["0.5"])) + "\n{not json\n", r"capture\.jsonl line 2 is not valid JSON"),
    (json.dumps(capture_record(['{"a": 1}'], ["0.5"], encoding="JSON")) + "\n",
     r"captureData\.endpointOutput is encoded JSON; only CSV payloads are analysed"),
], ids=["no files", "no payload", "bad JSON line", "JSON payload"])
def test_fails_on_unreadable_captures(monitor_baseline, tmp_path, content, message):
    (tmp_path / "capture").mkdir()
    if content is not None:
        (tmp_path / "capture" / "capture.jsonl").write_text(content)

    assert_fails(monitor(tmp_path / "capture", tmp_path / "out", baseline=monitor_baseline[0]), message)
    assert not (tmp_path / "out").exists()


def test_fails_when_a_baseline_file_is_missing(processing_dir, tmp_path):
    write_capture(tmp_path / "capture", split_rows(processing_dir)[:3], ["0.5"] * 3)

    assert_fails(monitor(tmp_path / "capture", tmp_path / "out", baseline=tmp_path / "none"),
                 r"baseline statistics file not found: .*none/statistics\.json")


@pytest.mark.parametrize("env, message, code", [
    ({"dataset_format": json.dumps({"parquet": {}})}, r'dataset_format \{"parquet": \{\}\} is not supported', 1),
    ({"dataset_format": "{csv"}, r"dataset_format is not JSON", 2),
    ({"dataset_format": ""}, r"environment variable\(s\) dataset_format not set", 2),
], ids=["unsupported format", "format not JSON", "format unset"])
def test_fails_on_invalid_settings(tmp_path, env, message, code):
    process = run_script("local/model_monitor.py", env={
        "dataset_format": json.dumps(CAPTURE_FORMAT), "dataset_source": str(tmp_path), "output_path": str(tmp_path),
        **env})
    assert_fails(process, message, code)
