"""The Metric base class: state variables, __call__, names, configs, inputs, no autograd graph."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Parameter, Tensor, metrics
from scratchdl.metrics.base import Metric


class CountPositive(Metric):
    """A minimal metric: the number of positive values seen."""

    def __init__(self, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.positives = self.add_variable(shape=(), initializer="zeros", name="positives")

    def update_state(self, values, sample_weight=None):
        self.positives.assign_add(np.sum(np.asarray(values) > 0))

    def result(self):
        return np.array(self.positives.data)


def test_subclass_protocol():
    m = CountPositive()
    assert m.name == "count_positive" or m.name.startswith("count_positive_")
    assert m.dtype == "float32"
    assert float(m([1.0, -2.0, 3.0])) == 2.0  # __call__ updates then returns result()
    assert float(m([5.0])) == 3.0
    m.reset_state()
    assert float(m.result()) == 0.0
    assert repr(m) == f"<CountPositive name={m.name}>"
    assert m.get_config() == {"name": m.name, "dtype": "float32"}
    assert CountPositive.from_config(m.get_config()).name == m.name


def test_auto_names_are_unique():
    first, second = CountPositive(), CountPositive()
    assert first.name != second.name
    assert second.name.startswith("count_positive_")
    assert metrics.Precision().name.startswith("precision")


def test_variables_are_non_trainable_parameters():
    m = metrics.AUC(num_thresholds=5)
    assert [v.name for v in m.variables] == ["true_positives", "false_positives",
                                              "true_negatives", "false_negatives"]
    for variable in m.variables:
        assert isinstance(variable, Parameter)
        assert not variable.trainable and not variable.requires_grad
        assert variable.shape == (5,) and variable.dtype == np.float32
        assert variable.path == f"{m.name}/{variable.name}"
    assert metrics.Mean(dtype="float64").total.dtype == np.float64
    assert metrics.MeanIoU(3).total_cm.dtype == np.int32  # Keras's integer default


def test_initializers_and_errors():
    m = CountPositive()
    assert np.all(m.add_variable((2,), "ones").data == 1)
    assert np.all(m.add_variable((2, 2), 3.5, dtype="float64").data == 3.5)
    assert np.all(m.add_variable((3,), lambda shape, dtype: np.arange(3)).data == [0, 1, 2])
    assert m.add_weight((4,), name="w").shape == (4,)
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        m.add_variable((2,), "glorot")
    with pytest.raises(ValueError, match=r"initializer returned shape \(2,\), expected \(3,\)"):
        m.add_variable((3,), lambda shape, dtype: np.zeros(2))

    class Forgot(Metric):
        def __init__(self):
            self.v = self.add_variable((), "zeros")
    with pytest.raises(RuntimeError, match=r"Forgot: call super\(\).__init__\(\) in __init__"):
        Forgot()
    with pytest.raises(NotImplementedError, match="Metric does not implement update_state"):
        Metric().update_state(1)
    with pytest.raises(ValueError, match="Metric: unknown dtype 'float99'"):
        Metric(dtype="float99")


def test_tensor_inputs_record_no_graph():
    y_true = Tensor(np.array([[0.0, 1.0], [1.0, 0.0]], dtype=np.float32))
    y_pred = Tensor(np.array([[0.2, 0.8], [0.3, 0.7]], dtype=np.float32), requires_grad=True)
    for metric in (metrics.CategoricalAccuracy(), metrics.AUC(), metrics.MeanSquaredError(),
                   metrics.F1Score(), metrics.CategoricalCrossentropy()):
        result = metric(y_true, y_pred)
        assert isinstance(result, np.ndarray)
        assert np.isfinite(result).all()
    assert y_pred.grad is None and y_pred.creator is None
    np.testing.assert_allclose(metrics.CategoricalAccuracy()(y_true, y_pred), 0.5)


def test_result_is_a_copy_of_the_state():
    m = metrics.Sum()
    m.update_state([1.0, 2.0])
    first = m.result()
    m.update_state([4.0])
    assert float(first) == 3.0 and float(m.result()) == 7.0


def test_lists_and_integer_inputs():
    assert float(metrics.Accuracy()([1, 2, 3], [1, 2, 4])) == pytest.approx(2 / 3)
    assert float(metrics.MeanAbsoluteError()([[1, 2]], [[2, 4]])) == 1.5
