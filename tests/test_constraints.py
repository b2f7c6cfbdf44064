"""Constraints: projected arrays equal Keras's; configs and lookups."""

from __future__ import annotations

import json

import numpy as np
import pytest

from scratchdl import Parameter, constraints
from tests.layers.harness import keras, to_numpy, to_torch

CASES = [
    ("MaxNorm", {}), ("MaxNorm", {"max_value": 0.5, "axis": 1}), ("MaxNorm", {"max_value": 1.0, "axis": [0, 1]}),
    ("MinMaxNorm", {}), ("MinMaxNorm", {"min_value": 0.5, "max_value": 1.5, "rate": 0.5, "axis": 1}),
    ("NonNeg", {}), ("UnitNorm", {}), ("UnitNorm", {"axis": -1}),
]


@pytest.mark.parametrize("shape", [(5, 3), (3, 3, 4, 2)])
@pytest.mark.parametrize("name, kwargs", CASES)
def test_constraint_equals_keras(name, kwargs, shape):
    w = np.random.default_rng(0).standard_normal(shape).astype("float32")
    ours = getattr(constraints, name)(**kwargs)(w)
    theirs = to_numpy(getattr(keras.constraints, name)(**kwargs)(to_torch(w)))
    assert isinstance(ours, np.ndarray) and ours.dtype == np.float32 and ours.shape == shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-7)


def test_constraints_take_parameters_and_project_norms():
    w = Parameter(np.random.default_rng(2).standard_normal((6, 4)).astype("float32") * 3)
    projected = constraints.MaxNorm(1.0)(w)
    assert np.all(np.linalg.norm(projected, axis=0) <= 1.0 + 1e-6)
    unit = constraints.UnitNorm()(w)
    np.testing.assert_allclose(np.linalg.norm(unit, axis=0), 1.0, rtol=1e-5)
    assert np.all(constraints.NonNeg()(w) >= 0)
    np.testing.assert_array_equal(constraints.Constraint()(w), w.numpy())


@pytest.mark.parametrize("name, kwargs", CASES)
def test_serialize_matches_keras_and_round_trips(name, kwargs):
    ours = constraints.serialize(getattr(constraints, name)(**kwargs))
    theirs = keras.constraints.serialize(getattr(keras.constraints, name)(**kwargs))
    assert ours == theirs
    revived = constraints.deserialize(json.loads(json.dumps(ours)))
    assert type(revived).__name__ == name and revived.get_config() == json.loads(json.dumps(ours["config"]))
    assert type(constraints.get(theirs)).__name__ == name


def test_get():
    for name, cls in [("max_norm", "MaxNorm"), ("MaxNorm", "MaxNorm"), ("min_max_norm", "MinMaxNorm"),
                      ("non_neg", "NonNeg"), ("unit_norm", "UnitNorm")]:
        assert type(constraints.get(name)).__name__ == cls
        assert constraints.get(name).get_config() == keras.constraints.get(name).get_config()
    assert constraints.get(None) is None
    assert isinstance(constraints.get(constraints.NonNeg), constraints.NonNeg)
    clip = constraints.MaxNorm(3)
    assert constraints.get(clip) is clip
    with pytest.raises(ValueError, match="Could not interpret constraint identifier: 'positive'"):
        constraints.get("positive")
