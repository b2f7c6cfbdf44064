"""Normalization ops through the op harness: fused batch norm (training, masked), batch norm with
given statistics, layer norm (incl. rms_scaling) and moments, against NumPy, PyTorch
(``F.batch_norm`` / ``F.layer_norm`` where they apply) and the float64 numerical gradient."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests, run_all_checks

MASK_EPS = 1e-7


def _kept(axis, ndim):
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    return tuple(sorted(a % ndim for a in axes))


def _bshape(shape, kept):
    return tuple(d if i in kept else 1 for i, d in enumerate(shape))


# ---------------------------------------------------------------------------- references
def np_fused_bn(x, scale=None, offset=None, axis=-1, epsilon=1e-3, mask=None):
    kept = _kept(axis, x.ndim)
    red = tuple(i for i in range(x.ndim) if i not in kept)
    pshape = tuple(x.shape[a] for a in kept)
    if mask is None:
        mean = x.mean(axis=red, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=red, keepdims=True)
    else:
        w = np.broadcast_to(mask, x.shape).astype(x.dtype)
        count = w.sum(axis=red, keepdims=True) + MASK_EPS
        mean = (w * x).sum(axis=red, keepdims=True) / count
        var = (w * (x - mean) ** 2).sum(axis=red, keepdims=True) / count
    y = (x - mean) / np.sqrt(var + epsilon)
    if scale is not None:
        y = y * scale.reshape(_bshape(x.shape, kept))
    if offset is not None:
        y = y + offset.reshape(_bshape(x.shape, kept))
    return y, mean.reshape(pshape), var.reshape(pshape)


def torch_fused_bn(x, scale=None, offset=None, axis=-1, epsilon=1e-3, mask=None):
    kept = _kept(axis, x.ndim)
    red = tuple(i for i in range(x.ndim) if i not in kept)
    if mask is None and len(kept) == 1 and x.ndim >= 2 and x.numel() > x.shape[kept[0]]:
        # PyTorch's own batch norm (channels on axis 1) is the reference for the output (it
        # refuses a single value per channel, which the formula below covers).
        moved = torch.movedim(x, kept[0], 1)
        y = F.batch_norm(moved, None, None, weight=scale, bias=offset, training=True, eps=epsilon)
        y = torch.movedim(y, 1, kept[0])
        return y, x.mean(dim=red), x.var(dim=red, unbiased=False)
    pshape = tuple(x.shape[a] for a in kept)
    bshape = _bshape(tuple(x.shape), kept)
    if mask is None:
        mean = x.mean(dim=red, keepdim=True)
        var = x.var(dim=red, unbiased=False, keepdim=True)
    else:
        w = torch.from_numpy(np.broadcast_to(mask, tuple(x.shape)).copy()).to(x.dtype)
        count = w.sum(dim=red, keepdim=True) + MASK_EPS
        mean = (w * x).sum(dim=red, keepdim=True) / count
        var = (w * (x - mean) ** 2).sum(dim=red, keepdim=True) / count
    y = (x - mean) * torch.rsqrt(var + epsilon)
    if scale is not None:
        y = y * scale.reshape(bshape)
    if offset is not None:
        y = y + offset.reshape(bshape)
    return y, mean.reshape(pshape), var.reshape(pshape)


def np_bn_inference(x, mean, variance, offset, scale, axis=-1, epsilon=1e-3):
    b = _bshape(x.shape, _kept(axis, x.ndim))
    return (x - mean.reshape(b)) / np.sqrt(variance.reshape(b) + epsilon) * scale.reshape(b) + offset.reshape(b)


def torch_bn_inference(x, mean, variance, offset, scale, axis=-1, epsilon=1e-3):
    b = _bshape(tuple(x.shape), _kept(axis, x.ndim))
    return (x - mean.reshape(b)) * torch.rsqrt(variance.reshape(b) + epsilon) * scale.reshape(b) + offset.reshape(b)


def bn_inference(x, mean, variance, offset, scale, axis=-1, epsilon=1e-3):
    return ops.batch_normalization(x, mean, variance, axis=axis, offset=offset, scale=scale,
                                   epsilon=epsilon)


def np_layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    eps = 1e-7 if epsilon is None else epsilon
    axes = _kept(axis, x.ndim)
    b = _bshape(x.shape, axes)
    mean = x.mean(axis=axes, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)
    y = (x if rms_scaling else x - mean) / np.sqrt(var + eps)
    if gamma is not None:
        y = y * gamma.reshape(b)
    if beta is not None:
        y = y + beta.reshape(b)
    return y


def torch_layer_norm(x, gamma=None, beta=None, axis=-1, epsilon=None, rms_scaling=False):
    eps = 1e-7 if epsilon is None else epsilon
    axes = _kept(axis, x.ndim)
    if not rms_scaling and axes == tuple(range(x.ndim - len(axes), x.ndim)):
        return F.layer_norm(x, tuple(x.shape[a] for a in axes), gamma, beta, eps)
    b = _bshape(tuple(x.shape), axes)
    mean = x.mean(dim=axes, keepdim=True)
    var = x.var(dim=axes, unbiased=False, keepdim=True)
    y = (x if rms_scaling else x - mean) * torch.rsqrt(var + eps)
    if gamma is not None:
        y = y * gamma.reshape(b)
    if beta is not None:
        y = y + beta.reshape(b)
    return y


def np_moments(x, axes, keepdims=False):
    return x.mean(axis=axes, keepdims=keepdims), x.var(axis=axes, keepdims=keepdims)


def torch_moments(x, axes, keepdims=False):
    dims = (axes,) if isinstance(axes, int) else tuple(axes)
    return x.mean(dim=dims, keepdim=keepdims), x.var(dim=dims, unbiased=False, keepdim=keepdims)


# ---------------------------------------------------------------------------- cases
def _param(shape, axis):
    kept = _kept(axis, len(shape))
    return tuple(shape[a] for a in kept)


def _mask_inputs(shape, axis, mask_shape, scale=True):
    def make(rng):
        values = [rng.uniform(-2.0, 2.0, size=shape)]
        if scale:
            values += [rng.uniform(0.5, 1.5, size=_param(shape, axis)),
                       rng.uniform(-0.5, 0.5, size=_param(shape, axis))]
        return values
    return make


def _mask(shape, seed, full_row=False):
    rng = np.random.default_rng(seed)
    mask = rng.random(shape) < 0.7
    mask.flat[0] = True
    if full_row:
        mask[0] = False
    return mask


CASES = []
for shape, axis in [((6, 4), -1), ((5, 3, 4), -1), ((4, 3, 5), 1), ((3, 4, 2, 5), 1),
                    ((2, 3, 4, 3), 3), ((7, 1), -1), ((3, 4, 2, 5), (1, 3)), ((2, 3, 4), (0, 2))]:
    p = _param(shape, axis)
    CASES.append(OpCase(f"fused_bn{shape}axis{axis}", ops.fused_batch_normalization,
                        [Arg(shape, -2.0, 2.0), Arg(p, 0.5, 1.5), Arg(p, -0.5, 0.5)],
                        kwargs={"axis": axis, "epsilon": 1e-3},
                        numpy_fn=np_fused_bn, torch_fn=torch_fused_bn))
CASES += [
    OpCase("fused_bn_no_params", ops.fused_batch_normalization, [Arg((5, 3, 2), -2.0, 2.0)],
           kwargs={"axis": 1, "epsilon": 1e-2}, numpy_fn=np_fused_bn, torch_fn=torch_fused_bn),
    OpCase("fused_bn_scale_only", ops.fused_batch_normalization,
           [Arg((6, 3), -2.0, 2.0), Arg((3,), 0.5, 1.5)],
           kwargs={"axis": -1}, numpy_fn=np_fused_bn, torch_fn=torch_fused_bn),
    OpCase("fused_bn_offset_only", lambda x, b, **kw: ops.fused_batch_normalization(x, offset=b, **kw),
           [Arg((6, 3), -2.0, 2.0), Arg((3,), -1.0, 1.0)], kwargs={"axis": -1},
           numpy_fn=lambda x, b, **kw: np_fused_bn(x, offset=b, **kw),
           torch_fn=lambda x, b, **kw: torch_fused_bn(x, offset=b, **kw)),
    # Masked statistics (Keras 3's masked moments): a (batch, time) mask on (batch, time, channels).
    OpCase("fused_bn_masked", ops.fused_batch_normalization, [],
           make_inputs=_mask_inputs((4, 5, 3), -1, (4, 5, 1)),
           kwargs={"axis": -1, "mask": _mask((4, 5, 1), 1)},
           numpy_fn=np_fused_bn, torch_fn=torch_fused_bn),
    OpCase("fused_bn_masked_axis1", ops.fused_batch_normalization, [],
           make_inputs=_mask_inputs((3, 4, 5), 1, (3, 4, 5)),
           kwargs={"axis": 1, "mask": _mask((3, 4, 5), 2)},
           numpy_fn=np_fused_bn, torch_fn=torch_fused_bn),
    OpCase("fused_bn_masked_no_params", ops.fused_batch_normalization, [],
           make_inputs=_mask_inputs((4, 3, 2), -1, (4, 3, 1), scale=False),
           kwargs={"axis": -1, "mask": _mask((4, 3, 1), 3, full_row=True)},
           numpy_fn=np_fused_bn, torch_fn=torch_fused_bn),
]

for shape, axis in [((4, 3), -1), ((2, 3, 5), 1), ((2, 3, 4, 3), (1, 3))]:
    p = _param(shape, axis)
    CASES.append(OpCase(f"bn_inference{shape}axis{axis}", bn_inference,
                        [Arg(shape, -2.0, 2.0), Arg(p, -0.5, 0.5), Arg(p, 0.5, 2.0),
                         Arg(p, -0.5, 0.5), Arg(p, 0.5, 1.5)],
                        kwargs={"axis": axis, "epsilon": 1e-3},
                        numpy_fn=np_bn_inference, torch_fn=torch_bn_inference))

for shape, axis in [((4, 6), -1), ((2, 3, 5), -1), ((2, 3, 4), (1, 2)), ((2, 3, 4), (-2, -1)),
                    ((2, 5, 3), 1), ((3, 2, 4), (0, 2)), ((1, 7), -1)]:
    p = _param(shape, axis)
    CASES.append(OpCase(f"layer_norm{shape}axis{axis}", ops.layer_normalization,
                        [Arg(shape, -2.0, 2.0), Arg(p, 0.5, 1.5), Arg(p, -0.5, 0.5)],
                        kwargs={"axis": axis, "epsilon": 1e-3},
                        numpy_fn=np_layer_norm, torch_fn=torch_layer_norm))
CASES += [
    OpCase("layer_norm_default_eps_no_params", ops.layer_normalization, [Arg((3, 5), -2.0, 2.0)],
           kwargs={"axis": -1}, numpy_fn=np_layer_norm, torch_fn=torch_layer_norm),
    OpCase("layer_norm_rms", ops.layer_normalization, [Arg((3, 5), -2.0, 2.0), Arg((5,), 0.5, 1.5)],
           kwargs={"axis": -1, "epsilon": 1e-3, "rms_scaling": True},
           numpy_fn=np_layer_norm, torch_fn=torch_layer_norm),
    OpCase("layer_norm_rms_axes", ops.layer_normalization, [Arg((2, 3, 4), -2.0, 2.0)],
           kwargs={"axis": (0, 2), "epsilon": 1e-3, "rms_scaling": True},
           numpy_fn=np_layer_norm, torch_fn=torch_layer_norm),
]

for shape, axes, keepdims in [((4, 3), 0, False), ((2, 3, 4), (0, 1), True), ((2, 3, 4), (0, 2), False)]:
    CASES.append(OpCase(f"moments{shape}{axes}{keepdims}", ops.moments, [Arg(shape, -2.0, 2.0)],
                        kwargs={"axes": axes, "keepdims": keepdims},
                        numpy_fn=np_moments, torch_fn=torch_moments))

test_normalization = op_tests(CASES)


@settings(max_examples=10, deadline=None)
@given(shape=st.lists(st.integers(1, 4), min_size=2, max_size=4), data=st.data())
def test_fused_bn_and_layer_norm_on_generated_shapes(shape, data):
    shape = tuple(shape)
    ndim = len(shape)
    axis = data.draw(st.integers(-ndim, ndim - 1))
    p = _param(shape, axis)
    run_all_checks(OpCase(f"fused_bn_gen{shape}{axis}", ops.fused_batch_normalization,
                          [Arg(shape, -2.0, 2.0), Arg(p, 0.5, 1.5), Arg(p, -0.5, 0.5)],
                          kwargs={"axis": axis, "epsilon": 1e-2},
                          numpy_fn=np_fused_bn, torch_fn=torch_fused_bn))
    axes = tuple(sorted(data.draw(st.sets(st.integers(0, ndim - 1), min_size=1, max_size=ndim))))
    p = _param(shape, axes)
    run_all_checks(OpCase(f"layer_norm_gen{shape}{axes}", ops.layer_normalization,
                          [Arg(shape, -2.0, 2.0), Arg(p, 0.5, 1.5), Arg(p, -0.5, 0.5)],
                          kwargs={"axis": axes, "epsilon": 1e-2},
                          numpy_fn=np_layer_norm, torch_fn=torch_layer_norm))


# ---------------------------------------------------------------------------- direct checks
def test_batch_normalization_matches_torch_inference_mode():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    mean, var = rng.standard_normal(3).astype(np.float32), rng.uniform(0.5, 2, 3).astype(np.float32)
    gamma, beta = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    ours = ops.batch_normalization(Tensor(x), mean, var, axis=1, offset=beta, scale=gamma, epsilon=1e-3)
    theirs = F.batch_norm(torch.from_numpy(x), torch.from_numpy(mean), torch.from_numpy(var),
                          torch.from_numpy(gamma), torch.from_numpy(beta), training=False, eps=1e-3)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)


def test_fused_bn_statistics_are_biased_and_output_is_standardized():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((64, 3)) * np.array([1.0, 5.0, 0.1]) + np.array([2.0, -1.0, 0.0])
    y, mean, var = ops.fused_batch_normalization(Tensor(x), axis=-1, epsilon=0.0)
    np.testing.assert_allclose(mean.numpy(), x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(var.numpy(), x.var(axis=0, ddof=0), rtol=1e-12)
    np.testing.assert_allclose(y.numpy().mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(y.numpy().std(axis=0), 1.0, rtol=1e-10)


def test_fused_bn_channel_sums_equal_the_plain_sums():
    """The per-channel sums of a contiguous (N, H, W, C) input run as a matrix-vector product
    and an einsum (``_channel_sums``, ``_sums_of_products``); a Fortran-ordered copy of the same
    input takes NumPy's plain sums. Outputs, statistics and all gradients must agree."""
    from scratchdl.ops.normalization import _sums_of_products

    rng = np.random.default_rng(2)
    x_np = rng.standard_normal((8, 16, 16, 40)) * 3.0 + 1.0  # 81,920 values: past sum_to's threshold
    gamma_np, beta_np = rng.uniform(0.5, 1.5, 40), rng.standard_normal(40)
    upstream = rng.standard_normal(x_np.shape)
    results = []
    for layout in (x_np, np.asfortranarray(x_np)):
        x, gamma, beta = (Tensor(a, requires_grad=True) for a in (layout, gamma_np, beta_np))
        y, mean, var = ops.fused_batch_normalization(x, gamma, beta, axis=-1, epsilon=1e-3)
        ((y * upstream).sum() + (mean * 2.0).sum() + (var * 3.0).sum()).backward()
        results.append((y.numpy(), mean.numpy(), var.numpy(), x.grad, gamma.grad, beta.grad))
    for fast, plain in zip(*results):
        np.testing.assert_allclose(fast, plain, rtol=1e-10, atol=1e-10)
    a, b = rng.standard_normal((2, 3, 4, 5)), rng.standard_normal((2, 3, 4, 5))
    for reduced, shape in (((0, 1, 2), (1, 1, 1, 5)), ((2, 3), (2, 3, 1, 1)), ((1,), (2, 1, 4, 5))):
        np.testing.assert_allclose(_sums_of_products(a, b, reduced, shape),
                                   (a * b).sum(axis=reduced, keepdims=True), rtol=1e-12)


