"""LSTM and LSTMCell: the layer harness with Keras parity, and Keras's cell step by step."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from scratchdl import Tensor, layers
from tests.layers.harness import run_layer_test, to_numpy

B, T, D, U = 2, 4, 5, 3
RNG = np.random.default_rng(0)
H0 = RNG.standard_normal((B, U)).astype(np.float32)
C0 = RNG.standard_normal((B, U)).astype(np.float32)
MASK = np.array([[True, True, False, True], [False, False, True, True]])


@pytest.mark.parametrize(
    ("kwargs", "call_kwargs", "expected"),
    [
        ({"units": U}, {}, (B, U)),
        ({"units": U, "return_sequences": True}, {}, (B, T, U)),
        ({"units": U, "return_sequences": True, "go_backwards": True}, {}, (B, T, U)),
        ({"units": U, "return_state": True}, {"initial_state": [H0, C0]}, [(B, U), (B, U), (B, U)]),
        ({"units": U, "return_sequences": True, "return_state": True, "go_backwards": True},
         {"initial_state": [H0, C0]}, [(B, T, U), (B, U), (B, U)]),
        ({"units": U, "return_sequences": True}, {"mask": MASK}, (B, T, U)),
        ({"units": U, "return_state": True, "go_backwards": True}, {"mask": MASK},
         [(B, U), (B, U), (B, U)]),
        ({"units": U, "activation": "relu", "recurrent_activation": "hard_sigmoid",
          "use_bias": False}, {}, (B, U)),
        ({"units": U, "unit_forget_bias": False, "bias_initializer": "ones",
          "return_sequences": True}, {}, (B, T, U)),
        ({"units": U, "activation": "softsign", "return_sequences": True}, {}, (B, T, U)),
    ],
    ids=["last", "sequences", "backwards", "state_initial", "all_backwards", "mask_sequences",
         "mask_state_backwards", "relu_hard_sigmoid_no_bias", "no_forget_bias", "softsign_generic"],
)
def test_lstm_harness(kwargs: dict[str, Any], call_kwargs: dict[str, Any], expected: Any) -> None:
    n_weights = 3 if kwargs.get("use_bias", True) else 2
    run_layer_test(layers.LSTM, kwargs, input_shape=(B, T, D), expected_output_shape=expected,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0,
                   call_kwargs=call_kwargs, supports_masking=True)


def test_lstm_dropout_harness() -> None:
    """Dropout makes training-mode outputs random: inference parity and gradients (the noisy
    SGD check is replaced by the dropout tests below and in test_rnn.py)."""
    run_layer_test(layers.LSTM, {"units": U, "dropout": 0.3, "recurrent_dropout": 0.2, "seed": 1,
                                 "return_sequences": True},
                   input_shape=(B, T, D), expected_output_shape=(B, T, U), deterministic=False,
                   run_training_check=False)


def test_lstm_dropout_only_in_training_and_new_masks_per_call() -> None:
    x = RNG.standard_normal((B, T, D)).astype(np.float32)
    layer = layers.LSTM(U, dropout=0.5, recurrent_dropout=0.5, return_sequences=True, seed=2)
    plain = layers.LSTM(U, return_sequences=True)
    inference = layer(x, training=False)
    plain(x)
    plain.set_weights(layer.get_weights())
    np.testing.assert_array_equal(inference.numpy(), plain(x).numpy())
    first, second = layer(x, training=True).numpy(), layer(x, training=True).numpy()
    assert not np.allclose(first, inference.numpy()) and not np.allclose(first, second)


def test_lstm_regularizers_and_constraints() -> None:
    run_layer_test(layers.LSTM, {"units": U, "kernel_regularizer": "l2",
                                 "recurrent_regularizer": "l1", "bias_regularizer": "l1l2",
                                 "activity_regularizer": "l2"},
                   input_shape=(B, T, D), expected_output_shape=(B, U))
    # Constraints project the weights after the first update, so the SGD check does not apply.
    run_layer_test(layers.LSTM, {"units": U, "kernel_constraint": "max_norm",
                                 "recurrent_constraint": "unit_norm", "bias_constraint": "non_neg"},
                   input_shape=(B, T, D), expected_output_shape=(B, U), run_training_check=False)
    constrained = layers.LSTM(U, kernel_constraint="max_norm", bias_constraint="non_neg")
    constrained.build((B, T, D))
    kernel, _, bias = constrained.weights
    assert kernel.constraint is not None and bias.constraint is not None
    np.testing.assert_array_equal(bias.constraint(-np.ones(4 * U, np.float32)), np.zeros(4 * U))
    layer = layers.LSTM(U, kernel_regularizer="l2", recurrent_regularizer="l1", activity_regularizer="l2")
    layer(np.ones((B, T, D), np.float32))
    assert len(layer.losses) == 3


def test_lstm_default_weights_as_keras() -> None:
    """glorot_uniform kernel, orthogonal recurrent kernel, zero bias with a unit forget bias."""
    layer = layers.LSTM(4, name="lstm")
    layer.build((2, 3, 5))
    kernel, recurrent, bias = layer.get_weights()
    np.testing.assert_array_equal(bias, np.r_[np.zeros(4), np.ones(4), np.zeros(8)])
    np.testing.assert_allclose(recurrent @ recurrent.T, np.eye(4), atol=1e-5)  # orthogonal rows
    limit = np.sqrt(6 / (5 + 16))
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.5 * limit
    assert [w.path for w in layer.weights] == ["lstm/lstm_cell/kernel",
                                               "lstm/lstm_cell/recurrent_kernel", "lstm/lstm_cell/bias"]
    keras_layer = keras.layers.LSTM(4)
    keras_layer.build((2, 3, 5))
    assert [w.path.split("/", 1)[1] for w in layer.weights] == [
        w.path.split("/", 1)[1] for w in keras_layer.weights]


@pytest.mark.parametrize("implementation_kwargs", [{}, {"dropout": 0.4, "recurrent_dropout": 0.3}])
def test_lstm_cell_step_matches_keras(implementation_kwargs: dict[str, Any]) -> None:
    """One step of LSTMCell (inference) equals Keras's cell for copied weights, with gradients."""
    cell = layers.LSTMCell(U, **implementation_kwargs)
    keras_cell = keras.layers.LSTMCell(U, **implementation_kwargs)
    x = RNG.standard_normal((B, D)).astype(np.float32)
    cell(Tensor(x), [Tensor(H0), Tensor(C0)])
    keras_cell(torch.from_numpy(x), [torch.from_numpy(H0), torch.from_numpy(C0)])
    cell.set_weights(keras_cell.get_weights())
    inputs = [Tensor(a.copy(), requires_grad=True) for a in (x, H0, C0)]
    h, (_, c_state) = cell(inputs[0], inputs[1:])
    torch_inputs = [torch.from_numpy(a.copy()).requires_grad_() for a in (x, H0, C0)]
    kh, (_, kc_state) = keras_cell(torch_inputs[0], torch_inputs[1:])
    np.testing.assert_allclose(h.numpy(), to_numpy(kh), atol=1e-6)
    np.testing.assert_allclose(c_state.numpy(), to_numpy(kc_state), atol=1e-6)
    (h.sum() + 2 * c_state.sum()).backward()
    (kh.sum() + 2 * kc_state.sum()).backward()
    for ours, theirs in zip(inputs, torch_inputs):
        np.testing.assert_allclose(ours.grad, theirs.grad.numpy(), atol=1e-5)


