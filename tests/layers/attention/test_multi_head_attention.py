"""MultiHeadAttention: the layer harness and Keras parity for outputs, attention scores, output
masks and gradients (query, value, key, every weight), with Keras masks, attention masks, the
causal mask, key != value, cross-attention, attention_axes on 4-D inputs and output_shape;
Keras's weight layout, config and weight files."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.autograd.gradcheck import gradcheck
from scratchdl.layers import MultiHeadAttention
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.attention.parity import compare_with_keras
from tests.layers.harness import keras, run_layer_test

RNG = np.random.default_rng(1234)


def arrays(*shapes, rng=RNG):
    return [rng.uniform(-1, 1, s).astype("float32") for s in shapes]


# --------------------------------------------------------------------------- harness
@pytest.mark.parametrize("kwargs, shapes, output_shape, n_weights, call_kwargs", [
    ({"num_heads": 2, "key_dim": 3}, [(2, 5, 8), (2, 5, 8)], (2, 5, 8), 8, {}),
    ({"num_heads": 3, "key_dim": 2, "value_dim": 4, "use_bias": False, "output_shape": 6},
     [(2, 4, 5), (2, 7, 3)], (2, 4, 6), 4, {}),
    ({"num_heads": 2, "key_dim": 4}, [(2, 3, 6), (2, 7, 5), (2, 7, 4)], (2, 3, 6), 8, {}),
    ({"num_heads": 2, "key_dim": 3, "attention_axes": (1, 2)}, [(2, 3, 4, 6), (2, 3, 4, 5)],
     (2, 3, 4, 6), 8, {}),
    ({"num_heads": 2, "key_dim": 3, "attention_axes": 2, "output_shape": (2, 3)},
     [(2, 3, 4, 5), (2, 3, 6, 5)], (2, 3, 4, 2, 3), 8, {}),
    ({"num_heads": 2, "key_dim": 3}, [(2, 6, 4), (2, 6, 4)], (2, 6, 4), 8, {"use_causal_mask": True}),
    ({"num_heads": 2, "key_dim": 2, "use_gate": True, "sliding_window": 2},
     [(2, 5, 4), (2, 5, 4)], (2, 5, 4), 10, {"use_causal_mask": True}),
    ({"num_heads": 1, "key_dim": 5, "kernel_initializer": "he_normal", "bias_initializer": "ones",
      "kernel_regularizer": "l2", "bias_regularizer": "l1", "kernel_constraint": "max_norm"},
     [(3, 2, 4), (3, 3, 4)], (3, 2, 4), 8, {}),
])
def test_multi_head_attention_harness(kwargs, shapes, output_shape, n_weights, call_kwargs):
    query, value, *key = arrays(*shapes)
    call_kwargs = {"value": value, **({"key": key[0]} if key else {}), **call_kwargs}
    run_layer_test(MultiHeadAttention, kwargs, input_data=query, call_kwargs=call_kwargs,
                   expected_output_shape=output_shape, expected_num_trainable_weights=n_weights,
                   expected_num_non_trainable_weights=0, supports_masking=True)


def test_dropout_through_the_harness_in_inference():
    query, value = arrays((2, 4, 6), (2, 5, 6))
    run_layer_test(MultiHeadAttention, {"num_heads": 2, "key_dim": 3, "dropout": 0.3, "seed": 1},
                   input_data=query, call_kwargs={"value": value}, expected_output_shape=(2, 4, 6),
                   deterministic=False, supports_masking=True,
                   run_training_check=False)  # dropout noise; the SGD check runs without dropout


# --------------------------------------------------------------------------- parity
def _call(key=False, **kwargs):
    def call(layer, inputs, convert):
        extra = {name: convert(value) if isinstance(value, np.ndarray) else value
                 for name, value in kwargs.items()}
        if key:
            return layer(inputs[0], inputs[1], key=inputs[2], **extra)
        return layer(inputs[0], inputs[1], **extra)
    return call


def _pair(**kwargs):
    return MultiHeadAttention(**kwargs), keras.layers.MultiHeadAttention(**kwargs)


def test_cross_attention_scores_with_key_and_different_lengths():
    data = arrays((2, 3, 6), (2, 7, 5), (2, 7, 4))
    output, scores = compare_with_keras(*_pair(num_heads=2, key_dim=4, value_dim=3), data,
                                        _call(key=True, return_attention_scores=True))
    assert output.shape == (2, 3, 6) and scores.shape == (2, 2, 3, 7)
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-5)


def test_attention_mask_and_causal_mask_with_scores_including_fully_masked_rows():
    # Returned scores take Keras's Softmax-layer path: masked probabilities are 0, and a query
    # row with no key left is all zeros (output = the output projection's bias).
    query, value = arrays((2, 5, 4), (2, 5, 4))
    mask = RNG.random((2, 5, 5)) < 0.6
    mask[1, 3] = False
    output, scores = compare_with_keras(*_pair(num_heads=2, key_dim=3), [query, value],
                                        _call(attention_mask=mask, use_causal_mask=True,
                                              return_attention_scores=True))
    allowed = mask[:, None] & np.tril(np.ones((5, 5), bool))
    assert np.all(scores[~np.broadcast_to(allowed, scores.shape)] == 0.0)
    assert np.all(scores[1, :, 3] == 0.0)


def test_attention_mask_on_the_fused_path():
    # No dropout and no returned scores: Keras runs torch's fused attention. Every row keeps a
    # key here: on a fully masked row that kernel's gradient is not the derivative of its own
    # output (see test_fully_masked_rows_on_the_fused_path).
    query, value, key = arrays((2, 4, 6), (2, 6, 6), (2, 6, 3))
    mask = RNG.random((2, 4, 6)) < 0.5
    mask[..., 2] = True
    compare_with_keras(*_pair(num_heads=3, key_dim=2), [query, value, key],
                       _call(key=True, attention_mask=mask))


def test_keras_masks_of_query_value_and_key_are_combined_like_keras():
    query, value, key = arrays((2, 4, 6), (2, 5, 6), (2, 5, 6))
    q_mask = np.array([[True, True, True, False], [True, True, False, False]])
    v_mask = np.array([[True, True, False, True, True], [True, True, True, True, False]])
    k_mask = np.array([[True, True, True, True, False], [True, False, True, True, True]])

    def call(layer, inputs, convert):
        for tensor, mask in zip(inputs, (q_mask, v_mask, k_mask)):
            tensor._keras_mask = convert(mask)
        output = layer(inputs[0], inputs[1], key=inputs[2])
        assert all(getattr(t, "_keras_mask", None) is None for t in inputs)  # consumed, as Keras
        return output

    # Padded query rows have no key at all; their outputs are masked downstream, so the
    # upstream gradient is zero there (as under a masked loss).
    outputs = compare_with_keras(*_pair(num_heads=2, key_dim=3), [query, value, key], call,
                                 upstream_keep=[q_mask[..., None]])
    assert outputs[0].shape == (2, 4, 6)


def test_query_mask_becomes_the_output_mask_also_with_scores():
    query, value = arrays((2, 4, 6), (2, 5, 6))
    q_mask = np.array([[True, True, True, False], [True, True, False, False]])

    def call(layer, inputs, convert):
        inputs[0]._keras_mask = convert(q_mask)
        return layer(inputs[0], inputs[1], return_attention_scores=True, use_causal_mask=True)

    compare_with_keras(*_pair(num_heads=2, key_dim=3, dropout=0.2), [query, value], call)


def test_attention_axes_on_4d_inputs_with_scores():
    query, value, key = arrays((2, 3, 4, 5), (2, 3, 4, 6), (2, 3, 4, 2))
    output, scores = compare_with_keras(
        *_pair(num_heads=2, key_dim=3, attention_axes=(1, 2), output_shape=(3, 2)),
        [query, value, key], _call(key=True, return_attention_scores=True))
    assert output.shape == (2, 3, 4, 3, 2) and scores.shape == (2, 2, 3, 4, 3, 4)
    np.testing.assert_allclose(scores.sum(axis=(-1, -2)), 1.0, rtol=1e-5)


def test_attention_axes_with_an_attention_mask():
    query, value = arrays((2, 3, 4, 5), (2, 3, 4, 5))
    mask = RNG.random((2, 3, 4, 3, 4)) < 0.6
    mask[..., 0, 0] = True
    compare_with_keras(*_pair(num_heads=2, key_dim=3, attention_axes=(1, 2)), [query, value],
                       _call(attention_mask=mask))


def test_one_axis_of_a_4d_input():
    query, value = arrays((2, 3, 4, 5), (2, 3, 6, 5))
    output, scores = compare_with_keras(*_pair(num_heads=2, key_dim=2, attention_axes=-2),
                                        [query, value], _call(return_attention_scores=True))
    assert scores.shape == (2, 3, 2, 4, 6)


def test_fully_masked_rows_on_the_fused_path():
    # Outputs equal Keras's (the row attends uniformly); our gradients are the derivative of
    # that output (masked logits are constants), checked numerically in float64.
    query, value = arrays((2, 4, 6), (2, 5, 6))
    mask = RNG.random((2, 4, 5)) < 0.6
    mask[0, 1] = False
    ours, theirs = _pair(num_heads=2, key_dim=3)
    theirs(*(Tensor(a).numpy() for a in (query, value)))
    keras_out = theirs(*(keras.ops.convert_to_tensor(a) for a in (query, value)),
                       attention_mask=keras.ops.convert_to_tensor(mask))
    ours(query, value)
    ours.set_weights(theirs.get_weights())
    np.testing.assert_allclose(ours(query, value, attention_mask=mask).numpy(),
                               keras.ops.convert_to_numpy(keras_out), atol=1e-5)

    layer = MultiHeadAttention(num_heads=2, key_dim=3, dtype="float64")
    q64, v64 = (Tensor(a.astype("float64"), requires_grad=True) for a in (query, value))
    layer(q64, v64)
    weights = np.linspace(-1, 1, 2 * 4 * 6).reshape(2, 4, 6)

    def loss(q, v):
        return (layer(q, v, attention_mask=mask) * Tensor(weights)).sum()

    report = gradcheck(loss, [q64, v64], eps=1e-6, threshold=1e-6, mode="full")
    assert report.passed, str(report)


def test_dropout_in_training_is_reproducible_with_a_seed_and_scores_are_before_dropout():
    query, value = arrays((2, 4, 6), (2, 5, 6))
    first = MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=3)
    second = MultiHeadAttention(num_heads=2, key_dim=3, dropout=0.5, seed=3)
    first(query, value)
    second(query, value)
    second.set_weights(first.get_weights())
    out_a, scores_a = first(query, value, training=True, return_attention_scores=True)
    out_b, _ = second(query, value, training=True, return_attention_scores=True)
    inference, scores = first(query, value, return_attention_scores=True)
    np.testing.assert_array_equal(out_a.numpy(), out_b.numpy())
    np.testing.assert_allclose(scores_a.numpy(), scores.numpy(), rtol=1e-6)
    assert not np.allclose(out_a.numpy(), inference.numpy())


# --------------------------------------------------------------------------- layout and config
def test_weights_names_shapes_and_order_equal_keras():
    ours = MultiHeadAttention(num_heads=4, key_dim=8, value_dim=5, name="mha")
    theirs = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8, value_dim=5, name="mha")
    query, value = np.zeros((1, 3, 16), "float32"), np.zeros((1, 2, 12), "float32")
    ours(query, value)
    theirs(keras.ops.convert_to_tensor(query), keras.ops.convert_to_tensor(value))
    expected = [(w.path, tuple(w.shape)) for w in theirs.weights]
    assert [(w.path, w.shape) for w in ours.weights] == expected
    assert expected[0] == (f"{theirs.name}/query/kernel", (16, 4, 8))
    assert expected[-2] == (f"{theirs.name}/attention_output/kernel", (4, 5, 16))
    assert ours.count_params() == theirs.count_params()


def test_config_after_build_equals_keras_and_round_trips():
    kwargs = dict(num_heads=2, key_dim=3, attention_axes=-2, output_shape=[4], dropout=0.1)
    ours, theirs = _pair(**kwargs)
    ours(np.zeros((1, 2, 3, 5), "float32"), np.zeros((1, 2, 3, 5), "float32"))
    theirs(keras.ops.zeros((1, 2, 3, 5)), keras.ops.zeros((1, 2, 3, 5)))
    config = ours.get_config()
    assert config["attention_axes"] == theirs.get_config()["attention_axes"] == (2,)
    assert config["output_shape"] == (4,)
    assert MultiHeadAttention.from_config(config).get_config() == config


def test_keras_reads_our_weight_file(tmp_path):
    import scratchdl

    def build(lib):
        inputs = lib.Input((4, 6))
        outputs = lib.layers.MultiHeadAttention(num_heads=2, key_dim=3)(inputs, inputs)
        return lib.Model(inputs, outputs)

    ours, theirs = build(scratchdl), build(keras)
    ours.save_weights(str(tmp_path / "mha.weights.h5"))
    theirs.load_weights(str(tmp_path / "mha.weights.h5"))
    x = RNG.standard_normal((2, 4, 6)).astype("float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(theirs(keras.ops.convert_to_tensor(x))),
                               ours(x).numpy(), atol=1e-5)


def test_symbolic_scores_shape_is_the_eager_one():
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    output, scores = layer(KerasTensor((None, 3, 4)), KerasTensor((None, 7, 5)),
                           return_attention_scores=True)
    assert output.shape == (None, 3, 4) and scores.shape == (None, 2, 3, 7)
    _, eager = layer(np.zeros((2, 3, 4), "float32"), np.zeros((2, 7, 5), "float32"),
                     return_attention_scores=True)
    assert eager.shape == (2, 2, 3, 7)


def test_errors_are_clear():
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadAttention(num_heads=0, key_dim=2)
    with pytest.raises(ValueError, match="key_dim"):
        MultiHeadAttention(num_heads=2, key_dim=2.5)
    with pytest.raises(ValueError, match="flash attention"):
        MultiHeadAttention(num_heads=2, key_dim=2, flash_attention=True)
    with pytest.raises(ValueError, match="All dimensions of `value` and `key`, except the last one"):
        MultiHeadAttention(num_heads=2, key_dim=2)(np.zeros((1, 3, 4), "float32"),
                                                   np.zeros((1, 5, 4), "float32"),
                                                   key=np.zeros((1, 6, 4), "float32"))
    layer = MultiHeadAttention(num_heads=2, key_dim=2, name="mha")
    layer(np.zeros((1, 3, 4), "float32"), np.zeros((1, 5, 4), "float32"))
    with pytest.raises(ValueError, match=r"MultiHeadAttention 'mha': expected query of rank 3 with "
                                         r"last dimension 4, got shape \(1, 3, 7\)"):
        layer(np.zeros((1, 3, 7), "float32"), np.zeros((1, 5, 4), "float32"))
    with pytest.raises(ValueError, match=r"'mha': the attention mask of shape \(1, 4, 5\) does not "
                                         r"broadcast to the attention scores' shape \(1, 2, 3, 5\)"):
        layer(np.zeros((1, 3, 4), "float32"), np.zeros((1, 5, 4), "float32"),
              attention_mask=np.ones((1, 4, 5), bool))
