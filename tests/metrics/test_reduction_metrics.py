"""Mean, Sum and MeanMetricWrapper against Keras 3, with every sample-weight layout."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import metrics
from scratchdl.metrics.reduction_metrics import reduce_to_samplewise_values
from tests.metrics.parity import check_against_keras, weights_for

VALUE_SHAPES = [(), (5,), (5, 3), (5, 3, 2)]
WEIGHTS = [None, "scalar", "vector", "column", "full"]


def _batches(value_shape: tuple[int, ...], weight_kind: str | None, seed: int) -> list:
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(3):
        values = rng.normal(size=value_shape).astype(np.float32)
        batch = value_shape[0] if value_shape else 1
        kind = weight_kind
        if not value_shape and kind not in (None, "scalar"):
            kind = "scalar"  # a single value only takes a scalar weight
        weight = weights_for(rng, kind, batch, value_shape[1:])
        batches.append(((values,), weight))
    return batches


@pytest.mark.parametrize("value_shape", VALUE_SHAPES, ids=str)
@pytest.mark.parametrize("weight_kind", WEIGHTS)
@pytest.mark.parametrize("name", ["Mean", "Sum"])
def test_mean_and_sum_match_keras(name: str, value_shape: tuple[int, ...],
                                  weight_kind: str | None) -> None:
    batches = _batches(value_shape, weight_kind, seed=len(value_shape) * 7 + len(name))
    check_against_keras(getattr(metrics, name), getattr(keras.metrics, name), batches)


def test_mean_accepts_tensors_and_float64() -> None:
    batches = _batches((6, 2), "vector", seed=3)
    check_against_keras(lambda: metrics.Mean(dtype="float64"),
                        lambda: keras.metrics.Mean(dtype="float64"), batches, as_tensor=True)


def test_mean_values_and_counts() -> None:
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    assert float(m.count.data) == 2.0 and float(m.total.data) == 4.0
    m.update_state(np.array([[10.0, 20.0]]))  # one sample averaged over its values
    assert float(m.count.data) == 3.0
    assert float(m.result()) == pytest.approx((4.0 + 15.0) / 3.0)
    assert metrics.Mean().result() == 0.0  # no data yet: 0, not NaN


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mean_of_a_scalar_with_a_number_weight_equals_the_general_path(dtype: str) -> None:
    """A 0-d value with a plain number as weight (the loss tracker's call every step) takes a
    short path; the totals must equal, bit for bit, those of the same weight given as an array."""
    rng = np.random.default_rng(4)
    short, general = metrics.Mean(dtype=dtype), metrics.Mean(dtype=dtype)
    for value, weight in zip(rng.normal(size=20).astype(np.float32), [128, 32.0, 7] * 7):
        short.update_state(np.asarray(value), sample_weight=weight)
        general.update_state(np.asarray(value), sample_weight=np.asarray(weight))
    assert short.total.data.dtype == general.total.data.dtype == np.dtype(dtype)
    assert short.total.data == general.total.data and short.count.data == general.count.data
    assert short.result() == general.result()


def _squared_error(y_true, y_pred):
    return (np.asarray(y_true, dtype=np.float32) - np.asarray(y_pred, dtype=np.float32)) ** 2


@pytest.mark.parametrize("weight_kind", [None, "vector", "full"])
def test_mean_metric_wrapper_matches_keras(weight_kind: str | None) -> None:
    rng = np.random.default_rng(11)
    batches = [((rng.normal(size=(4, 3)).astype(np.float32),
                 rng.normal(size=(4, 3)).astype(np.float32)),
                weights_for(rng, weight_kind, 4, (3,))) for _ in range(3)]
    check_against_keras(lambda: metrics.MeanMetricWrapper(_squared_error, name="sq"),
                        lambda: keras.metrics.MeanMetricWrapper(_squared_error, name="sq"),
                        batches, round_trip=False)


def test_mean_metric_wrapper_kwargs_and_config() -> None:
    m = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="acc_at_0_2", threshold=0.2)
    m([[1.0], [0.0]], [[0.3], [0.1]])
    assert float(m.result()) == 1.0
    config = m.get_config()
    assert config["threshold"] == 0.2
    assert config["fn"]["config"] == "binary_accuracy"
    rebuilt = metrics.MeanMetricWrapper.from_config(config)
    assert rebuilt._fn is metrics.binary_accuracy and rebuilt.name == "acc_at_0_2"


def test_mean_metric_wrapper_rejects_non_callable() -> None:
    with pytest.raises(TypeError, match="MeanMetricWrapper 'w': fn must be callable"):
        metrics.MeanMetricWrapper(3, name="w")


def test_reduce_to_samplewise_values_bad_weight_shape() -> None:
    with pytest.raises(ValueError, match=r"mean: sample_weight of shape \(3,\) cannot be broadcast"
                                         r" to the shape of the values \(4,\)"):
        reduce_to_samplewise_values(np.ones(4), np.ones(3), np.mean, "float32", "mean")


def test_wrapped_losses_are_minimized():
    from scratchdl import losses

    for fn in (losses.mean_squared_error, losses.MeanSquaredError(), metrics.mean_absolute_error,
               metrics.binary_crossentropy, metrics.hinge):
        assert metrics.MeanMetricWrapper(fn)._direction == "down"
    for fn in (metrics.binary_accuracy, metrics.cosine_similarity, _squared_error):
        assert not hasattr(metrics.MeanMetricWrapper(fn), "_direction")
    assert metrics.AUC()._direction == "up" and metrics.MeanSquaredError()._direction == "down"
    assert metrics.MeanMetricWrapper(losses.mean_squared_error)._direction == \
        keras.metrics.MeanMetricWrapper(keras.losses.mean_squared_error)._direction
