"""RMSprop: divide the gradient by a running root-mean-square, as ``keras.optimizers.RMSprop``."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.optimizers.base import Array, Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop (Hinton, 2012), with optional plain momentum and centering.

    Per step, with slots ``v`` (mean square), ``a`` (mean gradient, centered only) and ``mom``::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g                       # centered
        increment = lr * g / sqrt(v - a**2 + epsilon)    # centered; else sqrt(v + epsilon)
        mom = momentum * mom + increment; w -= mom      # momentum > 0; else w -= increment

    Note Keras's epsilon placement: inside the square root.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to 0.001.
        rho: discounting factor of the running averages.
        momentum: momentum of the increments (0 disables the momentum slot).
        epsilon: small constant added under the square root.
        centered: normalize by the estimated variance instead of the second moment.
        **kwargs: the base ``Optimizer`` options.

    >>> import scratchdl
    >>> w = scratchdl.Parameter(np.array([10.0], dtype="float32"))
    >>> RMSprop(learning_rate=0.1).apply([w.data.copy()], [w])
    >>> w.data
    array([9.683772], dtype=float32)
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0,
                 epsilon: float = 1e-7, centered: bool = False,
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
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list: list[Any]) -> None:
        """Create the ``velocity`` slots, then ``momentum`` and ``average_gradient`` if used."""
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums: list[Array] = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._average_gradients: list[Array] = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient")

    def _step_constants(self, dt: type, learning_rate: float) -> Any:
        return (dt(learning_rate), dt(self.rho), dt(1 - self.rho), dt(self.epsilon),
                dt(self.momentum))

    def update_step(self, gradient: Array, variable: Any, learning_rate: float) -> None:
        """One RMSprop step on ``variable.data``."""
        index = self._get_variable_index(variable)
        self._update_blockwise(
            _rmsprop_update, self._constants(gradient.dtype, learning_rate), gradient, variable,
            (self._velocities[index],
             self._momentums[index] if self.momentum > 0 else None,
             self._average_gradients[index] if self.centered else None))

    def get_config(self) -> dict[str, Any]:
        """The base config plus ``rho``, ``momentum``, ``epsilon`` and ``centered``."""
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon,
                       "centered": self.centered})
        return config


def _rmsprop_update(constants: Any, g: Array, w: Array, velocity: Array,
                    accumulated: Array | None, average: Array | None, tmp: Array) -> None:
    """RMSprop's rule on one block: updates ``w`` and the slots in place (``accumulated``
    with momentum, ``average`` when centered)."""
    lr, rho, one_minus_rho, epsilon, momentum = constants
    np.multiply(g, g, out=tmp)
    tmp *= one_minus_rho
    velocity *= rho
    velocity += tmp
    if average is not None:
        np.multiply(g, one_minus_rho, out=tmp)
        average *= rho
        average += tmp
        np.multiply(average, average, out=tmp)
        np.subtract(velocity, tmp, out=tmp)
        tmp += epsilon
    else:
        np.add(velocity, epsilon, out=tmp)
    np.sqrt(tmp, out=tmp)
    np.divide(g, tmp, out=tmp)
    tmp *= lr  # the increment lr * g / sqrt(denominator)
    if accumulated is not None:
        accumulated *= momentum
        accumulated += tmp
        w -= accumulated
    else:
        w -= tmp
