"""local/clarify.py: the stand-in of the SageMaker Clarify container for pre-training bias."""
import json
import math
import re

import pandas as pd
import pytest

from conftest import SAMPLE_CSV, check_ok, run_script

# Ten applicants: facet a (gender 0) has 6, 3 hired; facet d (gender 1) has 4, 1 hired.
APPLICANTS = pd.DataFrame({
    "gender": [0, 0, 0, 0, 0, 0, 1, 1, 1, 1],
    "dept": ["A", "A", "B", "B", "B", "A", "A", "B", "B", "A"],
    "income": [31.5, 42.0, 55.25, 61.0, 38.0, 90.5, 47.5, 29.0, 33.0, 71.0],
    "hired": [1, 1, 1, 0, 0, 0, 1, 0, 0, 0],
})
CONFIG = {
    "dataset_type": "text/csv",
    "label": "hired",
    "label_values_or_threshold": [1],
    "facet": [{"name_or_index": "gender", "value_or_threshold": [1]}],
    "group_variable": "dept",
    "methods": {"pre_training_bias": {"methods": "all"}},
}


def clarify(root, config, files=None, env=None):
    """Runs the stand-in with its container paths below root, as the local loop does."""
    data = root / "opt/ml/processing/input/data"
    data.mkdir(parents=True, exist_ok=True)
    for name, content in (files if files is not None else {"applicants.csv": APPLICANTS.to_csv(index=False)}).items():
        (data / name).parent.mkdir(parents=True, exist_ok=True)
        (data / name).write_text(content)
    (root / "opt/ml/processing/input/config").mkdir(parents=True, exist_ok=True)
    (root / "opt/ml/processing/input/config/analysis_config.json").write_text(json.dumps(config))
    return run_script("local/clarify.py", env={"CDK_MLOPS_CONTAINER_ROOT": str(root), **(env or {})})


def analysis(root):
    def reject(constant):
        raise ValueError("bare %s is not valid JSON" % constant)
    return json.loads((root / "opt/ml/processing/output/analysis.json").read_text(), parse_constant=reject)


def metric_values(entry):
    return {metric["name"]: metric["value"] for metric in entry["metrics"]}


