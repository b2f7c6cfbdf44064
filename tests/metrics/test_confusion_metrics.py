"""TruePositives ... FalseNegatives, Precision, Recall and AUC against Keras 3.

Both of Keras's counting paths are exercised: general thresholds (a comparison table) and evenly
spaced thresholds (the bucket algorithm), with predictions that fall exactly on thresholds.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import metrics
from tests.metrics.parity import check_against_keras, weights_for


def _binary_batches(seed, shape=(16,), weight_kind=None, quantized=False, count=3):
    """Random 0/1 labels and predictions in [0, 1] (multiples of 0.1 when ``quantized``)."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        y_true = rng.integers(0, 2, size=shape).astype(np.float32)
        y_pred = rng.uniform(size=shape).astype(np.float32)
        if quantized:  # exactly on the thresholds 0.0, 0.1, ..., 1.0
            y_pred = (rng.integers(0, 11, size=shape) / 10).astype(np.float32)
        batches.append(((y_true, y_pred), weights_for(rng, weight_kind, shape[0], shape[1:])))
    return batches


def _case_id(kwargs):
    return ",".join(f"{key}={value}" for key, value in kwargs.items()) or "default"


COUNTS = ["TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives"]
THRESHOLDS = [None, 0.3, [0.2, 0.5, 0.8], [0.0, 0.5, 1.0]]


@pytest.mark.parametrize("thresholds", THRESHOLDS, ids=str)
@pytest.mark.parametrize("name", COUNTS)
def test_counts(name, thresholds):
    for weight_kind, quantized in [(None, False), ("vector", True)]:
        batches = _binary_batches(len(name), weight_kind=weight_kind, quantized=quantized)
        check_against_keras(lambda: getattr(metrics, name)(thresholds=thresholds),
                            lambda: getattr(keras.metrics, name)(thresholds=thresholds), batches)


PR_CASES = [
    dict(),
    dict(thresholds=0.7),
    dict(thresholds=[0.1, 0.4, 0.9]),
    dict(thresholds=[0.0, 0.25, 0.5, 0.75, 1.0]),  # evenly spaced: the bucket path
    dict(top_k=2),
    dict(class_id=1),
    dict(top_k=2, class_id=3),
    dict(thresholds=[0.2, 0.6], top_k=3),
]


@pytest.mark.parametrize("weight_kind", [None, "vector", "full"])
@pytest.mark.parametrize("kwargs", PR_CASES, ids=lambda kw: _case_id(kw))
@pytest.mark.parametrize("name", ["Precision", "Recall"])
def test_precision_recall(name, kwargs, weight_kind):
    shape = (12, 5)
    if "class_id" in kwargs and weight_kind == "full":
        weight_kind = "column"  # a (batch, classes) weight cannot follow the class slice
    batches = _binary_batches(len(kwargs) + len(name), shape, weight_kind)
    check_against_keras(lambda: getattr(metrics, name)(**kwargs),
                        lambda: getattr(keras.metrics, name)(**kwargs), batches)


def test_precision_recall_quantized_and_flat():
    for name in ("Precision", "Recall"):
        for thresholds in ([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], [0.3, 0.5]):
            batches = _binary_batches(5, (20,), "vector", quantized=True)
            check_against_keras(lambda: getattr(metrics, name)(thresholds=thresholds),
                                lambda: getattr(keras.metrics, name)(thresholds=thresholds),
                                batches)


AUC_CASES = [
    dict(),
    dict(curve="PR"),
    dict(curve="PRGAIN"),
    dict(summation_method="minoring"),
    dict(summation_method="majoring"),
    dict(curve="PR", summation_method="minoring"),
    dict(curve="PR", summation_method="majoring"),
    dict(num_thresholds=7),
    dict(num_thresholds=11, curve="PR"),
    dict(thresholds=[0.1, 0.35, 0.7]),
    dict(thresholds=[0.25, 0.5, 0.75], curve="PR"),  # given, but evenly spaced
    dict(from_logits=True),
    dict(label_weights=[0.5, 1.0, 2.0, 0.0]),
    dict(multi_label=True),
    dict(multi_label=True, num_labels=4, curve="PR"),
    dict(multi_label=True, label_weights=[0.5, 1.0, 2.0, 0.3], summation_method="minoring"),
    dict(multi_label=True, thresholds=[0.2, 0.45, 0.9]),
]


