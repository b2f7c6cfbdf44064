"""RMSprop: parity with keras.optimizers.RMSprop and torch.optim.RMSprop."""

from __future__ import annotations

import keras
import pytest
import torch

from scratchdl import optimizers
from tests.optimizers.parity import check_against_keras, check_against_torch

CONFIGS = [
    {},
    {"learning_rate": 0.01, "rho": 0.8},
    {"learning_rate": 0.01, "momentum": 0.9},
    {"learning_rate": 0.01, "centered": True},
    {"learning_rate": 0.01, "centered": True, "momentum": 0.5, "epsilon": 1e-3},
]


@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_matches_keras(config: dict) -> None:
    check_against_keras(optimizers.RMSprop(**config), keras.optimizers.RMSprop(**config))


def test_matches_keras_with_small_gradients() -> None:
    # Epsilon sits under the square root in Keras: visible when g**2 is comparable to it.
    check_against_keras(optimizers.RMSprop(learning_rate=0.01),
                        keras.optimizers.RMSprop(learning_rate=0.01), grad_scale=1e-4)


@pytest.mark.parametrize("momentum, centered", [(0.0, False), (0.9, False), (0.0, True),
                                                (0.5, True)])
def test_matches_torch_without_epsilon(momentum: float, centered: bool) -> None:
    # torch adds epsilon outside the square root; with epsilon = 0 the rules agree (and with a
    # constant rate Keras's momentum slot is lr times torch's buffer).
    check_against_torch(
        optimizers.RMSprop(learning_rate=2**-6, rho=0.9, momentum=momentum, centered=centered,
                           epsilon=0.0),
        lambda p: torch.optim.RMSprop(p, lr=2**-6, alpha=0.9, momentum=momentum,
                                      centered=centered, eps=0.0),
    )


def test_slot_order_matches_keras() -> None:
    opt = optimizers.RMSprop(momentum=0.9, centered=True)
    params_shapes = [(2, 3), (3,)]
    import numpy as np

    import scratchdl

    params = [scratchdl.Parameter(np.zeros(s, dtype="float32")) for s in params_shapes]
    opt.build(params)
    names = list(opt.get_state())
    assert names == [
        "iterations", "learning_rate",
        "rmsprop/velocity/0", "rmsprop/velocity/1",
        "rmsprop/momentum/0", "rmsprop/momentum/1",
        "rmsprop/average_gradient/0", "rmsprop/average_gradient/1",
    ]
