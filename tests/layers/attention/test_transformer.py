"""Transformer checks: an encoder block (MultiHeadAttention + Add + LayerNormalization + a ReLU
feed-forward network + Dropout + LayerNormalization) with a causal mask as a functional model
equal to Keras's for copied weights, with the gradients of a scalar loss equal to torch autograd
through the Keras model; and a tiny Transformer that learns to reverse sequences with ``fit``."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch

import scratchdl
from scratchdl import Tensor, backend, ops
from tests.layers.harness import keras

LENGTH, DIM, HEADS, FFN = 6, 8, 2, 16


def encoder_block(lib: Any, x: Any, rate: float, causal: bool = True, name: str = "enc") -> Any:
    """The course's encoder layer: self-attention and a feed-forward network, each followed by
    a residual connection and layer normalization."""
    layers = lib.layers
    attention = layers.MultiHeadAttention(num_heads=HEADS, key_dim=DIM // HEADS, dropout=rate,
                                          name=f"{name}_mha")(x, x, use_causal_mask=causal)
    x = layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln1")(layers.Add(name=f"{name}_add1")([x, attention]))
    ffn = layers.Dense(FFN, activation="relu", name=f"{name}_ffn1")(x)
    ffn = layers.Dense(DIM, name=f"{name}_ffn2")(ffn)
    ffn = layers.Dropout(rate, name=f"{name}_drop")(ffn)
    return layers.LayerNormalization(epsilon=1e-6, name=f"{name}_ln2")(layers.Add(name=f"{name}_add2")([x, ffn]))


def block_model(lib: Any, rate: float) -> Any:
    inputs = lib.Input((LENGTH, DIM), name="x")
    return lib.Model(inputs, encoder_block(lib, inputs, rate), name="encoder")


def token_model(lib: Any, rate: float) -> Any:
    """Token ids -> Embedding(mask_zero=True) -> encoder block: the padding mask travels as the
    Keras mask and MultiHeadAttention combines it with the causal mask."""
    inputs = lib.Input((LENGTH,), dtype="int32", name="tokens")
    x = lib.layers.Embedding(10, DIM, mask_zero=True, name="embed")(inputs)
    return lib.Model(inputs, encoder_block(lib, x, rate), name="token_encoder")


def _copy_weights(ours: Any, theirs: Any) -> None:
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in theirs.weights]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    rng = np.random.default_rng(0)
    # Move the layer norms and biases off their initial values so they matter.
    theirs.set_weights([w + rng.uniform(-0.2, 0.2, w.shape).astype(w.dtype) for w in theirs.get_weights()])
    ours.set_weights(theirs.get_weights())


@pytest.mark.parametrize("rate", [0.0, 0.1])
def test_encoder_block_equals_keras_with_input_gradients(rate):
    # rate 0 takes Keras's fused attention path, rate 0.1 its Softmax-layer path.
    ours, theirs = block_model(scratchdl, rate), block_model(keras, rate)
    _copy_weights(ours, theirs)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, LENGTH, DIM)).astype("float32")
    w = rng.standard_normal((3, LENGTH, DIM)).astype("float32")

    x_ours = Tensor(x, requires_grad=True)
    out = ours(x_ours, training=False)
    (out * Tensor(w)).sum().backward()
    x_torch = torch.from_numpy(x).requires_grad_(True)
    expected = theirs(x_torch, training=False)
    (expected * torch.from_numpy(w)).sum().backward()

    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-5)
    np.testing.assert_allclose(x_ours.grad, x_torch.grad.numpy(), atol=1e-4)
    for ours_w, keras_w in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(ours_w.grad, keras_w.value.grad.numpy(), atol=1e-4,
                                   err_msg=ours_w.path)
    # causal: the first position's output depends on the first input only
    changed = x.copy()
    changed[:, 1:] += 1.0
    np.testing.assert_allclose(ours(changed, training=False).numpy()[:, 0], out.numpy()[:, 0], atol=1e-6)


def test_token_encoder_with_padding_and_causal_masks_equals_keras():
    # Dropout 0.1 keeps Keras on its Softmax-layer path, where padded query rows (no key left)
    # give zeros, so every output and gradient is comparable.
    ours, theirs = token_model(scratchdl, 0.1), token_model(keras, 0.1)
    _copy_weights(ours, theirs)
    tokens = np.array([[3, 1, 4, 1, 5, 0], [9, 2, 6, 0, 0, 0], [5, 3, 5, 8, 9, 7]], dtype="int32")
    w = np.random.default_rng(2).standard_normal((3, LENGTH, DIM)).astype("float32")
    out = ours(tokens, training=False)
    (out * Tensor(w)).sum().backward()
    expected = theirs(torch.from_numpy(tokens), training=False)
    (expected * torch.from_numpy(w)).sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), atol=1e-5)
    # As in Keras, MultiHeadAttention consumes the embedding's mask on its inputs, so the
    # residual Add (one masked input of two) and everything after it carry no mask.
    assert getattr(out, "_keras_mask", None) is None and getattr(expected, "_keras_mask", None) is None
    for ours_w, keras_w in zip(ours.weights, theirs.weights):
        np.testing.assert_allclose(ours_w.grad, keras_w.value.grad.numpy(), atol=1e-4,
                                   err_msg=ours_w.path)


class PositionalEmbedding(scratchdl.layers.Layer):
    """Token embedding scaled by sqrt(dim) plus the sinusoidal positional encoding."""

    def __init__(self, vocab: int, dim: int, length: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.embedding = scratchdl.layers.Embedding(vocab, dim)
        self.scale = float(np.sqrt(dim))
        self.encoding = ops.positional_encoding(length, dim)

    def call(self, tokens: Any) -> Tensor:
        return self.embedding(tokens) * self.scale + self.encoding


def test_tiny_transformer_learns_to_reverse_sequences():
    backend.set_random_seed(0)
    length, vocab, dim = 5, 8, 32
    rng = np.random.default_rng(0)
    x = rng.integers(1, vocab, size=(2400, length)).astype("int32")
    y = x[:, ::-1].copy()

    inputs = scratchdl.Input((length,), dtype="int32")
    h = PositionalEmbedding(vocab, dim, length)(inputs)
    attention = scratchdl.layers.MultiHeadAttention(num_heads=4, key_dim=8)(h, h)
    h = scratchdl.layers.LayerNormalization(epsilon=1e-6)(scratchdl.layers.Add()([h, attention]))
    ffn = scratchdl.layers.Dense(64, activation="relu")(h)
    h = scratchdl.layers.LayerNormalization(epsilon=1e-6)(
        scratchdl.layers.Add()([h, scratchdl.layers.Dense(dim)(ffn)]))
    outputs = scratchdl.layers.Dense(vocab, activation="softmax")(h)
    model = scratchdl.Model(inputs, outputs)
    model.compile(optimizer=scratchdl.optimizers.Adam(learning_rate=3e-3),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x[:2000], y[:2000], batch_size=50, epochs=12, verbose=0)
    assert history.history["loss"][-1] < 0.3 * history.history["loss"][0]
    _, accuracy = model.evaluate(x[2000:], y[2000:], verbose=0)
    assert accuracy > 0.95, history.history
    predicted = model.predict(x[2000:2004], verbose=0).argmax(-1)
    np.testing.assert_array_equal(predicted, y[2000:2004])
