"""PearsonCorrelation and ConcordanceCorrelation against Keras 3."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import metrics
from tests.metrics.parity import check_against_keras, weights_for


@pytest.mark.parametrize("weight_kind", [None, "vector"])
@pytest.mark.parametrize("shape", [(6, 5), (6, 3, 5)], ids=str)
@pytest.mark.parametrize("name", ["PearsonCorrelation", "ConcordanceCorrelation"])
def test_matches_keras(name, shape, weight_kind):
    rng = np.random.default_rng(len(name) + len(shape))
    batches = []
    for _ in range(3):
        y_true = rng.normal(size=shape).astype(np.float32)
        y_pred = (0.7 * y_true + rng.normal(scale=0.5, size=shape) + 0.2).astype(np.float32)
        batches.append(((y_true, y_pred), weights_for(rng, weight_kind, shape[0])))
    check_against_keras(getattr(metrics, name), getattr(keras.metrics, name), batches)


@pytest.mark.parametrize("name", ["PearsonCorrelation", "ConcordanceCorrelation"])
def test_axis_and_config(name):
    rng = np.random.default_rng(1)
    y_true = rng.normal(size=(4, 6)).astype(np.float32)
    y_pred = (y_true + rng.normal(scale=0.3, size=(4, 6))).astype(np.float32)
    check_against_keras(lambda: getattr(metrics, name)(axis=0),
                        lambda: getattr(keras.metrics, name)(axis=0), [((y_true, y_pred), None)])
    assert getattr(metrics, name)(axis=0).get_config() == \
        getattr(keras.metrics, name)(axis=0).get_config()


def test_perfect_correlation():
    x = np.array([[1.0, 2.0, 4.0, 8.0]])
    assert float(metrics.PearsonCorrelation()(x, 3 * x + 1)) == pytest.approx(1.0, abs=1e-6)
    assert float(metrics.ConcordanceCorrelation()(x, x)) == pytest.approx(1.0, abs=1e-6)
