"""Local model server standing in for the built-in XGBoost serving container plus SageMaker's data capture.

The local loop runs this in place of an endpoint. It loads --model-dir/model.tar.gz (holding
`xgboost-model`, a native Booster, as the built-in algorithm 1.3-1 or later and train.py write it) or
an already extracted --model-dir/xgboost-model, listens on 127.0.0.1:--port (0 picks a free port) and,
once listening, prints one JSON line `{"port": N}` on stdout; it logs on stderr.

    GET  /ping          200, empty body
    POST /invocations   Content-Type text/csv: one or more CSV rows of numeric features, no label, no
                        header, an empty cell is missing; 200 text/csv, one probability per row, one
                        per line. 415 for another content type; 400 for a row with another feature count
                        than the model's or a cell that is not a number. Any other path: 404.

Data capture as SageMaker writes it
(https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture.html): each successful
invocation is captured with probability --sampling-percent / 100, drawn from a random generator seeded
with --seed so that a run is reproducible, as one JSON line
    {"captureData": {"endpointInput": {"observedContentType", "mode": "INPUT", "data": <request body>,
     "encoding": "CSV"}, "endpointOutput": {... "mode": "OUTPUT", "data": <response body> ...}},
     "eventMetadata": {"eventId": <uuid4>, "inferenceTime": <UTC, ISO 8601 with Z>}, "eventVersion": "0"}
in <capture-dir>/<endpoint-name>/<variant-name>/yyyy/mm/dd/hh/ (UTC, the page's S3 layout), one file
per server run and hour named <minute>-<second>-<millis>-<uuid>.jsonl. Each record is appended and
flushed at once, before the response is sent, so a reader sees it while the server runs (SageMaker
delivers to S3 with a delay instead). SIGTERM and SIGINT stop the server and close the capture file.

Exit 1 with one line when the model is missing or not a native Booster, or the port cannot be bound;
exit 2 for invalid arguments.
"""
import argparse
import csv
import io
import json
import logging
import os
import random
import signal
import sys
import tarfile
import threading
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import numpy as np
import xgboost as xgb

logger = logging.getLogger("serve")

MODEL_ARCHIVE = "model.tar.gz"
MODEL_FILE = "xgboost-model"
CSV_TYPE = "text/csv"


class DataError(Exception):
    """A model or port the server cannot use; reported as one line and exit code 1."""


