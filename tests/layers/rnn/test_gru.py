"""GRU and GRUCell (reset_after True and False): the layer harness with Keras parity, and Keras's
cell step by step."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from scratchdl import Tensor, layers
from tests.layers.harness import run_layer_test, to_numpy

B, T, D, U = 2, 4, 5, 3
RNG = np.random.default_rng(1)
H0 = RNG.standard_normal((B, U)).astype(np.float32)
MASK = np.array([[True, False, True, True], [False, True, True, False]])


@pytest.mark.parametrize("reset_after", [True, False])
@pytest.mark.parametrize(
    ("kwargs", "call_kwargs", "expected"),
    [
        ({}, {}, (B, U)),
        ({"return_sequences": True}, {}, (B, T, U)),
        ({"return_sequences": True, "go_backwards": True}, {}, (B, T, U)),
        ({"return_state": True}, {"initial_state": H0}, [(B, U), (B, U)]),
        ({"return_sequences": True, "return_state": True}, {"initial_state": [H0], "mask": MASK},
         [(B, T, U), (B, U)]),
        ({"go_backwards": True}, {"mask": MASK}, (B, U)),
        ({"activation": "relu", "recurrent_activation": "hard_sigmoid", "use_bias": False}, {},
         (B, U)),
        ({"activation": "selu", "return_sequences": True}, {}, (B, T, U)),
    ],
    ids=["last", "sequences", "backwards", "state_initial", "all_masked", "mask_backwards",
         "relu_hard_sigmoid_no_bias", "selu_generic"],
)
def test_gru_harness(reset_after: bool, kwargs: dict[str, Any], call_kwargs: dict[str, Any],
                     expected: Any) -> None:
    n_weights = 3 if kwargs.get("use_bias", True) else 2
    run_layer_test(layers.GRU, {"units": U, "reset_after": reset_after, **kwargs},
                   input_shape=(B, T, D), expected_output_shape=expected,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0,
                   call_kwargs=call_kwargs, supports_masking=True)


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_dropout_and_regularizers(reset_after: bool) -> None:
    run_layer_test(layers.GRU, {"units": U, "reset_after": reset_after, "dropout": 0.2,
                                "recurrent_dropout": 0.3, "seed": 3, "return_sequences": True,
                                "kernel_regularizer": "l2", "bias_regularizer": "l1"},
                   input_shape=(B, T, D), expected_output_shape=(B, T, U), deterministic=False,
                   run_training_check=False)


def test_gru_bias_shapes_as_keras() -> None:
    for reset_after, shape in ((True, (2, 3 * U)), (False, (3 * U,))):
        layer = layers.GRU(U, reset_after=reset_after)
        layer.build((B, T, D))
        assert layer.weights[2].shape == shape
        keras_layer = keras.layers.GRU(U, reset_after=reset_after)
        keras_layer.build((B, T, D))
        assert [tuple(w.shape) for w in keras_layer.weights] == [w.shape for w in layer.weights]


@pytest.mark.parametrize("reset_after", [True, False])
def test_gru_cell_step_matches_keras(reset_after: bool) -> None:
    cell = layers.GRUCell(U, reset_after=reset_after)
    keras_cell = keras.layers.GRUCell(U, reset_after=reset_after)
    x = RNG.standard_normal((B, D)).astype(np.float32)
    cell(Tensor(x), [Tensor(H0)])
    keras_cell(torch.from_numpy(x), [torch.from_numpy(H0)])
    weights = [w + RNG.uniform(-0.3, 0.3, w.shape).astype(np.float32) for w in keras_cell.get_weights()]
    keras_cell.set_weights(weights)
    cell.set_weights(weights)
    inputs = [Tensor(a.copy(), requires_grad=True) for a in (x, H0)]
    h, _ = cell(inputs[0], [inputs[1]])
    single, single_state = cell(inputs[0], inputs[1])  # a bare state gives a bare state back
    assert isinstance(single_state, Tensor)
    np.testing.assert_array_equal(single.numpy(), h.numpy())
    torch_inputs = [torch.from_numpy(a.copy()).requires_grad_() for a in (x, H0)]
    kh, _ = keras_cell(torch_inputs[0], [torch_inputs[1]])
    np.testing.assert_allclose(h.numpy(), to_numpy(kh), atol=1e-6)
    (h.sum() + single.sum()).backward()  # two calls on the same inputs: twice Keras's gradient
    kh.sum().backward()
    for ours, theirs in zip(inputs, torch_inputs):
        np.testing.assert_allclose(ours.grad, 2 * theirs.grad.numpy(), atol=1e-5)


def test_gru_config_matches_keras_and_round_trips() -> None:
    kwargs = {"units": 4, "reset_after": False, "recurrent_dropout": 0.1, "return_state": True}
    config = layers.GRU(**kwargs).get_config()
    assert set(config) == set(keras.layers.GRU(**kwargs).get_config())
    assert layers.GRU.from_config(config).get_config() == config
    assert set(layers.GRUCell(3).get_config()) == set(keras.layers.GRUCell(3).get_config())
