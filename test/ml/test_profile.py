"""profile.py: the sample's profile (a self-contained HTML, the JSON facts, preprocessing.py's feature
rules), its warnings, a run without matplotlib, and failures; the same for a regression label (the
delivery sample) and a multiclass one built here."""
import html
import json
import math
import os
import re

import numpy as np
import pandas as pd
import pytest
from scipy.stats.contingency import association

from conftest import REGRESSION_CSV, REGRESSION_LABEL, SAMPLE_CSV, check_ok, preprocess, run_script

RAW_DIR = "opt/ml/processing/input/raw"
NUMERIC = ["tenure_months", "monthly_charges", "data_usage_gb", "support_calls", "age"]
TOP_LEVEL = ["version", "problemType", "dataset", "label", "columns", "correlations", "featureProcessing",
             "warnings"]
IMAGE = '<img src="data:image/png;base64,'


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
    assert page.count(IMAGE) == sample.shape[1] - 1 + 2
    # nothing to fetch: every src/href is an embedded image, and no URL at all
    assert all(link.startswith("data:image/png;base64,") for link in re.findall(r'(?:src|href)="([^"]*)"', page))
    assert "http://" not in page and "https://" not in page
    for column in sample.columns:
        assert "<h3>%s " % column in page, column
    assert "<tr><td>problem type</td><td>binary</td></tr>" in page
    assert report["warnings"] == []


def test_json_has_the_documented_shape(sample_profile):
    report, _ = sample_profile
    sample = pd.read_csv(SAMPLE_CSV)

    assert list(report) == TOP_LEVEL
    assert (report["version"], report["problemType"]) == (1, "binary")
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


# Regression: the delivery sample, label delivery_minutes ---------------------------------------------

def correlation_ratio(values, groups):
    """eta from the between-group and total sums of squares."""
    frame = pd.DataFrame({"value": values, "group": groups}).dropna()
    mean = frame["value"].mean()
    between = sum(len(group) * (group["value"].mean() - mean) ** 2 for _, group in frame.groupby("group"))
    return math.sqrt(between / ((frame["value"] - mean) ** 2).sum())


@pytest.fixture(scope="module")
def regression_profile(tmp_path_factory):
    out = tmp_path_factory.mktemp("regression") / "out"
    check_ok(profile("--input-file", REGRESSION_CSV, "--output-dir", str(out), "--label-column", REGRESSION_LABEL,
                     "--problem-type", "regression"))
    return read_outputs(out)


def test_regression_label_section_is_the_label_distribution(regression_profile):
    report, page = regression_profile
    sample = pd.read_csv(REGRESSION_CSV)
    y = sample[REGRESSION_LABEL]

    assert list(report) == TOP_LEVEL
    assert report["problemType"] == "regression"
    label = report["label"]
    assert list(label) == ["column", "rowsWithLabel", "rowsWithoutLabel", "distinct", "stats", "quantiles",
                           "histogram"]
    assert (label["column"], label["rowsWithLabel"], label["rowsWithoutLabel"], label["distinct"]) == (
        REGRESSION_LABEL, 2000, 0, y.nunique())
    assert label["stats"] == pytest.approx({"min": y.min(), "max": y.max(), "mean": y.mean(), "std": y.std()})
    assert label["quantiles"] == pytest.approx({"p%d" % q: y.quantile(q / 100) for q in (5, 25, 50, 75, 95)})
    assert sum(label["histogram"]["counts"]) == 2000
    assert label["histogram"]["edges"][0] == y.min() and label["histogram"]["edges"][-1] == y.max()
    # one chart per feature, the label's histogram and the correlations; the problem type is shown
    assert page.count(IMAGE) == sample.shape[1] - 1 + 2
    assert 'alt="label distribution"' in page
    assert "<tr><td>problem type</td><td>regression</td></tr>" in page
    assert "<tr><td>quantile 95 %</td>" in page
    # enough distinct values, never an imbalance warning
    assert report["warnings"] == []


def test_regression_correlations_are_pearson_and_label_means_ranked_by_eta(regression_profile):
    report, page = regression_profile
    sample = pd.read_csv(REGRESSION_CSV)
    y = sample[REGRESSION_LABEL]

    entries = report["correlations"]
    assert sorted(entry["column"] for entry in entries) == sorted(sample.columns.drop(REGRESSION_LABEL))
    strengths = [entry["strength"] for entry in entries]
    assert strengths == sorted(strengths, reverse=True)
    by_column = {entry["column"]: entry for entry in entries}
    distance = by_column["distance_km"]
    assert (distance["measure"], distance["value"]) == ("pearson", pytest.approx(sample["distance_km"].corr(y)))
    assert distance["strength"] == pytest.approx(abs(distance["value"])) and distance["value"] > 0.5
    weather = by_column["weather"]
    means = sample.groupby("weather")[REGRESSION_LABEL].mean()
    assert weather["measure"] == "labelMeanSpread" and "labelRates" not in weather
    assert {mean["value"]: mean["labelMean"] for mean in weather["labelMeans"]} == pytest.approx(means.to_dict())
    assert [mean["rows"] for mean in weather["labelMeans"]] == sample["weather"].value_counts().tolist()
    assert weather["value"] == pytest.approx(means.max() - means.min())
    assert weather["strength"] == pytest.approx(correlation_ratio(y, sample["weather"]))
    # snow slows deliveries down: weather ranks above items, below distance
    assert [entry["column"] for entry in entries][:3] == ["distance_km", "weather", "items"]
    assert "mean label: clear " in page


