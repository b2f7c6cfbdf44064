"""What the 2-D studies of course 2 share (``init``, ``regularize``, ``optimize``): your own CSV data,
binary ReLU networks that output logits, accuracies, test points on a boundary plot (the boundaries
and curves themselves are :mod:`scratchdl.apps._plots`'s).

The networks end in ``Dense(1)`` without an activation and train on
``BinaryCrossentropy(from_logits=True)``: the gradient at the output is then ``sigmoid(z) - y``
(the course's ``dZ = A - Y``) even where the sigmoid saturates. A sigmoid on a probability output
would be clipped to ``[1e-7, 1 - 1e-7]`` by the loss, and a saturated unit (large random
initialization does that) would get no gradient at all. :func:`probability_model` puts the
sigmoid back on for predictions and for the saved models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import scratchdl as sd
from scratchdl import data
from scratchdl.apps._plots import CLASS_COLORS
from scratchdl.apps._runner import AppError

__all__ = [
    "TRAIN_NAMES", "accuracy", "add_csv_argument", "binary_network", "compile_binary", "draw_test_points",
    "load_csv_2d", "probability_model", "to_float32",
]

#: Legend names of the training points (``draw_boundary``'s ``class_names``) beside the test rings.
TRAIN_NAMES = ("class 0 (train)", "class 1 (train)")


def add_csv_argument(group: Any) -> None:
    """Add ``--csv FILE`` (your own 2-D data) to an argument group."""
    group.add_argument("--csv", metavar="FILE", default=None,
                       help="your 2-D data instead of the built-in set: a CSV file with a header, two feature "
                            "columns and a 0/1 label column (the last); 20%% of the rows are held out as the "
                            "test set")


def load_csv_2d(path: str, seed: int, app: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """Read a 2-D binary CSV set and split it 80/20: ``(x, y, x_test, y_test, description)``.

    Raises :class:`AppError` (one line) when the file does not have two feature columns, 0/1 labels
    and at least 10 rows.
    """
    x, y, names = data.load_csv(path)
    if x.shape[1] != 2:
        raise AppError(f"--csv: {app} needs 2 feature columns, '{path}' has {x.shape[1]} ({', '.join(names)})")
    if not set(np.unique(y).tolist()) <= {0, 1}:
        raise AppError(f"--csv: the label column of '{path}' must hold 0 and 1, got {np.unique(y)[:10].tolist()}")
    if y.size < 10:
        raise AppError(f"--csv: '{path}' has {y.size} rows; {app} needs at least 10")
    (x, y), (x_test, y_test) = data.train_test_split(x, y, test_size=0.2, seed=seed)
    return x, y, x_test, y_test, f"{path} ({len(y)} train, {len(y_test)} test points)"


def to_float32(*arrays: np.ndarray) -> list[np.ndarray]:
    """Each array as float32 (features and 0/1 labels alike)."""
    return [np.asarray(a, dtype=np.float32) for a in arrays]


def binary_network(hidden_sizes: Sequence[int], name: str, kernel_initializer: Any = "glorot_uniform",
                   kernel_regularizer: Any = None, dropout_rate: float = 0.0) -> sd.Sequential:
    """``Input(2)``, ``Dense(h, relu)`` per hidden size (each followed by ``Dropout(dropout_rate)``
    when the rate is positive), then ``Dense(1)`` giving the logit. Biases start at zero."""
    layers: list[Any] = [sd.Input((2,))]
    for index, units in enumerate(hidden_sizes, start=1):
        layers.append(sd.layers.Dense(units, activation="relu", kernel_initializer=kernel_initializer,
                                      kernel_regularizer=kernel_regularizer, name=f"hidden_{index}"))
        if dropout_rate > 0:
            layers.append(sd.layers.Dropout(dropout_rate, name=f"dropout_{index}"))
    layers.append(sd.layers.Dense(1, kernel_initializer=kernel_initializer, kernel_regularizer=kernel_regularizer,
                                  name="logit"))
    return sd.Sequential(layers, name=name)


def compile_binary(model: sd.Model, optimizer: Any) -> sd.Model:
    """Compile for logits: ``BinaryCrossentropy(from_logits=True)`` and accuracy at logit 0 (p = 0.5)."""
    model.compile(optimizer=optimizer, loss=sd.losses.BinaryCrossentropy(from_logits=True),
                  metrics=[sd.metrics.BinaryAccuracy(name="accuracy", threshold=0.0)])
    return model


def probability_model(model: sd.Model) -> sd.Sequential:
    """The trained logit network followed by a sigmoid (sharing its weights): outputs P(class 1)."""
    return sd.Sequential([sd.Input((2,)), model, sd.layers.Activation("sigmoid", name="probability")],
                         name=f"{model.name}_probability")


def accuracy(model: sd.Model, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of points whose logit is on the side of their label (inference mode: no dropout)."""
    logits = model.predict(x, batch_size=max(len(x), 1), verbose=0).reshape(-1)
    return float(np.mean((logits > 0) == (y.reshape(-1) > 0.5)))


def draw_test_points(ax: Any, x_test: np.ndarray, y_test: np.ndarray, x: np.ndarray, y: np.ndarray,
                     most: int = 300) -> None:
    """Add test points as faint rings in their class colour over a :func:`draw_boundary` plot (at most
    ``most`` of them, the first ones, so they do not hide the plot), then draw the training points
    ``(x, y)`` again on top, so the dots the model was fitted to stay visible."""
    total = len(x_test)
    shown = min(total, most)
    x_test, y_test = x_test[:shown], np.asarray(y_test).reshape(-1)[:shown]
    note = f", {shown} of {total}" if shown < total else ""
    y = np.asarray(y).reshape(-1)
    for label in (0, 1):
        ax.scatter(x_test[y_test == label, 0], x_test[y_test == label, 1], s=13, facecolors="none",
                   edgecolors=CLASS_COLORS[label], linewidths=0.6, alpha=0.45,
                   label=f"class {label} (test{note})")
    for label in (0, 1):
        ax.scatter(x[y == label, 0], x[y == label, 1], s=14, c=CLASS_COLORS[label], edgecolors="white",
                   linewidths=0.4)
