"""Normalization ops: batch normalization (training and inference forms), layer normalization and
moments, each with a hand-written (fused) backward.

Batch normalization standardizes each *channel* with statistics taken over every other axis:

    mean = sum(x) / N        var = sum((x - mean)**2) / N        (biased, as Keras 3)
    y    = scale * (x - mean) / sqrt(var + epsilon) + offset

In training the statistics are functions of the batch, so the gradient of ``x`` flows through them
too. Chaining that through ``mean``, ``subtract``, ``square``, ``sqrt`` and ``divide`` would keep
half a dozen full-size intermediates alive; the fused backward needs only ``x_hat`` and one
reduction per channel (derivation in ``FusedBatchNorm.backward``).

Layer normalization is the same computation with the roles swapped: the statistics are taken over
the normalized axes of *each sample*, and ``gamma``/``beta`` live on those axes.

"Kept axes" (``axis`` of batch normalization) and "normalized axes" (``axis`` of layer
normalization) may be an int or a sequence of ints; per-channel arrays (scale, offset, mean,
variance, gamma, beta) have the shape of ``x`` on those axes, in increasing axis order
(``x.shape = (N, H, W, C)`` with ``axis=(1, 3)`` gives ``(H, C)``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from scratchdl.autograd.engine import sum_to
from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.ops._helpers import in_place, normalize_axis, shape_of
from scratchdl.ops.elementwise import as_float_array

__all__ = ["batch_normalization", "fused_batch_normalization", "layer_normalization", "moments"]

# Keras's ``backend.epsilon()``: added to the masked element count so an all-masked channel
# divides by 1e-7 instead of 0, and the default epsilon of ``layer_normalization``.
KERAS_EPSILON = 1e-7


def _axes(axis: Any, ndim: int, op: str) -> tuple[int, ...]:
    if axis is None:
        raise ValueError(f"{op}: axis must be an int or a sequence of ints, got None")
    if isinstance(axis, bool) or not isinstance(axis, (int, Sequence)):
        raise TypeError(f"{op}: axis must be an int or a sequence of ints, got {axis!r}")
    if not isinstance(axis, int) and any(isinstance(a, bool) or not isinstance(a, int) for a in axis):
        raise TypeError(f"{op}: axis must be an int or a sequence of ints, got {axis!r}")
    if ndim == 0:
        raise ValueError(f"{op}: expected a tensor with at least 1 dimension, got a scalar (shape ())")
    return normalize_axis(axis, ndim, op)


def _param_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(shape[a] for a in axes)


def _broadcast_shape(shape: tuple[int, ...], axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(d if i in axes else 1 for i, d in enumerate(shape))


def _other_axes(ndim: int, axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i not in axes)


def _check_param(op: str, what: str, value: Any, expected: tuple[int, ...], x_shape: tuple[int, ...],
                 axes: tuple[int, ...]) -> None:
    if value is not None and shape_of(value) != expected:
        raise ValueError(
            f"{op}: {what} must have shape {expected} (the input's sizes on axes {axes}), got "
            f"shape {shape_of(value)} for input shape {x_shape}"
        )


def _reduce_to_param(grad: Any, reduce_axes: tuple[int, ...], param_shape: tuple[int, ...]) -> Any:
    """Sum a full-size gradient over ``reduce_axes`` and lay it out in the parameter's shape."""
    return grad.sum(axis=reduce_axes, keepdims=True).reshape(param_shape)


def _channel_sums(a: Any, bshape: tuple[int, ...]) -> Any:
    """``a`` summed over the axes where ``bshape`` is 1 (kept as size-1 axes).

    For float32 and float64 it is the engine's ``sum_to``: over leading axes of a large
    contiguous array, one matrix-vector product, 2x to 4x faster than ``sum`` for activations
    ``(N, H, W, C)``. Other dtypes (float16) keep NumPy's sum, which accumulates in float32.
    """
    if a.dtype.char in "fd":
        return sum_to(a, bshape)
    return a.sum(axis=tuple(i for i, size in enumerate(bshape) if size == 1), keepdims=True)


