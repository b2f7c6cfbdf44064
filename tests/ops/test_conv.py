"""Convolution ops (conv.py, conv_transpose.py) through the op harness.

References: PyTorch's ``torch.nn.functional`` convolutions (NHWC <-> NCHW permutes, Keras kernel
layout converted, TensorFlow's 'same' padding applied with ``F.pad`` first) and naive NumPy loops
over output pixels written here; transposed convolutions are also compared with
``keras.ops.conv_transpose`` (torch backend) over a grid of sizes, strides and paddings.
"""

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests, record_fast_path, run_all_checks


# --------------------------------------------------------------------------- references
def _tuple(value, n):
    return (value,) * n if isinstance(value, int) else tuple(value)


def _tf_same(size, kernel, stride, dilation):
    """TensorFlow's 'same' padding: total max((ceil(n/s)-1)*s + (k-1)*d + 1 - n, 0), odd one after."""
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2


def _pads(padding, spatial, kernel, strides, dilation):
    n = len(spatial)
    padding = padding.lower() if isinstance(padding, str) else padding
    if padding == "valid":
        return [(0, 0)] * n
    if padding == "same":
        return [_tf_same(*a) for a in zip(spatial, kernel, strides, dilation)]
    if padding == "causal":
        return [((kernel[0] - 1) * dilation[0], 0)]
    if isinstance(padding, int):
        return [(padding, padding)] * n
    if n == 1:
        return [tuple(padding)]
    return [(p, p) if isinstance(p, int) else tuple(p) for p in padding]


def torch_conv(x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1,
               data_format="channels_last"):
    """F.conv1d / F.conv2d on Keras-layout inputs."""
    n = kernel.ndim - 2
    last = data_format == "channels_last"
    if last:
        x = x.permute(0, n + 1, *range(1, n + 1))
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
    pads = _pads(padding, x.shape[2:], kernel.shape[:n], strides, dilation)
    x = F.pad(x, [p for pair in reversed(pads) for p in pair])
    weight = kernel.permute(n + 1, n, *range(n))  # (C_out, C_in / groups, *kernel)
    conv = F.conv1d if n == 1 else F.conv2d
    y = conv(x, weight, stride=strides, dilation=dilation, groups=groups)
    return y.permute(0, *range(2, n + 2), 1) if last else y


def naive_conv2d(x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1,
                 data_format="channels_last"):
    """The textbook loop: for every output pixel and filter, sum the window times the filter."""
    if data_format == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    (sh, sw), (dh, dw) = _tuple(strides, 2), _tuple(dilation_rate, 2)
    kh, kw, per_group, filters = kernel.shape
    pads = _pads(padding, x.shape[1:3], (kh, kw), (sh, sw), (dh, dw))
    x = np.pad(x, [(0, 0), *pads, (0, 0)])
    oh = (x.shape[1] - (kh - 1) * dh - 1) // sh + 1
    ow = (x.shape[2] - (kw - 1) * dw - 1) // sw + 1
    per_group_out = filters // groups
    out = np.zeros((x.shape[0], oh, ow, filters))
    for i in range(oh):
        for j in range(ow):
            for o in range(filters):
                g = o // per_group_out
                window = x[:, i * sh:i * sh + (kh - 1) * dh + 1:dh, j * sw:j * sw + (kw - 1) * dw + 1:dw,
                           g * per_group:(g + 1) * per_group]
                out[:, i, j, o] = np.sum(window * kernel[..., o], axis=(1, 2, 3))
    return out.transpose(0, 3, 1, 2) if data_format == "channels_first" else out


def naive_conv1d(x, kernel, strides=1, padding="valid", dilation_rate=1, groups=1,
                 data_format="channels_last"):
    axis = 2 if data_format == "channels_first" else 1
    k, s, d = kernel.shape[0], _tuple(strides, 1)[0], _tuple(dilation_rate, 1)[0]
    pads = _pads(padding, (x.shape[axis],), (k,), (s,), (d,))
    y = naive_conv2d(np.expand_dims(x, axis), kernel[None], (1, s), ((0, 0), pads[0]), (1, d),
                     groups, data_format)
    return np.squeeze(y, axis)


def _depthwise_as_grouped(kernel):
    return kernel.reshape(*kernel.shape[:-2], 1, kernel.shape[-2] * kernel.shape[-1])


def torch_depthwise(x, kernel, strides=1, padding="valid", dilation_rate=1,
                    data_format="channels_last"):
    return torch_conv(x, _depthwise_as_grouped(kernel), strides, padding, dilation_rate,
                      kernel.shape[-2], data_format)


