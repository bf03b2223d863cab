"""preprocessing.py: output contract, split ratios, sharding, determinism and failures."""
import json
import re

import pandas as pd
import pytest

from conftest import SAMPLE_CSV, check_ok, preprocess

OUTPUTS = ["train/train.csv", "validation/validation.csv", "test/test.csv", "baseline/baseline.csv"]


def read_split(root, name):
    return pd.read_csv(root / name / ("%s.csv" % name), header=None)


def write_input(directory, frames):
    directory.mkdir(parents=True)
    for name, frame in frames.items():
        frame.to_csv(directory / name, index=False)
    return directory


def test_writes_label_first_headerless_numeric_splits_and_a_baseline(processing_dir):
    splits = {name: read_split(processing_dir, name) for name in ("train", "validation", "test")}
    baseline = pd.read_csv(processing_dir / "baseline" / "baseline.csv")

    widths = {frame.shape[1] for frame in splits.values()}
    assert widths == {baseline.shape[1]}
    for frame in splits.values():
        assert set(frame[0].unique()) == {0, 1}
        assert all(pd.api.types.is_numeric_dtype(dtype) for dtype in frame.dtypes)
        assert not frame.isna().to_numpy().any()


def expected_feature_names():
    """train.csv's feature columns, named: the sample's numeric columns as they are, in input order,
    then each categorical column one-hot encoded as <column>_<value>, values sorted."""
    sample = pd.read_csv(SAMPLE_CSV).drop(columns=["churn"])
    numeric = [c for c in sample.columns if pd.api.types.is_numeric_dtype(sample[c])]
    categorical = [c for c in sample.columns if c not in numeric]
    return numeric + ["%s_%s" % (c, v) for c in categorical for v in sorted(sample[c].dropna().astype(str).unique())]


def test_baseline_has_the_columns_of_a_captured_request_output_first(processing_dir):
    # GIVEN the training split as the model is trained on it: label, then the features
    train = read_split(processing_dir, "train")
    features = expected_feature_names()
    assert len(features) == train.shape[1] - 1

    # WHEN the baseline is read as the analyzer reads it (header, output_columns_position START)
    baseline = pd.read_csv(processing_dir / "baseline" / "baseline.csv")

    # THEN the output column (the label, standing in for the predicted probability) comes first,
    # then the features in train.csv's order, and the rows are the training rows in order
    assert list(baseline.columns) == ["churn"] + features
    assert features[:5] == ["tenure_months", "monthly_charges", "data_usage_gb", "support_calls", "age"]
    assert "contract_month-to-month" in features
    assert baseline.to_numpy().tolist() == train.to_numpy().tolist()
    # written as 0.0/1.0 so Model Monitor infers Fractional, the type of the captured probabilities
    assert pd.api.types.is_float_dtype(baseline["churn"])
    lines = (processing_dir / "baseline" / "baseline.csv").read_text().splitlines()[1:]
    assert {line.split(",")[0] for line in lines} == {"0.0", "1.0"}


def test_honours_split_ratios_and_keeps_the_churn_rate(processing_dir, tmp_path):
    # GIVEN the default ratios 0.7 / 0.15 / rest
    sizes = {name: len(read_split(processing_dir, name)) for name in ("train", "validation", "test")}
    assert sizes == {"train": 1400, "validation": 300, "test": 300}
    rates = [read_split(processing_dir, name)[0].mean() for name in sizes]
    assert max(rates) - min(rates) < 0.01

    # WHEN other ratios are given THEN they are honoured too
    check_ok(preprocess(processing_dir / "input", tmp_path, "--train-ratio", "0.6", "--validation-ratio", "0.1"))
    assert [len(read_split(tmp_path, name)) for name in ("train", "validation", "test")] == [1200, 200, 600]


def test_same_seed_gives_identical_output_and_another_seed_does_not(processing_dir, tmp_path):
    check_ok(preprocess(processing_dir / "input", tmp_path / "again", "--seed", "42"))
    check_ok(preprocess(processing_dir / "input", tmp_path / "other", "--seed", "7"))

    for name in OUTPUTS:
        assert (tmp_path / "again" / name).read_bytes() == (processing_dir / name).read_bytes(), name
    assert (tmp_path / "other" / OUTPUTS[0]).read_bytes() != (processing_dir / OUTPUTS[0]).read_bytes()


def test_reads_every_csv_file_in_the_input_directory(processing_dir, tmp_path):
    # GIVEN the sample cut into two files, one of them in a sub-folder as an S3 key prefix gives
    sample = pd.read_csv(SAMPLE_CSV)
    input_dir = write_input(tmp_path / "input", {"part-1.csv": sample.iloc[:1000]})
    write_input(input_dir / "sub", {"part-2.csv": sample.iloc[1000:]})

    # WHEN processed
    check_ok(preprocess(input_dir, tmp_path))

    # THEN the result is the same as from the single file
    for name in OUTPUTS:
        assert (tmp_path / name).read_bytes() == (processing_dir / name).read_bytes(), name