def _sums_of_products(a: Any, b: Any, reduced: tuple[int, ...], shape: tuple[int, ...]) -> Any:
    """``(a * b)`` summed over the ``reduced`` axes, in ``shape`` (the reduced axes kept as 1).

    Over the leading or the trailing axes of C-contiguous arrays of one dtype it is one
    ``einsum`` on a 2-D view: no product array, 2.5x to 3x faster than ``(a * b).sum(...)``
    on batch-norm activations, with the same sums. Other dtypes (float16) and layouts take
    NumPy's ``sum`` of the product.
    """
    ndim = a.ndim
    leading = reduced == tuple(range(len(reduced)))
    trailing = reduced == tuple(range(ndim - len(reduced), ndim))
    if ((leading or trailing) and a.flags.c_contiguous and b.flags.c_contiguous
            and a.dtype == b.dtype and a.dtype.char in "fd" and a.shape == b.shape):
        xp = get_array_module(a, b)
        split = len(reduced) if leading else ndim - len(reduced)
        rows = math.prod(a.shape[:split])
        pattern = "ij,ij->j" if leading else "ij,ij->i"
        return xp.einsum(pattern, a.reshape(rows, -1), b.reshape(rows, -1)).reshape(shape)
    return (a * b).sum(axis=reduced, keepdims=True)


class _OptionalInputs(Function):
    """A Function whose optional per-channel inputs (scale, offset, ...) may be absent.

    ``present`` names the inputs actually passed, in order; ``forward`` receives them as a dict.
    """

    def __init__(self, present: tuple[str, ...]) -> None:
        self.present = present

    def _named(self, arrays: tuple[Any, ...]) -> dict[str, Any]:
        return dict(zip(self.present, arrays))

    def _needs(self, name: str) -> bool:
        return name in self.present and self.needs_input_grad[self.present.index(name)]


class FusedBatchNorm(_OptionalInputs):
    """Training-mode batch norm: normalize with the batch's own (optionally masked) statistics."""

    def __init__(self, present: tuple[str, ...], axis: Any, epsilon: float, mask: Any) -> None:
        super().__init__(present)
        self.axis, self.epsilon, self.mask = axis, epsilon, mask

    def forward(self, *arrays: Any) -> tuple[Any, Any, Any]:
        named = self._named(arrays)
        x = as_float_array(named["x"])
        xp = get_array_module(x)
        op = "fused_batch_normalization"
        self.kept = _axes(self.axis, x.ndim, op)
        self.reduced = _other_axes(x.ndim, self.kept)
        self.param_shape = _param_shape(x.shape, self.kept)
        bshape = _broadcast_shape(x.shape, self.kept)
        for name in ("scale", "offset"):
            _check_param(op, name, named.get(name), self.param_shape, x.shape, self.kept)
        if self.mask is None:
            weights = None
            count = math.prod(x.shape[a] for a in self.reduced)
            mean = _channel_sums(x, bshape) / count
            centered = x - mean
            var = _sums_of_products(centered, centered, self.reduced, bshape) / count
        else:
            try:
                weights = xp.broadcast_to(xp.asarray(self.mask), x.shape).astype(x.dtype)
            except ValueError:
                raise ValueError(
                    f"{op}: the mask of shape {shape_of(self.mask)} does not broadcast to the input "
                    f"shape {x.shape}"
                ) from None
            # Keras's masked moments: sums over the kept positions divided by (count + 1e-7).
            count = weights.sum(axis=self.reduced, keepdims=True) + KERAS_EPSILON
            mean = (weights * x).sum(axis=self.reduced, keepdims=True) / count
            centered = x - mean
            var = (weights * centered * centered).sum(axis=self.reduced, keepdims=True) / count
        inv_std = 1 / xp.sqrt(var + self.epsilon)
        scale = named.get("scale")
        scale = None if scale is None else xp.asarray(scale).reshape(bshape)
        offset = named.get("offset")
        # y = (x - mean) * (r * scale) + offset in one output array; x_hat = (x - mean) * r is
        # never formed (the backward pass needs only sums of it, per channel).
        y = centered * (inv_std if scale is None else inv_std * scale)
        if offset is not None:
            y = in_place(xp.add, y, xp.asarray(offset).reshape(bshape))
        self.save_for_backward(centered, inv_std, scale, weights, count)
        return (y.astype(x.dtype, copy=False), mean.reshape(self.param_shape),
                var.reshape(self.param_shape))

    def backward(self, grad_y: Any, grad_mean: Any, grad_var: Any) -> tuple[Any, ...]:
        centered, inv_std, scale, weights, count = self.saved
        bshape = inv_std.shape
        grads: dict[str, Any] = {}
        # With d = x - mean, r = (var + eps)^-1/2, x_hat = d r, y = scale x_hat + offset and
        # D = N (or the masked count + 1e-7), w = 1 (or the mask), every sum below is per channel:
        #   dL/dscale  = sum(g x_hat) = r sum(g d),   dL/doffset = sum(g)
        #   dL/dvar    = -1/2 r^3 scale sum(g d) + g_var
        #   dL/dmean   = -r scale sum(g) + dL/dvar * dvar/dmean + g_mean,
        #                dvar/dmean = -2 sum(w d) / D  (zero without a mask: sum(d) = 0)
        #   dL/dx      = g scale r + dL/dvar * 2 w d / D + dL/dmean * w / D
        need_x = self._needs("x")
        sum_g = _channel_sums(grad_y, bshape) if need_x or self._needs("offset") else None
        sum_gd = (_sums_of_products(grad_y, centered, self.reduced, bshape)
                  if need_x or self._needs("scale") else None)
        if self._needs("scale"):
            grads["scale"] = (sum_gd * inv_std).reshape(self.param_shape)
        if self._needs("offset"):
            grads["offset"] = sum_g.reshape(self.param_shape)
        if need_x:
            xp = get_array_module(grad_y)
            scale_r = inv_std if scale is None else inv_std * scale
            d_var = -0.5 * inv_std ** 2 * scale_r * sum_gd + grad_var.reshape(bshape)
            d_mean = -scale_r * sum_g + grad_mean.reshape(bshape)
            if weights is None:
                # g scale r + d (2 dL/dvar / D) + dL/dmean / D, in one output array
                grad_x = in_place(xp.add, grad_y * scale_r, centered * (2 * d_var / count))
                grad_x = in_place(xp.add, grad_x, d_mean / count)
            else:
                weighted = weights * centered
                d_mean = d_mean - 2 * d_var * weighted.sum(axis=self.reduced, keepdims=True) / count
                grad_x = grad_y * scale_r + (2 * d_var * weighted + d_mean * weights) / count
            grads["x"] = grad_x
        return tuple(grads.get(name) for name in self.present)