def naive_depthwise2d(x, kernel, strides=1, padding="valid", dilation_rate=1,
                      data_format="channels_last"):
    """y[n, i, j, c*M + m] = sum_{a,b} x_pad[n, i*sh + a*dh, j*sw + b*dw, c] * k[a, b, c, m]."""
    if data_format == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    (sh, sw), (dh, dw) = _tuple(strides, 2), _tuple(dilation_rate, 2)
    kh, kw, channels, multiplier = kernel.shape
    pads = _pads(padding, x.shape[1:3], (kh, kw), (sh, sw), (dh, dw))
    x = np.pad(x, [(0, 0), *pads, (0, 0)])
    oh = (x.shape[1] - (kh - 1) * dh - 1) // sh + 1
    ow = (x.shape[2] - (kw - 1) * dw - 1) // sw + 1
    out = np.zeros((x.shape[0], oh, ow, channels * multiplier))
    for i in range(oh):
        for j in range(ow):
            window = x[:, i * sh:i * sh + (kh - 1) * dh + 1:dh, j * sw:j * sw + (kw - 1) * dw + 1:dw]
            out[:, i, j] = np.einsum("nabc,abcm->ncm", window, kernel).reshape(x.shape[0], -1)
    return out.transpose(0, 3, 1, 2) if data_format == "channels_first" else out


def _keras_crops(n, kernel, strides, padding, output_padding, dilation):
    from keras.src.backend.common.backend_utils import compute_conv_transpose_output_crops_for_torch

    return compute_conv_transpose_output_crops_for_torch(
        (1, 1) + (1,) * n, tuple(kernel) + (1, 1), _tuple(strides, n), padding, output_padding,
        dilation)


def torch_conv_transpose(x, kernel, strides=1, padding="valid", output_padding=None,
                         dilation_rate=1, data_format="channels_last"):
    """F.conv_transpose1d/2d with padding 0, then Keras's crop (a negative crop adds zeros)."""
    n = kernel.ndim - 2
    last = data_format == "channels_last"
    if last:
        x = x.permute(0, n + 1, *range(1, n + 1))
    strides, dilation = _tuple(strides, n), _tuple(dilation_rate, n)
    weight = kernel.permute(n + 1, n, *range(n))  # (C_in, C_out, *kernel)
    conv = F.conv_transpose1d if n == 1 else F.conv_transpose2d
    y = conv(x, weight, stride=strides, dilation=dilation)
    crops = _keras_crops(n, kernel.shape[:n], strides, padding, output_padding, dilation)
    y = F.pad(y, [-c for pair in reversed(crops) for c in pair])
    return y.permute(0, *range(2, n + 2), 1) if last else y


def naive_conv2d_transpose(x, kernel, strides=1, padding="valid", output_padding=None,
                           dilation_rate=1, data_format="channels_last"):
    """Scatter every input pixel through the kernel onto the full output, then crop as Keras."""
    if data_format == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    (sh, sw), (dh, dw) = _tuple(strides, 2), _tuple(dilation_rate, 2)
    n, h, w, _ = x.shape
    kh, kw, filters, _ = kernel.shape
    full = np.zeros((n, (h - 1) * sh + (kh - 1) * dh + 1, (w - 1) * sw + (kw - 1) * dw + 1, filters))
    for i in range(h):
        for j in range(w):
            for a in range(kh):
                for b in range(kw):
                    full[:, i * sh + a * dh, j * sw + b * dw] += x[:, i, j] @ kernel[a, b].T
    (top, bottom), (left, right) = _keras_crops(2, (kh, kw), (sh, sw), padding, output_padding,
                                                (dh, dw))
    full = np.pad(full, [(0, 0), (max(-top, 0), max(-bottom, 0)), (max(-left, 0), max(-right, 0)),
                         (0, 0)])
    top, bottom, left, right = (max(c, 0) for c in (top, bottom, left, right))
    out = full[:, top:full.shape[1] - bottom, left:full.shape[2] - right]
    return out.transpose(0, 3, 1, 2) if data_format == "channels_first" else out


def naive_conv1d_transpose(x, kernel, strides=1, padding="valid", output_padding=None,
                           dilation_rate=1, data_format="channels_last"):
    axis = 2 if data_format == "channels_first" else 1
    extra = None if output_padding is None else (0, _tuple(output_padding, 1)[0])
    y = naive_conv2d_transpose(np.expand_dims(x, axis), kernel[None], (1, _tuple(strides, 1)[0]),
                               padding, extra, (1, _tuple(dilation_rate, 1)[0]), data_format)
    return np.squeeze(y, axis)


# --------------------------------------------------------------------------- cases
def _case(name, fn, x_shape, k_shape, numpy_fn, torch_fn, **kwargs):
    return OpCase(name, fn, [Arg(x_shape), Arg(k_shape)], numpy_fn=numpy_fn, torch_fn=torch_fn,
                  kwargs=kwargs)


def conv2d_case(name, x_shape, k_shape, **kwargs):
    return _case(f"conv2d_{name}", ops.conv2d, x_shape, k_shape, naive_conv2d, torch_conv, **kwargs)


def conv1d_case(name, x_shape, k_shape, **kwargs):
    return _case(f"conv1d_{name}", ops.conv1d, x_shape, k_shape, naive_conv1d, torch_conv, **kwargs)


CF = {"data_format": "channels_first"}

