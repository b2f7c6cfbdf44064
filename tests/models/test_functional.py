"""Functional models: graph order, several inputs/outputs, shared layers, nesting, masks, configs.

Keras 3 (torch backend) is the oracle: the same architecture built with both libraries must
list its weights in the same order, compute the same outputs with copied weights and write
the same config.
"""

from __future__ import annotations

import json
from typing import Any

import keras
import numpy as np
import pytest

import scratchdl as sd
from scratchdl.layers.symbolic import KerasTensor
from scratchdl.models import Functional
from tests.models import builders


def pair(builder: Any) -> tuple[Any, Any]:
    keras.backend.clear_session()
    sd.backend.clear_session()
    keras_model, model = builder(keras), builder(sd)
    model.set_weights(keras_model.get_weights())
    return keras_model, model


def sample_inputs(keras_model: Any, batch: int = 7, seed: int = 0) -> Any:
    rng = np.random.default_rng(seed)

    def draw(tensor: Any) -> np.ndarray:
        return rng.normal(size=(batch, *tensor.shape[1:])).astype("float32")

    return keras.tree.map_structure(draw, keras_model.input)


def as_list(value: Any) -> list[np.ndarray]:
    if isinstance(value, dict):
        return [value[k] for k in sorted(value)]
    return list(value) if isinstance(value, (list, tuple)) else [value]


GRAPHS = [builders.two_in_two_out, builders.nested, builders.residual, builders.dict_io]


@pytest.mark.parametrize("builder", GRAPHS, ids=lambda b: b.__name__)
def test_layers_weights_and_outputs_match_keras(builder: Any) -> None:
    keras_model, model = pair(builder)
    assert isinstance(model, Functional) and isinstance(model, sd.Model)
    assert [layer.name for layer in model.layers] == [layer.name for layer in keras_model.layers]
    assert [w.path.split("/")[-2:] for w in model.weights] == \
        [w.path.split("/")[-2:] for w in keras_model.weights]
    x = sample_inputs(keras_model)
    expected = as_list(keras_model.predict(x, verbose=0))
    for got in (as_list(model.predict(x, verbose=0)), [t.numpy() for t in as_list(model(x))]):
        assert len(got) == len(expected)
        for a, b in zip(got, expected):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_two_inputs_accept_list_dict_and_tensors() -> None:
    keras_model, model = pair(builders.two_in_two_out)
    xa, xb = sample_inputs(keras_model)
    by_list = model.predict([xa, xb], verbose=0)
    by_dict = model.predict({"a": xa, "b": xb}, verbose=0)
    by_tensor = model([sd.Tensor(xa), sd.Tensor(xb)])
    for a, b, c in zip(by_list, by_dict, by_tensor):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(a, c.numpy())
    with pytest.raises(ValueError, match="lacks the keys"):
        model({"a": xa})
    with pytest.raises(ValueError, match="expects 2 input"):
        model([xa])
    with pytest.raises(ValueError, match=r"expected shape \(None, 8\)"):
        model([xb, xb])


def test_dict_outputs_are_dicts_keyed_like_the_model() -> None:
    keras_model, model = pair(builders.dict_io)
    x = sample_inputs(keras_model)
    out = model(x)
    assert isinstance(out, dict) and sorted(out) == ["klass", "score"]
    assert out["score"].shape == (7, 1) and out["klass"].shape == (7, 3)
    assert model.output_names == keras_model.output_names


def test_shared_layer_has_one_node_per_call_and_gets_both_gradients() -> None:
    _, model = pair(builders.two_in_two_out)
    shared = model.get_layer("shared")
    assert len(shared._inbound_nodes) == 2
    assert len(model.layers) == len({id(layer) for layer in model.layers})
    xa = np.ones((2, 8), "float32")
    xb = np.ones((2, 4), "float32")
    out_a, out_b = model([xa, xb])
    (out_a.sum() + out_b.sum()).backward()
    kernel = shared.kernel
    # The gradient through both uses equals the sum of the gradients through each one.
    total = kernel.grad.copy()
    kernel.grad = None
    model([xa, xb])[1].sum().backward()
    only_b = kernel.grad.copy()
    kernel.grad = None
    model([xa, xb])[0].sum().backward()
    np.testing.assert_allclose(total, only_b + kernel.grad, rtol=1e-5, atol=1e-6)