def test_regression_feature_processing_lists_the_columns_preprocessing_produces(regression_profile, tmp_path):
    report, _ = regression_profile
    (tmp_path / "input").mkdir()
    (tmp_path / "input" / "delivery.csv").write_bytes(open(REGRESSION_CSV, "rb").read())
    check_ok(preprocess(tmp_path / "input", tmp_path, "--label-column", REGRESSION_LABEL, "--problem-type",
                        "regression"))

    features = (tmp_path / "baseline" / "baseline.csv").read_text().splitlines()[0].split(",")[1:]
    assert report["featureProcessing"]["featureColumns"] == features
    assert report["featureProcessing"]["target"] == REGRESSION_LABEL


@pytest.mark.parametrize("labels, check, message", [
    pytest.param([7.5] * 30, "labelConstant",
                 "label column 'minutes' holds only 7.5: a constant label leaves nothing to learn", id="constant"),
    pytest.param([float(i % 4) for i in range(30)], "labelCategorical",
                 "label column 'minutes' has only 4 distinct values: it looks categorical, is --problem-type "
                 "regression right?", id="few distinct values"),
    pytest.param([None] * 30, "labelConstant", "no row has a 'minutes' value: preprocessing.py fails", id="no label"),
])
def test_regression_warns_about_a_constant_or_categorical_looking_label(tmp_path, labels, check, message):
    pd.DataFrame({"distance": range(30), "minutes": labels}).to_csv(tmp_path / "data.csv", index=False)

    check_ok(profile("--input-file", str(tmp_path / "data.csv"), "--output-dir", str(tmp_path / "out"),
                     "--label-column", "minutes", "--problem-type", "regression"))

    report, page = read_outputs(tmp_path / "out")
    assert [entry for entry in report["warnings"] if entry["column"] == "minutes"][-1] == {
        "check": check, "column": "minutes", "message": message}
    assert html.escape(message) in page


# Multiclass: three classes built here ----------------------------------------------------------------

def multiclass_frame(counts, seed=0):
    """size separates the classes, colour names each one, shape and noise are unrelated."""
    rng = np.random.default_rng(seed)
    grade = np.repeat(np.arange(len(counts)), counts)
    return pd.DataFrame({
        "size": grade * 10 + rng.normal(0, 3, len(grade)),
        "noise": rng.normal(0, 1, len(grade)),
        "colour": np.array(["red", "green", "blue", "grey"])[grade % 4],
        "shape": rng.choice(["round", "square"], len(grade)),
        "grade": grade,
    })


@pytest.fixture(scope="module")
def multiclass_profile(tmp_path_factory):
    directory = tmp_path_factory.mktemp("multiclass")
    frame = multiclass_frame([30, 40, 50])
    frame.to_csv(directory / "grades.csv", index=False)
    check_ok(profile("--input-file", str(directory / "grades.csv"), "--output-dir", str(directory / "out"),
                     "--label-column", "grade", "--problem-type", "multiclass", "--num-classes", "3"))
    return frame, read_outputs(directory / "out")


def test_multiclass_label_section_counts_each_class(multiclass_profile):
    frame, (report, page) = multiclass_profile

    assert list(report) == TOP_LEVEL
    assert report["problemType"] == "multiclass"
    assert report["label"] == {"column": "grade", "numClasses": 3, "rowsWithLabel": 120, "rowsWithoutLabel": 0,
                               "values": [{"value": value, "count": count, "share": pytest.approx(count / 120)}
                                          for value, count in ((0, 30), (1, 40), (2, 50))]}
    assert page.count(IMAGE) == frame.shape[1] - 1 + 2
    assert "<tr><td>problem type</td><td>multiclass (3 classes)</td></tr>" in page
    assert "<tr><td>2</td><td class=\"n\">50</td><td>41.7 %</td></tr>" in page
    assert report["warnings"] == []


