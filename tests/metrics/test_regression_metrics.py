"""Regression metrics (MSE, MAE, RMSE, MAPE, MSLE, log-cosh, cosine similarity, R2) against
Keras 3."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import metrics
from tests.metrics.parity import check_against_keras, weights_for

NAMES = ["MeanSquaredError", "MeanAbsoluteError", "RootMeanSquaredError",
         "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "LogCoshError",
         "CosineSimilarity"]
SHAPES = [(6,), (6, 1), (6, 4), (6, 3, 4)]


def _batches(seed, shape, weight_kind, positive=False):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(3):
        low = 0.1 if positive else -2.0
        y_true = rng.uniform(low, 2.0, size=shape).astype(np.float32)
        y_pred = (y_true + rng.normal(scale=0.5, size=shape)).astype(np.float32)
        if positive:
            y_pred = np.abs(y_pred)
        per_sample = shape[1:-1] if len(shape) > 2 else ()
        batches.append(((y_true, y_pred), weights_for(rng, weight_kind, shape[0], per_sample)))
    return batches


@pytest.mark.parametrize("weight_kind", [None, "vector", "column", "full"])
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", NAMES)
def test_matches_keras(name, shape, weight_kind):
    if (weight_kind == "full" and len(shape) < 3) or (weight_kind and len(shape) == 1):
        weight_kind = "scalar"  # 1-D targets are a single sample once averaged over the last axis
    batches = _batches(len(name) + len(shape), shape, weight_kind,
                       positive=name == "MeanSquaredLogarithmicError")
    rtol = 1e-5 if name == "MeanAbsolutePercentageError" else 1e-6  # values around 100
    check_against_keras(getattr(metrics, name), getattr(keras.metrics, name), batches,
                        rtol=rtol, as_tensor=shape == (6, 4))


def test_root_mean_squared_error_is_root_of_running_mean():
    m = metrics.RootMeanSquaredError()
    m.update_state([0.0, 0.0], [3.0, 3.0])
    m.update_state([0.0, 0.0], [0.0, 0.0])
    assert float(m.result()) == pytest.approx(np.sqrt(4.5))


@pytest.mark.parametrize("weight_kind", [None, "vector", "full"])
@pytest.mark.parametrize("kwargs", [dict(), dict(class_aggregation=None),
                                    dict(class_aggregation="variance_weighted_average"),
                                    dict(num_regressors=3)], ids=str)
def test_r2_score(kwargs, weight_kind):
    batches = _batches(len(kwargs), (10, 3), weight_kind)
    check_against_keras(lambda: metrics.R2Score(**kwargs), lambda: keras.metrics.R2Score(**kwargs),
                        batches, rtol=1e-5, atol=1e-6)


def test_r2_score_config_and_errors():
    assert metrics.R2Score(num_regressors=2).get_config() == \
        keras.metrics.R2Score(num_regressors=2).get_config()
    with pytest.raises(ValueError, match="R2Score 'r2_score': invalid class_aggregation 'sum'"):
        metrics.R2Score(class_aggregation="sum")
    with pytest.raises(ValueError, match=r"expected 2D inputs of shape \(batch_size, output_dim\)"):
        metrics.R2Score().update_state(np.ones((2, 3, 4)), np.ones((2, 3, 4)))
    with pytest.warns(UserWarning, match="More independent predictors than datapoints"):
        m = metrics.R2Score(num_regressors=10)
        m.update_state(np.array([[1.0], [2.0], [4.0]]), np.array([[1.5], [2.0], [3.0]]))
        m.result()


@pytest.mark.parametrize("name", NAMES)
def test_configs_match_keras(name):
    ours = getattr(metrics, name)(name="m").get_config()
    theirs = getattr(keras.metrics, name)(name="m").get_config()
    if name == "CosineSimilarity":
        assert ours.pop("axis") == -1  # Keras leaves axis out of its config (it is lost there)
    assert ours == theirs


def test_cosine_similarity_axis_round_trips():
    m = metrics.CosineSimilarity(axis=1)
    rebuilt = metrics.CosineSimilarity.from_config(m.get_config())
    y_true = np.array([[[1.0, 0.0], [0.0, 1.0]]])
    y_pred = np.array([[[1.0, 0.0], [1.0, 1.0]]])
    np.testing.assert_allclose(rebuilt(y_true, y_pred), m(y_true, y_pred))
    assert rebuilt.axis == 1