def test_fully_masked_channel_divides_by_keras_epsilon():
    x = Tensor(np.array([[[1.0, 2.0]], [[3.0, 4.0]]]), requires_grad=True)  # (2, 1, 2)
    mask = np.zeros((2, 1, 1), dtype=bool)
    y, mean, var = ops.fused_batch_normalization(x, axis=-1, epsilon=1e-3, mask=mask)
    np.testing.assert_array_equal(mean.numpy(), [0.0, 0.0])
    np.testing.assert_array_equal(var.numpy(), [0.0, 0.0])
    np.testing.assert_allclose(y.numpy(), x.numpy() / np.sqrt(1e-3))
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((2, 1, 2), 1 / np.sqrt(1e-3)))


@pytest.mark.parametrize("fn, kwargs, message", [
    (lambda: ops.fused_batch_normalization(Tensor(np.ones((4, 3))), np.ones(4), axis=-1),
     {}, r"fused_batch_normalization: scale must have shape \(3,\).*got shape \(4,\) for input shape \(4, 3\)"),
    (lambda: ops.fused_batch_normalization(Tensor(np.ones((4, 3))), axis=2), {},
     r"fused_batch_normalization: axis 2 is out of range"),
    (lambda: ops.fused_batch_normalization(Tensor(np.ones((4, 3))), mask=np.ones((5, 1), bool)), {},
     r"fused_batch_normalization: the mask of shape \(5, 1\) does not broadcast to the input shape \(4, 3\)"),
    (lambda: ops.batch_normalization(Tensor(np.ones((4, 3))), np.ones(2), np.ones(3), axis=-1), {},
     r"batch_normalization: mean must have shape \(3,\).*got shape \(2,\)"),
    (lambda: ops.layer_normalization(Tensor(np.ones((2, 3, 4))), np.ones(4), axis=(1, 2)), {},
     r"layer_normalization: gamma must have shape \(3, 4\).*got shape \(4,\) for input shape \(2, 3, 4\)"),
    (lambda: ops.layer_normalization(Tensor(np.ones((2, 3))), np.ones(3), np.ones(3), rms_scaling=True),
     {}, r"layer_normalization: beta must be None with rms_scaling=True"),
])
def test_errors_name_the_op_and_shapes(fn, kwargs, message):
    with pytest.raises(ValueError, match=message):
        fn()


def test_axis_type_errors():
    with pytest.raises(TypeError, match="layer_normalization: axis must be an int"):
        ops.layer_normalization(Tensor(np.ones((2, 3))), axis=1.5)
    with pytest.raises(ValueError, match="fused_batch_normalization: expected a tensor with at least 1"):
        ops.fused_batch_normalization(Tensor(np.float64(1.0)))
