"""Adam: adaptive moment estimation, as ``keras.optimizers.Adam`` (with AMSGrad)."""

from __future__ import annotations

from typing import Any

import numpy as np

from scratchdl.optimizers.base import Array, Optimizer

__all__ = ["Adam"]


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2014), optionally AMSGrad (Reddi et al., 2018).

    With slots ``m``, ``v`` (and ``v_hat`` for AMSGrad), at step ``t = iterations + 1``::

        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        v_hat = max(v_hat, v); use v_hat as v             # amsgrad
        alpha = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w -= alpha * m / (sqrt(v) + epsilon)

    Keras's epsilon is the paper's "epsilon hat": it is added after the bias correction is folded
    into ``alpha``, so it differs slightly from ``torch.optim.Adam``'s epsilon.

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to 0.001.
        beta_1: decay rate of the first moment.
        beta_2: decay rate of the second moment.
        epsilon: small constant added to ``sqrt(v)``.
        amsgrad: use the running maximum of ``v``.
        **kwargs: the base ``Optimizer`` options.

    >>> import scratchdl
    >>> w = scratchdl.Parameter(np.array([1.0], dtype="float32"))
    >>> Adam(learning_rate=0.1).apply([np.array([0.5], dtype="float32")], [w])
    >>> w.data
    array([0.9000013], dtype=float32)
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False,
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
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list: list[Any]) -> None:
        """Create the ``momentum`` and ``velocity`` slots (and ``velocity_hat`` for AMSGrad)."""
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _step_constants(self, dt: type, learning_rate: float) -> Any:
        # As Keras: the bias corrections in the variable's dtype, at step t = iterations + 1.
        t = dt(self.iterations + 1)
        beta_1_power = dt(self.beta_1) ** t
        beta_2_power = dt(self.beta_2) ** t
        alpha = dt(learning_rate) * np.sqrt(dt(1) - beta_2_power) / (dt(1) - beta_1_power)
        return (dt(alpha), dt(self.beta_1), dt(1 - self.beta_1), dt(self.beta_2),
                dt(1 - self.beta_2), dt(self.epsilon))

    def update_step(self, gradient: Array, variable: Any, learning_rate: float) -> None:
        """One Adam step on ``variable.data``."""
        index = self._get_variable_index(variable)
        self._update_blockwise(
            _adam_update, self._constants(gradient.dtype, learning_rate), gradient, variable,
            (self._momentums[index], self._velocities[index],
             self._velocity_hats[index] if self.amsgrad else None))

    def get_config(self) -> dict[str, Any]:
        """The base config plus ``beta_1``, ``beta_2``, ``epsilon`` and ``amsgrad``."""
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                       "amsgrad": self.amsgrad})
        return config


def update_moments(g: Array, m: Array, v: Array, tmp: Array, beta_1: Any, one_minus_beta_1: Any,
                   beta_2: Any, one_minus_beta_2: Any) -> None:
    """Adam's moving moments in place: ``m = b1 m + (1 - b1) g`` and ``v = b2 v + (1 - b2) g^2``
    (``tmp`` is scratch of the same shape). Shared by Adam and Nadam."""
    np.multiply(g, one_minus_beta_1, out=tmp)
    m *= beta_1
    m += tmp
    np.multiply(g, g, out=tmp)
    tmp *= one_minus_beta_2
    v *= beta_2
    v += tmp


def _adam_update(constants: Any, g: Array, w: Array, m: Array, v: Array, v_hat: Array | None,
                 tmp: Array) -> None:
    """Adam's rule on one block: updates ``w``, ``m``, ``v`` (and ``v_hat``) in place."""
    alpha, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2, epsilon = constants
    update_moments(g, m, v, tmp, beta_1, one_minus_beta_1, beta_2, one_minus_beta_2)
    if v_hat is not None:  # amsgrad
        np.maximum(v_hat, v, out=v_hat)
        v = v_hat
    np.sqrt(v, out=tmp)
    tmp += epsilon
    np.divide(m, tmp, out=tmp)
    tmp *= alpha
    w -= tmp
