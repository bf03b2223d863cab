"""The committed sample is exactly what the generator produces, and fit for the pipeline."""
import os

import pandas as pd

from conftest import SAMPLE_CSV, check_ok, run_script


def test_committed_sample_matches_the_generator(tmp_path):
    # WHEN the generator runs with its defaults
    output = tmp_path / "churn-sample.csv"
    check_ok(run_script(os.path.join("data", "generate_sample.py"), "--output", str(output)))

    # THEN it reproduces the committed file byte for byte (else re-run it and commit the result)
    assert output.read_bytes() == open(SAMPLE_CSV, "rb").read()


def test_sample_is_small_binary_and_has_values_to_impute():
    sample = pd.read_csv(SAMPLE_CSV)
    assert os.path.getsize(SAMPLE_CSV) < 150 * 1024
    assert len(sample) == 2000
    assert set(sample["churn"].unique()) == {0, 1}
    assert 0.2 < sample["churn"].mean() < 0.45
    assert sample.isna().to_numpy().any()
    assert sample.select_dtypes(include="object").shape[1] == 2
