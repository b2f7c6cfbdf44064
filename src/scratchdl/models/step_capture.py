"""The captured training step: ``train_step`` traced once per batch shape, then replayed.

Keras runs ``fit`` and ``train_on_batch`` through a compiled step unless ``compile`` is given
``run_eagerly=True``. scratchdl does the same with a trace: the first step on a batch shape runs
eagerly while ``autograd.capture.Tracer`` records its ops (the forward pass and the loss), and
later steps on that shape replay them (``CapturedGraph``), forward and backward, without the
layer calls, the loss objects, the tensors and the backward engine's bookkeeping around the same
NumPy work. The weights' gradients, the losses and the metrics come out bit for bit as the
eager step computes them; only Python work is skipped (the MLP step of the benchmarks: ~4%
faster; a 2-4-1 network on 400 points: ~25%).

Only steps whose Python work has no effect besides the recorded ops are captured, so the
conditions are strict; anything else runs eagerly, as before:

* the model is a plain ``Sequential`` or functional ``Model`` (no subclass with its own
  ``call``, ``train_step`` or ``compute_loss``) with one output, and ``run_eagerly`` is off;
* every layer is of a type listed in ``CAPTURABLE_LAYER_NAMES`` (layers whose call is a pure
  function of its inputs and weights: no randomness as in ``Dropout``, no state updates as in
  ``BatchNormalization``), with built-in activations and no activity regularizer;
* the compiled loss is one of ``CAPTURABLE_LOSS_NAMES``, no layer adds a loss
  (regularizers) and no mask is involved;
* ``x`` and ``y`` are single NumPy arrays and there is no ``sample_weight``;
* the trace explains every input of every op (``CapturedGraph``).

A capture is kept per (model structure, compiled loss, ``x`` and ``y`` shapes and dtypes); a
change to any of them traces again. As in Keras, the trace does not see Python attributes that
are changed by hand afterwards (say ``layer.activation = ...``): recompile, or compile with
``run_eagerly=True`` while experimenting.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from scratchdl import activations
from scratchdl.autograd.capture import CapturedGraph, NotCapturable, Tracer
from scratchdl.autograd.tensor import Tensor
from scratchdl.layers.layer import structure_version

__all__ = ["CAPTURABLE_LAYER_NAMES", "CAPTURABLE_LOSS_NAMES", "StepCapture"]

# Layer types (exactly these, not subclasses: a subclass may override ``call``) whose training
# call is a pure function of its inputs and weights, made of recorded ops only.
CAPTURABLE_LAYER_NAMES: tuple[str, ...] = (
    "Activation", "Add", "AveragePooling1D", "AveragePooling2D", "Concatenate", "Conv1D", "Conv2D",
    "Dense", "Flatten", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalMaxPooling1D",
    "GlobalMaxPooling2D", "InputLayer", "LeakyReLU", "MaxPooling1D", "MaxPooling2D", "ReLU",
    "Reshape", "Softmax", "ZeroPadding2D",
)


@functools.cache
def _capturable_types() -> frozenset[type]:
    from scratchdl import layers  # here: the layers package imports the models package

    return frozenset(getattr(layers, name) for name in CAPTURABLE_LAYER_NAMES)


_BUILTIN_ACTIVATIONS = {id(function) for function in activations.ALL_OBJECTS_DICT.values()}


# Built-in per-sample loss functions whose Python work depends on shapes and configuration
# only, never on the values (``hinge``, say, converts 0/1 labels only when all labels are 0/1:
# a replay would keep the trace's choice, so it is not listed).
CAPTURABLE_LOSS_NAMES: tuple[str, ...] = (
    "binary_crossentropy", "categorical_crossentropy", "huber", "mean_absolute_error",
    "mean_squared_error", "sparse_categorical_crossentropy",
)


def _capturable_loss(loss: Any) -> bool:
    from scratchdl import losses

    function = getattr(loss, "fn", None)
    return (type(loss).__module__ == losses.__name__
            and any(function is getattr(losses, name) for name in CAPTURABLE_LOSS_NAMES)
            and getattr(loss, "ignore_class", None) is None)


def _capturable_layer(layer: Any) -> bool:
    if type(layer) not in _capturable_types():
        return False
    if getattr(layer, "activity_regularizer", None) is not None:
        return False
    activation = getattr(layer, "activation", None)
    return activation is None or id(activation) in _BUILTIN_ACTIVATIONS


class StepCapture:
    """The captures of one model's training step, by batch shape (see the module docstring).

    ``plans`` maps a key (``key``) to its captured step, or to None where that step runs
    eagerly; at most ``MAX_PLANS`` keys are kept (data of ever-changing shapes runs eagerly).
    """

    MAX_PLANS = 16

    def __init__(self) -> None:
        # key -> the captured step, or None when that step cannot be captured
        self.plans: dict[tuple[Any, ...], CapturedGraph | None] = {}
        self.replays = 0  # how many steps were replayed (for tests and curious users)

    def key(self, model: Any, x: Any, y: Any, sample_weight: Any) -> tuple[Any, ...] | None:
        """The capture's key for this batch, or None when this step runs eagerly anyway."""
        if (model._run_eagerly or sample_weight is not None or type(x) is not np.ndarray
                or type(y) is not np.ndarray):
            return None
        return (structure_version(), id(model._compile_loss), x.shape, x.dtype, y.shape, y.dtype)

    def should_trace(self, model: Any, key: tuple[Any, ...] | None) -> bool:
        """Whether this eager step should be traced: a new key of a capturable model."""
        if key is None or key in self.plans or len(self.plans) >= self.MAX_PLANS or Tracer.active():
            return False  # (a trace in progress elsewhere: this step is recorded there, or not)
        compile_loss = model._compile_loss
        if compile_loss is None or not compile_loss.built:
            return False  # the compiled loss is resolved in the first step: trace the next one
        if not self.model_capturable(model):
            self.plans[key] = None
            return False
        return True

    @staticmethod
    def model_capturable(model: Any) -> bool:
        """The static conditions: model type, overrides, layers and loss."""
        from scratchdl.models.functional import Functional
        from scratchdl.models.sequential import Sequential
        from scratchdl.models.trainer import Trainer

        cls = type(model)
        if cls not in (Sequential, Functional) or cls.train_step is not Trainer.train_step \
                or cls.compute_loss is not Trainer.compute_loss:
            return False
        compile_loss = model._compile_loss
        if compile_loss.metrics or len(compile_loss._entries) != 1:
            return False
        if not all(_capturable_loss(loss) for loss in compile_loss._entries[0][1]):
            return False
        layers = model._flatten_layers(include_self=False)
        return all(_capturable_layer(layer) for layer in layers)

    def build(self, model: Any, tracer: Tracer, x: Tensor, y: Tensor, y_pred: Any,
              loss: Tensor) -> CapturedGraph | None:
        """The replayable step from one traced eager step, or None when it is not capturable."""
        if not isinstance(y_pred, Tensor) or getattr(y_pred, "_keras_mask", None) is not None:
            return None
        if not loss.requires_grad or model.losses:  # (should_trace checked the rest)
            return None
        try:
            return CapturedGraph(tracer, {"x": x, "y": y}, {"y_pred": y_pred, "loss": loss},
                                 loss="loss")
        except NotCapturable:
            return None
