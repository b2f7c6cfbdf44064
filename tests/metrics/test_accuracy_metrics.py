"""Accuracy metrics against Keras 3: label layouts, thresholds, top-k, sample weights."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras.src.metrics import accuracy_metrics as keras_accuracy

from scratchdl import metrics
from tests.metrics.parity import check_against_keras, weights_for

WEIGHTS = [None, "vector", "column"]


def _batches(make, weight_kind, seed, batch=8, count=3):
    rng = np.random.default_rng(seed)
    return [(make(rng, batch), weights_for(rng, weight_kind, batch)) for _ in range(count)]


@pytest.mark.parametrize("weight_kind", WEIGHTS)
def test_accuracy(weight_kind):
    def make(rng, n):
        y_true = rng.integers(0, 3, size=(n, 1))
        return y_true, np.where(rng.uniform(size=(n, 1)) < 0.6, y_true, rng.integers(0, 3, (n, 1)))
    check_against_keras(metrics.Accuracy, keras.metrics.Accuracy, _batches(make, weight_kind, 1))


@pytest.mark.parametrize("weight_kind", WEIGHTS)
@pytest.mark.parametrize("threshold", [0.5, 0.3])
@pytest.mark.parametrize("layout", ["column", "flat_true", "multi_label"])
def test_binary_accuracy(layout, threshold, weight_kind):
    def make(rng, n):
        shape = (n, 3) if layout == "multi_label" else (n, 1)
        y_true = rng.integers(0, 2, size=shape).astype(np.float32)
        y_pred = rng.uniform(size=shape).astype(np.float32)
        return (y_true[:, 0] if layout == "flat_true" else y_true), y_pred
    if layout == "multi_label" and weight_kind == "column":
        weight_kind = "vector"
    check_against_keras(lambda: metrics.BinaryAccuracy(threshold=threshold),
                        lambda: keras.metrics.BinaryAccuracy(threshold=threshold),
                        _batches(make, weight_kind, 2))


def _one_hot(labels, classes):
    return np.eye(classes, dtype=np.float32)[labels]


@pytest.mark.parametrize("weight_kind", WEIGHTS)
@pytest.mark.parametrize("shape", [(8, 5), (8, 4, 5)], ids=str)
def test_categorical_accuracy(shape, weight_kind):
    def make(rng, n):
        scores = rng.uniform(size=shape).astype(np.float32)
        return _one_hot(rng.integers(0, shape[-1], size=shape[:-1]), shape[-1]), scores
    if len(shape) == 3 and weight_kind == "column":
        weight_kind = "vector"
    check_against_keras(metrics.CategoricalAccuracy, keras.metrics.CategoricalAccuracy,
                        _batches(make, weight_kind, 3))


@pytest.mark.parametrize("weight_kind", WEIGHTS)
@pytest.mark.parametrize("layout", ["flat", "column", "sequence"])
def test_sparse_categorical_accuracy(layout, weight_kind):
    def make(rng, n):
        if layout == "sequence":
            return rng.integers(0, 6, size=(n, 4)), rng.normal(size=(n, 4, 6)).astype(np.float32)
        labels = rng.integers(0, 6, size=(n, 1) if layout == "column" else (n,))
        return labels, rng.normal(size=(n, 6)).astype(np.float32)
    check_against_keras(metrics.SparseCategoricalAccuracy,
                        keras.metrics.SparseCategoricalAccuracy, _batches(make, weight_kind, 4))


@pytest.mark.parametrize("weight_kind", WEIGHTS)
@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_categorical_accuracy(k, weight_kind):
    def make(rng, n):
        return _one_hot(rng.integers(0, 7, size=n), 7), rng.normal(size=(n, 7)).astype(np.float32)
    check_against_keras(lambda: metrics.TopKCategoricalAccuracy(k=k),
                        lambda: keras.metrics.TopKCategoricalAccuracy(k=k),
                        _batches(make, weight_kind, 5 + k))


def test_top_k_categorical_accuracy_sequences():
    def make(rng, n):
        labels = rng.integers(0, 7, size=(n, 3))
        return _one_hot(labels, 7), rng.normal(size=(n, 3, 7)).astype(np.float32)
    check_against_keras(lambda: metrics.TopKCategoricalAccuracy(k=3),
                        lambda: keras.metrics.TopKCategoricalAccuracy(k=3),
                        _batches(make, "vector", 6))


@pytest.mark.parametrize("weight_kind", WEIGHTS)
@pytest.mark.parametrize("k", [1, 3])
@pytest.mark.parametrize("layout", ["flat", "column", "sorted_ids"])
def test_sparse_top_k_categorical_accuracy(layout, k, weight_kind):
    sorted_ids = layout == "sorted_ids"

    def make(rng, n):
        labels = rng.integers(0, 9, size=(n, 1) if layout == "column" else (n,))
        if sorted_ids:
            ids = np.argsort(-rng.normal(size=(n, 9)), axis=-1)[:, :4].astype(np.int32)
            return labels.astype(np.int32), ids
        return labels, rng.normal(size=(n, 9)).astype(np.float32)
    check_against_keras(
        lambda: metrics.SparseTopKCategoricalAccuracy(k=k, from_sorted_ids=sorted_ids),
        lambda: keras.metrics.SparseTopKCategoricalAccuracy(k=k, from_sorted_ids=sorted_ids),
        _batches(make, weight_kind, 7 + k))


def test_top_k_ties_count_as_found():
    # Keras's in_top_k: a label whose score ties the k-th largest is inside the top k.
    y_pred = np.array([[0.5, 0.5, 0.1], [0.2, 0.3, 0.3]], dtype=np.float32)
    ours = metrics.SparseTopKCategoricalAccuracy(k=1)([1, 2], y_pred)
    theirs = keras.metrics.SparseTopKCategoricalAccuracy(k=1)(np.array([1, 2]), y_pred)
    assert float(ours) == float(theirs) == 1.0


def test_top_k_larger_than_classes_finds_every_label():
    m = metrics.SparseTopKCategoricalAccuracy()  # k=5 with 3 classes
    assert float(m([0, 1, 2], np.eye(3, dtype=np.float32))) == 1.0


def test_labels_out_of_range_raise():
    with pytest.raises(ValueError, match=r"sparse_top_k_categorical_accuracy: labels must be in "
                                         r"\[0, 3\)"):
        metrics.SparseTopKCategoricalAccuracy(k=1)([0, 3], np.eye(3)[:2])


def test_label_count_mismatch_raises():
    with pytest.raises(ValueError, match=r"expected 2 labels for predictions of shape \(2, 3\), "
                                         r"got labels of shape \(3,\)"):
        metrics.sparse_top_k_categorical_accuracy([0, 1, 2], np.eye(3)[:2], k=1)


@pytest.mark.parametrize("name,args", [
    ("accuracy", ([[1], [2], [3]], [[1], [0], [3]])),
    ("binary_accuracy", ([[1], [0], [1]], [[0.7], [0.6], [0.2]])),
    ("categorical_accuracy", ([[0, 1], [1, 0]], [[0.3, 0.7], [0.4, 0.6]])),
    ("sparse_categorical_accuracy", ([[1], [0]], [[0.3, 0.7], [0.4, 0.6]])),
    ("top_k_categorical_accuracy", ([[0, 1, 0], [1, 0, 0]], [[0.3, 0.5, 0.2], [0.1, 0.6, 0.3]])),
    ("sparse_top_k_categorical_accuracy", ([1, 0], [[0.3, 0.5, 0.2], [0.1, 0.6, 0.3]])),
])
def test_functions_match_keras(name, args):
    kwargs = {"k": 1} if "top_k" in name else {}
    ours = getattr(metrics, name)(*[np.asarray(a) for a in args], **kwargs)
    theirs = keras.ops.convert_to_numpy(
        getattr(keras_accuracy, name)(*[np.asarray(a) for a in args], **kwargs))
    assert ours.dtype == np.float32
    np.testing.assert_array_equal(ours, theirs)


def test_configs_match_keras():
    for ours, theirs in [
        (metrics.BinaryAccuracy(threshold=0.3), keras.metrics.BinaryAccuracy(threshold=0.3)),
        (metrics.TopKCategoricalAccuracy(k=2), keras.metrics.TopKCategoricalAccuracy(k=2)),
        (metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True),
         keras.metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)),
        (metrics.CategoricalAccuracy(), keras.metrics.CategoricalAccuracy()),
    ]:
        assert ours.get_config() == theirs.get_config()