def test_multiclass_correlations_are_eta_and_cramers_v_not_pearson(multiclass_profile):
    frame, (report, page) = multiclass_profile

    entries = report["correlations"]
    by_column = {entry["column"]: entry for entry in entries}
    assert {entry["measure"] for entry in entries} == {"correlationRatio", "cramersV"}
    # colour and size tell the classes apart; shape and noise are noise
    assert [entry["column"] for entry in entries][:2] == ["colour", "size"]
    for column in ("size", "noise"):
        entry = by_column[column]
        assert entry["measure"] == "correlationRatio"
        assert entry["value"] == entry["strength"] == pytest.approx(correlation_ratio(frame[column], frame["grade"]))
    assert by_column["size"]["strength"] > 0.9
    assert max(by_column["noise"]["strength"], by_column["shape"]["strength"]) < 0.3
    for column in ("colour", "shape"):
        table = pd.crosstab(frame[column], frame["grade"]).to_numpy()
        assert by_column[column]["strength"] == pytest.approx(association(table, method="cramer"))
    # colour names the class: each value's most frequent class holds all its rows
    assert by_column["colour"]["topClasses"] == [
        {"value": "blue", "rows": 50, "topClass": 2, "topClassShare": 1.0},
        {"value": "green", "rows": 40, "topClass": 1, "topClassShare": 1.0},
        {"value": "red", "rows": 30, "topClass": 0, "topClassShare": 1.0}]
    shape = frame.groupby("shape")["grade"].agg(lambda grades: grades.value_counts().sort_index().idxmax())
    assert {top["value"]: top["topClass"] for top in by_column["shape"]["topClasses"]} == shape.to_dict()
    assert "most frequent class: blue 2 (100.0 % of 50 rows)" in page


@pytest.mark.parametrize("counts, num_classes, message", [
    pytest.param([30, 40, 50], 4, "label column 'grade' has no row of class 3: preprocessing.py fails, it needs "
                 "rows of every class 0 to 3", id="class without rows"),
    pytest.param([45, 50, 5], 3, "label column 'grade' is imbalanced (a class below 10 % or one above 90 %): "
                 "45.0 % 0, 50.0 % 1, 5.0 % 2", id="class below 10 %"),
    pytest.param([95, 3, 2], 3, "label column 'grade' is imbalanced (a class below 10 % or one above 90 %): "
                 "95.0 % 0, 3.0 % 1, 2.0 % 2", id="class above 90 %"),
    pytest.param([10] * 12, 12, None, id="even classes below 10 % each"),
])
def test_multiclass_warns_about_missing_and_imbalanced_classes(tmp_path, counts, num_classes, message):
    multiclass_frame(counts).to_csv(tmp_path / "grades.csv", index=False)

    check_ok(profile("--input-file", str(tmp_path / "grades.csv"), "--output-dir", str(tmp_path / "out"),
                     "--label-column", "grade", "--problem-type", "multiclass", "--num-classes", str(num_classes)))

    report, page = read_outputs(tmp_path / "out")
    expected = [] if message is None else [{"check": "labelImbalance", "column": "grade", "message": message}]
    assert report["warnings"] == expected
    assert len(report["label"]["values"]) == num_classes
    if message:
        assert html.escape(message) in page


@pytest.mark.parametrize("content, args, message", [
    pytest.param("size,grade\n1,0\n2,3\n3,1.5\n4,x\n5,\n6,2\n", ["--problem-type", "multiclass", "--num-classes", "3"],
                 r"label column 'grade' must hold whole numbers 0 to 2 for --num-classes 3; found other values such "
                 r"as \['1\.5', '3', 'x'\]", id="multiclass label outside 0..K-1"),
    pytest.param("size,grade\n1,0\n2,1\n3,2\n", ["--problem-type", "binary"],
                 r"label column 'grade' must be binary \(0 or 1\); found other values such as \['2'\]",
                 id="binary label outside 0/1"),
    pytest.param("size,grade\n1,12.5\n2,fast\n3,inf\n4,\n", ["--problem-type", "regression"],
                 r"label column 'grade' must hold finite numbers for regression; found other values such as "
                 r"\['fast', 'inf'\]", id="regression label not a finite number"),
])
def test_fails_on_labels_the_problem_type_does_not_allow(tmp_path, content, args, message):
    (tmp_path / "grades.csv").write_text(content)

    process = profile("--input-file", str(tmp_path / "grades.csv"), "--output-dir", str(tmp_path / "out"),
                      "--label-column", "grade", *args)

    assert process.returncode == 1
    assert re.search(message, process.stderr), process.stderr
    assert "Traceback" not in process.stderr
    assert not os.path.exists(tmp_path / "out")


@pytest.mark.parametrize("args, message", [
    pytest.param(["--problem-type", "multiclass"],
                 "--problem-type multiclass needs --num-classes K (the labels are 0 to K-1)", id="no --num-classes"),
    pytest.param(["--problem-type", "multiclass", "--num-classes", "1"], "--num-classes must be at least 2, got 1",
                 id="one class"),
    pytest.param(["--num-classes", "3"],
                 "--num-classes is only for --problem-type multiclass, got --problem-type binary",
                 id="--num-classes for binary"),
    pytest.param(["--problem-type", "ordinal"], "argument --problem-type: invalid choice: 'ordinal'",
                 id="unknown type"),
])
def test_refuses_problem_type_arguments_as_preprocessing_does(tmp_path, args, message):
    process = profile("--input-file", SAMPLE_CSV, "--output-dir", str(tmp_path / "out"), *args)

    assert process.returncode == 2
    assert message in process.stderr, process.stderr
    assert not os.path.exists(tmp_path / "out")
