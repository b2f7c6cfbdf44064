"""Cross-entropy, KL divergence and Poisson metrics against Keras 3."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import metrics
from tests.metrics.parity import check_against_keras, weights_for


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def _batches(seed, make, weight_kind, batch=6):
    rng = np.random.default_rng(seed)
    return [(make(rng, batch), weights_for(rng, weight_kind, batch)) for _ in range(3)]


@pytest.mark.parametrize("weight_kind", [None, "vector"])
@pytest.mark.parametrize("kwargs", [dict(), dict(from_logits=True), dict(label_smoothing=0.2),
                                    dict(from_logits=True, label_smoothing=0.1)], ids=str)
def test_binary_crossentropy(kwargs, weight_kind):
    def make(rng, n):
        logits = rng.normal(scale=3, size=(n, 3)).astype(np.float32)
        y_pred = logits if kwargs.get("from_logits") else 1 / (1 + np.exp(-logits))
        y_pred = y_pred.astype(np.float32)
        if not kwargs.get("from_logits"):
            y_pred[0, 0], y_pred[0, 1] = 0.0, 1.0  # clipped to [eps, 1 - eps]
        return rng.integers(0, 2, size=(n, 3)).astype(np.float32), y_pred
    check_against_keras(lambda: metrics.BinaryCrossentropy(**kwargs),
                        lambda: keras.metrics.BinaryCrossentropy(**kwargs),
                        _batches(len(kwargs), make, weight_kind))


@pytest.mark.parametrize("weight_kind", [None, "vector"])
@pytest.mark.parametrize("kwargs", [dict(), dict(from_logits=True), dict(label_smoothing=0.2)],
                         ids=str)
def test_categorical_crossentropy(kwargs, weight_kind):
    def make(rng, n):
        logits = rng.normal(scale=2, size=(n, 5)).astype(np.float32)
        y_pred = logits if kwargs.get("from_logits") else _softmax(logits) * 3  # unnormalized
        return np.eye(5, dtype=np.float32)[rng.integers(0, 5, n)], y_pred.astype(np.float32)
    check_against_keras(lambda: metrics.CategoricalCrossentropy(**kwargs),
                        lambda: keras.metrics.CategoricalCrossentropy(**kwargs),
                        _batches(len(kwargs) + 3, make, weight_kind))


@pytest.mark.parametrize("weight_kind", [None, "vector"])
@pytest.mark.parametrize("kwargs,layout", [
    (dict(), "flat"), (dict(), "column"), (dict(from_logits=True), "flat"),
    (dict(ignore_class=2), "flat"), (dict(ignore_class=1, from_logits=True), "column"),
    (dict(), "sequence"), (dict(ignore_class=0), "sequence"),
], ids=str)
def test_sparse_categorical_crossentropy(kwargs, layout, weight_kind):
    def make(rng, n):
        shape = (n, 4) if layout == "sequence" else (n,)
        logits = rng.normal(scale=2, size=(*shape, 5)).astype(np.float32)
        y_pred = logits if kwargs.get("from_logits") else _softmax(logits)
        labels = rng.integers(0, 5, size=shape)
        return (labels[:, None] if layout == "column" else labels), y_pred
    batches = _batches(len(kwargs) + len(layout), make, weight_kind)
    if layout == "sequence" and weight_kind:  # one weight per position (Keras needs that here)
        batches = [(args, np.repeat(w[:, None], 4, axis=1)) for args, w in batches]
    check_against_keras(lambda: metrics.SparseCategoricalCrossentropy(**kwargs),
                        lambda: keras.metrics.SparseCategoricalCrossentropy(**kwargs), batches)


def test_sparse_categorical_crossentropy_ignore_class_with_per_sample_weights():
    # Keras fails to combine its (batch, steps) mask with (batch,) weights; here the per-sample
    # weight covers every step, as if repeated along the steps.
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 4, size=(5, 3))
    y_pred = _softmax(rng.normal(size=(5, 3, 4)))
    weight = rng.uniform(0.5, 1.5, size=5).astype(np.float32)
    per_sample = metrics.SparseCategoricalCrossentropy(ignore_class=0)(labels, y_pred, weight)
    repeated = keras.metrics.SparseCategoricalCrossentropy(ignore_class=0)(
        labels, y_pred, np.repeat(weight[:, None], 3, axis=1))
    np.testing.assert_allclose(per_sample, keras.ops.convert_to_numpy(repeated), rtol=1e-6)


@pytest.mark.parametrize("weight_kind", [None, "vector"])
@pytest.mark.parametrize("name", ["KLDivergence", "Poisson"])
def test_kl_divergence_and_poisson(name, weight_kind):
    def make(rng, n):
        return _softmax(rng.normal(size=(n, 4))), _softmax(rng.normal(size=(n, 4)))
    check_against_keras(getattr(metrics, name), getattr(keras.metrics, name),
                        _batches(len(name), make, weight_kind))


@pytest.mark.parametrize("name,kwargs", [
    ("BinaryCrossentropy", dict(from_logits=True, label_smoothing=0.1)),
    ("CategoricalCrossentropy", dict(label_smoothing=0.2, axis=-1)),
    ("SparseCategoricalCrossentropy", dict(ignore_class=3)),
    ("KLDivergence", dict()), ("Poisson", dict()),
])
def test_configs_match_keras(name, kwargs):
    assert getattr(metrics, name)(**kwargs).get_config() == \
        getattr(keras.metrics, name)(**kwargs).get_config()


def test_shape_errors():
    with pytest.raises(ValueError, match=r"binary_crossentropy: y_true of shape \(2, 3\) and "
                                         r"y_pred of shape \(2, 2\) must be equal"):
        metrics.binary_crossentropy(np.ones((2, 3)), np.ones((2, 2)) / 2)
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: expected labels of "
                                         r"shape \(2,\) for y_pred of shape \(2, 3\), got \(3,\)"):
        metrics.sparse_categorical_crossentropy(np.array([0, 1, 2]), np.ones((2, 3)) / 3)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        metrics.sparse_categorical_crossentropy(np.array([0, 5]), np.ones((2, 3)) / 3)