def test_nested_model_is_a_layer_of_the_outer_one() -> None:
    keras_model, model = pair(builders.nested)
    inner = model.get_layer("inner")
    assert isinstance(inner, Functional)
    assert len(model.weights) == 4 and inner.weights[0] is model.weights[0]
    x = sample_inputs(keras_model)
    np.testing.assert_allclose(inner.predict(x, verbose=0), keras_model.get_layer("inner").predict(x, verbose=0),
                               rtol=1e-6)
    inner.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2


def test_submodels_from_intermediate_tensors() -> None:
    keras_model, model = pair(builders.residual)
    x = sample_inputs(keras_model)
    h1_output = model.get_layer("h1")._inbound_nodes[0].outputs[0]
    features = sd.Model(model.input, h1_output)  # a feature extractor sharing the weights
    hidden = features.predict(x, verbose=0)
    assert hidden.shape == (7, 5) and features.weights[0] is model.weights[0]
    tail = sd.Model(h1_output, model.outputs[0])  # an intermediate tensor as the input
    assert isinstance(tail.layers[0], sd.layers.InputLayer)
    np.testing.assert_allclose(tail.predict(hidden, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-6)
    # The original model still runs through its own graph.
    np.testing.assert_allclose(model.predict(x, verbose=0), keras_model.predict(x, verbose=0), rtol=1e-5,
                               atol=1e-6)


def test_masks_propagate_through_the_graph() -> None:
    def build(lib: Any) -> Any:
        x = lib.Input((4, 3), name="seq")
        masked = lib.layers.Masking(mask_value=0.0, name="mask")(x)
        return lib.Model(x, lib.layers.Dense(2, name="proj")(masked))

    keras_model, model = pair(build)
    data = np.random.default_rng(1).normal(size=(2, 4, 3)).astype("float32")
    data[0, 1] = 0.0
    data[1, 3] = 0.0
    out = model(data)
    expected_mask = np.array([[True, False, True, True], [True, True, True, False]])
    np.testing.assert_array_equal(np.asarray(out._keras_mask), expected_mask)
    keras_out = keras_model(data)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(keras_out._keras_mask), expected_mask)
    np.testing.assert_allclose(out.numpy(), keras.ops.convert_to_numpy(keras_out), rtol=1e-5, atol=1e-6)


def test_training_flag_reaches_dropout() -> None:
    x = sd.Input((50,))
    model = sd.Model(x, sd.layers.Dropout(0.5)(x))
    data = np.ones((4, 50), "float32")
    np.testing.assert_array_equal(model(data).numpy(), data)
    np.testing.assert_array_equal(model(data, training=False).numpy(), data)
    dropped = model(data, training=True).numpy()
    assert set(np.unique(dropped)) <= {0.0, 2.0} and (dropped == 0).any() and (dropped == 2).any()


def test_integer_inputs_keep_their_dtype() -> None:
    tokens = sd.Input((5,), dtype="int32", name="tokens")
    embedded = sd.layers.Embedding(10, 3, name="emb")(tokens)
    model = sd.Model(tokens, sd.layers.Flatten()(embedded))
    assert tokens.dtype == np.dtype("int32")
    out = model.predict(np.arange(10).reshape(2, 5), verbose=0)
    assert out.shape == (2, 15)
    np.testing.assert_allclose(out[0, :3], model.get_layer("emb").embeddings.numpy()[0])


def test_output_shapes_and_symbolic_calls() -> None:
    _, model = pair(builders.two_in_two_out)
    assert model.input_shape == [(None, 8), (None, 4)]
    assert model.output_shape == [(None, 1), (None, 3)]
    assert model.compute_output_shape([(None, 8), (None, 4)]) == [(None, 1), (None, 3)]
    a, b = sd.Input((8,)), sd.Input((4,))
    outs = model([a, b])
    assert all(isinstance(t, KerasTensor) for t in outs)
    assert [t.shape for t in outs] == [(None, 1), (None, 3)]


