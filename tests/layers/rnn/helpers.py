"""Shared helpers for the recurrent-layer tests: Keras parity of whole models and of cells."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from scratchdl import Tensor
from tests.layers.harness import to_numpy


def assert_model_parity(model: Any, keras_model: Any, inputs: list[np.ndarray], atol: float = 1e-5,
                        grad_atol: float = 1e-4, seed: int = 0) -> None:
    """Copy Keras's weights into ``model``; outputs, output masks and the gradients of
    ``sum(outputs * w)`` with respect to the float inputs and to every weight equal Keras's
    (torch backend)."""
    assert [tuple(w.shape) for w in model.weights] == [tuple(w.shape) for w in keras_model.weights]
    model.set_weights(keras_model.get_weights())
    ours_in = [Tensor(a.copy(), requires_grad=a.dtype.kind == "f") for a in inputs]
    theirs_in = [torch.from_numpy(a.copy()) for a in inputs]
    for t in theirs_in:
        if t.is_floating_point():
            t.requires_grad_(True)
    ours = model(ours_in if len(inputs) > 1 else ours_in[0])
    theirs = keras_model(theirs_in if len(inputs) > 1 else theirs_in[0])
    ours = list(ours) if isinstance(ours, (list, tuple)) else [ours]
    theirs = list(theirs) if isinstance(theirs, (list, tuple)) else [theirs]
    assert len(ours) == len(theirs)
    rng = np.random.default_rng(seed)
    directions = [rng.standard_normal(o.shape).astype(np.float32) for o in ours]
    for index, (a, b) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(a.numpy(), to_numpy(b), atol=atol, rtol=1e-5,
                                   err_msg=f"output {index}")
        keras_mask = getattr(b, "_keras_mask", None)
        our_mask = getattr(a, "_keras_mask", None)
        assert (keras_mask is None) == (our_mask is None), f"output {index}: mask presence differs"
        if keras_mask is not None:
            np.testing.assert_array_equal(to_numpy(our_mask), to_numpy(keras_mask))
    loss = None
    for out, w in zip(ours, directions):
        term = (out * Tensor(w)).sum()
        loss = term if loss is None else loss + term
    loss.backward()
    sum((out * torch.from_numpy(w)).sum() for out, w in zip(theirs, directions)).backward()
    for index, (a, b) in enumerate(zip(ours_in, theirs_in)):
        if b.grad is not None:
            np.testing.assert_allclose(a.grad, b.grad.numpy(), atol=grad_atol, rtol=1e-4,
                                       err_msg=f"gradient of input {index}")
    for ours_w, keras_w in zip(model.weights, keras_model.weights):
        expected = keras_w.value.grad
        if expected is None:
            assert ours_w.grad is None or not np.any(ours_w.grad), f"{ours_w.path}: gradient, Keras none"
            continue
        np.testing.assert_allclose(ours_w.grad, expected.numpy(), atol=grad_atol, rtol=1e-4,
                                   err_msg=f"gradient of {ours_w.path}")
