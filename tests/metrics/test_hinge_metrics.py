"""Hinge, SquaredHinge and CategoricalHinge against Keras 3."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import metrics
from tests.metrics.parity import check_against_keras, weights_for


def _batches(seed, make, weight_kind, batch=6):
    rng = np.random.default_rng(seed)
    return [(make(rng, batch), weights_for(rng, weight_kind, batch)) for _ in range(3)]


@pytest.mark.parametrize("weight_kind", [None, "vector"])
@pytest.mark.parametrize("labels", ["zero_one", "signed"])
@pytest.mark.parametrize("name", ["Hinge", "SquaredHinge"])
def test_hinge(name, labels, weight_kind):
    def make(rng, n):
        y_true = rng.integers(0, 2, size=(n, 3)).astype(np.float32)
        if labels == "signed":
            y_true = 2 * y_true - 1
        return y_true, rng.normal(size=(n, 3)).astype(np.float32)
    check_against_keras(getattr(metrics, name), getattr(keras.metrics, name),
                        _batches(len(name) + len(labels), make, weight_kind))


@pytest.mark.parametrize("weight_kind", [None, "vector"])
def test_categorical_hinge(weight_kind):
    def make(rng, n):
        return np.eye(4, dtype=np.float32)[rng.integers(0, 4, n)], \
            rng.normal(size=(n, 4)).astype(np.float32)
    check_against_keras(metrics.CategoricalHinge, keras.metrics.CategoricalHinge,
                        _batches(2, make, weight_kind))


@pytest.mark.parametrize("name", ["Hinge", "SquaredHinge", "CategoricalHinge"])
def test_configs_match_keras(name):
    assert getattr(metrics, name)().get_config() == getattr(keras.metrics, name)().get_config()


def test_labels_other_than_zero_one_are_used_as_given():
    # Labels -1/+1 stay as they are; 0/1 become -1/+1.
    signed = metrics.hinge(np.array([[-1.0, 1.0]]), np.array([[0.5, 0.5]]))
    zero_one = metrics.hinge(np.array([[0.0, 1.0]]), np.array([[0.5, 0.5]]))
    np.testing.assert_allclose(signed, zero_one)
    np.testing.assert_allclose(signed, [1.0])
