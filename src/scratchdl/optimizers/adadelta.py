"""Adadelta: a learning-rate-free-ish adaptive method (``keras.optimizers.Adadelta``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.optimizers.base import Array, Optimizer

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012).

    With slots ``acc_g`` (mean squared gradient) and ``acc_dx`` (mean squared update)::

        acc_g = rho * acc_g + (1 - rho) * g**2
        dx = -sqrt(acc_dx + epsilon) / sqrt(acc_g + epsilon) * g
        acc_dx = rho * acc_dx + (1 - rho) * dx**2
        w += lr * dx

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to 0.001
            (Keras's default; the paper uses 1.0).
        rho: decay rate of the running averages.
        epsilon: small constant added under the square roots.
        **kwargs: the base ``Optimizer`` options.

    >>> import scratchdl
    >>> w = scratchdl.Parameter(np.array([1.0], dtype="float32"))
    >>> Adadelta(learning_rate=1.0).apply([np.array([1.0], dtype="float32")], [w])
    >>> w.data
    array([0.99858576], dtype=float32)
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7,
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
        self.epsilon = epsilon

    def build(self, var_list: list[Any]) -> None:
        """Create the ``accumulated_grad`` and ``accumulated_delta_var`` slots."""
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def _step_constants(self, dt: type, learning_rate: float) -> Any:
        return dt(learning_rate), dt(self.rho), dt(1 - self.rho), dt(self.epsilon)

    def update_step(self, gradient: Array, variable: Any, learning_rate: float) -> None:
        """One Adadelta step on ``variable.data``."""
        index = self._get_variable_index(variable)
        self._update_blockwise(
            _adadelta_update, self._constants(gradient.dtype, learning_rate), gradient, variable,
            (self._accumulated_grads[index], self._accumulated_delta_vars[index]),
            temporaries=2)

    def get_config(self) -> dict[str, Any]:
        """The base config plus ``rho`` and ``epsilon``."""
        config = super().get_config()
        config.update({"rho": self.rho, "epsilon": self.epsilon})
        return config


def _adadelta_update(constants: Any, g: Array, w: Array, accumulated_grad: Array,
                     accumulated_delta: Array, tmp: Array, step: Array) -> None:
    """Adadelta's rule on one block: updates ``w`` and the accumulators in place."""
    lr, rho, one_minus_rho, epsilon = constants
    np.multiply(g, g, out=tmp)
    tmp *= one_minus_rho
    accumulated_grad *= rho
    accumulated_grad += tmp
    np.add(accumulated_delta, epsilon, out=step)  # becomes -dx
    np.sqrt(step, out=step)
    step *= g
    np.add(accumulated_grad, epsilon, out=tmp)
    np.sqrt(tmp, out=tmp)
    step /= tmp
    np.multiply(step, step, out=tmp)
    tmp *= one_minus_rho
    accumulated_delta *= rho
    accumulated_delta += tmp
    step *= lr
    w -= step
