"""Models with Keras 3's API: ``Model``, ``Sequential``, ``Functional``, ``Input``, ``load_model``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scratchdl.models.input_layer import Input, InputLayer
from scratchdl.models.model import Model, model_from_json
from scratchdl.models.functional import Functional
from scratchdl.models.sequential import Sequential

__all__ = ["Functional", "Input", "InputLayer", "Model", "Sequential", "load_model", "model_from_json"]


def load_model(filepath: Any, custom_objects: Mapping[str, Any] | None = None, compile: bool = True,
               safe_mode: bool = True) -> Model:
    """Load a model saved by ``Model.save`` (architecture, weights, compile settings).

    Delegates to ``scratchdl.saving.load_model``.
    """
    from scratchdl import saving

    return saving.load_model(filepath, custom_objects=custom_objects, compile=compile,
                             safe_mode=safe_mode)