CASES = [
    conv2d_case("valid", (2, 5, 6, 3), (3, 3, 3, 4)),
    conv2d_case("odd_strided", (2, 7, 5, 2), (3, 2, 2, 3), strides=(2, 1)),
    conv2d_case("same_even_kernel", (1, 6, 5, 2), (4, 2, 2, 3), padding="same"),
    conv2d_case("same_even_kernel_stride2", (2, 7, 7, 3), (4, 4, 3, 2), strides=2, padding="same"),
    conv2d_case("same_stride3", (1, 8, 7, 2), (3, 3, 2, 2), strides=3, padding="same"),
    conv2d_case("dilated", (1, 7, 8, 2), (3, 2, 2, 3), dilation_rate=(2, 3)),
    conv2d_case("dilated_same", (1, 6, 6, 2), (3, 3, 2, 2), dilation_rate=2, padding="SAME"),
    conv2d_case("strided_dilated", (1, 9, 8, 2), (2, 3, 2, 2), strides=2, dilation_rate=2),
    conv2d_case("explicit_padding", (1, 5, 6, 2), (3, 3, 2, 3), strides=2,
                padding=((1, 2), (0, 3))),
    conv2d_case("groups2", (2, 5, 5, 4), (3, 3, 2, 6), groups=2),
    conv2d_case("groups3_same_strided", (1, 6, 5, 6), (2, 3, 2, 3), groups=3, strides=2,
                padding="same"),
    conv2d_case("depthwise_groups", (2, 5, 5, 3), (3, 3, 1, 6), groups=3),
    conv2d_case("channels_first", (2, 3, 5, 6), (3, 3, 3, 4), strides=2, padding="same", **CF),
    conv2d_case("channels_first_groups", (1, 4, 5, 5), (2, 2, 2, 4), groups=2, **CF),
    conv2d_case("pointwise", (2, 4, 4, 5), (1, 1, 5, 3)),
    conv2d_case("kernel_fills_input", (2, 3, 4, 2), (3, 4, 2, 3)),
    conv2d_case("random_projection", (2, 9, 9, 4), (3, 3, 4, 5), padding="same"),
    conv1d_case("valid", (2, 7, 3), (3, 3, 4)),
    conv1d_case("same_even_stride2", (2, 8, 2), (4, 2, 3), strides=2, padding="same"),
    conv1d_case("causal_dilated", (2, 9, 2), (3, 2, 3), dilation_rate=2, padding="causal"),
    conv1d_case("causal_strided", (1, 9, 2), (2, 2, 2), strides=2, padding="causal"),
    conv1d_case("groups2", (2, 6, 4), (3, 2, 4), groups=2),
    conv1d_case("explicit_padding", (1, 5, 2), (3, 2, 2), padding=(1, 2)),
    conv1d_case("channels_first", (2, 3, 7), (3, 3, 2), padding="same", **CF),
    _case("depthwise_conv2d_valid", ops.depthwise_conv2d, (2, 5, 5, 3), (3, 3, 3, 2),
          naive_depthwise2d, torch_depthwise),
    _case("depthwise_conv2d_same_even_strided", ops.depthwise_conv2d, (1, 6, 7, 2), (2, 2, 2, 1),
          naive_depthwise2d, torch_depthwise, strides=2, padding="same"),
    _case("depthwise_conv2d_strided_multiplier", ops.depthwise_conv2d, (2, 7, 6, 2), (3, 2, 2, 3),
          naive_depthwise2d, torch_depthwise, strides=(2, 1), padding="same"),
    _case("depthwise_conv2d_dilated_multiplier", ops.depthwise_conv2d, (1, 7, 6, 2), (2, 3, 2, 2),
          naive_depthwise2d, torch_depthwise, dilation_rate=(2, 1), padding="same"),
    _case("depthwise_conv2d_dilated_channels_first", ops.depthwise_conv2d, (1, 3, 7, 7),
          (3, 3, 3, 1), naive_depthwise2d, torch_depthwise, dilation_rate=2, **CF),
    _case("depthwise_conv1d_same", ops.depthwise_conv1d, (2, 7, 3), (3, 3, 2),
          lambda x, k, **kw: naive_conv1d(x, _depthwise_as_grouped(k), groups=3, **kw),
          torch_depthwise, padding="same"),
]


def transpose2d_case(name, x_shape, k_shape, **kwargs):
    return _case(f"conv2d_transpose_{name}", ops.conv2d_transpose, x_shape, k_shape,
                 naive_conv2d_transpose, torch_conv_transpose, **kwargs)


def transpose1d_case(name, x_shape, k_shape, **kwargs):
    return _case(f"conv1d_transpose_{name}", ops.conv1d_transpose, x_shape, k_shape,
                 naive_conv1d_transpose, torch_conv_transpose, **kwargs)


