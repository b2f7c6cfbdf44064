"""The public saving functions: ``save_model``/``load_model`` and ``save_weights``/``load_weights``.

``Model.save``, ``Model.save_weights`` and ``Model.load_weights`` call these. Formats:

=========================  ==============================================================
``model.keras``            the whole model (architecture, weights, compile settings,
                           optimizer state): ``saving_lib``
``x.weights.safetensors``  weights (+ the optimizer variables of a compiled model)
``x.weights.h5``           the same in Keras 3's HDF5 layout (Keras loads it)
``x.npz``                  the same as a NumPy archive (read without pickle)
``x.h5`` (read only)       Keras legacy HDF5 weights (``keras.saving.save_model(m, 'x.h5')``)
=========================  ==============================================================

``load_weights`` recognizes a file by its content, not its name, and also accepts a ``.keras``
archive (it then loads only the weights and optimizer state into the given model).
"""

from __future__ import annotations

import json
import os
import zipfile
from collections.abc import Mapping
from typing import Any

from scratchdl.saving import keras_h5, saving_lib
from scratchdl.saving.file_utils import sniff_format
from scratchdl.saving.weights_io import (
    collect_weights, plan_assignment, read_npz, read_safetensors, write_npz, write_safetensors,
)

__all__ = ["MODEL_EXTENSIONS", "WEIGHTS_EXTENSIONS", "load_model", "load_weights", "save_model", "save_weights"]

MODEL_EXTENSIONS = (".keras",)
WEIGHTS_EXTENSIONS = (".weights.safetensors", ".safetensors", ".weights.h5", ".npz")


def save_model(model: Any, filepath: str | os.PathLike[str], overwrite: bool = True, **kwargs: Any) -> None:
    """Save ``model`` as a ``.keras`` archive (atomically: a failure leaves any old file intact).

    Args:
        model: the model to save.
        filepath: a path ending in ``.keras``.
        overwrite: when False, refuse to replace an existing file (``FileExistsError``).
        **kwargs: ``zipped=True`` and ``include_optimizer=True`` are accepted for Keras
            compatibility (the archive is always one zip file; the optimizer state is included
            whenever the model is compiled).
    """
    path = os.fspath(filepath)
    zipped = kwargs.pop("zipped", True)
    kwargs.pop("include_optimizer", None)
    if kwargs:
        raise ValueError(f"save_model: arguments not recognized: {sorted(kwargs)}")
    if not zipped:
        raise ValueError("save_model: scratchdl only writes the zipped .keras archive (zipped=True)")
    if not path.endswith(MODEL_EXTENSIONS):
        hint = (" For weights that Keras can read, use model.save_weights('x.weights.h5')."
                if path.endswith((".h5", ".hdf5")) else "")
        raise ValueError(
            f"Invalid filepath extension for saving. Please add a `.keras` extension to the "
            f"filepath. Received: filepath={path}.{hint}"
        )
    saving_lib.save_model(model, path, overwrite=overwrite)


def load_model(filepath: str | os.PathLike[str], custom_objects: Mapping[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """Load a model saved with ``model.save`` (see ``saving_lib.load_model``)."""
    path = os.fspath(filepath)
    kind = sniff_format(path)
    if kind != "zip":
        what = "a Keras HDF5 file: rebuild the model and call model.load_weights" if kind == "hdf5" else \
            f"a {kind} file"
        raise ValueError(f"load_model: '{path}' is {what}, not a .keras model archive")
    return saving_lib.load_model(path, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_weights(model: Any, filepath: str | os.PathLike[str], overwrite: bool = True, **kwargs: Any) -> None:
    """Save the model's weights (and a compiled model's optimizer variables) to ``filepath``.

    The extension chooses the format: ``.weights.safetensors``/``.safetensors``,
    ``.weights.h5`` (Keras 3's layout) or ``.npz``. The write is atomic.

    Raises:
        ValueError: for an unbuilt model or an unknown extension.
    """
    path = os.fspath(filepath)
    if kwargs.get("max_shard_size") is not None:
        raise ValueError("save_weights: sharded weight files (max_shard_size) are not supported")
    kwargs.pop("max_shard_size", None)
    if kwargs:
        raise ValueError(f"save_weights: arguments not recognized: {sorted(kwargs)}")
    if not getattr(model, "built", False):
        raise ValueError(
            f"You are saving model '{model.name}', which has not been built yet. Try building the "
            "model first by calling it on some data or by using `build()`."
        )
    if path.endswith((".weights.safetensors", ".safetensors")):
        arrays, labels = collect_weights(model)
        write_safetensors(path, arrays, {"format": "scratchdl.weights", "paths": json.dumps(labels)},
                          overwrite=overwrite)
    elif path.endswith(".weights.h5"):
        keras_h5.write_keras3_weights(model, path, overwrite=overwrite)
    elif path.endswith(".npz"):
        arrays, _ = collect_weights(model)
        write_npz(path, arrays, overwrite=overwrite)
    else:
        raise ValueError(
            f"save_weights: the filename must end in one of {list(WEIGHTS_EXTENSIONS)}. "
            f"Received: filepath={path}"
        )


def load_weights(model: Any, filepath: str | os.PathLike[str], skip_mismatch: bool = False,
                 **kwargs: Any) -> None:
    """Load weights saved by ``save_weights`` (any of its formats), a ``.keras`` archive, or a
    Keras ``.h5`` file (both layouts) into ``model``.

    Every weight is checked (path and shape) before any is assigned; one ``ValueError`` lists
    every mismatch. With ``skip_mismatch=True`` the mismatched entries are skipped with a
    warning instead.

    Args:
        model: a built model.
        filepath: the weights file.
        skip_mismatch: skip mismatched weights instead of failing.
        **kwargs: ``by_name`` (legacy Keras ``.h5`` only: match layers by name).
    """
    path = os.fspath(filepath)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"load_weights: arguments not recognized: {sorted(kwargs)}")
    kind = sniff_format(path)
    where = f"'{path}'"
    if by_name is not None and kind != "hdf5":
        raise ValueError("`by_name` only applies to legacy Keras .h5 files")
    if kind == "hdf5":
        keras_h5.load_keras_h5_weights(model, path, by_name=by_name, skip_mismatch=skip_mismatch)
        return
    if kind == "safetensors":
        with open(path, "rb") as handle:
            store, _ = read_safetensors(handle.read(), where)
    elif kind == "zip":
        with zipfile.ZipFile(path) as archive:
            is_model_archive = saving_lib.CONFIG_FILENAME in archive.namelist()
        if is_model_archive:
            saving_lib.load_archive_into(model, saving_lib.read_archive(path), skip_mismatch=skip_mismatch)
            return
        with open(path, "rb") as handle:
            store = read_npz(handle.read(), where)
    else:
        raise ValueError(f"load_weights: {where} holds a single .npy array, not a weights file")
    plan = plan_assignment(model, store, where)
    plan.raise_or_warn(skip_mismatch)
    plan.apply()
