"""IoU, BinaryIoU, MeanIoU, OneHotIoU and OneHotMeanIoU against Keras 3."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import metrics
from scratchdl.metrics.iou_metrics import confusion_matrix


def _segmentation_batches(seed, classes=4, shape=(3, 5, 6), weights=None, out_of_range=False):
    """Label maps and (mostly right) predicted maps; ``weights``: None, 'int' or 'float'."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(3):
        y_true = rng.integers(0, classes, size=shape)
        y_pred = np.where(rng.uniform(size=shape) < 0.6, y_true,
                          rng.integers(0, classes, size=shape))
        if out_of_range:
            y_true[0, 0, :2] = classes  # ids outside [0, classes) are dropped
            y_pred[1, 1, :2] = -1
        weight = None
        if weights == "int":
            weight = rng.integers(0, 3, size=shape)
        elif weights == "float":
            weight = rng.uniform(0, 2, size=shape).astype(np.float32)
        batches.append(((y_true, y_pred), weight))
    return batches


def _run(ours, theirs, batches):
    for (y_true, y_pred), weight in batches:
        ours.update_state(y_true, y_pred, sample_weight=weight)
        theirs.update_state(y_true, y_pred, sample_weight=weight)
    result = ours.result()
    assert isinstance(result, np.ndarray) and result.dtype == np.float32
    np.testing.assert_allclose(result, keras.ops.convert_to_numpy(theirs.result()),
                               rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(ours.total_cm.data, keras.ops.convert_to_numpy(theirs.total_cm),
                               rtol=1e-6, atol=1e-6)
    ours.reset_state()
    assert not np.any(ours.total_cm.data) and float(ours.result()) == 0.0
    rebuilt = type(ours).from_config(ours.get_config())
    assert rebuilt.get_config() == ours.get_config()
    return result


@pytest.mark.parametrize("kwargs,weights", [
    (dict(), None),
    (dict(), "int"),
    (dict(dtype="float32"), "float"),
    (dict(ignore_class=2), None),
    (dict(ignore_class=0, dtype="float32"), "float"),
])
def test_mean_iou(kwargs, weights):
    batches = _segmentation_batches(len(kwargs) + len(str(weights)), weights=weights)
    result = _run(metrics.MeanIoU(4, **kwargs), keras.metrics.MeanIoU(4, **kwargs), batches)
    assert 0.0 < result < 1.0


def test_mean_iou_drops_out_of_range_ids():
    batches = _segmentation_batches(5, out_of_range=True)
    _run(metrics.MeanIoU(4), keras.metrics.MeanIoU(4), batches)


def test_mean_iou_absent_class_is_left_out():
    # Class 2 never occurs: the mean is over classes 0 and 1 only (as Keras).
    m = metrics.MeanIoU(3)
    m.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    assert float(m.result()) == pytest.approx(1 / 3, abs=1e-6)


@pytest.mark.parametrize("target", [[0], [1, 3], [0, 1, 2, 3]], ids=str)
def test_iou(target):
    batches = _segmentation_batches(len(target), weights="int")
    _run(metrics.IoU(4, target), keras.metrics.IoU(4, target), batches)


@pytest.mark.parametrize("threshold", [0.5, 0.3])
@pytest.mark.parametrize("target", [(0, 1), (1,)], ids=str)
def test_binary_iou(target, threshold):
    rng = np.random.default_rng(int(threshold * 10))
    batches = [((rng.integers(0, 2, size=(6, 4)), rng.uniform(size=(6, 4)).astype(np.float32)),
                rng.integers(0, 3, size=(6, 4))) for _ in range(3)]
    _run(metrics.BinaryIoU(target, threshold), keras.metrics.BinaryIoU(target, threshold), batches)


def _one_hot_batches(seed, sparse_pred):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(3):
        labels = rng.integers(0, 3, size=(4, 5))
        scores = rng.uniform(size=(4, 5, 3)).astype(np.float32)
        y_pred = np.argmax(scores, axis=-1) if sparse_pred else scores
        batches.append(((np.eye(3, dtype=np.float32)[labels], y_pred), None))
    return batches


@pytest.mark.parametrize("sparse_pred", [False, True])
def test_one_hot_variants(sparse_pred):
    batches = _one_hot_batches(int(sparse_pred), sparse_pred)
    _run(metrics.OneHotMeanIoU(3, sparse_y_pred=sparse_pred),
         keras.metrics.OneHotMeanIoU(3, sparse_y_pred=sparse_pred), batches)
    _run(metrics.OneHotIoU(3, [0, 2], sparse_y_pred=sparse_pred),
         keras.metrics.OneHotIoU(3, [0, 2], sparse_y_pred=sparse_pred), batches)


def test_non_sparse_predictions_in_mean_iou():
    rng = np.random.default_rng(7)
    batches = [((rng.integers(0, 3, size=(8,)), rng.uniform(size=(8, 3)).astype(np.float32)),
                None) for _ in range(3)]
    _run(metrics.MeanIoU(3, sparse_y_pred=False), keras.metrics.MeanIoU(3, sparse_y_pred=False),
         batches)


def test_configs_match_keras():
    pairs = [
        (metrics.MeanIoU(3, name="m", ignore_class=1), keras.metrics.MeanIoU(3, name="m",
                                                                            ignore_class=1)),
        (metrics.IoU(3, [0, 2], name="i"), keras.metrics.IoU(3, [0, 2], name="i")),
        (metrics.BinaryIoU([1], 0.4, name="b"), keras.metrics.BinaryIoU([1], 0.4, name="b")),
        (metrics.OneHotIoU(3, [1], name="o"), keras.metrics.OneHotIoU(3, [1], name="o")),
        (metrics.OneHotMeanIoU(3, name="om"), keras.metrics.OneHotMeanIoU(3, name="om")),
    ]
    for ours, theirs in pairs:
        assert ours.get_config() == theirs.get_config()


def test_confusion_matrix_counts_pairs():
    cm = confusion_matrix([1, 2, 4, 2], [2, 2, 4, 0], num_classes=5, weights=[1, 2, 3, 4])
    expected = np.zeros((5, 5), dtype=np.int32)
    expected[1, 2], expected[2, 2], expected[4, 4], expected[2, 0] = 1, 2, 3, 4
    np.testing.assert_array_equal(cm, expected)


def test_errors():
    with pytest.raises(ValueError, match=r"IoU 'iou_bad': target class id 3 is out of range "
                                         r"\[0, 3\)"):
        metrics.IoU(3, [0, 3], name="iou_bad")
    with pytest.raises(ValueError, match="MeanIoU 'miou': y_true and y_pred must hold the same "
                                         "number of class ids, got 4 and 3"):
        metrics.MeanIoU(2, name="miou").update_state([0, 1, 0, 1], [0, 1, 1])
    with pytest.warns(UserWarning, match="float sample_weight with an integer dtype"):
        metrics.MeanIoU(2).update_state([0, 1], [0, 1], sample_weight=np.array([0.5, 1.5]))
