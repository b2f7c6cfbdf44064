"""Learning-rate schedules: the learning rate as a function of the optimizer step, as in Keras 3.

A schedule is a callable ``schedule(step) -> float``. Pass one as an optimizer's ``learning_rate``
and the optimizer calls it with its step counter (``optimizer.iterations`` before the update) at
every update.

Keras computes every schedule in the dtype of ``initial_learning_rate`` (float32 for a Python
float). We do the same, in NumPy float32 scalars, so the values agree with Keras to float32
rounding; ``__call__`` returns that float32 value as a Python float.

>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> round(schedule(10), 6)
0.05
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl._serialization import deserialize_object, serialize_object

__all__ = [
    "LearningRateSchedule", "ExponentialDecay", "InverseTimeDecay", "PiecewiseConstantDecay",
    "PolynomialDecay", "CosineDecay", "CosineDecayRestarts", "serialize", "deserialize",
]


def _float_dtype(value: Any) -> type[np.floating]:
    """The scalar type Keras would compute in: a NumPy float keeps its dtype, else floatx."""
    if isinstance(value, (np.floating, np.ndarray)) and np.issubdtype(value.dtype, np.floating):
        return value.dtype.type
    return np.dtype(backend.floatx()).type


def _check_decay_steps(name: str, value: Any, argument: str = "decay_steps") -> None:
    if value <= 0:
        raise ValueError(f"{name}: argument `{argument}` must be > 0, got {argument}={value!r}")


def _cos(x: Any) -> Any:
    """cos rounded once to ``x``'s dtype (float32 libraries differ by an ulp, which shows where
    ``1 + cos`` cancels at the end of a cosine decay)."""
    return type(x)(math.cos(float(x)))


def _step_value(step: Any) -> Any:
    """Accept a Python int, a NumPy scalar / 0-d array or anything with ``.item()``."""
    if isinstance(step, np.ndarray):
        return step.item()
    if hasattr(step, "data") and hasattr(step.data, "item"):  # a scratchdl Tensor
        return step.data.item()
    return step


class LearningRateSchedule:
    """Base class of learning-rate schedules (``keras.optimizers.schedules.LearningRateSchedule``).

    Subclasses implement ``__call__(step)`` (returning the learning rate for that optimizer step)
    and ``get_config()`` (a JSON-friendly dict of the constructor arguments) so that the schedule
    can be saved with its optimizer.

    >>> class Halving(LearningRateSchedule):
    ...     def __init__(self, initial: float) -> None:
    ...         self.initial = initial
    ...     def __call__(self, step: int) -> float:
    ...         return self.initial / 2 ** step
    ...     def get_config(self) -> dict:
    ...         return {"initial": self.initial}
    >>> Halving(1.0)(3)
    0.125
    """

    def __call__(self, step: Any) -> float:
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override "
            "`__call__(self, step)`."
        )

    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments as a dict."""
        raise NotImplementedError(
            f"Learning rate schedule '{self.__class__.__name__}' must override `get_config()` "
            "in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Rebuild a schedule from the output of ``get_config``."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            arguments = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            arguments = ""
        return f"{self.__class__.__name__}({arguments})"


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    With ``staircase=True`` the exponent is ``floor(step / decay_steps)``: the rate drops by
    ``decay_rate`` once every ``decay_steps`` steps.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive number of steps for one factor of ``decay_rate``.
        decay_rate: the decay factor.
        staircase: decay in discrete jumps.
        name: the schedule's name.

    >>> ExponentialDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)(3)
    0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "ExponentialDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps("ExponentialDecay", decay_steps)

    def __call__(self, step: Any) -> float:
        dt = _float_dtype(self.initial_learning_rate)
        p = dt(_step_value(step)) / dt(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(dt(self.initial_learning_rate) * dt(self.decay_rate) ** p)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name,
        }


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    With ``staircase=True``, ``step / decay_steps`` is floored.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive step scale.
        decay_rate: how fast the rate falls.
        staircase: decay in discrete jumps.
        name: the schedule's name.

    >>> InverseTimeDecay(1.0, decay_steps=1, decay_rate=0.5)(2)
    0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float,
                 staircase: bool = False, name: str = "InverseTimeDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name
        _check_decay_steps("InverseTimeDecay", decay_steps)

    def __call__(self, step: Any) -> float:
        dt = _float_dtype(self.initial_learning_rate)
        p = dt(_step_value(step)) / dt(self.decay_steps)
        if self.staircase:
            p = np.floor(p)
        return float(dt(self.initial_learning_rate) / (dt(1) + dt(self.decay_rate) * p))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name,
        }


