"""Per-sample loss ops through the op harness (PyTorch and NumPy references), plus edge cases.

PyTorch references: ``F.cross_entropy(reduction='none', label_smoothing=...)`` with the class axis
moved to dim 1, ``F.binary_cross_entropy_with_logits``, ``F.mse_loss``/``l1_loss``/``huber_loss``
with ``reduction='none'`` then a mean over the axis. The Keras-clipping cross-entropies and the
KL divergence use NumPy references and PyTorch written out with ``clamp``.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from hypothesis import given, settings
from hypothesis import strategies as st

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests, run_all_checks

EPS = 1e-7


# ------------------------------------------------------------------------------- references
def _moved(x, axis):
    return x if x.ndim == 1 else torch.movedim(x, axis, 1)


def torch_softmax_ce(logits, targets, axis=-1, label_smoothing=0.0):
    if targets.dtype.is_floating_point:
        targets = _moved(targets, axis)
    loss = F.cross_entropy(_moved(logits, axis), targets, reduction="none",
                           label_smoothing=label_smoothing)
    return loss


def _np_dense(targets, shape, axis, label_smoothing, dtype=np.float64):
    k = shape[axis]
    if targets.dtype.kind in "iu":
        dense = np.moveaxis(np.eye(k)[targets], -1, axis)
    else:
        dense = targets
    return dense * (1 - label_smoothing) + label_smoothing / k


def np_softmax_ce(logits, targets, axis=-1, label_smoothing=0.0):
    shifted = logits - logits.max(axis=axis, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    return -(_np_dense(targets, logits.shape, axis, label_smoothing) * log_probs).sum(axis=axis)


def np_categorical_ce(p, targets, axis=-1, label_smoothing=0.0):
    q = np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS)
    return -(_np_dense(targets, p.shape, axis, label_smoothing) * np.log(q)).sum(axis=axis)


def torch_categorical_ce(p, targets, axis=-1, label_smoothing=0.0):
    k = p.shape[axis]
    if not targets.dtype.is_floating_point:
        targets = torch.movedim(F.one_hot(targets, k).to(p.dtype), -1, axis)
    targets = targets * (1 - label_smoothing) + label_smoothing / k
    q = torch.clamp(p / p.sum(dim=axis, keepdim=True), EPS, 1 - EPS)
    return -(targets * torch.log(q)).sum(dim=axis)


def np_bce_logits(x, t):
    return np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))


def torch_bce_logits(x, t):
    return F.binary_cross_entropy_with_logits(x, t.expand_as(x) if t.shape != x.shape else t,
                                              reduction="none")


def np_bce(p, t):
    c = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(c) + (1 - t) * np.log(1 - c))


def torch_bce(p, t):
    c = torch.clamp(p, EPS, 1 - EPS)
    return -(t * torch.log(c) + (1 - t) * torch.log(1 - c))


def np_mse(p, t, axis=-1):
    return ((p - t) ** 2).mean(axis=axis)


def np_mae(p, t, axis=-1):
    return np.abs(p - t).mean(axis=axis)


def np_huber(p, t, delta=1.0, axis=-1):
    d = np.abs(p - t)
    return np.where(d <= delta, 0.5 * d * d, delta * d - 0.5 * delta * delta).mean(axis=axis)


def torch_mse(p, t, axis=-1):
    out = F.mse_loss(p, t.expand_as(p), reduction="none")
    return out.mean() if axis is None else out.mean(dim=axis)


def torch_mae(p, t, axis=-1):
    out = F.l1_loss(p, t.expand_as(p), reduction="none")
    return out.mean() if axis is None else out.mean(dim=axis)


def torch_huber(p, t, delta=1.0, axis=-1):
    out = F.huber_loss(p, t.expand_as(p), reduction="none", delta=delta)
    return out.mean() if axis is None else out.mean(dim=axis)


def np_kld(p, t, axis=-1):
    pc, tc = np.clip(p, EPS, 1), np.clip(t, EPS, 1)
    return (tc * np.log(tc / pc)).sum(axis=axis)


def torch_kld(p, t, axis=-1):
    pc, tc = torch.clamp(p, EPS, 1), torch.clamp(t, EPS, 1)
    return (tc * torch.log(tc / pc)).sum(dim=axis)


# ------------------------------------------------------------------------------- input makers
def _logits_and_probs(shape, axis, low=-3.0, high=3.0):
    def make(rng):
        logits = rng.uniform(low, high, size=shape)
        probs = np.moveaxis(rng.dirichlet(np.ones(shape[axis]), size=tuple(np.delete(shape, axis % len(shape)))),
                            -1, axis)
        return [logits, probs]
    return make


def _probs_and_probs(shape, axis):
    def make(rng):
        p = rng.uniform(0.05, 1.0, size=shape)  # renormalized by the op, never clipped
        t = np.moveaxis(rng.dirichlet(np.ones(shape[axis]), size=tuple(np.delete(shape, axis % len(shape)))),
                        -1, axis)
        return [p, t]
    return make


def _away_from_kinks(shape, target_shape=None, kinks=(0.0,), margin=0.05):
    """Predictions and targets whose difference stays ``margin`` away from the kinks."""
    def make(rng):
        t = rng.uniform(-2.0, 2.0, size=target_shape or shape)
        d = rng.uniform(0.0, 3.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
        for k in kinks:
            close = np.abs(np.abs(d) - k) < margin
            d = np.where(close, np.sign(d) * (k + 2 * margin), d)
        d = np.where(d == 0, 2 * margin, d)
        return [t + d, t]
    return make


def _extreme_logits(shape, classes_axis=-1):
    def make(rng):
        logits = rng.choice([-1000.0, 1000.0], size=shape) + rng.uniform(-1, 1, size=shape)
        k = shape[classes_axis]
        target_shape = tuple(np.delete(shape, classes_axis % len(shape)))
        return [logits, rng.integers(0, k, size=target_shape)]
    return make


# ------------------------------------------------------------------------------- cases
CASES = [
    # softmax cross-entropy, class indices
    OpCase("sce_sparse(5,4)", ops.softmax_cross_entropy, [Arg((5, 4), -3, 3), Arg((5,), 0, 4, kind="int")],
           numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_sparse(7,)", ops.softmax_cross_entropy, [Arg((7,), -3, 3), Arg((), 0, 7, kind="int")],
           numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_sparse(2,3,5)axis-1", ops.softmax_cross_entropy,
           [Arg((2, 3, 5), -3, 3), Arg((2, 3), 0, 5, kind="int")],
           numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_sparse(2,5,3)axis1", ops.softmax_cross_entropy,
           [Arg((2, 5, 3), -3, 3), Arg((2, 3), 0, 5, kind="int")], kwargs={"axis": 1},
           numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_sparse_axis0", ops.softmax_cross_entropy, [Arg((4, 3), -3, 3), Arg((3,), 0, 4, kind="int")],
           kwargs={"axis": 0}, numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_sparse_smooth", ops.softmax_cross_entropy, [Arg((6, 5), -3, 3), Arg((6,), 0, 5, kind="int")],
           kwargs={"label_smoothing": 0.1}, numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_sparse_smooth_axis1", ops.softmax_cross_entropy,
           [Arg((2, 4, 3), -3, 3), Arg((2, 3), 0, 4, kind="int")],
           kwargs={"axis": 1, "label_smoothing": 0.3}, numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_sparse_extreme", ops.softmax_cross_entropy, [], make_inputs=_extreme_logits((6, 4)),
           numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    # softmax cross-entropy, probability targets (their gradient is checked too)
    OpCase("sce_probs(5,4)", ops.softmax_cross_entropy, [], make_inputs=_logits_and_probs((5, 4), -1),
           numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_probs(3,4,2)axis1", ops.softmax_cross_entropy, [], kwargs={"axis": 1},
           make_inputs=_logits_and_probs((3, 4, 2), 1), numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_probs_smooth", ops.softmax_cross_entropy, [], kwargs={"label_smoothing": 0.2},
           make_inputs=_logits_and_probs((4, 6), -1), numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    OpCase("sce_probs_extreme", ops.softmax_cross_entropy, [],
           make_inputs=_logits_and_probs((4, 3), -1, -1000.0, 1000.0),
           numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce),
    # categorical cross-entropy from probabilities (Keras semantics)
    OpCase("cce_probs(5,4)", ops.categorical_cross_entropy, [], make_inputs=_probs_and_probs((5, 4), -1),
           numpy_fn=np_categorical_ce, torch_fn=torch_categorical_ce),
    OpCase("cce_probs_axis0", ops.categorical_cross_entropy, [], kwargs={"axis": 0},
           make_inputs=_probs_and_probs((4, 3), 0), numpy_fn=np_categorical_ce, torch_fn=torch_categorical_ce),
    OpCase("cce_probs_smooth", ops.categorical_cross_entropy, [], kwargs={"label_smoothing": 0.15},
           make_inputs=_probs_and_probs((3, 5), -1), numpy_fn=np_categorical_ce, torch_fn=torch_categorical_ce),
    OpCase("cce_sparse(5,4)", ops.categorical_cross_entropy,
           [Arg((5, 4), 0.05, 1.0), Arg((5,), 0, 4, kind="int")],
           numpy_fn=np_categorical_ce, torch_fn=torch_categorical_ce),
    OpCase("cce_sparse_axis1_smooth", ops.categorical_cross_entropy,
           [Arg((2, 4, 3), 0.05, 1.0), Arg((2, 3), 0, 4, kind="int")],
           kwargs={"axis": 1, "label_smoothing": 0.1}, numpy_fn=np_categorical_ce,
           torch_fn=torch_categorical_ce),
    # binary cross-entropy
    OpCase("bce_logits(4,3)", ops.binary_cross_entropy_with_logits, [Arg((4, 3), -4, 4), Arg((4, 3), 0, 1)],
           numpy_fn=np_bce_logits, torch_fn=torch_bce_logits),
    OpCase("bce_logits_int_targets", ops.binary_cross_entropy_with_logits,
           [Arg((6,), -4, 4), Arg((6,), 0, 2, kind="int")],
           numpy_fn=np_bce_logits, torch_fn=lambda x, t: F.binary_cross_entropy_with_logits(
               x, t.to(x.dtype), reduction="none")),
    OpCase("bce_logits_broadcast_targets", ops.binary_cross_entropy_with_logits,
           [Arg((3, 4), -4, 4), Arg((4,), 0, 1)], numpy_fn=np_bce_logits, torch_fn=torch_bce_logits),
    OpCase("bce_logits_extreme", ops.binary_cross_entropy_with_logits, [],
           make_inputs=lambda rng: [rng.choice([-1000.0, 1000.0], size=(3, 4)) + rng.uniform(-1, 1, (3, 4)),
                                    rng.uniform(0, 1, (3, 4))],
           numpy_fn=np_bce_logits, torch_fn=torch_bce_logits),
    OpCase("bce(4,3)", ops.binary_cross_entropy, [Arg((4, 3), 0.02, 0.98), Arg((4, 3), 0, 1)],
           numpy_fn=np_bce, torch_fn=torch_bce),
    OpCase("bce(7,)", ops.binary_cross_entropy, [Arg((7,), 0.02, 0.98), Arg((7,), 0, 1)],
           numpy_fn=np_bce, torch_fn=torch_bce),
    # regression losses
    OpCase("mse(4,3)", ops.mean_squared_error, [Arg((4, 3), -2, 2), Arg((4, 3), -2, 2)],
           numpy_fn=np_mse, torch_fn=torch_mse),
    OpCase("mse(5,)", ops.mean_squared_error, [Arg((5,), -2, 2), Arg((5,), -2, 2)],
           numpy_fn=np_mse, torch_fn=torch_mse),
    OpCase("mse_axis1", ops.mean_squared_error, [Arg((2, 3, 4), -2, 2), Arg((2, 3, 4), -2, 2)],
           kwargs={"axis": 1}, numpy_fn=np_mse, torch_fn=torch_mse),
    OpCase("mse_axes(1,2)", ops.mean_squared_error, [Arg((2, 3, 4), -2, 2), Arg((2, 3, 4), -2, 2)],
           kwargs={"axis": (1, 2)}, numpy_fn=np_mse, torch_fn=torch_mse),
    OpCase("mse_axis_none", ops.mean_squared_error, [Arg((3, 4), -2, 2), Arg((3, 4), -2, 2)],
           kwargs={"axis": None}, numpy_fn=np_mse, torch_fn=torch_mse),
    OpCase("mse_broadcast_targets", ops.mean_squared_error, [Arg((3, 4), -2, 2), Arg((4,), -2, 2)],
           numpy_fn=np_mse, torch_fn=torch_mse),
    OpCase("mae(4,3)", ops.mean_absolute_error, [], make_inputs=_away_from_kinks((4, 3)),
           numpy_fn=np_mae, torch_fn=torch_mae),
    OpCase("mae_axis0", ops.mean_absolute_error, [], kwargs={"axis": 0},
           make_inputs=_away_from_kinks((5, 2)), numpy_fn=np_mae, torch_fn=torch_mae),
    OpCase("huber(4,5)", ops.huber, [], make_inputs=_away_from_kinks((4, 5), kinks=(1.0,)),
           numpy_fn=np_huber, torch_fn=torch_huber),
    OpCase("huber_delta0.5_axis0", ops.huber, [], kwargs={"delta": 0.5, "axis": 0},
           make_inputs=_away_from_kinks((3, 4), kinks=(0.5,)), numpy_fn=np_huber, torch_fn=torch_huber),
    OpCase("huber_delta2.5", ops.huber, [], kwargs={"delta": 2.5},
           make_inputs=_away_from_kinks((6, 3), kinks=(2.5,)), numpy_fn=np_huber, torch_fn=torch_huber),
    # KL divergence (Keras clipping)
    OpCase("kld(4,3)", ops.kl_divergence, [], make_inputs=_probs_and_probs((4, 3), -1),
           numpy_fn=np_kld, torch_fn=torch_kld),
    OpCase("kld_axis0", ops.kl_divergence, [], kwargs={"axis": 0}, make_inputs=_probs_and_probs((3, 5), 0),
           numpy_fn=np_kld, torch_fn=torch_kld),
]

test_loss = op_tests(CASES)


@settings(max_examples=15, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4), data=st.data())
def test_cross_entropy_and_mse_on_generated_shapes(shape, data):
    shape = tuple(shape)
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    smoothing = data.draw(st.sampled_from([0.0, 0.1]))
    target_shape = tuple(np.delete(shape, axis % len(shape)))
    run_all_checks(OpCase(f"sce_gen{shape}{axis}", ops.softmax_cross_entropy,
                          [Arg(shape, -3, 3), Arg(target_shape, 0, shape[axis], kind="int")],
                          kwargs={"axis": axis, "label_smoothing": smoothing},
                          numpy_fn=np_softmax_ce, torch_fn=torch_softmax_ce))
    run_all_checks(OpCase(f"mse_gen{shape}{axis}", ops.mean_squared_error,
                          [Arg(shape, -2, 2), Arg(shape, -2, 2)], kwargs={"axis": axis},
                          numpy_fn=np_mse, torch_fn=torch_mse))


# ------------------------------------------------------------------------------- edge cases
def _grads(fn, *arrays):
    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    fn(*tensors).sum().backward()
    return [t.grad for t in tensors]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_extreme_logits_stay_finite_with_exact_gradients(dtype):
    logits = np.array([[1000.0, -1000.0, 0.0], [-1000.0, 1000.0, 999.0]], dtype=dtype)
    labels = np.array([1, 2])
    x = Tensor(logits, requires_grad=True)
    loss = ops.softmax_cross_entropy(x, labels)
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.data, [2000.0, 1.0 + np.log1p(np.exp(-1.0))], rtol=1e-6)
    loss.sum().backward()
    softmax_row2 = np.exp([-2000.0, 0.0, -1.0]) / np.exp([-2000.0, 0.0, -1.0]).sum()
    expected = np.array([[1.0, -1.0, 0.0], softmax_row2 - [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(x.grad, expected, atol=1e-6)

    z = Tensor(np.array([1000.0, -1000.0, 0.0], dtype=dtype), requires_grad=True)
    bce = ops.binary_cross_entropy_with_logits(z, np.array([0.0, 0.0, 1.0]))
    np.testing.assert_allclose(bce.data, [1000.0, 0.0, np.log(2.0)], rtol=1e-6)
    bce.sum().backward()
    np.testing.assert_allclose(z.grad, [1.0, 0.0, -0.5], atol=1e-6)


def test_label_smoothing_matches_keras_formula_for_indices_and_one_hot():
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(4, 5))
    labels = np.array([0, 4, 2, 2])
    one_hot = np.eye(5)[labels]
    a = ops.softmax_cross_entropy(Tensor(logits), labels, label_smoothing=0.2).data
    b = ops.softmax_cross_entropy(Tensor(logits), one_hot, label_smoothing=0.2).data
    c = ops.softmax_cross_entropy(Tensor(logits), one_hot * 0.8 + 0.2 / 5).data
    np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(a, c, rtol=1e-12)


def test_fused_softmax_ce_gradient_is_softmax_minus_target():
    rng = np.random.default_rng(4)
    logits = rng.normal(size=(3, 4))
    labels = np.array([1, 0, 3])
    (grad,) = _grads(lambda x: ops.softmax_cross_entropy(x, labels, label_smoothing=0.1), logits)
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(grad, softmax - (np.eye(4)[labels] * 0.9 + 0.1 / 4), rtol=1e-12)


def _take_along_reference(logits, indices, axis, weights):
    """The class-index loss and gradient written with take_along_axis, in float64."""
    logits = logits.astype(np.float64)
    shifted = logits - logits.max(axis=axis, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
    picked = np.expand_dims(indices, axis)
    loss = -np.take_along_axis(log_probs, picked, axis=axis).squeeze(axis)
    grad = np.exp(log_probs)
    np.put_along_axis(grad, picked, np.take_along_axis(grad, picked, axis=axis) - 1, axis=axis)
    return loss, grad * np.expand_dims(weights, axis)


def _layouts():
    """(name, logits, axis): contiguous, transposed, sliced and N-D logits, and empty batches."""
    rng = np.random.default_rng(5)
    wide = rng.standard_normal((9, 16)) * 4
    return [
        ("2d", rng.standard_normal((128, 10)) * 4, -1),
        ("many classes", rng.standard_normal((6, 40)) * 4, -1),
        ("1d", rng.standard_normal(7) * 4, 0),
        ("transposed", wide.T, -1),                      # F-ordered
        ("transposed axis0", wide.T, 0),
        ("sliced", wide[::2, 1::3], -1),                 # strided view
        ("3d last", rng.standard_normal((4, 5, 6)) * 4, -1),
        ("3d middle", rng.standard_normal((4, 5, 6)) * 4, 1),
        ("4d first", rng.standard_normal((3, 2, 4, 5)) * 4, 0),
        ("4d moved", np.moveaxis(rng.standard_normal((3, 2, 4, 5)) * 4, 0, 2), 2),
        ("one class", rng.standard_normal((6, 1)) * 4, -1),
        ("empty batch", np.zeros((0, 5)), -1),
        ("empty inner", np.zeros((3, 4, 0)), 1),
    ]


@pytest.mark.parametrize("name, logits_np, axis", _layouts(), ids=[c[0] for c in _layouts()])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("index_dtype", ["int64", "int32", "uint8"])
def test_softmax_ce_flat_index_path_on_any_layout(name, logits_np, axis, dtype, index_dtype):
    """The index path (flat positions in C-contiguous log-probabilities) on every layout equals
    the dense one-hot path and a take_along_axis reference, in the logits' dtype."""
    rng = np.random.default_rng(6)
    logits_np = logits_np.astype(dtype, copy=False)  # keeps the transposed/sliced layouts
    classes = logits_np.shape[axis]
    indices = rng.integers(0, classes, np.delete(np.array(logits_np.shape), axis % logits_np.ndim))
    indices = indices.astype(index_dtype)
    one_hot = np.moveaxis(np.eye(classes, dtype=dtype)[indices], -1, axis)
    weights = rng.standard_normal(indices.shape).astype(dtype)
    results = []
    for targets in (indices, one_hot):
        logits = Tensor(logits_np, requires_grad=True)
        loss = ops.softmax_cross_entropy(logits, targets, axis=axis)
        (loss * weights).sum().backward()
        assert loss.shape == indices.shape and logits.grad.shape == logits_np.shape
        assert loss.dtype == logits.grad.dtype == np.dtype(dtype)
        results.append((loss.numpy(), logits.grad))
    tolerance = 2e-6 if dtype == "float32" else 1e-13
    for loss, grad in results[1:] + [_take_along_reference(logits_np, indices, axis, weights)]:
        np.testing.assert_allclose(results[0][0], loss, rtol=tolerance, atol=tolerance)
        np.testing.assert_allclose(results[0][1], grad, rtol=tolerance, atol=tolerance)