class BatchNormInference(_OptionalInputs):
    """Batch norm with given statistics: ``(x - mean) / sqrt(variance + eps) * scale + offset``."""

    def __init__(self, present: tuple[str, ...], axis: Any, epsilon: float) -> None:
        super().__init__(present)
        self.axis, self.epsilon = axis, epsilon

    def forward(self, *arrays: Any) -> Any:
        named = self._named(arrays)
        x = as_float_array(named["x"])
        xp = get_array_module(x)
        op = "batch_normalization"
        self.kept = _axes(self.axis, x.ndim, op)
        self.reduced = _other_axes(x.ndim, self.kept)
        self.param_shape = _param_shape(x.shape, self.kept)
        bshape = _broadcast_shape(x.shape, self.kept)
        for name in ("mean", "variance", "scale", "offset"):
            _check_param(op, name, named.get(name), self.param_shape, x.shape, self.kept)
        mean = xp.asarray(named["mean"]).reshape(bshape)
        inv_std = 1 / xp.sqrt(xp.asarray(named["variance"]).reshape(bshape) + self.epsilon)
        scale = named.get("scale")
        scale = None if scale is None else xp.asarray(scale).reshape(bshape)
        multiplier = inv_std if scale is None else inv_std * scale
        offset = named.get("offset")
        offset = None if offset is None else xp.asarray(offset).reshape(bshape)
        # (x - mean) * multiplier + offset, in one output array (a ResNet-50 forward has 53 of
        # these on its largest activations; fresh arrays for each step cost 2x the arithmetic).
        # Every step is done in the final dtype, so the in-place steps never round in between.
        dtype = xp.result_type(x, mean, multiplier, *(() if offset is None else (offset,)))
        y = xp.subtract(x, mean, dtype=dtype)
        y *= multiplier
        if offset is not None:
            y += offset
        self.save_for_backward(x, mean, inv_std, scale, multiplier)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, mean, inv_std, scale, multiplier = self.saved
        centered = x - mean if self._needs("variance") or self._needs("scale") else None
        grads: dict[str, Any] = {}
        if self._needs("x"):
            grads["x"] = grad * multiplier
        if self._needs("mean"):
            grads["mean"] = -_reduce_to_param(grad * multiplier, self.reduced, self.param_shape)
        if self._needs("variance"):
            # d/dvar (var + eps)^-1/2 = -1/2 (var + eps)^-3/2
            g = _reduce_to_param(grad * centered, self.reduced, self.param_shape)
            factor = -0.5 * inv_std ** 3 * (1 if scale is None else scale)
            grads["variance"] = g * factor.reshape(self.param_shape)
        if self._needs("scale"):
            grads["scale"] = _reduce_to_param(grad * centered * inv_std, self.reduced, self.param_shape)
        if self._needs("offset"):
            grads["offset"] = _reduce_to_param(grad, self.reduced, self.param_shape)
        return tuple(grads.get(name) for name in self.present)


