"""Weights in and out of a model: gathering, validating, assigning; safetensors and npz files.

Every weights file, whatever its container, is a flat mapping ``{structural path: array}`` (see
``weight_paths``), plus, for a compiled model whose optimizer has state, ``optimizer/vars/<i>``
entries in Keras's optimizer order. Loading is two-phase: ``plan_assignment`` compares every
entry with the model and collects *all* problems (missing weights, unexpected weights, wrong
shapes, non-numeric dtypes); only when there are none (or ``skip_mismatch`` is set, which skips the
bad ones with a warning) does ``apply`` change anything.

Files: ``.safetensors`` via the ``safetensors`` NumPy API (a JSON header and raw bytes: nothing in
it can run code) and ``.npz`` read with ``allow_pickle=False``.
"""

from __future__ import annotations

import io
import json
import os
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.autograd.tensor import Parameter
from scratchdl.saving.file_utils import atomic_write, read_zip_member, refuse_pickle
from scratchdl.saving.weight_paths import variable_entries

__all__ = [
    "OPTIMIZER_PREFIX", "AssignmentPlan", "check_built_for_loading", "collect_weights",
    "plan_assignment", "plan_optimizer_variables", "read_npz", "read_safetensors",
    "safetensors_bytes", "safetensors_metadata", "write_npz", "write_safetensors",
]

OPTIMIZER_PREFIX = "optimizer/vars/"


def _to_numpy(array: Any) -> np.ndarray:
    array = array.data if isinstance(array, Parameter) else array
    # np.require keeps 0-d arrays 0-d (np.ascontiguousarray would make them 1-d).
    return np.require(array if isinstance(array, np.ndarray) else array.get(), requirements="C")


def collect_weights(model: Any, include_optimizer: bool = True) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """The model's weights as ``{path: array}`` and each path's ``layer/weight`` label.

    With ``include_optimizer`` and a built optimizer, its variables are added as
    ``optimizer/vars/<i>`` (the layout of Keras 3 weight files).
    """
    arrays: dict[str, np.ndarray] = {}
    labels: dict[str, str] = {}
    for entry in variable_entries(model):
        arrays[entry.path] = _to_numpy(entry.weight)
        labels[entry.path] = entry.weight.path or entry.layer.name
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None and getattr(optimizer, "built", False):
        store: dict[str, Any] = {}
        optimizer.save_own_variables(store)
        for key, value in store.items():
            arrays[f"{OPTIMIZER_PREFIX}{key}"] = _to_numpy(value)
            labels[f"{OPTIMIZER_PREFIX}{key}"] = f"{optimizer.name} variable {key}"
    return arrays, labels


@dataclass
class AssignmentPlan:
    """What loading a store into a model would do: the assignments and the problems found."""

    source: str
    model_name: str
    assignments: list[tuple[Parameter, np.ndarray]] = field(default_factory=list)
    optimizer: Any = None
    optimizer_store: dict[str, np.ndarray] | None = None
    problems: list[str] = field(default_factory=list)
    caller: str = "load_weights"

    def raise_or_warn(self, skip_mismatch: bool) -> None:
        """Raise one ``ValueError`` listing every problem (or warn when ``skip_mismatch``)."""
        if not self.problems:
            return
        message = (f"{self.caller}: cannot load the weights from {self.source} into model "
                   f"'{self.model_name}': {len(self.problems)} problem(s):\n  - "
                   + "\n  - ".join(self.problems))
        if not skip_mismatch:
            raise ValueError(message + "\nNothing was changed. Pass skip_mismatch=True to load the "
                             "matching weights and skip the others.")
        warnings.warn(message + "\nThese entries were skipped (skip_mismatch=True).", stacklevel=3)

    def apply(self) -> None:
        """Assign every planned weight (and the optimizer variables)."""
        for weight, array in self.assignments:
            xp = backend.get_array_module(weight.data)
            weight.assign(xp.asarray(array))
        if self.optimizer is not None and self.optimizer_store is not None:
            self.optimizer.load_own_variables(self.optimizer_store)


_NUMERIC_KINDS = "biuf"
_NUMERIC_DESCRIPTION = "a bool, integer or float array"


