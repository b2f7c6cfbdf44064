"""Pooling ops (pooling.py) through the op harness.

References: ``torch.nn.functional`` max/avg pooling (NHWC <-> NCHW permutes; TensorFlow's 'same'
padding added with ``F.pad``: -inf for max pooling; for average pooling the reference is a sum pool
divided by a count pool of the real pixels) and naive NumPy loops over the windows. Max pooling's
gradient must reach exactly one element per window, also with overlapping windows and ties.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchdl import Tensor, ops
from tests.ops.harness import (
    Arg,
    OpCase,
    check_forward,
    check_torch32,
    check_torch64,
    op_tests,
    run_all_checks,
)


# --------------------------------------------------------------------------- references
def _tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def _tf_same(size, kernel, stride):
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _geometry(x_spatial, pool_size, strides, padding):
    n = len(x_spatial)
    pool = _tuple(pool_size, n)
    steps = pool if strides is None else _tuple(strides, n)
    if padding == "same":
        pads = [_tf_same(*a) for a in zip(x_spatial, pool, steps)]
    else:
        pads = [(0, 0)] * n
    return pool, steps, pads


def torch_pool(kind, x, pool_size=2, strides=None, padding="valid", data_format="channels_last"):
    """F.max_pool / F.avg_pool on channels-last tensors with TensorFlow's padding semantics."""
    n = x.ndim - 2
    last = data_format == "channels_last"
    if last:
        x = x.permute(0, n + 1, *range(1, n + 1))
    pool, steps, pads = _geometry(x.shape[2:], pool_size, strides, padding)
    flat = [p for pair in reversed(pads) for p in pair]
    if kind == "max":
        pool_fn = F.max_pool1d if n == 1 else F.max_pool2d
        y = pool_fn(F.pad(x, flat, value=-float("inf")), pool, steps)
    elif n == 1:  # avg_pool1d has no divisor_override: sum = mean * pool, then / count
        sums = F.avg_pool1d(F.pad(x, flat), pool, steps) * pool[0]
        counts = F.avg_pool1d(F.pad(torch.ones_like(x), flat), pool, steps) * pool[0]
        y = sums / counts
    else:
        sums = F.avg_pool2d(F.pad(x, flat), pool, steps, divisor_override=1)
        counts = F.avg_pool2d(F.pad(torch.ones_like(x), flat), pool, steps, divisor_override=1)
        y = sums / counts
    return y.permute(0, *range(2, n + 2), 1) if last else y


def naive_pool(kind, x, pool_size=2, strides=None, padding="valid", data_format="channels_last"):
    """Loop over the windows; padding is NaN and ignored by nanmax / nanmean."""
    n = x.ndim - 2
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    if n == 1:
        x = x[:, None]
        pool_size = (1, _tuple(pool_size, 1)[0])
        strides = None if strides is None else (1, _tuple(strides, 1)[0])
    pool, steps, pads = _geometry(x.shape[1:3], pool_size, strides, padding)
    x = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=np.nan)
    oh = (x.shape[1] - pool[0]) // steps[0] + 1
    ow = (x.shape[2] - pool[1]) // steps[1] + 1
    reduce = np.nanmax if kind == "max" else np.nanmean
    out = np.zeros((x.shape[0], oh, ow, x.shape[3]))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * steps[0]:i * steps[0] + pool[0], j * steps[1]:j * steps[1] + pool[1]]
            out[:, i, j] = reduce(window, axis=(1, 2))
    if n == 1:
        out = out[:, 0]
    return np.moveaxis(out, -1, 1) if data_format == "channels_first" else out


def _reference(kind, backend):
    fn = torch_pool if backend == "torch" else naive_pool
    return lambda x, **kwargs: fn(kind, x, **kwargs)


def pool_case(kind, dims, name, shape, **kwargs):
    fn = getattr(ops, f"{kind}_pool{dims}d")
    return OpCase(f"{kind}_pool{dims}d_{name}", fn, [Arg(shape)],
                  numpy_fn=_reference(kind, "numpy"), torch_fn=_reference(kind, "torch"),
                  kwargs=kwargs)


CF = {"data_format": "channels_first"}

