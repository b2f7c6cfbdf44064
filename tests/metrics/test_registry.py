"""metrics.get / serialize / deserialize and the 'accuracy' resolution rule, against Keras 3."""

from __future__ import annotations

import json
import re

import keras
import numpy as np
import pytest
from keras.src.metrics import ALL_OBJECTS_DICT as KERAS_OBJECTS
from keras.src.trainers.compile_utils import get_metric as keras_get_metric

from scratchdl import losses, metrics
from scratchdl._serialization import register_serializable

# Constructor arguments for the classes that have required ones.
REQUIRED_ARGS = {
    "MeanMetricWrapper": dict(fn=metrics.mean_squared_error),
    "IoU": dict(num_classes=3, target_class_ids=[0, 2]),
    "MeanIoU": dict(num_classes=3), "OneHotIoU": dict(num_classes=3, target_class_ids=[1]),
    "OneHotMeanIoU": dict(num_classes=3),
    "SensitivityAtSpecificity": dict(specificity=0.4),
    "SpecificityAtSensitivity": dict(sensitivity=0.4),
    "PrecisionAtRecall": dict(recall=0.4), "RecallAtPrecision": dict(precision=0.4),
}


@pytest.mark.parametrize("identifier", sorted(k for k in KERAS_OBJECTS if k != "Metric"
                                              and k != "metric"))
def test_every_keras_name_resolves_to_the_same_class(identifier):
    cls = KERAS_OBJECTS[identifier]
    if cls.__name__ in REQUIRED_ARGS:
        assert metrics.ALL_OBJECTS_DICT[identifier].__name__ == cls.__name__
        return
    ours = metrics.get(identifier)
    theirs = keras.metrics.get(identifier)
    assert type(ours).__name__ == type(theirs).__name__
    # The class's default name, as Keras (auto names differ only in their _N counters).
    assert re.sub(r"_\d+$", "", ours.name) == re.sub(r"_\d+$", "", theirs.name)


@pytest.mark.parametrize("identifier,expected", [
    ("accuracy", "Accuracy"), ("acc", "Accuracy"), ("binary_accuracy", "BinaryAccuracy"),
    ("categorical_accuracy", "CategoricalAccuracy"),
    ("sparse_categorical_accuracy", "SparseCategoricalAccuracy"),
    ("top_k_categorical_accuracy", "TopKCategoricalAccuracy"),
    ("sparse_top_k_categorical_accuracy", "SparseTopKCategoricalAccuracy"),
    ("mse", "MeanSquaredError"), ("MAE", "MeanAbsoluteError"), ("auc", "AUC"),
    ("precision", "Precision"), ("recall", "Recall"), ("f1_score", "F1Score"),
    ("root_mean_squared_error", "RootMeanSquaredError"), ("AUC", "AUC"),
])
def test_get_names(identifier, expected):
    assert type(metrics.get(identifier)).__name__ == expected


def test_get_other_identifiers():
    assert metrics.get(None) is None
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    instance = metrics.AUC(curve="PR")
    assert metrics.get(instance) is instance
    assert metrics.get(metrics.binary_accuracy) is metrics.binary_accuracy
    from_dict = metrics.get({"class_name": "Precision", "config": {"thresholds": 0.7}})
    assert isinstance(from_dict, metrics.Precision) and from_dict.thresholds == [0.7]
    with pytest.raises(ValueError, match="metrics.get: could not interpret metric identifier "
                                         "'accuracyy'"):
        metrics.get("accuracyy")
    with pytest.raises(ValueError, match="metrics.get: int is not a Metric subclass"):
        metrics.get(int)


def _instances():
    for cls in metrics.ALL_OBJECTS:
        if cls is metrics.Metric:
            continue
        yield cls(**REQUIRED_ARGS.get(cls.__name__, {}))
    yield metrics.AUC(thresholds=[0.2, 0.5], multi_label=True, label_weights=[1.0, 2.0])
    yield metrics.F1Score(average="weighted", threshold=0.3)
    yield metrics.BinaryAccuracy(threshold=0.2, name="acc_02")


@pytest.mark.parametrize("metric", list(_instances()), ids=repr)
def test_serialize_round_trip(metric):
    config = metrics.serialize(metric)
    assert config["module"] == "keras.metrics" and config["class_name"] == type(metric).__name__
    text = json.dumps(config)  # plain JSON, no pickle
    rebuilt = metrics.deserialize(json.loads(text))
    assert type(rebuilt) is type(metric)
    assert rebuilt.get_config() == metric.get_config()


