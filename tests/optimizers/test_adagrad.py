"""Adagrad: parity with keras.optimizers.Adagrad and torch.optim.Adagrad."""

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
    {"learning_rate": 0.1, "initial_accumulator_value": 0.5, "epsilon": 1e-3},
    {"learning_rate": 0.05, "initial_accumulator_value": 0.0},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_matches_keras(config: dict) -> None:
    check_against_keras(optimizers.Adagrad(**config), keras.optimizers.Adagrad(**config))


@pytest.mark.parametrize("initial_accumulator_value", [0.0, 0.1])
def test_matches_torch_without_epsilon(initial_accumulator_value: float) -> None:
    check_against_torch(
        optimizers.Adagrad(learning_rate=2**-4, epsilon=0.0,
                           initial_accumulator_value=initial_accumulator_value),
        lambda p: torch.optim.Adagrad(p, lr=2**-4, eps=0.0,
                                      initial_accumulator_value=initial_accumulator_value),
    )


def test_accumulator_starts_at_initial_value() -> None:
    opt = optimizers.Adagrad(initial_accumulator_value=0.25)
    opt.build([scratchdl.Parameter(np.zeros((2, 2), dtype="float32"))])
    np.testing.assert_array_equal(opt.get_state()["adagrad/accumulator/0"],
                                  np.full((2, 2), 0.25, dtype="float32"))
