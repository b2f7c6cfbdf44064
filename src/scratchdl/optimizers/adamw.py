"""AdamW: Adam with decoupled weight decay, as ``keras.optimizers.AdamW``."""

from __future__ import annotations

from typing import Any

from scratchdl.optimizers.adam import Adam

__all__ = ["AdamW"]


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter, 2019): Adam plus decoupled weight decay.

    Before each Adam step every variable not excluded by ``exclude_from_weight_decay`` is
    multiplied by ``1 - weight_decay * lr`` (the base class's weight decay, which AdamW simply
    turns on with Keras's default of 0.004).

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` or a callable. Defaults to 0.001.
        weight_decay: the decoupled decay rate (must not be None). Defaults to 0.004.
        beta_1, beta_2, epsilon, amsgrad: as ``Adam``.
        **kwargs: the other base ``Optimizer`` options.

    >>> import numpy as np, scratchdl
    >>> w = scratchdl.Parameter(np.array([1.0], dtype="float32"))
    >>> AdamW(learning_rate=0.1, weight_decay=0.5).apply([np.array([0.5], dtype="float32")], [w])
    >>> w.data
    array([0.8500013], dtype=float32)
    """

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float = 0.004,
                 beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7,
                 amsgrad: bool = False, clipnorm: float | None = None,
                 clipvalue: float | None = None, global_clipnorm: float | None = None,
                 use_ema: bool = False, ema_momentum: float = 0.99,
                 ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(
            learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            amsgrad=amsgrad, weight_decay=weight_decay, clipnorm=clipnorm, clipvalue=clipvalue,
            global_clipnorm=global_clipnorm, use_ema=use_ema, ema_momentum=ema_momentum,
            ema_overwrite_frequency=ema_overwrite_frequency, loss_scale_factor=loss_scale_factor,
            gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs,
        )
        if self.weight_decay is None:
            raise ValueError("AdamW: argument `weight_decay` must be a float, got None")
