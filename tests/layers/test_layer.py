"""The ``Layer`` base: the dtype argument (single dtypes, DTypePolicy dicts, clear errors)."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import Dense


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", np.float64])
def test_layer_accepts_single_dtypes(dtype):
    layer = Dense(4, dtype=dtype, name="d")
    assert layer.dtype == np.dtype(dtype).name
    out = layer(np.ones((2, 3), dtype="float32"))
    assert out.dtype == np.dtype(dtype)
    assert layer.kernel.dtype == np.dtype(dtype)


def test_layer_accepts_a_serialized_dtype_policy():
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float64"},
              "registered_name": None}
    assert Dense(4, dtype=policy).dtype == "float64"


@pytest.mark.parametrize("policy", ["mixed_float16", "mixed_bfloat16"])
def test_layer_rejects_mixed_precision_policies_naming_the_layer(policy):
    with pytest.raises(ValueError, match=rf"Dense 'head': dtype '{policy}' is a Keras mixed-precision "
                                         r"policy, which scratchdl does not support .*'float16', "
                                         r"'float32' or 'float64'"):
        Dense(4, dtype=policy, name="head")


def test_layer_rejects_a_mixed_policy_given_as_a_dict():
    policy = {"class_name": "DTypePolicy", "config": {"name": "mixed_float16"}}
    with pytest.raises(ValueError, match=r"Dense 'head': dtype 'mixed_float16' is a Keras mixed-precision"):
        Dense(4, dtype=policy, name="head")


def test_layer_rejects_unknown_dtypes_naming_the_layer():
    with pytest.raises(TypeError, match=r"Dense 'head': dtype 'float17' is not a data type NumPy "
                                        r"understands"):
        Dense(4, dtype="float17", name="head")


def test_set_weights_errors_name_the_layer_and_the_shapes():
    layer = Dense(4, name="head")
    layer.build((None, 3))
    with pytest.raises(ValueError, match=r"Dense 'head': set_weights expected a list of 2 arrays"):
        layer.set_weights([np.zeros((3, 4))])
    with pytest.raises(ValueError, match=r"Dense 'head': set_weights shape mismatch: weight 0 "
                                         r"\('head/kernel'\) expects shape \(3, 4\), got \(4, 3\)"):
        layer.set_weights([np.zeros((4, 3)), np.zeros(4)])


def test_count_params_before_build_names_the_layer():
    with pytest.raises(ValueError, match=r"Dense 'head': you tried to call `count_params`, but the "
                                         r"layer isn't built"):
        Dense(4, name="head").count_params()
