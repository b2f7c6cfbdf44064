"""Nadam: Adam with Nesterov momentum, as ``keras.optimizers.Nadam``."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.optimizers.adam import update_moments
from scratchdl.optimizers.base import Array, Optimizer

__all__ = ["Nadam"]


class Nadam(Optimizer):
    """Nadam (Dozat, 2015) with Keras's momentum schedule.

    At step ``t = iterations + 1``, with ``mu_t = beta_1 * (1 - 0.5 * 0.96**t)`` and the running
    product ``P_t = mu_1 * ... * mu_t`` (a state scalar, ``u_product``)::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        m_hat = mu_{t+1} * m / (1 - P_t * mu_{t+1}) + (1 - mu_t) * g / (1 - P_t)
        v_hat = v / (1 - beta_2**t)
        w -= lr * m_hat / (sqrt(v_hat) + epsilon)

    This equals ``torch.optim.NAdam`` with ``momentum_decay=1.0``.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to 0.001.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the second moment.
        epsilon: small constant added to ``sqrt(v_hat)``.
        **kwargs: the base ``Optimizer`` options.

    >>> import scratchdl
    >>> w = scratchdl.Parameter(np.array([1.0], dtype="float32"))
    >>> Nadam(learning_rate=0.1).apply([np.array([0.5], dtype="float32")], [w])
    >>> w.data
    array([0.89372194], dtype=float32)
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
        """Create the ``momentum`` and ``velocity`` slots and the ``u_product`` scalar (in the
        first variable's dtype, as Keras)."""
        if self.built:
            return
        dtype = var_list[0].data.dtype if var_list else backend.floatx()
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        self._u_product = self.add_variable((), initializer="ones", dtype=dtype,
                                            name="u_product")

    def _mu(self, dt: type, step: int) -> Any:
        return dt(self.beta_1) * (dt(1) - dt(0.5) * dt(0.96) ** dt(step))

    def _backend_update_step(self, grads: list[Array], variables: list[Any],
                             learning_rate: float) -> None:
        # The running product of the momentum schedule advances once per step, before the
        # per-variable updates (which read the new value through _step_constants).
        dt = self._u_product.dtype.type
        self._u_product[...] = dt(self._u_product) * self._mu(dt, self.iterations + 1)
        super()._backend_update_step(grads, variables, learning_rate)

    def _step_constants(self, dt: type, learning_rate: float) -> Any:
        step = self.iterations + 1
        u_t = self._mu(dt, step)
        u_t_1 = self._mu(dt, step + 1)
        u_product_t = dt(self._u_product)
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = dt(self.beta_2) ** dt(step)
        return (dt(learning_rate), dt(self.beta_1), dt(1 - self.beta_1), dt(self.beta_2),
                dt(1 - self.beta_2), dt(self.epsilon),
                u_t_1 / (dt(1) - u_product_t_1),  # weight of m in m_hat
                (dt(1) - u_t) / (dt(1) - u_product_t),  # weight of g in m_hat
                dt(1) - beta_2_power)

    def update_step(self, gradient: Array, variable: Any, learning_rate: float) -> None:
        """One Nadam step on ``variable.data``."""
        index = self._get_variable_index(variable)
        self._update_blockwise(_nadam_update, self._constants(gradient.dtype, learning_rate),
                               gradient, variable,
                               (self._momentums[index], self._velocities[index]), temporaries=2)

    def get_config(self) -> dict[str, Any]:
        """The base config plus ``beta_1``, ``beta_2`` and ``epsilon``."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return config


def _nadam_update(constants: Any, g: Array, w: Array, m: Array, v: Array, tmp: Array,
                  m_hat: Array) -> None:
    """Nadam's rule on one block: updates ``w``, ``m`` and ``v`` in place."""
    (lr, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon, m_weight, g_weight,
     v_correction) = constants
    update_moments(g, m, v, tmp, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2)
    np.multiply(m, m_weight, out=m_hat)
    np.multiply(g, g_weight, out=tmp)
    m_hat += tmp
    np.divide(v, v_correction, out=tmp)
    np.sqrt(tmp, out=tmp)
    tmp += epsilon
    m_hat *= lr
    m_hat /= tmp
    w -= m_hat
