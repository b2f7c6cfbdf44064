"""Adadelta: parity with keras.optimizers.Adadelta and torch.optim.Adadelta."""

from __future__ import annotations

import keras
import pytest
import torch

from scratchdl import optimizers
from tests.optimizers.parity import check_against_keras, check_against_torch

CONFIGS = [
    {},
    {"learning_rate": 1.0},
    {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-3},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_matches_keras(config: dict) -> None:
    check_against_keras(optimizers.Adadelta(**config), keras.optimizers.Adadelta(**config))


@pytest.mark.parametrize("rho, epsilon", [(0.95, 1e-7), (0.9, 1e-3)])
def test_matches_torch(rho: float, epsilon: float) -> None:
    # Same rule as torch, epsilon included.
    check_against_torch(optimizers.Adadelta(learning_rate=1.0, rho=rho, epsilon=epsilon),
                        lambda p: torch.optim.Adadelta(p, lr=1.0, rho=rho, eps=epsilon))


def test_defaults_are_keras() -> None:
    config = optimizers.Adadelta().get_config()
    assert config["learning_rate"] == pytest.approx(0.001)
    assert config["rho"] == 0.95 and config["epsilon"] == 1e-7
