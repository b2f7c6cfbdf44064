"""The ``.keras`` model archive: one zip file holding everything needed to rebuild a model.

Members (stored, not compressed, as Keras does):

* ``config.json``: ``serialize_layer(model)``, i.e. Keras 3's ``{"module", "class_name",
  "config", "registered_name", "build_config", "compile_config"}``: the architecture, the input
  shape it was built for and the ``compile`` arguments.
* ``metadata.json``: the scratchdl version, the date and the format name.
* ``model.weights.safetensors``: every weight under its structural path (``layers/dense/vars/0``;
  see ``weight_paths``); the header's metadata maps each path to its ``layer/weight`` name.
* ``optimizer.safetensors`` (compiled models whose optimizer has state): ``optimizer.get_state()``
  (``iterations``, ``learning_rate``, ``adam/momentum/0``, ...), so ``fit`` resumes exactly.

Nothing in the archive is code: the config is JSON and names classes and functions, which are
looked up among scratchdl's own and the registered ones (``register_keras_serializable``,
``custom_objects``). A model using a Python ``lambda`` (a ``Lambda`` layer, or a lambda
activation) cannot be saved: the error says how to register a named function instead.

Loading reads the config, rebuilds the model, validates *all* weights and optimizer state
against it, and only then assigns them. Archives written by Keras 3 (with ``model.weights.h5``)
load too when their layers exist in scratchdl. Errors start with the public function called
(``save_model``, ``load_model``, or ``load_weights`` for an archive given to it).
"""

from __future__ import annotations

import datetime
import json
import os
import warnings
import zipfile
from collections.abc import Mapping
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.saving.file_utils import atomic_write, read_zip_member, refuse_pickle
from scratchdl.saving.object_registration import CustomObjectScope
from scratchdl.saving.weights_io import (
    OPTIMIZER_PREFIX, AssignmentPlan, collect_weights, plan_assignment, plan_optimizer_variables,
    read_safetensors, safetensors_bytes,
)

__all__ = ["Archive", "FORMAT_NAME", "load_archive_into", "load_model", "model_config_json", "read_archive",
           "save_model"]

CONFIG_FILENAME = "config.json"
METADATA_FILENAME = "metadata.json"
WEIGHTS_FILENAME = "model.weights.safetensors"
OPTIMIZER_FILENAME = "optimizer.safetensors"
KERAS_WEIGHTS_FILENAME = "model.weights.h5"
FORMAT_NAME = "scratchdl.keras"
FORMAT_VERSION = "1"


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"a config value of type {type(value).__name__} cannot be stored in a JSON config "
                    f"(expected numbers, strings, booleans, None, lists or dicts): {value!r}")


def _find_unsavable(config: Any, trail: str, found: list[str], owner: str = "the model") -> None:
    """Collect every ``__lambda__`` entry of a serialized config, naming the layer holding it."""
    if isinstance(config, Mapping):
        if config.get("class_name") == "__lambda__":
            description = (config.get("config") or {}).get("description", "a Python lambda")
            found.append(f"{owner}, {trail}: {description}")
            return
        inner = config.get("config")
        if "class_name" in config and isinstance(inner, Mapping) and isinstance(inner.get("name"), str):
            owner, trail = f"{config['class_name']} layer '{inner['name']}'", ""
        for key, value in config.items():
            if key != "config" or trail:
                _find_unsavable(value, f"{trail}.{key}" if trail else str(key), found, owner)
            else:
                _find_unsavable(value, "", found, owner)
    elif isinstance(config, (list, tuple)):
        for index, value in enumerate(config):
            _find_unsavable(value, f"{trail}[{index}]", found, owner)


def _check_lambda_layers(model: Any) -> list[str]:
    from scratchdl import _serialization
    from scratchdl.layers import Lambda

    problems = []
    for layer in model._flatten_layers():
        if isinstance(layer, Lambda):
            for what in ("function", "_output_shape", "mask"):
                function = getattr(layer, what, None)
                if callable(function) and getattr(function, "__name__", "") != "<lambda>" and \
                        _serialization.get_registered_name(function) is None:
                    problems.append(
                        f"Lambda layer '{layer.name}' wraps the unregistered function "
                        f"'{getattr(function, '__qualname__', function)}'"
                    )
    return problems