TRANSPOSE_CASES = [
    transpose2d_case("valid", (2, 3, 4, 3), (3, 3, 2, 3)),
    transpose2d_case("same_stride2", (1, 3, 3, 2), (3, 3, 4, 2), strides=2, padding="same"),
    transpose2d_case("same_even_kernel", (1, 3, 4, 2), (4, 4, 3, 2), strides=2, padding="same"),
    transpose2d_case("output_padding", (1, 3, 3, 2), (2, 2, 3, 2), strides=2, output_padding=1),
    transpose2d_case("same_output_padding", (1, 3, 2, 2), (3, 3, 2, 2), strides=3,
                     padding="same", output_padding=(2, 1)),
    transpose2d_case("stride_above_kernel", (1, 3, 2, 2), (2, 2, 2, 2), strides=3),
    transpose2d_case("dilated", (1, 3, 3, 2), (3, 2, 2, 2), dilation_rate=2),
    transpose2d_case("dilated_same_strided", (1, 3, 3, 2), (3, 3, 2, 2), strides=2,
                     dilation_rate=2, padding="same"),
    transpose2d_case("channels_first", (2, 2, 3, 4), (3, 3, 3, 2), strides=2, padding="same", **CF),
    transpose1d_case("valid_strided", (2, 4, 3), (3, 2, 3), strides=2),
    transpose1d_case("same_output_padding", (2, 4, 2), (3, 3, 2), strides=2, padding="same",
                     output_padding=1),
    transpose1d_case("channels_first", (2, 3, 5), (4, 2, 3), strides=2, padding="same", **CF),
]

test_conv = op_tests(CASES)
test_conv_transpose = op_tests(TRANSPOSE_CASES)


# --------------------------------------------------------------------------- Hypothesis
@settings(max_examples=15, deadline=None)
@given(
    height=st.integers(1, 7), width=st.integers(1, 7), kh=st.integers(1, 4), kw=st.integers(1, 4),
    strides=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    dilation=st.tuples(st.integers(1, 2), st.integers(1, 2)),
    padding=st.sampled_from(["valid", "same"]), groups=st.sampled_from([1, 2]),
)
def test_conv2d_hypothesis(height, width, kh, kw, strides, dilation, padding, groups):
    if padding == "valid" and (height < (kh - 1) * dilation[0] + 1 or width < (kw - 1) * dilation[1] + 1):
        with pytest.raises(ValueError, match="conv2d: the kernel"):
            ops.conv2d(np.zeros((1, height, width, 2)), np.zeros((kh, kw, 2 // groups, 2)),
                       padding=padding, dilation_rate=dilation, groups=groups)
        return
    run_all_checks(conv2d_case(
        f"hypothesis_{height}_{width}_{kh}_{kw}_{strides}_{dilation}_{padding}_{groups}",
        (2, height, width, 2), (kh, kw, 2 // groups, 2), strides=strides, padding=padding,
        dilation_rate=dilation, groups=groups))


@settings(max_examples=15, deadline=None)
@given(
    size=st.integers(1, 5), kernel=st.integers(1, 4), strides=st.integers(1, 3),
    dilation=st.integers(1, 2), padding=st.sampled_from(["valid", "same"]),
    output_padding=st.sampled_from([None, 0, 1, 2]),
)
def test_conv2d_transpose_hypothesis(size, kernel, strides, dilation, padding, output_padding):
    if output_padding is not None and output_padding >= strides:
        output_padding = strides - 1
    run_all_checks(transpose2d_case(
        f"hypothesis_{size}_{kernel}_{strides}_{dilation}_{padding}_{output_padding}",
        (1, size, size + 1, 2), (kernel, kernel, 3, 2), strides=strides, padding=padding,
        output_padding=output_padding, dilation_rate=dilation))


# --------------------------------------------------------------------------- Keras parity
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [1, 2, 3])
def test_conv_transpose_matches_keras_ops(padding, strides):
    import keras

    rng = np.random.default_rng(0)
    for size in (1, 3, 4):
        for kernel in (1, 2, 3, 4):
            for dilation in (1, 2):
                for output_padding in [None, *range(strides)]:
                    x = rng.standard_normal((2, size, size + 1, 3))
                    k = rng.standard_normal((kernel, kernel, 5, 3))
                    kwargs = dict(strides=strides, padding=padding, output_padding=output_padding,
                                  dilation_rate=dilation)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        expected = keras.ops.conv_transpose(torch.tensor(x), torch.tensor(k), **kwargs)
                    got = ops.conv2d_transpose(x, k, **kwargs)
                    assert got.shape == tuple(expected.shape), kwargs
                    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("strides", [1, 2, 3])
@pytest.mark.parametrize("kernel", [2, 3, 4])
def test_conv_same_padding_matches_keras_ops(strides, kernel):
    import keras

    rng = np.random.default_rng(1)
    x, k = rng.standard_normal((2, 7, 8, 3)), rng.standard_normal((kernel, kernel, 3, 4))
    expected = keras.ops.conv(torch.tensor(x), torch.tensor(k), strides=strides, padding="same")
    got = ops.conv2d(x, k, strides=strides, padding="same")
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)
    depthwise = rng.standard_normal((kernel, kernel, 3, 2))
    expected = keras.ops.depthwise_conv(torch.tensor(x), torch.tensor(depthwise), strides=strides,
                                        padding="same")
    got = ops.depthwise_conv2d(x, depthwise, strides=strides, padding="same")
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-10, atol=1e-10)


