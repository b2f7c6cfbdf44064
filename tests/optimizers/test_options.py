"""Base-class options, each compared with Keras 3: clipnorm, clipvalue, global_clipnorm,
weight_decay (and exclude_from_weight_decay), use_ema, gradient accumulation, loss scaling,
None gradients, callable learning rates and weight constraints."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import constraints, optimizers
from tests.optimizers.parity import (
    assert_all_close, check_against_keras, make_problem, run_keras, run_ours,
)

# Each base option with an optimizer of each family (plain, momentum, adaptive).
FAMILIES = [
    ("SGD", {"learning_rate": 0.1, "momentum": 0.9}),
    ("Adam", {"learning_rate": 0.1}),
    ("RMSprop", {"learning_rate": 0.01, "centered": True}),
    ("Nadam", {"learning_rate": 0.05}),
]
OPTIONS = [
    {"clipnorm": 1.0},
    {"clipnorm": 100.0},  # never clips
    {"clipvalue": 0.5},
    {"global_clipnorm": 2.0},
    {"weight_decay": 0.1},
    {"use_ema": True},
    {"use_ema": True, "ema_momentum": 0.5, "ema_overwrite_frequency": 2},
    {"gradient_accumulation_steps": 2},
    {"gradient_accumulation_steps": 3, "weight_decay": 0.05, "global_clipnorm": 1.0},
    {"loss_scale_factor": 128.0},
]


def _pair(name: str, **config: object) -> tuple[object, object]:
    return getattr(optimizers, name)(**config), getattr(keras.optimizers, name)(**config)


@pytest.mark.parametrize("option", OPTIONS, ids=str)
@pytest.mark.parametrize("name, config", FAMILIES, ids=[f[0] for f in FAMILIES])
def test_option_matches_keras(name: str, config: dict, option: dict) -> None:
    ours, theirs = _pair(name, **config, **option)
    grad_scale = 128.0 if "loss_scale_factor" in option else 1.0
    check_against_keras(ours, theirs, steps=6, grad_scale=grad_scale)


@pytest.mark.parametrize("name", ["Adagrad", "Adadelta", "Adamax", "AdamW"])
def test_clipping_and_weight_decay_on_other_optimizers(name: str) -> None:
    for option in ({"clipnorm": 0.5}, {"global_clipnorm": 1.0, "weight_decay": 0.2}):
        ours, theirs = _pair(name, learning_rate=0.1, **option)
        check_against_keras(ours, theirs)


@pytest.mark.parametrize("excluded", ["var_list", "var_names", "both"])
def test_exclude_from_weight_decay_matches_keras(excluded: str) -> None:
    def exclude(optimizer: object, variables: list) -> None:
        kwargs: dict = {}
        if excluded in ("var_list", "both"):
            kwargs["var_list"] = [variables[2]]
        if excluded in ("var_names", "both"):
            kwargs["var_names"] = ["bias", "scale"]
        optimizer.exclude_from_weight_decay(**kwargs)

    ours, theirs = _pair("SGD", learning_rate=0.1, weight_decay=0.5)
    check_against_keras(ours, theirs, before_ours=exclude, before_keras=exclude)


def test_weight_decay_excluded_variables_are_untouched_without_gradient_change() -> None:
    import scratchdl

    w = scratchdl.Parameter(np.ones(3, dtype="float32"), name="bias")
    opt = optimizers.SGD(learning_rate=0.5, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply([np.zeros(3, dtype="float32")], [w])
    np.testing.assert_array_equal(w.data, np.ones(3, dtype="float32"))
    opt2 = optimizers.SGD(learning_rate=0.5, weight_decay=0.1)
    w2 = scratchdl.Parameter(np.ones(3, dtype="float32"), name="bias")
    opt2.apply([np.zeros(3, dtype="float32")], [w2])
    np.testing.assert_allclose(w2.data, np.full(3, 0.95, dtype="float32"))


def test_finalize_variable_values_matches_keras() -> None:
    initial, grads = make_problem(steps=4)
    ours = optimizers.Adam(learning_rate=0.1, use_ema=True, ema_momentum=0.9)
    theirs = keras.optimizers.Adam(learning_rate=0.1, use_ema=True, ema_momentum=0.9)
    holder: dict = {}
    run_ours(ours, initial, grads, before=lambda opt, params: holder.update(ours=params))
    run_keras(theirs, initial, grads, before=lambda opt, variables: holder.update(keras=variables))
    ours.finalize_variable_values(holder["ours"])
    theirs.finalize_variable_values(holder["keras"])
    assert_all_close([p.data for p in holder["ours"]],
                     [keras.ops.convert_to_numpy(v.value) for v in holder["keras"]], "ema")


def test_none_gradients_are_skipped_like_keras() -> None:
    initial, grads = make_problem(steps=5)
    grads[1][1] = None
    grads[3][0] = None
    grads[3][3] = None
    for name, config in FAMILIES:
        ours, theirs = _pair(name, **config, weight_decay=0.1)
        with pytest.warns(UserWarning, match="Gradients do not exist"):
            check_against_keras(ours, theirs, initial=initial, grads=grads)


def test_callable_learning_rate_matches_keras() -> None:
    rates = iter([0.1, 0.05, 0.2, 0.01, 0.1] * 4)
    values = [next(rates) for _ in range(5)]
    ours_calls = iter(values)
    keras_calls = iter(values)
    check_against_keras(optimizers.SGD(learning_rate=lambda: next(ours_calls)),
                        keras.optimizers.SGD(learning_rate=lambda: next(keras_calls)))


@pytest.mark.parametrize("ours_constraint, keras_constraint", [
    (constraints.NonNeg(), keras.constraints.NonNeg()),
    (constraints.MaxNorm(0.5, axis=0), keras.constraints.MaxNorm(0.5, axis=0)),
], ids=["NonNeg", "MaxNorm"])
def test_constraints_applied_after_update_like_keras(ours_constraint: object,
                                                     keras_constraint: object) -> None:
    initial, grads = make_problem(steps=4, shapes=[(3, 4), (4,)])
    import scratchdl

    params = [scratchdl.Parameter(v.copy(), name=f"w{i}") for i, v in enumerate(initial)]
    params[0].constraint = ours_constraint
    variables = [keras.Variable(v.copy(), name=f"w{i}") for i, v in enumerate(initial)]
    variables[0].constraint = keras_constraint  # as Keras's own optimizer test does
    ours = optimizers.Adam(learning_rate=0.1)
    theirs = keras.optimizers.Adam(learning_rate=0.1)
    for step in grads:
        ours.apply(step, params)
        theirs.apply([keras.ops.convert_to_tensor(g) for g in step], variables)
    assert_all_close([p.data for p in params],
                     [keras.ops.convert_to_numpy(v.value) for v in variables], "constrained")
    assert params[0].data.dtype == np.float32


def test_only_one_clipping_option() -> None:
    with pytest.raises(ValueError, match="only one of `clipnorm`, `clipvalue` and "
                                         "`global_clipnorm`"):
        optimizers.Adam(clipnorm=1.0, clipvalue=1.0)


def test_global_clipnorm_with_non_finite_norm_gives_nan_like_keras() -> None:
    import scratchdl

    w = scratchdl.Parameter(np.ones(2, dtype="float32"))
    opt = optimizers.SGD(global_clipnorm=1.0)
    opt.apply([np.array([np.inf, 1.0], dtype="float32")], [w])
    assert np.isnan(w.data).all()


def test_bad_ema_and_accumulation_arguments() -> None:
    with pytest.raises(ValueError, match="`ema_momentum` must be in the range"):
        optimizers.SGD(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="`ema_overwrite_frequency` must be an integer"):
        optimizers.SGD(use_ema=True, ema_overwrite_frequency=0.5)
    with pytest.raises(ValueError, match="`gradient_accumulation_steps` must be an integer >= 2"):
        optimizers.SGD(gradient_accumulation_steps=1)
