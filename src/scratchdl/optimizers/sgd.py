"""SGD: gradient descent, with optional (Nesterov) momentum, as ``keras.optimizers.SGD``."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.optimizers.base import Array, Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent with optional momentum.

    Without momentum: ``w -= lr * g``. With momentum ``m > 0`` a velocity slot ``v`` (zeros) is
    kept: ``v = m * v - lr * g`` then ``w += v``; with ``nesterov=True`` the step looks ahead:
    ``w += m * v - lr * g``.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to 0.01.
        momentum: float in [0, 1]. 0 is plain gradient descent.
        nesterov: use Nesterov momentum.
        **kwargs: the base ``Optimizer`` options (``weight_decay``, ``clipnorm``, ``clipvalue``,
            ``global_clipnorm``, ``use_ema``, ...).

    >>> import scratchdl
    >>> w = scratchdl.Parameter(np.array([1.0, 2.0], dtype="float32"))
    >>> SGD(learning_rate=0.1).apply([np.array([1.0, 1.0], dtype="float32")], [w])
    >>> w.data
    array([0.9, 1.9], dtype=float32)
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
                 weight_decay: float | None = None, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(
            learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
            clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
            ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
            loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        if (not isinstance(momentum, (int, float, np.integer, np.floating))
                or isinstance(momentum, bool) or momentum < 0 or momentum > 1):
            raise ValueError(f"SGD: `momentum` must be a float between [0, 1], got {momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)
        self.momentums: list[Array] = []

    def build(self, variables: list[Any]) -> None:
        """Create the velocity slots (only when ``momentum != 0``)."""
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def _step_constants(self, dt: type, learning_rate: float) -> Any:
        return dt(learning_rate), dt(self.momentum), self.nesterov

    def update_step(self, gradient: Array, variable: Any, learning_rate: float) -> None:
        """One SGD step on ``variable.data``."""
        velocity = (self.momentums[self._get_variable_index(variable)] if self.momentum != 0
                    else None)
        self._update_blockwise(_sgd_update, self._constants(gradient.dtype, learning_rate),
                               gradient, variable, (velocity,))

    def get_config(self) -> dict[str, Any]:
        """The base config plus ``momentum`` and ``nesterov``."""
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config


def _sgd_update(constants: Any, g: Array, w: Array, velocity: Array | None,
                scaled: Array) -> None:
    """SGD's rule on one block: updates ``w`` (and ``velocity``) in place."""
    lr, momentum, nesterov = constants
    np.multiply(g, lr, out=scaled)
    if velocity is None:
        w -= scaled
        return
    velocity *= momentum
    velocity -= scaled
    if nesterov:
        w -= scaled
        np.multiply(velocity, momentum, out=scaled)
        w += scaled
    else:
        w += velocity