class RequestError(Exception):
    """An invocation the model cannot answer; answered with 400 and the message."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Serve an XGBoost model locally with SageMaker-style data capture.")
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--port", type=int, required=True, help="0 picks a free port")
    parser.add_argument("--capture-dir", required=True)
    parser.add_argument("--sampling-percent", type=int, required=True,
                        help="0 to 100, like DataCaptureConfig.InitialSamplingPercentage")
    parser.add_argument("--endpoint-name", required=True)
    parser.add_argument("--variant-name", required=True)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be between 0 and 65535, got %d" % args.port)
    if not 0 <= args.sampling_percent <= 100:
        parser.error("--sampling-percent must be between 0 and 100, got %d" % args.sampling_percent)
    for option, name in (("--endpoint-name", args.endpoint_name), ("--variant-name", args.variant_name)):
        if not name or "/" in name or name in (".", ".."):
            parser.error("%s must be a non-empty name without '/', got %r" % (option, name))
    return args


def load_model(model_dir):
    archive = os.path.join(model_dir, MODEL_ARCHIVE)
    extracted = os.path.join(model_dir, MODEL_FILE)
    if os.path.isfile(archive):
        source = "%s in %s" % (MODEL_FILE, archive)
        try:
            with tarfile.open(archive, "r:gz") as tar:
                # Read the one member by name instead of extracting the archive, so odd member paths are harmless.
                members = {os.path.normpath(m.name): m for m in tar.getmembers() if m.isfile()}
                if MODEL_FILE not in members:
                    raise DataError("%s holds no %s file; it holds %s" % (archive, MODEL_FILE, sorted(members)))
                content = tar.extractfile(members[MODEL_FILE]).read()
        except (tarfile.TarError, OSError) as error:
            raise DataError("cannot read %s: %s" % (archive, error))
    elif os.path.isfile(extracted):
        source = extracted
        with open(extracted, "rb") as handle:
            content = handle.read()
    else:
        raise DataError("no model found: neither %s nor %s exists" % (archive, extracted))
    booster = xgb.Booster()
    try:
        booster.load_model(bytearray(content))
    except xgb.core.XGBoostError as error:
        raise DataError("%s is not a native XGBoost model (built-in XGBoost before 1.3-1 pickles it): %s"
                        % (source, str(error).splitlines()[0]))
    # Requests hold a few rows: OpenMP's per-call start-up (milliseconds) would dwarf a single-threaded predict.
    booster.set_param({"nthread": 1})
    logger.info("loaded %s: %d features", source, booster.num_features())
    return booster


def parse_rows(body, num_features):
    rows = [row for row in csv.reader(io.StringIO(body)) if row]
    if not rows:
        raise RequestError("the request body holds no CSV rows")
    features = np.empty((len(rows), num_features))
    for number, row in enumerate(rows, 1):
        if len(row) != num_features:
            raise RequestError("row %d has %d features, the model expects %d" % (number, len(row), num_features))
        for column, cell in enumerate(row):
            try:
                features[number - 1, column] = float(cell) if cell.strip() else np.nan
            except ValueError:
                raise RequestError("row %d, column %d: %r is not a number" % (number, column + 1, cell))
    return features


class Capture:
    """Appends sampled invocations to this run's capture file of the current UTC hour."""

    def __init__(self, directory, sampling_percent, seed):
        self.directory = directory
        self.sampling_percent = sampling_percent
        self.random = random.Random(seed)
        self.lock = threading.Lock()
        self.handle = None
        self.hour = None

    def record(self, content_type, request, response):
        with self.lock:
            if self.random.random() * 100 >= self.sampling_percent:
                return
            now = datetime.now(timezone.utc)
            record = {
                "captureData": {
                    "endpointInput": {"observedContentType": content_type, "mode": "INPUT", "data": request,
                                      "encoding": "CSV"},
                    "endpointOutput": {"observedContentType": CSV_TYPE, "mode": "OUTPUT", "data": response,
                                       "encoding": "CSV"},
                },
                "eventMetadata": {"eventId": str(uuid.uuid4()), "inferenceTime": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
                "eventVersion": "0",
            }
            handle = self.file_for(now)
            handle.write(json.dumps(record, separators=(",", ":")) + "\n")
            handle.flush()

    def file_for(self, now):
        hour = now.strftime("%Y/%m/%d/%H")
        if hour != self.hour:
            self.close_file()
            directory = os.path.join(self.directory, *hour.split("/"))
            os.makedirs(directory, exist_ok=True)
            name = "%s-%03d-%s.jsonl" % (now.strftime("%M-%S"), now.microsecond // 1000, uuid.uuid4())
            self.handle = open(os.path.join(directory, name), "a")
            self.hour = hour
            logger.info("capturing to %s", self.handle.name)
        return self.handle

    def close_file(self):
        if self.handle is not None:
            self.handle.close()
            self.handle = None

    def close(self):
        with self.lock:
            self.close_file()


class Handler(BaseHTTPRequestHandler):
    server_version = "cdk-mlops-local-xgboost"

    def do_GET(self):
        if urlsplit(self.path).path == "/ping":
            self.reply(200, "")
        else:
            self.reply(404, "no such path: %s\n" % self.path)

    def do_POST(self):
        if urlsplit(self.path).path != "/invocations":
            self.reply(404, "no such path: %s\n" % self.path)
            return
        content_type = self.headers.get("Content-Type", "")
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if content_type.split(";")[0].strip().lower() != CSV_TYPE:
            self.reply(415, "Content-Type %r is not supported: send %s\n" % (content_type, CSV_TYPE))
            return
        try:
            request = body.decode("utf-8")
            features = parse_rows(request, self.server.booster.num_features())
        except UnicodeDecodeError:
            self.reply(400, "the request body is not UTF-8 text\n")
            return
        except RequestError as error:
            self.reply(400, "%s\n" % error)
            return
        with self.server.predict_lock:
            scores = self.server.booster.predict(xgb.DMatrix(features, nthread=1))
        # float32 as str: the shortest text that reads back as the same probability.
        response = "\n".join(str(score) for score in scores)
        self.server.capture.record(content_type, request, response)
        self.reply(200, response, CSV_TYPE)

    def reply(self, status, text, content_type="text/plain"):
        payload = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format, *args):
        logger.info("%s %s", self.address_string(), format % args)


def serve(args):
    booster = load_model(args.model_dir)
    capture = Capture(os.path.join(args.capture_dir, args.endpoint_name, args.variant_name),
                      args.sampling_percent, args.seed)
    try:
        server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    except OSError as error:
        raise DataError("cannot listen on 127.0.0.1:%d: %s" % (args.port, error))
    server.booster = booster
    # XGBoost documents predict as thread-safe for tree boosters only; gblinear models are served too.
    server.predict_lock = threading.Lock()
    server.capture = capture

    def stop(signum, _frame):
        logger.info("%s received, stopping", signal.Signals(signum).name)
        # shutdown() waits for serve_forever(), which runs on this thread: call it from another one.
        threading.Thread(target=server.shutdown).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    port = server.server_address[1]
    logger.info("serving on 127.0.0.1:%d, capturing %d%% of invocations", port, args.sampling_percent)
    print(json.dumps({"port": port}), flush=True)
    try:
        # A short poll interval, so that a stop signal takes effect within 0.1 s.
        server.serve_forever(poll_interval=0.1)
    finally:
        server.server_close()
        capture.close()
    logger.info("stopped")


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args()
    try:
        serve(args)
    except DataError as error:
        logger.error("%s", error)
        sys.exit(1)


if __name__ == "__main__":
    main()
