"""The committed samples are exactly what their generators produce, and fit for the pipeline."""
import os

import pandas as pd
import pytest

from conftest import REGRESSION_CSV, REGRESSION_LABEL, SAMPLE_CSV, check_ok, run_script


@pytest.mark.parametrize("generator, sample", [
    ("generate_sample.py", SAMPLE_CSV),
    ("generate_regression_sample.py", REGRESSION_CSV),
])
def test_committed_sample_matches_the_generator(tmp_path, generator, sample):
    # WHEN the generator runs with its defaults
    output = tmp_path / os.path.basename(sample)
    check_ok(run_script(os.path.join("data", generator), "--output", str(output)))

    # THEN it reproduces the committed file byte for byte (else re-run it and commit the result)
    assert output.read_bytes() == open(sample, "rb").read()


def test_sample_is_small_binary_and_has_values_to_impute():
    sample = pd.read_csv(SAMPLE_CSV)
    assert os.path.getsize(SAMPLE_CSV) < 150 * 1024
    assert len(sample) == 2000
    assert set(sample["churn"].unique()) == {0, 1}
    assert 0.2 < sample["churn"].mean() < 0.45
    assert sample.isna().to_numpy().any()
    assert sample.select_dtypes(include="object").shape[1] == 2


def test_regression_sample_is_small_numeric_labelled_and_has_values_to_impute():
    sample = pd.read_csv(REGRESSION_CSV)
    assert os.path.getsize(REGRESSION_CSV) < 150 * 1024
    assert len(sample) == 2000
    assert pd.api.types.is_float_dtype(sample[REGRESSION_LABEL])
    assert sample[REGRESSION_LABEL].notna().all() and (sample[REGRESSION_LABEL] >= 5).all()
    assert sample[REGRESSION_LABEL].nunique() > 300
    assert sample.isna().to_numpy().any()
    assert list(sample.select_dtypes(include="object").columns) == ["vehicle", "weather", "city_zone"]
