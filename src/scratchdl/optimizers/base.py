"""``Optimizer``: the base class of every optimizer, with Keras 3's update pipeline.

One call to ``apply(grads, variables)`` (or ``apply_gradients(zip(grads, variables))``) runs, in
Keras's order:

1. build on first use: create the state arrays ("slots", e.g. Adam's moments) for every variable;
2. drop the pairs whose gradient is None; divide by ``loss_scale_factor``;
3. with ``gradient_accumulation_steps=n``: add the gradients to accumulators and update only on
   every n-th call, with the mean of the accumulated gradients;
4. clip the gradients (``clipnorm`` per gradient, ``global_clipnorm`` over all of them, or
   ``clipvalue`` elementwise);
5. decoupled weight decay ``w *= 1 - weight_decay * learning_rate`` (before the update, as Keras);
6. ``update_step`` for each variable (the subclass's rule), at the learning rate for the current
   step (a float, a ``LearningRateSchedule`` of ``iterations`` or a no-argument callable);
7. with ``use_ema``: update the moving average of the weights (and overwrite the weights with it
   every ``ema_overwrite_frequency`` steps);
8. apply each variable's ``constraint`` (``parameter.constraint``, e.g. ``NonNeg``) to its array;
9. ``iterations += 1``.

Variables are ``scratchdl.Parameter`` objects; updates write into ``parameter.data`` in place. All
arithmetic happens in each variable's dtype (float32 stays float32): scalar coefficients are cast
to that dtype first, as Keras does.

The whole optimizer state is plain arrays: ``variables`` lists them in Keras's order (iterations,
learning rate, then the slots), ``get_state``/``set_state`` save and restore them by name, and
``save_own_variables``/``load_own_variables`` use Keras's ``"0", "1", ...`` store layout
(``_state.py``). Clipping, weight decay and the moving average live in ``_transforms.py``.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl._naming import to_snake_case
from scratchdl.optimizers import schedules as _schedules
from scratchdl.optimizers._blockwise import BLOCK_BYTES, update_blockwise
from scratchdl.optimizers._state import OptimizerStateMixin
from scratchdl.optimizers._transforms import GradientTransformsMixin

__all__ = ["Optimizer"]

Array = Any

_name_counts: dict[str, int] = {}


def _auto_name(class_name: str) -> str:
    """Keras-style unique names: ``adam``, ``adam_1``, ``adam_2``, ..."""
    base = to_snake_case(class_name)
    count = _name_counts.get(base, 0)
    _name_counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class Optimizer(GradientTransformsMixin, OptimizerStateMixin):
    """Base class of optimizers (``keras.optimizers.Optimizer``).

    A subclass implements ``build(variables)`` (call ``super().build(variables)`` first, then
    create its slots with ``add_optimizer_variables``), ``update_step(gradient, variable,
    learning_rate)`` (update ``variable.data`` and the slots in place) and ``get_config``. The
    built-in optimizers write their elementwise rule once, as a kernel that
    ``_update_blockwise`` runs in cache-sized blocks of big weights (``_blockwise.py``).

    Args:
        learning_rate: a float, a ``LearningRateSchedule`` (called with ``iterations``) or a
            callable without arguments returning the rate.
        weight_decay: decoupled weight decay: before each update, every variable not excluded
            by ``exclude_from_weight_decay`` is multiplied by ``1 - weight_decay * lr``.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to ``[-clipvalue, clipvalue]``.
        global_clipnorm: scale all gradients together so that their joint L2 norm is at most
            this. Only one of ``clipnorm``, ``clipvalue`` and ``global_clipnorm`` may be set.
        use_ema: keep an exponential moving average of the weights.
        ema_momentum: the moving average's momentum (``avg = m * avg + (1 - m) * w``).
        ema_overwrite_frequency: overwrite the weights with their average every this many steps
            (None: only in ``finalize_variable_values``).
        loss_scale_factor: gradients are divided by this (``scale_loss`` multiplies the loss).
        gradient_accumulation_steps: update every this many calls with the mean gradient.
        name: the optimizer's name (default: ``adam``, ``adam_1``, ... as Keras).

    Not supported (Keras features specific to other backends): float8 ``overwrite_with_gradient``
    variables and ``stateless_apply`` (JAX).
    """

    def __init__(self, learning_rate: Any, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: int | None = None,
                 loss_scale_factor: float | None = None,
                 gradient_accumulation_steps: int | None = None, name: str | None = None,
                 **kwargs: Any) -> None:
        cls_name = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored.",
                          stacklevel=2)
        if kwargs:
            raise ValueError(f"{cls_name}: argument(s) not recognized: {kwargs}")
        self.name: str = name if name is not None else _auto_name(cls_name)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.global_clipnorm = global_clipnorm
        self.clipvalue = clipvalue
        self.use_ema = bool(use_ema)
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                f"{cls_name}: `gradient_accumulation_steps` must be an integer >= 2, got "
                f"gradient_accumulation_steps={gradient_accumulation_steps}"
            )
        if use_ema:
            if ema_momentum > 1 or ema_momentum < 0:
                raise ValueError(
                    f"{cls_name}: `ema_momentum` must be in the range [0, 1], got "
                    f"ema_momentum={ema_momentum}"
                )
            if ema_overwrite_frequency and (
                not isinstance(ema_overwrite_frequency, (int, np.integer))
                or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    f"{cls_name}: `ema_overwrite_frequency` must be an integer >= 1 or None, got "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}"
                )
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        if sum(a is not None for a in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                f"{cls_name}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be "
                f"set, got clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.built = False
        self._iterations: np.ndarray = np.zeros((), dtype=np.int64)
        self._learning_rate: Any = None
        self._lr_array: np.ndarray | None = None
        self._set_learning_rate(learning_rate, initial=True)
        self._slots: list[tuple[str, Array]] = []  # (state name, array), in creation order
        self._trainable_variables: list[Any] = []
        self._trainable_variables_indices: dict[int, int] = {}
        self._exclude_from_weight_decay: set[int] = set()
        self._exclude_from_weight_decay_pattern: re.Pattern[str] | None = None
        self._exclude_from_weight_decay_cache: dict[int, bool] = {}
        self._step_constants_cache: dict[Any, Any] = {}

    # ------------------------------------------------------------------ learning rate, iterations
    def _set_learning_rate(self, learning_rate: Any, initial: bool = False) -> None:
        cls_name = type(self).__name__
        if isinstance(learning_rate, _schedules.LearningRateSchedule) or (
            callable(learning_rate) and not _is_number(learning_rate)
        ):
            self._learning_rate = learning_rate
            self._lr_array = None
            return
        if not _is_number(learning_rate) and not (
            isinstance(learning_rate, np.ndarray) and learning_rate.ndim == 0
        ):
            raise ValueError(
                f"{cls_name}: `learning_rate` should be a float, a LearningRateSchedule or a "
                f"callable returning the rate, got learning_rate={learning_rate!r}"
            )
        if not initial and isinstance(self._learning_rate, _schedules.LearningRateSchedule):
            raise TypeError(
                f"{cls_name}: this optimizer was created with a LearningRateSchedule as its "
                "learning_rate, so the learning rate is not settable; create the optimizer with "
                "a float learning_rate to change it during training"
            )
        if self._lr_array is None:
            self._lr_array = np.zeros((), dtype=backend.floatx())
        self._lr_array[...] = float(learning_rate)  # stored in floatx, as Keras's variable
        self._learning_rate = self._lr_array

    @property
    def learning_rate(self) -> float:
        """The learning rate for the current step (a schedule is evaluated at ``iterations``).

        Settable with a float (not when the optimizer was created with a schedule), a schedule or
        a callable.
        """
        return self._get_current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate: Any) -> None:
        self._set_learning_rate(learning_rate)

    def _get_current_learning_rate(self) -> float:
        lr = self._learning_rate
        if lr is self._lr_array:
            return float(self._lr_array)
        if isinstance(lr, _schedules.LearningRateSchedule):
            return float(lr(int(self._iterations)))
        return float(lr())

    @property
    def iterations(self) -> int:
        """The number of updates applied so far (with gradient accumulation: of real updates)."""
        if self.gradient_accumulation_steps:
            return int(self._iterations) // self.gradient_accumulation_steps
        return int(self._iterations)

    # ------------------------------------------------------------------ building and slots
    def build(self, variables: Sequence[Any]) -> None:
        """Create the optimizer's state for ``variables`` (done lazily by the first ``apply``).

        The base class records the variables' order and creates the moving averages
        (``use_ema``) and gradient accumulators; subclasses then add their own slots.
        """
        variables = list(variables)
        for variable in variables:
            self._check_variable(variable)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(
                variables, "average")
        self._trainable_variables_indices = {}
        for i, variable in enumerate(variables):
            self._trainable_variables_indices[self._var_key(variable)] = i
            flags = getattr(variable.data, "flags", None)  # CuPy arrays are always writeable
            if flags is not None and not getattr(flags, "writeable", True):
                variable.data = variable.data.copy()  # updates are written in place
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(
                variables, "gradient_accumulator")
        self._trainable_variables = variables[:]
        self.built = True

    def _check_variable(self, variable: Any) -> None:
        data = getattr(variable, "data", None)
        if data is None or not hasattr(data, "dtype") or not hasattr(data, "shape"):
            raise TypeError(
                f"{type(self).__name__} '{self.name}': expected scratchdl Parameters to optimize, "
                f"got {type(variable).__name__}"
            )
        if not backend.is_floating(data.dtype):
            raise TypeError(
                f"{type(self).__name__} '{self.name}': can only optimize floating-point "
                f"variables, got {self._describe(variable)} with dtype {data.dtype}"
            )

    @property
    def _state_prefix(self) -> str:
        return type(self).__name__.lower()

    def add_variable(self, shape: Sequence[int], initializer: Any = "zeros", dtype: Any = None,
                     name: str | None = None, like: Array | None = None) -> Array:
        """Create a state array of ``shape`` (saved in the state as ``'<class>/<name>'``).

        Args:
            shape: the array's shape.
            initializer: ``"zeros"``, ``"ones"`` or a number to fill with.
            dtype: the dtype (default ``floatx()``).
            name: the state name (required to be unique within the optimizer).
            like: an array whose array module (NumPy or CuPy) to allocate with.
        """
        if initializer == "zeros":
            fill = 0.0
        elif initializer == "ones":
            fill = 1.0
        elif _is_number(initializer):
            fill = float(initializer)
        else:
            raise ValueError(
                f"{type(self).__name__}: initializer must be 'zeros', 'ones' or a number, got "
                f"{initializer!r}"
            )
        xp = backend.get_array_module(like) if like is not None else np
        array = xp.full(tuple(shape), fill, dtype=dtype or backend.floatx())
        state_name = f"{self._state_prefix}/{name or 'variable'}"
        if any(existing == state_name for existing, _ in self._slots):
            raise ValueError(f"{type(self).__name__}: duplicate state name {state_name!r}")
        self._slots.append((state_name, array))
        return array

    def add_variable_from_reference(self, reference_variable: Any, name: str | None = None,
                                    initializer: Any = "zeros") -> Array:
        """Create a state array with the shape and dtype of ``reference_variable``.

        It is saved as ``'<class>/<name>/<index of the variable>'``.
        """
        index = self._trainable_variables_indices.get(self._var_key(reference_variable))
        if index is None:  # a variable outside the built list: number by slot name
            prefix = f"{self._state_prefix}/{name or 'var'}/"
            index = sum(1 for existing, _ in self._slots if existing.startswith(prefix))
        data = reference_variable.data
        return self.add_variable(data.shape, initializer=initializer, dtype=data.dtype,
                                 name=f"{name or 'var'}/{index}", like=data)

    def add_optimizer_variables(self, trainable_variables: Sequence[Any], name: str | list[str],
                                initializer: Any = "zeros") -> Any:
        """Create one slot per variable for each name in ``name``, interleaved per variable as
        Keras does (so ``variables`` lists them in Keras's order).

        Returns one list of arrays for a single name, a tuple of lists for a list of names.
        """
        names = [name] if isinstance(name, str) else list(name)
        slots: tuple[list[Array], ...] = tuple([] for _ in names)
        for variable in trainable_variables:
            for i, slot_name in enumerate(names):
                slots[i].append(self.add_variable_from_reference(variable, slot_name,
                                                                 initializer))
        return slots[0] if isinstance(name, str) else slots

    def _var_key(self, variable: Any) -> int:
        return id(variable)

    def _get_variable_index(self, variable: Any) -> int:
        return self._trainable_variables_indices[self._var_key(variable)]

    @property
    def variables(self) -> list[Array]:
        """All state arrays in Keras's order: iterations, learning rate (when a float), slots."""
        return [array for _, array in self._named_state()]

    def _named_state(self) -> list[tuple[str, Array]]:
        state: list[tuple[str, Array]] = [("iterations", self._iterations)]
        if self._learning_rate is self._lr_array:
            state.append(("learning_rate", self._lr_array))
        return state + self._slots

    # ------------------------------------------------------------------ applying gradients
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Any]]) -> int:
        """Apply ``(gradient, variable)`` pairs (gradients may be None: those are skipped).

        Returns the new ``iterations``.
        """
        pairs = list(grads_and_vars)
        if not pairs:
            return self.iterations
        grads, variables = zip(*pairs)
        self.apply(list(grads), list(variables))
        return self.iterations

    def apply(self, grads: Sequence[Any], trainable_variables: Sequence[Any] | None = None
              ) -> None:
        """Update ``trainable_variables`` with ``grads`` (one gradient array or None each).

        Without ``trainable_variables`` the optimizer must be built, and ``grads`` follow the
        built variables' order.
        """
        if len(grads) == 0:
            return
        cls_name = type(self).__name__
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{cls_name} '{self.name}': when passing `grads` without variables, the "
                    "optimizer must already be built: call optimizer.build(variables) first"
                )
            if len(grads) != len(self._trainable_variables):
                raise ValueError(
                    f"{cls_name} '{self.name}': got {len(grads)} gradients but the optimizer "
                    f"tracks {len(self._trainable_variables)} variables"
                )
            trainable_variables = self._trainable_variables
        else:
            trainable_variables = list(trainable_variables)
            if len(grads) != len(trainable_variables):
                raise ValueError(
                    f"{cls_name} '{self.name}': got {len(grads)} gradients for "
                    f"{len(trainable_variables)} variables"
                )
            if not self.built:
                self.build(trainable_variables)
                self.built = True
            indices = self._trainable_variables_indices
            for variable in trainable_variables:
                if id(variable) not in indices:
                    raise ValueError(
                        f"{cls_name} '{self.name}': unknown variable {self._describe(variable)}; "
                        "an optimizer only updates the variables it was built with: create a "
                        "new optimizer for a new set of variables"
                    )
        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        scale = self.loss_scale_factor
        if scale is not None:
            grads = [g / g.dtype.type(scale) for g in grads]
        self._backend_apply_gradients(grads, trainable_variables)
        for variable in trainable_variables:  # as Keras: project right after the update
            constraint = getattr(variable, "constraint", None)
            if constraint is not None:
                variable.data[...] = constraint(variable.data)
        self._iterations += 1

    def _describe(self, variable: Any) -> str:
        name = getattr(variable, "name", None)
        shape = getattr(getattr(variable, "data", None), "shape", None)
        return f"'{name}' of shape {shape}" if name else f"of shape {shape}"

    def _filter_empty_gradients(self, grads: Sequence[Any], variables: Sequence[Any]
                                ) -> tuple[list[Array], list[Any]]:
        """Drop None gradients; check shapes; cast gradients to their variable's dtype."""
        kept_grads: list[Array] = []
        kept_vars: list[Any] = []
        missing: list[str] = []
        for grad, variable in zip(grads, variables):
            if grad is None:
                missing.append(str(getattr(variable, "name", None) or self._describe(variable)))
                continue
            data = variable.data
            if hasattr(grad, "creator") and hasattr(grad, "data"):  # a Tensor
                grad = grad.data
            if not hasattr(grad, "dtype"):
                grad = backend.as_array(grad)
            if grad.shape != data.shape:
                raise ValueError(
                    f"{type(self).__name__} '{self.name}': gradient of shape {grad.shape} does "
                    f"not match variable {self._describe(variable)}"
                )
            if grad.dtype != data.dtype:
                grad = grad.astype(data.dtype)
            kept_grads.append(grad)
            kept_vars.append(variable)
        if not kept_grads:
            raise ValueError(f"{type(self).__name__} '{self.name}': no gradients provided for "
                             "any variable")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss.",
                stacklevel=3,
            )
        return kept_grads, kept_vars

    def _backend_apply_gradients(self, grads: list[Array], variables: list[Any]) -> None:
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = [self._accumulated_gradients[self._get_variable_index(v)]
                            for v in variables]
            if (int(self._iterations) + 1) % steps == 0:
                grads = [(g + acc) / g.dtype.type(steps) for g, acc in zip(grads, accumulators)]
                grads = self._clip_gradients(grads)
                self._apply_weight_decay(variables)
                self._backend_update_step(grads, variables, self.learning_rate)
                for accumulator in self._accumulated_gradients:
                    accumulator.fill(0)
            else:
                for g, accumulator in zip(grads, accumulators):
                    accumulator += g
        else:
            grads = self._clip_gradients(grads)
            self._apply_weight_decay(variables)
            self._backend_update_step(grads, variables, self.learning_rate)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            frequency = self.ema_overwrite_frequency
            if frequency and (self.iterations + 1) % frequency == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _backend_update_step(self, grads: list[Array], variables: list[Any],
                             learning_rate: float) -> None:
        """Run ``update_step`` on every pair (subclasses may update shared state first)."""
        self._step_constants_cache = {}
        for grad, variable in zip(grads, variables):
            self.update_step(grad, variable, learning_rate)

    def _constants(self, dtype: Any, learning_rate: float) -> Any:
        """This step's scalar coefficients in ``dtype``, computed once per step and dtype."""
        constants = self._step_constants_cache.get(dtype)
        if constants is None:
            constants = self._step_constants(np.dtype(dtype).type, learning_rate)
            self._step_constants_cache[dtype] = constants
        return constants

    def _step_constants(self, dt: type, learning_rate: float) -> Any:
        """Scalar coefficients of one step (subclasses with step-dependent scalars override)."""
        return dt(learning_rate)

    def update_step(self, gradient: Array, variable: Any, learning_rate: float) -> None:
        """Update ``variable.data`` (and the slots) in place from ``gradient``."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step")

    # Bytes per array in one block of an update rule (None: whole arrays); see _blockwise.py.
    _update_block_bytes: int | None = BLOCK_BYTES

    def _update_blockwise(self, kernel: Any, constants: Any, gradient: Array, variable: Any,
                          slots: Sequence[Array | None], temporaries: int = 1) -> None:
        """Run an elementwise update rule ``kernel(constants, gradient, data, *slots, *temps)``
        on ``variable.data`` in cache-sized blocks (``_blockwise.update_blockwise``)."""
        update_blockwise(kernel, constants, gradient, variable.data, slots, temporaries,
                         self._update_block_bytes)

    def scale_loss(self, loss: Any) -> Any:
        """Multiply the loss by ``loss_scale_factor`` (when set) before computing gradients."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments (Keras's keys), with a schedule serialized."""
        lr = self._learning_rate
        if lr is self._lr_array:
            learning_rate: Any = float(self._lr_array)
        elif isinstance(lr, _schedules.LearningRateSchedule):
            learning_rate = _schedules.serialize(lr)
        else:
            raise ValueError(
                f"{type(self).__name__} '{self.name}': a plain callable learning rate cannot be "
                "serialized; use a LearningRateSchedule subclass with get_config instead"
            )
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict[str, Any],
                    custom_objects: dict[str, Any] | None = None) -> Optimizer:
        """Create an optimizer from ``get_config``'s dict (a serialized schedule is rebuilt)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = _schedules.deserialize(config["learning_rate"],
                                                             custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        lr = self._learning_rate
        shown = float(self._lr_array) if lr is self._lr_array else lr
        return (f"<{type(self).__name__} name={self.name!r} learning_rate={shown!r} "
                f"iterations={int(self._iterations)} built={self.built}>")

