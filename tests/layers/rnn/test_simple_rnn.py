"""SimpleRNN and SimpleRNNCell: the layer harness with Keras parity, and Keras's cell."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from scratchdl import Tensor, layers
from tests.layers.harness import run_layer_test, to_numpy

B, T, D, U = 3, 5, 4, 6
RNG = np.random.default_rng(2)
H0 = RNG.standard_normal((B, U)).astype(np.float32)
MASK = np.array([[True] * 5, [False, False, True, True, False], [True, False, False, False, False]])


@pytest.mark.parametrize(
    ("kwargs", "call_kwargs", "expected"),
    [
        ({}, {}, (B, U)),
        ({"return_sequences": True, "go_backwards": True}, {}, (B, T, U)),
        ({"return_state": True}, {"initial_state": [H0]}, [(B, U), (B, U)]),
        ({"return_sequences": True}, {"mask": MASK, "initial_state": H0}, (B, T, U)),
        ({"activation": "relu", "use_bias": False}, {}, (B, U)),
        ({"activation": None, "return_sequences": True}, {}, (B, T, U)),
        ({"activation": "elu"}, {"mask": MASK}, (B, U)),
    ],
    ids=["last", "sequences_backwards", "state_initial", "masked_initial", "relu_no_bias",
         "linear", "elu_generic_masked"],
)
def test_simple_rnn_harness(kwargs: dict[str, Any], call_kwargs: dict[str, Any], expected: Any) -> None:
    n_weights = 3 if kwargs.get("use_bias", True) else 2
    run_layer_test(layers.SimpleRNN, {"units": U, **kwargs}, input_shape=(B, T, D),
                   expected_output_shape=expected, expected_num_trainable_weights=n_weights,
                   expected_num_non_trainable_weights=0, call_kwargs=call_kwargs,
                   supports_masking=True)


def test_simple_rnn_dropout() -> None:
    run_layer_test(layers.SimpleRNN, {"units": U, "dropout": 0.3, "recurrent_dropout": 0.3,
                                      "seed": 5, "return_sequences": True},
                   input_shape=(B, T, D), expected_output_shape=(B, T, U), deterministic=False,
                   run_training_check=False)


def test_simple_rnn_cell_step_matches_keras() -> None:
    cell = layers.SimpleRNNCell(U)
    keras_cell = keras.layers.SimpleRNNCell(U)
    x = RNG.standard_normal((B, D)).astype(np.float32)
    cell(Tensor(x), [Tensor(H0)])
    keras_cell(torch.from_numpy(x), [torch.from_numpy(H0)])
    cell.set_weights(keras_cell.get_weights())
    h, (state,) = cell(Tensor(x), [Tensor(H0)])
    kh, _ = keras_cell(torch.from_numpy(x), [torch.from_numpy(H0)])
    np.testing.assert_allclose(h.numpy(), to_numpy(kh), atol=1e-6)
    assert state is h


def test_simple_rnn_config_matches_keras_and_round_trips() -> None:
    kwargs = {"units": 4, "activation": "relu", "go_backwards": True, "seed": 3}
    config = layers.SimpleRNN(**kwargs).get_config()
    assert set(config) == set(keras.layers.SimpleRNN(**kwargs).get_config())
    assert layers.SimpleRNN.from_config(config).get_config() == config
    assert set(layers.SimpleRNNCell(3).get_config()) == set(keras.layers.SimpleRNNCell(3).get_config())
