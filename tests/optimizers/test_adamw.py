"""AdamW: parity with keras.optimizers.AdamW and torch.optim.AdamW."""

from __future__ import annotations

import keras
import pytest
import torch

from scratchdl import optimizers
from tests.optimizers.parity import check_against_keras, check_against_torch

CONFIGS = [
    {},
    {"learning_rate": 0.1},
    {"learning_rate": 0.1, "weight_decay": 0.5},
    {"learning_rate": 0.05, "weight_decay": 0.1, "amsgrad": True},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_matches_keras(config: dict) -> None:
    check_against_keras(optimizers.AdamW(**config), keras.optimizers.AdamW(**config))


def test_exclude_from_weight_decay_matches_keras() -> None:
    config = {"learning_rate": 0.1, "weight_decay": 0.5}
    check_against_keras(
        optimizers.AdamW(**config), keras.optimizers.AdamW(**config),
        before_ours=lambda opt, params: opt.exclude_from_weight_decay(var_names=["bias"]),
        before_keras=lambda opt, params: opt.exclude_from_weight_decay(var_names=["bias"]),
    )


@pytest.mark.parametrize("amsgrad", [False, True])
def test_matches_torch_without_epsilon(amsgrad: bool) -> None:
    check_against_torch(
        optimizers.AdamW(learning_rate=2**-5, weight_decay=0.25, epsilon=0.0, amsgrad=amsgrad),
        lambda p: torch.optim.AdamW(p, lr=2**-5, weight_decay=0.25, eps=0.0, amsgrad=amsgrad),
    )


def test_default_weight_decay_is_keras() -> None:
    assert optimizers.AdamW().weight_decay == keras.optimizers.AdamW().weight_decay == 0.004


def test_weight_decay_none_is_an_error() -> None:
    with pytest.raises(ValueError, match="AdamW: argument `weight_decay` must be a float"):
        optimizers.AdamW(weight_decay=None)
