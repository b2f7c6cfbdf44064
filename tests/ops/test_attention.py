"""Attention ops through the op harness: scaled dot-product attention against PyTorch
(``torch.nn.functional.scaled_dot_product_attention`` with the same masks), NumPy and numerical
gradients; the Transformer's mask helpers and positional encoding against their formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchdl import Tensor, backend, ops
from scratchdl.autograd.gradcheck import gradcheck
from tests.ops.harness import OpCase, op_tests, run_all_checks

FILL = -0.7 * 3.38953e38  # what keras.ops.dot_product_attention (torch backend) adds when masked


# --------------------------------------------------------------------------- references
def np_attention(q, k, v, mask=None, scale=None, is_causal=False, with_scores=False):
    """float64 NumPy reference: softmax(scale q k^T + where(mask, 0, FILL)) v."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = (q @ np.swapaxes(k, -1, -2)) * scale
    if is_causal:
        causal = np.tril(np.ones((q.shape[-2], k.shape[-2]), bool))
        mask = causal if mask is None else np.logical_and(mask, causal)
    if mask is not None:
        s = s + np.where(mask, 0.0, FILL)
    s = s - s.max(-1, keepdims=True)
    p = np.exp(s) / np.exp(s).sum(-1, keepdims=True)
    out = p @ v
    return (out, p) if with_scores else out


def torch_attention(q, k, v, mask=None, scale=None, is_causal=False, bool_mask=False):
    """PyTorch's fused SDPA; a boolean mask is passed as the additive bias Keras uses (or, with
    ``bool_mask``, as torch's own boolean ``attn_mask``, True = attend as well)."""
    if mask is not None and not bool_mask:
        mask = torch.where(mask, 0.0, FILL).to(q.dtype)
    if is_causal and mask is not None:
        causal = torch.ones(q.shape[-2], k.shape[-2], dtype=torch.bool).tril()
        mask = mask.masked_fill(~causal, FILL) if not bool_mask else mask & causal
        is_causal = False
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                                            is_causal=is_causal, scale=scale)


def torch_attention_with_scores(q, k, v, mask=None, scale=None):
    """PyTorch autograd through the explicit formula (SDPA does not return the weights)."""
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ k.transpose(-1, -2) * scale
    if mask is not None:
        s = s + torch.where(mask, 0.0, FILL).to(q.dtype)
    p = torch.softmax(s, dim=-1)
    return p @ v, p


def inputs(q_shape, k_shape, v_shape, mask_shape=None, full_row=False):
    """Random q, k, v in [-2, 2) and a boolean mask with at least one True per row (a fully
    masked row only with ``full_row``)."""
    def make(rng):
        arrays = [rng.uniform(-2, 2, s) for s in (q_shape, k_shape, v_shape)]
        if mask_shape is not None:
            mask = rng.random(mask_shape) < 0.6
            mask[..., 0] = True  # every row attends somewhere
            if full_row:
                mask[(0,) * (len(mask_shape) - 1)] = False
            arrays.append(mask)
        return arrays
    return make


def case(name, q, k, v, mask=None, scale=None, is_causal=False, scores=False, bool_mask=False,
         full_row=False, with_torch=True):
    def fn(qq, kk, vv, mm=None):
        return ops.scaled_dot_product_attention(qq, kk, vv, mask=mm, scale=scale, is_causal=is_causal,
                                                return_attention_scores=scores)

    def numpy_fn(qq, kk, vv, mm=None):
        return np_attention(qq, kk, vv, mm, scale, is_causal, with_scores=scores)

    def torch_fn(qq, kk, vv, mm=None):
        if scores:
            return torch_attention_with_scores(qq, kk, vv, mm, scale)
        return torch_attention(qq, kk, vv, mm, scale, is_causal, bool_mask)

    return OpCase(f"sdpa_{name}", fn, [], make_inputs=inputs(q, k, v, mask, full_row),
                  numpy_fn=numpy_fn, torch_fn=torch_fn if with_torch else None,
                  rtol64=1e-6, atol64=1e-9, atol32=2e-5)