# --------------------------------------------------------------------------- behaviour
def test_float32_stays_float32_through_forward_and_backward():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((2, 6, 6, 3)).astype(np.float32), requires_grad=True)
    k = Tensor(rng.standard_normal((3, 3, 3, 4)).astype(np.float32), requires_grad=True)
    for y in (ops.conv2d(x, k, padding="same"), ops.conv2d_transpose(x, k.transpose(0, 1, 3, 2))):
        assert y.dtype == np.float32
        y.sum().backward()
        assert x.grad.dtype == np.float32 and k.grad.dtype == np.float32
        x.grad = k.grad = None


def test_only_the_kernel_gradient_when_the_input_is_a_constant():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 5, 5, 3))
    k = Tensor(rng.standard_normal((3, 3, 3, 2)), requires_grad=True)
    ops.conv2d(x, k).sum().backward()
    xt = torch.tensor(x).permute(0, 3, 1, 2)
    kt = torch.tensor(k.numpy()).permute(3, 2, 0, 1).requires_grad_()
    F.conv2d(xt, kt).sum().backward()
    np.testing.assert_allclose(k.grad, kt.grad.permute(2, 3, 1, 0).numpy(), rtol=1e-10)


@pytest.mark.parametrize("x_shape, kernel_shape, strides, dilation, padding", [
    ((3, 9, 8, 3), (4, 4, 3, 5), 1, 1, "same"),
    ((2, 11, 10, 1), (3, 2, 1, 4), (2, 3), 1, "valid"),
    ((2, 12, 12, 3), (3, 3, 3, 2), 1, 2, "same"),
    ((2, 14, 13, 7), (7, 7, 7, 3), 2, 1, "valid"),
])
def test_channel_major_window_matrix_equals_the_plain_im2col(monkeypatch, x_shape, kernel_shape,
                                                             strides, dilation, padding):
    """Few-channel inputs take the channel-major path; it must give the plain path's results."""
    from scratchdl.ops import conv as conv_module

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(x_shape)
    k_np = rng.standard_normal(kernel_shape)
    upstream = None
    results = []
    for threshold in (conv_module.CHANNEL_MAJOR_BELOW, 0):  # the fast path, then the plain one
        assert (x_shape[-1] < threshold) == (threshold > 0)
        monkeypatch.setattr(conv_module, "CHANNEL_MAJOR_BELOW", threshold)
        x, k = Tensor(x_np, requires_grad=True), Tensor(k_np, requires_grad=True)
        y = ops.conv2d(x, k, strides=strides, padding=padding, dilation_rate=dilation)
        if upstream is None:
            upstream = rng.standard_normal(y.shape)
        (y * upstream).sum().backward()
        results.append((y.numpy(), x.grad, k.grad))
    for fast, plain in zip(*results):
        np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("images_per_block", [1, 2, 3])
def test_channel_major_blocks_of_images_equal_the_plain_im2col(monkeypatch, images_per_block):
    """The channel-major matrix is built and multiplied a block of images at a time (the last
    block may be shorter); forward and both gradients must not depend on the block size."""
    from scratchdl.ops import conv as conv_module

    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((3, 7, 6, 2))
    k_np = rng.standard_normal((3, 2, 2, 4))
    upstream = rng.standard_normal((3, 4, 3, 4))
    rows, pixels = 3 * 2 * 2, 4 * 3  # kh * kw * C, output pixels per image
    results = []
    for threshold, block_bytes in ((conv_module.CHANNEL_MAJOR_BELOW, images_per_block * rows
                                    * pixels * 8), (0, conv_module.CHANNEL_MAJOR_BLOCK_BYTES)):
        monkeypatch.setattr(conv_module, "CHANNEL_MAJOR_BELOW", threshold)
        monkeypatch.setattr(conv_module, "CHANNEL_MAJOR_BLOCK_BYTES", block_bytes)
        x, k = Tensor(x_np, requires_grad=True), Tensor(k_np, requires_grad=True)
        y = ops.conv2d(x, k, strides=(2, 2), padding="same")
        (y * upstream).sum().backward()
        results.append((y.numpy(), x.grad, k.grad))
    for fast, plain in zip(*results):
        np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("x_shape, kernel_shape, strides, dilation, padding, data_format", [
    ((2, 9, 8, 3), (3, 3, 3, 1), 1, 1, "same", "channels_last"),
    ((2, 9, 8, 3), (3, 2, 3, 2), 1, 1, "valid", "channels_last"),
    ((2, 10, 9, 4), (3, 3, 4, 1), (2, 1), (1, 2), "same", "channels_last"),
    ((1, 7, 1, 5), (2, 1, 5, 1), 1, 1, "same", "channels_last"),
    ((2, 8, 8, 2), (3, 3, 2, 3), 1, 2, "same", "channels_last"),
    ((2, 3, 7, 6), (3, 3, 3, 1), 1, 1, "same", "channels_first"),
])
def test_depthwise_row_contraction_equals_the_plain_window_einsum(
        monkeypatch, x_shape, kernel_shape, strides, dilation, padding, data_format):
    """With a horizontal stride of 1 the depthwise sums run along whole output rows
    (``row_window_view``); forward and both gradients must equal the plain window einsum."""
    from scratchdl.ops import _depthwise_conv as depthwise_module

    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(x_shape)
    k_np = rng.standard_normal(kernel_shape)
    upstream = None
    results = []
    calls = record_fast_path(monkeypatch, depthwise_module, "row_window_view")
    counted = depthwise_module.row_window_view
    for row_view in (counted, lambda *args: None):  # the fast path, then the plain one
        monkeypatch.setattr(depthwise_module, "row_window_view", row_view)
        x, k = Tensor(x_np, requires_grad=True), Tensor(k_np, requires_grad=True)
        y = ops.depthwise_conv2d(x, k, strides=strides, padding=padding, dilation_rate=dilation,
                                 data_format=data_format)
        if upstream is None:
            upstream = rng.standard_normal(y.shape)
        (y * upstream).sum().backward()
        results.append((y.numpy(), x.grad, k.grad))
    assert any(calls)  # the rows were used (the forward at least)
    for fast, plain in zip(*results):
        np.testing.assert_allclose(fast, plain, rtol=1e-12, atol=1e-12)


