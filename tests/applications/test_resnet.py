"""ResNet50 against keras.applications.ResNet50: structure, weights, outputs, loading, errors.

Keras's model (``weights=None``, 64x64x3 input, 6 classes) is the oracle. Its weights are moved
away from their initial values (so biases, BN scales and moving statistics all matter) and copied
into scratchdl's model; the outputs then agree in inference and in training mode, and Keras
weight files (Keras 3 ``.weights.h5`` and the legacy ``.h5`` layout of the ImageNet files) load.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any

import h5py
import keras
import numpy as np
import pytest
import torch

import scratchdl as sd
from scratchdl.applications import ResNet50, resnet
from scratchdl.applications.resnet import preprocess_input

torch.set_num_threads(1)

SHAPE = (64, 64, 3)
CLASSES = 6


def _randomized(model: Any, seed: int = 0) -> list[np.ndarray]:
    """New values for every weight of a Keras model: BN scales and variances in [0.5, 1.5]."""
    rng = np.random.default_rng(seed)
    values = []
    for weight in model.weights:
        shape = tuple(weight.shape)
        if weight.path.endswith(("gamma", "moving_variance")):
            values.append(rng.uniform(0.5, 1.5, shape).astype("float32"))
        elif weight.path.endswith(("beta", "moving_mean", "bias")):
            values.append(rng.normal(0.0, 0.1, shape).astype("float32"))
        else:
            values.append(weight.numpy())
    return values


@pytest.fixture(scope="module")
def pair() -> tuple[Any, Any]:
    keras.backend.clear_session()
    sd.backend.clear_session()
    reference = keras.applications.ResNet50(weights=None, input_shape=SHAPE, classes=CLASSES)
    reference.set_weights(_randomized(reference))
    model = ResNet50(input_shape=SHAPE, classes=CLASSES)
    model.set_weights(reference.get_weights())
    return model, reference


def _summary(model: Any) -> str:
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.summary(line_length=120)
    return text.getvalue()


def test_structure_equals_keras(pair):
    model, reference = pair
    assert model.name == reference.name == "resnet50"
    assert model.count_params() == reference.count_params() == 23_600_006
    assert [layer.name for layer in model.layers] == [layer.name for layer in reference.layers]
    assert [type(layer).__name__ for layer in model.layers] == \
        [type(layer).__name__ for layer in reference.layers]
    assert [w.path for w in model.weights] == [w.path for w in reference.weights]
    assert [w.shape for w in model.weights] == [tuple(w.shape) for w in reference.weights]
    assert [w.path for w in model.trainable_weights] == [w.path for w in reference.trainable_weights]
    assert model.output_shape == reference.output_shape == (None, CLASSES)
    assert _summary(model) == _summary(reference)


def test_layer_arguments_equal_keras(pair):
    model, reference = pair
    for ours, theirs in zip(model.layers, reference.layers):
        config, expected = ours.get_config(), theirs.get_config()
        for key in ("epsilon", "axis", "strides", "kernel_size", "padding", "use_bias", "filters",
                    "pool_size", "activation", "units"):
            if key in expected:
                value = config[key]
                want = expected[key]
                assert (list(value) if isinstance(value, (list, tuple)) else value) == \
                    (list(want) if isinstance(want, (list, tuple)) else want), (ours.name, key)
    bn = model.get_layer("conv3_block2_2_bn")
    assert bn.epsilon == pytest.approx(1.001e-5)
    assert model.get_layer("conv1_pad").get_config()["padding"] == ((3, 3), (3, 3))


def test_inference_outputs_equal_keras(pair):
    model, reference = pair
    x = np.random.default_rng(1).normal(size=(3, *SHAPE)).astype("float32")
    ours = model.predict(x, verbose=0)
    theirs = reference.predict(x, verbose=0)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours, theirs, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(ours.sum(axis=1), 1.0, rtol=1e-5)
    assert np.abs(ours - ours.mean(axis=0)).max() > 1e-3  # the inputs do change the outputs


def test_training_mode_outputs_and_moving_statistics_equal_keras():
    keras.backend.clear_session()
    sd.backend.clear_session()
    reference = keras.applications.ResNet50(weights=None, input_shape=SHAPE, classes=CLASSES,
                                            classifier_activation=None)
    reference.set_weights(_randomized(reference, seed=2))
    model = ResNet50(input_shape=SHAPE, classes=CLASSES, classifier_activation=None)
    model.set_weights(reference.get_weights())
    x = np.random.default_rng(3).normal(size=(4, *SHAPE)).astype("float32")
    ours = model(x, training=True).numpy()
    theirs = reference(x, training=True).detach().numpy()
    # Batch statistics of 4 samples through 53 normalizations amplify float32 rounding (logits
    # of size ~2 differ by ~2e-4), hence the looser tolerance than in inference mode.
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-3)
    for name in ("conv1_bn", "conv3_block1_0_bn", "conv5_block3_3_bn"):
        for ours_w, theirs_w in zip(model.get_layer(name).weights, reference.get_layer(name).weights):
            np.testing.assert_allclose(ours_w.numpy(), theirs_w.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("pooling, expected", [(None, (None, None, None, 2048)),
                                               ("avg", (None, 2048)), ("max", (None, 2048))])
def test_feature_extractor_variants(pooling, expected):
    keras.backend.clear_session()
    sd.backend.clear_session()
    model = ResNet50(include_top=False, pooling=pooling)
    reference = keras.applications.ResNet50(weights=None, include_top=False, pooling=pooling)
    assert model.output_shape == tuple(reference.output_shape) == expected
    assert model.input_shape == (None, None, None, 3)
    assert model.count_params() == reference.count_params() == 23_587_712
    assert [layer.name for layer in model.layers] == [layer.name for layer in reference.layers]
    x = np.random.default_rng(4).normal(size=(1, 40, 48, 3)).astype("float32")
    model.set_weights(_randomized(reference, seed=5))
    reference.set_weights(model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-4)


def test_default_input_is_imagenet_sized():
    sd.backend.clear_session()
    model = ResNet50()
    assert model.input_shape == (None, 224, 224, 3)
    assert model.output_shape == (None, 1000)
    assert model.count_params() == 25_636_712


def test_input_tensor_keeps_its_predecessors():
    keras.backend.clear_session()
    sd.backend.clear_session()
    images = sd.Input(SHAPE, name="images")
    scaled = sd.layers.Rescaling(1 / 255.0, name="scale")(images)
    model = ResNet50(input_tensor=scaled, classes=CLASSES)
    k_images = keras.Input(SHAPE, name="images")
    k_scaled = keras.layers.Rescaling(1 / 255.0, name="scale")(k_images)
    reference = keras.applications.ResNet50(weights=None, input_tensor=k_scaled, classes=CLASSES)
    assert model.inputs[0] is images
    assert [layer.name for layer in model.layers] == [layer.name for layer in reference.layers]
    model.set_weights(_randomized(reference, seed=6))
    reference.set_weights(model.get_weights())
    x = np.random.default_rng(7).uniform(0, 255, size=(2, *SHAPE)).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), reference.predict(x, verbose=0),
                               rtol=1e-4, atol=1e-4)


def test_weights_from_a_keras_weights_file(pair, tmp_path):
    _, reference = pair
    path = tmp_path / "resnet50.weights.h5"
    reference.save_weights(path)
    model = ResNet50(weights=str(path), input_shape=SHAPE, classes=CLASSES)
    for ours, theirs in zip(model.weights, reference.weights):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_weights_from_a_legacy_keras_h5_file(pair, tmp_path):
    """The layout of Keras's own 'resnet50_weights_tf_dim_ordering_tf_kernels.h5'."""
    from keras.src.legacy.saving.legacy_h5_format import save_weights_to_hdf5_group

    _, reference = pair
    path = tmp_path / "resnet50_legacy.h5"
    with h5py.File(path, "w") as handle:
        save_weights_to_hdf5_group(handle, reference)
    model = ResNet50(input_shape=SHAPE, classes=CLASSES)
    model.load_weights(path)
    for ours, theirs in zip(model.weights, reference.weights):
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_imagenet_weights_are_refused_with_the_way_out():
    with pytest.raises(ValueError, match=r"ResNet50: weights='imagenet'.*offline.*load_weights\(path\)"):
        ResNet50(weights="imagenet")


