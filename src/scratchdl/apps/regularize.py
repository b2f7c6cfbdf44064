"""Regularization, as in course 2, week 1: the same ReLU network [2, 20, 3, 1] trained without
regularization, with L2 regularization and with dropout, on the "football field" set (where the
French goalkeeper should kick the ball so that his own players head it), with full-batch gradient
descent on binary cross-entropy (``--optimizer adam`` gets there in far fewer steps).

Some labels of the football set are flipped (balls won in the other side's zone): an unregularized
network bends its boundary around them, fits the training points better and does worse on fresh
points. L2 regularization and dropout keep the boundary smooth: the gap between training and test
accuracy narrows.

L2 follows the course's cost, ``J = cross-entropy + lambda / (2 m) * sum of squared kernel weights``
(``m`` training points, every Dense kernel, no biases): ``--l2 LAMBDA`` becomes Keras's
``regularizers.L2(LAMBDA / (2 m))``, which adds ``l2 * sum(w ** 2)`` to the loss. Dropout follows
the course too: after each hidden layer, keeping each unit with probability ``--keep-prob``
(``Dropout(rate=1 - keep_prob)``, inverted dropout, off at test time).

Default data: ``make_football`` (211 training points, 200 test points from another draw, 5% labels
flipped). The run writes the three decision boundaries (training points as dots, test points as
rings), the three cost curves, a train/test accuracy table and the three trained models (each outputs
P(class 1)). ``--csv`` takes your own 2-D data.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import scratchdl as sd
from scratchdl import data
from scratchdl.apps._plots import draw_boundary, plot_curves
from scratchdl.apps._runner import (
    AppError, Results, Table, int_list, non_negative_float, positive_float, positive_int, probability,
)
from scratchdl.apps._two_d import (
    TRAIN_NAMES, accuracy, add_csv_argument, binary_network, compile_binary, draw_test_points, load_csv_2d,
    probability_model, to_float32,
)

NAME = "regularize"
HELP = "no regularization vs L2 vs dropout on the football set"
#: A fast look that shows the effect: a wider network on fewer, noisier points, trained with Adam.
QUICK: dict[str, Any] = {"optimizer": "adam", "learning_rate": 0.01, "epochs": 1000, "samples": 80,
                         "test_samples": 1000, "hidden_sizes": [50, 50], "label_noise": 0.1, "keep_prob": 0.5}

#: The three models compared, in table order.
METHODS = ("none", "l2", "dropout")
_OPTIMIZER_NAMES = {"gd": "gradient descent", "adam": "Adam"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``scratchdl regularize``."""
    group = parser.add_argument_group("data (the football field)")
    group.add_argument("--samples", type=positive_int, default=211, help="training points")
    group.add_argument("--test-samples", type=positive_int, default=200, help="test points (a fresh draw)")
    group.add_argument("--label-noise", type=non_negative_float, default=0.05,
                       help="fraction of labels flipped (balls won in the other side's zone)")
    group.add_argument("--noise", type=non_negative_float, default=0.0, help="Gaussian jitter of the positions")
    add_csv_argument(group)
    group = parser.add_argument_group("network and training")
    group.add_argument("--hidden-sizes", type=int_list, default="20,3", metavar="LIST",
                       help="ReLU hidden layer sizes (the network is 2, these, 1)")
    group.add_argument("--optimizer", choices=("gd", "adam"), default="gd",
                       help="full-batch gradient descent as in the course, or Adam (overfits in far fewer steps)")
    group.add_argument("--epochs", type=positive_int, default=30000, help="full-batch training steps")
    group.add_argument("--learning-rate", type=positive_float, default=0.3,
                       help="step size (0.3 suits gradient descent; try 0.01 with Adam)")
    group = parser.add_argument_group("regularization")
    group.add_argument("--l2", type=positive_float, default=0.7, metavar="LAMBDA",
                       help="the course's L2 strength lambda: the cost gains lambda/(2m) * sum of squared kernel "
                            "weights (m training points), i.e. Keras's regularizers.L2(lambda / (2m)) on every "
                            "Dense kernel")
    group.add_argument("--keep-prob", type=probability, default=0.86,
                       help="dropout's probability of keeping a hidden unit while training: Dropout(rate=1 - "
                            "keep_prob) after each hidden layer")


def keras_l2_factor(lam: float, m: int) -> float:
    """The Keras ``L2`` factor of the course's ``lambda``: ``lambda / (2 m)``.

    The course adds ``lambda / (2 m) * sum(W ** 2)`` to the mean cross-entropy; Keras's
    ``regularizers.L2(l2)`` adds ``l2 * sum(W ** 2)``; both give the gradient ``lambda / m * W``.

    >>> keras_l2_factor(0.7, 211)
    0.0016587677725118483
    """
    if m < 1:
        raise ValueError(f"keras_l2_factor: m must be at least 1, got {m}")
    return lam / (2.0 * m)


