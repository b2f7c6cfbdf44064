"""``Tensor``: an array with a gradient and a link to the op that made it; ``Parameter``.

A tensor wraps one NumPy (or CuPy) array. A tensor made by an op while gradients are recorded
holds that op as its ``creator``; ``backward()`` walks those links in reverse. Tensors created
by the user are leaves: their gradient is accumulated into ``.grad`` (a raw array of the same
shape and dtype).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from scratchdl import backend

Array = Any


class Tensor:
    """A multi-dimensional array that records the ops applied to it for reverse-mode autograd.

    Args:
        data: an array, a Tensor, a Python scalar or a (nested) list. Arrays keep their dtype and
            are not copied; Python floats become ``floatx()`` (float32 by default).
        requires_grad: whether gradients should be computed for this tensor (floats only).
        dtype: an optional dtype to cast ``data`` to.
        name: an optional name, shown in ``repr`` and error messages.

    >>> x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    >>> y = (x * x).sum()
    >>> y.backward()
    >>> x.grad
    array([2., 4., 6.], dtype=float32)
    """

    __slots__ = ("data", "grad", "_requires_grad", "creator", "output_index", "name",
                 "retains_grad", "_keras_mask", "__weakref__")
    __array_ufunc__ = None  # make NumPy defer to Tensor's reflected operators (ndarray + Tensor)

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = None,
                 name: str | None = None) -> None:
        if isinstance(data, Tensor):
            data = data.data
        self.data: Array = backend.as_array(data, dtype)
        self.grad: Array | None = None
        self.creator: Any = None
        self.output_index: int = 0
        self.name = name
        self.retains_grad = False
        self._requires_grad = False
        if requires_grad:
            self.requires_grad = True

    @classmethod
    def _from_op(cls, data: Array, creator: Any, output_index: int) -> Tensor:
        tensor = cls.__new__(cls)
        tensor.data = data
        tensor.grad = None
        tensor.creator = creator
        tensor.output_index = output_index
        tensor.name = None
        tensor.retains_grad = False
        tensor._requires_grad = True
        return tensor

    # ----------------------------------------------------------------------------- properties
    @property
    def requires_grad(self) -> bool:
        """Whether gradients flow to this tensor."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and not backend.is_floating(self.data.dtype):
            raise TypeError(
                f"Tensor: only floating-point tensors can require gradients, got dtype {self.dtype}"
            )
        if not value and self.creator is not None:
            raise RuntimeError(
                "Tensor: requires_grad cannot be turned off on a tensor made by an op; use detach()"
            )
        self._requires_grad = bool(value)

    @property
    def shape(self) -> tuple[int, ...]:
        """The array's shape."""
        return self.data.shape

    @property
    def ndim(self) -> int:
        """The number of dimensions."""
        return self.data.ndim

    @property
    def size(self) -> int:
        """The number of elements."""
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        """The array's dtype."""
        return self.data.dtype

    @property
    def is_leaf(self) -> bool:
        """True for tensors not made by a recorded op."""
        return self.creator is None

    @property
    def T(self) -> Tensor:  # noqa: N802 - NumPy's name
        """The tensor with its axes reversed."""
        return _ops.transpose(self)

    # ----------------------------------------------------------------------------- conversions
    def numpy(self) -> np.ndarray:
        """Return the data as a NumPy array (copied from the GPU for CuPy tensors)."""
        data = self.data
        return data if isinstance(data, np.ndarray) else data.get()

    def item(self) -> Any:
        """Return the single element as a Python scalar."""
        if self.size != 1:
            raise ValueError(f"Tensor.item: only one-element tensors convert to a scalar, got shape {self.shape}")
        return self.data.item()

    def tolist(self) -> Any:
        """Return the data as nested Python lists."""
        return self.data.tolist()

    def detach(self) -> Tensor:
        """Return a tensor sharing this data but cut from the graph (requires_grad False)."""
        return Tensor(self.data)

    def astype(self, dtype: Any) -> Tensor:
        """Cast to ``dtype``; differentiable between float dtypes."""
        return _ops.cast(self, dtype)

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        array = self.numpy()
        if dtype is not None:
            array = array.astype(dtype, copy=False)
        return array.copy() if copy else array

    # ----------------------------------------------------------------------------- autograd
    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Compute the gradient of this tensor with respect to every leaf that requires grad.

        Args:
            gradient: the gradient flowing into this tensor; required unless it has one element.
            retain_graph: keep the graph so backward can be called through it again.
        """
        from scratchdl.autograd.engine import backward

        backward(self, gradient, retain_graph=retain_graph)

    def retain_grad(self) -> Tensor:
        """Keep this (non-leaf) tensor's gradient in ``.grad`` after backward."""
        if not self.requires_grad:
            raise RuntimeError("Tensor.retain_grad: the tensor does not require grad")
        self.retains_grad = True
        return self

    def zero_grad(self) -> None:
        """Forget the accumulated gradient (sets ``grad`` to None)."""
        self.grad = None

    # ----------------------------------------------------------------------------- dunders
    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="Tensor(")
        extras = []
        if self.data.dtype != np.dtype(backend.floatx()):
            extras.append(f"dtype={self.dtype}")
        if self.requires_grad:
            extras.append("requires_grad=True")
        if self.name:
            extras.append(f"name={self.name!r}")
        return f"Tensor({body}{''.join(', ' + e for e in extras)})"

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for index in range(self.shape[0]):
            yield self[index]

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.size} elements is ambiguous; use .any() or .all()"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if backend.is_floating(self.dtype):
            raise TypeError("only integer tensors can be used as an index")
        return int(self.item())

    __hash__ = object.__hash__

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.getitem(self, index)

    def __neg__(self) -> Tensor:
        return _ops.negative(self)

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return _ops.abs(self)

    def __add__(self, other: Any) -> Tensor:
        return _ops.add(self, other)

    def __radd__(self, other: Any) -> Tensor:
        return _ops.add(other, self)

    def __sub__(self, other: Any) -> Tensor:
        return _ops.subtract(self, other)

    def __rsub__(self, other: Any) -> Tensor:
        return _ops.subtract(other, self)

    def __mul__(self, other: Any) -> Tensor:
        return _ops.multiply(self, other)

    def __rmul__(self, other: Any) -> Tensor:
        return _ops.multiply(other, self)

    def __truediv__(self, other: Any) -> Tensor:
        return _ops.divide(self, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return _ops.divide(other, self)

    def __floordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(self, other)

    def __rfloordiv__(self, other: Any) -> Tensor:
        return _ops.floor_divide(other, self)

    def __pow__(self, other: Any) -> Tensor:
        return _ops.power(self, other)

    def __rpow__(self, other: Any) -> Tensor:
        return _ops.power(other, self)

    def __matmul__(self, other: Any) -> Tensor:
        return _ops.matmul(self, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return _ops.matmul(other, self)

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.equal(self, other)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return _ops.not_equal(self, other)

    def __lt__(self, other: Any) -> Tensor:
        return _ops.less(self, other)

    def __le__(self, other: Any) -> Tensor:
        return _ops.less_equal(self, other)

    def __gt__(self, other: Any) -> Tensor:
        return _ops.greater(self, other)

    def __ge__(self, other: Any) -> Tensor:
        return _ops.greater_equal(self, other)

    # ----------------------------------------------------------------------------- methods
    def reshape(self, *shape: Any) -> Tensor:
        """Return the tensor with a new shape (``-1`` infers one dimension)."""
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _ops.reshape(self, shape)

    def transpose(self, *axes: Any) -> Tensor:
        """Permute the axes (reverse them when none are given)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.transpose(self, axes or None)

    def flatten(self) -> Tensor:
        """Return a 1-D copy of the tensor."""
        return _ops.reshape(self, (-1,))

    def squeeze(self, axis: Any = None) -> Tensor:
        """Remove axes of length one."""
        return _ops.squeeze(self, axis)

    def expand_dims(self, axis: int) -> Tensor:
        """Insert an axis of length one at ``axis``."""
        return _ops.expand_dims(self, axis)

    def sum(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Sum over ``axis`` (all axes when None)."""
        return _ops.sum(self, axis=axis, keepdims=keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Mean over ``axis`` (all axes when None)."""
        return _ops.mean(self, axis=axis, keepdims=keepdims)

    def var(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Population variance over ``axis``."""
        return _ops.var(self, axis=axis, keepdims=keepdims)

    def std(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Population standard deviation over ``axis``."""
        return _ops.std(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Maximum over ``axis``."""
        return _ops.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Minimum over ``axis``."""
        return _ops.min(self, axis=axis, keepdims=keepdims)

    def prod(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Product over ``axis``."""
        return _ops.prod(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Indices of the maxima along ``axis`` (not differentiable)."""
        return _ops.argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: int | None = None, keepdims: bool = False) -> Tensor:
        """Indices of the minima along ``axis`` (not differentiable)."""
        return _ops.argmin(self, axis=axis, keepdims=keepdims)

    def any(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Whether any element is true (not differentiable)."""
        return Tensor(self.data.any(axis=axis, keepdims=keepdims))

    def all(self, axis: Any = None, keepdims: bool = False) -> Tensor:
        """Whether every element is true (not differentiable)."""
        return Tensor(self.data.all(axis=axis, keepdims=keepdims))

    def exp(self) -> Tensor:
        """Elementwise e**x."""
        return _ops.exp(self)

    def log(self) -> Tensor:
        """Elementwise natural logarithm."""
        return _ops.log(self)

    def sqrt(self) -> Tensor:
        """Elementwise square root."""
        return _ops.sqrt(self)

    def tanh(self) -> Tensor:
        """Elementwise hyperbolic tangent."""
        return _ops.tanh(self)

    def sigmoid(self) -> Tensor:
        """Elementwise logistic sigmoid."""
        return _ops.sigmoid(self)

    def relu(self) -> Tensor:
        """Elementwise max(x, 0)."""
        return _ops.relu(self)

    def clip(self, min_value: Any = None, max_value: Any = None) -> Tensor:
        """Limit the values to [min_value, max_value]."""
        return _ops.clip(self, min_value, max_value)


class Parameter(Tensor):
    """A leaf tensor that requires grad by default: the state of a model (a Keras "variable").

    ``trainable`` is the weight's own flag (False for e.g. BatchNormalization's moving statistics);
    ``requires_grad`` is additionally turned off while the owning layer is frozen. ``assign``
    replaces the value in place (same shape), as Keras variables do.
    """

    __slots__ = ("_trainable", "regularizer", "constraint", "path")

    def __init__(self, data: Any, requires_grad: bool | None = None, dtype: Any = None,
                 name: str | None = None, trainable: bool = True) -> None:
        if dtype is None and not isinstance(data, (Tensor, np.ndarray)):
            dtype = backend.floatx()
        trainable = bool(trainable if requires_grad is None else requires_grad)
        super().__init__(data, requires_grad=trainable, dtype=dtype, name=name)
        if not self.data.flags.c_contiguous:
            # A weight is C-ordered, as its gradients and optimizer slots are: elementwise updates
            # that mix a Fortran-ordered weight with C-ordered arrays run many times slower.
            self.data = backend.get_array_module(self.data).ascontiguousarray(self.data)
        self._trainable = trainable
        self.regularizer: Any = None
        self.constraint: Any = None
        self.path: str = name or ""

    @property
    def trainable(self) -> bool:
        """Whether an optimizer should update this weight (Keras's ``Variable.trainable``)."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = bool(value)

    @property
    def value(self) -> Tensor:
        """The parameter itself (Keras's ``Variable.value``)."""
        return self

    def assign(self, value: Any) -> None:
        """Overwrite the value with ``value`` (same shape; cast to this parameter's dtype)."""
        array = backend.as_array(value.data if isinstance(value, Tensor) else value)
        if array.shape != self.shape:
            label = f"Parameter {self.path or self.name}" if (self.path or self.name) else "Parameter"
            raise ValueError(
                f"{label}: cannot assign a value of shape {array.shape} to a parameter of shape "
                f"{self.shape}"
            )
        self.data = array.astype(self.dtype, order="C", copy=True)  # never alias the caller's array

    def assign_add(self, value: Any) -> None:
        """Add ``value`` to the parameter in place."""
        self.assign(self.data + (value.data if isinstance(value, Tensor) else value))

    def assign_sub(self, value: Any) -> None:
        """Subtract ``value`` from the parameter in place."""
        self.assign(self.data - (value.data if isinstance(value, Tensor) else value))


def as_tensor(value: Any, dtype: Any = None) -> Tensor:
    """Return ``value`` as a Tensor (tensors pass through unchanged unless a dtype is given)."""
    if isinstance(value, Tensor):
        return value if dtype is None or value.dtype == dtype else value.astype(dtype)
    return Tensor(value, dtype=dtype)


from scratchdl import ops as _ops  # noqa: E402  (ops import Tensor; bound after the class exists)