def test_each_shard_gives_the_same_columns_and_host_named_files(tmp_path):
    # GIVEN two instances, each with half of the files (ShardedByS3Key)
    sample = pd.read_csv(SAMPLE_CSV)
    headers = []
    for host, shard in (("algo-1", sample.iloc[:1000]), ("algo-2", sample.iloc[1000:])):
        config = tmp_path / ("%s.json" % host)
        config.write_text(json.dumps({"current_host": host, "hosts": ["algo-1", "algo-2"]}))
        input_dir = write_input(tmp_path / host / "input", {"shard.csv": shard})

        # WHEN each instance processes its shard
        check_ok(preprocess(input_dir, tmp_path / "out", "--resource-config", str(config)))
        headers.append((tmp_path / "out" / "baseline" / ("baseline-%s.csv" % host)).read_text().splitlines()[0])

    # THEN both write the same feature columns, to file names that do not collide in S3
    assert headers[0] == headers[1]
    assert sorted(p.name for p in (tmp_path / "out" / "train").iterdir()) == ["train-algo-1.csv", "train-algo-2.csv"]


def churn_rows(count, churn=lambda i: i % 2):
    return pd.DataFrame({"tenure_months": range(count), "contract": ["one-year"] * count,
                         "churn": [churn(i) for i in range(count)]})


@pytest.mark.parametrize("files, args, message", [
    pytest.param({}, [], r"no CSV files found under input directory", id="no CSV files"),
    pytest.param({"data.csv": churn_rows(40)}, ["--label-column", "churned"],
                 r"label column 'churned' not found; columns are \['tenure_months', 'contract', 'churn'\]",
                 id="label column missing"),
    pytest.param({"data.csv": churn_rows(40, churn=lambda i: ["yes", "no"][i % 2])}, [],
                 r"label column 'churn' must be binary \(0 or 1\); found other values such as \['no', 'yes'\]",
                 id="label not 0/1"),
    pytest.param({"data.csv": churn_rows(40, churn=lambda i: 0)}, [],
                 r"label column 'churn' is not binary: it needs both 0 and 1, found only \[0\]",
                 id="label has one value"),
    pytest.param({"data.csv": churn_rows(6)}, [],
                 r"too few rows to split: 6 rows \(3 with churn=1\) give train 4, validation 0, test 2",
                 id="too few rows"),
    pytest.param({"a.csv": churn_rows(40), "b.csv": churn_rows(40).rename(columns={"contract": "plan"})}, [],
                 r"CSV file .*b\.csv has columns \['tenure_months', 'plan', 'churn'\], but .*a\.csv has",
                 id="files disagree on columns"),
])
def test_fails_with_a_clear_message_on_unusable_input(tmp_path, files, args, message):
    input_dir = write_input(tmp_path / "input", files)

    process = preprocess(input_dir, tmp_path / "out", *args)

    assert process.returncode == 1
    assert re.search(message, process.stderr), process.stderr
    assert "Traceback" not in process.stderr
    assert not (tmp_path / "out" / "train").exists()


def test_fails_on_ratios_that_leave_no_test_split(tmp_path):
    process = preprocess(tmp_path, tmp_path / "out", "--train-ratio", "0.8", "--validation-ratio", "0.2")

    assert process.returncode == 2
    assert re.search(r"must be above 0 and sum to less than 1, got 0.8 and 0.2", process.stderr)


