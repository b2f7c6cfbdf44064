"""Saving and restoring an optimizer's state: named (``get_state``/``set_state``) and in Keras's
``"0", "1", ...`` store layout (``save_own_variables``/``load_own_variables``).

The state is every array listed by ``Optimizer._named_state()``: ``iterations``, the learning
rate (when it is a float) and the slots, in Keras's order.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from scratchdl import backend

__all__ = ["OptimizerStateMixin", "to_numpy"]


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy array (copied from the GPU for a CuPy array)."""
    return array if isinstance(array, np.ndarray) else array.get()


class OptimizerStateMixin:
    """State save/restore methods of ``Optimizer`` (which provides ``_named_state``)."""

    name: str
    built: bool
    _named_state: Any  # () -> list of (state name, array), defined by Optimizer
    variables: Any  # the arrays of _named_state, defined by Optimizer

    def get_state(self) -> dict[str, np.ndarray]:
        """Return copies of every state array by name: ``'iterations'``, ``'learning_rate'``
        (float learning rates only), then slots such as ``'adam/momentum/0'`` (slot, variable
        index). ``set_state`` on an optimizer built for the same variables resumes exactly."""
        return {name: to_numpy(array).copy() for name, array in self._named_state()}

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restore ``get_state``'s output. Build the optimizer first (``build(variables)``) when
        the state holds slots. Names and shapes must match exactly; otherwise nothing is changed
        and the error lists every mismatch."""
        expected = dict(self._named_state())
        problems = []
        for name, array in expected.items():
            if name not in state:
                problems.append(f"missing {name!r} (shape {array.shape})")
            elif np.shape(state[name]) != array.shape:
                problems.append(
                    f"{name!r}: expected shape {array.shape}, got {np.shape(state[name])}")
        problems += [f"unexpected {name!r}" for name in state if name not in expected]
        if problems:
            hint = ""
            if not self.built and len(state) > len(expected):
                hint = ("\n(the optimizer is not built yet: call optimizer.build(variables) "
                        "before set_state)")
            raise ValueError(
                f"{type(self).__name__} '{self.name}': cannot restore the optimizer state:\n  - "
                + "\n  - ".join(problems) + hint
            )
        for name, array in expected.items():
            xp = backend.get_array_module(array)
            array[...] = xp.asarray(state[name]).astype(array.dtype, copy=False)

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Write the state into ``store`` as Keras does: ``store["0"], store["1"], ...`` in
        ``variables`` order (loadable from and into Keras optimizers of the same config)."""
        for i, array in enumerate(self.variables):
            store[str(i)] = to_numpy(array).copy()

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Read ``save_own_variables``'s store (ours or a Keras optimizer's). As Keras, a store
        with a different number of variables is skipped with a warning."""
        variables = self.variables
        if len(store.keys()) != len(variables):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(variables)} variables whereas the saved optimizer has {len(store.keys())} "
                "variables." + (" The optimizer has not been built yet." if not self.built
                                else ""),
                stacklevel=2,
            )
            return
        problems = [
            f"variable {i}: expected shape {array.shape}, got {np.shape(store[str(i)])}"
            for i, array in enumerate(variables) if np.shape(store[str(i)]) != array.shape
        ]
        if problems:
            raise ValueError(f"{type(self).__name__} '{self.name}': cannot load the optimizer "
                             "variables:\n  - " + "\n  - ".join(problems))
        for i, array in enumerate(variables):
            xp = backend.get_array_module(array)
            array[...] = xp.asarray(np.asarray(store[str(i)])).astype(array.dtype, copy=False)
