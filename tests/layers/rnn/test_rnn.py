"""RNN(cell): the generic step-by-step layer with Keras parity (built-in, stacked and user
cells); the fused SimpleRNN/LSTM/GRU layers equal RNN over their cells (also with dropout);
stateful layers."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest
import torch

from scratchdl import Tensor, layers, ops
from scratchdl._serialization import register_serializable
from scratchdl.layers.layer import Layer
from tests.layers.harness import run_layer_test, to_numpy

B, T, D, U = 2, 5, 4, 3
RNG = np.random.default_rng(3)
MASK = np.array([[True, True, False, True, False], [False, True, True, True, True]])


# ---------------------------------------------------------------------------------- a user cell
@register_serializable(package="tests_rnn")
class MinimalRNNCell(Layer):
    """The cell of Keras's RNN docstring: ``h = x @ kernel + h_prev @ recurrent_kernel``."""

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape: Any) -> None:
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def call(self, inputs: Tensor, states: list[Tensor]) -> tuple[Tensor, list[Tensor]]:
        output = ops.matmul(inputs, self.kernel) + ops.matmul(states[0], self.recurrent_kernel)
        return output, [output]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units}


class KerasMinimalRNNCell(keras.layers.Layer):
    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units

    def build(self, input_shape: Any) -> None:
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units), name="kernel")
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units),
                                                name="recurrent_kernel")

    def call(self, inputs: Any, states: Any) -> Any:
        output = keras.ops.matmul(inputs, self.kernel) + keras.ops.matmul(states[0], self.recurrent_kernel)
        return output, [output]


# ---------------------------------------------------------------------------------- harness
CELLS = {
    "SimpleRNNCell": (layers.SimpleRNNCell, keras.layers.SimpleRNNCell),
    "LSTMCell": (layers.LSTMCell, keras.layers.LSTMCell),
    "GRUCell": (layers.GRUCell, keras.layers.GRUCell),
    "MinimalRNNCell": (MinimalRNNCell, KerasMinimalRNNCell),
}


def rnn_over(cell_names: list[str]) -> tuple[type, Any]:
    """An RNN subclass building its cell(s) from ``units`` (so the harness can construct it
    from keyword arguments) and the matching Keras factory."""

    def make_cells(factory_index: int, units: Any, cell_kwargs: Any) -> Any:
        units = units if isinstance(units, list) else [units]
        cells = [CELLS[name][factory_index](u, **(cell_kwargs or {}))
                 for name, u in zip(cell_names, units)]
        return cells if len(cells) > 1 else cells[0]

    class CellRNN(layers.RNN):
        def __init__(self, cell: Any = None, units: Any = None, cell_kwargs: Any = None,
                     **kwargs: Any) -> None:
            super().__init__(cell if cell is not None else make_cells(0, units, cell_kwargs), **kwargs)

    CellRNN.__name__ = CellRNN.__qualname__ = "RNN_" + "_".join(cell_names)
    register_serializable(package="tests_rnn")(CellRNN)  # the harness saves and reloads it

    def keras_factory(units: Any = None, cell_kwargs: Any = None, **kwargs: Any) -> Any:
        return keras.layers.RNN(make_cells(1, units, cell_kwargs), **kwargs)

    return CellRNN, keras_factory


@pytest.mark.parametrize("cell", ["SimpleRNNCell", "LSTMCell", "GRUCell", "MinimalRNNCell"])
@pytest.mark.parametrize(
    ("kwargs", "call_kwargs"),
    [
        ({}, {}),
        ({"return_sequences": True, "go_backwards": True}, {}),
        ({"return_sequences": True, "return_state": True}, {"mask": MASK}),
        ({"return_sequences": True, "zero_output_for_mask": True, "go_backwards": True},
         {"mask": MASK}),
    ],
    ids=["last", "backwards", "masked_state", "zero_output_backwards"],
)
def test_rnn_over_cells_harness(cell: str, kwargs: dict[str, Any], call_kwargs: dict[str, Any]) -> None:
    layer_cls, keras_cls = rnn_over([cell])
    run_layer_test(layer_cls, {"units": U, **kwargs}, keras_cls=keras_cls, input_shape=(B, T, D),
                   call_kwargs=call_kwargs, supports_masking=True, config_ignore=("cell",),
                   atol=1e-5)


