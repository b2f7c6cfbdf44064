"""Adam: parity with keras.optimizers.Adam (and torch.optim.Adam where the rules coincide)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

from scratchdl import optimizers
from tests.optimizers.parity import (
    check_against_keras, check_against_torch, make_problem, run_ours,
)

CONFIGS = [
    {},
    {"learning_rate": 0.1},
    {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3},
    {"learning_rate": 0.1, "amsgrad": True},
    {"learning_rate": 0.02, "amsgrad": True, "beta_2": 0.9},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_matches_keras(config: dict) -> None:
    check_against_keras(optimizers.Adam(**config), keras.optimizers.Adam(**config))


def test_matches_keras_with_small_gradients() -> None:
    # Near-zero gradients make epsilon matter: Keras adds it to sqrt(v) after folding the bias
    # corrections into the step size.
    check_against_keras(optimizers.Adam(learning_rate=0.1),
                        keras.optimizers.Adam(learning_rate=0.1), grad_scale=1e-6)


@pytest.mark.parametrize("amsgrad", [False, True])
def test_matches_torch_without_epsilon(amsgrad: bool) -> None:
    # torch scales epsilon by the bias correction; with epsilon = 0 both rules are identical.
    check_against_torch(optimizers.Adam(learning_rate=2**-5, epsilon=0.0, amsgrad=amsgrad),
                        lambda p: torch.optim.Adam(p, lr=2**-5, eps=0.0, amsgrad=amsgrad))


def test_defaults_match_keras() -> None:
    ours = optimizers.Adam().get_config()
    theirs = keras.optimizers.Adam().get_config()
    for key in ("learning_rate", "beta_1", "beta_2", "epsilon", "amsgrad"):
        assert ours[key] == pytest.approx(theirs[key]), key


def test_slots_keep_float32() -> None:
    opt = optimizers.Adam(amsgrad=True)
    initial, grads = make_problem()
    run_ours(opt, initial, grads)
    assert all(v.dtype == np.float32 for v in opt.variables[1:])
    assert opt.variables[0].dtype == np.int64
