"""Recurrent layers inside models, against Keras with copied weights: LSTM and GRU
encoder-decoders wired with return_state and initial_state, a Bi-LSTM encoder returning
sequences, masking from Embedding(mask_zero=True) and Masking; saving and reloading."""

from __future__ import annotations

import os
import tempfile
from typing import Any

import keras
import numpy as np
import pytest

import scratchdl
from scratchdl import Tensor
from scratchdl.ops import recurrent as recurrent_ops
from tests.layers.rnn.helpers import assert_model_parity

RNG = np.random.default_rng(6)


def lstm_encoder_decoder(lib: Any) -> Any:
    """Encoder LSTM -> its final (h, c) start the decoder LSTM; a Dense reads the decoder."""
    encoder_in = lib.Input((6, 4), name="encoder_in")
    decoder_in = lib.Input((5, 3), name="decoder_in")
    _, h, c = lib.layers.LSTM(8, return_state=True, name="encoder")(encoder_in)
    decoded = lib.layers.LSTM(8, return_sequences=True, name="decoder")(decoder_in, initial_state=[h, c])
    logits = lib.layers.Dense(7, name="logits")(decoded)
    return lib.Model([encoder_in, decoder_in], logits)


def gru_encoder_decoder(lib: Any) -> Any:
    """The same with GRUs (one state), the decoder also returning its final state."""
    encoder_in = lib.Input((6, 4), name="encoder_in")
    decoder_in = lib.Input((5, 3), name="decoder_in")
    _, h = lib.layers.GRU(8, return_state=True, name="encoder")(encoder_in)
    decoded, state = lib.layers.GRU(8, return_sequences=True, return_state=True,
                                    reset_after=False, name="decoder")(decoder_in, initial_state=h)
    logits = lib.layers.Dense(7, name="logits")(decoded)
    return lib.Model([encoder_in, decoder_in], [logits, state])


def bilstm_encoder(lib: Any) -> Any:
    """Token ids -> Embedding(mask_zero) -> Bi-LSTM(return_sequences) -> LSTM -> Dense."""
    tokens = lib.Input((7,), dtype="int32", name="tokens")
    embedded = lib.layers.Embedding(12, 5, mask_zero=True, name="embed")(tokens)
    encoded = lib.layers.Bidirectional(lib.layers.LSTM(6, return_sequences=True), name="bi")(embedded)
    summary = lib.layers.LSTM(4, name="summary")(encoded)
    return lib.Model(tokens, [encoded, lib.layers.Dense(3, name="head")(summary)])


def bilstm_encoder_dense_input(lib: Any) -> Any:
    """Float sequences -> Bi-LSTM(return_sequences, concat)."""
    inputs = lib.Input((6, 4))
    return lib.Model(inputs, lib.layers.Bidirectional(lib.layers.LSTM(5, return_sequences=True))(inputs))


def masked_gru_sequential(lib: Any) -> Any:
    """Masking -> GRU(return_sequences) -> TimeDistributed(Dense)."""
    return lib.Sequential([
        lib.Input((6, 3)),
        lib.layers.Masking(0.0),
        lib.layers.GRU(5, return_sequences=True),
        lib.layers.TimeDistributed(lib.layers.Dense(2)),
    ])


def embedding_lstm_sequential(lib: Any) -> Any:
    """Embedding(mask_zero) -> LSTM(return_sequences) -> Dense: the language-model shape."""
    return lib.Sequential([
        lib.Input((7,), dtype="int32"),
        lib.layers.Embedding(12, 5, mask_zero=True),
        lib.layers.LSTM(6, return_sequences=True),
        lib.layers.Dense(12),
    ])


def embedding_lookup_recurrent(lib: Any) -> Any:
    """Embedding(mask_zero) -> Bi-GRU -> LSTM, SimpleRNN -> Dense, on more tokens than the
    vocabulary has rows: each recurrent layer projects the table's rows once (the lookup path)."""
    tokens = lib.Input((16,), dtype="int32", name="tokens")
    embedded = lib.layers.Embedding(12, 5, mask_zero=True, name="embed")(tokens)
    encoded = lib.layers.Bidirectional(lib.layers.GRU(6, return_sequences=True), name="bi")(embedded)
    summary = lib.layers.LSTM(4, name="summary")(encoded)
    plain = lib.layers.SimpleRNN(3, go_backwards=True, name="plain")(embedded)
    return lib.Model(tokens, [lib.layers.Dense(3, name="head")(summary), plain])


