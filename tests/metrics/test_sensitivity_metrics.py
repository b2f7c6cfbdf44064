"""SensitivityAtSpecificity, SpecificityAtSensitivity, PrecisionAtRecall and RecallAtPrecision
against Keras 3."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import metrics
from tests.metrics.parity import check_against_keras, weights_for

NAMES = ["SensitivityAtSpecificity", "SpecificityAtSensitivity", "PrecisionAtRecall",
         "RecallAtPrecision"]


def _batches(seed, shape, weight_kind):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(3):
        y_true = rng.integers(0, 2, size=shape).astype(np.float32)
        # Scores correlated with the labels so the constraints bind at interior thresholds.
        y_pred = np.clip(0.35 * y_true + rng.uniform(0, 0.65, size=shape), 0, 1).astype(np.float32)
        batches.append(((y_true, y_pred), weights_for(rng, weight_kind, shape[0], shape[1:])))
    return batches


@pytest.mark.parametrize("weight_kind", [None, "vector"])
@pytest.mark.parametrize("kwargs", [dict(), dict(num_thresholds=1), dict(num_thresholds=13),
                                    dict(class_id=2)], ids=str)
@pytest.mark.parametrize("value", [0.3, 0.8])
@pytest.mark.parametrize("name", NAMES)
def test_matches_keras(name, value, kwargs, weight_kind):
    shape = (20, 4) if "class_id" in kwargs else (30,)
    batches = _batches(len(name) + int(value * 10), shape, weight_kind)
    check_against_keras(lambda: getattr(metrics, name)(value, **kwargs),
                        lambda: getattr(keras.metrics, name)(value, **kwargs), batches)


@pytest.mark.parametrize("name", NAMES)
def test_config_matches_keras(name):
    ours = getattr(metrics, name)(0.4, num_thresholds=50, class_id=1, name="m").get_config()
    theirs = getattr(keras.metrics, name)(0.4, num_thresholds=50, class_id=1,
                                          name="m").get_config()
    assert ours == theirs


@pytest.mark.parametrize("name", NAMES)
def test_value_out_of_range_raises(name):
    with pytest.raises(ValueError, match=rf"{name}: .* must be in the range \[0, 1\], got 1.5"):
        getattr(metrics, name)(1.5)


def test_num_thresholds_must_be_positive():
    with pytest.raises(ValueError, match="num_thresholds must be an integer > 0, got 0"):
        metrics.PrecisionAtRecall(0.5, num_thresholds=0)
