"""Planar data classification with one hidden layer, as in course 1, week 3: a 2-layer network
(Dense(h, tanh) then Dense(1, sigmoid)) for several hidden sizes h against logistic regression,
all trained with full-batch gradient descent on binary cross-entropy.

Default data: the course's "flower" (two classes of petals that no straight line separates:
logistic regression stays near 50% while 3 or more tanh units reach about 90%). Accuracy is measured
on the training points (as the course does) and on a fresh test set drawn from the same
distribution. The run draws every decision boundary in one grid figure, logistic regression's on
its own, and prints an accuracy table. --csv takes your own 2-D data (two feature columns and a 0/1
label column).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import scratchdl as sd
from scratchdl.apps._runner import AppError, Results, Table, int_list, non_negative_float, positive_float, \
    positive_int
from scratchdl import data
from scratchdl.apps._plots import draw_boundary

NAME = "planar"
HELP = "one tanh hidden layer vs logistic regression on 2-D data"
QUICK: dict[str, Any] = {"epochs": 1000}

#: The 2-D sets (all binary), each drawn as ``(x, y)`` from ``(n_samples, noise, seed)``.
DATASETS = {
    "flower": lambda n, noise, seed: data.make_flower(n, noise=0.2 if noise is None else noise, seed=seed),
    "moons": lambda n, noise, seed: data.make_moons(n, noise=0.2 if noise is None else noise, seed=seed),
    "circles": lambda n, noise, seed: data.make_circles(n, noise=0.1 if noise is None else noise, factor=0.5, seed=seed),
    "spirals": lambda n, noise, seed: data.make_spirals(n, n_classes=2, noise=0.2 if noise is None else noise, seed=seed),
    "xor": lambda n, noise, seed: data.make_xor(n, noise=0.1 if noise is None else noise, seed=seed),
    "blobs": lambda n, noise, seed: data.make_blobs(n, centers=[[-1.0, -1.0], [1.0, 1.0]],
                                               cluster_std=1.0 if noise is None else noise, seed=seed),
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``scratchdl planar``."""
    group = parser.add_argument_group("data")
    group.add_argument("--data", choices=sorted(DATASETS), default="flower", help="built-in 2-D data set")
    group.add_argument("--samples", type=positive_int, default=400, help="points in the training set (and test set)")
    group.add_argument("--noise", type=non_negative_float, default=None,
                       help="noise of the built-in set (None: its usual value, 0.2 for the flower)")
    group.add_argument("--csv", metavar="FILE", default=None,
                       help="your 2-D data instead: a CSV file with a header, two feature columns and a 0/1 label "
                            "column (the last); 20%% of the rows are held out as the test set")
    group = parser.add_argument_group("training")
    group.add_argument("--hidden-sizes", type=int_list, default="1,2,3,4,5,20,50", metavar="LIST",
                       help="hidden layer sizes to compare")
    group.add_argument("--epochs", type=positive_int, default=5000, help="full-batch gradient descent steps")
    group.add_argument("--learning-rate", type=positive_float, default=1.2, help="gradient descent step size")
    group.add_argument("--logreg-learning-rate", type=positive_float, default=0.1,
                       help="step size of the logistic regression baseline")


def build_model(hidden: int | None, learning_rate: float) -> sd.Model:
    """Logistic regression (``hidden=None``) or ``Dense(hidden, tanh) -> Dense(1, sigmoid)``, compiled."""
    layers: list[Any] = [sd.Input((2,))]
    if hidden is not None:
        layers.append(sd.layers.Dense(hidden, activation="tanh", name="hidden"))
    layers.append(sd.layers.Dense(1, activation="sigmoid", name="output"))
    model = sd.Sequential(layers, name="logistic_regression" if hidden is None else f"tanh_{hidden}")
    model.compile(optimizer=sd.optimizers.SGD(learning_rate=learning_rate),
                  loss=sd.losses.BinaryCrossentropy(), metrics=["accuracy"])
    return model


