"""ml/local/serve.py: the serving contract of the built-in XGBoost container and SageMaker's data capture."""
import json
import re
import uuid

import pytest

from conftest import request, run_script, serving, split_rows

CAPTURE_FILE = re.compile(r"churn-local/AllTraffic/\d{4}/\d\d/\d\d/\d\d/\d\d-\d\d-\d{3}-[0-9a-f-]{36}\.jsonl$")


@pytest.fixture(scope="module")
def server(trained_model, tmp_path_factory):
    """The trained model served with sampling 0 %: (port, capture dir)."""
    root = tmp_path_factory.mktemp("serve")
    with serving(trained_model[0], root / "capture", 0, root / "stderr.log") as (port, _):
        yield port, root / "capture"


def test_ping_answers_200_with_an_empty_body(server):
    assert request(server[0], "/ping") == (200, "text/plain", "")


@pytest.mark.parametrize("content_type", ["text/csv", "text/csv; charset=utf-8"])
def test_invocation_answers_one_probability_per_row(server, processing_dir, content_type):
    body = "\n".join(split_rows(processing_dir)[:3]) + "\n"

    status, answer_type, answer = request(server[0], "/invocations", body, content_type)

    assert (status, answer_type) == (200, "text/csv")
    scores = [float(line) for line in answer.split("\n")]
    assert len(scores) == 3 and all(0 <= score <= 1 for score in scores)


@pytest.mark.parametrize("body, message", [
    ("1,2,3\n", r"^row 1 has 3 features, the model expects 12$"),
    ("%s\n1,2\n" % ",".join(["1"] * 12), r"^row 2 has 2 features, the model expects 12$"),
    (",".join(["1"] * 11 + ["x"]), r"^row 1, column 12: 'x' is not a number$"),
])
def test_invocation_rejects_rows_the_model_cannot_read_with_400(server, body, message):
    status, _, answer = request(server[0], "/invocations", body)

    assert status == 400
    assert re.search(message, answer.strip()), answer


def test_invocation_rejects_other_content_types_with_415(server, processing_dir):
    status, _, answer = request(server[0], "/invocations", '{"instances": [1, 2]}', "application/json")

    assert status == 415
    assert "Content-Type 'application/json' is not supported: send text/csv" in answer


def test_other_paths_answer_404(server):
    assert request(server[0], "/models")[0] == 404
    assert request(server[0], "/ping", "1")[0] == 404


def test_sampling_0_percent_captures_nothing(server, processing_dir):
    for row in split_rows(processing_dir)[:5]:
        assert request(server[0], "/invocations", row)[0] == 200

    assert not server[1].exists()


def test_sampling_100_percent_captures_every_answered_request_as_sagemaker_writes_it(served_test_split):
    served = served_test_split
    # The server stopped cleanly on SIGTERM and did not capture the rejected request.
    assert served.returncode == 0 and "SIGTERM received, stopping" in served.stderr
    assert served.rejected[0] == 400

    files = sorted(served.capture.rglob("*.jsonl"))
    # One file per run and hour: two only when the run crossed an hour.
    assert 1 <= len(files) <= 2 and all(CAPTURE_FILE.search(path.as_posix()) for path in files)
    records = [json.loads(line) for path in files for line in path.read_text().splitlines()]
    assert len(records) == len(served.bodies)
    for record, body, (status, _, answer) in zip(records, served.bodies, served.answers):
        assert status == 200
        assert record["captureData"] == {
            "endpointInput": {"observedContentType": "text/csv", "mode": "INPUT", "data": body, "encoding": "CSV"},
            "endpointOutput": {"observedContentType": "text/csv", "mode": "OUTPUT", "data": answer, "encoding": "CSV"},
        }
        assert uuid.UUID(record["eventMetadata"]["eventId"]).version == 4
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", record["eventMetadata"]["inferenceTime"])
        assert record["eventVersion"] == "0"


def test_fails_when_the_model_is_not_a_native_booster(tmp_path):
    (tmp_path / "xgboost-model").write_bytes(b"\x80\x04pickled")

    process = run_script("local/serve.py", "--model-dir", str(tmp_path), "--port", "0", "--capture-dir",
                         str(tmp_path / "capture"), "--sampling-percent", "100", "--endpoint-name", "e",
                         "--variant-name", "v")

    assert process.returncode == 1
    assert re.search(r"^.* ERROR serve: .*xgboost-model is not a native XGBoost model", process.stderr, re.M)
    assert "Traceback" not in process.stderr and process.stdout == ""