def test_deserialize_keras_configs():
    for theirs in (keras.metrics.AUC(num_thresholds=50, curve="PR"),
                   keras.metrics.SparseTopKCategoricalAccuracy(k=3),
                   keras.metrics.MeanIoU(4, ignore_class=0),
                   keras.metrics.MeanMetricWrapper(keras.metrics.binary_accuracy, name="w")):
        config = keras.metrics.serialize(theirs)
        ours = metrics.deserialize(config)
        assert type(ours).__name__ == type(theirs).__name__
        assert ours.name == theirs.name
    wrapper = metrics.deserialize(keras.metrics.serialize(
        keras.metrics.MeanMetricWrapper(keras.metrics.binary_accuracy, name="w")))
    assert wrapper._fn is metrics.binary_accuracy


def test_custom_functions_and_classes():
    @register_serializable(package="tests_metrics")
    def doubled_error(y_true, y_pred):
        return 2 * np.abs(np.asarray(y_true) - np.asarray(y_pred))

    wrapper = metrics.MeanMetricWrapper(doubled_error, name="dbl")
    rebuilt = metrics.deserialize(json.loads(json.dumps(metrics.serialize(wrapper))))
    assert float(rebuilt([1.0, 2.0], [1.0, 3.0])) == pytest.approx(1.0)

    def local_fn(y_true, y_pred):
        return np.zeros(len(y_true))
    config = metrics.serialize(metrics.MeanMetricWrapper(local_fn, name="loc"))
    with pytest.raises(ValueError, match="local_fn"):
        metrics.deserialize(config)
    assert metrics.deserialize(config, custom_objects={"local_fn": local_fn})._fn is local_fn

    class Twice(metrics.Mean):
        pass
    config = metrics.serialize(Twice(name="t"))
    with pytest.raises(ValueError, match="Could not deserialize metric 'Twice'"):
        metrics.deserialize(config)
    assert isinstance(metrics.deserialize(config, custom_objects={"Twice": Twice}), Twice)
    assert metrics.serialize(metrics.binary_accuracy)["config"] == "binary_accuracy"
    assert isinstance(metrics.deserialize("binary_accuracy"), metrics.BinaryAccuracy)  # the class
    assert metrics.deserialize("log_cosh") is metrics.log_cosh  # no class has that name
    assert isinstance(metrics.deserialize("mse"), metrics.MeanSquaredError)


SHAPES = [
    ((32,), (32, 1)), ((32, 1), (32, 1)), ((32,), (32, 10)), ((32, 1), (32, 10)),
    ((32, 10), (32, 10)), ((32, 5), (32, 5, 10)), ((32, 5, 1), (32, 5, 10)), ((32, 5), (32, 5)),
    ((32,), (32,)),
]


@pytest.mark.parametrize("identifier", ["accuracy", "acc"])
@pytest.mark.parametrize("y_true_shape,y_pred_shape", SHAPES, ids=str)
def test_resolve_accuracy_matches_keras_compile(y_true_shape, y_pred_shape, identifier):
    theirs = keras_get_metric(identifier, np.zeros(y_true_shape), np.zeros(y_pred_shape))
    for loss in (None, "mse", "binary_crossentropy"):  # Keras 3 decides on shapes alone
        ours = metrics.resolve_accuracy(loss, y_true_shape, y_pred_shape, name=identifier)
        assert type(ours).__name__ == type(theirs).__name__
        assert ours.name == theirs.name == identifier


@pytest.mark.parametrize("loss,expected", [
    ("binary_crossentropy", "BinaryAccuracy"), ("bce", "BinaryAccuracy"),
    ("BinaryCrossentropy", "BinaryAccuracy"), (losses.binary_crossentropy, "BinaryAccuracy"),
    (losses.BinaryCrossentropy(from_logits=True), "BinaryAccuracy"),
    (keras.losses.BinaryFocalCrossentropy(), "BinaryAccuracy"),
    ("sparse_categorical_crossentropy", "SparseCategoricalAccuracy"),
    (losses.SparseCategoricalCrossentropy(), "SparseCategoricalAccuracy"),
    (keras.losses.SparseCategoricalCrossentropy, "SparseCategoricalAccuracy"),
    ("categorical_crossentropy", "CategoricalAccuracy"),
    (losses.categorical_crossentropy, "CategoricalAccuracy"),
    (keras.losses.CategoricalCrossentropy(), "CategoricalAccuracy"),
])
def test_resolve_accuracy_from_the_loss(loss, expected):
    resolved = metrics.resolve_accuracy(loss)
    assert type(resolved).__name__ == expected and resolved.name == "accuracy"


def test_resolve_accuracy_errors():
    with pytest.raises(ValueError, match="the loss 'mean_squared_error' does not say which "
                                         "accuracy 'acc' means; pass y_true_shape and "
                                         "y_pred_shape"):
        metrics.resolve_accuracy("mean_squared_error", name="acc")
    with pytest.raises(ValueError, match="without a loss or the y_true/y_pred shapes"):
        metrics.resolve_accuracy()
    with pytest.raises(ValueError, match="give both y_true_shape and y_pred_shape or neither"):
        metrics.resolve_accuracy("mse", y_pred_shape=(3, 2))