def test_softmax_ce_index_path_keeps_nan_and_inf_as_take_along_axis():
    """NaN rows stay NaN, -inf logits get zero probability: as the take_along_axis reference
    (the dense path differs only where it multiplies 0 by -inf)."""
    logits = np.array([[np.nan, 0.0, 1.0], [np.inf, 0.0, 1.0], [-np.inf, 0.0, 1.0],
                       [-np.inf, -np.inf, -np.inf]])
    labels = np.array([1, 0, 2, 1])
    weights = np.ones(4)
    with np.errstate(all="ignore"):
        x = Tensor(logits, requires_grad=True)
        loss = ops.softmax_cross_entropy(x, labels)
        loss.sum().backward()
        expected_loss, expected_grad = _take_along_reference(logits, labels, -1, weights)
    np.testing.assert_allclose(loss.numpy(), expected_loss, rtol=1e-15)  # NaN where it has NaN
    np.testing.assert_allclose(x.grad, expected_grad, rtol=1e-15)
    assert np.isfinite(loss.numpy()[2]) and np.isfinite(x.grad[2]).all()


def test_clipped_probabilities_get_zero_gradient_like_keras_and_torch():
    p = np.array([[0.0, 0.3, 0.7], [1e-9, 0.5, 0.5]])
    t = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    x = Tensor(p, requires_grad=True)
    out = ops.categorical_cross_entropy(x, t)
    assert np.all(np.isfinite(out.data))
    np.testing.assert_allclose(out.data[0], -np.log(EPS), rtol=1e-12)
    out.sum().backward()
    tp = torch.tensor(p, requires_grad=True)
    torch_categorical_ce(tp, torch.tensor(t)).sum().backward()
    np.testing.assert_allclose(x.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-12)
    assert np.all(np.isfinite(x.grad))

    q = np.array([0.0, 1e-9, 0.5, 1.0, 1.0 - 1e-9])
    y = np.array([1.0, 0.0, 1.0, 0.0, 1.0])
    x = Tensor(q, requires_grad=True)
    out = ops.binary_cross_entropy(x, y)
    np.testing.assert_allclose(out.data, np_bce(q, y), rtol=1e-8)  # we use log1p(-p)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad[[0, 1, 3, 4]], 0.0)  # clipped: no gradient (Keras/TF)
    np.testing.assert_allclose(x.grad[2], -2.0, rtol=1e-12)


