"""Capturing a computation once and replaying it on new data, without the per-call machinery.

A training step of a small model spends a good part of its time in Python: layer calls, the
loss object, ``Function.__call__`` making tensors, and the backward engine's bookkeeping. None of
it changes from one batch to the next as long as the model, the loss and the data's shapes stay
the same. So the step can be *traced* once, while it runs eagerly, and *replayed* afterwards:

1. ``Tracer`` records every ``Function`` call made while it is active: the function's
   configuration before its ``forward`` ran, its inputs and its outputs.
2. ``CapturedGraph(tracer, data, outputs, loss)`` turns the record into a plan. Every input of
   every call must be explained: an output of an earlier call, one of the named data arrays, a
   ``Parameter`` (read again at each replay) or a Python number. Anything else, such as an array
   computed outside the recorded ops (a dropout mask, a converted copy of the data), could differ
   at the next call, so the computation is not capturable and the constructor raises
   ``NotCapturable``.
3. ``CapturedGraph.run`` replays the plan on new data arrays: a fresh copy of each function runs
   its ``forward`` on raw arrays, then the functions' ``backward`` methods run in exactly the
   order the engine would have chosen (``engine.backward``: decreasing generation, then first
   arrival), with the same sums of gradients in the same order, the same reductions of broadcast
   gradients and the same casts. The leaves' ``.grad`` end up as ``loss.backward()`` leaves them,
   bit for bit. No ``Tensor`` is made and no graph is recorded.

The replay checks as it goes that every output has the shape and dtype it had in the trace and
that every gradient the trace produced is produced again; when one is not (an op whose output
shape depends on the values, say), ``run`` raises ``ReplayMismatch`` before any leaf gradient
was written, and the caller falls back to the eager computation.

What a trace cannot see is Python work between the ops that depends on the data's values, such
as a branch on ``np.all(labels == 0)``: the replay keeps the branch the trace took. The caller
must know that the traced code has none; ``models/step_capture.py`` admits only layers and
losses that are free of it.
"""

from __future__ import annotations

import copy
import dataclasses
import heapq
import threading
from numbers import Number
from typing import Any

import numpy as np

from scratchdl.autograd import function as function_module
from scratchdl.autograd.engine import owned_gradient, sum_to
from scratchdl.autograd.function import Function
from scratchdl.autograd.tensor import Parameter, Tensor
from scratchdl.backend import get_array_module

__all__ = ["CapturedGraph", "NotCapturable", "ReplayMismatch", "Tracer"]

Array = Any


class NotCapturable(Exception):
    """The traced computation cannot be replayed safely; the message says why."""


class ReplayMismatch(Exception):
    """A replay produced a shape, dtype or missing gradient that the trace did not."""


class _Call:
    """One recorded call: the function, its state before ``forward``, its inputs and outputs
    (``single``: ``forward`` returned one array, not a tuple)."""

    __slots__ = ("function", "state", "inputs", "outputs", "single")

    def __init__(self, function: Function, state: dict[str, Any] | None,
                 inputs: tuple[Any, ...], result: Any) -> None:
        self.function, self.state, self.inputs = function, state, inputs
        self.single = not isinstance(result, tuple)
        self.outputs: tuple[Tensor, ...] = (result,) if self.single else result


class Tracer:
    """Records every ``Function`` call made while it is active.

    Used as a context manager; tracers do not nest (a call inside ``forward`` is not recorded),
    and only the calls of the thread that made the tracer are recorded.
    The record keeps the calls' inputs and outputs alive, so ``id`` of an array stays unique
    while a ``CapturedGraph`` is built from it.

    >>> from scratchdl import ops
    >>> with Tracer() as tracer:
    ...     y = ops.exp(Tensor([0.0]))
    >>> [type(call.function).__name__ for call in tracer.calls]
    ['Exp']
    """

    def __init__(self) -> None:
        self.calls: list[_Call] = []
        self.thread = threading.get_ident()  # calls made by other threads are not recorded

    @staticmethod
    def active() -> bool:
        """Whether a trace is in progress (in any thread)."""
        return bool(function_module._TRACERS)

    def __enter__(self) -> Tracer:
        if function_module._TRACERS:
            raise RuntimeError("Tracer: a trace is already active; traces do not nest")
        function_module._TRACERS.append(self)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        function_module._TRACERS.remove(self)

    def record(self, function: Function, inputs: tuple[Any, ...]) -> Any:
        """Run ``function`` on ``inputs`` untraced and record the call (``Function.__call__``
        hands every call to the active tracer)."""
        # The configuration forward will start from (None: partly kept in __slots__, which a
        # copy of __dict__ would miss, so not replayable).
        slotted = any(vars(cls).get("__slots__") for cls in type(function).__mro__)
        state = None if slotted else dict(function.__dict__)
        stack = function_module._TRACERS
        stack.remove(self)
        try:
            result = Function.__call__(function, *inputs)
        finally:
            stack.append(self)
        self.calls.append(_Call(function, state, inputs, result))
        return result


