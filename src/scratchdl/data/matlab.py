"""MATLAB ``.mat`` files, such as the course's ``data.mat`` for the regularization study.

``data.mat`` holds ``X`` (211, 2) and ``y`` (211, 1) for training and ``Xval`` (200, 2),
``yval`` (200, 1) for validation: positions on a football field and which team headed the ball.
The course transposes them to features-first ``(2, m)``; here they stay samples-first, as Keras
wants, with the labels flattened to ``(m,)``.

Files up to MATLAB v7 are read with ``scipy.io.loadmat``. MATLAB v7.3 files are HDF5 files with a
512-byte MATLAB header; they are read with h5py and transposed back from MATLAB's column-major order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scratchdl.data._files import check_file

__all__ = ["load_mat_arrays", "load_mat_dataset"]


def _read_v73(file: Path, caller: str) -> dict[str, np.ndarray]:
    import h5py

    if not h5py.is_hdf5(file):
        raise ValueError(f"{caller}: '{file}' claims to be a MATLAB v7.3 file but holds no HDF5 data")
    with h5py.File(file, "r") as handle:
        # MATLAB writes column-major arrays, so an (m, n) variable is stored as (n, m).
        return {
            name: np.asarray(item[()]).T
            for name, item in handle.items()
            if isinstance(item, h5py.Dataset) and not name.startswith("#")
        }


def _read(file: Path, caller: str) -> dict[str, Any]:
    from scipy.io import loadmat
    from scipy.io.matlab import MatReadError

    try:
        return {k: v for k, v in loadmat(file).items() if not k.startswith("__")}
    except NotImplementedError:  # scipy's answer to a v7.3 (HDF5) file
        return _read_v73(file, caller)
    except (MatReadError, ValueError, TypeError, OSError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(f"{caller}: '{file}' is not a readable MATLAB .mat file ({detail})") from None


def load_mat_arrays(path: str | os.PathLike[str], keys: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """Read the variables of a ``.mat`` file into ``{name: array}`` (all of them, or only ``keys``).

    A missing key raises a one-line ``ValueError`` listing the variables the file holds.

    >>> arrays = load_mat_arrays("data.mat", ["X", "y"])  # doctest: +SKIP
    """
    caller = "load_mat_arrays"
    file = check_file(path, caller)
    arrays = _read(file, caller)
    if keys is None:
        return {name: np.asarray(value) for name, value in arrays.items()}
    missing = [key for key in keys if key not in arrays]
    if missing:
        raise ValueError(
            f"{caller}: '{file}' has no variable {', '.join(repr(k) for k in missing)} "
            f"(variables: {', '.join(sorted(arrays)) or 'none'})"
        )
    return {key: np.asarray(arrays[key]) for key in keys}


def _pair(file: Path, x: np.ndarray, y: np.ndarray, x_key: str, y_key: str) -> tuple[np.ndarray, np.ndarray]:
    if x.ndim != 2:
        raise ValueError(
            f"load_mat_dataset: in '{file}', '{x_key}' should be 2-D (samples, features), got shape {x.shape}"
        )
    if y.size != x.shape[0]:
        raise ValueError(
            f"load_mat_dataset: in '{file}', '{x_key}' has {x.shape[0]} samples (shape {x.shape}) but "
            f"'{y_key}' has shape {y.shape}, not one label per sample"
        )
    return x, y.reshape(-1)


def load_mat_dataset(
    path: str | os.PathLike[str], keys: Sequence[str] = ("X", "y", "Xval", "yval")
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Read a train/validation ``.mat`` data set: ``(X, y, Xval, yval)``, samples first, labels ``(m,)``.

    ``keys`` names the four variables (training inputs, training labels, validation inputs,
    validation labels). Each input array must be 2-D with one label per row; the dtypes are kept as
    stored (``data.mat`` holds float64 inputs and float64 0/1 labels).

    >>> X, y, Xval, yval = load_mat_dataset("datasets/data.mat")  # doctest: +SKIP
    >>> X.shape, y.shape, Xval.shape, yval.shape  # doctest: +SKIP
    ((211, 2), (211,), (200, 2), (200,))
    """
    if len(keys) != 4:
        raise ValueError(f"load_mat_dataset: keys must name 4 variables (X, y, Xval, yval), got {list(keys)}")
    file = check_file(path, "load_mat_dataset")
    try:
        arrays = load_mat_arrays(file, keys)
    except ValueError as error:
        raise ValueError(str(error).replace("load_mat_arrays", "load_mat_dataset", 1)) from None
    x_key, y_key, xval_key, yval_key = keys
    x, y = _pair(file, arrays[x_key], arrays[y_key], x_key, y_key)
    xval, yval = _pair(file, arrays[xval_key], arrays[yval_key], xval_key, yval_key)
    if x.shape[1] != xval.shape[1]:
        raise ValueError(
            f"load_mat_dataset: in '{file}', '{x_key}' has {x.shape[1]} features but '{xval_key}' has {xval.shape[1]}"
        )
    return x, y, xval, yval