@pytest.mark.parametrize("weight_kind", [None, "vector", "full"])
@pytest.mark.parametrize("kwargs", AUC_CASES, ids=lambda kw: _case_id(kw))
def test_auc(kwargs, weight_kind):
    batches = _binary_batches(len(kwargs) * 3 + len(str(weight_kind)), (24, 4), weight_kind)
    if kwargs.get("from_logits"):
        batches = [((t, (p - 0.5) * 8), w) for (t, p), w in batches]
    check_against_keras(lambda: metrics.AUC(**kwargs), lambda: keras.metrics.AUC(**kwargs),
                        batches)


@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_auc_predictions_on_thresholds(curve):
    # Predictions at exactly 0, 0.1, ..., 1 with 11 thresholds hit every bucket edge.
    batches = _binary_batches(9, (40,), "vector", quantized=True)
    check_against_keras(lambda: metrics.AUC(num_thresholds=11, curve=curve),
                        lambda: keras.metrics.AUC(num_thresholds=11, curve=curve), batches)


def test_auc_out_of_range_predictions_are_clipped():
    rng = np.random.default_rng(0)
    batches = [((rng.integers(0, 2, 30).astype(np.float32),
                 rng.uniform(-0.5, 1.5, 30).astype(np.float32)), None)]
    check_against_keras(metrics.AUC, keras.metrics.AUC, batches)


def test_auc_is_one_for_a_perfect_ranking():
    m = metrics.AUC()
    m.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
    assert float(m.result()) == pytest.approx(1.0, abs=1e-6)
    assert m.thresholds[0] < 0 < 1 < m.thresholds[-1] and len(m.thresholds) == 200


def test_auc_config_matches_keras():
    for kwargs in ({}, {"thresholds": [0.1, 0.35, 0.7], "curve": "PR"},
                   {"multi_label": True, "num_labels": 3, "summation_method": "majoring"}):
        ours = metrics.AUC(**kwargs).get_config()
        theirs = keras.metrics.AUC(**kwargs).get_config()
        ours.pop("name"), theirs.pop("name")
        assert ours == theirs


def test_precision_config_matches_keras():
    ours = metrics.Precision(thresholds=[0.2, 0.4], top_k=2, class_id=1, name="p").get_config()
    theirs = keras.metrics.Precision(thresholds=[0.2, 0.4], top_k=2, class_id=1,
                                     name="p").get_config()
    assert ours == theirs


def test_multiple_thresholds_give_one_value_each():
    m = metrics.Recall(thresholds=[0.25, 0.5, 0.75])
    m.update_state([1, 1, 1, 1], [0.1, 0.3, 0.6, 0.9])
    np.testing.assert_allclose(m.result(), [0.75, 0.5, 0.25])


def test_errors_name_the_metric_and_shapes():
    with pytest.raises(ValueError, match=r"precision_bad: y_true of shape \(3,\) does not match "
                                         r"y_pred of shape \(4,\)"):
        metrics.Precision(name="precision_bad").update_state([0, 1, 1], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match=r"threshold values must be in \[0, 1\], got \[1.5\]"):
        metrics.Recall(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match="with class_id, y_pred must have shape"):
        metrics.Recall(class_id=0).update_state([0, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match="AUC 'auc_x': invalid curve 'XY'"):
        metrics.AUC(curve="XY", name="auc_x")
    with pytest.raises(ValueError, match="num_thresholds must be an integer > 1, got 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"y_pred must have rank 2 when multi_label=True, got "
                                         r"shape \(4,\)"):
        metrics.AUC(multi_label=True).update_state([0, 1, 0, 1], [0.1, 0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match=r"sample_weight of shape \(3,\) cannot be broadcast"):
        metrics.TruePositives().update_state([0, 1], [0.2, 0.9], sample_weight=[1, 2, 3])


def test_array_thresholds_give_a_json_friendly_config():
    import json

    m = metrics.Precision(thresholds=np.array([0.25, 0.75]))
    config = json.loads(json.dumps(m.get_config()))
    assert config["thresholds"] == [0.25, 0.75]
    assert metrics.Precision.from_config(config).thresholds == [0.25, 0.75]
    assert metrics.TruePositives(thresholds=np.float32(0.5)).get_config()["thresholds"] == 0.5
