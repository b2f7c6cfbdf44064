"""Merging layers: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot, and their
functional forms add, subtract, multiply, average, maximum, minimum, concatenate, dot."""

from scratchdl.layers.merging.add import Add, add
from scratchdl.layers.merging.average import Average, average
from scratchdl.layers.merging.base_merge import Merge
from scratchdl.layers.merging.concatenate import Concatenate, concatenate
from scratchdl.layers.merging.dot import Dot, dot
from scratchdl.layers.merging.maximum import Maximum, maximum
from scratchdl.layers.merging.minimum import Minimum, minimum
from scratchdl.layers.merging.multiply import Multiply, multiply
from scratchdl.layers.merging.subtract import Subtract, subtract

__all__ = [
    "Add", "Average", "Concatenate", "Dot", "Maximum", "Merge", "Minimum", "Multiply", "Subtract",
    "add", "average", "concatenate", "dot", "maximum", "minimum", "multiply", "subtract",
]
