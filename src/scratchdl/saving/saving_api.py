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

Every error starts with the function called (``save_model: ...``, ``load_weights: ...``;
``Model.save``, ``Model.save_weights`` and ``Model.load_weights`` call the functions of the same
name, ``save_model`` for ``Model.save``) and says what was expected and what was found.
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
        raise ValueError(f"save_model: arguments not recognized: {sorted(kwargs)} (expected only "
                         "overwrite, zipped, include_optimizer)")
    if not zipped:
        raise ValueError(f"save_model: scratchdl only writes the zipped .keras archive (expected "
                         f"zipped=True, got zipped={zipped!r})")
    if not path.endswith(MODEL_EXTENSIONS):
        hint = (" For weights that Keras can read, use model.save_weights('x.weights.h5')."
                if path.endswith((".h5", ".hdf5")) else "")
        # Keras's own words, after the function's name.
        raise ValueError(
            f"save_model: Invalid filepath extension for saving. Please add a `.keras` extension to "
            f"the filepath. Received: filepath={path}.{hint}"
        )
    saving_lib.save_model(model, path, overwrite=overwrite)


def load_model(filepath: str | os.PathLike[str], custom_objects: Mapping[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """Load a model saved with ``model.save`` (see ``saving_lib.load_model``)."""
    path = os.fspath(filepath)
    kind = sniff_format(path, caller="load_model")
    if kind != "zip":
        what = {"hdf5": "a Keras HDF5 file", "safetensors": "a .safetensors weights file",
                "npy": "a single .npy array"}.get(kind, f"a {kind} file")
        hint = (" It holds weights only: rebuild the model and call model.load_weights."
                if kind in ("hdf5", "safetensors") else "")
        raise ValueError(f"load_model: '{path}' is {what}, not a .keras model archive (expected a zip "
                         f"file with config.json).{hint}")
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
        raise ValueError(f"save_weights: sharded weight files are not supported (expected "
                         f"max_shard_size=None, got max_shard_size={kwargs['max_shard_size']!r})")
    kwargs.pop("max_shard_size", None)
    if kwargs:
        raise ValueError(f"save_weights: arguments not recognized: {sorted(kwargs)} (expected only "
                         "overwrite, max_shard_size=None)")
    if not getattr(model, "built", False):
        raise ValueError(
            f"save_weights: model '{model.name}' has not been built yet, so it has no weights to "
            "save. Try building the model first by calling it on some data or by using `build()`."
        )
    if path.endswith((".weights.safetensors", ".safetensors")):
        arrays, labels = collect_weights(model)
        write_safetensors(path, arrays, {"format": "scratchdl.weights", "paths": json.dumps(labels)},
                          overwrite=overwrite, caller="save_weights")
    elif path.endswith(".weights.h5"):
        keras_h5.write_keras3_weights(model, path, overwrite=overwrite, caller="save_weights")
    elif path.endswith(".npz"):
        arrays, _ = collect_weights(model)
        write_npz(path, arrays, overwrite=overwrite, caller="save_weights")
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
        raise ValueError(f"load_weights: arguments not recognized: {sorted(kwargs)} (expected only "
                         "skip_mismatch, by_name)")
    kind = sniff_format(path, caller="load_weights")
    source = f"'{path}'"
    where = f"load_weights: {source}"
    if by_name is not None and kind != "hdf5":
        raise ValueError(f"load_weights: `by_name` only applies to legacy Keras .h5 files; {source} is "
                         f"a {kind} file (got by_name={by_name!r}, expected None)")
    if kind == "hdf5":
        keras_h5.load_keras_h5_weights(model, path, by_name=by_name, skip_mismatch=skip_mismatch,
                                       caller="load_weights")
        return
    if kind == "safetensors":
        with open(path, "rb") as handle:
            store, _ = read_safetensors(handle.read(), where)
    elif kind == "zip":
        try:
            with zipfile.ZipFile(path) as archive:
                is_model_archive = saving_lib.CONFIG_FILENAME in archive.namelist()
        except zipfile.BadZipFile as error:  # starts like a zip, but is truncated or damaged
            # Still BadZipFile (the type callers have always seen here), now naming the file.
            raise zipfile.BadZipFile(f"{where} starts like a zip file but is not a valid one "
                                     f"(expected a .keras archive or .npz): {error}") from error
        if is_model_archive:
            saving_lib.load_archive_into(model, saving_lib.read_archive(path, caller="load_weights"),
                                         skip_mismatch=skip_mismatch, caller="load_weights")
            return
        with open(path, "rb") as handle:
            store = read_npz(handle.read(), where)
    else:
        raise ValueError(f"{where} holds a single .npy array, not a weights file (expected "
                         ".safetensors, .npz, .weights.h5, Keras .h5 or a .keras archive)")
    plan = plan_assignment(model, store, source, caller="load_weights")
    plan.raise_or_warn(skip_mismatch)
    plan.apply()
