"""Attention and AdditiveAttention: the layer harness, and Keras parity (outputs, attention
scores, output masks, gradients for query, value, key and weights) with masks, causal masks,
separate keys and cross-attention."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.layers import AdditiveAttention, Attention
from scratchdl.layers.symbolic import KerasTensor
from tests.layers.attention.parity import compare_with_keras
from tests.layers.harness import keras, run_layer_test

LAYERS = [Attention, AdditiveAttention]


# --------------------------------------------------------------------------- harness
@pytest.mark.parametrize("kwargs, shapes, output_shape, n_weights, call_kwargs", [
    ({}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), 0, {}),
    ({"use_scale": True}, [(2, 3, 4), (2, 5, 6), (2, 5, 4)], (2, 3, 6), 1, {}),
    ({"score_mode": "concat"}, [(2, 4, 3), (2, 6, 3)], (2, 4, 3), 1, {}),
    ({"score_mode": "concat", "use_scale": True}, [(3, 2, 5), (3, 7, 5), (3, 7, 5)], (3, 2, 5), 2, {}),
    ({"use_scale": True}, [(2, 5, 4), (2, 5, 4)], (2, 5, 4), 1, {"use_causal_mask": True}),
    ({"dropout": 0.0, "seed": 3}, [(1, 1, 2), (1, 1, 2)], (1, 1, 2), 0, {}),
])
def test_attention_harness(kwargs, shapes, output_shape, n_weights, call_kwargs):
    run_layer_test(Attention, kwargs, input_shape=shapes, expected_output_shape=output_shape,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0,
                   call_kwargs=call_kwargs, supports_masking=True)


@pytest.mark.parametrize("kwargs, shapes, output_shape, n_weights, call_kwargs", [
    ({}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4), 1, {}),
    ({"use_scale": False}, [(2, 3, 4), (2, 5, 6), (2, 5, 4)], (2, 3, 6), 0, {}),
    ({}, [(2, 6, 3), (2, 6, 3)], (2, 6, 3), 1, {"use_causal_mask": True}),
])
def test_additive_attention_harness(kwargs, shapes, output_shape, n_weights, call_kwargs):
    run_layer_test(AdditiveAttention, kwargs, input_shape=shapes,
                   expected_output_shape=output_shape, expected_num_trainable_weights=n_weights,
                   expected_num_non_trainable_weights=0, call_kwargs=call_kwargs,
                   supports_masking=True)


@pytest.mark.parametrize("layer_cls", LAYERS)
def test_dropout_layers_through_the_harness_in_inference(layer_cls):
    run_layer_test(layer_cls, {"dropout": 0.4}, input_shape=[(2, 3, 4), (2, 5, 4)],
                   expected_output_shape=(2, 3, 4), deterministic=False, supports_masking=True,
                   run_training_check=False)  # dropout noise; the SGD check runs without dropout


# --------------------------------------------------------------------------- parity with masks
def _masks(rng, batch, tq, tv, full_value_row=False):
    q_mask = rng.random((batch, tq)) < 0.7
    v_mask = rng.random((batch, tv)) < 0.7
    v_mask[:, 0] = True
    if full_value_row:
        v_mask[-1] = False  # the last sample's values are all masked
    return q_mask, v_mask


def _call(mask=None, **kwargs):
    def call(layer, inputs, convert):
        masks = None if mask is None else [None if m is None else convert(m) for m in mask]
        return layer(inputs, mask=masks, return_attention_scores=True, **kwargs)
    return call


CONFIGS = [(Attention, {}), (Attention, {"use_scale": True}),
           (Attention, {"score_mode": "concat", "use_scale": True}),
           (AdditiveAttention, {}), (AdditiveAttention, {"use_scale": False})]


@pytest.mark.parametrize("layer_cls, kwargs", CONFIGS)
def test_masks_and_scores_match_keras(layer_cls, kwargs):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s).astype("float32") for s in ((3, 4, 5), (3, 6, 5), (3, 6, 5))]
    masks = _masks(rng, 3, 4, 6, full_value_row=True)
    output, scores = compare_with_keras(layer_cls(**kwargs), getattr(keras.layers, layer_cls.__name__)(**kwargs),
                                        arrays, _call(list(masks)))
    assert np.all(output[~masks[0]] == 0.0)  # masked queries give 0
    assert np.all(scores[:-1][~np.broadcast_to(masks[1][:-1, None, :], scores[:-1].shape)] == 0.0)
    np.testing.assert_allclose(scores[-1], 1 / 6, rtol=1e-5)  # no value to attend: uniform


@pytest.mark.parametrize("layer_cls, kwargs", CONFIGS)
def test_causal_mask_with_value_mask_and_key_matches_keras(layer_cls, kwargs):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype("float32") for s in ((2, 5, 3), (2, 5, 4), (2, 5, 3))]
    masks = [None, _masks(rng, 2, 5, 5)[1]]
    _, scores = compare_with_keras(layer_cls(**kwargs), getattr(keras.layers, layer_cls.__name__)(**kwargs),
                                   arrays, _call(masks, use_causal_mask=True))
    assert np.all(np.triu(scores, k=1) == 0.0)


@pytest.mark.parametrize("layer_cls", LAYERS)
def test_cross_attention_with_different_lengths_matches_keras(layer_cls):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s).astype("float32") for s in ((2, 3, 4), (2, 8, 7), (2, 8, 4))]
    output, scores = compare_with_keras(layer_cls(), getattr(keras.layers, layer_cls.__name__)(),
                                        arrays, _call())
    assert output.shape == (2, 3, 7) and scores.shape == (2, 3, 8)
    np.testing.assert_allclose(scores.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.parametrize("layer_cls", LAYERS)
def test_keras_masks_on_inputs_are_used_and_the_query_mask_is_passed_on(layer_cls):
    rng = np.random.default_rng(3)
    q, v = (rng.standard_normal(s).astype("float32") for s in ((2, 4, 3), (2, 5, 3)))
    q_mask, v_mask = _masks(rng, 2, 4, 5)

    def call(layer, inputs, convert):
        inputs[0]._keras_mask = convert(q_mask)
        inputs[1]._keras_mask = convert(v_mask)
        return layer(inputs)

    layer = layer_cls()
    compare_with_keras(layer, getattr(keras.layers, layer_cls.__name__)(), [q, v], call)
    explicit = layer([Tensor(q), Tensor(v)], mask=[q_mask, v_mask])
    implicit_inputs = [Tensor(q), Tensor(v)]
    implicit_inputs[0]._keras_mask, implicit_inputs[1]._keras_mask = q_mask, v_mask
    implicit = layer(implicit_inputs)
    np.testing.assert_array_equal(implicit.numpy(), explicit.numpy())
    np.testing.assert_array_equal(implicit._keras_mask, q_mask)


def test_dropout_in_training_drops_attention_probabilities():
    rng = np.random.default_rng(4)
    q, v = (rng.standard_normal(s).astype("float32") for s in ((2, 4, 3), (2, 6, 3)))
    layer = Attention(dropout=0.5, seed=7)
    inference, scores = layer([q, v], return_attention_scores=True)
    training, train_scores = layer([q, v], training=True, return_attention_scores=True)
    np.testing.assert_array_equal(train_scores.numpy(), scores.numpy())  # scores before dropout
    keep = np.random.default_rng(7).random(scores.shape) >= 0.5
    np.testing.assert_allclose(training.numpy(), (scores.numpy() * keep / 0.5) @ v, rtol=1e-5, atol=1e-6)
    assert not np.allclose(training.numpy(), inference.numpy())


# --------------------------------------------------------------------------- shapes, masks, errors
@pytest.mark.parametrize("layer_cls", LAYERS)
def test_symbolic_call_with_scores_matches_keras(layer_cls):
    ours = layer_cls()([KerasTensor((None, 3, 4)), KerasTensor((None, 7, 5)), KerasTensor((None, 7, 4))],
                       return_attention_scores=True)
    theirs = getattr(keras.layers, layer_cls.__name__)()(
        [keras.KerasTensor((None, 3, 4)), keras.KerasTensor((None, 7, 5)), keras.KerasTensor((None, 7, 4))],
        return_attention_scores=True)
    assert [t.shape for t in ours] == [tuple(t.shape) for t in theirs] == [(None, 3, 5), (None, 3, 7)]


def test_compute_mask_returns_the_query_mask():
    layer = Attention()
    q_mask = np.array([[True, False]])
    assert layer.compute_mask([np.zeros((1, 2, 3)), np.zeros((1, 4, 3))], None) is None
    assert layer.compute_mask([np.zeros((1, 2, 3)), np.zeros((1, 4, 3))], [None, q_mask]) is None
    assert layer.compute_mask([np.zeros((1, 2, 3)), np.zeros((1, 4, 3))], [q_mask, None]) is q_mask


def test_errors_are_clear():
    x = np.zeros((2, 3, 4), "float32")
    with pytest.raises(ValueError, match="must be called on a list of inputs"):
        Attention()(x)
    with pytest.raises(ValueError, match="accepts inputs list of length 2 or 3"):
        Attention()([x])
    with pytest.raises(ValueError, match="mask must be a list"):
        Attention()([x, x], mask=np.ones((2, 3), bool))
    with pytest.raises(ValueError, match="Invalid value for argument score_mode"):
        Attention(score_mode="general")
    with pytest.raises(ValueError, match=r"Attention 'att': key and value must have the same length, "
                                         r"got key \(2, 5, 4\) and value \(2, 3, 4\)"):
        Attention(name="att")([x, x, np.zeros((2, 5, 4), "float32")])
    with pytest.raises(ValueError, match=r"query and key must have the same last dimension, got "
                                         r"query \(2, 3, 4\) and key \(2, 3, 5\)"):
        Attention()([x, np.zeros((2, 3, 5), "float32")])


def test_additive_config_has_no_score_mode_and_round_trips():
    layer = AdditiveAttention(use_scale=False, dropout=0.25, seed=5)
    config = layer.get_config()
    assert "score_mode" not in config
    assert AdditiveAttention.from_config(config).get_config() == config
