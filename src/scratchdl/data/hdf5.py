"""HDF5 image data sets laid out as the Deep Learning Specialization ships them.

The course's files (``train_catvnoncat.h5``, ``train_signs.h5``, ``train_happy.h5`` and their
``test_*`` partners) hold a uint8 image array and a label array per split, plus an optional list of
class names::

    train_catvnoncat.h5   train_set_x (209, 64, 64, 3) uint8, train_set_y (209,) int64, list_classes
    test_catvnoncat.h5    test_set_x  (50, 64, 64, 3)  uint8, test_set_y  (50,)  int64, list_classes

Other files name their pairs ``X_train``/``Y_train`` or ``x_test``/``y_test``. The loaders here
find ``*_x``/``*_y``, ``x_*``/``y_*`` and plain ``x``/``y`` pairs in any file (case-insensitive,
in any group), return samples-first arrays with the labels flattened to ``(N,)`` (the course
reshapes them to ``(1, N)``; Keras wants ``(N,)``), and decode ``list_classes`` bytes to ``str``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

import numpy as np

from scratchdl.data._files import check_file

__all__ = ["find_xy_pairs", "load_hdf5", "load_hdf5_splits", "load_h5_dataset"]

Split = tuple[np.ndarray, np.ndarray]


def _h5py() -> Any:
    import h5py  # a runtime dependency, imported lazily so `import scratchdl` stays light

    return h5py


def _role(base: str) -> tuple[str, str] | None:
    """('x' or 'y', pair name) for one dataset's base name, or None when it is not half of a pair."""
    lower = base.lower()
    if lower in ("x", "y"):
        return lower, ""
    if len(lower) > 2 and lower[-2:] in ("_x", "_y"):
        return lower[-1], base[:-2]
    if len(lower) > 2 and lower[:2] in ("x_", "y_"):
        return lower[0], base[2:]
    return None


def find_xy_pairs(names: Iterable[str]) -> dict[str, tuple[str, str]]:
    """Group dataset names into ``{pair_name: (x_name, y_name)}``.

    ``train_set_x``/``train_set_y`` make the pair ``'train_set'``, ``X_train``/``Y_train`` the pair
    ``'train'``, a lone ``x``/``y`` the pair ``''``; names inside groups keep their group
    (``'/fold1/x_train'`` -> ``'fold1/train'``). Matching ignores case. Names that have no partner
    are left out; two candidates for the same half of a pair raise a ``ValueError``.

    >>> find_xy_pairs(["train_set_x", "train_set_y", "list_classes"])
    {'train_set': ('train_set_x', 'train_set_y')}
    """
    halves: dict[str, dict[str, str]] = {}
    display: dict[str, str] = {}
    for name in names:
        group, _, base = name.strip("/").rpartition("/")
        role = _role(base)
        if role is None:
            continue
        kind, stem = role
        pair = "/".join(part for part in (group, stem) if part)
        key = pair.lower()
        found = halves.setdefault(key, {})
        if kind in found:
            raise ValueError(
                f"find_xy_pairs: both '{found[kind]}' and '{name}' look like the {kind} of pair '{pair}'; "
                "pass x_key and y_key explicitly"
            )
        found[kind] = name
        display.setdefault(key, pair)
    return {display[key]: (found["x"], found["y"]) for key, found in halves.items() if len(found) == 2}


def _dataset_names(handle: Any) -> list[str]:
    h5py = _h5py()
    names: list[str] = []
    handle.visititems(lambda name, obj: names.append(name) if isinstance(obj, h5py.Dataset) else None)
    return names


def _class_names(handle: Any, classes_key: str | None) -> list[str] | None:
    if classes_key is None or classes_key not in handle:
        return None
    values = np.asarray(handle[classes_key][()]).reshape(-1)
    return [v.decode("utf-8") if isinstance(v, (bytes, np.bytes_)) else str(v) for v in values.tolist()]


def _labels(file: Any, x_key: str, y_key: str, x: np.ndarray, y: np.ndarray, caller: str) -> np.ndarray:
    """Flatten ``y`` to ``(N,)`` when it holds one label per sample; check the sample counts agree."""
    if x.ndim == 0:
        raise ValueError(f"{caller}: in '{file}', '{x_key}' is a scalar, expected an array of samples")
    n = x.shape[0]
    if y.size == n:
        return y.reshape(n)
    if y.ndim >= 1 and y.shape[0] == n:
        return y  # several targets per sample (boxes, one-hot rows): keep them
    raise ValueError(
        f"{caller}: in '{file}', '{x_key}' has {n} samples (shape {x.shape}) but '{y_key}' "
        f"has shape {y.shape}, not one label per sample"
    )


def _open(path: str | os.PathLike[str], caller: str) -> Any:
    file = check_file(path, caller)
    h5py = _h5py()
    if not h5py.is_hdf5(file):
        raise ValueError(f"{caller}: '{file}' is not an HDF5 file")
    try:
        return h5py.File(file, "r")
    except OSError as error:  # a damaged file: h5py's message does not name it
        raise ValueError(f"{caller}: cannot read HDF5 file '{file}': {error}") from None


def _read_pair(handle: Any, x_key: str, y_key: str, caller: str) -> Split:
    for key in (x_key, y_key):
        if key not in handle:
            raise ValueError(
                f"{caller}: '{handle.filename}' has no dataset '{key}' (datasets: {', '.join(_dataset_names(handle))})"
            )
    x = np.asarray(handle[x_key][()])
    y = np.asarray(handle[y_key][()])
    return x, _labels(handle.filename, x_key, y_key, x, y, caller)