def _data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    if args.csv is None:
        make = DATASETS[args.data]
        x, y = make(args.samples, args.noise, args.seed)
        x_test, y_test = make(args.samples, args.noise, args.seed + 1_000_003)
        return x, y, x_test, y_test, f"{args.data} ({args.samples} points, 2 classes)"
    x, y, names = data.load_csv(args.csv)
    if x.shape[1] != 2:
        raise AppError(f"--csv: planar needs 2 feature columns, '{args.csv}' has {x.shape[1]} ({', '.join(names)})")
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise AppError(f"--csv: the label column of '{args.csv}' must hold 0 and 1, got {np.unique(y)[:10].tolist()}")
    if y.size < 10:
        raise AppError(f"--csv: '{args.csv}' has {y.size} rows; planar needs at least 10")
    (x, y), (x_test, y_test) = data.train_test_split(x, y, test_size=0.2, seed=args.seed)
    return x, y, x_test, y_test, f"{args.csv} ({len(y)} train, {len(y_test)} test points)"


def run(args: argparse.Namespace) -> Results:
    """Train logistic regression and one tanh network per hidden size; plot and tabulate."""
    run = args.run
    x, y, x_test, y_test, description = _data(args)
    x, x_test = x.astype(np.float32), x_test.astype(np.float32)
    y, y_test = y.astype(np.float32), y_test.astype(np.float32)

    configs: list[int | None] = [None] + list(dict.fromkeys(args.hidden_sizes))
    models: dict[int | None, sd.Model] = {}
    table = Table(["model", "parameters", "train accuracy", "test accuracy", "final cost"],
                  title=f"{args.epochs} full-batch gradient descent steps on {description}")
    accuracies: dict[str, dict[str, float]] = {}
    for hidden in configs:
        label = "logistic regression" if hidden is None else f"{hidden} tanh unit" + ("s" if hidden > 1 else "")
        rate = args.logreg_learning_rate if hidden is None else args.learning_rate
        model = build_model(hidden, rate)
        history = model.fit(x, y, batch_size=len(x), epochs=args.epochs, shuffle=False, verbose=0,
                            callbacks=[run.progress(label)])
        train = model.evaluate(x, y, batch_size=len(x), verbose=0, return_dict=True)
        test = model.evaluate(x_test, y_test, batch_size=len(x_test), verbose=0, return_dict=True)
        models[hidden] = model
        key = "logreg" if hidden is None else f"hidden_{hidden}"
        accuracies[key] = {"train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
                           "final_cost": history.history["loss"][-1]}
        table.add(label, model.count_params(), train["accuracy"], test["accuracy"], history.history["loss"][-1])
        run.save_model(model, f"model-{key.replace('_', '')}")

    _plot_grid(run, models, accuracies, x, y, description)
    _plot_one(run, models[None], accuracies["logreg"], x, y, description)

    head = 4 if 4 in models else max((h for h in models if h is not None),
                                     key=lambda h: accuracies[f"hidden_{h}"]["train_accuracy"])
    return {"data": description, "metric": f"train accuracy, {head} tanh units",
            "value": accuracies[f"hidden_{head}"]["train_accuracy"], "tables": [table],
            "metrics": {"accuracies": accuracies}}


def _plot_grid(run: Any, models: dict[int | None, sd.Model], accuracies: dict[str, dict[str, float]],
               x: np.ndarray, y: np.ndarray, description: str) -> None:
    count = len(models)
    cols = min(4, count)
    rows = -(-count // cols)
    fig, axes = run.figure(rows, cols, size=(3.4 * cols, 3.5 * rows + 0.5), squeeze=False)
    flat = list(axes.ravel())
    order = [h for h in models if h is not None] + [None]
    for ax, hidden in zip(flat, order):
        key = "logreg" if hidden is None else f"hidden_{hidden}"
        name = "logistic regression" if hidden is None else f"{hidden} tanh unit" + ("s" if hidden > 1 else "")
        draw_boundary(ax, models[hidden], x, y, f"{name}\ntrain accuracy {accuracies[key]['train_accuracy']:.3f}")
    for ax in flat[len(order):]:
        ax.set_visible(False)
    flat[0].legend(loc="upper right", fontsize=7, markerscale=1.5)
    run.save_figure(fig, "boundaries.png", title=f"Decision boundaries on {description}")


def _plot_one(run: Any, model: sd.Model, accuracy: dict[str, float], x: np.ndarray, y: np.ndarray,
              description: str) -> None:
    fig, ax = run.figure(size=(5.2, 5.0))
    draw_boundary(ax, model, x, y, f"Logistic regression on {description}\n"
                                   f"train accuracy {accuracy['train_accuracy']:.3f}")
    ax.legend(loc="upper right", fontsize=8, markerscale=1.5)
    run.save_figure(fig, "boundary_logreg.png")