def test_row_window_view_reads_the_windows_and_declines_other_layouts():
    from scratchdl.ops._windows import row_window_view, window_view

    x = np.arange(2 * 6 * 7 * 3, dtype=np.float64).reshape(2, 6, 7, 3)
    geometry = ((3, 2), (2, 1), (1, 2), (2, 5))  # kernel, strides, dilation, output size
    rows = row_window_view(x, *geometry)
    windows = window_view(x, *geometry)  # (n, i, j, a, b, c)
    assert rows.shape == (2, 2, 3, 2, 5 * 3)
    np.testing.assert_array_equal(rows.reshape(2, 2, 3, 2, 5, 3), windows.transpose(0, 1, 3, 4, 2, 5))
    assert row_window_view(x, (3, 2), (1, 2), (1, 1), (4, 3)) is None  # horizontal stride 2
    assert row_window_view(np.moveaxis(x.transpose(0, 3, 1, 2), 1, -1).copy(order="F"),
                           *geometry) is None  # rows not contiguous


@pytest.mark.parametrize("op, x_shape, kernel_shape, kwargs", [
    (ops.conv2d, (2, 6, 5, 3), (3, 3, 3, 4), {"padding": "same"}),  # channel-major windows
    (ops.conv2d, (2, 6, 5, 20), (2, 2, 20, 3), {"strides": 2}),  # im2col
    (ops.conv2d, (2, 5, 5, 4), (3, 3, 2, 6), {"groups": 2}),
    (ops.conv2d, (2, 3, 5, 6), (3, 3, 3, 4), {"padding": "same", "data_format": "channels_first"}),
    (ops.conv1d, (2, 7, 3), (3, 3, 4), {"padding": "causal"}),
    (ops.depthwise_conv2d, (2, 6, 6, 3), (3, 3, 3, 2), {"padding": "same"}),
    (ops.depthwise_conv2d, (1, 7, 6, 2), (2, 2, 2, 1), {"strides": 2, "padding": "same"}),
    (ops.depthwise_conv1d, (2, 7, 3), (3, 3, 1), {"data_format": "channels_last"}),
])
@pytest.mark.parametrize("activation", [None, "relu"])
def test_fused_bias_and_relu_equal_the_separate_ops(op, x_shape, kernel_shape, kwargs, activation):
    """``bias=`` and ``activation='relu'`` are applied in place in the op's output; values and
    all three gradients must equal the op followed by ``+ bias`` and ``relu``."""
    rng = np.random.default_rng(0)
    x_np, k_np = rng.standard_normal(x_shape), rng.standard_normal(kernel_shape)
    filters = kernel_shape[-1] * (kernel_shape[-2] if op in (ops.depthwise_conv1d,
                                                            ops.depthwise_conv2d) else 1)
    b_np = rng.standard_normal(filters)
    channels_first = kwargs.get("data_format") == "channels_first"
    results, upstream = [], None
    for fused in (True, False):
        x, k, b = (Tensor(a, requires_grad=True) for a in (x_np, k_np, b_np))
        if fused:
            y = op(x, k, bias=b, activation=activation, **kwargs)
        else:
            y = op(x, k, **kwargs)
            y = y + (ops.reshape(b, (filters,) + (1,) * (y.ndim - 2)) if channels_first else b)
            y = ops.relu(y) if activation else y
        if upstream is None:
            upstream = rng.standard_normal(y.shape)
        (y * upstream).sum().backward()
        results.append((y.numpy(), x.grad, k.grad, b.grad))
    for fused, plain in zip(*results):
        np.testing.assert_allclose(fused, plain, rtol=1e-12, atol=1e-12)