CASES = [
    pool_case("max", 2, "default", (2, 4, 6, 3)),
    pool_case("max", 2, "odd_valid", (2, 7, 5, 2), pool_size=(2, 3)),
    pool_case("max", 2, "overlapping", (2, 6, 5, 2), pool_size=3, strides=1),
    pool_case("max", 2, "overlapping_strided", (1, 7, 7, 2), pool_size=3, strides=2),
    pool_case("max", 2, "same_even", (2, 5, 7, 2), pool_size=2, strides=2, padding="same"),
    pool_case("max", 2, "same_overlapping", (1, 6, 5, 2), pool_size=(3, 2), strides=(2, 1),
              padding="same"),
    pool_case("max", 2, "pool_larger_than_input_same", (1, 2, 3, 2), pool_size=4, padding="same"),
    pool_case("max", 2, "channels_first", (2, 3, 5, 6), pool_size=2, strides=(1, 2), **CF),
    pool_case("max", 2, "random_projection", (4, 8, 8, 5), pool_size=3, strides=2, padding="same"),
    pool_case("max", 1, "default", (2, 7, 3)),
    pool_case("max", 1, "overlapping_same", (2, 7, 2), pool_size=3, strides=1, padding="same"),
    pool_case("max", 1, "channels_first", (2, 3, 8), pool_size=3, strides=2, **CF),
    pool_case("avg", 2, "default", (2, 4, 6, 3)),
    pool_case("avg", 2, "odd_valid", (2, 7, 5, 2), pool_size=(2, 3)),
    pool_case("avg", 2, "overlapping", (2, 6, 5, 2), pool_size=3, strides=1),
    pool_case("avg", 2, "same_even", (2, 5, 7, 2), pool_size=2, strides=2, padding="same"),
    pool_case("avg", 2, "same_overlapping", (1, 6, 5, 2), pool_size=3, strides=1, padding="same"),
    pool_case("avg", 2, "same_asymmetric", (1, 6, 7, 2), pool_size=(4, 2), strides=(3, 1),
              padding="same"),
    pool_case("avg", 2, "channels_first", (2, 3, 5, 6), pool_size=2, padding="same", **CF),
    pool_case("avg", 1, "default", (2, 7, 3)),
    pool_case("avg", 1, "same_even", (2, 7, 2), pool_size=4, strides=2, padding="same"),
    pool_case("avg", 1, "channels_first", (2, 3, 8), pool_size=3, strides=1, padding="same", **CF),
    OpCase("global_avg_pool2d", ops.global_avg_pool2d, [Arg((2, 3, 4, 5))],
           numpy_fn=lambda x: x.mean(axis=(1, 2)), torch_fn=lambda x: x.mean(dim=(1, 2))),
    OpCase("global_avg_pool2d_keepdims_channels_first",
           lambda x: ops.global_avg_pool2d(x, keepdims=True, data_format="channels_first"),
           [Arg((2, 3, 4, 5))], numpy_fn=lambda x: x.mean(axis=(2, 3), keepdims=True),
           torch_fn=lambda x: x.mean(dim=(2, 3), keepdim=True)),
    OpCase("global_avg_pool1d", ops.global_avg_pool1d, [Arg((2, 5, 3))],
           numpy_fn=lambda x: x.mean(axis=1), torch_fn=lambda x: x.mean(dim=1)),
    OpCase("global_max_pool2d", ops.global_max_pool2d, [Arg((2, 3, 4, 5))],
           numpy_fn=lambda x: x.max(axis=(1, 2)), torch_fn=lambda x: torch.amax(x, dim=(1, 2))),
    OpCase("global_max_pool1d_keepdims", lambda x: ops.global_max_pool1d(x, keepdims=True),
           [Arg((2, 5, 3))], numpy_fn=lambda x: x.max(axis=1, keepdims=True),
           torch_fn=lambda x: torch.amax(x, dim=1, keepdim=True)),
]

test_pooling = op_tests(CASES)


# --------------------------------------------------------------------------- ties
def _ties(shape):
    """Values from {0, 1, 2}: many windows hold several equal maxima."""
    return lambda rng: [rng.integers(0, 3, size=shape).astype(np.float64)]


TIE_CASES = [
    OpCase(f"max_pool2d_ties_{name}", ops.max_pool2d, [Arg(shape)], make_inputs=_ties(shape),
           numpy_fn=_reference("max", "numpy"), torch_fn=_reference("max", "torch"), kwargs=kwargs)
    for name, shape, kwargs in [
        ("overlapping", (2, 6, 6, 3), dict(pool_size=3, strides=1)),
        ("overlapping_strided_same", (2, 7, 6, 2), dict(pool_size=3, strides=2, padding="same")),
        ("disjoint", (2, 6, 4, 3), dict(pool_size=2)),
    ]
] + [
    OpCase("max_pool1d_ties_overlapping", ops.max_pool1d, [Arg((2, 9, 3))],
           make_inputs=_ties((2, 9, 3)), numpy_fn=_reference("max", "numpy"),
           torch_fn=_reference("max", "torch"), kwargs=dict(pool_size=4, strides=1)),
]


# The numerical gradient is undefined at ties (a nudge changes which element wins), so tied
# inputs are checked against the NumPy forward and PyTorch's gradient, which also picks one winner.
@pytest.mark.parametrize("check", [check_forward, check_torch64, check_torch32])
@pytest.mark.parametrize("case", TIE_CASES, ids=[c.name for c in TIE_CASES])
def test_max_pool_ties_match_pytorch(case, check):
    check(case)