def build_model(method: str, hidden_sizes: list[int], m: int, lam: float, keep_prob: float) -> sd.Sequential:
    """The logit network of ``method`` (``'none'``, ``'l2'`` or ``'dropout'``), LeCun-normal kernels
    (the course's ``randn / sqrt(fan_in)``), zero biases."""
    if method not in METHODS:
        raise ValueError(f"regularize: unknown method {method!r}; expected one of {', '.join(METHODS)}")
    regularizer = sd.regularizers.L2(keras_l2_factor(lam, m)) if method == "l2" else None
    rate = 1.0 - keep_prob if method == "dropout" else 0.0
    return binary_network(hidden_sizes, name=f"regularize_{method}", kernel_initializer=sd.initializers.LecunNormal(),
                          kernel_regularizer=regularizer, dropout_rate=rate)


def make_optimizer(name: str, learning_rate: float) -> sd.optimizers.Optimizer:
    """``SGD(learning_rate)`` for ``'gd'``, ``Adam(learning_rate)`` for ``'adam'``."""
    if name == "gd":
        return sd.optimizers.SGD(learning_rate=learning_rate)
    if name == "adam":
        return sd.optimizers.Adam(learning_rate=learning_rate)
    raise ValueError(f"regularize: unknown optimizer {name!r}; expected 'gd' or 'adam'")


def _label(method: str, args: argparse.Namespace) -> str:
    return {"none": "no regularization", "l2": f"L2 (lambda {args.l2:g})",
            "dropout": f"dropout (keep {args.keep_prob:g})"}[method]


def _data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    if args.csv is not None:
        return load_csv_2d(args.csv, args.seed, NAME)
    if args.label_noise > 0.5:
        raise AppError(f"--label-noise: at most 0.5 (half the labels flipped is pure noise), got {args.label_noise:g}")
    make = {"label_noise": args.label_noise, "noise": args.noise}
    x, y = data.make_football(args.samples, seed=args.seed, **make)
    x_test, y_test = data.make_football(args.test_samples, seed=args.seed + 1_000_003, **make)
    return x, y, x_test, y_test, f"football ({args.samples} train, {args.test_samples} test points)"


def run(args: argparse.Namespace) -> Results:
    """Train the network without regularization, with L2 and with dropout; plot and tabulate."""
    run = args.run
    x, y, x_test, y_test, description = _data(args)
    x, y, x_test, y_test = to_float32(x, y, x_test, y_test)
    m = len(x)
    sizes = "[2, " + ", ".join(str(h) for h in args.hidden_sizes) + ", 1]"

    table = Table(["regularization", "train accuracy", "test accuracy", "gap (train - test)", "final cost"],
                  title=f"ReLU network {sizes}, {args.epochs} full-batch {_OPTIMIZER_NAMES[args.optimizer]} steps at "
                        f"{args.learning_rate:g} on {description}")
    models: dict[str, sd.Model] = {}  # each with a sigmoid on top: P(class 1)
    costs: dict[str, list[float]] = {}
    results: dict[str, dict[str, float]] = {}
    for method in METHODS:
        model = build_model(method, args.hidden_sizes, m, args.l2, args.keep_prob)
        compile_binary(model, make_optimizer(args.optimizer, args.learning_rate))
        history = model.fit(x, y, batch_size=m, epochs=args.epochs, shuffle=False, verbose=0,
                            callbacks=[run.progress(_label(method, args))])
        loss = [float(v) for v in history.history["loss"]]
        train, test = accuracy(model, x, y), accuracy(model, x_test, y_test)
        results[method] = {"train_accuracy": train, "test_accuracy": test, "gap": train - test, "final_cost": loss[-1]}
        table.add(_label(method, args), train, test, train - test, loss[-1])
        models[method], costs[_label(method, args)] = probability_model(model), loss
        run.save_model(models[method], f"model-{method}")

    fig, axes = run.figure(1, len(METHODS), size=(3.9 * len(METHODS), 4.4), squeeze=False)
    for ax, method in zip(axes[0], METHODS, strict=True):
        r = results[method]
        title = (f"{_label(method, args)}\ntrain {r['train_accuracy']:.3f}, test {r['test_accuracy']:.3f}, "
                 f"gap {r['gap']:+.3f}")
        draw_boundary(ax, models[method], x, y, title, class_names=TRAIN_NAMES)
        draw_test_points(ax, x_test, y_test, x, y)
    axes[0][0].legend(loc="lower left", fontsize=6.5, markerscale=1.2, framealpha=0.9)
    run.save_figure(fig, "boundaries.png", title=f"Decision boundaries on {description}")

    fig, ax = run.figure(size=(7.0, 4.4))
    plot_curves(ax, costs, xlabel=f"{_OPTIMIZER_NAMES[args.optimizer]} step (epoch)", ylabel="cost (L2 term included)",
                title=f"Cost of {sizes} on {description}")
    run.save_figure(fig, "cost.png", title="Regularization: training cost")

    return {"data": description,
            "metric": f"train-test gap with L2 (none: {results['none']['gap']:.3f}, "
                      f"dropout: {results['dropout']['gap']:.3f})",
            "value": results["l2"]["gap"],
            "tables": [table],
            "metrics": {"accuracies": results, "network": [2, *args.hidden_sizes, 1],
                        "keras_l2_factor": keras_l2_factor(args.l2, m), "dropout_rate": 1.0 - args.keep_prob}}