class PiecewiseConstantDecay(LearningRateSchedule):
    """A step function: ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, and ``values[-1]`` after ``boundaries[-1]``.

    Args:
        boundaries: strictly increasing step numbers.
        values: one more value than boundaries.
        name: the schedule's name.

    >>> schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> schedule(10), schedule(11), schedule(21)
    (1.0, 0.5, 0.10000000149011612)
    """

    def __init__(self, boundaries: list[Any], values: list[Any],
                 name: str = "PiecewiseConstant") -> None:
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of boundaries should be 1 less than the "
                f"length of values, got boundaries={boundaries} of length {len(boundaries)} and "
                f"values={values} of length {len(values)}"
            )
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> float:
        step = _step_value(step)
        dt = _float_dtype(self.values[0])
        boundaries = self.boundaries
        if isinstance(step, (int, np.integer)):
            # Keras casts the boundaries to the step's integer dtype (truncating floats).
            boundaries = [int(b) for b in boundaries]
        index = int(np.searchsorted(np.asarray(boundaries), step, side="left"))
        return float(dt(self.values[index]))

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Decay from ``initial_learning_rate`` to ``end_learning_rate`` along ``(1 - t) ** power``.

    ``rate = (initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``. With
    ``cycle=True`` the horizon restarts: ``decay_steps`` is multiplied by ``ceil(step /
    decay_steps)`` (1 at step 0) instead of clamping the step.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive length of the decay.
        end_learning_rate: the final rate.
        power: the polynomial's power (1.0 is linear).
        cycle: restart the decay after ``decay_steps``.
        name: the schedule's name.

    >>> PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0)(1)
    0.75
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int,
                 end_learning_rate: float = 0.0001, power: float = 1.0, cycle: bool = False,
                 name: str = "PolynomialDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name
        _check_decay_steps("PolynomialDecay", decay_steps)

    def __call__(self, step: Any) -> float:
        dt = _float_dtype(self.initial_learning_rate)
        initial = dt(self.initial_learning_rate)
        end = dt(self.end_learning_rate)
        step_f = dt(_step_value(step))
        decay_steps = dt(self.decay_steps)
        if self.cycle:
            multiplier = dt(1) if step_f == 0 else np.ceil(step_f / decay_steps)
            decay_steps = decay_steps * multiplier
        else:
            step_f = min(step_f, decay_steps)
        p = step_f / decay_steps
        return float((initial - end) * (dt(1) - p) ** dt(self.power) + end)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate, "power": self.power,
            "cycle": self.cycle, "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Optional linear warmup, then a cosine decay (SGDR without restarts).

    Warmup (only when ``warmup_target`` is set), for ``step < warmup_steps``:
    ``initial + (warmup_target - initial) * step / warmup_steps``. Then, with
    ``s = min(step - warmup_steps, decay_steps)`` and ``start = warmup_target or initial``:
    ``start * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)``.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: positive length of the cosine decay.
        alpha: the final rate as a fraction of the decay's starting rate.
        name: the schedule's name.
        warmup_target: the rate reached at the end of the warmup (None: no warmup).
        warmup_steps: length of the warmup.

    >>> round(CosineDecay(1.0, decay_steps=10)(5), 6)
    0.5
    """

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 name: str = "CosineDecay", warmup_target: float | None = None,
                 warmup_steps: int = 0) -> None:
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target
        _check_decay_steps("CosineDecay", decay_steps)

    def _decay(self, step: Any, decay_steps: Any, decay_from: Any, dt: type) -> Any:
        cosine = dt(0.5) * (dt(1) + _cos(dt(math.pi) * (step / decay_steps)))
        return decay_from * ((dt(1) - dt(self.alpha)) * cosine + dt(self.alpha))

    def __call__(self, step: Any) -> float:
        dt = _float_dtype(self.initial_learning_rate)
        initial = dt(self.initial_learning_rate)
        decay_steps = dt(self.decay_steps)
        step_f = dt(_step_value(step))
        if self.warmup_target is None:
            return float(self._decay(min(step_f, decay_steps), decay_steps, initial, dt))
        target = dt(self.warmup_target)
        warmup_steps = dt(self.warmup_steps)
        step_f = min(step_f, decay_steps + warmup_steps)
        if step_f < warmup_steps:
            return float((target - initial) * (step_f / warmup_steps) + initial)
        return float(self._decay(step_f - warmup_steps, decay_steps, target, dt))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
            "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR, Loshchilov & Hutter 2016).

    The multiplier decays from 1 to ``alpha`` over ``first_decay_steps``; then the schedule
    restarts, each period ``t_mul`` times longer and starting ``m_mul`` times lower.

    Args:
        initial_learning_rate: the rate at step 0.
        first_decay_steps: positive length of the first period.
        t_mul: growth factor of the period length.
        m_mul: factor applied to the starting rate at each restart.
        alpha: the final rate of each period as a fraction of its starting rate.
        name: the schedule's name.

    >>> CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)(10)
    1.0
    """

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0,
                 m_mul: float = 1.0, alpha: float = 0.0, name: str = "SGDRDecay") -> None:
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name
        _check_decay_steps("CosineDecayRestarts", first_decay_steps, "first_decay_steps")

    def __call__(self, step: Any) -> float:
        dt = _float_dtype(self.initial_learning_rate)
        t_mul = dt(self._t_mul)
        alpha = dt(self.alpha)
        fraction = dt(_step_value(step)) / dt(self.first_decay_steps)
        if t_mul == 1:
            restart = np.floor(fraction)
            fraction = fraction - restart
        else:
            # Periods grow geometrically: find the period and the fraction done inside it.
            restart = np.floor(np.log(dt(1) - fraction * (dt(1) - t_mul)) / np.log(t_mul))
            done = (dt(1) - t_mul ** restart) / (dt(1) - t_mul)
            fraction = (fraction - done) / t_mul ** restart
        m_fac = dt(self._m_mul) ** restart
        cosine = dt(0.5) * m_fac * (dt(1) + _cos(dt(math.pi) * fraction))
        return float(dt(self.initial_learning_rate) * ((dt(1) - alpha) * cosine + alpha))

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
            "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name,
        }


