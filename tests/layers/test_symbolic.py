"""The nest helpers of layers/symbolic.py: is_symbolic against flatten on nested structures."""

import numpy as np
import pytest

from scratchdl import Tensor
from scratchdl.layers.symbolic import KerasTensor, flatten, is_symbolic

SYMBOLIC = KerasTensor((None, 3), "float32")


@pytest.mark.parametrize("structure, expected", [
    ((Tensor(np.ones(2)),), False),
    (((Tensor(np.ones(2)),), {"training": True, "mask": None}), False),
    (((SYMBOLIC,), {"training": True}), True),
    (((Tensor(np.ones(2)),), {"mask": [None, {"deep": (1, SYMBOLIC)}]}), True),
    ([[], {}, ()], False),
    (SYMBOLIC, True),
    ("text", False),
])
def test_is_symbolic_finds_a_keras_tensor_at_any_depth(structure, expected):
    assert is_symbolic(structure) is expected
    assert is_symbolic(structure) == any(isinstance(leaf, KerasTensor) for leaf in flatten(structure))
