"""F1Score and FBetaScore against Keras 3 for every averaging mode."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import metrics
from tests.metrics.parity import check_against_keras, weights_for

AVERAGES = [None, "micro", "macro", "weighted"]


def _batches(seed, weight_kind, classes=5, batch=10):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(3):
        y_true = rng.integers(0, 2, size=(batch, classes)).astype(np.float32)
        y_pred = rng.uniform(size=(batch, classes)).astype(np.float32)
        y_pred[0] = 0.0  # an all-zero row: no class is predicted there
        batches.append(((y_true, y_pred), weights_for(rng, weight_kind, batch)))
    return batches


@pytest.mark.parametrize("weight_kind", [None, "vector"])
@pytest.mark.parametrize("threshold", [None, 0.4])
@pytest.mark.parametrize("average", AVERAGES)
def test_f1_score(average, threshold, weight_kind):
    batches = _batches(len(str(average)) + (threshold is None), weight_kind)
    check_against_keras(lambda: metrics.F1Score(average=average, threshold=threshold),
                        lambda: keras.metrics.F1Score(average=average, threshold=threshold),
                        batches)


@pytest.mark.parametrize("weight_kind", [None, "vector"])
@pytest.mark.parametrize("beta", [0.5, 2.0])
@pytest.mark.parametrize("average", AVERAGES)
def test_fbeta_score(average, beta, weight_kind):
    batches = _batches(int(beta * 4) + len(str(average)), weight_kind, classes=3)
    check_against_keras(lambda: metrics.FBetaScore(average=average, beta=beta, threshold=0.6),
                        lambda: keras.metrics.FBetaScore(average=average, beta=beta,
                                                         threshold=0.6), batches)


def test_configs_match_keras():
    assert metrics.F1Score(average="macro", threshold=0.3).get_config() == \
        keras.metrics.F1Score(average="macro", threshold=0.3).get_config()
    assert metrics.FBetaScore(beta=2.0).get_config() == \
        keras.metrics.FBetaScore(beta=2.0).get_config()
    assert "beta" not in metrics.F1Score().get_config()


def test_argument_errors():
    with pytest.raises(ValueError, match="FBetaScore 'fbeta_score': invalid average 'mean'"):
        metrics.FBetaScore(average="mean")
    with pytest.raises(ValueError, match="beta must be a Python float, got 2 of type int"):
        metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="beta must be > 0, got -1.0"):
        metrics.FBetaScore(beta=-1.0)
    with pytest.raises(ValueError, match="threshold must satisfy 0 < threshold <= 1, got 1.5"):
        metrics.F1Score(threshold=1.5)


def test_shape_errors():
    with pytest.raises(ValueError, match=r"F1Score 'f1_score': expected 2D inputs of shape "
                                         r"\(batch_size, output_dim\), got y_pred.shape=\(4,\)"):
        metrics.F1Score().update_state(np.ones(4), np.ones(4))
    m = metrics.F1Score()
    m.update_state(np.ones((2, 3)), np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"expected y_true and y_pred of shape \(batch_size, 3\), "
                                         r"got y_true.shape=\(2, 4\) and y_pred.shape=\(2, 4\)"):
        m.update_state(np.ones((2, 4)), np.ones((2, 4)))