def test_computes_every_pre_training_metric_by_the_formulas_of_the_metric_pages(tmp_path):
    # WHEN the stand-in runs on the ten applicants with methods "all" and a group variable
    check_ok(clarify(tmp_path, CONFIG))

    # THEN analysis.json has the layout of the Analysis Results page, metrics in name order
    result = analysis(tmp_path)
    assert list(result) == ["pre_training_bias_metrics"]
    section = result["pre_training_bias_metrics"]
    assert section["label"] == "hired" and section["label_value_or_threshold"] == "1"
    assert list(section["facets"]) == ["gender"] and len(section["facets"]["gender"]) == 1
    entry = section["facets"]["gender"][0]
    assert entry["value_or_threshold"] == "1"
    assert [m["name"] for m in entry["metrics"]] == ["CDDL", "CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    assert all(set(m) == {"name", "description", "value"} for m in entry["metrics"])
    assert entry["metrics"][1]["description"] == "Class Imbalance (CI)"
    # AND the values are the hand-computed ones: n_a = 6, n_d = 4, q_a = 3/6, q_d = 1/4
    values = metric_values(entry)
    pa, pd_ = (0.5, 0.5), (0.75, 0.25)  # (share not hired, share hired) of facet a and of facet d
    mix = (0.625, 0.375)

    def kl(p, q):
        return sum(x * math.log(x / y) for x, y in zip(p, q))
    assert values["CI"] == pytest.approx((6 - 4) / (6 + 4))  # 0.2
    assert values["DPL"] == pytest.approx(0.5 - 0.25)
    assert values["KL"] == pytest.approx(0.5 * math.log(0.5 / 0.75) + 0.5 * math.log(0.5 / 0.25))
    assert values["JS"] == pytest.approx((kl(pa, mix) + kl(pd_, mix)) / 2)
    assert values["LP"] == pytest.approx(math.sqrt(0.25 ** 2 + 0.25 ** 2))
    assert values["TVD"] == pytest.approx((0.25 + 0.25) / 2)
    assert values["KS"] == pytest.approx(0.25)
    # CDDL: dept A (5 rows) rejects 2 (1 of facet d) and hires 3 (1 of facet d): DD = 1/2 - 1/3;
    # dept B (5 rows) rejects 4 (2 of facet d) and hires 1 (none of facet d): DD = 2/4 - 0
    assert values["CDDL"] == pytest.approx((5 * (1 / 2 - 1 / 3) + 5 * (2 / 4 - 0)) / 10)


def test_the_sensitive_group_is_facet_d_so_swapping_it_flips_ci_and_dpl(tmp_path):
    config = {**CONFIG, "facet": [{"name_or_index": "gender", "value_or_threshold": [0]}],
              "methods": {"pre_training_bias": {"methods": ["DPL", "CI"]}}}

    check_ok(clarify(tmp_path, config))

    entry = analysis(tmp_path)["pre_training_bias_metrics"]["facets"]["gender"][0]
    assert entry["value_or_threshold"] == "0"
    assert metric_values(entry) == pytest.approx({"CI": -0.2, "DPL": -0.25})


def test_a_facet_without_values_gives_one_result_per_value_and_a_number_is_a_threshold(tmp_path):
    # GIVEN the department facet without values and income with a threshold of 45
    config = {**CONFIG, "facet": [{"name_or_index": "dept"}, {"name_or_index": "income", "value_or_threshold": 45}],
              "methods": {"pre_training_bias": {"methods": ["CI", "DPL"]}}}

    check_ok(clarify(tmp_path, config))

    facets = analysis(tmp_path)["pre_training_bias_metrics"]["facets"]
    # THEN each department is compared with the rest, in order of appearance
    assert [entry["value_or_threshold"] for entry in facets["dept"]] == ["A", "B"]
    # dept A: 5 rows, 3 hired, against dept B: 5 rows, 1 hired
    assert metric_values(facets["dept"][0]) == pytest.approx({"CI": 0.0, "DPL": 1 / 5 - 3 / 5})
    # AND incomes above 45 (5 rows: 55.25, 61.0, 90.5, 47.5, 71.0; 2 hired) form facet d
    assert facets["income"][0]["value_or_threshold"] == "(45.0, 90.5]"
    assert metric_values(facets["income"][0]) == pytest.approx({"CI": 0.0, "DPL": 2 / 5 - 2 / 5})


def test_a_list_of_one_number_is_a_threshold_on_a_continuous_column_as_the_sdk_writes_it(tmp_path):
    config = {**CONFIG, "facet": [{"name_or_index": "income", "value_or_threshold": [45]}],
              "label": "income", "label_values_or_threshold": [60],
              "methods": {"pre_training_bias": {"methods": ["CI"]}}}

    check_ok(clarify(tmp_path, config))

    section = analysis(tmp_path)["pre_training_bias_metrics"]
    assert section["label_value_or_threshold"] == "(60.0, 90.5]"
    assert section["facets"]["income"][0]["value_or_threshold"] == "(45.0, 90.5]"


def test_reads_headerless_files_under_the_prefix_with_headers_from_the_config(tmp_path):
    # GIVEN the applicants cut in two headerless files, one in a sub-folder, and the names in headers
    files = {"part-1.csv": APPLICANTS.iloc[:4].to_csv(index=False, header=False),
             "more/part-2.csv": APPLICANTS.iloc[4:].to_csv(index=False, header=False)}
    config = {**CONFIG, "headers": list(APPLICANTS.columns), "label": 3, "facet": [{"name_or_index": 0,
                                                                                     "value_or_threshold": [1]}]}

    # WHEN analysed, label and facet given by index
    check_ok(clarify(tmp_path / "split", config, files))
    check_ok(clarify(tmp_path / "whole", CONFIG))

    # THEN the result is that of the single file with a header row
    assert analysis(tmp_path / "split") == analysis(tmp_path / "whole")


def test_runs_on_the_churn_sample_and_writes_a_report_when_asked(tmp_path):
    config = {"dataset_type": "text/csv", "label": "churn", "label_values_or_threshold": [1],
              "facet": [{"name_or_index": "contract", "value_or_threshold": ["month-to-month"]},
                        {"name_or_index": "age", "value_or_threshold": 60}],
              "methods": {"pre_training_bias": {"methods": "all"}, "report": {"name": "bias", "title": "Churn bias"}}}

    process = check_ok(clarify(tmp_path, config, {"churn-sample.csv": open(SAMPLE_CSV).read()}))

    facets = analysis(tmp_path)["pre_training_bias_metrics"]["facets"]
    # "all" without a group variable leaves CDDL out
    assert [m["name"] for m in facets["contract"][0]["metrics"]] == ["CI", "DPL", "JS", "KL", "KS", "LP", "TVD"]
    # the generator gives month-to-month contracts a higher churn rate: facet d has more positives
    assert metric_values(facets["contract"][0])["DPL"] < -0.2
    # age carries no signal in the sample
    assert facets["age"][0]["value_or_threshold"] == "(60, 80]"
    assert abs(metric_values(facets["age"][0])["DPL"]) < 0.05
    assert re.search(r"CDDL left out, as no group_variable is set", process.stderr)
    page = (tmp_path / "opt/ml/processing/output/bias.html").read_text()
    assert "<title>Churn bias</title>" in page and "month-to-month" in page and "http" not in page


def test_writes_infinite_kl_as_the_string_infinity(tmp_path):
    # GIVEN facet d (gender 1) without any hire while facet a has some: KL(P_a || P_d) is infinite
    frame = APPLICANTS.assign(hired=[1, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    config = {**CONFIG, "methods": {"pre_training_bias": {"methods": ["KL", "JS"]}}}

    check_ok(clarify(tmp_path, config, {"applicants.csv": frame.to_csv(index=False)}))

    values = metric_values(analysis(tmp_path)["pre_training_bias_metrics"]["facets"]["gender"][0])
    assert values["KL"] == "Infinity"
    assert math.isfinite(values["JS"])


@pytest.mark.parametrize("change, message", [
    ({"methods": {"pre_training_bias": {"methods": ["CI", "DI"]}}},
     r'methods.pre_training_bias.methods names unknown metric\(s\) \["DI"\]; expected "all" or some of CDDL, CI, '),
    ({"methods": {"pre_training_bias": {"methods": ["CDDL"]}}, "group_variable": None},
     r"methods.pre_training_bias.methods names CDDL, which needs group_variable; none is set"),
    ({"facet": [{"name_or_index": "sex", "value_or_threshold": [1]}]},
     r'facet\[0\].name_or_index "sex" is not a column of the dataset; columns are \[\'gender\', \'dept\', '),
    ({"label": "approved"}, r'label "approved" is not a column of the dataset'),
    ({"label": 7}, r"label 7 is not a column index: the dataset has 4 columns"),
    ({"group_variable": "team"}, r'group_variable "team" is not a column of the dataset'),
    ({"facet": [{"name_or_index": "gender", "value_or_threshold": [2]}]},
     r'facet\[0\].value_or_threshold \[2\] matches no row of facet column "gender", so facet d is empty; '
     r"its values include \['0', '1'\]"),
    ({"facet": [{"name_or_index": "income", "value_or_threshold": 95}]},
     r'facet\[0\].value_or_threshold 95 matches no row of facet column "income", so facet d is empty'),
    ({"facet": [{"name_or_index": "gender", "value_or_threshold": [0, 1]}]},
     r'facet\[0\].value_or_threshold \[0, 1\] matches every row of facet column "gender", so facet a'),
    ({"label_values_or_threshold": ["yes"]},
     r'label_values_or_threshold \["yes"\] matches no row of label column "hired"; its values include'),
    ({"facet": []}, r"facet \[\] must be a list of"),
    ({"label_values_or_threshold": None}, r"label_values_or_threshold null must be a non-empty list"),
    ({"methods": {"pre_training_bias": {"methods": "all"}, "post_training_bias": {"methods": "all"}}},
     r"methods.post_training_bias is not supported: the stand-in computes pre-training bias only"),
    ({"dataset_type": "application/x-parquet"}, r'dataset_type "application/x-parquet" is not supported'),
    ({"dataset_uri": "s3://bucket/data/"}, r'dataset_uri "s3://bucket/data/" is not supported'),
    ({"headers": ["gender", "dept", "income"]}, r"applicants.csv has 4 columns but headers names 3"),
    ({"headers": ["gender", "dept", "income", "hired"]},
     r"applicants.csv starts with a header row, but headers is set"),
])
def test_fails_with_one_line_naming_the_key_and_the_value(tmp_path, change, message):
    # None takes a key out of the configuration, except label_values_or_threshold, where null is the bad value
    config = {key: value for key, value in {**CONFIG, **change}.items()
              if value is not None or key == "label_values_or_threshold"}

    process = clarify(tmp_path, config)

    assert process.returncode == 1, process.stderr
    errors = [line for line in process.stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1 and re.search(message, errors[0]), process.stderr
    assert "Traceback" not in process.stderr
    assert not (tmp_path / "opt/ml/processing/output/analysis.json").exists()


def test_fails_when_the_analysis_config_or_the_dataset_is_missing(tmp_path):
    process = run_script("local/clarify.py", "--config-dir", str(tmp_path / "config"),
                         "--dataset-dir", str(tmp_path / "data"), "--output-dir", str(tmp_path / "out"))
    assert process.returncode == 1
    assert re.search(r"analysis configuration not found: .*config/analysis_config\.json", process.stderr)

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "analysis_config.json").write_text(json.dumps(CONFIG))
    process = run_script("local/clarify.py", "--config-dir", str(tmp_path / "config"),
                         "--dataset-dir", str(tmp_path / "data"), "--output-dir", str(tmp_path / "out"))
    assert process.returncode == 1
    assert re.search(r"dataset folder not found: .*data", process.stderr)
