"""Keras-parity check for layers called on inputs that carry masks (``_keras_mask``).

The layer harness feeds plain arrays; merge layers read their masks from the input tensors
themselves, so this helper attaches the same masks on both sides (scratchdl Tensors and the torch
tensors Keras receives) and compares outputs, output masks and input gradients.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from keras.src.backend import get_keras_mask, set_keras_mask

from scratchdl import Tensor


def masked_parity(layer: Any, keras_layer: Any, arrays: Sequence[np.ndarray],
                  masks: Sequence[np.ndarray | None], atol: float = 1e-5) -> None:
    """Call both layers on ``arrays`` with ``masks`` attached; assert equal outputs, output masks
    and gradients of ``sum(output * w)`` with respect to every input."""
    ours_in = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs_in = [torch.from_numpy(a.copy()).requires_grad_(True) for a in arrays]
    for ours, theirs, mask in zip(ours_in, theirs_in, masks):
        if mask is not None:
            ours._keras_mask = Tensor(mask.copy())
            set_keras_mask(theirs, torch.from_numpy(mask.copy()))
    ours_out = layer(ours_in)
    theirs_out = keras_layer(theirs_in)
    np.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), atol=atol, rtol=1e-5,
                               err_msg=f"{layer.name}: masked output differs from Keras")
    keras_mask = get_keras_mask(theirs_out)
    our_mask = getattr(ours_out, "_keras_mask", None)
    if keras_mask is None:
        assert our_mask is None, f"{layer.name}: output has a mask, Keras's has none"
    else:
        assert our_mask is not None, f"{layer.name}: output has no mask, Keras's has one"
        np.testing.assert_array_equal(our_mask.numpy(), keras_mask.numpy())
    w = np.random.default_rng(0).standard_normal(ours_out.shape).astype(np.float32)
    (ours_out * Tensor(w)).sum().backward()
    (theirs_out * torch.from_numpy(w)).sum().backward()
    for i, (ours, theirs) in enumerate(zip(ours_in, theirs_in)):
        expected = np.zeros(ours.shape, np.float32) if theirs.grad is None else theirs.grad.numpy()
        actual = np.zeros(ours.shape, np.float32) if ours.grad is None else ours.grad
        np.testing.assert_allclose(actual, expected, atol=10 * atol, rtol=1e-5,
                                   err_msg=f"{layer.name}: gradient of masked input {i}")
