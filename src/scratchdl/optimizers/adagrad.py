"""Adagrad: per-coordinate step sizes from accumulated squared gradients, as Keras."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.optimizers.base import Array, Optimizer

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad (Duchi et al., 2011).

    With an accumulator slot ``acc`` starting at ``initial_accumulator_value``::

        acc += g**2
        w -= lr * g / sqrt(acc + epsilon)

    (Keras's epsilon placement: inside the square root.)

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to 0.001.
        initial_accumulator_value: starting value of the accumulators.
        epsilon: small constant added under the square root.
        **kwargs: the base ``Optimizer`` options.

    >>> import scratchdl
    >>> w = scratchdl.Parameter(np.array([1.0], dtype="float32"))
    >>> Adagrad(learning_rate=0.1).apply([np.array([1.0], dtype="float32")], [w])
    >>> w.data
    array([0.9046537], dtype=float32)
    """

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1,
                 epsilon: float = 1e-7, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
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
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list: list[Any]) -> None:
        """Create the ``accumulator`` slots, filled with ``initial_accumulator_value``."""
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=float(self.initial_accumulator_value))

    def _step_constants(self, dt: type, learning_rate: float) -> Any:
        return dt(learning_rate), dt(self.epsilon)

    def update_step(self, gradient: Array, variable: Any, learning_rate: float) -> None:
        """One Adagrad step on ``variable.data``."""
        self._update_blockwise(
            _adagrad_update, self._constants(gradient.dtype, learning_rate), gradient, variable,
            (self._accumulators[self._get_variable_index(variable)],))

    def get_config(self) -> dict[str, Any]:
        """The base config plus ``initial_accumulator_value`` and ``epsilon``."""
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value,
                       "epsilon": self.epsilon})
        return config


def _adagrad_update(constants: Any, g: Array, w: Array, accumulator: Array, tmp: Array) -> None:
    """Adagrad's rule on one block: updates ``w`` and ``accumulator`` in place."""
    lr, epsilon = constants
    np.multiply(g, g, out=tmp)
    accumulator += tmp
    np.add(accumulator, epsilon, out=tmp)
    np.sqrt(tmp, out=tmp)
    np.divide(g, tmp, out=tmp)
    tmp *= lr
    w -= tmp