def test_kld_clips_both_sides():
    p = np.array([[0.0, 0.5, 0.5]])
    t = np.array([[0.0, 1.0, 0.0]])
    out = ops.kl_divergence(Tensor(p), t)
    np.testing.assert_allclose(out.data, np_kld(p, t), rtol=1e-12)
    assert np.isfinite(out.data).all()


def test_float32_logits_with_float64_targets_stay_float32():
    logits = Tensor(np.zeros((2, 3), dtype=np.float32), requires_grad=True)
    loss = ops.softmax_cross_entropy(logits, np.full((2, 3), 1 / 3))
    assert loss.dtype == np.float32
    loss.sum().backward()
    assert logits.grad.dtype == np.float32
    assert ops.mean_squared_error(Tensor(np.zeros(3, np.float32)), np.ones(3)).dtype == np.float32


# ------------------------------------------------------------------------------- errors
def test_out_of_range_labels_raise_with_the_class_count():
    logits = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: class index 4 is out of range for 4 classes"):
        ops.softmax_cross_entropy(logits, np.array([0, 4, 1]))
    with pytest.raises(ValueError, match=r"class index -1 is out of range for 4 classes"):
        ops.softmax_cross_entropy(logits, np.array([0, -1, 1]))
    with pytest.raises(ValueError, match=r"categorical_cross_entropy: class index 9 is out of range"):
        ops.categorical_cross_entropy(Tensor(np.full((3, 4), 0.25)), np.array([9, 0, 1]))