def test_fused_bias_keeps_float32_and_gradchecks():
    rng = np.random.default_rng(1)
    x = Tensor(rng.standard_normal((2, 5, 5, 3)).astype(np.float32), requires_grad=True)
    k = Tensor(rng.standard_normal((3, 3, 3, 4)).astype(np.float32), requires_grad=True)
    b = Tensor(rng.standard_normal(4).astype(np.float32), requires_grad=True)
    y = ops.conv2d(x, k, bias=b, activation="relu")
    y.sum().backward()
    assert y.dtype == x.grad.dtype == k.grad.dtype == b.grad.dtype == np.float32
    run_all_checks(OpCase("conv2d_fused_bias_relu",
                          lambda x, k, b: ops.conv2d(x, k, padding="same", bias=b, activation="relu"),
                          [Arg((2, 5, 4, 3)), Arg((3, 3, 3, 2)), Arg((2,))],
                          torch_fn=lambda x, k, b: F.relu(torch_conv(x, k, padding="same") + b)))


def test_fused_epilogue_errors_name_the_op_and_the_shapes():
    x, k = np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 3, 4))
    with pytest.raises(ValueError, match=r"conv2d: bias must have shape \(4,\) .*got shape \(3,\)"):
        ops.conv2d(x, k, bias=np.zeros(3))
    with pytest.raises(ValueError, match=r"depthwise_conv2d: activation must be None or 'relu', "
                                         r"got 'tanh'"):
        ops.depthwise_conv2d(x, np.zeros((3, 3, 3, 1)), activation="tanh")


@pytest.mark.parametrize("images_per_block", [1, 2, 3])
@pytest.mark.parametrize("groups", [1, 2])
def test_window_matrix_blocks_of_images_equal_one_block(monkeypatch, images_per_block, groups):
    """A large im2col matrix is built and multiplied a block of images at a time (the last
    block may be shorter), and rebuilt for the kernel gradient; a small one is built whole and
    kept. Nothing may depend on the block size, grouped convolutions included."""
    from scratchdl.ops import conv as conv_module

    rng = np.random.default_rng(3)
    x_np = rng.standard_normal((5, 6, 7, 8))
    k_np = rng.standard_normal((3, 2, 8 // groups, 6))
    b_np = rng.standard_normal(6)
    upstream = rng.standard_normal((5, 3, 7, 6))
    per_image = 3 * 7 * 3 * 2 * 8 * 8  # output pixels * kh * kw * C (all groups) * float64 bytes
    results = []
    for whole_bytes, block_bytes in ((0, images_per_block * per_image), (1 << 40, 1 << 40)):
        monkeypatch.setattr(conv_module, "WINDOW_WHOLE_BYTES", whole_bytes)
        monkeypatch.setattr(conv_module, "WINDOW_BLOCK_BYTES", block_bytes)
        x, k, b = (Tensor(a, requires_grad=True) for a in (x_np, k_np, b_np))
        y = ops.conv2d(x, k, strides=(2, 1), padding="same", groups=groups, bias=b,
                       activation="relu")
        (y * upstream).sum().backward()
        results.append((y.numpy(), x.grad, k.grad, b.grad))
    for blocked, whole in zip(*results):
        np.testing.assert_allclose(blocked, whole, rtol=1e-12, atol=1e-12)


def test_channel_major_mixed_dtypes_promote_as_numpy():
    x = np.random.default_rng(0).standard_normal((2, 5, 5, 3)).astype(np.float32)
    k = Tensor(np.ones((2, 2, 3, 4)), requires_grad=True)  # float64
    y = ops.conv2d(x, k)
    assert y.dtype == np.float64
    y.sum().backward()
    assert k.grad.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), ops.conv2d(x.astype(np.float64), k.numpy()).numpy())


def test_channels_first_equals_channels_last_transposed():
    rng = np.random.default_rng(0)
    x, k = rng.standard_normal((2, 6, 5, 4)), rng.standard_normal((3, 2, 2, 6))
    last = ops.conv2d(x, k, strides=2, padding="same", groups=2).numpy()
    first = ops.conv2d(x.transpose(0, 3, 1, 2), k, strides=2, padding="same", groups=2,
                       data_format="channels_first").numpy()
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, rtol=1e-12)


