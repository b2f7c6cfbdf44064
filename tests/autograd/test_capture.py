"""Tracing a computation and replaying it: the replay equals the eager run bit for bit, and what
cannot be replayed safely is refused."""

import numpy as np
import pytest

from scratchdl import Function, Parameter, Tensor, ops
from scratchdl.autograd.capture import CapturedGraph, NotCapturable, ReplayMismatch, Tracer

RNG = np.random.default_rng(0)


def _params() -> dict[str, Parameter]:
    return {
        "kernel": Parameter(RNG.standard_normal((5, 4)).astype(np.float32)),
        "bias": Parameter(RNG.standard_normal(4).astype(np.float32)),
        "scale": Parameter(RNG.standard_normal(4).astype(np.float32)),
    }


def _computation(x, labels, p):
    """Shared inputs, broadcasting, a parameter used twice, an op that records no graph (the
    cast of the data), an op with two outputs and a result the loss does not use."""
    hidden = ops.matmul(ops.cast(x, "float32"), p["kernel"]) + p["bias"]
    left, right = ops.split(ops.tanh(hidden), 2, axis=1)
    mixed = ops.concatenate([left * right, right * right], axis=1) * p["scale"] + p["bias"]
    logits = mixed * mixed + hidden
    loss = ops.mean(ops.softmax_cross_entropy(logits, labels))
    return logits, ops.max(hidden), loss


def _eager(x, labels, p):
    for parameter in p.values():
        parameter.grad = None
    logits, peak, loss = _computation(Tensor(x), Tensor(labels), p)
    loss.backward()
    return logits.data, peak.data, loss.data, {k: v.grad for k, v in p.items()}


def _trace(x, labels, p) -> CapturedGraph:
    x_in, labels_in = Tensor(x), Tensor(labels)
    with Tracer() as tracer:
        logits, peak, loss = _computation(x_in, labels_in, p)
    return CapturedGraph(tracer, {"x": x_in, "labels": labels_in},
                         {"logits": logits, "peak": peak, "loss": loss}, loss="loss")


def _batch(seed: int):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((6, 5)), rng.integers(0, 4, 6)


def test_replay_equals_the_eager_run_bit_for_bit():
    p = _params()
    graph = _trace(*_batch(0), p)
    for seed in (1, 2, 3):
        x, labels = _batch(seed)
        logits, peak, loss, grads = _eager(x, labels, p)
        for parameter in p.values():
            parameter.grad = None
        out = graph.run({"x": x, "labels": labels})
        np.testing.assert_array_equal(out["logits"], logits)
        np.testing.assert_array_equal(out["peak"], peak)
        np.testing.assert_array_equal(out["loss"], loss)
        for name, parameter in p.items():
            assert parameter.grad.dtype == grads[name].dtype
            np.testing.assert_array_equal(parameter.grad, grads[name])


def test_replay_accumulates_into_existing_gradients_as_backward_does():
    p = _params()
    x, labels = _batch(4)
    graph = _trace(x, labels, p)
    _, _, _, first = _eager(x, labels, p)
    for parameter in p.values():
        parameter.grad = np.ones_like(parameter.data)
    graph.run({"x": x, "labels": labels})
    for name, parameter in p.items():
        np.testing.assert_array_equal(parameter.grad, np.ones_like(first[name]) + first[name])


def test_replay_reads_the_parameters_current_values():
    p = _params()
    x, labels = _batch(5)
    graph = _trace(x, labels, p)
    p["kernel"].data = p["kernel"].data * 2  # a new array, as set_weights may give
    p["bias"].data += 1  # in place, as an optimizer does
    _, _, loss, _ = _eager(x, labels, p)
    np.testing.assert_array_equal(graph.run({"x": x, "labels": labels})["loss"], loss)


def test_the_backward_order_is_the_engines():
    p = _params()
    graph = _trace(*_batch(0), p)
    names = [graph.nodes[index].cls.__name__ for index in graph.order]
    assert names[:2] == ["Mean", "SoftmaxCrossEntropy"]
    assert names[-1] == "MatMul" and "Cast" not in names  # the cast recorded no graph


def test_an_array_made_outside_the_traced_ops_is_refused():
    p = _params()
    x = Tensor(RNG.standard_normal((6, 5)).astype(np.float32))
    mask = RNG.random((6, 4)) > 0.5  # as a dropout mask: new at every call
    with Tracer() as tracer:
        loss = ops.sum(ops.matmul(x, p["kernel"]) * mask)
    with pytest.raises(NotCapturable, match="array of shape \\(6, 4\\)"):
        CapturedGraph(tracer, {"x": x}, {"loss": loss}, loss="loss")