def class_rows(count, classes=3, label=lambda i, k: i % k):
    return pd.DataFrame({"length": [float(i % 17) for i in range(count)], "colour": ["red", "blue"] * (count // 2),
                         "species": [label(i, classes) for i in range(count)]})


def price_rows(count, price=lambda i: 100.0 + 3 * i):
    return pd.DataFrame({"rooms": [i % 5 + 1 for i in range(count)], "district": ["north", "south"] * (count // 2),
                         "price": [price(i) for i in range(count)]})


def test_multiclass_splits_keep_every_class_in_every_split(tmp_path):
    # GIVEN 90 rows of three classes
    input_dir = write_input(tmp_path / "input", {"data.csv": class_rows(90)})

    # WHEN processed as a multiclass problem
    check_ok(preprocess(input_dir, tmp_path / "out", "--problem-type", "multiclass", "--num-classes", "3",
                        "--label-column", "species"))

    # THEN every split holds every class, as whole numbers, in the layout of the binary splits
    for name in ("train", "validation", "test"):
        split = read_split(tmp_path / "out", name)
        assert sorted(split[0].unique()) == [0, 1, 2]
        assert pd.api.types.is_integer_dtype(split[0])
    baseline = pd.read_csv(tmp_path / "out" / "baseline" / "baseline.csv")
    assert list(baseline.columns) == ["species", "length", "colour_blue", "colour_red"]
    assert pd.api.types.is_float_dtype(baseline["species"])


def test_regression_splits_are_seeded_and_span_the_label_range(tmp_path):
    # GIVEN 200 rows with a numeric label
    input_dir = write_input(tmp_path / "input", {"data.csv": price_rows(200)})

    # WHEN processed twice as a regression problem
    for out in ("a", "b"):
        check_ok(preprocess(input_dir, tmp_path / out, "--problem-type", "regression", "--label-column", "price"))

    # THEN the split ratios hold, each split spans the label's range (stratified on quantile bins)
    sizes = {name: len(read_split(tmp_path / "a", name)) for name in ("train", "validation", "test")}
    assert sizes == {"train": 140, "validation": 30, "test": 30}
    for name in sizes:
        labels = read_split(tmp_path / "a", name)[0]
        assert pd.api.types.is_float_dtype(labels)
        assert labels.min() < 160 and labels.max() > 640
    # AND the same seed gives the same bytes
    for name in OUTPUTS:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    baseline = pd.read_csv(tmp_path / "a" / "baseline" / "baseline.csv")
    assert list(baseline.columns) == ["price", "rooms", "district_north", "district_south"]


@pytest.mark.parametrize("files, args, message", [
    pytest.param({"data.csv": class_rows(60, label=lambda i, k: [0, 1, 3][i % 3])},
                 ["--problem-type", "multiclass", "--num-classes", "3"],
                 r"label column 'species' must hold whole numbers 0 to 2 for --num-classes 3; "
                 r"found other values such as \['3'\]", id="multiclass label out of range"),
    pytest.param({"data.csv": class_rows(60, label=lambda i, k: ["cat", "dog", 1.5][i % 3])},
                 ["--problem-type", "multiclass", "--num-classes", "3"],
                 r"must hold whole numbers 0 to 2 for --num-classes 3; found other values such as \['1.5', 'cat', 'dog'\]",
                 id="multiclass label not whole numbers"),
    pytest.param({"data.csv": class_rows(60, label=lambda i, k: i % 2)},
                 ["--problem-type", "multiclass", "--num-classes", "3"],
                 r"too few rows to split: class species=2 has 0 of 60 rows, which give train 0, validation 0, test 0; "
                 r"every split needs rows of every class 0 to 2", id="multiclass class absent"),
    pytest.param({"data.csv": class_rows(60, label=lambda i, k: 2 if i < 3 else i % 2)},
                 ["--problem-type", "multiclass", "--num-classes", "3"],
                 r"too few rows to split: class species=2 has 3 of 60 rows, which give train 2, validation 0, test 1",
                 id="multiclass class too rare"),
    pytest.param({"data.csv": price_rows(40, price=lambda i: ["cheap", "inf", 5.0, 7.0][i % 4])},
                 ["--problem-type", "regression", "--label-column", "price"],
                 r"label column 'price' must hold finite numbers for regression; found other values such as "
                 r"\['cheap', 'inf'\]", id="regression label not numeric"),
    pytest.param({"data.csv": price_rows(6)}, ["--problem-type", "regression", "--label-column", "price"],
                 r"too few rows to split: 6 rows give train 4, validation 1, test 1; every split needs at least 2 rows",
                 id="regression too few rows"),
])
def test_fails_with_a_clear_message_on_unusable_labels_of_other_problem_types(tmp_path, files, args, message):
    input_dir = write_input(tmp_path / "input", files)

    process = preprocess(input_dir, tmp_path / "out", "--label-column", "species", *args)

    assert process.returncode == 1
    assert re.search(message, process.stderr), process.stderr
    assert "Traceback" not in process.stderr
    assert len([line for line in process.stderr.splitlines() if " ERROR " in line]) == 1
    assert not (tmp_path / "out" / "train").exists()


@pytest.mark.parametrize("args, message", [
    (["--problem-type", "multiclass"], r"--problem-type multiclass needs --num-classes K"),
    (["--problem-type", "multiclass", "--num-classes", "1"], r"--num-classes must be at least 2, got 1"),
    (["--num-classes", "3"], r"--num-classes is only for --problem-type multiclass, got --problem-type binary"),
    (["--problem-type", "ordinal"], r"argument --problem-type: invalid choice: 'ordinal'"),
])
def test_fails_on_problem_type_arguments_that_do_not_fit(tmp_path, args, message):
    process = preprocess(tmp_path, tmp_path / "out", *args)

    assert process.returncode == 2
    assert re.search(message, process.stderr), process.stderr