def test_rnn_gru_reset_before_and_initial_state_harness() -> None:
    layer_cls, keras_cls = rnn_over(["GRUCell"])
    h0 = RNG.standard_normal((B, U)).astype(np.float32)
    run_layer_test(layer_cls, {"units": U, "cell_kwargs": {"reset_after": False},
                               "return_state": True}, keras_cls=keras_cls, input_shape=(B, T, D),
                   call_kwargs={"initial_state": [h0]}, config_ignore=("cell",))


def test_stacked_cells_harness() -> None:
    layer_cls, keras_cls = rnn_over(["LSTMCell", "GRUCell"])
    run_layer_test(layer_cls, {"units": [4, U], "return_sequences": True, "return_state": True},
                   keras_cls=keras_cls, input_shape=(B, T, D), call_kwargs={"mask": MASK},
                   config_ignore=("cell",), expected_num_trainable_weights=6)


def test_rnn_config_serializes_the_cell() -> None:
    layer = layers.RNN(layers.GRUCell(4, reset_after=False), return_sequences=True)
    config = layer.get_config()
    keras_config = keras.layers.RNN(keras.layers.GRUCell(4, reset_after=False),
                                    return_sequences=True).get_config()
    assert set(config) == set(keras_config)
    assert config["cell"]["class_name"] == "GRUCell" and config["cell"]["module"] == "keras.layers"
    assert set(config["cell"]["config"]) == set(keras_config["cell"]["config"])
    revived = layers.RNN.from_config(config)
    assert isinstance(revived.cell, layers.GRUCell) and revived.cell.reset_after is False
    stacked = layers.RNN([layers.LSTMCell(3), MinimalRNNCell(2)])
    revived = layers.RNN.from_config(stacked.get_config())
    assert [type(c).__name__ for c in revived.cell.cells] == ["LSTMCell", "MinimalRNNCell"]


# ---------------------------------------------------------------------------------- fused == generic
FUSED = [(layers.SimpleRNN, layers.SimpleRNNCell, {}), (layers.LSTM, layers.LSTMCell, {}),
         (layers.GRU, layers.GRUCell, {}), (layers.GRU, layers.GRUCell, {"reset_after": False})]


@pytest.mark.parametrize(("fused_cls", "cell_cls", "cell_kwargs"), FUSED,
                         ids=["simple_rnn", "lstm", "gru", "gru_reset_before"])
@pytest.mark.parametrize(
    ("kwargs", "training"),
    [
        ({"return_sequences": True, "return_state": True}, False),
        ({"go_backwards": True, "return_state": True, "mask": True}, False),
        ({"return_sequences": True, "dropout": 0.3, "recurrent_dropout": 0.4, "seed": 7}, True),
        ({"dropout": 0.5, "seed": 11, "mask": True, "initial_state": True}, True),
    ],
    ids=["plain", "masked_backwards", "dropout_per_gate", "dropout_shared_masked"],
)
def test_fused_layers_equal_rnn_over_their_cells(fused_cls: type, cell_cls: type,
                                                 cell_kwargs: dict[str, Any],
                                                 kwargs: dict[str, Any], training: bool) -> None:
    kwargs = dict(kwargs)
    use_mask = kwargs.pop("mask", False)
    use_initial = kwargs.pop("initial_state", False)
    cell_args = {k: kwargs.pop(k) for k in ("dropout", "recurrent_dropout", "seed") if k in kwargs}
    fused = fused_cls(U, **cell_kwargs, **cell_args, **kwargs)
    generic = layers.RNN(cell_cls(U, **cell_kwargs, **cell_args), **kwargs)
    x = RNG.standard_normal((B, T, D)).astype(np.float32)
    call: dict[str, Any] = {"training": training}
    if use_mask:
        call["mask"] = MASK
    if use_initial:
        n = 2 if fused_cls is layers.LSTM else 1
        call["initial_state"] = [RNG.standard_normal((B, U)).astype(np.float32) for _ in range(n)]
    fused(x, **call)
    generic(x, **call)
    generic.set_weights([w + RNG.uniform(-0.2, 0.2, w.shape).astype(np.float32)
                         for w in fused.get_weights()])
    fused.set_weights(generic.get_weights())
    results = []
    for layer in (fused, generic):
        if cell_args.get("seed") is not None:  # the same dropout masks in both layers
            layer.cell._dropout_rng = np.random.default_rng(cell_args["seed"])
        inputs = Tensor(x, requires_grad=True)
        outputs = layer(inputs, **call)
        outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
        loss = sum((o * Tensor(np.linspace(-1, 1, o.size, dtype=np.float32).reshape(o.shape))).sum()
                   for o in outputs)
        loss.backward()
        results.append(([o.numpy() for o in outputs], inputs.grad,
                         [w.grad.copy() for w in layer.weights]))
        for w in layer.weights:
            w.grad = None
    (fused_out, fused_dx, fused_dw), (generic_out, generic_dx, generic_dw) = results
    for a, b in zip(fused_out, generic_out):
        np.testing.assert_allclose(a, b, atol=2e-6)
    np.testing.assert_allclose(fused_dx, generic_dx, atol=2e-5)
    for a, b in zip(fused_dw, generic_dw):
        np.testing.assert_allclose(a, b, atol=2e-5)