CASES = [
    case("3d", (2, 5, 4), (2, 7, 4), (2, 7, 3)),
    case("heads", (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 5)),
    case("one_query_depth_one", (3, 1, 1), (3, 4, 1), (3, 4, 2)),
    case("unbatched", (5, 3), (6, 3), (6, 2)),
    case("shared_kv_heads", (2, 3, 5, 4), (2, 1, 6, 4), (2, 1, 6, 3)),
    case("scale", (2, 5, 4), (2, 6, 4), (2, 6, 3), scale=0.3),
    case("padding_mask", (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3), mask=(2, 1, 1, 6)),
    case("full_mask", (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3), mask=(2, 3, 5, 6)),
    case("bool_mask_torch", (2, 5, 4), (2, 6, 4), (2, 6, 3), mask=(2, 5, 6), bool_mask=True),
    case("causal", (2, 2, 6, 4), (2, 2, 6, 4), (2, 2, 6, 3), is_causal=True),
    case("causal_short_query", (2, 4, 3), (2, 7, 3), (2, 7, 2), is_causal=True),
    case("causal_and_mask", (2, 6, 4), (2, 6, 4), (2, 6, 3), mask=(2, 1, 6), is_causal=True),
    case("scores", (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 3), mask=(2, 1, 5, 6), scores=True),
    # A row with every key masked attends uniformly (the mask is added, not -inf), as Keras's
    # ops do. PyTorch's fused SDPA backward is wrong on such rows (it recomputes the
    # probabilities from a log-sum-exp that lost the row's constant), so the reference here is
    # NumPy forward and the numerical gradient.
    case("fully_masked_row", (2, 5, 4), (2, 6, 4), (2, 6, 3), mask=(2, 5, 6), full_row=True,
         with_torch=False),
]

test_scaled_dot_product_attention = op_tests(CASES)


@settings(max_examples=15, deadline=None)
@given(batch=st.lists(st.integers(1, 3), min_size=0, max_size=2), tq=st.integers(1, 5),
       tk=st.integers(1, 5), d=st.integers(1, 4), dv=st.integers(1, 4), causal=st.booleans(),
       masked=st.booleans())
def test_sdpa_on_generated_shapes(batch, tq, tk, d, dv, causal, masked):
    b = tuple(batch)
    mask = (*b, tq, tk) if masked else None
    run_all_checks(case("generated", (*b, tq, d), (*b, tk, d), (*b, tk, dv), mask=mask,
                        is_causal=causal))


# --------------------------------------------------------------------------- semantics
def test_fully_masked_row_is_uniform_like_keras_ops():
    import keras

    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s).astype("float32") for s in ((2, 4, 3, 5), (2, 6, 3, 5), (2, 6, 3, 5)))
    mask = rng.random((2, 3, 4, 6)) < 0.5
    mask[..., 2] = True
    mask[:, :, 1] = False  # query 1 sees no key
    ours = ops.scaled_dot_product_attention(*(np.swapaxes(a, 1, 2) for a in (q, k, v)), mask=mask)
    theirs = keras.ops.dot_product_attention(torch.from_numpy(q), torch.from_numpy(k),
                                             torch.from_numpy(v), mask=torch.from_numpy(mask))
    np.testing.assert_allclose(np.swapaxes(ours.numpy(), 1, 2), theirs.numpy(), atol=1e-6)
    # the masked query attends uniformly: the mean of the values
    np.testing.assert_allclose(ours.numpy()[:, :, 1], np.swapaxes(v, 1, 2).mean(axis=2), atol=1e-6)


def test_numeric_masks_count_nonzero_as_attend():
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 2)))
    mask = (rng.random((2, 3, 5)) < 0.5) | np.eye(3, 5, dtype=bool)
    as_bool = ops.scaled_dot_product_attention(q, k, v, mask=mask)
    as_float = ops.scaled_dot_product_attention(q, k, v, mask=mask.astype("float32") * 3.0)
    as_tensor = ops.scaled_dot_product_attention(q, k, v, mask=Tensor(mask.astype("int32")))
    np.testing.assert_array_equal(as_float.numpy(), as_bool.numpy())
    np.testing.assert_array_equal(as_tensor.numpy(), as_bool.numpy())


