"""Model builders shared by the model tests.

Each builder takes a library namespace, ``keras`` or ``scratchdl`` (they share the API), and
builds the same architecture with the same layer names, so the two results can be compared
(weights order, outputs, configs, summaries).
"""

from __future__ import annotations

from typing import Any


def mlp(lib: Any) -> Any:
    """Sequential MLP with an Input and Dropout."""
    return lib.Sequential([
        lib.Input((20,)),
        lib.layers.Dense(64, activation="relu"),
        lib.layers.Dropout(0.5),
        lib.layers.Dense(10, activation="softmax"),
    ])


def mlp_batchnorm(lib: Any) -> Any:
    """Sequential MLP with BatchNormalization (non-trainable moving statistics) and Dropout."""
    return lib.Sequential([
        lib.Input((20,)),
        lib.layers.Dense(64),
        lib.layers.BatchNormalization(),
        lib.layers.Activation("relu"),
        lib.layers.Dropout(0.5),
        lib.layers.Dense(10, activation="softmax"),
    ], name="bn_mlp")


def lazy_sequential(lib: Any) -> Any:
    """Sequential without an input shape (built on its first call)."""
    return lib.Sequential([lib.layers.Dense(8, name="first"), lib.layers.Dense(2, name="second")])


def sequential_input_shape(lib: Any) -> Any:
    """Sequential whose first layer carries ``input_shape=`` (Keras's legacy way)."""
    return lib.Sequential([
        lib.layers.Dense(8, input_shape=(3,)), lib.layers.Activation("relu"), lib.layers.Dense(1),
    ], name="legacy")


def two_in_two_out(lib: Any) -> Any:
    """Two inputs, a shared Dense used on both branches, a merge, and two outputs."""
    a = lib.Input((8,), name="a")
    b = lib.Input((4,), name="b")
    shared = lib.layers.Dense(16, activation="tanh", name="shared")
    ha = shared(lib.layers.Dense(16, name="pa")(a))
    hb = shared(lib.layers.Dense(16, name="pb")(b))
    merged = lib.layers.Concatenate(name="concat")([ha, hb])
    out_a = lib.layers.Dense(1, activation="sigmoid", name="out_a")(merged)
    out_b = lib.layers.Dense(3, name="out_b")(hb)
    return lib.Model([a, b], [out_a, out_b], name="two")


def nested(lib: Any) -> Any:
    """A functional model used as a layer inside another one."""
    inner_input = lib.Input((6,), name="inner_in")
    inner = lib.Model(inner_input, lib.layers.Dense(5, activation="relu", name="inner_dense")(inner_input),
                      name="inner")
    x = lib.Input((6,), name="x")
    y = lib.layers.Dense(3, name="head")(inner(x))
    return lib.Model(x, y, name="outer")


def residual(lib: Any) -> Any:
    """A branch that skips a layer (Add of two paths): not sequential-like."""
    x = lib.Input((5,), name="x")
    h = lib.layers.Dense(5, activation="relu", name="h1")(x)
    h2 = lib.layers.Dense(5, name="h2")(h)
    out = lib.layers.Add(name="add")([h, h2])
    return lib.Model(x, lib.layers.Dense(2, name="out")(out), name="residual")


def dict_io(lib: Any) -> Any:
    """Inputs and outputs given as dicts."""
    inputs = {"num": lib.Input((3,), name="num"), "aux": lib.Input((2,), name="aux")}
    h = lib.layers.Concatenate(name="cat")([inputs["num"], inputs["aux"]])
    h = lib.layers.Dense(4, activation="relu", name="hidden")(h)
    outputs = {"score": lib.layers.Dense(1, name="score")(h), "klass": lib.layers.Dense(3, name="klass")(h)}
    return lib.Model(inputs, outputs, name="dicts")


def make_subclass(lib: Any) -> type:
    """A subclassed two-layer model class for ``lib``."""

    class TwoLayerModel(lib.Model):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.hidden = lib.layers.Dense(8, activation="relu", name="hidden")
            self.out = lib.layers.Dense(3, name="out")

        def call(self, inputs: Any, training: Any = None) -> Any:
            return self.out(self.hidden(inputs))

    return TwoLayerModel
