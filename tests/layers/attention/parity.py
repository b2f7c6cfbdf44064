"""Keras parity for layers with several inputs, masks and returned attention scores.

The layer harness differentiates only the first input and compares outputs that
``compute_output_shape`` describes; attention layers also take values, keys and masks and can
return their attention scores. ``compare_with_keras`` calls our layer and the Keras layer the
same way (a ``call`` function receives the inputs converted for each library and a converter for
extra arrays such as masks), copies Keras's weights into ours, and checks outputs, output masks,
and the gradients of ``sum(output_i * w_i)`` with respect to every float input and every
trainable weight against torch autograd through the Keras layer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from scratchdl import Tensor
from scratchdl.layers.symbolic import flatten

__all__ = ["compare_with_keras", "for_scratchdl", "for_torch"]


def for_scratchdl(array: np.ndarray, requires_grad: bool = False) -> Tensor:
    """A scratchdl tensor copy of ``array``."""
    return Tensor(array.copy(), requires_grad=requires_grad and array.dtype.kind == "f")


def for_torch(array: np.ndarray, requires_grad: bool = False) -> torch.Tensor:
    """A torch tensor copy of ``array``."""
    tensor = torch.from_numpy(array.copy())
    return tensor.requires_grad_(True) if requires_grad and tensor.is_floating_point() else tensor


def _numpy(value: Any) -> np.ndarray:
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, Tensor):
        return value.numpy()
    return np.asarray(value)


def compare_with_keras(ours: Any, theirs: Any, arrays: list[np.ndarray],
                       call: Callable[[Any, list[Any], Callable[[np.ndarray], Any]], Any],
                       atol: float = 1e-5, grad_atol: float = 1e-4,
                       upstream_keep: list[np.ndarray | None] | None = None,
                       seed: int = 0) -> list[np.ndarray]:
    """Check outputs, masks and gradients of ``ours`` against ``theirs`` (see the module doc).

    Args:
        ours, theirs: the scratchdl layer and the Keras layer (unbuilt).
        arrays: the float inputs, differentiated.
        call: ``call(layer, inputs, convert)`` calls the layer; ``convert`` turns an extra
            NumPy array (a mask) into the library's tensor type.
        upstream_keep: per output, a boolean array broadcastable to it: the upstream gradient
            is zeroed where False (e.g. at padded query positions, as a masked loss does).

    Returns:
        Our outputs as NumPy arrays.
    """
    call(ours, [for_scratchdl(a) for a in arrays], for_scratchdl)  # build
    call(theirs, [for_torch(a) for a in arrays], for_torch)
    assert [w.path.split("/", 1)[-1] for w in ours.weights] == \
        [w.path.split("/", 1)[-1] for w in theirs.weights], (
        f"weights {[w.path for w in ours.weights]} != Keras's {[w.path for w in theirs.weights]}")
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    ours.set_weights(theirs.get_weights())

    our_inputs = [for_scratchdl(a, True) for a in arrays]
    their_inputs = [for_torch(a, True) for a in arrays]
    our_out = flatten(call(ours, our_inputs, for_scratchdl))
    their_out = flatten(call(theirs, their_inputs, for_torch))
    assert len(our_out) == len(their_out), f"{len(our_out)} outputs, Keras {len(their_out)}"
    for i, (a, b) in enumerate(zip(our_out, their_out)):
        assert a.shape == tuple(b.shape), f"output {i}: shape {a.shape}, Keras {tuple(b.shape)}"
        assert a.dtype == _numpy(b).dtype, f"output {i}: dtype {a.dtype}, Keras {_numpy(b).dtype}"
        np.testing.assert_allclose(a.numpy(), _numpy(b), atol=atol, rtol=1e-5, err_msg=f"output {i}")
        their_mask = getattr(b, "_keras_mask", None)
        our_mask = getattr(a, "_keras_mask", None)
        assert (our_mask is None) == (their_mask is None), f"output {i}: mask presence differs"
        if their_mask is not None:
            np.testing.assert_array_equal(_numpy(our_mask), _numpy(their_mask))

    rng = np.random.default_rng(seed)
    upstream = [rng.standard_normal(o.shape).astype(np.float32) for o in our_out]
    if upstream_keep is not None:
        upstream = [u if keep is None else u * keep for u, keep in zip(upstream, upstream_keep)]
    loss = sum((o * Tensor(u)).sum() for o, u in zip(our_out, upstream))
    loss.backward()
    torch_loss = sum((o * torch.from_numpy(u)).sum() for o, u in zip(their_out, upstream))
    torch_loss.backward()
    for i, (a, b) in enumerate(zip(our_inputs, their_inputs)):
        expected = np.zeros(a.shape, np.float32) if b.grad is None else b.grad.numpy()
        actual = np.zeros(a.shape, np.float32) if a.grad is None else a.grad
        np.testing.assert_allclose(actual, expected, atol=grad_atol, rtol=1e-4,
                                   err_msg=f"gradient of input {i}")
    for a, b in zip(ours.weights, theirs.weights):
        if not b.trainable:
            continue
        expected = np.zeros(a.shape, np.float32) if b.value.grad is None else b.value.grad.numpy()
        actual = np.zeros(a.shape, np.float32) if a.grad is None else a.grad
        np.testing.assert_allclose(actual, expected, atol=grad_atol, rtol=1e-4,
                                   err_msg=f"gradient of weight {a.path}")
    return [o.numpy() for o in our_out]
