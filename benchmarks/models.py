"""Model training steps (issue 5, workloads 1 and 2): an MLP and a small CNN, batch-wise, with Adam.

A training step is forward, loss, backward and the optimizer update. scratchdl runs its public
API (``Sequential`` compiled with Adam and a sparse categorical cross-entropy, then
``model.train_on_batch``); PyTorch runs the same network as an ``nn.Sequential`` with
``torch.optim.Adam`` and ``F.cross_entropy``; Keras 3 (torch backend) runs the same
``Sequential`` with ``train_on_batch``. Each framework works in its native layout (channels-last
for scratchdl and Keras, NCHW for PyTorch) on the same float32 data.

The builders are shared with ``benchmarks.fit`` (which trains the same models with ``fit``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.timing import Result, compare

MLP_SIZES = (784, 512, 256, 10)
CNN_INPUT = (64, 64, 3)
CNN_CLASSES = 6


# ------------------------------------------------------------------------------- builders
def mlp_model(lib: Any) -> Any:
    """784-512-256-10 ReLU MLP (logits out) in ``lib`` (``scratchdl`` or ``keras``), compiled with Adam."""
    layers = lib.layers
    model = lib.Sequential([
        lib.Input((MLP_SIZES[0],)),
        layers.Dense(MLP_SIZES[1], activation="relu"),
        layers.Dense(MLP_SIZES[2], activation="relu"),
        layers.Dense(MLP_SIZES[3]),
    ])
    model.compile(optimizer=lib.optimizers.Adam(1e-3),
                  loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def cnn_model(lib: Any) -> Any:
    """The issue's small CNN (softmax out) in ``lib``, compiled with Adam."""
    layers = lib.layers
    model = lib.Sequential([
        lib.Input(CNN_INPUT),
        layers.Conv2D(8, 4, padding="same"),
        layers.ReLU(),
        layers.MaxPooling2D(8, 8, padding="same"),
        layers.Conv2D(16, 2, padding="same"),
        layers.ReLU(),
        layers.MaxPooling2D(4, 4, padding="same"),
        layers.Flatten(),
        layers.Dense(CNN_CLASSES, activation="softmax"),
    ])
    model.compile(optimizer=lib.optimizers.Adam(1e-3),
                  loss=lib.losses.SparseCategoricalCrossentropy())
    return model


def torch_mlp() -> Any:
    """The MLP in PyTorch (logits out)."""
    from torch import nn

    a, b, c, d = MLP_SIZES
    return nn.Sequential(nn.Linear(a, b), nn.ReLU(), nn.Linear(b, c), nn.ReLU(), nn.Linear(c, d))


def torch_cnn() -> Any:
    """The CNN in PyTorch, NCHW, with TensorFlow's 'same' padding (the extra pixel bottom/right)."""
    from torch import nn

    return nn.Sequential(
        nn.ZeroPad2d((1, 2, 1, 2)), nn.Conv2d(3, 8, 4), nn.ReLU(), nn.MaxPool2d(8, 8),
        nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(8, 16, 2), nn.ReLU(), nn.MaxPool2d(4, 4),
        nn.Flatten(), nn.Linear(2 * 2 * 16, CNN_CLASSES),
    )


def torch_train_step(module: Any, x: Any, y: Any) -> Callable[[], float]:
    """A closure running one Adam step of ``module`` on (x, y) with cross-entropy on logits."""
    import torch
    import torch.nn.functional as F

    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(module(x), y)
        loss.backward()
        optimizer.step()
        return float(loss.item())  # as train_on_batch, return the loss value

    return step


def data(kind: str, samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Fixed float32 inputs and int64 labels for the MLP (``'mlp'``) or the CNN (``'cnn'``)."""
    rng = np.random.default_rng(seed)
    if kind == "mlp":
        x = rng.standard_normal((samples, MLP_SIZES[0]), dtype=np.float32)
        y = rng.integers(0, MLP_SIZES[-1], samples)
    else:
        x = rng.uniform(0.0, 1.0, (samples, *CNN_INPUT)).astype(np.float32)
        y = rng.integers(0, CNN_CLASSES, samples)
    return x, y


# ------------------------------------------------------------------------------- workloads
def _train_step_workload(kind: str, batch: int, title: str, target: float, quick: bool) -> Result:
    import keras
    import torch

    import scratchdl as sd

    x, y = data(kind, batch)
    builder = mlp_model if kind == "mlp" else cnn_model
    model = builder(sd)
    keras_model = builder(keras)
    module = torch_mlp() if kind == "mlp" else torch_cnn()
    x_t = torch.from_numpy(x if kind == "mlp" else np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    y_t = torch.from_numpy(y)
    times = compare({
        "scratchdl": lambda: model.train_on_batch(x, y),
        "pytorch": torch_train_step(module, x_t, y_t),
        "keras": lambda: keras_model.train_on_batch(x, y),
    }, repeats=10 if quick else 40, warmup=2, max_seconds=4 if quick else None)
    return Result(title, times["scratchdl"], times["pytorch"], times["keras"], target=target)


def mlp_train_step(quick: bool) -> Result:
    """Workload 1: one Adam step of the 784-512-256-10 MLP on a batch of 128."""
    return _train_step_workload("mlp", 128, "1. MLP 784-512-256-10 train step, batch 128, Adam",
                                1.0, quick)


def cnn_train_step(quick: bool) -> Result:
    """Workload 2: one Adam step of the small CNN on 64 images of 64x64x3."""
    return _train_step_workload("cnn", 64, "2. CNN 64x64x3 (conv8-pool8-conv16-pool4-dense6) "
                                "train step, batch 64, Adam", 1.5, quick)


WORKLOADS = [mlp_train_step, cnn_train_step]