class LayerNorm(_OptionalInputs):
    """Per-sample normalization over ``axis``: ``gamma * (x - mean) / sqrt(var + eps) + beta``
    (or ``gamma * x / sqrt(var + eps)`` with ``rms_scaling``)."""

    def __init__(self, present: tuple[str, ...], axis: Any, epsilon: float, rms_scaling: bool) -> None:
        super().__init__(present)
        self.axis, self.epsilon, self.rms_scaling = axis, epsilon, rms_scaling

    def forward(self, *arrays: Any) -> Any:
        named = self._named(arrays)
        x = as_float_array(named["x"])
        xp = get_array_module(x)
        op = "layer_normalization"
        self.normalized = _axes(self.axis, x.ndim, op)
        self.other = _other_axes(x.ndim, self.normalized)
        self.param_shape = _param_shape(x.shape, self.normalized)
        bshape = _broadcast_shape(x.shape, self.normalized)
        for name in ("gamma", "beta"):
            _check_param(op, name, named.get(name), self.param_shape, x.shape, self.normalized)
        count = math.prod(x.shape[a] for a in self.normalized)
        mean = x.mean(axis=self.normalized, keepdims=True)
        centered = x - mean
        var = _sums_of_products(centered, centered, self.normalized, mean.shape) / count
        inv_std = 1 / xp.sqrt(var + self.epsilon)
        if self.rms_scaling:  # Keras's deprecated option: scales x itself, without centering it
            x_hat = x * inv_std
        else:  # x_hat = (x - mean) r, in the centered array (not needed after)
            x_hat = in_place(xp.multiply, centered, inv_std)
        gamma = named.get("gamma")
        gamma = None if gamma is None else xp.asarray(gamma).reshape(bshape)
        if self.rms_scaling:
            self.save_for_backward(inv_std, x_hat, gamma, x, centered)
        else:
            self.save_for_backward(inv_std, x_hat, gamma)
        y = x_hat if gamma is None else x_hat * gamma
        beta = named.get("beta")
        if beta is not None:  # (y may be the saved x_hat: then a new array)
            beta = xp.asarray(beta).reshape(bshape)
            y = y + beta if y is x_hat else in_place(xp.add, y, beta)
        return y.astype(x.dtype, copy=False)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        inv_std, x_hat, gamma = self.saved[:3]
        axes = self.normalized
        count = math.prod(grad.shape[a] for a in axes)
        grads: dict[str, Any] = {}
        if self._needs("gamma"):
            grads["gamma"] = _sums_of_products(grad, x_hat, self.other,
                                               _broadcast_shape(grad.shape, self.normalized)
                                               ).reshape(self.param_shape)
        if self._needs("beta"):
            grads["beta"] = _channel_sums(grad, _broadcast_shape(grad.shape, self.normalized)
                                          ).reshape(self.param_shape)
        if self._needs("x"):
            g = grad if gamma is None else grad * gamma
            mean_gx = _sums_of_products(g, self.saved[3] if self.rms_scaling else x_hat, axes,
                                        inv_std.shape) / count
            if self.rms_scaling:
                x, centered = self.saved[3:]
                # y = x r with r = (var + eps)^-1/2 and d var / dx = 2 (x - mean) / n:
                #   dL/dx = r g - r^3 (x - mean) mean(g x)
                grads["x"] = inv_std * g - inv_std ** 3 * centered * mean_gx
            else:
                # The classic fused form: dL/dx = r (g - mean(g) - x_hat mean(g x_hat)).
                xp = get_array_module(g)
                grad_x = in_place(xp.subtract, g - g.mean(axis=axes, keepdims=True), x_hat * mean_gx)
                grads["x"] = in_place(xp.multiply, grad_x, inv_std)
        return tuple(grads.get(name) for name in self.present)


def _call(function_cls: type, inputs: dict[str, Any], *config: Any) -> Any:
    present = tuple(name for name, value in inputs.items() if value is not None)
    return function_cls(present, *config)(*(inputs[name] for name in present))


