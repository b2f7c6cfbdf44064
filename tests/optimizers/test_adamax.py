"""Adamax: parity with keras.optimizers.Adamax and torch.optim.Adamax."""

from __future__ import annotations

import keras
import pytest
import torch

from scratchdl import optimizers
from tests.optimizers.parity import check_against_keras, check_against_torch

CONFIGS = [
    {},
    {"learning_rate": 0.1},
    {"learning_rate": 0.05, "beta_1": 0.8, "beta_2": 0.9, "epsilon": 1e-3},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_matches_keras(config: dict) -> None:
    check_against_keras(optimizers.Adamax(**config), keras.optimizers.Adamax(**config))


def test_matches_torch_without_epsilon() -> None:
    # torch puts epsilon inside the running max; with epsilon = 0 the rules agree.
    check_against_torch(optimizers.Adamax(learning_rate=2**-5, epsilon=0.0),
                        lambda p: torch.optim.Adamax(p, lr=2**-5, eps=0.0))
