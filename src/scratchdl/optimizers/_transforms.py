"""Gradient clipping, decoupled weight decay and the weights' moving average (EMA) of
``Optimizer``: the steps of Keras's update pipeline around the update rule itself.

``Optimizer`` (``base.py``) mixes these in and calls them from ``_backend_apply_gradients``:
clipping (``clipnorm``, ``global_clipnorm`` or ``clipvalue``) and weight decay before
``update_step``, the moving average after it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from scratchdl import backend

__all__ = ["GradientTransformsMixin"]

Array = Any


class GradientTransformsMixin:
    """Clipping, weight decay and EMA methods of ``Optimizer`` (which sets the attributes)."""

    name: str
    clipnorm: float | None
    clipvalue: float | None
    global_clipnorm: float | None
    weight_decay: float | None
    ema_momentum: float
    _model_variables_moving_average: list[Array]
    _exclude_from_weight_decay: set[int]
    _exclude_from_weight_decay_pattern: re.Pattern[str] | None
    _exclude_from_weight_decay_cache: dict[int, bool]
    _var_key: Any  # (variable) -> int, defined by Optimizer
    _get_current_learning_rate: Any  # () -> float, defined by Optimizer
    iterations: Any  # int, defined by Optimizer
    use_ema: bool

    # ------------------------------------------------------------------ clipping, weight decay
    def _clip_gradients(self, grads: list[Array]) -> list[Array]:
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            return self._clip_by_global_norm(grads)
        if self.clipvalue and self.clipvalue > 0:
            xp = backend.get_array_module(grads[0])
            v = self.clipvalue
            return [xp.clip(g, -v, v) for g in grads]
        return grads

    @staticmethod
    def _squared_norm(g: Array) -> float:
        flat = g.reshape(-1)
        return float(flat @ flat)

    def _clip_by_norm(self, g: Array) -> Array:
        """``g * clipnorm / max(||g||, clipnorm)`` (unchanged when the norm is within bounds)."""
        norm = math.sqrt(self._squared_norm(g))
        if norm <= self.clipnorm:
            return g
        return g * g.dtype.type(self.clipnorm / norm)

    def _clip_by_global_norm(self, grads: list[Array]) -> list[Array]:
        """Scale every gradient by ``clip / max(global_norm, clip)`` (NaN when the norm is not
        finite, as Keras)."""
        norm = math.sqrt(sum(self._squared_norm(g) for g in grads))
        clip = self.global_clipnorm
        if not math.isfinite(norm):
            scale = math.nan
        elif norm <= clip:
            return grads
        else:
            scale = clip / norm
        return [g * g.dtype.type(scale) for g in grads]

    def exclude_from_weight_decay(self, var_list: Sequence[Any] | None = None,
                                  var_names: Sequence[str] | None = None) -> None:
        """Exempt variables from weight decay: those in ``var_list``, and those whose name
        contains any string of ``var_names`` (e.g. ``var_names=["bias"]``)."""
        self._exclude_from_weight_decay = {self._var_key(v) for v in var_list or ()}
        self._exclude_from_weight_decay_pattern = (
            re.compile("|".join(sorted(set(var_names)))) if var_names else None
        )
        self._exclude_from_weight_decay_cache = {}

    def _use_weight_decay(self, variable: Any) -> bool:
        key = self._var_key(variable)
        cached = self._exclude_from_weight_decay_cache.get(key)
        if cached is not None:
            return cached
        use = key not in self._exclude_from_weight_decay
        pattern = self._exclude_from_weight_decay_pattern
        if use and pattern is not None:
            use = pattern.search(getattr(variable, "name", None) or "") is None
        self._exclude_from_weight_decay_cache[key] = use
        return use

    def _apply_weight_decay(self, variables: list[Any]) -> None:
        if self.weight_decay is None:
            return
        lr = self._get_current_learning_rate()
        factors: dict[Any, Any] = {}
        for variable in variables:
            if self._use_weight_decay(variable):
                data = variable.data
                factor = factors.get(data.dtype)
                if factor is None:
                    dt = data.dtype.type
                    factor = factors[data.dtype] = dt(1) - dt(self.weight_decay) * dt(lr)
                data *= factor

    # ------------------------------------------------------------------ moving average (EMA)
    def _update_model_variables_moving_average(self, variables: list[Any]) -> None:
        first_step = self.iterations == 0
        for variable, average in zip(variables, self._model_variables_moving_average):
            data = variable.data
            dt = data.dtype.type
            momentum = dt(0) if first_step else dt(self.ema_momentum)
            average *= momentum
            average += data * (dt(1) - momentum)

    def _overwrite_model_variables_with_average_value(self, variables: Sequence[Any]) -> None:
        averages = self._model_variables_moving_average
        if len(variables) != len(averages):
            raise ValueError(
                f"{type(self).__name__} '{self.name}': got {len(variables)} variables to "
                f"overwrite but the optimizer holds {len(averages)} moving averages"
            )
        for variable, average in zip(variables, averages):
            variable.data[...] = average

    def finalize_variable_values(self, var_list: Sequence[Any]) -> None:
        """End of training: with ``use_ema``, replace the weights with their moving average."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(list(var_list))
