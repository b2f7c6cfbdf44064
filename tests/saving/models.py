"""Small models shared by the saving tests (a registered subclassed model among them)."""

from __future__ import annotations

import numpy as np

from scratchdl import backend
from scratchdl.layers import Concatenate, Dense, Dropout
from scratchdl.models import Input, Model, Sequential
from scratchdl.saving import register_keras_serializable


@register_keras_serializable(package="scratchdl_tests")
class Tower(Model):
    """A subclassed model: sub-layers in attributes and in a list, a residual connection."""

    def __init__(self, units: int = 4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = Dense(units, activation="relu")
        self.blocks = [Dense(units, activation="tanh"), Dense(units)]
        self.head = Dense(2)

    def call(self, inputs, training=None):
        h = self.hidden(inputs)
        return self.head(self.blocks[1](self.blocks[0](h)) + h)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def sequential(seed: int = 0, dropout: float = 0.0) -> Sequential:
    backend.set_random_seed(seed)
    layers = [Input((3,)), Dense(8, activation="relu")]
    if dropout:
        layers.append(Dropout(dropout))
    return Sequential(layers + [Dense(2)])


def two_in_two_out(seed: int = 0) -> Model:
    """Two inputs, two outputs and a layer shared by both branches."""
    backend.set_random_seed(seed)
    a, b = Input((3,), name="a"), Input((5,), name="b")
    shared = Dense(4, activation="tanh", name="shared")
    left = shared(a)
    right = shared(Dense(3, name="project")(b))
    merged = Concatenate(name="merge")([left, right])
    return Model([a, b], [Dense(2, name="out_main")(merged), Dense(1, name="out_aux")(right)])


def tower(seed: int = 0) -> Tower:
    backend.set_random_seed(seed)
    model = Tower(units=5)
    model(np.zeros((2, 3), dtype="float32"))
    return model


def inputs_for(model) -> object:
    rng = np.random.default_rng(42)
    if isinstance(model, Model) and len(getattr(model, "_inputs", [])) == 2:
        return [rng.normal(size=(6, 3)).astype("float32"), rng.normal(size=(6, 5)).astype("float32")]
    return rng.normal(size=(6, 3)).astype("float32")
