"""Initializers: statistics, fans, configs and lookups against Keras 3's."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from scratchdl import backend, initializers
from tests.layers.harness import keras, to_numpy

from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans  # noqa: E402

SHAPES_FOR_FANS = [(), (7,), (5, 3), (3, 3, 16, 32), (5, 4, 8), (2, 3, 3, 4, 6), (1, 1, 1, 1)]
SAMPLE_SHAPE = (400, 500)  # 200,000 draws
CONV_SHAPE = (3, 3, 64, 96)


@pytest.mark.parametrize("shape", SHAPES_FOR_FANS)
def test_compute_fans_equals_keras(shape):
    assert initializers.compute_fans(shape) == keras_compute_fans(shape)
    if len(shape) >= 2:
        axes = dict(input_axes=[0], output_axes=[len(shape) - 1])
        assert initializers.compute_fans(shape, **axes) == keras_compute_fans(shape, **axes)


RANDOM_CASES = [
    ("RandomNormal", {"mean": 0.5, "stddev": 0.2}),
    ("RandomUniform", {"minval": -0.3, "maxval": 0.7}),
    ("TruncatedNormal", {"mean": -0.1, "stddev": 0.3}),
    ("VarianceScaling", {"scale": 2.0, "mode": "fan_out", "distribution": "uniform"}),
    ("VarianceScaling", {"scale": 0.5, "mode": "fan_avg", "distribution": "untruncated_normal"}),
    ("VarianceScaling", {"scale": 1.5, "mode": "fan_in", "distribution": "truncated_normal"}),
    ("VarianceScaling", {"scale": 1.0, "mode": "fan_in", "distribution": "normal"}),
    ("GlorotUniform", {}), ("GlorotNormal", {}), ("HeUniform", {}), ("HeNormal", {}),
    ("LecunUniform", {}), ("LecunNormal", {}),
]


@pytest.mark.parametrize("shape", [SAMPLE_SHAPE, CONV_SHAPE])
@pytest.mark.parametrize("name, kwargs", RANDOM_CASES)
def test_random_initializer_statistics_match_keras(name, kwargs, shape):
    ours = getattr(initializers, name)(seed=1, **kwargs)(shape)
    theirs = to_numpy(getattr(keras.initializers, name)(seed=1, **kwargs)(shape)).astype(np.float64)
    assert ours.shape == shape and ours.dtype == np.float32
    ours = ours.astype(np.float64)
    spread = theirs.std()
    assert abs(ours.mean() - theirs.mean()) < 0.02 * spread + 1e-6
    assert abs(ours.std() - spread) < 0.02 * spread
    unbounded = name == "RandomNormal" or kwargs.get("distribution") == "untruncated_normal"
    if not unbounded:  # the same support: uniform bounds, the 2-stddev cut of truncated draws
        assert abs(ours.min() - theirs.min()) < 0.02 * spread
        assert abs(ours.max() - theirs.max()) < 0.02 * spread


@pytest.mark.parametrize("name, expected_std", [
    ("GlorotUniform", math.sqrt(2 / (400 + 500))), ("GlorotNormal", math.sqrt(2 / (400 + 500))),
    ("HeUniform", math.sqrt(2 / 400)), ("HeNormal", math.sqrt(2 / 400)),
    ("LecunUniform", math.sqrt(1 / 400)), ("LecunNormal", math.sqrt(1 / 400)),
])
def test_variance_scaling_presets_have_the_intended_variance(name, expected_std):
    values = getattr(initializers, name)(seed=2)(SAMPLE_SHAPE)
    assert abs(values.std() - expected_std) < 0.01 * expected_std
    if name.endswith("Uniform"):
        assert np.abs(values).max() <= math.sqrt(3) * expected_std + 1e-7
    else:  # truncated at two of the *untruncated* stddevs (expected_std / 0.8796...)
        assert np.abs(values).max() <= 2 * expected_std / 0.87962566103423978 + 1e-6


@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 8, 16), (2, 5, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_orthogonal_is_orthogonal(shape, gain):
    values = initializers.Orthogonal(gain=gain, seed=3)(shape).astype(np.float64)
    assert values.shape == shape
    matrix = values.reshape(-1, shape[-1])
    small = min(matrix.shape)
    gram = matrix.T @ matrix if matrix.shape[0] >= matrix.shape[1] else matrix @ matrix.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(small), atol=1e-5)


def test_orthogonal_and_identity_errors_and_identity_values():
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((5,))
    np.testing.assert_array_equal(initializers.Identity(gain=3.0)((2, 3)), [[3, 0, 0], [0, 3, 0]])
    np.testing.assert_array_equal(initializers.Identity()((3, 3)), to_numpy(keras.initializers.Identity()((3, 3))))
    with pytest.raises(ValueError, match="2D matrices"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("name, kwargs", [("Zeros", {}), ("Ones", {}), ("Constant", {"value": -2.5})])
@pytest.mark.parametrize("dtype", [None, "float64", "float16"])
def test_constant_initializers_match_keras(name, kwargs, dtype):
    ours = getattr(initializers, name)(**kwargs)((3, 4), dtype=dtype)
    theirs = to_numpy(getattr(keras.initializers, name)(**kwargs)((3, 4), dtype=dtype or "float32"))
    assert ours.dtype == np.dtype(dtype or "float32")
    np.testing.assert_array_equal(ours, theirs)


def test_seeds_make_draws_reproducible():
    init = initializers.GlorotUniform(seed=5)
    np.testing.assert_array_equal(init((4, 4)), init((4, 4)))  # an int seed: same values each call
    np.testing.assert_array_equal(init((4, 4)), initializers.GlorotUniform(seed=5)((4, 4)))
    assert not np.array_equal(init((4, 4)), initializers.GlorotUniform(seed=6)((4, 4)))
    unseeded = initializers.RandomNormal()
    backend.set_random_seed(42)
    first = [unseeded((3, 3)), initializers.Orthogonal()((3, 3))]
    backend.set_random_seed(42)
    second = [unseeded((3, 3)), initializers.Orthogonal()((3, 3))]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(unseeded((3, 3)), unseeded((3, 3)))
    with pytest.raises(ValueError, match="seed"):
        initializers.RandomNormal(seed="abc")


ALL_CLASSES = ["Zeros", "Ones", "Constant", "Identity", "RandomNormal", "RandomUniform",
               "TruncatedNormal", "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform",
               "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal"]


@pytest.mark.parametrize("name", ALL_CLASSES)
def test_serialize_matches_keras_and_round_trips(name):
    kwargs = {"seed": 4} if "seed" in getattr(keras.initializers, name)().get_config() else {}
    ours = initializers.serialize(getattr(initializers, name)(**kwargs))
    theirs = keras.initializers.serialize(getattr(keras.initializers, name)(**kwargs))
    if name == "Identity":  # Keras's Identity has no get_config, so its gain is lost; ours keeps it
        assert theirs["config"] == {} and ours["config"] == {"gain": 1.0}
        theirs["config"] = {"gain": 1.0}
    assert ours == theirs
    revived = initializers.deserialize(json.loads(json.dumps(ours)))
    assert type(revived).__name__ == name and initializers.serialize(revived) == ours
    assert type(initializers.get(theirs)).__name__ == name  # Keras's own configs load


def test_get_accepts_names_aliases_instances_classes_callables_and_arrays():
    for name in ("glorot_uniform", "GlorotUniform", "he_normal", "zeros", "ones", "orthogonal",
                 "random_normal", "truncated_normal", "variance_scaling", "lecun_uniform",
                 "normal", "uniform", "one", "zero", "identity"):
        ours = initializers.get(name)
        theirs = keras.initializers.get(name)
        assert type(ours).__name__ == type(theirs).__name__, name
        if name != "identity":  # Keras's Identity drops its gain from the config
            assert ours.get_config() == theirs.get_config(), name
    assert initializers.get("constant").value == 0.0  # (Keras's get("constant") raises a KeyError)
    instance = initializers.HeUniform(seed=1)
    assert initializers.get(instance) is instance
    assert isinstance(initializers.get(initializers.Ones), initializers.Ones)
    assert initializers.get(None) is None

    def custom(shape, dtype=None):
        return np.full(shape, 7.0, dtype=dtype)

    assert initializers.get(custom) is custom
    table = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(initializers.get(table)((2, 3)), table.astype("float32"))
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 3\)"):
        initializers.get(table)((3, 2))
    with pytest.raises(ValueError, match="Could not interpret initializer identifier: 'glorot'"):
        initializers.get("glorot")
    with pytest.raises(ValueError, match="unknown name"):
        initializers.deserialize({"class_name": "Nope", "config": {}})


def test_variance_scaling_argument_errors():
    with pytest.raises(ValueError, match="scale"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="mode"):
        initializers.VarianceScaling(mode="fan")
    with pytest.raises(ValueError, match="distribution"):
        initializers.VarianceScaling(distribution="cauchy")