def _many_tokens() -> np.ndarray:
    tokens = RNG.integers(1, 12, (8, 16)).astype(np.int32)
    tokens[0, 10:] = 0
    tokens[3, :4] = 0
    return tokens


def _tokens() -> np.ndarray:
    tokens = RNG.integers(1, 12, (3, 7)).astype(np.int32)
    tokens[0, 5:] = 0  # right padding
    tokens[1, :2] = 0  # left padding
    return tokens


def _sequences_with_padding() -> np.ndarray:
    x = RNG.standard_normal((3, 6, 3)).astype(np.float32)
    x[0, 4:] = 0.0
    x[2, :3] = 0.0
    return x


@pytest.mark.parametrize(
    ("builder", "inputs"),
    [
        (lstm_encoder_decoder, lambda: [RNG.standard_normal((3, 6, 4)).astype(np.float32),
                                        RNG.standard_normal((3, 5, 3)).astype(np.float32)]),
        (gru_encoder_decoder, lambda: [RNG.standard_normal((3, 6, 4)).astype(np.float32),
                                       RNG.standard_normal((3, 5, 3)).astype(np.float32)]),
        (bilstm_encoder, lambda: [_tokens()]),
        (bilstm_encoder_dense_input, lambda: [RNG.standard_normal((3, 6, 4)).astype(np.float32)]),
        (masked_gru_sequential, lambda: [_sequences_with_padding()]),
        (embedding_lstm_sequential, lambda: [_tokens()]),
        (embedding_lookup_recurrent, lambda: [_many_tokens()]),
    ],
    ids=["lstm_encoder_decoder", "gru_encoder_decoder", "bilstm_encoder_masked",
         "bilstm_encoder", "masking_gru", "embedding_lstm", "embedding_lookup"],
)
def test_model_matches_keras(builder: Any, inputs: Any) -> None:
    model, keras_model = builder(scratchdl), builder(keras)
    assert [w.path.split("/")[-1] for w in model.weights] == [
        w.path.split("/")[-1] for w in keras_model.weights]
    assert model.count_params() == keras_model.count_params()
    assert_model_parity(model, keras_model, inputs())


def test_recurrent_layers_read_an_embedding_table_through_the_lookup_path(monkeypatch: Any) -> None:
    """The model above really takes the lookup path in all three of its recurrent layers
    reading the embedding (the GRU in both directions), and the small model does not."""
    taken: list[bool] = []
    original = recurrent_ops._row_lookup

    def spy(x: Any, dropout_mask: Any) -> Any:
        found = original(x, dropout_mask)
        taken.append(found is not None)
        return found

    monkeypatch.setattr(recurrent_ops, "_row_lookup", spy)
    model = embedding_lookup_recurrent(scratchdl)
    outputs = model(Tensor(_many_tokens()))
    assert taken == [True, True, False, True]  # GRU forward, GRU backward, LSTM, SimpleRNN
    table = model.get_layer("embed").embeddings
    sum(out.sum() for out in outputs).backward()
    assert table.grad is not None and np.any(table.grad)
    taken.clear()
    embedding_lstm_sequential(scratchdl)(Tensor(_tokens()))
    assert taken == [False]  # 12 table rows for 21 tokens: the rows are projected


def test_masked_lstm_outputs_carry_the_mask_and_repeat_the_last_output() -> None:
    model = embedding_lstm_sequential(scratchdl)
    tokens = _tokens()
    lstm_out = model.layers[1](model.layers[0](tokens))
    np.testing.assert_array_equal(lstm_out._keras_mask.numpy(), tokens != 0)
    values = lstm_out.numpy()
    np.testing.assert_array_equal(values[0, 5], values[0, 4])  # padded steps repeat the output
    np.testing.assert_array_equal(values[1, :2], 0.0)  # nothing seen yet: zeros


def test_recurrent_model_saves_and_reloads() -> None:
    model = bilstm_encoder(scratchdl)
    tokens = _tokens()
    expected = [o.numpy() for o in model(tokens)]
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "encoder.keras")
        model.save(path)
        loaded = scratchdl.models.load_model(path)
    for want, got in zip(expected, loaded(tokens)):
        np.testing.assert_array_equal(got.numpy(), want)
    assert loaded.get_layer("bi").forward_layer.units == 6
