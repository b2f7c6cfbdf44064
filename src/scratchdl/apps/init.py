"""Initialization, as in course 2, week 1: the same 3-layer ReLU network [2, 10, 5, 1] started from
zeros, from large random weights and from He initialization, each trained with full-batch gradient
descent on binary cross-entropy.

- Zeros: every unit of a layer computes the same thing and gets the same gradient, so the symmetry
  is never broken; with ReLU units at 0 only the output bias learns and the network predicts one
  class everywhere (50% on balanced data).
- Large random (``RandomNormal(stddev=10)``, ``--large-scale``): the output starts saturated, the
  first costs are huge, and gradient descent spends its steps undoing the bad start.
- He (``HeNormal``: variance 2 / fan-in, the right scale for ReLU): learns quickly and well.

Biases start at zero in all three. Default data: the course's two circles (300 training and 100
test points, noise 0.05). The run writes one figure of the three cost curves, one of the three
decision boundaries (training points as dots, test points as rings), a train/test accuracy table and
the three trained models (each outputs P(class 1)). ``--csv`` takes your own 2-D data.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import scratchdl as sd
from scratchdl import data
from scratchdl.apps._plots import draw_boundary, plot_curves
from scratchdl.apps._runner import Results, Table, int_list, non_negative_float, positive_float, positive_int
from scratchdl.apps._two_d import (
    TRAIN_NAMES, accuracy, add_csv_argument, binary_network, compile_binary, draw_test_points, load_csv_2d,
    probability_model, to_float32,
)

NAME = "init"
HELP = "zeros vs large random vs He initialization"
QUICK: dict[str, Any] = {"epochs": 1000, "learning_rate": 0.1}

#: The built-in 2-D sets, each drawn as ``(x, y)`` from ``(n_samples, noise, seed)``.
DATASETS = {
    "circles": lambda n, noise, seed: data.make_circles(n, noise=0.05 if noise is None else noise, factor=0.8,
                                                        seed=seed),
    "moons": lambda n, noise, seed: data.make_moons(n, noise=0.2 if noise is None else noise, seed=seed),
    "flower": lambda n, noise, seed: data.make_flower(n, noise=0.2 if noise is None else noise, seed=seed),
}

#: The three initializations compared, in table order (see :func:`initializer`).
METHODS = ("zeros", "random", "he")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``scratchdl init``."""
    group = parser.add_argument_group("data")
    group.add_argument("--data", choices=sorted(DATASETS), default="circles", help="built-in 2-D data set")
    group.add_argument("--samples", type=positive_int, default=300, help="training points")
    group.add_argument("--test-samples", type=positive_int, default=100, help="test points (a fresh draw)")
    group.add_argument("--noise", type=non_negative_float, default=None,
                       help="noise of the built-in set (None: its usual value, 0.05 for the circles)")
    add_csv_argument(group)
    group = parser.add_argument_group("network and training")
    group.add_argument("--hidden-sizes", type=int_list, default="10,5", metavar="LIST",
                       help="ReLU hidden layer sizes (the network is 2, these, 1)")
    group.add_argument("--epochs", type=positive_int, default=15000, help="full-batch gradient descent steps")
    group.add_argument("--learning-rate", type=positive_float, default=0.01, help="gradient descent step size")
    group.add_argument("--large-scale", type=positive_float, default=10.0,
                       help="standard deviation of the 'large random' initialization (RandomNormal)")


def initializer(method: str, large_scale: float) -> sd.initializers.Initializer:
    """The kernel initializer of ``method``: ``Zeros()``, ``RandomNormal(stddev=large_scale)`` or ``HeNormal()``."""
    if method == "zeros":
        return sd.initializers.Zeros()
    if method == "random":
        return sd.initializers.RandomNormal(mean=0.0, stddev=large_scale)
    if method == "he":
        return sd.initializers.HeNormal()
    raise ValueError(f"init: unknown initialization {method!r}; expected one of {', '.join(METHODS)}")


def _label(method: str, large_scale: float) -> str:
    return {"zeros": "zeros", "random": f"large random (N(0, {large_scale:g}²))", "he": "He"}[method]


def _data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    if args.csv is not None:
        return load_csv_2d(args.csv, args.seed, NAME)
    make = DATASETS[args.data]
    x, y = make(args.samples, args.noise, args.seed)
    x_test, y_test = make(args.test_samples, args.noise, args.seed + 1_000_003)
    return x, y, x_test, y_test, f"{args.data} ({args.samples} train, {args.test_samples} test points)"


def run(args: argparse.Namespace) -> Results:
    """Train the network once per initialization; plot costs and boundaries; tabulate accuracies."""
    run = args.run
    x, y, x_test, y_test, description = _data(args)
    x, y, x_test, y_test = to_float32(x, y, x_test, y_test)
    sizes = "[2, " + ", ".join(str(h) for h in args.hidden_sizes) + ", 1]"

    table = Table(["initialization", "train accuracy", "test accuracy", "first cost", "final cost"],
                  title=f"ReLU network {sizes}, {args.epochs} full-batch gradient descent steps at "
                        f"{args.learning_rate:g} on {description}")
    models: dict[str, sd.Model] = {}  # each with a sigmoid on top: P(class 1)
    costs: dict[str, list[float]] = {}
    results: dict[str, dict[str, float]] = {}
    for method in METHODS:
        label = _label(method, args.large_scale)
        model = binary_network(args.hidden_sizes, name=f"init_{method}",
                               kernel_initializer=initializer(method, args.large_scale))
        compile_binary(model, sd.optimizers.SGD(learning_rate=args.learning_rate))
        history = model.fit(x, y, batch_size=len(x), epochs=args.epochs, shuffle=False, verbose=0,
                            callbacks=[run.progress(f"{method} initialization")])
        loss = [float(v) for v in history.history["loss"]]
        results[method] = {"train_accuracy": accuracy(model, x, y), "test_accuracy": accuracy(model, x_test, y_test),
                           "first_cost": loss[0], "final_cost": loss[-1]}
        table.add(label, results[method]["train_accuracy"], results[method]["test_accuracy"], loss[0], loss[-1])
        models[method], costs[label] = probability_model(model), loss
        run.save_model(models[method], f"model-{method}")

    fig, ax = run.figure(size=(7.0, 4.4))
    plot_curves(ax, costs, xlabel="gradient descent step (epoch)", ylabel="cost (log scale)",
                title=f"Cost of {sizes} on {description}", log_y=True)
    run.save_figure(fig, "cost.png", title="Initialization: training cost")

    fig, axes = run.figure(1, len(METHODS), size=(3.9 * len(METHODS), 4.4), squeeze=False)
    for ax, method in zip(axes[0], METHODS, strict=True):
        r = results[method]
        title = f"{_label(method, args.large_scale)}\ntrain {r['train_accuracy']:.3f}, test {r['test_accuracy']:.3f}"
        draw_boundary(ax, models[method], x, y, title, class_names=TRAIN_NAMES)
        draw_test_points(ax, x_test, y_test, x, y)
    axes[0][0].legend(loc="lower left", fontsize=6.5, markerscale=1.2, framealpha=0.9)
    run.save_figure(fig, "boundaries.png", title=f"Decision boundaries on {description}")

    return {"data": description, "metric": "test accuracy, He initialization", "value": results["he"]["test_accuracy"],
            "tables": [table],
            "metrics": {"accuracies": results, "network": [2, *args.hidden_sizes, 1],
                        "costs_every_100_epochs": {m: costs[_label(m, args.large_scale)][::100] for m in METHODS}}}