def _dtype_problem(array: np.ndarray, weight: Parameter) -> str | None:
    if array.dtype.kind not in _NUMERIC_KINDS:
        return f"has dtype {array.dtype}, which cannot become {weight.dtype} (expected {_NUMERIC_DESCRIPTION})"
    return None


def check_built_for_loading(model: Any, caller: str) -> None:
    """Raise a ``ValueError`` naming ``caller`` when ``model`` has no weights to load into yet."""
    if not getattr(model, "built", False):
        raise ValueError(
            f"{caller}: model '{model.name}' has not been built yet, so it has no weights to load "
            "into (expected a built model). Build it first: call it on some data, or call "
            "model.build(input_shape)."
        )


def plan_assignment(model: Any, store: Mapping[str, Any], source: str,
                    load_optimizer: bool = True, caller: str = "load_weights") -> AssignmentPlan:
    """Compare ``store`` (``{path: array}``) with ``model`` without changing anything.

    Weight paths are matched exactly; every missing, unexpected or mis-shaped entry becomes one
    line of ``plan.problems``. Optimizer entries are used when the model is compiled: its
    optimizer is built for the model's trainable weights first if needed; a different number of
    optimizer variables (another optimizer class) is skipped with a warning, as Keras does.
    ``source`` describes the file (``"'w.npz'"``); ``caller`` is the public function loading it.
    """
    check_built_for_loading(model, caller)
    plan = AssignmentPlan(source=source, model_name=model.name, caller=caller)
    expected = {entry.path: entry for entry in variable_entries(model)}
    model_keys = [key for key in store if not key.startswith(OPTIMIZER_PREFIX)]
    for path, entry in expected.items():
        if path not in store:
            plan.problems.append(f"{entry.description} with shape {entry.weight.shape} is missing "
                                 "from the file")
            continue
        array = np.asarray(store[path])
        if tuple(array.shape) != tuple(entry.weight.shape):
            plan.problems.append(f"{entry.description}: the model has shape {entry.weight.shape}, "
                                 f"the file has {tuple(array.shape)}")
            continue
        dtype_problem = _dtype_problem(array, entry.weight)
        if dtype_problem:
            plan.problems.append(f"{entry.description} {dtype_problem}")
            continue
        plan.assignments.append((entry.weight, array))
    for key in model_keys:
        if key not in expected:
            plan.problems.append(f"'{key}' with shape {tuple(np.shape(store[key]))} is in the file "
                                 "but not in the model")
    optimizer_keys = [key for key in store if key.startswith(OPTIMIZER_PREFIX)]
    optimizer = getattr(model, "optimizer", None)
    if load_optimizer and optimizer_keys and optimizer is not None and hasattr(optimizer, "load_own_variables"):
        plan_optimizer_variables(plan, model, optimizer, {k[len(OPTIMIZER_PREFIX):]: store[k] for k in optimizer_keys})
    return plan


def plan_optimizer_variables(plan: AssignmentPlan, model: Any, optimizer: Any, saved: dict[str, Any]) -> None:
    """Add the optimizer's Keras-layout variables ``{"0": array, ...}`` to ``plan`` (building the
    optimizer for the model's trainable weights first if needed)."""
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    variables = optimizer.variables
    if len(saved) != len(variables):
        warnings.warn(
            f"Skipping variable loading for optimizer '{optimizer.name}', because it has "
            f"{len(variables)} variables whereas the saved optimizer has {len(saved)} variables.",
            stacklevel=4,
        )
        return
    if set(saved) != {str(i) for i in range(len(variables))}:
        plan.problems.append(f"the optimizer entries are not numbered 0..{len(variables) - 1}: "
                             f"{sorted(saved)}")
        return
    bad = False
    for i, variable in enumerate(variables):
        array = np.asarray(saved[str(i)])
        if tuple(array.shape) != tuple(variable.shape):
            plan.problems.append(f"optimizer variable {i} of '{optimizer.name}': the optimizer has "
                                 f"shape {tuple(variable.shape)}, the file has {tuple(array.shape)}")
            bad = True
        elif array.dtype.kind not in _NUMERIC_KINDS:
            # Checked here, not left to load_own_variables: by then the model's weights are
            # already assigned, and a string such as "3" would even be cast without complaint.
            plan.problems.append(f"optimizer variable {i} of '{optimizer.name}' has dtype "
                                 f"{array.dtype}, which cannot become {variable.dtype} "
                                 f"(expected {_NUMERIC_DESCRIPTION})")
            bad = True
    if not bad:
        plan.optimizer = optimizer
        plan.optimizer_store = {k: np.asarray(v) for k, v in saved.items()}


