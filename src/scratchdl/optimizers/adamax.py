"""Adamax: Adam with the infinity norm, as ``keras.optimizers.Adamax``."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.optimizers.base import Array, Optimizer

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2014, section 7.1).

    With slots ``m`` (first moment) and ``u`` (exponentially weighted infinity norm), at step
    ``t = iterations + 1``::

        m = beta_1 * m + (1 - beta_1) * g
        u = max(beta_2 * u, |g|)
        w -= lr * m / ((1 - beta_1**t) * (u + epsilon))

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to 0.001.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the infinity norm.
        epsilon: small constant added to ``u``.
        **kwargs: the base ``Optimizer`` options.

    >>> import scratchdl
    >>> w = scratchdl.Parameter(np.array([1.0], dtype="float32"))
    >>> Adamax(learning_rate=0.1).apply([np.array([0.5], dtype="float32")], [w])
    >>> w.data
    array([0.90000004], dtype=float32)
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list: list[Any]) -> None:
        """Create the ``momentum`` and ``norm`` slots."""
        if self.built:
            return
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def _step_constants(self, dt: type, learning_rate: float) -> Any:
        t = dt(self.iterations + 1)
        one_minus_beta_1_power = dt(1) - dt(self.beta_1) ** t
        return (dt(learning_rate), dt(self.beta_1), dt(1 - self.beta_1), dt(self.beta_2),
                dt(self.epsilon), one_minus_beta_1_power)

    def update_step(self, gradient: Array, variable: Any, learning_rate: float) -> None:
        """One Adamax step on ``variable.data``."""
        index = self._get_variable_index(variable)
        self._update_blockwise(_adamax_update, self._constants(gradient.dtype, learning_rate),
                               gradient, variable, (self._m[index], self._u[index]))

    def get_config(self) -> dict[str, Any]:
        """The base config plus ``beta_1``, ``beta_2`` and ``epsilon``."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


def _adamax_update(constants: Any, g: Array, w: Array, m: Array, u: Array, tmp: Array) -> None:
    """Adamax's rule on one block: updates ``w``, ``m`` and ``u`` in place."""
    lr, beta_1, one_minus_beta_1, beta_2, epsilon, correction = constants
    np.multiply(g, one_minus_beta_1, out=tmp)
    m *= beta_1
    m += tmp
    u *= beta_2
    np.abs(g, out=tmp)
    np.maximum(u, tmp, out=u)
    np.add(u, epsilon, out=tmp)
    tmp *= correction
    np.divide(m, tmp, out=tmp)
    tmp *= lr
    w -= tmp
