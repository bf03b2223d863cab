"""XGBoost training entry point for custom or framework containers (SageMaker training contract).

Use it only when the pipeline does not run the built-in XGBoost algorithm: it reads the same
label-first, headerless CSVs and writes the same artifact (`xgboost-model`, a native Booster, in
SM_MODEL_DIR, which SageMaker packs into model.tar.gz), so evaluation.py works with either.

Channels: SM_CHANNEL_TRAIN, SM_CHANNEL_VALIDATION (every *.csv in each). Hyperparameters arrive as
arguments; the built-in algorithm's underscore spellings (--num_round) are accepted too, so one
hyperparameter map serves both. Each round prints `train:<metric>=<v>` and
`validation:<metric>=<v>` on stdout, <metric> being --eval_metric (auc by default; merror or
mlogloss with multi:softmax, rmse or mae with reg:squarederror), for a metric definition such as
`validation:auc=([0-9\\.]+)`. A multi:softmax or multi:softprob objective needs --num_class, the
number of classes (the labels are 0 to num_class - 1), as the built-in algorithm does.

Self-contained on purpose: SageMaker ships only this file into the container.
"""
import argparse
import logging
import os
import sys

import pandas as pd
import xgboost as xgb

logger = logging.getLogger("train")

# The local loop runs this script outside a container: it sets CDK_MLOPS_CONTAINER_ROOT to a folder
# that stands for the container's "/", and the /opt/ml/... defaults are read below it.
CONTAINER_ROOT = os.environ.get("CDK_MLOPS_CONTAINER_ROOT", "")

MODEL_FILE = "xgboost-model"


TUNABLE_FLOATS = ("alpha", "lambda", "gamma", "min_child_weight", "subsample", "colsample_bytree", "colsample_bylevel", "colsample_bynode")


class DataError(Exception):
    """Input data the script cannot train on; reported as one line and exit code 1."""


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Train XGBoost on label-first headerless CSV channels.")
    parser.add_argument("--num-round", "--num_round", dest="num_round", type=int, default=50)
    parser.add_argument("--max-depth", "--max_depth", dest="max_depth", type=int, default=5)
    parser.add_argument("--eta", type=float, default=0.2)
    parser.add_argument("--objective", default="binary:logistic")
    # The built-in algorithm's hyperparameter; the pipeline sets it so the metric definitions find it.
    parser.add_argument("--eval-metric", "--eval_metric", dest="eval_metric", default="auc")
    parser.add_argument("--seed", type=int, default=42)
    # The built-in algorithm's hyperparameter, required with multi:softmax and multi:softprob.
    parser.add_argument("--num-class", "--num_class", dest="num_class", type=int)
    # The rest of the built-in algorithm's tunable hyperparameters; unset ones keep XGBoost's defaults.
    for name in TUNABLE_FLOATS:
        parser.add_argument("--" + name.replace("_", "-"), "--" + name, dest=name, type=float)
    parser.add_argument("--max-delta-step", "--max_delta_step", dest="max_delta_step", type=int)
    parser.add_argument("--train-dir", default=os.environ.get("SM_CHANNEL_TRAIN", CONTAINER_ROOT + "/opt/ml/input/data/train"))
    parser.add_argument(
        "--validation-dir", default=os.environ.get("SM_CHANNEL_VALIDATION", CONTAINER_ROOT + "/opt/ml/input/data/validation")
    )
    parser.add_argument("--model-dir", default=os.environ.get("SM_MODEL_DIR", CONTAINER_ROOT + "/opt/ml/model"))
    args = parser.parse_args(argv)
    if args.num_round < 1:
        parser.error("--num-round must be at least 1, got %d" % args.num_round)
    if args.objective.startswith("multi:") and args.num_class is None:
        parser.error("--objective %s needs --num_class (the number of classes)" % args.objective)
    if args.num_class is not None and args.num_class < 2:
        parser.error("--num_class must be at least 2, got %d" % args.num_class)
    return args


def read_channel(directory, channel):
    paths = sorted(
        os.path.join(root, name)
        for root, _, names in os.walk(directory)
        for name in names
        if name.lower().endswith(".csv")
    )
    if not paths:
        raise DataError("no CSV files found for the %s channel under %s" % (channel, directory))
    try:
        frame = pd.concat([pd.read_csv(path, header=None) for path in paths], ignore_index=True)
    except pd.errors.EmptyDataError as error:
        raise DataError("%s channel has an empty CSV file under %s: %s" % (channel, directory, error))
    logger.info("%s channel: %d rows from %d file(s) under %s", channel, len(frame), len(paths), directory)
    # Plain arrays, like the built-in algorithm's CSV reader, so the model carries no feature names.
    return xgb.DMatrix(frame.iloc[:, 1:].to_numpy(dtype=float), label=frame.iloc[:, 0].to_numpy())


class PrintMetrics(xgb.callback.TrainingCallback):
    """Prints one `<data>:<metric>=<value>` line per round, the format metric definitions parse."""

    def after_iteration(self, model, epoch, evals_log):
        for data, metrics in evals_log.items():
            for metric, values in metrics.items():
                print("[%d] %s:%s=%.6f" % (epoch, data, metric, values[-1]), flush=True)
        return False


def train(args, train_data, validation_data):
    params = {
        "objective": args.objective,
        "max_depth": args.max_depth,
        "eta": args.eta,
        "eval_metric": args.eval_metric,
        "seed": args.seed,
    }
    for name in TUNABLE_FLOATS + ("max_delta_step", "num_class"):
        if getattr(args, name) is not None:
            params[name] = getattr(args, name)
    logger.info("training with %s for %d rounds", params, args.num_round)
    try:
        return xgb.train(
            params,
            train_data,
            num_boost_round=args.num_round,
            evals=[(train_data, "train"), (validation_data, "validation")],
            verbose_eval=False,
            callbacks=[PrintMetrics()],
        )
    except xgb.core.XGBoostError as error:
        # Labels the objective cannot take (a class index of num_class or more, a binary:logistic
        # label outside [0, 1]) and unknown metric names end up here; the first line says which.
        raise DataError("XGBoost refused to train with %s: %s" % (params, xgboost_reason(error)))


def xgboost_reason(error):
    """The readable part of an XGBoostError: its first line without the source location prefix."""
    line = str(error).strip().splitlines()[0]
    return line.split(": ", 1)[1] if line.startswith("[") and ": " in line else line


def run(args):
    train_data = read_channel(args.train_dir, "train")
    validation_data = read_channel(args.validation_dir, "validation")
    if validation_data.num_col() != train_data.num_col():
        raise DataError(
            "validation data has %d feature columns but train data has %d"
            % (validation_data.num_col(), train_data.num_col())
        )
    booster = train(args, train_data, validation_data)
    os.makedirs(args.model_dir, exist_ok=True)
    path = os.path.join(args.model_dir, MODEL_FILE)
    booster.save_model(path)
    logger.info("saved model to %s", path)


def main():
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parse_args()
    try:
        run(args)
    except DataError as error:
        logger.error("%s", error)
        sys.exit(1)


if __name__ == "__main__":
    main()