def test_scores_rows_sum_to_one_and_respect_masks():
    rng = np.random.default_rng(2)
    q = rng.standard_normal((2, 6, 4)).astype("float32")
    mask = ops.padding_mask(np.array([[3, 4, 5, 0, 0, 0], [1, 2, 3, 4, 5, 6]]))
    out, p = ops.scaled_dot_product_attention(q, q, q, mask=mask, is_causal=True,
                                              return_attention_scores=True)
    assert out.dtype == np.float32 and p.dtype == np.float32 and p.shape == (2, 6, 6)
    np.testing.assert_allclose(p.numpy().sum(-1), 1.0, rtol=1e-6)
    allowed = np.logical_and(mask, np.tril(np.ones((6, 6), bool)))
    assert np.all(p.numpy()[~allowed] == 0.0)


def test_integer_inputs_are_computed_in_floatx():
    x = np.arange(12).reshape(1, 3, 4)
    out = ops.scaled_dot_product_attention(x, x, x)
    assert out.dtype == np.dtype(backend.floatx())
    np.testing.assert_allclose(out.numpy(), np_attention(*(x.astype(float),) * 3), rtol=1e-5)


def test_dropout_uses_the_seeded_generator_and_scales_kept_weights():
    rng = np.random.default_rng(3)
    q, k, v = (rng.standard_normal(s) for s in ((2, 4, 3), (2, 5, 3), (2, 5, 2)))
    backend.set_random_seed(11)
    out, p = ops.scaled_dot_product_attention(q, k, v, dropout_rate=0.4, return_attention_scores=True)
    backend.set_random_seed(11)
    keep = backend.random_generator().random(p.shape) >= 0.4
    np.testing.assert_allclose(p.numpy(), np_attention(q, k, v, with_scores=True)[1], rtol=1e-10)
    np.testing.assert_allclose(out.numpy(), (p.numpy() * keep / 0.6) @ v, rtol=1e-10)
    assert 0 < keep.mean() < 1

    tensors = [Tensor(a, requires_grad=True) for a in (q, k, v)]

    def loss(*xs):
        backend.set_random_seed(11)  # the same mask at every evaluation
        out = ops.scaled_dot_product_attention(*xs, dropout_rate=0.4)
        return (out * Tensor(np.linspace(-1, 1, out.size).reshape(out.shape))).sum()

    report = gradcheck(loss, tensors, eps=1e-6, threshold=1e-6, mode="full")
    assert report.passed, str(report)


def test_gradient_of_returned_scores_flows_back():
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 2))]
    tensors = [Tensor(a, requires_grad=True) for a in arrays]

    def loss(*xs):
        out, p = ops.scaled_dot_product_attention(*xs, return_attention_scores=True)
        return (p * p).sum() + out.sum()

    report = gradcheck(loss, tensors, eps=1e-6, threshold=1e-6, mode="full")
    assert report.passed, str(report)


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize("shapes, message", [
    (((2, 5, 4), (2, 6, 3), (2, 6, 3)), r"query depth 4 != key depth 3 .*\(2, 5, 4\).*\(2, 6, 3\)"),
    (((2, 5, 4), (2, 6, 4), (2, 7, 3)), r"key length 6 != value length 7 .*\(2, 6, 4\).*\(2, 7, 3\)"),
    (((2, 5, 4), (3, 6, 4), (3, 6, 3)), r"the batch dimensions of query \(2, 5, 4\), key \(3, 6, 4\)"),
    (((4,), (6, 4), (6, 3)), r"query, key and value need at least 2 dimensions.*query \(4,\)"),
])
def test_shape_errors_name_op_and_shapes(shapes, message):
    arrays = [np.zeros(s, "float32") for s in shapes]
    with pytest.raises(ValueError, match="scaled_dot_product_attention: " + message):
        ops.scaled_dot_product_attention(*arrays)