@pytest.mark.parametrize("builder", GRAPHS, ids=lambda b: b.__name__)
def test_config_round_trip_with_keras(builder: Any) -> None:
    keras_model, model = pair(builder)
    config = json.loads(json.dumps(model.get_config()))
    keras_config = json.loads(json.dumps(keras_model.get_config()))

    def drop_differences(value: Any) -> Any:
        # Keras records `mask=None` for the call of a nested model and keeps
        # `quantization_config` in Dense configs; scratchdl writes neither.
        if isinstance(value, dict):
            return {k: drop_differences(v) for k, v in value.items()
                    if k != "quantization_config" and not (k == "mask" and v is None)}
        if isinstance(value, list):
            return [drop_differences(v) for v in value]
        return value

    assert drop_differences(config) == drop_differences(keras_config)
    x = sample_inputs(keras_model)
    expected = as_list(keras_model.predict(x, verbose=0))
    rebuilt = sd.Model.from_config(config)            # our config
    from_keras = sd.Model.from_config(keras_config)   # Keras's config
    keras_rebuilt = keras.Model.from_config(config)   # Keras reads ours
    for other in (rebuilt, from_keras, keras_rebuilt):
        other.set_weights(keras_model.get_weights())
        for a, b in zip(as_list(other.predict(x, verbose=0)), expected):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_json_round_trip() -> None:
    _, model = pair(builders.two_in_two_out)
    clone = sd.models.model_from_json(model.to_json())
    assert isinstance(clone, Functional)
    assert [layer.name for layer in clone.layers] == [layer.name for layer in model.layers]
    clone.set_weights(model.get_weights())
    x = [np.ones((3, 8), "float32"), np.ones((3, 4), "float32")]
    for a, b in zip(clone.predict(x, verbose=0), model.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)


def test_construction_errors() -> None:
    x = sd.Input((3,), name="in")
    y = sd.layers.Dense(2, name="d")(x)
    with pytest.raises(ValueError, match="must be symbolic tensors"):
        sd.Model(np.zeros((1, 3)), y)
    other = sd.Input((3,), name="other")
    with pytest.raises(ValueError, match="Graph disconnected"):
        sd.Model(other, y)
    z = sd.layers.Dense(2, name="d")(sd.layers.Dense(3, name="first")(x))
    with pytest.raises(ValueError, match='The name "d" is used 2 times'):
        sd.Model(x, [y, z])
    with pytest.raises(ValueError, match="cannot be empty"):
        sd.Model([], y)


def test_unused_input_is_kept() -> None:
    a, b = sd.Input((2,), name="used"), sd.Input((2,), name="unused")
    model = sd.Model([a, b], sd.layers.Dense(1, name="d")(a))
    assert [layer.name for layer in model.layers][-1] in ("unused", "d") and len(model.layers) == 3
    assert model.predict([np.ones((2, 2)), np.zeros((2, 2))], verbose=0).shape == (2, 1)


def test_layer_input_and_output_give_the_symbolic_tensors_for_feature_extraction():
    import scratchdl as sd

    inputs = sd.Input((4,))
    hidden_layer = sd.layers.Dense(3, name="hidden")
    hidden = hidden_layer(inputs)
    outputs = sd.layers.Dense(2)(hidden)
    model = sd.Model(inputs, outputs)
    assert model.get_layer("hidden").output is hidden
    assert model.get_layer("hidden").input is inputs
    extractor = sd.Model(model.inputs, model.get_layer("hidden").output)
    x = np.ones((5, 4), dtype="float32")
    np.testing.assert_allclose(extractor(x).numpy(), hidden_layer(x).numpy())
    with pytest.raises(AttributeError, match="never been called"):
        _ = sd.layers.Dense(2).output