def model_config_json(model: Any) -> str:
    """The model's Keras-layout config as JSON, refusing anything that could not be loaded back.

    Raises:
        ValueError: the model uses a Python lambda or an unregistered function in a ``Lambda``
            layer (scratchdl never stores code, so such a model could not be rebuilt).
    """
    from scratchdl.models.layer_serialization import serialize_layer

    config = serialize_layer(model)
    problems: list[str] = []
    _find_unsavable(config, "", problems)
    problems += _check_lambda_layers(model)
    if problems:
        raise ValueError(
            f"save_model: cannot save model '{model.name}': it holds Python code that cannot be stored "
            "safely:\n  - "
            + "\n  - ".join(problems)
            + "\nscratchdl stores functions by name only (storing code would let a file run "
            "arbitrary code when loaded). Define a named function, decorate it with "
            "@scratchdl.saving.register_keras_serializable(), and use it instead of the lambda."
        )
    try:
        return json.dumps(config, default=_json_default)
    except TypeError as error:  # a get_config() returned something JSON cannot hold
        raise TypeError(f"save_model: cannot save model '{model.name}': {error}") from error


def _metadata_json() -> str:
    from scratchdl import __version__

    return json.dumps({
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "scratchdl_version": __version__,
        "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S"),
    })


def save_model(model: Any, filepath: str | os.PathLike[str], overwrite: bool = True) -> None:
    """Write ``model`` to a ``.keras`` archive atomically (see the module docstring).

    Args:
        model: the model (Sequential, functional or a registered subclassed model).
        filepath: the archive's path.
        overwrite: when False, an existing file raises ``FileExistsError``.
    """
    if not getattr(model, "built", False):
        warnings.warn(
            f"save_model: you are saving model '{model.name}', which has not been built yet; it has "
            "no weights. Build it first by calling it on some data.", stacklevel=3)
    config_json = model_config_json(model)
    arrays, labels = collect_weights(model, include_optimizer=False)
    weights_data = safetensors_bytes(arrays, {"format": FORMAT_NAME, "paths": json.dumps(labels)})
    optimizer = getattr(model, "optimizer", None)
    optimizer_data = None
    if getattr(model, "compiled", False) and optimizer is not None and getattr(optimizer, "built", False):
        state = optimizer.get_state()
        optimizer_data = safetensors_bytes(state, {"optimizer": type(optimizer).__name__, "built": "true"})
    with atomic_write(filepath, overwrite=overwrite, caller="save_model") as handle:
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_STORED) as archive:
            archive.writestr(METADATA_FILENAME, _metadata_json())
            archive.writestr(CONFIG_FILENAME, config_json)
            archive.writestr(WEIGHTS_FILENAME, weights_data)
            if optimizer_data is not None:
                archive.writestr(OPTIMIZER_FILENAME, optimizer_data)


class Archive:
    """The parsed contents of a ``.keras`` archive (config, metadata, weight and optimizer stores;
    ``where`` is the archive's quoted path, for messages)."""

    def __init__(self, config: dict[str, Any], metadata: dict[str, Any], weights: dict[str, np.ndarray],
                 optimizer_state: dict[str, np.ndarray] | None, optimizer_store: dict[str, np.ndarray] | None,
                 where: str) -> None:
        self.config = config
        self.metadata = metadata
        self.weights = weights
        self.optimizer_state = optimizer_state
        self.optimizer_store = optimizer_store
        self.where = where