def test_conv_transpose_is_the_input_gradient_of_conv():
    rng = np.random.default_rng(0)
    x = Tensor(rng.standard_normal((1, 7, 7, 2)), requires_grad=True)
    k = rng.standard_normal((3, 3, 2, 4))
    y = ops.conv2d(x, k, strides=2)
    upstream = rng.standard_normal(y.shape)
    (y * upstream).sum().backward()
    transposed = ops.conv2d_transpose(upstream, k, strides=2, output_padding=0)
    np.testing.assert_allclose(transposed.numpy(), x.grad, rtol=1e-12)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(("call", "message"), [
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 4, 8))),
     r"conv2d: input has 3 channels but the kernel expects 4 \(kernel shape \(3, 3, 4, 8\)"),
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 6)), np.zeros((3, 3, 2, 8)), groups=2),
     r"conv2d: input has 6 channels but the kernel expects 4 with groups=2"),
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 4)), np.zeros((3, 3, 2, 3)), groups=2),
     r"conv2d: the kernel's 3 output channels do not divide into groups=2"),
    (lambda: ops.conv2d(np.zeros((5, 5, 3)), np.zeros((3, 3, 3, 8))),
     r"conv2d: expected a 4-D input \(batch, height, width, channels\), got shape \(5, 5, 3\)"),
    (lambda: ops.conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 8))),
     r"conv2d: expected a 4-D kernel .* got shape \(3, 3, 8\)"),
    (lambda: ops.conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 3, 2)), dilation_rate=2),
     r"conv2d: the kernel \(3, 3\) with dilation_rate \(2, 2\) spans \(5, 5\) pixels, more than "
     r"the padded input \(4, 4\) \(input shape \(1, 4, 4, 3\), padding 'valid'\)"),
    (lambda: ops.conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 3, 2)), padding="causal"),
     r"conv2d: padding must be 'valid', 'same' or explicit amounts, got 'causal'"),
    (lambda: ops.conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 3, 2)), strides=0),
     r"conv2d: strides must be a positive int"),
    (lambda: ops.conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 3, 2)), padding=((1, -1), (0, 0))),
     r"conv2d: padding must be a non-negative int"),
    (lambda: ops.conv2d(np.zeros((1, 4, 4, 3)), np.zeros((3, 3, 3, 2)), data_format="NHWC"),
     r"conv2d: data_format must be 'channels_last' or 'channels_first', got 'NHWC'"),
    (lambda: ops.conv1d(np.zeros((1, 4, 3)), np.zeros((3, 2, 2))),
     r"conv1d: input has 3 channels but the kernel expects 2 \(kernel shape \(3, 2, 2\)"),
    (lambda: ops.conv1d(np.zeros((1, 2, 3)), np.zeros((3, 3, 2))),
     r"conv1d: the kernel \(3,\) with dilation_rate \(1,\) spans \(3,\) pixels"),
    (lambda: ops.depthwise_conv2d(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 4, 2))),
     r"depthwise_conv2d: input has 3 channels but the depthwise_kernel expects 4 "
     r"\(depthwise_kernel shape \(3, 3, 4, 2\)"),
    (lambda: ops.conv2d_transpose(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 8, 4))),
     r"conv2d_transpose: input has 3 channels but the kernel expects 4 \(kernel shape "
     r"\(3, 3, 8, 4\)"),
    (lambda: ops.conv2d_transpose(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 8, 3)), padding="causal"),
     r"conv2d_transpose: padding must be 'valid' or 'same', got 'causal'"),
    (lambda: ops.conv2d_transpose(np.zeros((1, 5, 5, 3)), np.zeros((3, 3, 8, 3)), output_padding=-1),
     r"conv2d_transpose: output_padding must be a >= 0 int"),
])
def test_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --------------------------------------------------------------------------- output sizes
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_output_size_helpers_match_keras_and_the_ops(padding):
    from keras.src.backend.common.backend_utils import compute_conv_transpose_output_shape
    from keras.src.ops.operation_utils import compute_conv_output_shape

    for size in range(1, 9):
        for kernel in (1, 2, 3, 4):
            for stride in (1, 2, 3):
                for dilation in (1, 2):
                    got = ops.conv_output_size(size, kernel, stride, padding, dilation)
                    if got < 1:  # Keras refuses such a kernel, and so does the op
                        with pytest.raises(ValueError, match="output size would be zero"):
                            compute_conv_output_shape((1, size, 1), 1, (kernel,), stride, padding,
                                                      dilation_rate=dilation)
                        with pytest.raises(ValueError, match="conv1d: the kernel"):
                            ops.conv1d(np.zeros((1, size, 1)), np.zeros((kernel, 1, 1)),
                                       strides=stride, padding=padding, dilation_rate=dilation)
                    else:
                        expected = compute_conv_output_shape(
                            (1, size, 1), 1, (kernel,), stride, padding, dilation_rate=dilation)[1]
                        assert got == expected, (size, kernel, stride, dilation)
                        y = ops.conv1d(np.zeros((1, size, 1)), np.zeros((kernel, 1, 1)),
                                       strides=stride, padding=padding, dilation_rate=dilation)
                        assert y.shape[1] == got
                    for extra in (None, *range(stride)):
                        expected = compute_conv_transpose_output_shape(
                            (1, size, 1), (kernel,), 1, stride, padding, extra,
                            dilation_rate=dilation)[1]
                        got = ops.conv_transpose_output_size(size, kernel, stride, padding, extra,
                                                             dilation)
                        assert got == expected, (size, kernel, stride, dilation, extra)
    assert ops.conv_output_size(None, 3) is None and ops.conv_transpose_output_size(None, 3, 2) is None
    assert ops.conv_output_size(5, 3, 1, "causal") == 5 and ops.conv_output_size(5, 3, 1, (2, 1)) == 6