def test_lstm_cell_dropout_masks_per_gate_and_fixed_over_the_sequence() -> None:
    cell = layers.LSTMCell(U, dropout=0.5, recurrent_dropout=0.5, seed=3)
    assert cell.implementation == 1 and cell.dropout_mask_count == 4
    x = np.ones((B, D), np.float32)
    first = cell.get_dropout_mask(x)
    assert isinstance(first, list) and len(first) == 4
    assert cell.get_dropout_mask(x) is first  # the same masks for every step
    assert set(np.unique(np.stack(first))) <= {0.0, 2.0}
    cell.reset_dropout_mask()
    assert cell.get_dropout_mask(x) is not first


def test_lstm_config_matches_keras_and_round_trips() -> None:
    kwargs = {"units": 5, "activation": "relu", "dropout": 0.25, "return_sequences": True,
              "stateful": False, "go_backwards": True, "unroll": True, "seed": 4}
    config = layers.LSTM(**kwargs).get_config()
    keras_config = keras.layers.LSTM(**kwargs).get_config()
    assert set(config) == set(keras_config)
    assert layers.LSTM.from_config(config).get_config() == config
    cell_config = layers.LSTMCell(3).get_config()
    assert set(cell_config) == set(keras.layers.LSTMCell(3).get_config())


def test_lstm_errors_name_the_layer_and_shapes() -> None:
    layer = layers.LSTM(U, name="encoder")
    with pytest.raises(ValueError, match=r"LSTM 'encoder': expected input of shape \(batch, time, features\), got shape \(2, 5\)"):
        layer(np.zeros((2, 5), np.float32))
    layer = layers.LSTM(U, name="decoder")
    with pytest.raises(ValueError, match=r"LSTM 'decoder': initial_state must be 2 tensor\(s\) of shapes \[\(2, 3\), \(2, 3\)\], got shapes \[\(2, 3\)\]"):
        layer(np.zeros((2, 4, 5), np.float32), initial_state=[np.zeros((2, 3), np.float32)])
    with pytest.raises(ValueError, match="expected a positive integer"):
        layers.LSTM(0)
    with pytest.raises(ValueError, match="use_cudnn"):
        layers.LSTM(3, use_cudnn="sometimes")
