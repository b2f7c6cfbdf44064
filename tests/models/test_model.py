"""``Model``: the functional constructor, subclassed models, ``get_layer``, ``build`` and the
saving hooks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scratchdl as sd
from scratchdl.models import Functional, InputLayer
from tests.models import builders


def test_model_constructor_dispatches_to_functional() -> None:
    x = sd.Input((3,), name="x")
    y = sd.layers.Dense(2, name="d")(x)
    for model in (sd.Model(x, y), sd.Model(inputs=x, outputs=y), sd.Model(x, outputs=y),
                  sd.models.Functional(x, y)):
        assert type(model) is Functional and isinstance(model, sd.Model)
        assert [layer.name for layer in model.layers] == ["x", "d"]
    assert sd.Model(x, y).name.startswith("functional")
    with pytest.raises(TypeError, match="positional arguments"):
        sd.Model(x)


def test_subclassed_model_tracks_layers_and_weights() -> None:
    model = builders.make_subclass(sd)(name="sub")
    assert model.name == "sub" and not model.built
    assert [layer.name for layer in model.layers] == ["hidden", "out"]
    out = model(np.ones((2, 5), "float32"))
    assert out.shape == (2, 3) and model.built
    assert [w.path for w in model.weights] == ["hidden/kernel", "hidden/bias", "out/kernel", "out/bias"]
    model.get_layer("hidden").trainable = False
    assert [w.path for w in model.trainable_weights] == ["out/kernel", "out/bias"]
    assert model.count_params() == 5 * 8 + 8 + 8 * 3 + 3


def test_build_creates_weights_of_subclassed_models() -> None:
    model = builders.make_subclass(sd)()
    model.build((None, 4))
    assert model.built and [w.shape for w in model.weights] == [(4, 8), (8,), (8, 3), (3,)]
    assert model.get_build_config() == {"input_shape": (None, 4)}
    assert model.losses == []


def test_get_layer_by_name_and_index() -> None:
    model = builders.two_in_two_out(sd)
    assert model.get_layer("shared") is model.layers[model.layers.index(model.get_layer("shared"))]
    assert isinstance(model.get_layer(index=0), InputLayer)
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="only has"):
        model.get_layer(index=99)
    with pytest.raises(ValueError, match="Provide only"):
        model.get_layer("shared", 0)
    with pytest.raises(ValueError, match="Provide either"):
        model.get_layer()
    with pytest.raises(AttributeError, match="reserved"):
        model.layers = []


def test_functional_like_subclass() -> None:
    class Classifier(sd.Model):
        def __init__(self, units: int, **kwargs: Any) -> None:
            inputs = sd.Input((4,), name="features")
            outputs = sd.layers.Dense(units, activation="softmax", name="probs")(inputs)
            super().__init__(inputs, outputs, **kwargs)
            self.units = units

    model = Classifier(3, name="clf")
    assert isinstance(model, Classifier) and isinstance(model, Functional)
    assert type(model).__name__ == "Classifier" and model.name == "clf" and model.units == 3
    probabilities = model.predict(np.ones((2, 4)), verbose=0)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_model_losses_include_regularization_and_add_loss() -> None:
    class Penalized(sd.layers.Layer):
        def call(self, inputs: Any) -> Any:
            self.add_loss((inputs * 0.0).sum() + 3.0)
            return inputs

    x = sd.Input((2,))
    dense = sd.layers.Dense(2, kernel_regularizer=sd.regularizers.L2(0.5), kernel_initializer="ones")
    model = sd.Model(x, Penalized()(dense(x)))
    model(np.ones((1, 2), "float32"))
    values = sorted(float(loss.item()) for loss in model.losses)
    assert values == pytest.approx([2.0, 3.0])  # 0.5 * sum(ones(2, 2)) and the added loss


def test_save_hooks_delegate_to_saving(tmp_path: Path) -> None:
    model = builders.mlp(sd)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    weights_file = tmp_path / "mlp.weights.h5"
    model.save_weights(weights_file)
    other = builders.mlp(sd)
    other.load_weights(weights_file)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    archive = tmp_path / "mlp.keras"
    model.save(archive)
    loaded = sd.models.load_model(archive)
    data = np.random.default_rng(0).normal(size=(3, 20)).astype("float32")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0), rtol=1e-6)
    assert loaded.compiled and type(loaded.optimizer).__name__ == "Adam"