# ---------------------------------------------------------------------------------- stateful
@pytest.mark.parametrize("layer_cls", [layers.SimpleRNN, layers.LSTM, layers.GRU])
def test_stateful_two_batches_equal_one_long_sequence(layer_cls: type) -> None:
    x = RNG.standard_normal((B, 2 * T, D)).astype(np.float32)
    whole = layer_cls(U, return_sequences=True)
    expected = whole(x).numpy()
    stateful = layer_cls(U, return_sequences=True, stateful=True)
    stateful(x[:, :T])
    stateful.set_weights(whole.get_weights())
    stateful.reset_states()
    first = stateful(x[:, :T]).numpy()
    second = stateful(x[:, T:]).numpy()
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), expected, atol=1e-6)
    stateful.reset_states()
    assert all(not np.any(s.numpy()) for s in stateful.states)
    np.testing.assert_allclose(stateful(x[:, :T]).numpy(), first, atol=1e-7)


def test_stateful_matches_keras_over_two_batches() -> None:
    x = RNG.standard_normal((B, 2 * T, D)).astype(np.float32)
    layer = layers.LSTM(U, stateful=True, return_state=True)
    keras_layer = keras.layers.LSTM(U, stateful=True, return_state=True)
    layer(x[:, :T])
    keras_layer(torch.from_numpy(x[:, :T]))
    layer.set_weights(keras_layer.get_weights())
    layer.reset_states()
    keras_layer.reset_states()
    for half in (x[:, :T], x[:, T:]):
        ours = layer(half)
        theirs = keras_layer(torch.from_numpy(half))
        for a, b in zip(ours, theirs):
            np.testing.assert_allclose(a.numpy(), to_numpy(b), atol=1e-5)
    for a, b in zip(layer.states, keras_layer.states):
        np.testing.assert_allclose(a.numpy(), to_numpy(b), atol=1e-5)


def test_stateful_errors() -> None:
    layer = layers.GRU(U, stateful=True)
    layer(np.zeros((2, T, D), np.float32))
    with pytest.raises(ValueError, match="Expected batch size: 2"):
        layer(np.zeros((3, T, D), np.float32))
    with pytest.raises(ValueError, match="batch size must be static"):
        layers.GRU(U, stateful=True).build((None, T, D))


# ---------------------------------------------------------------------------------- errors
def test_rnn_errors() -> None:
    with pytest.raises(ValueError, match="should have a `call` method"):
        layers.RNN(object())

    class NoStateSize:
        def call(self, inputs: Any, states: Any) -> Any:
            return inputs, states

    with pytest.raises(ValueError, match="`state_size` attribute"):
        layers.RNN(NoStateSize())
    with pytest.raises(ValueError, match=r"RNN 'seq': expected input of shape \(batch, time, features\), got shape \(2, 4\)"):
        layers.RNN(layers.LSTMCell(3), name="seq")(np.zeros((2, 4), np.float32))