@pytest.mark.parametrize("kwargs, message", [
    ({"weights": "/no/such/file.h5"}, r"ResNet50: the `weights` argument .* received weights='/no/such/file.h5'"),
    ({"input_shape": (None, None, 3)}, r"ResNet50: if `include_top` is True, you should specify a static"),
    ({"input_shape": (16, 16, 3)}, r"ResNet50: input size must be at least 32x32; received input_shape=\(16, 16, 3\)"),
    ({"input_shape": (64, 64)}, r"ResNet50: `input_shape` must be a tuple of three integers"),
    ({"include_top": False, "pooling": "median"}, r"ResNet50: `pooling` must be None, 'avg' or 'max'"),
    ({"input_tensor": np.zeros((1, 64, 64, 3))}, r"ResNet50: `input_tensor` must be a symbolic tensor"),
])
def test_argument_errors(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ResNet50(**kwargs)


def test_module_aliases():
    assert sd.applications.ResNet50 is ResNet50
    assert sd.applications.resnet50.ResNet50 is resnet.ResNet50


@pytest.mark.parametrize("data_format, shape", [("channels_last", (2, 5, 4, 3)),
                                                ("channels_first", (2, 3, 5, 4)),
                                                ("channels_first", (3, 5, 4))])
def test_preprocess_input_equals_keras(data_format, shape):
    from keras.applications.resnet50 import preprocess_input as keras_preprocess

    x = np.random.default_rng(8).uniform(0, 255, shape).astype("float32")
    ours = preprocess_input(x.copy(), data_format=data_format)
    theirs = keras_preprocess(x.copy(), data_format=data_format)
    np.testing.assert_allclose(ours, np.asarray(theirs), rtol=1e-6, atol=1e-4)
    assert ours.dtype == np.float32
    integers = preprocess_input(np.full((1, 2, 2, 3), 255, dtype=np.uint8))
    assert integers.dtype == np.float32
    np.testing.assert_allclose(integers[0, 0, 0], [255 - 103.939, 255 - 116.779, 255 - 123.68], rtol=1e-6)
    with pytest.raises(ValueError, match=r"preprocess_input: expected 3 colour channels on axis -1, got shape \(2, 2\)"):
        preprocess_input(np.zeros((2, 2)))
