"""Nadam: parity with keras.optimizers.Nadam and torch.optim.NAdam (momentum_decay=1)."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import torch

import scratchdl
from scratchdl import optimizers
from tests.optimizers.parity import check_against_keras, check_against_torch

CONFIGS = [
    {},
    {"learning_rate": 0.1},
    {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-3},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_matches_keras(config: dict) -> None:
    check_against_keras(optimizers.Nadam(**config), keras.optimizers.Nadam(**config))


def test_matches_keras_over_many_steps() -> None:
    check_against_keras(optimizers.Nadam(learning_rate=0.01),
                        keras.optimizers.Nadam(learning_rate=0.01), steps=30)


@pytest.mark.parametrize("epsilon", [1e-7, 1e-3])
def test_matches_torch(epsilon: float) -> None:
    # Keras's schedule mu_t = beta_1 (1 - 0.5 * 0.96**t) is torch's with momentum_decay = 1.
    # torch keeps its running product mu_product in the default dtype: make that float64 too.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        check_against_torch(
            optimizers.Nadam(learning_rate=2**-5, epsilon=epsilon),
            lambda p: torch.optim.NAdam(p, lr=2**-5, eps=epsilon, momentum_decay=1.0),
            steps=8,
        )
    finally:
        torch.set_default_dtype(previous)


def test_u_product_is_state() -> None:
    opt = optimizers.Nadam()
    param = scratchdl.Parameter(np.zeros(3, dtype="float32"))
    opt.apply([np.ones(3, dtype="float32")], [param])
    state = opt.get_state()
    assert state["nadam/u_product"].shape == () and state["nadam/u_product"].dtype == np.float32
    assert state["nadam/u_product"] == pytest.approx(0.9 * (1 - 0.5 * 0.96), rel=1e-6)