def test_target_shape_errors_name_both_shapes():
    logits = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"class-index targets must have shape \(3,\) .*got \(4,\)"):
        ops.softmax_cross_entropy(logits, np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"targets of shape \(3, 5\) do not match logits of shape \(3, 4\)"):
        ops.softmax_cross_entropy(logits, np.zeros((3, 5)))
    with pytest.raises(ValueError, match=r"expected class indices of shape \(3,\) or probabilities"):
        ops.softmax_cross_entropy(logits, np.zeros((3, 4, 1), dtype=np.int64))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: targets of shape \(3,\) "
                                         r"do not match logits of shape \(3, 1\)"):
        ops.binary_cross_entropy_with_logits(Tensor(np.zeros((3, 1))), np.zeros(3))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: targets of shape \(2, 3\)"):
        ops.binary_cross_entropy(Tensor(np.full(3, 0.5)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"mean_squared_error: targets of shape \(4,\) do not match "
                                         r"predictions of shape \(3,\)"):
        ops.mean_squared_error(Tensor(np.zeros(3)), np.zeros(4))


def test_argument_errors():
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: label_smoothing must be in \[0, 1\]"):
        ops.softmax_cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), label_smoothing=1.5)
    with pytest.raises(ValueError, match="huber: delta must be positive"):
        ops.huber(Tensor(np.zeros(3)), np.zeros(3), delta=0.0)
    with pytest.raises(ValueError, match=r"softmax_cross_entropy: axis 2 is out of range"):
        ops.softmax_cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 1]), axis=2)
    with pytest.raises(ValueError, match="expected predictions with a class axis"):
        ops.softmax_cross_entropy(Tensor(np.float64(1.0)), np.array(0))
