"""Regularizers: penalties and gradients equal Keras's (torch autograd), configs, lookups."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from scratchdl import Tensor, regularizers
from scratchdl.autograd.gradcheck import gradcheck
from tests.layers.harness import keras, to_numpy

CASES = [
    ("L1", {}), ("L1", {"l1": 0.3}), ("L2", {}), ("L2", {"l2": 0.25}), ("L1L2", {}),
    ("L1L2", {"l1": 0.1, "l2": 0.2}), ("L1L2", {"l2": 0.5}),
    ("OrthogonalRegularizer", {}), ("OrthogonalRegularizer", {"factor": 0.3, "mode": "columns"}),
]


@pytest.mark.parametrize("shape", [(4, 6), (7, 3)])
@pytest.mark.parametrize("name, kwargs", CASES)
def test_penalty_and_gradient_equal_keras(name, kwargs, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    ours_x = Tensor(x, requires_grad=True)
    ours = getattr(regularizers, name)(**kwargs)(ours_x)
    torch_x = torch.from_numpy(x.copy()).requires_grad_(True)
    theirs = getattr(keras.regularizers, name)(**kwargs)(torch_x)
    assert isinstance(ours, Tensor) and ours.shape == ()
    np.testing.assert_allclose(ours.item(), float(to_numpy(theirs)), rtol=1e-5, atol=1e-7)
    if not ours.requires_grad:  # L1L2() with both factors 0 is a constant 0
        assert float(to_numpy(theirs)) == 0.0
        return
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(ours_x.grad, to_numpy(torch_x.grad), rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("regularizer", [regularizers.L1L2(0.1, 0.2), regularizers.OrthogonalRegularizer(0.5),
                                         regularizers.OrthogonalRegularizer(0.5, "columns")])
def test_penalties_pass_the_numerical_gradient_check(regularizer):
    x = Tensor(np.random.default_rng(1).standard_normal((4, 5)) + 0.1, requires_grad=True)
    assert gradcheck(regularizer, [x], eps=1e-6, threshold=1e-6).passed


@pytest.mark.parametrize("name, kwargs", CASES)
def test_serialize_matches_keras_and_round_trips(name, kwargs):
    ours = regularizers.serialize(getattr(regularizers, name)(**kwargs))
    theirs = keras.regularizers.serialize(getattr(keras.regularizers, name)(**kwargs))
    assert ours.keys() == theirs.keys()
    assert {k: v for k, v in ours.items() if k != "config"} == {k: v for k, v in theirs.items() if k != "config"}
    assert ours["config"].keys() == theirs["config"].keys()
    for key, value in ours["config"].items():  # Keras keeps some factors as float32
        assert value == pytest.approx(theirs["config"][key], rel=1e-6)
    revived = regularizers.deserialize(json.loads(json.dumps(ours)))
    assert regularizers.serialize(revived) == ours
    assert type(regularizers.get(theirs)).__name__ == name


def test_get_and_argument_errors():
    for name, cls in [("l1", "L1"), ("l2", "L2"), ("l1l2", "L1L2"), ("L1L2", "L1L2"),
                      ("orthogonal_regularizer", "OrthogonalRegularizer")]:
        assert type(regularizers.get(name)).__name__ == cls
        assert regularizers.get(name).get_config() == pytest.approx(keras.regularizers.get(name).get_config())
    assert isinstance(regularizers.get("l1_l2"), regularizers.L1L2)  # keras.regularizers.l1_l2's name
    assert regularizers.get(None) is None
    l2 = regularizers.L2(0.1)
    assert regularizers.get(l2) is l2
    assert isinstance(regularizers.get(regularizers.L1), regularizers.L1)

    def custom(x):
        return (x * 0.0).sum()

    assert regularizers.get(custom) is custom
    with pytest.raises(ValueError, match="Could not interpret regularizer identifier: 'l3'"):
        regularizers.get("l3")
    with pytest.raises(ValueError, match="non-negative float"):
        regularizers.L2(-1.0)
    with pytest.raises(ValueError, match="mode"):
        regularizers.OrthogonalRegularizer(mode="diag")
    with pytest.raises(ValueError, match=r"rank 2.*\(2, 2, 2\)"):
        regularizers.OrthogonalRegularizer()(np.ones((2, 2, 2)))