_PLAIN_SCALARS = (bool, str, Number, np.generic, np.dtype, slice, type)


def _is_plain(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` is configuration that cannot depend on the data: numbers, strings,
    dtypes, slices, None and containers of them, or a small object made of such values."""
    if value is None or isinstance(value, _PLAIN_SCALARS):
        return True
    if depth > 3:
        return False
    if isinstance(value, (tuple, list, frozenset, set)):
        return all(_is_plain(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(_is_plain(k, depth + 1) and _is_plain(v, depth + 1) for k, v in value.items())
    if isinstance(value, (np.ndarray, Tensor)) or callable(value):
        return False
    fields = getattr(value, "__dict__", None)
    if fields is None and hasattr(type(value), "__slots__"):
        fields = {name: getattr(value, name, None) for name in type(value).__slots__}
    return fields is not None and all(_is_plain(v, depth + 1) for v in fields.values())


def _is_immutable(value: Any) -> bool:
    """Whether a plain ``value`` can be shared between replays: no list, dict, set or object
    other than a frozen dataclass of immutable fields."""
    if isinstance(value, (tuple, frozenset)):
        return all(_is_immutable(item) for item in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return type(value).__dataclass_params__.frozen and all(  # type: ignore[attr-defined]
            _is_immutable(getattr(value, field.name)) for field in dataclasses.fields(value))
    return value is None or isinstance(value, _PLAIN_SCALARS)


class _Node:
    """One call of the plan: how to remake the function, where its inputs and outputs live in
    the replay's list of values, and where its inputs' gradients go."""

    __slots__ = ("cls", "state", "copy_state", "inputs", "outputs", "output_meta", "single",
                 "needs", "to_nodes", "to_leaves")

    def __init__(self) -> None:
        self.cls: type = Function
        self.state: dict[str, Any] = {}
        self.copy_state = False  # the state holds a container that forward might change
        self.inputs: list[int] = []  # value indices
        self.outputs: list[int] = []
        self.output_meta: list[tuple[tuple[int, ...], Any]] = []
        self.single = True  # forward returns one array, not a tuple
        self.needs: tuple[bool, ...] | None = None  # None: the call recorded no graph
        # Gradients of the inputs: (input position, node, its output, shape, dtype) for inputs
        # made by another node, (input position, Parameter, shape, dtype) for leaves.
        self.to_nodes: list[tuple[int, int, int, tuple[int, ...], Any]] = []
        self.to_leaves: list[tuple[int, Parameter, tuple[int, ...], Any]] = []


class CapturedGraph:
    """A traced computation, replayable on new arrays of the same shapes and dtypes.

    Args:
        tracer: the record of the computation's calls.
        data: the named data the computation read: name -> the array (or a tensor wrapping it)
            that was passed in. At replay each name gets a new array.
        outputs: the named results to return: name -> a tensor the traced calls produced.
        loss: the name of the output to differentiate (one element), or None for no backward.

    Raises:
        NotCapturable: an input cannot be explained, a function carries state that may depend
            on the data, or the loss does not come from the traced calls.
    """

    def __init__(self, tracer: Tracer, data: dict[str, Any], outputs: dict[str, Tensor],
                 loss: str | None = None) -> None:
        # The replay keeps every array in one list: the data, the parameters' arrays (read at
        # each replay), the constants, then each call's outputs.
        self._template: list[Any] = []
        self.data_slots: dict[str, int] = {}
        self._variables: list[tuple[int, Parameter]] = []
        slot_of_tensor: dict[int, int] = {}
        slot_of_array: dict[int, int] = {}
        for name, value in data.items():
            slot = self._new_slot()
            self.data_slots[name] = slot
            slot_of_array[id(value.data if isinstance(value, Tensor) else value)] = slot
            if isinstance(value, Tensor):
                slot_of_tensor[id(value)] = slot
        node_of_function: dict[int, int] = {}
        self.nodes: list[_Node] = []
        for index, call in enumerate(tracer.calls):
            node = _Node()
            node.cls = type(call.function)
            if call.state is None:
                raise NotCapturable(f"{node.cls.__name__} keeps its state in __slots__")
            for key, value in call.state.items():
                if not _is_plain(value):
                    raise NotCapturable(f"{node.cls.__name__} keeps {key}={type(value).__name__}, "
                                        "which may change from call to call")
            node.copy_state = not all(_is_immutable(value) for value in call.state.values())
            node.state = copy.deepcopy(call.state) if node.copy_state else call.state
            node.inputs = [self._source(value, slot_of_tensor, slot_of_array, node.cls)
                           for value in call.inputs]
            node.single = call.single
            for tensor in call.outputs:
                slot = self._new_slot()
                slot_of_tensor[id(tensor)] = slot
                slot_of_array[id(tensor.data)] = slot
                node.outputs.append(slot)
                node.output_meta.append((tensor.data.shape, tensor.data.dtype))
            function = call.function
            if getattr(function, "inputs", None) is not None:  # it recorded a graph
                node.needs = function.needs_input_grad
                node_of_function[id(function)] = index
            self.nodes.append(node)
        for call, node in zip(tracer.calls, self.nodes):
            if node.needs is not None:
                self._routes(node, call.inputs, node_of_function)
        self.output_slots: dict[str, int] = {}
        for name, tensor in outputs.items():
            if id(tensor) not in slot_of_tensor:
                raise NotCapturable(f"the output {name!r} does not come from the traced calls")
            self.output_slots[name] = slot_of_tensor[id(tensor)]
        self.root: tuple[int, int] | None = None
        self.order: list[int] = []
        if loss is not None:
            tensor = outputs[loss]
            creator = tensor.creator
            if creator is None or id(creator) not in node_of_function or tensor.size != 1:
                raise NotCapturable(f"the loss {loss!r} is not a one-element result of the traced "
                                    "calls that requires grad")
            self.root = (node_of_function[id(creator)], tensor.output_index)
            self.order = self._schedule(tracer)

    # ------------------------------------------------------------------ building
    def _new_slot(self, value: Any = None) -> int:
        self._template.append(value)
        return len(self._template) - 1

    def _source(self, value: Any, slot_of_tensor: dict[int, int], slot_of_array: dict[int, int],
                cls: type) -> int:
        """The value index an input is read from (new slots for parameters and constants)."""
        if isinstance(value, Tensor):
            slot = slot_of_tensor.get(id(value), slot_of_array.get(id(value.data)))
            if slot is not None:
                return slot
            if not isinstance(value, Parameter):
                raise NotCapturable(f"{cls.__name__} reads a tensor made outside the traced calls")
            slot = slot_of_tensor[id(value)] = self._new_slot()
            self._variables.append((slot, value))
            return slot
        if type(value) is np.ndarray or hasattr(value, "__array_interface__"):
            slot = slot_of_array.get(id(value))
            if slot is None:
                shape = getattr(value, "shape", None)
                raise NotCapturable(f"{cls.__name__} reads an array of shape {shape} made outside "
                                    "the traced calls")
            return slot
        if value is None or isinstance(value, (bool, str, Number, np.generic)):
            return self._new_slot(value)
        raise NotCapturable(f"{cls.__name__} reads a {type(value).__name__}")

    @staticmethod
    def _routes(node: _Node, inputs: tuple[Any, ...], node_of_function: dict[int, int]) -> None:
        assert node.needs is not None
        for position, (value, needed) in enumerate(zip(inputs, node.needs)):
            if not needed:
                continue
            creator = value.creator
            if creator is None:  # a leaf: the engine accumulates into its .grad
                if not isinstance(value, Parameter):
                    raise NotCapturable("a gradient flows into a tensor made during the step, "
                                        "not into a Parameter")
                node.to_leaves.append((position, value, value.shape, value.dtype))
            elif id(creator) in node_of_function:
                node.to_nodes.append((position, node_of_function[id(creator)],
                                      value.output_index, value.shape, value.dtype))
            else:
                raise NotCapturable("a gradient flows into a graph recorded before the trace")

    def _schedule(self, tracer: Tracer) -> list[int]:
        """The order ``engine.backward`` visits the nodes in: a heap on (-generation, first
        arrival), every needed input sending to its creator, in input order."""
        assert self.root is not None
        generation = [getattr(call.function, "generation", 0) for call in tracer.calls]
        heap: list[tuple[int, int, int]] = []
        pushed: set[int] = set()

        def send(index: int) -> None:
            if index not in pushed:
                pushed.add(index)
                heapq.heappush(heap, (-generation[index], len(pushed), index))

        send(self.root[0])
        order = []
        while heap:
            index = heapq.heappop(heap)[2]
            order.append(index)
            for route in self.nodes[index].to_nodes:
                send(route[1])
        return order

    # ------------------------------------------------------------------ replay
    def run(self, data: dict[str, Array]) -> dict[str, Array]:
        """Replay on new ``data`` arrays (same names, shapes and dtypes as traced).

        Returns the named outputs as arrays. With a loss, the backward pass runs too and the
        leaves' ``.grad`` are set as ``loss.backward()`` would set them.

        Raises:
            ReplayMismatch: an output's shape or dtype, or the presence of a gradient, differs
                from the trace (no ``.grad`` has been written then).
        """
        values = self._template.copy()
        for name, slot in self.data_slots.items():
            values[slot] = data[name]
        for slot, variable in self._variables:
            values[slot] = variable.data
        functions: list[Function | None] = [None] * len(self.nodes)
        for index, node in enumerate(self.nodes):
            cls = node.cls
            function = cls.__new__(cls)
            function.__dict__.update(copy.deepcopy(node.state) if node.copy_state else node.state)
            result = function.forward(*[values[slot] for slot in node.inputs])
            for slot, array, (shape, dtype) in zip(node.outputs, (result,) if node.single
                                                   else result, node.output_meta):
                if type(array) is not np.ndarray:
                    array = function_module._ensure_array(array)
                if array.shape != shape or array.dtype != dtype:
                    raise ReplayMismatch(f"{cls.__name__} made shape {array.shape} {array.dtype}, "
                                         f"traced {shape} {dtype}")
                values[slot] = array
            if node.needs is not None:
                function.needs_input_grad = node.needs
                functions[index] = function
        outputs = {name: values[slot] for name, slot in self.output_slots.items()}
        if self.root is not None:
            loss = values[self.nodes[self.root[0]].outputs[self.root[1]]]
            del values
            self._backward(functions, loss)
        return outputs

    def _backward(self, functions: list[Function | None], loss: Array) -> None:
        # The engine's loop over the precomputed order. Kept to the essentials: on this
        # path every line runs for every node of every step, right after the large products
        # have evicted the interpreter's data from the caches.
        root_index, root_output = self.root  # type: ignore[misc]
        xp = get_array_module(loss)
        nodes = self.nodes
        pending: dict[int, list[Any]] = {root_index: [None] * len(nodes[root_index].outputs)}
        pending[root_index][root_output] = xp.ones(loss.shape, dtype=loss.dtype)
        # The leaves' gradients in arrival order, each made to own its memory as the engine
        # does; .grad is written only once every gradient arrived.
        arrivals: list[tuple[Tensor, Array]] = []
        for index in self.order:
            node = nodes[index]
            output_grads = pending.pop(index)
            if not node.single:
                for position, value in enumerate(output_grads):
                    if value is None:
                        shape, dtype = node.output_meta[position]
                        output_grads[position] = xp.zeros(shape, dtype=dtype)
            input_grads = functions[index].backward(*output_grads)  # type: ignore[union-attr]
            functions[index] = None  # free the saved arrays, as the engine's release does
            if type(input_grads) is not tuple and type(input_grads) is not list:
                input_grads = (input_grads,)
            for position, target, target_output, shape, dtype in node.to_nodes:
                grad = input_grads[position]
                if grad is None or grad.shape != shape or grad.dtype != dtype:
                    grad = _reduced(grad, shape, dtype, node)
                slots = pending.get(target)
                if slots is None:
                    slots = pending[target] = [None] * len(nodes[target].outputs)
                current = slots[target_output]
                slots[target_output] = grad if current is None else current + grad
            for position, tensor, shape, dtype in node.to_leaves:
                grad = input_grads[position]
                if grad is None or grad.shape != shape or grad.dtype != dtype:
                    grad = _reduced(grad, shape, dtype, node)
                arrivals.append((tensor, owned_gradient(grad, output_grads)))
        for tensor, grad in arrivals:
            tensor.grad = grad if tensor.grad is None else tensor.grad + grad


def _reduced(grad: Array | None, shape: tuple[int, ...], dtype: Any, node: _Node) -> Array:
    """An input's gradient as the engine passes it on: summed to the input's shape, cast."""
    if grad is None:
        raise ReplayMismatch(f"{node.cls.__name__} returned no gradient where the trace had one")
    if grad.shape != shape:
        grad = sum_to(grad, shape)
    if grad.dtype != dtype:
        grad = grad.astype(dtype)
    return grad
