"""Bidirectional: every merge mode, return_state, initial_state, masks, a custom backward layer,
through the layer harness with Keras parity; weights order, names and config as Keras."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest

from scratchdl import layers
from tests.layers.harness import _normalize_config, run_layer_test
from tests.layers.rnn.helpers import assert_model_parity

B, T, D, U = 2, 4, 5, 3
RNG = np.random.default_rng(4)
MASK = np.array([[True, True, True, False], [False, True, True, True]])
STATES = [RNG.standard_normal((B, U)).astype(np.float32) for _ in range(4)]


def _layers(cls_name: str, **kwargs: Any) -> dict[str, Any]:
    return {"ours": getattr(layers, cls_name)(U, **kwargs), "keras": getattr(keras.layers, cls_name)(U, **kwargs)}


def _run(rnn: str, rnn_kwargs: dict[str, Any], merge_mode: Any, expected: Any = None,
         call_kwargs: dict[str, Any] | None = None, **extra: Any) -> None:
    pair = _layers(rnn, **rnn_kwargs)
    run_layer_test(layers.Bidirectional, {"layer": pair["ours"], "merge_mode": merge_mode},
                   keras_kwargs={"layer": pair["keras"], "merge_mode": merge_mode},
                   input_shape=(B, T, D), expected_output_shape=expected,
                   call_kwargs=call_kwargs or {}, config_ignore=("layer", "backward_layer"),
                   supports_masking=True, **extra)


@pytest.mark.parametrize(("merge_mode", "expected"),
                         [("concat", (B, T, 2 * U)), ("sum", (B, T, U)), ("mul", (B, T, U)),
                          ("ave", (B, T, U)), (None, [(B, T, U), (B, T, U)])])
def test_bidirectional_lstm_merge_modes(merge_mode: Any, expected: Any) -> None:
    _run("LSTM", {"return_sequences": True}, merge_mode, expected,
         expected_num_trainable_weights=6)


@pytest.mark.parametrize("merge_mode", ["concat", None])
def test_bidirectional_masked_sequences(merge_mode: Any) -> None:
    """Masked steps output zeros in both directions (Keras forces zero_output_for_mask)."""
    _run("GRU", {"return_sequences": True}, merge_mode, call_kwargs={"mask": MASK})


def test_bidirectional_last_output_and_state() -> None:
    _run("LSTM", {"return_state": True}, "concat", [(B, 2 * U), (B, U), (B, U), (B, U), (B, U)],
         call_kwargs={"initial_state": STATES})


def test_bidirectional_gru_state_no_merge() -> None:
    _run("GRU", {"return_state": True, "return_sequences": True, "reset_after": False}, None,
         [(B, T, U), (B, T, U), (B, U), (B, U)], call_kwargs={"mask": MASK})


def test_bidirectional_simple_rnn_ave() -> None:
    _run("SimpleRNN", {}, "ave", (B, U))


def test_bidirectional_with_backward_layer() -> None:
    forward = layers.LSTM(U, return_sequences=True)
    backward = layers.LSTM(U, activation="relu", return_sequences=True, go_backwards=True)
    keras_forward = keras.layers.LSTM(U, return_sequences=True)
    keras_backward = keras.layers.LSTM(U, activation="relu", return_sequences=True, go_backwards=True)
    x = RNG.standard_normal((B, T, D)).astype(np.float32)
    ours = layers.Bidirectional(forward, backward_layer=backward)
    theirs = keras.layers.Bidirectional(keras_forward, backward_layer=keras_backward)
    ours(x)
    theirs(x)
    assert ours.backward_layer is backward and ours.forward_layer is not forward
    assert_model_parity(ours, theirs, [x])


def test_bidirectional_weights_order_and_names_as_keras() -> None:
    bidirectional = layers.Bidirectional(layers.LSTM(U, name="encoder"), name="bi")
    bidirectional.build((B, T, D))
    keras_bidirectional = keras.layers.Bidirectional(keras.layers.LSTM(U, name="encoder"), name="bi")
    keras_bidirectional.build((B, T, D))
    assert [w.path for w in bidirectional.weights] == [w.path for w in keras_bidirectional.weights]
    assert bidirectional.forward_layer.name == "forward_encoder"
    assert bidirectional.backward_layer.go_backwards


def test_bidirectional_config_matches_keras_and_round_trips() -> None:
    layer = layers.Bidirectional(layers.GRU(U, return_sequences=True, name="gru_x"), merge_mode="sum")
    keras_layer = keras.layers.Bidirectional(keras.layers.GRU(U, return_sequences=True, name="gru_x"),
                                             merge_mode="sum")
    config, keras_config = layer.get_config(), keras_layer.get_config()
    assert set(config) == set(keras_config)
    for key in ("layer", "backward_layer"):  # the sub-layers' full configs, names included
        assert _normalize_config(config[key]) == _normalize_config(keras_config[key])
    revived = layers.Bidirectional.from_config(config)
    assert revived.get_config() == config


def test_bidirectional_stateful_and_errors() -> None:
    layer = layers.Bidirectional(layers.LSTM(U, stateful=True))
    layer(np.ones((B, T, D), np.float32))
    assert len(layer.states) == 4
    layer.reset_states()
    assert all(not np.any(s.numpy()) for s in layer.states)
    with pytest.raises(AttributeError, match="must be stateful"):
        layers.Bidirectional(layers.LSTM(U)).reset_states()
    with pytest.raises(ValueError, match="Invalid merge mode"):
        layers.Bidirectional(layers.LSTM(U), merge_mode="max")
    with pytest.raises(ValueError, match="different `go_backwards`"):
        layers.Bidirectional(layers.LSTM(U), backward_layer=layers.LSTM(U))
    with pytest.raises(ValueError, match='same value for attribute "return_sequences"'):
        layers.Bidirectional(layers.LSTM(U), backward_layer=layers.LSTM(U, go_backwards=True,
                                                                         return_sequences=True))
