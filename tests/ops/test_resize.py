"""Resize ops (resize.py) through the op harness.

References: ``torch.nn.functional.interpolate`` (nearest; bilinear with ``align_corners=False``,
no antialiasing, as Keras's torch backend resizes), ``F.pad`` and slicing, plus NumPy loops that
compute every bilinear sample from its source coordinate; ``UpSampling2D`` is also compared with
Keras itself.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from scratchdl import Tensor, ops
from tests.ops.harness import Arg, OpCase, op_tests


def _pair(value):
    return (value, value) if isinstance(value, int) else tuple(value)


def _pads(value):
    """Keras 2-D amounts -> ((top, bottom), (left, right))."""
    if isinstance(value, int):
        return ((value, value), (value, value))
    return tuple((v, v) if isinstance(v, int) else tuple(v) for v in value)


def _to_nchw(x, data_format):
    return x.permute(0, 3, 1, 2) if data_format == "channels_last" else x


def _from_nchw(x, data_format):
    return x.permute(0, 2, 3, 1) if data_format == "channels_last" else x


# --------------------------------------------------------------------------- upsampling
def torch_upsampling2d(x, size=(2, 2), data_format="channels_last", interpolation="nearest"):
    sh, sw = _pair(size)
    nchw = _to_nchw(x, data_format)
    out_size = (nchw.shape[2] * sh, nchw.shape[3] * sw)
    if interpolation == "nearest":
        y = F.interpolate(nchw, size=out_size, mode="nearest")
    else:
        y = F.interpolate(nchw, size=out_size, mode="bilinear", align_corners=False, antialias=False)
    return _from_nchw(y, data_format)


def _source(out_index, size, factor):
    """Half-pixel source coordinate of an output pixel (clamped at 0, as PyTorch and TF do)."""
    return max((out_index + 0.5) / factor - 0.5, 0.0)


def naive_upsampling2d(x, size=(2, 2), data_format="channels_last", interpolation="nearest"):
    if data_format == "channels_first":
        x = x.transpose(0, 2, 3, 1)
    sh, sw = _pair(size)
    n, h, w, c = x.shape
    out = np.zeros((n, h * sh, w * sw, c))
    for i in range(h * sh):
        for j in range(w * sw):
            if interpolation == "nearest":
                out[:, i, j] = x[:, i // sh, j // sw]
                continue
            y_src, x_src = _source(i, h, sh), _source(j, w, sw)
            y0, x0 = int(np.floor(y_src)), int(np.floor(x_src))
            y1, x1 = min(y0 + 1, h - 1), min(x0 + 1, w - 1)
            dy, dx = y_src - y0, x_src - x0
            out[:, i, j] = ((1 - dy) * (1 - dx) * x[:, y0, x0] + (1 - dy) * dx * x[:, y0, x1]
                            + dy * (1 - dx) * x[:, y1, x0] + dy * dx * x[:, y1, x1])
    return out.transpose(0, 3, 1, 2) if data_format == "channels_first" else out


def upsampling_case(name, shape, **kwargs):
    return OpCase(f"upsampling2d_{name}", ops.upsampling2d, [Arg(shape)],
                  numpy_fn=naive_upsampling2d, torch_fn=torch_upsampling2d, kwargs=kwargs)


CF = {"data_format": "channels_first"}

CASES = [
    upsampling_case("nearest_default", (2, 3, 4, 2)),
    upsampling_case("nearest_uneven", (1, 3, 2, 3), size=(3, 1)),
    upsampling_case("nearest_channels_first", (2, 2, 3, 4), size=2, **CF),
    upsampling_case("bilinear_2x", (2, 3, 4, 2), interpolation="bilinear"),
    upsampling_case("bilinear_3x2", (1, 4, 3, 2), size=(3, 2), interpolation="bilinear"),
    upsampling_case("bilinear_4x_single_row", (2, 1, 3, 2), size=(2, 4), interpolation="bilinear"),
    upsampling_case("bilinear_5x", (1, 2, 3, 1), size=5, interpolation="bilinear"),
    upsampling_case("bilinear_channels_first", (2, 3, 3, 4), size=(2, 3), interpolation="bilinear",
                    **CF),
    upsampling_case("bilinear_random_projection", (2, 8, 9, 3), interpolation="bilinear"),
    OpCase("upsampling1d", ops.upsampling1d, [Arg((2, 4, 3))],
           numpy_fn=lambda x, size=2: np.repeat(x, size, axis=1),
           torch_fn=lambda x, size=2: torch.repeat_interleave(x, size, dim=1)),
    OpCase("upsampling1d_size3", ops.upsampling1d, [Arg((2, 3, 2))], kwargs=dict(size=3),
           numpy_fn=lambda x, size=2: np.repeat(x, size, axis=1),
           torch_fn=lambda x, size=2: torch.repeat_interleave(x, size, dim=1)),
]


# --------------------------------------------------------------------------- padding, cropping
def torch_zero_padding2d(x, padding=(1, 1), data_format="channels_last"):
    (top, bottom), (left, right) = _pads(padding)
    return _from_nchw(F.pad(_to_nchw(x, data_format), (left, right, top, bottom)), data_format)


def numpy_zero_padding2d(x, padding=(1, 1), data_format="channels_last"):
    pads = _pads(padding)
    width = [(0, 0), *pads, (0, 0)] if data_format == "channels_last" else [(0, 0), (0, 0), *pads]
    return np.pad(x, width)


def torch_cropping2d(x, cropping=((0, 0), (0, 0)), data_format="channels_last"):
    (top, bottom), (left, right) = _pads(cropping)
    nchw = _to_nchw(x, data_format)
    return _from_nchw(nchw[:, :, top:nchw.shape[2] - bottom, left:nchw.shape[3] - right], data_format)


def numpy_cropping2d(x, cropping=((0, 0), (0, 0)), data_format="channels_last"):
    (top, bottom), (left, right) = _pads(cropping)
    if data_format == "channels_first":
        return x[:, :, top:x.shape[2] - bottom, left:x.shape[3] - right]
    return x[:, top:x.shape[1] - bottom, left:x.shape[2] - right]


def _padding1d(x, padding=1, data_format="channels_last"):
    left, right = (padding, padding) if isinstance(padding, int) else padding
    if isinstance(x, torch.Tensor):
        return F.pad(x, (0, 0, left, right)) if data_format == "channels_last" else F.pad(x, (left, right))
    axis = 1 if data_format == "channels_last" else 2
    width = [(0, 0)] * 3
    width[axis] = (left, right)
    return np.pad(x, width)


def _cropping1d(x, cropping=(1, 1)):
    left, right = (cropping, cropping) if isinstance(cropping, int) else cropping
    return x[:, left:x.shape[1] - right]


PAD_CASES = [
    OpCase(f"zero_padding2d_{name}", ops.zero_padding2d, [Arg(shape)], numpy_fn=numpy_zero_padding2d,
           torch_fn=torch_zero_padding2d, kwargs=kwargs)
    for name, shape, kwargs in [
        ("default", (2, 3, 4, 2), {}),
        ("int", (1, 2, 3, 2), dict(padding=2)),
        ("asymmetric", (2, 3, 3, 2), dict(padding=((1, 0), (2, 3)))),
        ("channels_first", (2, 2, 3, 4), dict(padding=(2, 1), **CF)),
    ]
] + [
    OpCase(f"cropping2d_{name}", ops.cropping2d, [Arg(shape)], numpy_fn=numpy_cropping2d,
           torch_fn=torch_cropping2d, kwargs=kwargs)
    for name, shape, kwargs in [
        ("default", (2, 3, 4, 2), {}),
        ("int", (1, 5, 4, 2), dict(cropping=1)),
        ("asymmetric", (2, 6, 5, 2), dict(cropping=((1, 2), (0, 3)))),
        ("channels_first", (2, 2, 6, 5), dict(cropping=(2, 1), **CF)),
    ]
] + [
    OpCase("zero_padding1d", ops.zero_padding1d, [Arg((2, 4, 3))], numpy_fn=_padding1d,
           torch_fn=_padding1d),
    OpCase("zero_padding1d_asymmetric_channels_first", ops.zero_padding1d, [Arg((2, 3, 4))],
           numpy_fn=_padding1d, torch_fn=_padding1d, kwargs=dict(padding=(2, 0), **CF)),
    OpCase("cropping1d", ops.cropping1d, [Arg((2, 5, 3))], numpy_fn=_cropping1d,
           torch_fn=_cropping1d),
    OpCase("cropping1d_asymmetric", ops.cropping1d, [Arg((2, 6, 3))], numpy_fn=_cropping1d,
           torch_fn=_cropping1d, kwargs=dict(cropping=(0, 4))),
]

test_resize = op_tests(CASES + PAD_CASES)


# --------------------------------------------------------------------------- Keras parity
@pytest.mark.parametrize("interpolation", ["nearest", "bilinear"])
@pytest.mark.parametrize("size", [(2, 2), (3, 2), (1, 4)])
def test_upsampling2d_matches_keras_layer(size, interpolation):
    import keras

    x = np.random.default_rng(0).standard_normal((2, 5, 4, 3)).astype(np.float32)
    layer = keras.layers.UpSampling2D(size=size, interpolation=interpolation)
    expected = layer(torch.from_numpy(x)).detach().numpy()
    got = ops.upsampling2d(x, size, interpolation=interpolation)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-5, atol=1e-6)


def test_bilinear_keeps_constant_images_constant_and_float32():
    x = Tensor(np.full((1, 3, 3, 2), 2.5, dtype=np.float32), requires_grad=True)
    y = ops.upsampling2d(x, (3, 4), interpolation="bilinear")
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), 2.5, rtol=1e-6)
    y.sum().backward()
    assert x.grad.dtype == np.float32
    # Every output pixel distributes a total weight of 1 over the input.
    np.testing.assert_allclose(x.grad.sum(), y.size, rtol=1e-5)


def test_padding_and_cropping_undo_each_other():
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 5))
    pads = ((1, 2), (3, 0))
    np.testing.assert_array_equal(ops.cropping2d(ops.zero_padding2d(x, pads), pads).numpy(), x)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ops.upsampling2d(np.zeros((1, 2, 2, 3)), interpolation="bicubic"),
     r"upsampling2d: interpolation must be 'nearest' or 'bilinear', got 'bicubic'"),
    (lambda: ops.upsampling2d(np.zeros((1, 2, 2, 3)), size=(2, 0)),
     r"upsampling2d: size must be a positive int or a sequence of 2 such ints, got \(2, 0\)"),
    (lambda: ops.upsampling1d(np.zeros((1, 2, 2, 3))),
     r"upsampling1d: expected a 3-D input \(batch, width, channels\), got shape \(1, 2, 2, 3\)"),
    (lambda: ops.zero_padding2d(np.zeros((1, 2, 2, 3)), ((1, 2), (3,))),
     r"zero_padding2d: padding must be a non-negative int, a pair \(height, width\) or a pair of "
     r"pairs"),
    (lambda: ops.zero_padding1d(np.zeros((1, 2, 3)), -1),
     r"zero_padding1d: padding must be a non-negative int or a pair \(before, after\), got -1"),
    (lambda: ops.cropping2d(np.zeros((1, 4, 5, 3)), ((2, 2), (1, 1))),
     r"cropping2d: cropping \(\(2, 2\), \(1, 1\)\) removes all 4 rows of input shape \(1, 4, 5, 3\)"),
    (lambda: ops.cropping2d(np.zeros((1, 4, 5, 3)), (1, 3)),
     r"cropping2d: cropping \(\(1, 1\), \(3, 3\)\) removes all 5 columns"),
    (lambda: ops.cropping1d(np.zeros((1, 4, 3)), (3, 1)),
     r"cropping1d: cropping \(3, 1\) removes all 4 steps of input shape \(1, 4, 3\)"),
    (lambda: ops.cropping2d(np.zeros((1, 4, 5)), 1),
     r"cropping2d: expected a 4-D input \(batch, height, width, channels\), got shape \(1, 4, 5\)"),
])
def test_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()