def test_mask_and_rate_errors():
    q = np.zeros((2, 5, 4), "float32")
    with pytest.raises(ValueError, match=r"scaled_dot_product_attention: the mask of shape \(3, 5\) "
                                         r"does not broadcast to the attention scores' shape \(2, 5, 5\)"):
        ops.scaled_dot_product_attention(q, q, q, mask=np.ones((3, 5), bool))
    with pytest.raises(ValueError, match=r"dropout_rate must be a number in \[0, 1\), got 1.0"):
        ops.scaled_dot_product_attention(q, q, q, dropout_rate=1.0)


# --------------------------------------------------------------------------- helpers
def course_positional_encoding(positions, d):
    """The course's NumPy formula (get_angles, then sin on even and cos on odd columns)."""
    pos = np.arange(positions)[:, np.newaxis]
    i = np.arange(d)[np.newaxis, :]
    angle_rads = pos / np.power(10000, (2 * (i // 2)) / np.float32(d))
    angle_rads[:, 0::2] = np.sin(angle_rads[:, 0::2])
    angle_rads[:, 1::2] = np.cos(angle_rads[:, 1::2])
    return angle_rads


@pytest.mark.parametrize("length, depth", [(1, 1), (10, 16), (7, 5), (50, 128), (0, 4)])
def test_positional_encoding_matches_the_formula(length, depth):
    encoding = ops.positional_encoding(length, depth)
    assert isinstance(encoding, np.ndarray) and encoding.shape == (length, depth)
    assert encoding.dtype == np.dtype(backend.floatx())
    np.testing.assert_allclose(encoding, course_positional_encoding(length, depth), rtol=1e-6, atol=1e-6)
    assert ops.positional_encoding(length, depth, dtype="float64").dtype == np.float64


def test_positional_encoding_known_values_and_errors():
    encoding = ops.positional_encoding(3, 4, dtype="float64")
    np.testing.assert_allclose(encoding[:, 0], np.sin([0, 1, 2]))
    np.testing.assert_allclose(encoding[:, 1], np.cos([0, 1, 2]))
    np.testing.assert_allclose(encoding[:, 2], np.sin(np.array([0, 1, 2]) / 100.0))
    np.testing.assert_allclose(encoding[:, 3], np.cos(np.array([0, 1, 2]) / 100.0))
    with pytest.raises(ValueError, match="positional_encoding: depth must be a non-negative int"):
        ops.positional_encoding(3, -1)
    with pytest.raises(TypeError, match="positional_encoding: dtype must be a float dtype"):
        ops.positional_encoding(3, 4, dtype="int32")


def test_padding_mask_is_true_at_tokens():
    tokens = np.array([[7, 6, 0, 0, 1], [0, 0, 0, 1, 2]])
    mask = ops.padding_mask(tokens)
    assert mask.shape == (2, 1, 5) and mask.dtype == np.bool_
    np.testing.assert_array_equal(mask[:, 0], tokens != 0)
    np.testing.assert_array_equal(ops.padding_mask(Tensor(tokens), pad_value=1)[:, 0], tokens != 1)


def test_look_ahead_mask_is_lower_triangular_and_equals_is_causal():
    mask = ops.look_ahead_mask(4)
    assert mask.shape == (1, 4, 4) and mask.dtype == np.bool_
    np.testing.assert_array_equal(mask[0], torch.ones(4, 4).tril().bool().numpy())
    rng = np.random.default_rng(5)
    q, k, v = (rng.standard_normal((2, 4, 3)) for _ in range(3))
    with_mask = ops.scaled_dot_product_attention(q, k, v, mask=mask)
    causal = torch.nn.functional.scaled_dot_product_attention(*(torch.from_numpy(a) for a in (q, k, v)),
                                                              is_causal=True)
    np.testing.assert_allclose(with_mask.numpy(), causal.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="look_ahead_mask: size must be a non-negative int"):
        ops.look_ahead_mask(-2)


def test_padding_and_look_ahead_masks_combine_for_decoder_self_attention():
    tokens = np.array([[5, 3, 8, 0], [2, 0, 0, 0]])
    combined = np.logical_and(ops.padding_mask(tokens), ops.look_ahead_mask(4))
    assert combined.shape == (2, 4, 4)
    expected = np.tril(np.ones((4, 4), bool))[None] & (tokens != 0)[:, None, :]
    np.testing.assert_array_equal(combined, expected)