def _parse_json(data: bytes, member: str, where: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as error:  # JSONDecodeError, or UnicodeDecodeError for bytes that are not UTF-8
        raise ValueError(f"{where}: {member} is not valid JSON ({error})") from error


def read_archive(filepath: str | os.PathLike[str], caller: str = "load_model") -> Archive:
    """Open and parse a ``.keras`` archive (scratchdl's, or Keras 3's with ``model.weights.h5``).

    ``caller`` is the public function named first in error messages.
    """
    source = f"'{os.fspath(filepath)}'"
    where = f"{caller}: {source}"
    with open(filepath, "rb") as handle:
        refuse_pickle(handle.read(16), f"{caller}: the file {source}")
    if not zipfile.is_zipfile(filepath):
        raise ValueError(f"{where} is not a .keras archive (expected a zip file)")
    with zipfile.ZipFile(filepath, "r") as archive:
        names = archive.namelist()
        pickles = [n for n in names if n.endswith((".pkl", ".pickle"))]
        if pickles:
            raise ValueError(f"{where} contains pickle data {pickles}; scratchdl never unpickles "
                             "(it can run arbitrary code). This is not a scratchdl/Keras archive.")
        if CONFIG_FILENAME not in names:
            raise ValueError(f"{where} is not a .keras archive: it has no {CONFIG_FILENAME} "
                             f"(members: {names})")
        config = _parse_json(read_zip_member(archive, CONFIG_FILENAME, where), CONFIG_FILENAME, where)
        metadata = (_parse_json(read_zip_member(archive, METADATA_FILENAME, where), METADATA_FILENAME, where)
                    if METADATA_FILENAME in names else {})
        if not isinstance(config, dict):
            raise ValueError(f"{where}: {CONFIG_FILENAME} must hold a config dict, got a JSON "
                             f"{type(config).__name__}")
        optimizer_state = None
        optimizer_store = None
        if WEIGHTS_FILENAME in names:
            weights, _ = read_safetensors(read_zip_member(archive, WEIGHTS_FILENAME, where),
                                          f"{where} ({WEIGHTS_FILENAME})")
            if OPTIMIZER_FILENAME in names:
                optimizer_state, _ = read_safetensors(read_zip_member(archive, OPTIMIZER_FILENAME, where),
                                                      f"{where} ({OPTIMIZER_FILENAME})")
        elif KERAS_WEIGHTS_FILENAME in names:
            from scratchdl.saving.keras_h5 import read_keras3_weights

            store = read_keras3_weights(read_zip_member(archive, KERAS_WEIGHTS_FILENAME, where),
                                        f"{where} ({KERAS_WEIGHTS_FILENAME})")
            weights = {k: v for k, v in store.items() if not k.startswith(OPTIMIZER_PREFIX)}
            optimizer_store = {k: v for k, v in store.items() if k.startswith(OPTIMIZER_PREFIX)} or None
        else:
            raise ValueError(f"{where} holds no weights: expected a {WEIGHTS_FILENAME} or "
                             f"{KERAS_WEIGHTS_FILENAME} member, found {names}")
    return Archive(config, metadata, weights, optimizer_state, optimizer_store, source)


def _plan_optimizer_state(plan: AssignmentPlan, model: Any, state: Mapping[str, np.ndarray]) -> None:
    """Validate ``optimizer.get_state()``-style ``state`` against the model's optimizer."""
    optimizer = model.optimizer
    if not optimizer.built:
        optimizer.build(model.trainable_weights)
    expected = optimizer.get_state()
    problems = [f"optimizer state '{name}' with shape {array.shape} is missing from the file"
                for name, array in expected.items() if name not in state]
    problems += [f"optimizer state '{name}': the optimizer has shape {expected[name].shape}, the file "
                 f"has {np.shape(state[name])}"
                 for name in expected if name in state and np.shape(state[name]) != expected[name].shape]
    problems += [f"optimizer state '{name}' is in the file but not in {type(optimizer).__name__} "
                 f"'{optimizer.name}'" for name in state if name not in expected]
    plan.problems.extend(problems)


def load_archive_into(model: Any, archive: Archive, skip_mismatch: bool = False,
                      load_optimizer: bool = True, caller: str = "load_model") -> None:
    """Validate the archive's weights (and optimizer state, for a compiled model) against
    ``model``, reporting every problem at once (errors start with ``caller``), then assign them."""
    plan = plan_assignment(model, archive.weights, archive.where, load_optimizer=False, caller=caller)
    optimizer = getattr(model, "optimizer", None)
    restore_state = False
    if load_optimizer and getattr(model, "compiled", False) and optimizer is not None:
        if archive.optimizer_state is not None:
            before = len(plan.problems)
            _plan_optimizer_state(plan, model, archive.optimizer_state)
            restore_state = len(plan.problems) == before
        elif archive.optimizer_store is not None:
            saved = {k[len(OPTIMIZER_PREFIX):]: v for k, v in archive.optimizer_store.items()}
            plan_optimizer_variables(plan, model, optimizer, saved)
    plan.raise_or_warn(skip_mismatch)
    plan.apply()
    if restore_state:
        optimizer.set_state(archive.optimizer_state)


def load_model(filepath: str | os.PathLike[str], custom_objects: Mapping[str, Any] | None = None,
               compile: bool = True, safe_mode: bool = True) -> Any:
    """Rebuild the model saved in a ``.keras`` archive, with its weights and optimizer state.

    Args:
        filepath: the archive.
        custom_objects: ``{name: class or function}`` for custom layers, losses, activations...
            that are not registered with ``register_keras_serializable``.
        compile: recompile the model with the saved ``compile`` arguments and restore the
            optimizer's state (False: an uncompiled model).
        safe_mode: accepted for Keras compatibility; scratchdl never runs code from a file, so
            loading is always safe.

    Loading does not move scratchdl's random generator: the new layers' initial values are drawn
    and then overwritten, and the generator is put back, so a run that saves and reloads a model
    draws the same shuffles and dropout masks as one that does not.

    Raises:
        ValueError: the file is not a model archive, holds a pickle, names an unknown class, or
            its weights do not match the rebuilt model (every mismatch listed).
    """
    from scratchdl.models.layer_serialization import deserialize_layer

    archive = read_archive(filepath)
    config = dict(archive.config)
    if not compile:
        config.pop("compile_config", None)
    generator = backend.random_generator()
    rng_state = generator.bit_generator.state
    try:
        with CustomObjectScope(custom_objects):
            model = deserialize_layer(config, custom_objects=custom_objects)
    finally:
        generator.bit_generator.state = rng_state
    load_archive_into(model, archive, skip_mismatch=False, load_optimizer=compile)
    return model
