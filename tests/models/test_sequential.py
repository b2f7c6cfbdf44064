"""Sequential: the stack API, lazy and eager building, configs, and equivalence with the other
two kinds of models."""

from __future__ import annotations

import json
from typing import Any

import keras
import numpy as np
import pytest

import scratchdl as sd
from scratchdl.models import Functional, InputLayer
from tests.models import builders


def test_sequential_functional_and_subclassed_agree() -> None:
    sd.backend.clear_session()
    sequential = sd.Sequential([sd.Input((4,)), sd.layers.Dense(8, activation="relu"), sd.layers.Dense(3)])
    x = sd.Input((4,))
    functional = sd.Model(x, sd.layers.Dense(3)(sd.layers.Dense(8, activation="relu")(x)))
    subclassed = builders.make_subclass(sd)()
    subclassed.build((None, 4))
    weights = sequential.get_weights()
    functional.set_weights(weights)
    subclassed.set_weights(weights)
    data = np.random.default_rng(0).normal(size=(6, 4)).astype("float32")
    expected = sequential.predict(data, verbose=0)
    np.testing.assert_array_equal(functional.predict(data, verbose=0), expected)
    np.testing.assert_array_equal(subclassed.predict(data, verbose=0), expected)
    np.testing.assert_array_equal(sequential(data).numpy(), expected)


def test_add_pop_and_layers() -> None:
    model = sd.Sequential(name="stack")
    model.add(sd.Input((5,)))
    assert model.layers == [] and not model.built
    dense = sd.layers.Dense(4)
    model.add(dense)
    assert model.built and len(model.weights) == 2
    assert isinstance(model._functional, Functional)
    assert model.output_shape == (None, 4) and model.input_shape == (None, 5)
    model.add(sd.layers.Dense(2))
    assert len(model.layers) == 2 and model.output_shape == (None, 2)
    popped = model.pop()
    assert popped.name != dense.name and model.layers == [dense] and model.output_shape == (None, 4)
    assert model.predict(np.ones((3, 5)), verbose=0).shape == (3, 4)
    with pytest.raises(ValueError, match="Only instances of Layer"):
        model.add("dense")
    with pytest.raises(ValueError, match="unique names"):
        model.add(sd.layers.Dense(3, name=dense.name))
    with pytest.raises(ValueError, match="already been configured"):
        model.add(sd.Input((5,)))


def test_input_shape_argument_on_first_layer() -> None:
    model = builders.sequential_input_shape(sd)
    assert isinstance(model._layer_stack[0], InputLayer)
    assert model._layer_stack[0].batch_shape == (None, 3)
    assert model.built and [w.shape for w in model.weights] == [(3, 8), (8,), (8, 1), (1,)]


def test_lazy_build_on_first_call_and_by_build() -> None:
    model = builders.lazy_sequential(sd)
    assert not model.built and model.weights == []
    with pytest.raises(AttributeError, match="no defined input shape"):
        _ = model.input_shape
    out = model(np.ones((5, 4), "float32"))
    assert out.shape == (5, 2) and model.built and len(model.weights) == 4
    assert model.predict(np.ones((7, 4)), verbose=0).shape == (7, 2)  # another batch size works
    other = builders.lazy_sequential(sd)
    other.build((None, 4))
    assert len(other.weights) == 4 and other.output_shape == (None, 2)
    with pytest.raises(ValueError, match="no layers"):
        sd.Sequential().build((None, 3))


def test_sequential_without_graph_applies_layers_in_order() -> None:
    # A dict input cannot be a single graph input: the layers then run one after the other.
    double = sd.layers.Lambda(lambda d: d["a"] * 2.0)
    model = sd.Sequential([double, sd.layers.Dense(1, kernel_initializer="ones", use_bias=False)])
    out = model({"a": np.ones((2, 3), "float32")})
    np.testing.assert_allclose(out.numpy(), np.full((2, 1), 6.0))
    assert model._functional is None


def test_nested_sequential() -> None:
    inner = sd.Sequential([sd.Input((3,)), sd.layers.Dense(4)], name="inner")
    outer = sd.Sequential([inner, sd.layers.Dense(2)], name="outer")
    assert outer.built and outer.output_shape == (None, 2)
    assert len(outer.weights) == 4 and outer.weights[0] is inner.weights[0]
    data = np.ones((2, 3), "float32")
    np.testing.assert_allclose(outer.predict(data, verbose=0),
                               outer.layers[1](inner(data)).numpy(), rtol=1e-6)


@pytest.mark.parametrize("builder", [builders.mlp, builders.mlp_batchnorm, builders.sequential_input_shape],
                         ids=lambda b: b.__name__)
def test_config_matches_keras_and_round_trips(builder: Any) -> None:
    keras.backend.clear_session()
    sd.backend.clear_session()
    keras_model, model = builder(keras), builder(sd)
    model.set_weights(keras_model.get_weights())

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k != "quantization_config"}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    config = json.loads(json.dumps(model.get_config()))
    keras_config = json.loads(json.dumps(keras_model.get_config()))
    assert clean(config) == clean(keras_config)
    data = np.random.default_rng(0).normal(size=(4, *keras_model.input_shape[1:])).astype("float32")
    expected = keras_model.predict(data, verbose=0)
    for rebuilt in (sd.Sequential.from_config(config), sd.Sequential.from_config(keras_config),
                    keras.Sequential.from_config(config)):
        rebuilt.set_weights(keras_model.get_weights())
        np.testing.assert_allclose(rebuilt.predict(data, verbose=0), expected, rtol=1e-5, atol=1e-6)


def test_config_of_lazy_model_rebuilds_lazily() -> None:
    model = builders.lazy_sequential(sd)
    config = model.get_config()
    assert "build_input_shape" not in config
    clone = sd.Sequential.from_config(config)
    assert not clone.built and [layer.name for layer in clone.layers] == ["first", "second"]
    with pytest.raises(ValueError, match="'name' and 'layers'"):
        sd.Sequential.from_config({"layers": []})


def test_frozen_sequential_has_no_trainable_weights() -> None:
    model = builders.mlp(sd)
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4
    assert all(not layer.trainable for layer in model.layers)
    config = model.get_config()
    assert config["trainable"] is False
    assert sd.Sequential.from_config(config).trainable is False


def test_output_names_can_be_assigned_and_key_a_dict_loss() -> None:
    model = sd.Sequential([sd.Input((3,)), sd.layers.Dense(2, name="dense_out")])
    assert model.output_names == ["dense_out"]
    model.output_names = ["scores"]
    assert model.output_names == ["scores"]
    model.compile(optimizer="sgd", loss={"scores": "mse"})
    rng = np.random.default_rng(0)
    x, y = rng.random((8, 3)), rng.random((8, 2))
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before
    with pytest.raises(ValueError, match="one output"):
        model.output_names = ["a", "b"]
    model.output_names = None
    assert model.output_names == ["dense_out"]
