"""Keras HDF5 weight files: read both layouts Keras writes, and write Keras 3's.

* **Keras 3 layout** (``model.save_weights('x.weights.h5')``): one group per saved object,
  ``layers/dense/vars/0``, ``layers/dense/vars/1``, ..., ``optimizer/vars/<i>``. The paths are the
  structural paths of ``weight_paths``, so such a file loads through the same validation as a
  scratchdl file, and ``write_keras3_weights`` produces files Keras itself loads.
* **Legacy layout** (``keras.saving.save_model(model, 'x.h5')``, and Keras 2's
  ``save_weights('x.h5')``): ``model_weights/<layer>/...`` with the attributes ``layer_names``
  (on the model group) and ``weight_names`` (on each layer group, in the layer's weight order).
  ``load_legacy_weights`` loads it by layer name, or by the order of the layers that have
  weights, as Keras does.

Reading is defensive: only hard links to plain datasets are followed (no external links, external
storage or virtual datasets), and every problem is collected before anything is assigned. Errors
start with the public function called (``load_weights: 'x.h5': ...``; ``caller`` passes it down).
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from typing import Any

import numpy as np

from scratchdl.saving.file_utils import atomic_write
from scratchdl.saving.weight_paths import variable_entries
from scratchdl.saving.weights_io import (
    AssignmentPlan, check_built_for_loading, collect_weights, plan_assignment,
)

__all__ = [
    "is_legacy_h5", "load_keras_h5_weights", "load_legacy_weights", "read_keras3_weights",
    "write_keras3_weights",
]


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as error:  # pragma: no cover - h5py is a dependency of scratchdl
        raise ImportError("Reading or writing .h5 files needs the h5py package (a scratchdl dependency): "
                          "pip install h5py") from error
    return h5py


def _text(value: Any) -> str:
    return value.decode("utf8") if isinstance(value, bytes) else str(value)


def _attribute_list(group: Any, name: str) -> list[str]:
    """A list-of-strings attribute (Keras splits long ones into ``name0``, ``name1``, ...)."""
    if name in group.attrs:
        return [_text(v) for v in np.asarray(group.attrs[name]).reshape(-1)]
    values: list[str] = []
    chunk = 0
    while f"{name}{chunk}" in group.attrs:
        values.extend(_text(v) for v in np.asarray(group.attrs[f"{name}{chunk}"]).reshape(-1))
        chunk += 1
    return values


def _link_refused(where: str, path: str, link: Any) -> ValueError:
    return ValueError(f"{where}: '{path}' is a link of type {type(link).__name__}; only plain groups and "
                      "datasets inside the file are read (external and soft links are refused)")


def _child(group: Any, name: str, where: str) -> Any:
    """``group[name]``, following hard links only."""
    h5py = _h5py()
    link = group.get(name, getlink=True)
    if link is None:
        raise ValueError(f"{where}: '{group.name}/{name}' does not exist in the file")
    if not isinstance(link, h5py.HardLink):
        raise _link_refused(where, f"{group.name}/{name}", link)
    return group[name]


def _read_dataset(group: Any, name: str, where: str) -> np.ndarray:
    h5py = _h5py()
    dataset = _child(group, name, where)
    if not isinstance(dataset, h5py.Dataset):
        raise ValueError(f"{where}: '{dataset.name}' should be a weight dataset, got an HDF5 "
                         f"{type(dataset).__name__}")
    if dataset.is_virtual or dataset.external:
        kind = "a virtual dataset" if dataset.is_virtual else "external storage"
        raise ValueError(f"{where}: '{dataset.name}' refers to data outside the file ({kind}); refused")
    if dataset.dtype.kind not in "biuf":
        raise ValueError(f"{where}: '{dataset.name}' has dtype {dataset.dtype}, expected a numeric "
                         "(bool, integer or float) array")
    return np.asarray(dataset[()])


def _describe(source: Any) -> str:
    """The file named in messages: its quoted path, or 'the HDF5 data' for bytes."""
    return f"'{os.fspath(source)}'" if not isinstance(source, (bytes, bytearray)) else "the HDF5 data"


def _open(source: Any, where: str) -> Any:
    h5py = _h5py()
    try:
        if isinstance(source, (bytes, bytearray)):
            return h5py.File(io.BytesIO(bytes(source)), "r")
        return h5py.File(os.fspath(source), "r")
    except OSError as error:  # h5py's own message names neither the caller nor what was expected
        raise type(error)(f"{where}: cannot be opened as an HDF5 file (expected Keras .h5 weights): "
                          f"{error}") from error


def is_legacy_h5(h5file: Any) -> bool:
    """Whether an open HDF5 file has the legacy ``layer_names`` layout."""
    return "layer_names" in h5file.attrs or "layer_names0" in h5file.attrs or (
        "model_weights" in h5file and "layers" not in h5file)


# ------------------------------------------------------------------ Keras 3 layout
def _walk_vars(group: Any, prefix: str, where: str) -> Iterator[tuple[str, np.ndarray]]:
    h5py = _h5py()
    for name in group:
        link = group.get(name, getlink=True)
        if not isinstance(link, h5py.HardLink):
            raise _link_refused(where, f"{group.name}/{name}", link)
        item = group[name]
        path = f"{prefix}/{name}" if prefix else name
        if isinstance(item, h5py.Group):
            if name == "vars":
                for key in item:
                    yield f"{path}/{key}", _read_dataset(item, key, where)
            else:
                yield from _walk_vars(item, path, where)


def read_keras3_weights(source: Any, where: str | None = None) -> dict[str, np.ndarray]:
    """``{path: array}`` for every ``.../vars/<i>`` dataset of a Keras 3 weights file.

    Args:
        source: a path, or the file's bytes (e.g. ``model.weights.h5`` inside a ``.keras`` archive).
        where: the caller and the file, for error messages (``"load_weights: 'w.weights.h5'"``).
    """
    where = where or f"read_keras3_weights: {_describe(source)}"
    with _open(source, where) as h5file:
        if is_legacy_h5(h5file):
            raise ValueError(f"{where} has the legacy Keras layout (layer_names), expected the Keras 3 "
                             "layout (layers/.../vars/<i>); use load_legacy_weights")
        return dict(_walk_vars(h5file, "", where))


def write_keras3_weights(model: Any, filepath: str | os.PathLike[str], overwrite: bool = True,
                         include_optimizer: bool = True, caller: str = "save_weights") -> None:
    """Write the model's weights in Keras 3's ``.weights.h5`` layout (atomically).

    Keras loads the file into an equivalent Keras model with ``model.load_weights``. ``caller``
    is the public function named first in error messages.
    """
    h5py = _h5py()
    arrays, _ = collect_weights(model, include_optimizer=include_optimizer)
    owners = {entry.path.rsplit("/vars/", 1)[0] if "/vars/" in entry.path else "": entry.layer.name
              for entry in variable_entries(model)}
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None:
        owners["optimizer"] = optimizer.name
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as h5file:
        root_vars = h5file.create_group("vars")
        root_vars.attrs["name"] = model.name
        groups: dict[str, Any] = {"": root_vars}
        for key, value in arrays.items():
            owner, index = key.rsplit("vars/", 1)
            owner = owner.rstrip("/")
            if owner not in groups:
                group = h5file.create_group(f"{owner}/vars")
                group.attrs["name"] = owners.get(owner, owner.rsplit("/", 1)[-1])
                groups[owner] = group
            groups[owner][index] = value
    with atomic_write(filepath, overwrite=overwrite, caller=caller) as handle:
        handle.write(buffer.getvalue())


# ------------------------------------------------------------------ legacy layout
def _legacy_weights(layer: Any) -> list[Any]:
    """The layer's weights in the order Keras's legacy format lists them."""
    weights = layer.weights
    if not layer.trainable:
        return list(weights)
    return [w for w in weights if w.trainable] + [w for w in weights if not w.trainable]


def _read_legacy(h5file: Any, where: str) -> tuple[list[tuple[str, list[str], list[np.ndarray]]], list[np.ndarray]]:
    group = h5file
    if "layer_names" not in h5file.attrs and "layer_names0" not in h5file.attrs and "model_weights" in h5file:
        group = _child(h5file, "model_weights", where)
    names = _attribute_list(group, "layer_names")
    if not names and "layer_names" not in group.attrs:
        raise ValueError(f"{where} is not a Keras weights file: expected a 'layer_names' attribute on "
                         f"'{group.name}', found attributes {sorted(group.attrs)}")
    layers = []
    for name in names:
        layer_group = _child(group, name, where)
        weight_names = _attribute_list(layer_group, "weight_names")
        values = [_read_dataset(layer_group, weight_name, where) for weight_name in weight_names]
        if weight_names:
            layers.append((name, weight_names, values))
    top: list[np.ndarray] = []
    if "top_level_model_weights" in group:
        top_group = _child(group, "top_level_model_weights", where)
        top = [_read_dataset(top_group, n, where) for n in _attribute_list(top_group, "weight_names")]
    return layers, top


def _plan_layer(plan: AssignmentPlan, label: str, weights: list[Any], weight_names: list[str],
                values: list[np.ndarray]) -> None:
    if len(weights) != len(values):
        plan.problems.append(f"{label}: the model's layer has {len(weights)} weight(s) "
                             f"{[w.path for w in weights]}, the file has {len(values)} {weight_names}")
        return
    for weight, weight_name, value in zip(weights, weight_names, values):
        if tuple(value.shape) != tuple(weight.shape):
            plan.problems.append(f"{label}: weight '{weight.path}' has shape {tuple(weight.shape)}, the "
                                 f"file's '{weight_name}' has {tuple(value.shape)}")
        else:
            plan.assignments.append((weight, value))


def load_legacy_weights(model: Any, source: Any, by_name: bool | None = None,
                        skip_mismatch: bool = False, caller: str = "load_legacy_weights") -> None:
    """Load a legacy-layout Keras ``.h5`` file into ``model``.

    Args:
        model: a built scratchdl model whose top-level layers correspond to the file's layers.
        source: the file path (or its bytes).
        by_name: True matches the file's layers to the model's by name; False by the order of
            the layers that have weights (Keras's default); None (default) uses names when every
            name in the file is a layer of the model, else the order.
        skip_mismatch: skip (with a warning) instead of failing on mismatched layers.
        caller: the public function named first in error messages (``load_weights`` passes its own).

    Raises:
        ValueError: listing every mismatch (layers missing on either side, weight counts,
            shapes); the model is unchanged when it is raised.
    """
    source_name = _describe(source)
    check_built_for_loading(model, caller)
    where = f"{caller}: {source_name}"
    with _open(source, where) as h5file:
        file_layers, top_values = _read_legacy(h5file, where)
    plan = AssignmentPlan(source=source_name, model_name=model.name, caller=caller)
    model_layers = [layer for layer in model.layers if layer.weights]
    by_layer_name = {layer.name: layer for layer in model.layers}
    if by_name is None:
        by_name = all(name in by_layer_name for name, _, _ in file_layers)
    if by_name:
        used = set()
        for name, weight_names, values in file_layers:
            layer = by_layer_name.get(name)
            if layer is None:
                plan.problems.append(f"layer '{name}' of the file is not a layer of the model "
                                     f"(model layers: {sorted(by_layer_name)})")
                continue
            used.add(name)
            _plan_layer(plan, f"layer '{name}'", _legacy_weights(layer), weight_names, values)
        for layer in model_layers:
            if layer.name not in used:
                plan.problems.append(f"layer '{layer.name}' of the model has weights but is not in the file")
    else:
        if len(file_layers) != len(model_layers):
            plan.problems.append(
                f"the model has {len(model_layers)} layers with weights {[l.name for l in model_layers]}, "
                f"the file has {len(file_layers)} {[name for name, _, _ in file_layers]}"
            )
        for index, (layer, (name, weight_names, values)) in enumerate(zip(model_layers, file_layers)):
            _plan_layer(plan, f"layer #{index} ('{layer.name}' in the model, '{name}' in the file)",
                        _legacy_weights(layer), weight_names, values)
    if top_values:
        own = [w for w in model._own_weights if w.trainable] + [w for w in model._own_weights if not w.trainable]
        _plan_layer(plan, "the model's own weights", own, [f"#{i}" for i in range(len(top_values))], top_values)
    plan.raise_or_warn(skip_mismatch)
    plan.apply()


def load_keras_h5_weights(model: Any, source: Any, by_name: bool | None = None,
                          skip_mismatch: bool = False, caller: str = "load_keras_h5_weights") -> None:
    """Load any Keras ``.h5`` weights file (either layout) into ``model``, validating everything.

    ``by_name`` applies to the legacy layout only (see ``load_legacy_weights``); ``caller`` is
    the public function named first in error messages.
    """
    source_name = _describe(source)
    with _open(source, f"{caller}: {source_name}") as h5file:
        legacy = is_legacy_h5(h5file)
    if legacy:
        load_legacy_weights(model, source, by_name=by_name, skip_mismatch=skip_mismatch, caller=caller)
        return
    if by_name is not None:
        raise ValueError(f"{caller}: `by_name` only applies to legacy Keras .h5 files (with layer_names); "
                         f"{source_name} has the Keras 3 layout (got by_name={by_name!r}, expected None)")
    check_built_for_loading(model, caller)
    store = read_keras3_weights(source, f"{caller}: {source_name}")
    plan = plan_assignment(model, store, source_name, caller=caller)
    plan.raise_or_warn(skip_mismatch)
    plan.apply()
