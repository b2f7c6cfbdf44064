"""``Metric``: the base class of every stateful metric (Keras 3's ``keras.metrics.Metric``).

A metric keeps running state in non-trainable variables (``Parameter``s with ``trainable=False``)
created by ``add_variable`` in ``__init__``. ``update_state(y_true, y_pred, sample_weight=None)``
folds a batch into the state, ``result()`` turns the state into the metric value, and
``reset_state()`` zeroes it between epochs. Calling the metric does both steps::

    m = Mean()
    m.update_state([1.0, 3.0, 5.0, 7.0])
    m.result()          # array(4., dtype=float32)
    m([2.0])            # update with one more value, then the new mean: array(3.6, dtype=float32)

Everything runs in NumPy on host arrays: inputs may be scratchdl ``Tensor``s, NumPy arrays or
nested lists, and no autograd graph is ever recorded. ``result()`` returns a NumPy array (0-d for
a scalar metric, usually in the metric's ``dtype``), so ``float(m.result())`` gives a Python
number.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from scratchdl import backend
from scratchdl.autograd.tensor import Parameter
from scratchdl.metrics._utils import auto_name, standardize_dtype

__all__ = ["Metric"]


class Metric:
    """Encapsulates metric logic and state, with Keras 3's interface.

    Args:
        dtype: the dtype of the metric's computations and result (default ``floatx()``).
        name: the metric's name (default: the class name in snake case, made unique).

    Subclasses create their state with ``self.add_variable(...)`` in ``__init__`` and implement
    ``update_state`` and ``result``. ``reset_state`` zeroes every variable by default.

    >>> class Count(Metric):
    ...     def __init__(self, name="count", dtype=None):
    ...         super().__init__(name=name, dtype=dtype)
    ...         self.n = self.add_variable(shape=(), initializer="zeros", name="n")
    ...     def update_state(self, values, sample_weight=None):
    ...         self.n.assign_add(np.size(values))
    ...     def result(self):
    ...         return self.n.data.copy()
    >>> Count()([1, 2, 3])
    array(3., dtype=float32)
    """

    def __init__(self, dtype: Any = None, name: str | None = None) -> None:
        self.name: str = name or auto_name(type(self).__name__)
        self._dtype = standardize_dtype(dtype or backend.floatx())
        self._variables: list[Parameter] = []
        self._metrics: list[Metric] = []

    # ------------------------------------------------------------------------- state handling
    @property
    def dtype(self) -> str:
        """The dtype name of the metric's computations and result (e.g. ``'float32'``)."""
        return self._dtype

    @property
    def variables(self) -> list[Parameter]:
        """The state variables of this metric and of the metrics it holds, in creation order."""
        variables = list(self._variables)
        for metric in self._metrics:
            variables.extend(metric.variables)
        return variables

    def add_variable(self, shape: Any, initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None) -> Parameter:
        """Create a non-trainable state variable and track it.

        Args:
            shape: the variable's shape (``()`` for a scalar).
            initializer: ``'zeros'``, ``'ones'``, a number, or a callable ``fn(shape, dtype)``.
            dtype: the variable's dtype (default ``floatx()``, as Keras variables).
            aggregation: accepted for Keras compatibility (how replicas would be combined).
            name: the variable's name.

        Returns:
            A ``Parameter`` with ``trainable=False``, updated in place with ``assign``.
        """
        if not hasattr(self, "_variables"):
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__() in __init__ before add_variable"
            )
        shape = tuple(int(size) for size in
                      (shape if isinstance(shape, (tuple, list)) else (shape,)))
        dtype = standardize_dtype(dtype or backend.floatx())
        value = _initial_value(initializer, shape, dtype, self.name)
        variable = Parameter(value, requires_grad=False, dtype=dtype, name=name, trainable=False)
        variable.path = f"{self.name}/{name}" if name else self.name
        self._variables.append(variable)
        return variable

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None,
                   name: str | None = None) -> Parameter:
        """Alias of ``add_variable`` kept for Keras compatibility."""
        return self.add_variable(shape=shape, initializer=initializer or "zeros", dtype=dtype,
                                 name=name)

    def reset_state(self) -> None:
        """Zero every state variable (called between epochs)."""
        for variable in self.variables:
            variable.assign(np.zeros(variable.shape, dtype=variable.dtype))

    # -------------------------------------------------------------------------- the protocol
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulate statistics from one batch (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement update_state")

    def result(self) -> Any:
        """Compute the current metric value from the state (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement result")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Update the state with one batch, then return ``result()`` (as Keras)."""
        self.update_state(*args, **kwargs)
        return self.result()

    # ------------------------------------------------------------------------- serialization
    def get_config(self) -> dict[str, Any]:
        """Return the constructor arguments that rebuild this metric."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        """Rebuild a metric from ``get_config()``'s output."""
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__


def _initial_value(initializer: Any, shape: tuple[int, ...], dtype: str, owner: str) -> np.ndarray:
    """The initial array of a metric variable."""
    if initializer in ("zeros", "Zeros", None):
        return np.zeros(shape, dtype=dtype)
    if initializer in ("ones", "Ones"):
        return np.ones(shape, dtype=dtype)
    if isinstance(initializer, (int, float, np.number)):
        return np.full(shape, initializer, dtype=dtype)
    if callable(initializer):
        fn: Callable[..., Any] = initializer
        value = fn(shape, dtype)
        value = np.asarray(getattr(value, "data", value), dtype=dtype)
        if value.shape != shape:
            raise ValueError(
                f"Metric '{owner}': initializer returned shape {value.shape}, expected {shape}"
            )
        return value
    raise ValueError(
        f"Metric '{owner}': unknown initializer {initializer!r}; expected 'zeros', 'ones', a "
        f"number or a callable fn(shape, dtype)"
    )
