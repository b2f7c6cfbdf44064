"""``BatchNormalization``: normalize each channel with batch statistics in training and with their
moving averages in inference, as Keras 3 does (``keras/src/layers/normalization/
batch_normalization.py``), including batch renormalization and masked statistics."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from scratchdl import constraints, initializers, ops, regularizers
from scratchdl.autograd.mode import no_grad
from scratchdl.autograd.tensor import Tensor
from scratchdl.backend import get_array_module
from scratchdl.layers._utils import label
from scratchdl.layers.layer import Layer

__all__ = ["BatchNormalization"]


def _clone_initializer(initializer: Any) -> Any:
    """A fresh copy of a configurable initializer (so two weights never share seeded state)."""
    if hasattr(initializer, "get_config") and hasattr(type(initializer), "from_config"):
        return type(initializer).from_config(initializer.get_config())
    return initializer


class BatchNormalization(Layer):
    """Batch normalization: ``gamma * (x - mean) / sqrt(var + epsilon) + beta`` per channel.

    * **Training** (``training=True`` on a trainable layer): ``mean`` and ``var`` are the batch's
      statistics over every axis except ``axis`` (``var`` biased, as Keras 3), the gradient flows
      through them (a fused op, ``ops.fused_batch_normalization``), and the moving statistics are
      updated: ``moving = moving * momentum + batch * (1 - momentum)``.
    * **Inference** (``training`` False or None): ``mean`` and ``var`` are ``moving_mean`` and
      ``moving_variance``.
    * **Frozen** (``trainable=False``): always inference, even with ``training=True`` (the usual
      fine-tuning behaviour of Keras), and the moving statistics stay as they are.
    * **Masks**: with a mask (one dimension less than the input, e.g. ``(batch, time)``), only the
      unmasked positions count in the batch statistics (Keras 3's masked moments).

    Weights, in Keras's order: ``gamma`` and ``beta`` (trainable, if ``scale``/``center``),
    ``moving_mean`` and ``moving_variance`` (non-trainable); with ``renorm`` also
    ``moving_stddev``, ``renorm_mean`` and ``renorm_stddev`` (non-trainable).

    Args:
        axis: the channel axis (``-1`` for channels-last, ``1`` for channels-first), or a list of
            kept axes (the weights then have the input's shape on those axes, in axis order).
        momentum: the moving-average momentum.
        epsilon: added to the variance.
        center: learn an offset ``beta``.
        scale: learn a scale ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: initializers.
        beta_regularizer, gamma_regularizer: regularizers.
        beta_constraint, gamma_constraint: constraints.
        renorm: batch renormalization (Ioffe 2017): training output ``(x_hat * r + d) * gamma +
            beta`` with the corrections ``r = std_batch / std_moving``, ``d = (mean_batch -
            mean_moving) / std_moving`` held constant for the gradient.
        renorm_clipping: a dict with optional ``rmax``, ``rmin``, ``dmax`` bounding ``r``, ``d``.
        renorm_momentum: the momentum of the renorm statistics.
        synchronized: cross-replica statistics; only meaningful on TensorFlow in Keras, so True
            raises an error (as Keras does on its other backends).

    >>> import numpy as np
    >>> bn = BatchNormalization(epsilon=0.0)
    >>> y = bn(np.array([[1.0], [3.0]], "float32"), training=True)
    >>> y.numpy().ravel(), bn.moving_mean.numpy()
    (array([-1.,  1.], dtype=float32), array([0.02], dtype=float32))
    """

    def __init__(self, axis: int | Sequence[int] = -1, momentum: float = 0.99, epsilon: float = 1e-3,
                 center: bool = True, scale: bool = True, beta_initializer: Any = "zeros",
                 gamma_initializer: Any = "ones", moving_mean_initializer: Any = "zeros",
                 moving_variance_initializer: Any = "ones", beta_regularizer: Any = None,
                 gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, renorm: bool = False,
                 renorm_clipping: dict[str, float] | None = None, renorm_momentum: float = 0.99,
                 synchronized: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            if not axis or any(isinstance(a, bool) or not isinstance(a, (int, np.integer)) for a in axis):
                raise TypeError(f"{label(self)}: axis must be an int or a non-empty list of ints, got {axis!r}")
            self.axis: int | list[int] = [int(a) for a in axis]
        else:
            self.axis = int(axis)
        if synchronized:
            raise ValueError(
                f"{label(self)}: argument synchronized=True is only supported with the TensorFlow "
                "backend of Keras (scratchdl runs on one device)."
            )
        self.synchronized = synchronized
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True

        self.renorm = renorm
        if renorm:
            renorm_clipping = renorm_clipping or {}
            keys = ["rmax", "rmin", "dmax"]
            if set(renorm_clipping) - set(keys):
                raise ValueError(
                    f"{label(self)}: received invalid keys for `renorm_clipping` argument: "
                    f"{renorm_clipping}. Supported values: {keys}."
                )
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in ("rmax", "rmin", "dmax"))
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError(
                    f"{label(self)}: rmax should be greater than rmin in the `renorm_clipping` "
                    f"argument. Received: rmax={rmax}, rmin={rmin}."
                )
            if dmax is not None and dmax < 0:
                raise ValueError(
                    f"{label(self)}: dmax should be non-negative in the `renorm_clipping` argument. "
                    f"Received: dmax={dmax}."
                )
        self.renorm_clipping = renorm_clipping
        self.renorm_momentum = renorm_momentum

        self.gamma: Any = None
        self.beta: Any = None
        self.moving_mean: Any = None
        self.moving_variance: Any = None
        self._kept_axes: tuple[int, ...] = ()
        self._reduction_axes: tuple[int, ...] = ()
        self._built_rank: int | None = None

    # ------------------------------------------------------------------ shapes
    def _axes_list(self) -> list[int]:
        return list(self.axis) if isinstance(self.axis, list) else [self.axis]

    def _resolve_axes(self, input_shape: tuple[Any, ...]) -> tuple[int, ...]:
        rank = len(input_shape)
        kept = []
        for axis in self._axes_list():
            if not -rank <= axis < rank:
                raise ValueError(
                    f"{label(self)}: axis {axis} is out of bounds for input shape {input_shape}. "
                    f"Received: axis={self.axis}"
                )
            kept.append(axis % rank)
        if len(set(kept)) != len(kept):
            raise ValueError(f"{label(self)}: repeated axis in axis={self.axis} for input shape {input_shape}")
        return tuple(sorted(kept))

    def build(self, input_shape: Any) -> None:
        """Create the weights with the input's size on ``axis``."""
        input_shape = tuple(input_shape)
        self._kept_axes = self._resolve_axes(input_shape)
        shape = tuple(input_shape[a] for a in self._kept_axes)
        if any(d is None for d in shape):
            raise ValueError(
                f"{label(self)}: the size of axis {self.axis} must be known, got input shape {input_shape}"
            )
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint, trainable=True)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, trainable=True)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean",
                                           initializer=self.moving_mean_initializer, trainable=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False)
        if self.renorm:
            # Renorm tracks the moving standard deviation (initialized to the square root of the
            # variance initializer) and its own mean/stddev used for the corrections r and d.
            def moving_stddev_initializer(shape: Sequence[int], dtype: Any = None) -> Any:
                value = _clone_initializer(self.moving_variance_initializer)(shape, dtype=dtype)
                return np.sqrt(np.asarray(value.data if isinstance(value, Tensor) else value))

            self.moving_stddev = self.add_weight(shape=shape, name="moving_stddev",
                                                 initializer=moving_stddev_initializer, trainable=False)
            self.renorm_mean = self.add_weight(shape=shape, name="renorm_mean",
                                               initializer=_clone_initializer(self.moving_mean_initializer),
                                               trainable=False)
            self.renorm_stddev = self.add_weight(shape=shape, name="renorm_stddev",
                                                 initializer=moving_stddev_initializer, trainable=False)
        self._built_rank = len(input_shape)
        self._reduction_axes = tuple(i for i in range(len(input_shape)) if i not in self._kept_axes)

    def _check_input(self, shape: tuple[Any, ...]) -> None:
        expected = tuple(self.moving_mean.shape)
        if len(shape) != self._built_rank or any(
            shape[a] is not None and shape[a] != size for a, size in zip(self._kept_axes, expected)
        ):
            sizes = expected[0] if len(expected) == 1 else expected
            raise ValueError(
                f"{label(self)}: expected input of rank {self._built_rank} with size {sizes} on "
                f"axis {self.axis}, got shape {tuple(shape)}"
            )

    def compute_output_shape(self, input_shape: Any) -> tuple[Any, ...]:
        """The input shape (after checking ``axis`` is in range)."""
        input_shape = tuple(input_shape)
        self._resolve_axes(input_shape)
        return input_shape

    # ------------------------------------------------------------------ call
    def _broadcast_mask(self, inputs: Tensor, mask: Any) -> Any:
        raw = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
        if raw.ndim != inputs.ndim - 1:
            raise ValueError(
                f"{label(self)}: the mask provided should be one dimension less than the inputs. "
                f"Received: mask.shape={tuple(raw.shape)}, inputs.shape={tuple(inputs.shape)}"
            )
        xp = get_array_module(raw)
        try:
            return xp.broadcast_to(xp.expand_dims(raw, -1), inputs.shape).astype(bool)
        except ValueError:
            raise ValueError(
                f"{label(self)}: the mask of shape {tuple(raw.shape)} does not match the inputs of "
                f"shape {tuple(inputs.shape)}"
            ) from None

    def call(self, inputs: Tensor, training: bool | None = None, mask: Any = None) -> Tensor:
        """Normalize ``inputs`` (batch statistics when training a trainable layer, else moving)."""
        self._check_input(inputs.shape)
        mask_array = None if mask is None else self._broadcast_mask(inputs, mask)
        if inputs.dtype not in (np.float32, np.float64):
            inputs = ops.cast(inputs, "float32")  # statistics in at least float32, as Keras
        axis = self._kept_axes
        if training and self.trainable:
            if self.renorm:
                outputs = self._renorm_train(inputs, mask_array)
            else:
                outputs, mean, variance = ops.fused_batch_normalization(
                    inputs, self.gamma, self.beta, axis=axis, epsilon=self.epsilon, mask=mask_array
                )
                self._update_moving(self.moving_mean, mean.data, self.momentum)
                self._update_moving(self.moving_variance, variance.data, self.momentum)
        else:
            outputs = ops.batch_normalization(inputs, self.moving_mean, self.moving_variance,
                                              axis=axis, offset=self.beta, scale=self.gamma,
                                              epsilon=self.epsilon)
        if outputs.dtype != self.compute_dtype:
            outputs = ops.cast(outputs, self.compute_dtype)
        return outputs

    @staticmethod
    def _update_moving(variable: Any, batch_value: Any, momentum: float) -> None:
        variable.assign(variable.data * momentum + batch_value.astype(variable.dtype) * (1.0 - momentum))

    def _renorm_train(self, inputs: Tensor, mask_array: Any) -> Tensor:
        # The corrections r and d are constants for the gradient (stop_gradient in Keras), so they
        # are computed on raw arrays from the batch statistics; the fused op then normalizes with
        # the same (differentiable) batch statistics and the corrected scale and offset.
        with no_grad():
            _, mean_t, variance_t = ops.fused_batch_normalization(
                inputs.detach(), axis=self._kept_axes, epsilon=self.epsilon, mask=mask_array
            )
        mean, variance = mean_t.data, variance_t.data
        xp = get_array_module(mean)
        stddev = xp.sqrt(variance + self.epsilon)
        renorm_mean = self.renorm_mean.data
        renorm_stddev = xp.maximum(self.renorm_stddev.data, math.sqrt(self.epsilon))
        r = stddev / renorm_stddev
        d = (mean - renorm_mean) / renorm_stddev
        clipping = self.renorm_clipping or {}
        if clipping.get("rmin") is not None:
            r = xp.maximum(r, clipping["rmin"])
        if clipping.get("rmax") is not None:
            r = xp.minimum(r, clipping["rmax"])
        if clipping.get("dmax") is not None:
            d = xp.clip(d, -clipping["dmax"], clipping["dmax"])
        r, d = r.astype(mean.dtype), d.astype(mean.dtype)
        if self.gamma is not None:
            scale: Any = self.gamma * r
            offset: Any = self.gamma * d
        else:
            scale, offset = r, Tensor(d)
        if self.beta is not None:
            offset = offset + self.beta
        outputs, _, _ = ops.fused_batch_normalization(
            inputs, scale, offset, axis=self._kept_axes, epsilon=self.epsilon, mask=mask_array
        )
        self._update_moving(self.renorm_mean, mean, self.renorm_momentum)
        self._update_moving(self.renorm_stddev, stddev, self.renorm_momentum)
        self._update_moving(self.moving_mean, mean, self.momentum)
        self._update_moving(self.moving_stddev, stddev, self.momentum)
        # moving_variance follows moving_stddev (ReLU in case rounding makes it negative).
        new_stddev = self.moving_stddev.data
        self.moving_variance.assign(xp.maximum(new_stddev * new_stddev - self.epsilon, 0))
        return outputs

    def get_config(self) -> dict[str, Any]:
        """Keras's BatchNormalization config."""
        return {
            **super().get_config(),
            "axis": self.axis,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized,
            "renorm": self.renorm,
            "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        }
