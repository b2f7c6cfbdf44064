"""Preprocessing layers: Rescaling."""

from scratchdl.layers.preprocessing.rescaling import Rescaling

__all__ = ["Rescaling"]