# ------------------------------------------------------------------ safetensors
def safetensors_bytes(arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str] | None = None) -> bytes:
    """Serialize ``arrays`` in the safetensors format (keys sorted by the format itself)."""
    from safetensors.numpy import save

    return save({k: np.require(v, requirements="C") for k, v in arrays.items()},
                metadata=dict(metadata) if metadata else None)


def safetensors_metadata(data: bytes, where: str) -> dict[str, str]:
    """The ``__metadata__`` of safetensors bytes (validating the header's size first)."""
    if len(data) < 8:
        raise ValueError(f"{where} is too short to be a safetensors file: {len(data)} bytes, expected "
                         "at least 8 (the header size)")
    size = int.from_bytes(data[:8], "little")
    if size > len(data) - 8:
        raise ValueError(f"{where}: the safetensors header declares {size} bytes, the file has {len(data) - 8}")
    try:
        header = json.loads(data[8:8 + size])
    except ValueError as error:
        raise ValueError(f"{where}: the safetensors header is not valid JSON ({error})") from error
    if not isinstance(header, dict):
        raise ValueError(f"{where}: the safetensors header must be a JSON object, got a JSON "
                         f"{type(header).__name__}")
    metadata = header.get("__metadata__") or {}
    if not isinstance(metadata, dict):
        raise ValueError(f"{where}: the safetensors metadata must be a mapping of strings, got "
                         f"{type(metadata).__name__}")
    return metadata


def read_safetensors(data: bytes, where: str) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Arrays and metadata of safetensors ``data``; ``where`` names the caller and the file
    for error messages (``"load_weights: 'w.safetensors'"``)."""
    from safetensors.numpy import load

    refuse_pickle(data[:16], where)
    metadata = safetensors_metadata(data, where)
    try:
        arrays = load(data)
    except Exception as error:  # safetensors raises its own error type for malformed files
        raise ValueError(f"{where} is not a valid safetensors file: {error}") from error
    return dict(arrays), metadata


def write_safetensors(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray],
                      metadata: Mapping[str, str] | None = None, overwrite: bool = True,
                      caller: str = "save_weights") -> None:
    """Write ``arrays`` to a safetensors file atomically (``caller`` starts error messages)."""
    data = safetensors_bytes(arrays, metadata)
    with atomic_write(path, overwrite=overwrite, caller=caller) as handle:
        handle.write(data)


# ------------------------------------------------------------------ npz
def write_npz(path: str | os.PathLike[str], arrays: Mapping[str, np.ndarray], overwrite: bool = True,
              caller: str = "save_weights") -> None:
    """Write ``arrays`` to an uncompressed ``.npz`` file atomically (numeric arrays only;
    ``caller`` starts error messages)."""
    for key, value in arrays.items():
        if np.asarray(value).dtype.kind not in _NUMERIC_KINDS:
            raise ValueError(f"{caller}: '{key}' has dtype {np.asarray(value).dtype}; only numbers are "
                             f"saved to .npz (expected {_NUMERIC_DESCRIPTION})")
    with atomic_write(path, overwrite=overwrite, caller=caller) as handle:
        np.savez(handle, **{k: np.asarray(v) for k, v in arrays.items()})


def read_npz(data: bytes, where: str) -> dict[str, np.ndarray]:
    """Arrays of ``.npz`` ``data``, refusing object arrays (those would need unpickling);
    ``where`` names the caller and the file for error messages."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                read_zip_member(archive, name, where)  # size and pickle guards on every member
    except zipfile.BadZipFile as error:
        raise ValueError(f"{where} is not a valid .npz file: {error}") from error
    arrays: dict[str, np.ndarray] = {}
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as npz:
            for key in npz.files:
                arrays[key] = npz[key]
    except ValueError as error:
        if "allow_pickle" in str(error) or "Object arrays" in str(error):
            raise ValueError(
                f"{where} holds a pickled object array; scratchdl never unpickles data (it can run "
                "arbitrary code). Save numeric arrays only."
            ) from error
        raise ValueError(f"{where} could not be read as .npz: {error}") from error
    return arrays