def fused_batch_normalization(x: Any, scale: Any = None, offset: Any = None, axis: Any = -1,
                              epsilon: float = 1e-3, mask: Any = None) -> tuple[Tensor, Tensor, Tensor]:
    """Training-mode batch normalization with the batch's own statistics, in one fused op.

    Statistics are taken over every axis except ``axis`` (the channel axis, or several kept axes):

        mean = sum(x) / N,   var = sum((x - mean)**2) / N   (biased, as Keras 3)
        y = scale * (x - mean) / sqrt(var + epsilon) + offset

    With ``mask`` (bool, broadcastable to ``x``), only the True positions count, as in Keras 3:
    ``mean = sum(m x) / (sum(m) + 1e-7)``, ``var = sum(m (x - mean)**2) / (sum(m) + 1e-7)``; every
    position is normalized. The backward runs through the statistics (all three outputs are
    differentiable).

    Args:
        x: the input.
        scale, offset: per-channel ``gamma`` and ``beta`` (shape of ``x`` on ``axis``), or None.
        axis: the kept (channel) axis or axes.
        epsilon: added to the variance.
        mask: optional bool array of positions that count in the statistics.

    Returns:
        ``(y, mean, variance)``; ``mean`` and ``variance`` have the per-channel shape.

    >>> y, mean, var = fused_batch_normalization(Tensor([[1.0], [3.0]]), epsilon=0.0)
    >>> mean, var
    (Tensor([2.]), Tensor([1.]))
    >>> y.numpy().ravel().tolist()
    [-1.0, 1.0]
    """
    if mask is not None:
        mask = mask.data if isinstance(mask, Tensor) else mask
        mask = get_array_module(mask).asarray(mask).astype(bool)
    return _call(FusedBatchNorm, {"x": x, "scale": scale, "offset": offset}, axis, float(epsilon), mask)


def batch_normalization(x: Any, mean: Any, variance: Any, axis: Any, offset: Any = None,
                        scale: Any = None, epsilon: float = 1e-3) -> Tensor:
    """Normalize ``x`` with given per-channel statistics (Keras's ``ops.batch_normalization``).

        y = (x - mean) / sqrt(variance + epsilon) * scale + offset

    ``mean``, ``variance``, ``offset`` and ``scale`` have the shape of ``x`` on ``axis`` (the
    channel axis or axes) and broadcast along the others. Differentiable with respect to all of
    them (a frozen BatchNormalization still trains nothing through ``mean``/``variance``: they are
    non-trainable weights).

    >>> batch_normalization(Tensor([[1.0, 4.0]]), [0.0, 2.0], [1.0, 4.0], axis=-1, epsilon=0.0)
    Tensor([[1., 1.]])
    """
    return _call(BatchNormInference, {"x": x, "mean": mean, "variance": variance, "scale": scale,
                                      "offset": offset}, axis, float(epsilon))


def layer_normalization(x: Any, gamma: Any = None, beta: Any = None, axis: Any = -1,
                        epsilon: float | None = None, rms_scaling: bool = False) -> Tensor:
    """Layer normalization over ``axis`` of each sample (Keras's ``ops.layer_normalization``).

        mean, var = moments of x over axis (biased)
        y = gamma * (x - mean) / sqrt(var + epsilon) + beta

    ``gamma`` and ``beta`` have the shape of ``x`` on ``axis``. ``epsilon`` defaults to Keras's
    ``1e-7``. ``rms_scaling=True`` is Keras's deprecated variant ``y = gamma * x / sqrt(var +
    epsilon)`` (no centering, no ``beta``).

    >>> layer_normalization(Tensor([[1.0, 3.0]]), epsilon=0.0)
    Tensor([[-1.,  1.]])
    """
    if rms_scaling and beta is not None:
        raise ValueError("layer_normalization: beta must be None with rms_scaling=True")
    eps = KERAS_EPSILON if epsilon is None else float(epsilon)
    return _call(LayerNorm, {"x": x, "gamma": gamma, "beta": beta}, axis, eps, bool(rms_scaling))


def moments(x: Any, axes: Any, keepdims: bool = False) -> tuple[Tensor, Tensor]:
    """Mean and (biased) variance of ``x`` over ``axes`` (Keras's ``ops.moments``).

    >>> moments(Tensor([1.0, 2.0, 3.0, 4.0]), axes=0)
    (Tensor(2.5), Tensor(1.25))
    """
    from scratchdl.ops.reduction import mean, var

    return mean(x, axis=axes, keepdims=keepdims), var(x, axis=axes, keepdims=keepdims)