def _first_max_counts(x, pool, steps):
    """How many windows choose each element as their first maximum (row-major window order)."""
    n, h, w, c = x.shape
    counts = np.zeros_like(x)
    for i in range((h - pool[0]) // steps[0] + 1):
        for j in range((w - pool[1]) // steps[1] + 1):
            window = x[:, i * steps[0]:i * steps[0] + pool[0], j * steps[1]:j * steps[1] + pool[1]]
            flat = window.reshape(n, -1, c).argmax(axis=1)  # np.argmax returns the first maximum
            a, b = np.divmod(flat, pool[1])
            for batch in range(n):
                for channel in range(c):
                    counts[batch, i * steps[0] + a[batch, channel], j * steps[1] + b[batch, channel],
                           channel] += 1
    return counts


@pytest.mark.parametrize(("pool", "steps"), [((3, 3), (1, 1)), ((2, 3), (1, 2)), ((2, 2), (2, 2))])
def test_max_pool_gradient_goes_to_one_element_per_window(pool, steps):
    x = np.random.default_rng(3).integers(0, 2, size=(2, 7, 6, 3)).astype(np.float64)
    x[0, :, :, 0] = 1.0  # every window of this channel is a complete tie
    t = Tensor(x, requires_grad=True)
    y = ops.max_pool2d(t, pool, steps)
    y.sum().backward()
    np.testing.assert_array_equal(t.grad, _first_max_counts(x, pool, steps))
    assert t.grad.sum() == y.size  # exactly one element per window


# --------------------------------------------------------------------------- Hypothesis
@settings(max_examples=15, deadline=None)
@given(
    kind=st.sampled_from(["max", "avg"]), height=st.integers(1, 7), width=st.integers(1, 7),
    pool=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    strides=st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))),
    padding=st.sampled_from(["valid", "same"]),
)
def test_pool2d_hypothesis(kind, height, width, pool, strides, padding):
    if padding == "valid" and (height < pool[0] or width < pool[1]):
        with pytest.raises(ValueError, match=f"{kind}_pool2d: pool_size"):
            getattr(ops, f"{kind}_pool2d")(np.zeros((1, height, width, 2)), pool, strides, padding)
        return
    run_all_checks(pool_case(kind, 2, f"hypothesis_{height}_{width}_{pool}_{strides}_{padding}",
                             (2, height, width, 2), pool_size=pool, strides=strides,
                             padding=padding))


# --------------------------------------------------------------------------- behaviour
def test_float32_stays_float32():
    x = Tensor(np.random.default_rng(0).standard_normal((2, 5, 5, 3)).astype(np.float32),
               requires_grad=True)
    for fn in (ops.max_pool2d, ops.avg_pool2d):
        y = fn(x, 3, 2, "same")
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32
        x.grad = None


def test_same_average_pooling_divides_by_real_pixels_only():
    x = np.ones((1, 3, 3, 1))
    y = ops.avg_pool2d(x, 2, 2, "same").numpy()
    np.testing.assert_array_equal(y, np.ones((1, 2, 2, 1)))


def test_max_pool_propagates_nan_like_pytorch():
    x = np.array([[[1.0], [np.nan], [3.0], [2.0]]])
    y = ops.max_pool1d(x, 2).numpy().ravel()
    assert np.isnan(y[0]) and y[1] == 3.0


def test_integer_max_pool_keeps_its_dtype():
    x = np.arange(16, dtype=np.int32).reshape(1, 4, 4, 1)
    y = ops.max_pool2d(x, 2, padding="same")
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y.numpy()[0, :, :, 0], [[5, 7], [13, 15]])


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ops.max_pool2d(np.zeros((1, 2, 5, 3)), 3),
     r"max_pool2d: pool_size \(3, 3\) is larger than the input's spatial size \(2, 5\) "
     r"\(input shape \(1, 2, 5, 3\), padding 'valid'\)"),
    (lambda: ops.avg_pool1d(np.zeros((1, 5, 3)), 2, padding="causal"),
     r"avg_pool1d: padding must be 'valid' or 'same', got 'causal'"),
    (lambda: ops.max_pool2d(np.zeros((5, 5, 3)), 2),
     r"max_pool2d: expected a 4-D input \(batch, height, width, channels\), got shape \(5, 5, 3\)"),
    (lambda: ops.avg_pool2d(np.zeros((1, 5, 5, 3)), (2, 0)),
     r"avg_pool2d: pool_size must be a positive int or a sequence of 2 such ints, got \(2, 0\)"),
    (lambda: ops.max_pool1d(np.zeros((1, 5, 5, 3)), 2),
     r"max_pool1d: expected a 3-D input \(batch, width, channels\), got shape \(1, 5, 5, 3\)"),
    (lambda: ops.global_avg_pool2d(np.zeros((1, 5, 3))),
     r"global_avg_pool2d: expected a 4-D input \(batch, height, width, channels\)"),
    (lambda: ops.max_pool2d(np.zeros((1, 5, 5, 3)), 2, data_format="NCHW"),
     r"max_pool2d: data_format must be 'channels_last' or 'channels_first'"),
])
def test_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
