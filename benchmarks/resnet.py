"""ResNet-50 (issue 5, workload 3): forward pass and training step, batch 8 of 64x64x3, 6 classes.

scratchdl runs ``scratchdl.applications.ResNet50`` (Keras's layout), Keras 3 runs
``keras.applications.ResNet50(weights=None)`` and PyTorch runs the same architecture written in
``benchmarks.torch_resnet`` (checked here against scratchdl's outputs with copied weights). The
forward pass is inference (``predict_on_batch``; ``torch.no_grad`` in eval mode); the training
step is ``train_on_batch`` with Adam and a sparse categorical cross-entropy on logits (batch
statistics in the BatchNormalization layers; ``module.train()`` and ``torch.optim.Adam``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from benchmarks.timing import Result, compare

BATCH = 8
SHAPE = (64, 64, 3)
CLASSES = 6


def inputs(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A fixed batch of images and labels."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((BATCH, *SHAPE), dtype=np.float32),
            rng.integers(0, CLASSES, BATCH))


def build_model(lib: Any, compiled: bool = True) -> Any:
    """``lib.applications.ResNet50`` for the benchmark (logits out), compiled with Adam."""
    model = lib.applications.ResNet50(weights=None, input_shape=SHAPE, classes=CLASSES,
                                      classifier_activation=None)
    if compiled:
        model.compile(optimizer=lib.optimizers.Adam(1e-3),
                      loss=lib.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def scratchdl_train_step() -> Callable[[], Any]:
    """A closure running one scratchdl ResNet-50 training step (used by the memory benchmark too)."""
    import scratchdl as sd

    model = build_model(sd)
    x, y = inputs()
    return lambda: model.train_on_batch(x, y)


def torch_train_step() -> Callable[[], Any]:
    """A closure running one PyTorch ResNet-50 training step (Keras layout, Adam)."""
    import torch
    import torch.nn.functional as F

    from benchmarks.torch_resnet import KerasLayoutResNet50

    module = KerasLayoutResNet50(CLASSES).train()
    optimizer = torch.optim.Adam(module.parameters(), lr=1e-3)
    x, y = inputs()
    x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))
    y_t = torch.from_numpy(y)

    def step() -> float:
        optimizer.zero_grad(set_to_none=True)
        loss = F.cross_entropy(module(x_t), y_t)
        loss.backward()
        optimizer.step()
        return float(loss.item())

    return step


def _check_same_architecture(model: Any, x: np.ndarray) -> None:
    """The torch model with scratchdl's weights gives scratchdl's logits (inference mode)."""
    import torch

    from benchmarks.torch_resnet import KerasLayoutResNet50, load_keras_weights

    module = KerasLayoutResNet50(CLASSES).eval()
    load_keras_weights(module, model)
    with torch.no_grad():
        expected = module(torch.from_numpy(np.ascontiguousarray(x[:2].transpose(0, 3, 1, 2)))).numpy()
    np.testing.assert_allclose(model.predict_on_batch(x[:2]), expected, rtol=1e-3, atol=1e-3)


def resnet_forward(quick: bool) -> Result:
    """Workload 3a: ResNet-50 inference forward pass, batch 8."""
    import keras
    import torch

    import scratchdl as sd
    from benchmarks.torch_resnet import KerasLayoutResNet50

    x, _ = inputs()
    model = build_model(sd, compiled=False)
    _check_same_architecture(model, x)
    keras_model = build_model(keras, compiled=False)
    module = KerasLayoutResNet50(CLASSES).eval()
    x_t = torch.from_numpy(np.ascontiguousarray(x.transpose(0, 3, 1, 2)))

    def run_torch() -> None:
        with torch.no_grad():
            module(x_t)

    times = compare({
        "scratchdl": lambda: model.predict_on_batch(x),
        "pytorch": run_torch,
        "keras": lambda: keras_model.predict_on_batch(x),
    }, repeats=4 if quick else 15, warmup=1, max_seconds=5 if quick else None)
    return Result("3a. ResNet-50 forward (inference), batch 8 x 64x64x3", times["scratchdl"],
                  times["pytorch"], times["keras"], target=2.0)


def resnet_train_step(quick: bool) -> Result:
    """Workload 3b: one ResNet-50 Adam training step, batch 8."""
    import keras

    x, y = inputs()
    keras_model = build_model(keras)
    times = compare({
        "scratchdl": scratchdl_train_step(),
        "pytorch": torch_train_step(),
        "keras": lambda: keras_model.train_on_batch(x, y),
    }, repeats=3 if quick else 10, warmup=1, max_seconds=8 if quick else None)
    return Result("3b. ResNet-50 train step, batch 8 x 64x64x3, Adam", times["scratchdl"],
                  times["pytorch"], times["keras"], target=2.0)


WORKLOADS = [resnet_forward, resnet_train_step]
