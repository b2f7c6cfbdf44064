"""SGD: parity with keras.optimizers.SGD and torch.optim.SGD (momentum, nesterov)."""

from __future__ import annotations

import keras
import pytest
import torch

from scratchdl import optimizers
from tests.optimizers.parity import check_against_keras, check_against_torch

CONFIGS = [
    {},
    {"learning_rate": 0.1},
    {"learning_rate": 0.1, "momentum": 0.9},
    {"learning_rate": 0.05, "momentum": 0.5, "nesterov": True},
    {"learning_rate": 0.1, "momentum": 0.9, "nesterov": True},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_matches_keras(config: dict) -> None:
    check_against_keras(optimizers.SGD(**config), keras.optimizers.SGD(**config))


@pytest.mark.parametrize("momentum, nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_matches_torch(momentum: float, nesterov: bool) -> None:
    # With a constant rate Keras's velocity is -lr times torch's momentum buffer.
    check_against_torch(
        optimizers.SGD(learning_rate=2**-4, momentum=momentum, nesterov=nesterov),
        lambda p: torch.optim.SGD(p, lr=2**-4, momentum=momentum, nesterov=nesterov),
    )


def test_no_slots_without_momentum() -> None:
    opt = optimizers.SGD()
    opt.build([])
    assert len(opt.variables) == 2  # iterations, learning_rate


@pytest.mark.parametrize("momentum", [-0.1, 1.5, "0.9"])
def test_rejects_bad_momentum(momentum: object) -> None:
    with pytest.raises(ValueError, match="SGD: `momentum` must be a float between"):
        optimizers.SGD(momentum=momentum)


def test_config() -> None:
    config = optimizers.SGD(momentum=0.5, nesterov=True).get_config()
    assert config["momentum"] == 0.5 and config["nesterov"] is True
    assert optimizers.SGD.from_config(config).get_config() == config