_BUILTIN: dict[str, type[LearningRateSchedule]] = {
    cls.__name__: cls for cls in (
        ExponentialDecay, InverseTimeDecay, PiecewiseConstantDecay, PolynomialDecay,
        CosineDecay, CosineDecayRestarts,
    )
}


def serialize(learning_rate_schedule: LearningRateSchedule) -> dict[str, Any]:
    """Return a schedule as a Keras-format dict: ``{"module", "class_name", "config",
    "registered_name"}`` (the same layout ``keras.optimizers.schedules.serialize`` writes).

    >>> serialize(ExponentialDecay(0.1, 10, 0.9))["class_name"]
    'ExponentialDecay'
    """
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(
            "schedules.serialize: expected a LearningRateSchedule, got "
            f"{type(learning_rate_schedule).__name__}"
        )
    return serialize_object(learning_rate_schedule, "keras.optimizers.schedules")


def deserialize(config: dict[str, Any],
                custom_objects: dict[str, Any] | None = None) -> LearningRateSchedule:
    """Rebuild a schedule from ``serialize``'s dict (ours or Keras's).

    Args:
        config: a dict with ``class_name`` and ``config``.
        custom_objects: extra schedule classes by name, for user-defined schedules (classes
            registered with ``register_serializable`` are found without it).
    """
    return deserialize_object(config, _BUILTIN, "learning rate schedule", custom_objects)
