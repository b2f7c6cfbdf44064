"""register_keras_serializable, get_registered_name/object, custom_objects and CustomObjectScope,
checked against Keras 3's behaviour."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import activations
from scratchdl.layers import Dense, Layer
from scratchdl.models import Input, Sequential, load_model
from scratchdl.saving import (
    CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
    get_registered_object, register_keras_serializable,
)


def test_names_like_keras():
    def plain(x):
        return x

    @register_keras_serializable(package="pkg_a", name="renamed")
    def ours(x):
        return x

    @keras.saving.register_keras_serializable(package="pkg_a", name="renamed")
    def theirs(x):
        return x

    assert get_registered_name(ours) == keras.saving.get_registered_name(theirs) == "pkg_a>renamed"
    assert get_registered_name(plain) == keras.saving.get_registered_name(plain) == "plain"
    assert get_registered_object("pkg_a>renamed") is ours
    assert get_registered_object("nothing") is None
    assert get_registered_object("x", custom_objects={"x": plain}) is plain
    assert get_registered_object("y", module_objects={"y": plain}) is plain
    assert get_custom_objects()["pkg_a>renamed"] is ours


def test_registration_errors():
    with pytest.raises(ValueError, match="must define get_config"):
        register_keras_serializable()(type("NoConfig", (), {}))
    with pytest.raises(ValueError, match="without '>'"):
        register_keras_serializable(package="a>b")


def test_scope_makes_names_resolvable_and_is_undone():
    class Local:
        pass

    assert get_registered_object("Local") is None
    with CustomObjectScope({"Local": Local}):
        assert get_registered_object("Local") is Local
        with custom_object_scope({"Local": int}, None):
            assert get_registered_object("Local") is int
        assert get_registered_object("Local") is Local
    assert get_registered_object("Local") is None
    with pytest.raises(TypeError, match="expects dicts"):
        CustomObjectScope(["Local"])


class Scale(Layer):
    """A custom layer with a weight and a constructor argument (deliberately not registered)."""

    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="gain")

    def call(self, inputs):
        return inputs * self.gain * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def cube(x):
    return x * x * x


def test_custom_layer_and_activation_through_custom_objects_and_scope(tmp_path):
    model = Sequential([Input((3,)), Scale(0.5, name="scale"), Dense(2, activation=None)])
    model.layers[1].activation = cube  # an unregistered activation cannot be serialized...
    with pytest.raises(ValueError, match="cannot be serialized"):
        model.save(tmp_path / "m.keras")
    register_keras_serializable(package="scratchdl_tests")(cube)  # ...a registered one can
    model.layers[0].gain.assign(np.array([1.0, 2.0, 3.0], "float32"))
    model.save(tmp_path / "m.keras")
    x = np.ones((2, 3), "float32")
    with pytest.raises(ValueError, match="unknown layer class 'Scale'"):
        load_model(tmp_path / "m.keras")
    for loaded in (load_model(tmp_path / "m.keras", custom_objects={"Scale": Scale}),
                   _load_in_scope(tmp_path / "m.keras")):
        assert isinstance(loaded.get_layer("scale"), Scale) and loaded.get_layer("scale").factor == 0.5
        assert loaded.layers[1].activation is cube
        np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert activations.get("scratchdl_tests>cube") is cube


def _load_in_scope(path):
    with CustomObjectScope({"Scale": Scale}):
        return load_model(path)
