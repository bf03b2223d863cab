"""profile.py: the sample's profile (a self-contained HTML, the JSON facts, preprocessing.py's feature
rules), its warnings, a run without matplotlib, and failures."""
import html
import json
import os
import re

import pandas as pd
import pytest

from conftest import SAMPLE_CSV, check_ok, run_script

RAW_DIR = "opt/ml/processing/input/raw"
NUMERIC = ["tenure_months", "monthly_charges", "data_usage_gb", "support_calls", "age"]
TOP_LEVEL = ["version", "dataset", "label", "columns", "correlations", "featureProcessing", "warnings"]


def profile(*args, env=None):
    return run_script("profile.py", *args, env=env)


def no_nan(name):
    raise AssertionError("profile.json holds %s" % name)


def read_outputs(output_dir):
    # parse_constant rejects NaN and Infinity, which json.loads would accept.
    report = json.loads((output_dir / "profile.json").read_text(), parse_constant=no_nan)
    return report, (output_dir / "profile.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def sample_profile(tmp_path_factory):
    """The pipeline's run: default arguments, the sample as the raw input below the container root."""
    root = tmp_path_factory.mktemp("container")
    (root / RAW_DIR).mkdir(parents=True)
    (root / RAW_DIR / "churn-sample.csv").write_bytes(open(SAMPLE_CSV, "rb").read())
    check_ok(profile(env={"CDK_MLOPS_CONTAINER_ROOT": str(root)}))
    return read_outputs(root / "opt/ml/processing/profile")


def test_html_is_self_contained_with_a_chart_per_column_label_and_correlations(sample_profile):
    report, page = sample_profile
    sample = pd.read_csv(SAMPLE_CSV)

    # one chart per feature column, one of the label balance, one of the correlations
    assert page.count('<img src="data:image/png;base64,') == sample.shape[1] - 1 + 2
    # nothing to fetch: every src/href is an embedded image, and no URL at all
    assert all(link.startswith("data:image/png;base64,") for link in re.findall(r'(?:src|href)="([^"]*)"', page))
    assert "http://" not in page and "https://" not in page
    for column in sample.columns:
        assert "<h3>%s " % column in page, column
    assert report["warnings"] == []


def test_json_has_the_documented_shape(sample_profile):
    report, _ = sample_profile
    sample = pd.read_csv(SAMPLE_CSV)

    assert list(report) == TOP_LEVEL
    assert report["version"] == 1
    dataset = report["dataset"]
    assert dataset["source"].endswith(RAW_DIR)
    assert dataset["files"] == [{"path": "churn-sample.csv", "rows": 2000}]
    assert (dataset["rows"], dataset["columns"], dataset["duplicateRows"]) == (2000, 8, 0)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", dataset["generatedAt"])
    assert [column["name"] for column in report["columns"]] == list(sample.columns)
    kinds = {column["name"]: column["kind"] for column in report["columns"]}
    assert kinds == {**{c: "numeric" for c in NUMERIC}, "contract": "categorical", "payment_method": "categorical",
                     "churn": "label"}
    tenure = report["columns"][0]
    assert tenure["stats"]["median"] == sample["tenure_months"].median()
    assert sum(tenure["histogram"]["counts"]) == 2000
    contract = next(column for column in report["columns"] if column["name"] == "contract")
    counts = {value["value"]: value["count"] for value in contract["topValues"]}
    assert counts == sample["contract"].value_counts().to_dict()
    assert contract["otherValues"] is None


def test_label_balance_and_missing_counts_match_pandas(sample_profile):
    report, _ = sample_profile
    sample = pd.read_csv(SAMPLE_CSV)

    counts = sample["churn"].value_counts()
    assert report["label"]["values"] == [
        {"value": value, "count": int(counts[value]), "share": pytest.approx(counts[value] / len(sample))}
        for value in (0, 1)]
    assert (report["label"]["rowsWithLabel"], report["label"]["rowsWithoutLabel"]) == (2000, 0)
    missing = {column["name"]: column["missing"] for column in report["columns"]}
    for name in ("monthly_charges", "data_usage_gb", "payment_method"):
        assert missing[name] == sample[name].isna().sum() > 0, name


def test_feature_processing_lists_the_columns_preprocessing_produces(sample_profile, processing_dir):
    report, _ = sample_profile
    sample = pd.read_csv(SAMPLE_CSV)
    features = (processing_dir / "baseline" / "baseline.csv").read_text().splitlines()[0].split(",")[1:]

    processing = report["featureProcessing"]
    assert processing["featureColumns"] == features
    assert processing["featureCount"] == len(features)
    one_hot = [name for entry in processing["oneHot"] for name in entry["columns"]]
    assert one_hot == [name for name in features if name.startswith(("contract_", "payment_method_"))]
    assert {entry["column"]: entry["missingValues"] for entry in processing["imputed"]} == {
        column: sample[column].isna().sum() for column in NUMERIC}
    assert (processing["rowsDropped"], processing["droppedColumns"], processing["target"]) == (0, [], "churn")


def test_correlations_are_those_of_pandas_strongest_first(sample_profile):
    report, _ = sample_profile
    sample = pd.read_csv(SAMPLE_CSV)

    entries = report["correlations"]
    assert sorted(entry["column"] for entry in entries) == sorted(sample.columns.drop("churn"))
    strengths = [entry["strength"] for entry in entries]
    assert strengths == sorted(strengths, reverse=True)
    by_column = {entry["column"]: entry for entry in entries}
    assert by_column["tenure_months"]["value"] == pytest.approx(sample["tenure_months"].corr(sample["churn"]))
    assert by_column["tenure_months"]["value"] < -0.3
    rates = sample.groupby("contract")["churn"].mean()
    assert {rate["value"]: rate["labelRate"] for rate in by_column["contract"]["labelRates"]} == pytest.approx(
        rates.to_dict())
    assert by_column["contract"]["strength"] == pytest.approx(rates.max() - rates.min())
    # age is the generator's distractor
    assert by_column["age"]["strength"] < 0.05


def test_warns_about_unlabelled_rows_missing_values_constant_columns_and_imbalance(tmp_path):
    # GIVEN 40 rows: 3 without a label, 2 of the rest churned, a mostly blank and a constant column
    rows = 40
    frame = pd.DataFrame({
        "tenure_months": range(rows),
        "discount": [float(i) if i % 4 == 0 else None for i in range(rows)],
        "region": ["north"] * rows,
        "churn": [None] * 3 + [1, 1] + [0] * (rows - 5),
    })
    frame.to_csv(tmp_path / "data.csv", index=False)

    # WHEN profiled
    check_ok(profile("--input-file", str(tmp_path / "data.csv"), "--output-dir", str(tmp_path / "out")))

    # THEN each problem is a warning, and the rows without a label are counted as dropped
    report, page = read_outputs(tmp_path / "out")
    assert [(entry["check"], entry["column"]) for entry in report["warnings"]] == [
        ("highMissing", "discount"), ("constant", "region"), ("unlabelledRows", "churn"), ("labelImbalance", "churn")]
    message = "label column 'churn' is imbalanced beyond 90/10: 94.6 % 0, 5.4 % 1"
    assert report["warnings"][-1]["message"] == message
    assert html.escape(message) in page
    assert report["featureProcessing"]["rowsDropped"] == 3
    assert report["featureProcessing"]["featureColumns"] == ["tenure_months", "discount", "region_north"]


def test_without_matplotlib_writes_the_same_facts_and_no_charts(sample_profile, tmp_path):
    # GIVEN an interpreter where matplotlib cannot be imported, as in the scikit-learn image
    (tmp_path / "blocked" / "matplotlib").mkdir(parents=True)
    (tmp_path / "blocked" / "matplotlib" / "__init__.py").write_text('raise ImportError("no matplotlib here")\n')

    # WHEN the sample is profiled from one file, as the local CLI does
    check_ok(profile("--input-file", SAMPLE_CSV, "--output-dir", str(tmp_path / "out"),
                     env={"PYTHONPATH": str(tmp_path / "blocked")}))

    # THEN the facts are those of the pipeline's run, with a warning and an HTML without images
    report, page = read_outputs(tmp_path / "out")
    expected = sample_profile[0]
    assert report["dataset"]["files"] == [{"path": SAMPLE_CSV, "rows": 2000}]
    assert report["warnings"] == [{"check": "noCharts", "column": None,
                                   "message": "matplotlib is not installed: profile.html has no charts"}]
    for key in ("label", "columns", "correlations", "featureProcessing"):
        assert report[key] == expected[key], key
    assert "<img" not in page


def write_input(directory, files):
    directory.mkdir(parents=True)
    for name, content in files.items():
        (directory / name).write_text(content)
    return directory


@pytest.mark.parametrize("files, args, message", [
    pytest.param({}, [], r"no CSV files found under input directory", id="no CSV files"),
    pytest.param({"a.csv": "tenure_months,churn\n1,0\n", "b.csv": ""}, [], r"CSV file .*b\.csv is empty",
                 id="empty CSV file"),
    pytest.param({"a.csv": "tenure_months,churn\n1,0\n2,1\n"}, ["--label-column", "churned"],
                 r"label column 'churned' not found; columns are \['tenure_months', 'churn'\]",
                 id="label column missing"),
    pytest.param({"a.csv": "tenure_months,churn\n1,yes\n2,no\n3,1\n4,\n"}, [],
                 r"label column 'churn' must be binary \(0 or 1\); found other values such as \['no', 'yes'\]",
                 id="label not 0/1"),
])
def test_fails_with_a_clear_message_on_unusable_input(tmp_path, files, args, message):
    input_dir = write_input(tmp_path / "input", files)

    process = profile("--input-dir", str(input_dir), "--output-dir", str(tmp_path / "out"), *args)

    assert process.returncode == 1
    assert re.search(message, process.stderr), process.stderr
    assert "Traceback" not in process.stderr
    assert not os.path.exists(tmp_path / "out")


def test_refuses_both_an_input_dir_and_an_input_file(tmp_path):
    process = profile("--input-dir", str(tmp_path), "--input-file", SAMPLE_CSV, "--output-dir", str(tmp_path / "out"))

    assert process.returncode == 2
    assert "argument --input-file: not allowed with argument --input-dir" in process.stderr
    assert not os.path.exists(tmp_path / "out")