def _no_pairs_error(handle: Any, caller: str) -> ValueError:
    return ValueError(
        f"{caller}: '{handle.filename}' has no x/y dataset pairs (datasets: "
        f"{', '.join(_dataset_names(handle)) or 'none'}); expected names such as "
        "train_set_x/train_set_y or X_train/Y_train"
    )


def load_hdf5_splits(
    path: str | os.PathLike[str], classes_key: str | None = "list_classes"
) -> tuple[dict[str, Split], list[str] | None]:
    """Read every x/y pair of an HDF5 file: ``({pair_name: (x, y)}, class_names)``.

    Pairs are found by :func:`find_xy_pairs`; labels are flattened to ``(N,)``; ``class_names`` is
    ``list_classes`` decoded to ``str`` (``None`` when the file has none).

    >>> splits, classes = load_hdf5_splits("train_signs.h5")  # doctest: +SKIP
    >>> splits["train_set"][0].shape  # doctest: +SKIP
    (1080, 64, 64, 3)
    """
    caller = "load_hdf5_splits"
    with _open(path, caller) as handle:
        pairs = find_xy_pairs(_dataset_names(handle))
        if not pairs:
            raise _no_pairs_error(handle, caller)
        splits = {name: _read_pair(handle, x_key, y_key, caller) for name, (x_key, y_key) in pairs.items()}
        return splits, _class_names(handle, classes_key)


def load_hdf5(
    path: str | os.PathLike[str],
    split: str | None = None,
    x_key: str | None = None,
    y_key: str | None = None,
    classes_key: str | None = "list_classes",
) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    """Read one x/y pair of an HDF5 file: ``(x, y, class_names)``.

    With no arguments the file must hold exactly one pair (the course's files do). ``split`` picks a
    pair by name (``'train_set'``, ``'train'``; case-insensitive), ``x_key``/``y_key`` name the
    datasets outright. ``y`` is flattened to ``(N,)``; ``class_names`` is ``None`` when the file
    has no ``classes_key`` dataset.

    >>> x, y, classes = load_hdf5("train_catvnoncat.h5")  # doctest: +SKIP
    >>> x.shape, y.shape, classes  # doctest: +SKIP
    ((209, 64, 64, 3), (209,), ['non-cat', 'cat'])
    """
    caller = "load_hdf5"
    if (x_key is None) != (y_key is None):
        raise ValueError(f"{caller}: pass both x_key and y_key, or neither (got x_key={x_key!r}, y_key={y_key!r})")
    with _open(path, caller) as handle:
        if x_key is None:
            pairs = find_xy_pairs(_dataset_names(handle))
            if not pairs:
                raise _no_pairs_error(handle, caller)
            if split is None:
                if len(pairs) > 1:
                    raise ValueError(
                        f"{caller}: '{handle.filename}' holds several x/y pairs ({', '.join(pairs)}); pass split="
                    )
                x_key, y_key = next(iter(pairs.values()))
            else:
                matches = [keys for name, keys in pairs.items() if name.lower() == split.lower()]
                if not matches:
                    raise ValueError(
                        f"{caller}: '{handle.filename}' has no x/y pair named '{split}' (pairs: {', '.join(pairs)})"
                    )
                x_key, y_key = matches[0]
        assert y_key is not None
        x, y = _read_pair(handle, x_key, y_key, caller)
        return x, y, _class_names(handle, classes_key)


def _pick(splits: dict[str, Split], prefix: str, path: str | os.PathLike[str], caller: str) -> Split:
    if len(splits) == 1:
        return next(iter(splits.values()))
    matches = [name for name in splits if name.lower().startswith(prefix)]
    if len(matches) != 1:
        raise ValueError(
            f"{caller}: cannot tell which pair of '{path}' is the {prefix} set (pairs: {', '.join(splits)})"
        )
    return splits[matches[0]]


def load_h5_dataset(
    train_path: str | os.PathLike[str],
    test_path: str | os.PathLike[str],
    classes_key: str | None = "list_classes",
) -> tuple[Split, Split, list[str] | None]:
    """Read a course data set from its training and test files, as the course's ``load_dataset()``.

    Returns ``((x_train, y_train), (x_test, y_test), class_names)``, samples first, labels ``(N,)``.
    Each file must hold one pair, or one pair whose name starts with ``train`` (``test``).
    ``class_names`` comes from the test file's ``list_classes`` (where the course reads it), else
    the training file's; the two must agree when both have one.

    >>> (x_train, y_train), (x_test, y_test), classes = load_h5_dataset(
    ...     "datasets/train_catvnoncat.h5", "datasets/test_catvnoncat.h5")  # doctest: +SKIP
    """
    caller = "load_h5_dataset"
    train_splits, train_classes = load_hdf5_splits(train_path, classes_key)
    test_splits, test_classes = load_hdf5_splits(test_path, classes_key)
    train = _pick(train_splits, "train", train_path, caller)
    test = _pick(test_splits, "test", test_path, caller)
    if train[0].shape[1:] != test[0].shape[1:]:
        raise ValueError(
            f"{caller}: training samples of '{train_path}' have shape {train[0].shape[1:]} but test samples "
            f"of '{test_path}' have shape {test[0].shape[1:]}"
        )
    if train_classes is not None and test_classes is not None and train_classes != test_classes:
        raise ValueError(
            f"{caller}: class names differ: '{train_path}' has {train_classes}, '{test_path}' has {test_classes}"
        )
    return train, test, test_classes if test_classes is not None else train_classes
