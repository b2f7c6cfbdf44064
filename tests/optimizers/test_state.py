"""Optimizer state: get_state / set_state resume training exactly; errors list every mismatch;
Keras's save_own_variables / load_own_variables layout interoperates with Keras optimizers."""

from __future__ import annotations

from collections.abc import Callable

import keras
import numpy as np
import pytest

import scratchdl
from scratchdl import optimizers
from tests.optimizers.parity import (
    assert_all_close, keras_variables, make_parameters, make_problem, run_ours,
)

FACTORIES: dict[str, Callable[[], optimizers.Optimizer]] = {
    "sgd": lambda: optimizers.SGD(learning_rate=0.1),
    "sgd-nesterov": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True),
    "rmsprop-centered-momentum": lambda: optimizers.RMSprop(
        learning_rate=0.01, momentum=0.5, centered=True),
    "adam-amsgrad": lambda: optimizers.Adam(learning_rate=0.1, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(learning_rate=0.1, weight_decay=0.1),
    "adagrad": lambda: optimizers.Adagrad(learning_rate=0.1),
    "adadelta": lambda: optimizers.Adadelta(learning_rate=1.0),
    "adamax": lambda: optimizers.Adamax(learning_rate=0.1),
    "nadam": lambda: optimizers.Nadam(learning_rate=0.1),
    "adam-ema": lambda: optimizers.Adam(learning_rate=0.1, use_ema=True,
                                        ema_overwrite_frequency=4),
    "sgd-accumulation": lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9,
                                               gradient_accumulation_steps=2),
    "adam-schedule-clip": lambda: optimizers.Adam(
        learning_rate=optimizers.schedules.ExponentialDecay(0.1, 2, 0.5), global_clipnorm=1.0,
        weight_decay=0.1),
}


@pytest.mark.parametrize("make", FACTORIES.values(), ids=FACTORIES.keys())
def test_resume_is_exact(make: Callable[[], optimizers.Optimizer]) -> None:
    initial, grads = make_problem(steps=6)
    uninterrupted = run_ours(make(), initial, grads)

    params = make_parameters(initial)
    first = make()
    for step in grads[:3]:
        first.apply_gradients(zip(step, params))
    state = first.get_state()
    saved_values = [p.data.copy() for p in params]

    # A fresh process: new parameters with the saved values and a new optimizer.
    resumed_params = make_parameters(saved_values)
    second = make()
    second.build(resumed_params)
    second.set_state(state)
    assert second.iterations == first.iterations
    for step in grads[3:]:
        second.apply_gradients(zip(step, resumed_params))
    for p, expected in zip(resumed_params, uninterrupted):
        np.testing.assert_array_equal(p.data, expected)
    for name, array in second.get_state().items():
        assert array.dtype == state[name].dtype, name


def test_state_names_and_copies() -> None:
    opt = optimizers.Adam(amsgrad=True)
    params = make_parameters(*make_problem(shapes=[(2, 2), (3,)])[:1])
    opt.apply([np.ones((2, 2), "float32"), np.ones(3, "float32")], params[:2])
    state = opt.get_state()
    assert list(state) == [
        "iterations", "learning_rate",
        "adam/momentum/0", "adam/velocity/0", "adam/momentum/1", "adam/velocity/1",
        "adam/velocity_hat/0", "adam/velocity_hat/1",
    ]
    assert state["iterations"] == 1 and state["iterations"].dtype == np.int64
    state["adam/momentum/0"][...] = 123.0  # a copy: the optimizer is unaffected
    assert not np.any(opt.get_state()["adam/momentum/0"] == 123.0)


def test_set_state_lists_every_mismatch_and_changes_nothing() -> None:
    params = [scratchdl.Parameter(np.zeros((2, 3), "float32")),
              scratchdl.Parameter(np.zeros(4, "float32"))]
    opt = optimizers.Adam()
    opt.build(params)
    state = opt.get_state()
    state["iterations"] = np.array(7)
    del state["adam/velocity/1"]
    state["adam/momentum/0"] = np.zeros((3, 2), "float32")
    state["adam/bogus/0"] = np.zeros(1, "float32")
    with pytest.raises(ValueError) as info:
        opt.set_state(state)
    message = str(info.value)
    assert "Adam 'adam" in message and "cannot restore the optimizer state" in message
    assert "missing 'adam/velocity/1' (shape (4,))" in message
    assert "'adam/momentum/0': expected shape (2, 3), got (3, 2)" in message
    assert "unexpected 'adam/bogus/0'" in message
    assert opt.iterations == 0  # validated before anything was written


def test_set_state_before_build_says_to_build() -> None:
    params = make_parameters(*make_problem()[:1])
    trained = optimizers.Adam()
    trained.apply([np.ones_like(p.data) for p in params], params)
    fresh = optimizers.Adam()
    with pytest.raises(ValueError, match=r"not built yet: call optimizer.build\(variables\)"):
        fresh.set_state(trained.get_state())


def test_learning_rate_is_restored() -> None:
    params = make_parameters(*make_problem()[:1])
    opt = optimizers.SGD(learning_rate=0.1)
    opt.build(params)
    opt.learning_rate = 0.025
    other = optimizers.SGD(learning_rate=0.1)
    other.build(params)
    other.set_state(opt.get_state())
    assert other.learning_rate == pytest.approx(0.025)


def _keras_train(optimizer: object, variables: list, grads: list) -> None:
    for step in grads:
        optimizer.apply([keras.ops.convert_to_tensor(g) for g in step], variables)


@pytest.mark.parametrize("name, config", [
    ("Adam", {"learning_rate": 0.1, "amsgrad": True}),
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("Nadam", {"learning_rate": 0.1}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.9}),
])
def test_keras_store_round_trip(name: str, config: dict) -> None:
    """Keras's optimizer variables load into ours (and ours into Keras's), then both continue
    identically: the two states have the same order, shapes and meaning."""
    initial, grads = make_problem(steps=6)
    variables = keras_variables(initial)
    theirs = getattr(keras.optimizers, name)(**config)
    _keras_train(theirs, variables, grads[:3])
    store: dict = {}
    theirs.save_own_variables(store)

    params = make_parameters([keras.ops.convert_to_numpy(v.value) for v in variables])
    ours = getattr(optimizers, name)(**config)
    ours.build(params)
    ours.load_own_variables(store)
    assert ours.iterations == 3
    for step in grads[3:]:
        ours.apply(step, params)
    _keras_train(theirs, variables, grads[3:])
    assert_all_close([p.data for p in params],
                     [keras.ops.convert_to_numpy(v.value) for v in variables], "keras->ours")

    # And back: our store into a fresh Keras optimizer.
    our_store: dict = {}
    ours.save_own_variables(our_store)
    fresh = getattr(keras.optimizers, name)(**config)
    fresh_vars = keras_variables([p.data for p in params])
    fresh.build(fresh_vars)
    fresh.load_own_variables(our_store)
    assert_all_close([keras.ops.convert_to_numpy(v.value) for v in fresh.variables],
                     ours.variables, "ours->keras")


def test_load_own_variables_count_mismatch_warns_and_skips() -> None:
    opt = optimizers.Adam()
    opt.build(make_parameters(*make_problem()[:1]))
    with pytest.warns(UserWarning, match="Skipping variable loading for optimizer"):
        opt.load_own_variables({"0": np.array(5)})
    assert opt.iterations == 0
