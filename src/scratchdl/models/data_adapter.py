"""Batching for ``fit``/``evaluate``/``predict``: arrays, generators and other iterables.

* ``ArrayDataAdapter``: NumPy arrays (or lists/dicts of them, or Tensors) sliced into batches
  of ``batch_size`` (32 by default); the last, partial batch is kept; ``shuffle=True`` draws a
  new permutation per epoch from ``scratchdl.backend.random_generator()`` (``'batch'`` shuffles
  within each batch only). ``class_weight`` becomes per-sample weights.
* ``IterableDataAdapter``: a Python generator/iterator (consumed once; an epoch ends when it is
  exhausted unless ``steps_per_epoch`` is given) or a re-iterable object (a fresh iterator per
  epoch; ``len()`` gives the number of batches when defined). Each element is a batch ``x``,
  ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

``EpochIterator`` walks one epoch of an adapter as Keras's does: ``steps_per_epoch`` caps the
epoch (and keeps a generator's position between epochs), and running out of data early ends the
epoch with a warning.

Errors name the ``Model`` method the data came through and state what was expected and what
was got. ``fit``, ``evaluate``, ``predict`` and ``train_on_batch`` pass their own name
(``caller="Model.fit"``, ...); used directly, the adapters name every method that can reach the
check (``Model.fit/evaluate/predict``, or ``Model.fit`` for the checks only ``fit`` has).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.autograd.tensor import Tensor

# The public entry points that reach each check: an error starts with the caller's name when
# the caller gave it, else with these.
_FIT = "Model.fit"
_FIT_EVALUATE = "Model.fit/evaluate"
_FIT_TRAIN_ON_BATCH = "Model.fit/train_on_batch"
_ANY = "Model.fit/evaluate/predict"

__all__ = [
    "ArrayDataAdapter", "EpochIterator", "IterableDataAdapter", "class_weight_to_sample_weights",
    "get_data_adapter", "map_structure", "pack_x_y_sample_weight", "train_validation_split",
    "unpack_x_y_sample_weight",
]


def map_structure(fn: Any, structure: Any) -> Any:
    """Apply ``fn`` to every leaf of nested lists/tuples/dicts (``None`` leaves stay None)."""
    if structure is None:
        return None
    if isinstance(structure, list):
        return [map_structure(fn, v) for v in structure]
    if isinstance(structure, tuple):
        return tuple(map_structure(fn, v) for v in structure)
    if isinstance(structure, dict):
        return {k: map_structure(fn, v) for k, v in structure.items()}
    return fn(structure)


def _leaves(structure: Any) -> list[Any]:
    if structure is None:
        return []
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _leaves(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _leaves(item)]
    return [structure]


def unpack_x_y_sample_weight(data: Any, caller: str = _ANY) -> tuple[Any, Any, Any]:
    """Split a batch ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)`` into three parts
    (an error for any other tuple starts with ``caller``)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    kinds = ", ".join(type(item).__name__ for item in data)
    raise ValueError(
        f"{caller}: Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
        f"`(x, y, sample_weight)`, found a tuple of {len(data)} elements ({kinds})"
    )


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> tuple[Any, ...]:
    """The inverse of ``unpack_x_y_sample_weight``."""
    if y is None:
        return (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def _to_array(value: Any, caller: str = _ANY) -> Any:
    if isinstance(value, Tensor):
        return value.data
    if isinstance(value, np.ndarray) or hasattr(value, "__cuda_array_interface__"):
        return value
    try:
        array = np.asarray(value)
    except ValueError as error:  # NumPy's message names neither the call nor the data
        raise ValueError(
            f"{caller}: cannot turn the {type(value).__name__} {_preview(value)} into one array: "
            f"expected nested lists of equal lengths (a rectangular shape) ({error})"
        ) from error
    if array.dtype == np.float64 and not isinstance(value, np.ndarray):
        array = array.astype(backend.floatx())
    return array


def _preview(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _is_number_list(value: Any) -> bool:
    """A (nested) Python list/tuple of plain numbers: one array, not a structure of arrays."""
    if isinstance(value, (list, tuple)):
        return len(value) > 0 and all(_is_number_list(v) for v in value)
    return isinstance(value, (int, float, bool, np.generic))


def _as_arrays(structure: Any, caller: str = _ANY) -> Any:
    if structure is None:
        return None
    if _is_number_list(structure):
        return _to_array(structure, caller)
    if isinstance(structure, list):
        return [_as_arrays(v, caller) for v in structure]
    if isinstance(structure, tuple):
        return tuple(_as_arrays(v, caller) for v in structure)
    if isinstance(structure, dict):
        return {k: _as_arrays(v, caller) for k, v in structure.items()}
    return _to_array(structure, caller)


def is_array_like(value: Any) -> bool:
    """True for data ``ArrayDataAdapter`` handles: arrays, Tensors, and lists/dicts of them."""
    if value is None or isinstance(value, (np.ndarray, Tensor, int, float, np.generic)):
        return True
    if hasattr(value, "__array__") or hasattr(value, "__cuda_array_interface__"):
        return True
    if isinstance(value, dict):
        return all(is_array_like(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return all(is_array_like(v) or isinstance(v, (list, tuple)) for v in value)
    return False


def class_weight_to_sample_weights(y: Any, class_weight: dict[int, float],
                                   caller: str = _FIT_TRAIN_ON_BATCH) -> np.ndarray:
    """Per-sample weights from ``{class_index: weight}``: one-hot targets use their argmax,
    ``(n, 1)`` targets their value; classes missing from the dict weigh 1 (as in Keras).
    Errors start with ``caller``."""
    for cls in class_weight:
        if not _is_integer(cls):
            raise ValueError(
                f"{caller}: Expected `class_weight` to be a dict with integer class "
                f"indices as keys, got the key {cls!r} ({type(cls).__name__}) in {class_weight}"
            )
    labels = np.asarray(y.data if isinstance(y, Tensor) else y)
    if labels.ndim > 1:
        labels = np.argmax(labels, axis=-1) if labels.shape[-1] != 1 else np.squeeze(labels, axis=-1)
    labels = np.round(labels).astype(np.int64)
    if labels.ndim != 1:
        raise ValueError(
            f"{caller}: `class_weight` needs one class per sample: targets of shape "
            f"(n,), (n, 1) or one-hot (n, classes), got targets of shape {np.shape(y)}"
        )
    weights = np.ones(labels.shape, dtype=backend.floatx())
    if labels.size == 0:
        return weights
    by_class = {int(cls): weight for cls, weight in class_weight.items()}
    # A lookup table indexed by label; a negative label must not index it from the end, so those
    # (Keras gives them their own class_weight entry, else 1) are set one class at a time.
    lookup = np.ones(max(int(labels.max()), *by_class, 0) + 1, dtype=backend.floatx())
    for cls, weight in by_class.items():
        if cls >= 0:
            lookup[cls] = weight
        else:
            weights[labels == cls] = weight
    known = labels >= 0
    weights[known] = lookup[labels[known]]
    return weights


def _is_integer(value: Any) -> bool:
    """Whether ``value`` is a whole number (``2``, ``np.int64(2)``, ``2.0``; not ``'2'``)."""
    if isinstance(value, (str, bytes)):
        return False
    try:
        return bool(int(value) == value)
    except (TypeError, ValueError, OverflowError):
        return False


def train_validation_split(arrays: tuple[Any, ...], validation_split: float) -> tuple[Any, Any]:
    """Split arrays: the *last* ``validation_split`` fraction of samples becomes validation data."""
    if not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"{_FIT}: `validation_split` must be a fraction strictly between 0 and 1, got "
            f"validation_split={validation_split}"
        )
    for leaf in _leaves(arrays):
        if not is_array_like(leaf):
            raise ValueError(
                f"{_FIT}: `validation_split` is only supported for arrays and tensors; got "
                f"{type(leaf).__name__}. Pass validation_data instead"
            )
    arrays = _as_arrays(arrays)
    leaves = _leaves(arrays)
    if not leaves:
        return arrays, arrays
    total = int(np.shape(leaves[0])[0])
    split_at = int(math.floor(total * (1.0 - validation_split)))
    if split_at == 0 or split_at == total:
        raise ValueError(
            f"{_FIT}: Training data contains {total} samples, which is not sufficient to split it "
            f"into a validation and training set as specified by "
            f"`validation_split={validation_split}` (the split leaves {split_at} training and "
            f"{total - split_at} validation samples; both need at least 1)"
        )
    train = map_structure(lambda a: a[:split_at], arrays)
    validation = map_structure(lambda a: a[split_at:], arrays)
    return train, validation


class ArrayDataAdapter:
    """Batches of arrays (see the module docstring). ``caller`` names the ``Model`` method in
    errors."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: int | None = None,
                 steps: int | None = None, shuffle: bool | str = False,
                 class_weight: dict[int, float] | None = None, caller: str | None = None) -> None:
        any_caller = caller or _ANY
        x = _as_arrays(x, any_caller)
        y = _as_arrays(y, any_caller)
        sample_weight = _as_arrays(sample_weight, any_caller)
        if sample_weight is not None:
            if class_weight is not None:
                raise ValueError(f"{caller or _FIT}: You cannot use `class_weight` and `sample_weight` at the "
                                 "same time; pass one of them")
            if isinstance(y, (list, tuple, dict)) and not isinstance(sample_weight, (list, tuple, dict)):
                if sample_weight.ndim > 2 or (sample_weight.ndim == 2 and sample_weight.shape[1] != 1):
                    raise ValueError(
                        f"{caller or _FIT_EVALUATE}: for a model with several outputs, a single "
                        "`sample_weight` array must have one value per sample (shape (n,) or "
                        f"(n, 1)), got shape {sample_weight.shape}"
                    )
                sample_weight = map_structure(lambda _: sample_weight, y)
        if class_weight is not None:
            if isinstance(y, (list, tuple, dict)):
                raise ValueError(
                    f"{caller or _FIT}: `class_weight` is only supported for models with a single output; "
                    f"got targets `y` as a {type(y).__name__} of {len(y)} arrays"
                )
            if y is None:
                raise ValueError(f"{caller or _FIT}: `class_weight` needs targets `y`, got y=None")
            sample_weight = class_weight_to_sample_weights(y, class_weight, caller or _FIT)
        self._data = pack_x_y_sample_weight(x, y, sample_weight)
        sizes = {int(np.shape(leaf)[0]) if np.ndim(leaf) else -1 for leaf in _leaves(self._data)}
        if len(sizes) != 1 or -1 in sizes:
            details = "; ".join(
                f"'{label}' shapes: " + ", ".join(str(np.shape(leaf)) for leaf in _leaves(part))
                for label, part in zip(("x", "y", "sample_weight"), self._data)
            )
            raise ValueError(
                f"{any_caller}: Data cardinality is ambiguous. Make sure all arrays contain the same "
                f"number of samples (first dimension, so no scalars); got {details}"
            )
        self.num_samples = sizes.pop()
        if batch_size is not None and not (_is_integer(batch_size) and batch_size >= 0):
            raise ValueError(
                f"{any_caller}: `batch_size` must be a positive integer or None, got "
                f"batch_size={batch_size!r}"
            )
        if not batch_size:
            batch_size = int(math.ceil(self.num_samples / steps)) if steps else 32
        self.batch_size = int(batch_size)
        self.num_batches = int(math.ceil(self.num_samples / self.batch_size))
        self.shuffle = shuffle

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        n, size = self.num_samples, self.batch_size
        generator = backend.random_generator()
        permutation = generator.permutation(n) if self.shuffle and self.shuffle != "batch" else None
        data = self._data
        for i in range(self.num_batches):
            start, stop = i * size, min((i + 1) * size, n)
            if self.shuffle == "batch":
                index: Any = generator.permutation(stop - start) + start
            elif permutation is not None:
                index = permutation[start:stop]
            else:
                index = slice(start, stop)
            yield map_structure(lambda a, index=index: a[index], data)


class IterableDataAdapter:
    """Batches from a generator, iterator or re-iterable object (see the module docstring).
    ``caller`` names the ``Model`` method in errors."""

    def __init__(self, data: Any, class_weight: dict[int, float] | None = None,
                 caller: str | None = None) -> None:
        self._data = data
        self._class_weight = class_weight
        self._caller = caller
        self._one_shot = isinstance(data, Iterator)
        try:
            self.num_batches: int | None = None if self._one_shot else len(data)
        except TypeError:
            self.num_batches = None

    def _batches(self) -> Iterator[Any]:
        data = self._data
        if self._one_shot:
            return data
        if not hasattr(data, "__iter__") and hasattr(data, "__len__"):
            # An indexable dataset (Keras's PyDataset protocol): batches 0 .. len - 1.
            return (data[index] for index in range(len(data)))
        return iter(data)

    def on_epoch_end(self) -> None:
        """Tell an indexable dataset that an epoch ended (PyDataset's ``on_epoch_end``)."""
        hook = getattr(self._data, "on_epoch_end", None)
        if callable(hook) and not self._one_shot:
            hook()

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        caller = self._caller or _ANY
        for batch in self._batches():
            x, y, sample_weight = unpack_x_y_sample_weight(batch, caller)
            x, y, sample_weight = (_as_arrays(x, caller), _as_arrays(y, caller),
                                   _as_arrays(sample_weight, caller))
            if self._class_weight is not None and y is not None and sample_weight is None:
                sample_weight = class_weight_to_sample_weights(y, self._class_weight,
                                                               self._caller or _FIT)
            yield pack_x_y_sample_weight(x, y, sample_weight)


def get_data_adapter(x: Any, y: Any = None, sample_weight: Any = None, batch_size: int | None = None,
                     steps_per_epoch: int | None = None, shuffle: bool | str = False,
                     class_weight: dict[int, float] | None = None, caller: str | None = None) -> Any:
    """Pick the adapter for ``x``: arrays -> ``ArrayDataAdapter``, iterables -> ``IterableDataAdapter``.

    ``caller`` (e.g. ``'Model.fit'``) names the ``Model`` method in errors.
    """
    if isinstance(x, (ArrayDataAdapter, IterableDataAdapter)):
        return x
    if is_array_like(x):
        return ArrayDataAdapter(x, y, sample_weight=sample_weight, batch_size=batch_size,
                                steps=steps_per_epoch, shuffle=shuffle, class_weight=class_weight,
                                caller=caller)
    if hasattr(x, "__iter__") or hasattr(x, "__getitem__"):
        for name, value in (("y", y), ("sample_weight", sample_weight)):
            if value is not None:
                raise ValueError(
                    f"{caller or _ANY}: `{name}` must not be given when `x` is a generator or iterable "
                    f"({type(x).__name__}); got {name} of type {type(value).__name__}. Yield "
                    "(x, y) or (x, y, sample_weight) batches from it instead"
                )
        return IterableDataAdapter(x, class_weight=class_weight, caller=caller)
    raise ValueError(
        f"{caller or _ANY}: Unrecognized data type: x={type(x).__name__}. Expected NumPy arrays (or "
        "lists/dicts of them), tensors, or a generator/iterable of batches"
    )


class EpochIterator:
    """Yields ``(begin_step, end_step, batches)`` for one epoch (Keras's ``EpochIterator``).

    Each item holds ``steps_per_execution`` batches (fewer at the end of the data). ``caller``
    (e.g. ``'Model.fit'``) names the ``Model`` method in errors about the data.
    """

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: int | None = None,
                 steps_per_epoch: int | None = None, shuffle: bool | str = False,
                 class_weight: dict[int, float] | None = None, steps_per_execution: int = 1,
                 caller: str | None = None) -> None:
        self.steps_per_epoch = steps_per_epoch
        self.steps_per_execution = max(int(steps_per_execution), 1)
        self.data_adapter = get_data_adapter(x, y, sample_weight=sample_weight, batch_size=batch_size,
                                             steps_per_epoch=steps_per_epoch, shuffle=shuffle,
                                             class_weight=class_weight, caller=caller)
        self._num_batches = self.data_adapter.num_batches
        self._current: Iterator[Any] | None = None
        self._steps_seen = 0

    @property
    def num_batches(self) -> int | None:
        """The number of batches in an epoch (None while unknown)."""
        return self.steps_per_epoch or self._num_batches

    def reset(self) -> None:
        """Forget the position in the data (the next epoch starts from the beginning)."""
        self._current = None
        self._steps_seen = 0

    def _warn_out_of_data(self) -> None:
        warnings.warn(
            "Your input ran out of data; interrupting training. Make sure that your dataset or "
            "generator can generate at least `steps_per_epoch * epochs` batches.", stacklevel=3,
        )

    def __iter__(self) -> Iterator[tuple[int, int, list[Any]]]:
        per = self.steps_per_execution
        steps = self.steps_per_epoch or self._num_batches or -1
        if steps > 0:
            if self._current is None or self.steps_per_epoch is None:
                self._current = iter(self.data_adapter)
                self._steps_seen = 0
            for step in range(0, steps, per):
                if self._num_batches and self._steps_seen >= self._num_batches:
                    if self.steps_per_epoch:
                        self._warn_out_of_data()
                    break
                self._steps_seen += per
                buffer = self._take(self._current, per)
                if buffer is None:
                    break
                yield step, step + len(buffer) - 1, buffer
            if self._num_batches and self._steps_seen >= self._num_batches:
                self._current = None
                self._steps_seen = 0
        else:
            iterator = iter(self.data_adapter)
            step = 0
            while True:
                buffer = self._take(iterator, per, warn=False)
                if buffer is None:
                    if self._num_batches is None:
                        self._num_batches = step
                    break
                yield step, step + len(buffer) - 1, buffer
                step += len(buffer)
        on_epoch_end = getattr(self.data_adapter, "on_epoch_end", None)
        if on_epoch_end is not None:
            on_epoch_end()

    def _take(self, iterator: Iterator[Any], count: int, warn: bool = True) -> list[Any] | None:
        buffer = []
        for _ in range(count):
            try:
                buffer.append(next(iterator))
            except StopIteration:
                if warn:  # fewer batches than steps_per_epoch asked for
                    if self._num_batches is None:
                        self._num_batches = self._steps_seen
                    self._warn_out_of_data()
                    self._current = None
                break
        return buffer or None