def test_a_tensor_made_outside_the_traced_ops_is_refused():
    p = _params()
    x = Tensor(RNG.standard_normal((6, 5)).astype(np.float32))
    offset = Tensor(np.ones(4, dtype=np.float32))
    with Tracer() as tracer:
        loss = ops.sum(ops.matmul(x, p["kernel"]) + offset)
    with pytest.raises(NotCapturable, match="tensor made outside"):
        CapturedGraph(tracer, {"x": x}, {"loss": loss}, loss="loss")


class _Shift(Function):
    def __init__(self, offset):
        self.offset = offset

    def forward(self, x):
        return x + self.offset

    def backward(self, grad):
        return grad


def test_a_function_keeping_an_array_is_refused_and_plain_state_is_copied():
    x = Tensor(np.ones(3, dtype=np.float32))
    with Tracer() as tracer:
        _Shift(np.ones(3, dtype=np.float32))(x)
    with pytest.raises(NotCapturable, match="keeps offset=ndarray"):
        CapturedGraph(tracer, {"x": x}, {})
    with Tracer() as tracer:
        y = _Shift([1.0, 2.0, 3.0])(x)
    graph = CapturedGraph(tracer, {"x": x}, {"y": y})
    assert graph.nodes[0].copy_state  # a list: each replay gets its own copy
    np.testing.assert_array_equal(graph.run({"x": np.zeros(3, np.float32)})["y"], [1, 2, 3])


def test_a_gradient_into_a_non_parameter_leaf_is_refused():
    leaf = Tensor(np.ones(3, dtype=np.float32), requires_grad=True)  # data that wants a gradient
    with Tracer() as tracer:
        loss = ops.sum(leaf * 2.0)
    with pytest.raises(NotCapturable, match="not into a Parameter"):
        CapturedGraph(tracer, {"x": leaf}, {"loss": loss}, loss="loss")


def test_a_loss_from_outside_the_trace_is_refused():
    weight = Parameter(np.ones(3, dtype=np.float32))
    outside = ops.sum(weight * 2.0)
    x = Tensor(np.zeros(1, dtype=np.float32))
    with Tracer() as tracer:
        inside = ops.exp(x)
    with pytest.raises(NotCapturable, match="the output 'loss' does not come"):
        CapturedGraph(tracer, {"x": x}, {"loss": outside, "inside": inside}, loss="loss")


class _KeepPositive(Function):
    """x[x > 0]: an op whose output shape depends on the values."""

    def forward(self, x):
        self.shape, self.mask = x.shape, x > 0
        return x[self.mask]

    def backward(self, grad):
        full = np.zeros(self.shape, dtype=grad.dtype)
        full[self.mask] = grad
        return full


def test_a_shape_that_depends_on_the_values_stops_the_replay_before_any_gradient():
    weight = Parameter(np.arange(1, 5, dtype=np.float32))
    x = Tensor(np.array([1.0, -1.0, 2.0, -2.0], dtype=np.float32))
    with Tracer() as tracer:
        loss = ops.sum(_KeepPositive()(weight * x))
    graph = CapturedGraph(tracer, {"x": x}, {"loss": loss}, loss="loss")
    weight.grad = None
    graph.run({"x": -x.data})  # two positives again: replays
    np.testing.assert_array_equal(weight.grad, [0, 1, 0, 2])
    weight.grad = None
    with pytest.raises(ReplayMismatch, match="shape"):
        graph.run({"x": np.ones(4, dtype=np.float32)})
    assert weight.grad is None


def test_tracers_do_not_nest_and_record_every_call():
    with Tracer() as tracer:
        with pytest.raises(RuntimeError, match="do not nest"):
            with Tracer():
                pass
        ops.exp(Tensor([1.0]))  # no graph recorded, still traced
    assert [type(call.function).__name__ for call in tracer.calls] == ["Exp"]
    ops.exp(Tensor([1.0]))  # after the trace: not recorded
    assert len(tracer.calls) == 1


def test_only_the_tracing_threads_calls_are_recorded():
    import threading

    x = Tensor(np.ones(3, dtype=np.float32))
    with Tracer() as tracer:
        worker = threading.Thread(target=lambda: ops.exp(x))
        worker.start()
        worker.join()
        ops.tanh(x)
    assert [type(call.function).__name__ for call in tracer.calls] == ["Tanh"]
    assert not Tracer.active()


class _SlottedDouble(Function):
    __slots__ = ("inputs", "needs_input_grad", "generation", "saved", "output_meta")

    def forward(self, x):
        return x * 2

    def backward(self, grad):
        return grad * 2


def test_a_function_with_slots_is_traced_but_not_replayable():
    x = Tensor(np.ones(3, dtype=np.float32))
    with Tracer() as tracer:
        y = _SlottedDouble()(x)
    np.testing.assert_array_equal(y.data, [2, 2, 2])
    with pytest.raises(NotCapturable, match="__slots__"):
        CapturedGraph(tracer, {"x": x}, {"y": y})
