"""The shared layer-test harness, after Keras's ``run_layer_test`` (keras/src/testing/test_case.py).

One call runs every check that applies to a layer, each against Keras 3 (torch backend) as the
oracle:

* **build**: weight counts (trainable / non-trainable) after ``build(shape)`` and after a call;
  weight names, shapes and order equal Keras's; ``count_params`` equals Keras's;
* **shapes**: the eager output has ``expected_output_shape``; a symbolic call on
  ``KerasTensor((None, *shape[1:]))`` gives the same output shape as Keras's symbolic call (and
  ``compute_output_shape`` agrees);
* **config**: ``from_config(get_config())`` round-trips; the config is JSON-serializable; its
  keys (and values, apart from the name) equal Keras's for the same arguments;
* **parity**: both layers built on the same input, Keras's weights copied in with
  ``set_weights(keras_layer.get_weights())``; outputs (and output masks) agree within ``atol`` in
  inference mode and, for deterministic layers, in training mode;
* **gradients**: the gradient of ``sum(output * w)`` (``w`` random, fixed) with respect to the
  input and to every trainable weight equals what torch autograd gives through the Keras layer;
* **training**: a few plain SGD steps on the trainable weights lower an MSE to a random target
  (layers without trainable weights have nothing to train, so this check does not apply);
* **saving**: a one-layer functional model around the layer, saved with ``model.save`` and
  reloaded with ``load_model``, has the same config, weights and outputs.

Usage::

    run_layer_test(Dense, {"units": 4}, input_shape=(2, 3), expected_output_shape=(2, 4),
                   expected_num_trainable_weights=2, expected_num_non_trainable_weights=0)
"""

from __future__ import annotations

import json
import math
import os
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import torch  # noqa: E402

from scratchdl import Parameter, Tensor  # noqa: E402
from scratchdl.layers.symbolic import KerasTensor, flatten  # noqa: E402

torch.set_num_threads(1)

__all__ = ["run_layer_test", "make_inputs", "to_torch", "to_numpy", "keras_output"]

Shape = tuple[int, ...]


# ---------------------------------------------------------------------------------- conversions
def _is_shape(value: Any) -> bool:
    return isinstance(value, tuple) and all(isinstance(d, (int, np.integer)) for d in value)


def make_inputs(input_shape: Any, input_dtype: Any, rng: np.random.Generator,
                input_range: tuple[float, float] | None = None) -> Any:
    """Random NumPy inputs for a shape (or a list of shapes): floats uniform in ``input_range``
    (default [-1, 1)), integers in ``input_range`` (default [0, 10)), booleans at random."""
    if not _is_shape(input_shape):
        dtypes = input_dtype if isinstance(input_dtype, (list, tuple)) else [input_dtype] * len(input_shape)
        return [make_inputs(s, d, rng, input_range) for s, d in zip(input_shape, dtypes)]
    dtype = np.dtype(input_dtype)
    if dtype.kind == "f":
        low, high = input_range or (-1.0, 1.0)
        return rng.uniform(low, high, input_shape).astype(dtype)
    if dtype.kind in "iu":
        low, high = input_range or (0, 10)
        return rng.integers(int(low), int(high), input_shape).astype(dtype)
    if dtype.kind == "b":
        return rng.random(input_shape) < 0.5
    raise ValueError(f"make_inputs: unsupported dtype {dtype}")


def _map(fn: Callable[[Any], Any], value: Any) -> Any:
    if isinstance(value, list):
        return [_map(fn, v) for v in value]
    if isinstance(value, tuple) and not _is_shape(value):
        return tuple(_map(fn, v) for v in value)
    if isinstance(value, dict):
        return {k: _map(fn, v) for k, v in value.items()}
    return fn(value)


def to_torch(value: Any, requires_grad: bool = False) -> Any:
    """NumPy arrays (nested in lists/dicts) as torch tensors; floats optionally requiring grad."""
    def convert(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            t = torch.from_numpy(v.copy())
            if requires_grad and t.is_floating_point():
                t.requires_grad_(True)
            return t
        return v

    return _map(convert, value)


def to_scratch(value: Any, requires_grad: bool = False) -> Any:
    """NumPy arrays (nested) as scratchdl Tensors; floats optionally requiring grad."""
    def convert(v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return Tensor(v.copy(), requires_grad=requires_grad and v.dtype.kind == "f")
        return v

    return _map(convert, value)


def to_numpy(value: Any) -> Any:
    """Torch tensors, Keras variables and scratchdl Tensors (nested) as NumPy arrays."""
    def convert(v: Any) -> Any:
        if isinstance(v, torch.Tensor):
            return v.detach().cpu().numpy()
        if isinstance(v, Tensor):
            return v.numpy()
        return v

    return _map(convert, value)


def keras_output(keras_layer: Any, inputs: Any, **kwargs: Any) -> Any:
    """Call a Keras layer on NumPy inputs (converted to torch tensors)."""
    return keras_layer(to_torch(inputs), **to_torch(kwargs))


# ---------------------------------------------------------------------------------- helpers
def _normalize_config(value: Any) -> Any:
    """Configs compared as JSON would store them (tuples become lists)."""
    if isinstance(value, dict):
        return {k: _normalize_config(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_normalize_config(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _config_equal(a: Any, b: Any) -> bool:
    """Equal configs, floats compared to float32 precision (Keras keeps some, e.g. ``L1.l1``,
    as float32 tensors, so 0.1 reads back as 0.10000000149011612)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_config_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_config_equal(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return (isinstance(a, (int, float)) and isinstance(b, (int, float))
                and not isinstance(a, bool) and not isinstance(b, bool)
                and math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-12))
    return a == b


def _shapes(structure: Any) -> Any:
    if isinstance(structure, (list, tuple)):
        return [_shapes(s) for s in structure]
    if isinstance(structure, dict):
        return {k: _shapes(v) for k, v in structure.items()}
    return tuple(structure.shape)


def _symbolic_inputs(input_data: Any, factory: Callable[..., Any]) -> Any:
    return _map(lambda a: factory((None, *a.shape[1:]), dtype=str(a.dtype)), input_data)


def _assert_close(actual: Any, expected: Any, atol: float, rtol: float, what: str) -> None:
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != Keras's {expected.shape}"
    if actual.dtype.kind == "b" or expected.dtype.kind == "b":
        np.testing.assert_array_equal(actual, expected, err_msg=what)
        return
    np.testing.assert_allclose(actual.astype(np.float64), expected.astype(np.float64), atol=atol,
                               rtol=rtol, err_msg=what)


def _output_weights(outputs: Sequence[Any], rng: np.random.Generator) -> list[np.ndarray]:
    return [rng.standard_normal(tuple(o.shape)).astype(np.float32) for o in outputs]


# ---------------------------------------------------------------------------------- the checks
def check_config(layer_cls: type, init_kwargs: dict[str, Any], keras_cls: Any,
                 keras_kwargs: dict[str, Any], config_ignore: Sequence[str]) -> None:
    """Config round trip, JSON-serializability, and equality with Keras's config."""
    layer = layer_cls(**init_kwargs)
    config = layer.get_config()
    json.dumps(config)  # must be plain data: names, numbers, lists, dicts
    revived = layer_cls.from_config(config)
    assert revived.get_config() == config, (
        f"{layer_cls.__name__}: from_config(get_config()) changed the config:\n"
        f"{revived.get_config()}\n!=\n{config}"
    )
    keras_config = keras_cls(**keras_kwargs).get_config()
    assert set(config) == set(keras_config), (
        f"{layer_cls.__name__}: config keys differ from Keras's: only ours "
        f"{sorted(set(config) - set(keras_config))}, only Keras's "
        f"{sorted(set(keras_config) - set(config))}"
    )
    for key in config:
        if key == "name" or key in config_ignore:
            continue
        ours, theirs = _normalize_config(config[key]), _normalize_config(keras_config[key])
        assert _config_equal(ours, theirs), f"{layer_cls.__name__}: config[{key!r}] = {ours!r}, Keras has {theirs!r}"


def check_build(layer_cls: type, init_kwargs: dict[str, Any], build_shape: Any,
                expected_num_trainable_weights: int | None,
                expected_num_non_trainable_weights: int | None) -> None:
    """``build(shape)`` alone creates the expected weights."""
    layer = layer_cls(**init_kwargs)
    layer.build(build_shape)
    assert layer.built, f"{layer.name}: not marked built after build()"
    _assert_weight_counts(layer, expected_num_trainable_weights, expected_num_non_trainable_weights,
                          "after build()")


def _assert_weight_counts(layer: Any, n_trainable: int | None, n_non_trainable: int | None,
                          when: str) -> None:
    if n_trainable is not None:
        assert len(layer.trainable_weights) == n_trainable, (
            f"{layer.name} {when}: {len(layer.trainable_weights)} trainable weights "
            f"{[w.path for w in layer.trainable_weights]}, expected {n_trainable}"
        )
    if n_non_trainable is not None:
        assert len(layer.non_trainable_weights) == n_non_trainable, (
            f"{layer.name} {when}: {len(layer.non_trainable_weights)} non-trainable weights "
            f"{[w.path for w in layer.non_trainable_weights]}, expected {n_non_trainable}"
        )


def check_symbolic(layer_cls: type, init_kwargs: dict[str, Any], keras_layer_factory: Callable[[], Any],
                   input_data: Any, call_kwargs: dict[str, Any], expected_output_shape: Any,
                   n_trainable: int | None, n_non_trainable: int | None) -> None:
    """A symbolic call builds the layer and gives Keras's symbolic output shapes."""
    layer = layer_cls(**init_kwargs)
    symbolic_in = _symbolic_inputs(input_data, KerasTensor)
    symbolic_out = layer(symbolic_in, **call_kwargs)
    assert layer.built, f"{layer.name}: not built after a symbolic call"
    _assert_weight_counts(layer, n_trainable, n_non_trainable, "after a symbolic call")
    for tensor in flatten(symbolic_out):
        assert isinstance(tensor, KerasTensor), f"{layer.name}: symbolic call returned {type(tensor)}"
    ours = _shapes(symbolic_out)
    keras_in = _symbolic_inputs(input_data, keras.KerasTensor)
    theirs = _shapes(keras_layer_factory()(keras_in, **call_kwargs))
    assert _normalize_config(ours) == _normalize_config(theirs), (
        f"{layer.name}: symbolic output shape {ours}, Keras gives {theirs}"
    )
    if expected_output_shape is not None:
        expected = _map(lambda s: (None, *s[1:]), expected_output_shape)
        assert _normalize_config(ours) == _normalize_config(expected), (
            f"{layer.name}: symbolic output shape {ours}, expected {expected}"
        )
    input_shapes = _map(lambda a: (None, *a.shape[1:]), input_data)
    computed = layer.compute_output_shape(input_shapes)
    assert _normalize_config(computed) == _normalize_config(ours), (
        f"{layer.name}: compute_output_shape({input_shapes}) = {computed}, symbolic call gave {ours}"
    )


def _parity_pair(layer_cls: type, init_kwargs: dict[str, Any], keras_layer: Any,
                 input_data: Any, call_kwargs: dict[str, Any]) -> Any:
    """Build both layers on ``input_data`` and copy Keras's weights into ours."""
    layer = layer_cls(**init_kwargs)
    layer(to_scratch(input_data), training=False, **to_scratch(call_kwargs))
    keras_output(keras_layer, input_data, training=False, **call_kwargs)
    keras_weights = keras_layer.weights
    assert [w.path.split("/")[-1] for w in layer.weights] == [
        w.path.split("/")[-1] for w in keras_weights], (
        f"{layer.name}: weights {[w.path for w in layer.weights]}, Keras has "
        f"{[w.path for w in keras_weights]}"
    )
    assert [tuple(w.shape) for w in layer.weights] == [tuple(w.shape) for w in keras_weights], (
        f"{layer.name}: weight shapes {[w.shape for w in layer.weights]}, Keras has "
        f"{[tuple(w.shape) for w in keras_weights]}"
    )
    assert [w.trainable for w in layer.weights] == [w.trainable for w in keras_weights], (
        f"{layer.name}: weight trainable flags differ from Keras's"
    )
    assert layer.count_params() == keras_layer.count_params(), (
        f"{layer.name}: count_params {layer.count_params()}, Keras {keras_layer.count_params()}"
    )
    layer.set_weights(keras_layer.get_weights())
    return layer


def check_parity(layer: Any, keras_layer: Any, input_data: Any, call_kwargs: dict[str, Any],
                 training: bool, atol: float, rtol: float, expected_output_shape: Any) -> None:
    """Outputs and output masks equal Keras's for the same weights and input."""
    ours = layer(to_scratch(input_data), training=training, **to_scratch(call_kwargs))
    theirs = keras_output(keras_layer, input_data, training=training, **call_kwargs)
    if expected_output_shape is not None:
        assert _normalize_config(_shapes(ours)) == _normalize_config(expected_output_shape), (
            f"{layer.name}: output shape {_shapes(ours)}, expected {expected_output_shape}"
        )
    flat_ours, flat_theirs = flatten(ours), flatten(theirs)
    assert len(flat_ours) == len(flat_theirs), f"{layer.name}: {len(flat_ours)} outputs, Keras {len(flat_theirs)}"
    for i, (a, b) in enumerate(zip(flat_ours, flat_theirs)):
        what = f"{layer.name} output {i} (training={training})"
        assert np.dtype(a.dtype) == np.dtype(to_numpy(b).dtype), (
            f"{what}: dtype {a.dtype}, Keras {to_numpy(b).dtype}"
        )
        _assert_close(to_numpy(a), to_numpy(b), atol, rtol, what)
        keras_mask = getattr(b, "_keras_mask", None)
        our_mask = getattr(a, "_keras_mask", None)
        if keras_mask is None:
            assert our_mask is None, f"{what}: has a mask, Keras's output has none"
        else:
            assert our_mask is not None, f"{what}: no mask, Keras's output has one"
            _assert_close(to_numpy(our_mask), to_numpy(keras_mask), 0, 0, f"{what} mask")


def check_gradients(layer: Any, keras_layer: Any, input_data: Any, call_kwargs: dict[str, Any],
                    training: bool, atol: float, rtol: float, rng: np.random.Generator) -> None:
    """d sum(output * w) / d(input, trainable weights) equals torch autograd through Keras."""
    for weight in layer.weights:
        weight.grad = None
    ours_in = to_scratch(input_data, requires_grad=True)
    ours = [o for o in flatten(layer(ours_in, training=training, **to_scratch(call_kwargs)))
            if o.dtype.kind == "f"]
    theirs_in = to_torch(input_data, requires_grad=True)
    theirs = [o for o in flatten(keras_layer(theirs_in, training=training, **to_torch(call_kwargs)))
              if o.is_floating_point()]
    if not ours:
        return
    directions = _output_weights(ours, rng)
    loss = None
    for out, w in zip(ours, directions):
        term = (out * Tensor(w)).sum()
        loss = term if loss is None else loss + term
    if not loss.requires_grad:
        return
    loss.backward()
    torch_loss = sum((out * torch.from_numpy(w)).sum() for out, w in zip(theirs, directions))
    torch_loss.backward()
    for i, (a, b) in enumerate(zip(flatten(ours_in), flatten(theirs_in))):
        if isinstance(a, Tensor) and a.requires_grad:
            assert a.grad is not None or b.grad is None, f"{layer.name}: no gradient for input {i}"
            if b.grad is None:
                assert a.grad is None or not np.any(a.grad), f"{layer.name}: input {i} has a gradient, Keras none"
                continue
            _assert_close(a.grad, to_numpy(b.grad), atol, rtol,
                          f"{layer.name}: gradient of input {i} (training={training})")
    for ours_w, keras_w in zip(layer.weights, keras_layer.weights):
        if not keras_w.trainable:
            continue
        torch_grad = keras_w.value.grad
        expected = np.zeros(ours_w.shape, np.float32) if torch_grad is None else to_numpy(torch_grad)
        actual = np.zeros(ours_w.shape, np.float32) if ours_w.grad is None else ours_w.grad
        _assert_close(actual, expected, atol, rtol,
                      f"{layer.name}: gradient of weight {ours_w.path} (training={training})")
        keras_w.value.grad = None
        ours_w.grad = None


def check_training_step(layer_cls: type, init_kwargs: dict[str, Any], input_data: Any,
                        call_kwargs: dict[str, Any], rng: np.random.Generator, steps: int,
                        learning_rate: float) -> None:
    """Plain SGD on the trainable weights lowers an MSE (plus the layer's losses)."""
    layer = layer_cls(**init_kwargs)
    inputs = to_scratch(input_data)
    first = [o for o in flatten(layer(inputs, training=True, **to_scratch(call_kwargs)))
             if o.dtype.kind == "f"]
    trainable = layer.trainable_weights
    assert trainable, f"{layer.name}: the training check needs trainable weights"
    targets = [Tensor(rng.standard_normal(o.shape).astype(np.float32)) for o in first]

    def loss_value() -> Tensor:
        outputs = [o for o in flatten(layer(inputs, training=True, **to_scratch(call_kwargs)))
                   if o.dtype.kind == "f"]
        loss = None
        for out, target in zip(outputs, targets):
            term = ((out - target) * (out - target)).mean()
            loss = term if loss is None else loss + term
        for penalty in layer.losses:
            loss = loss + penalty
        return loss

    losses = []
    for _ in range(steps):
        for weight in trainable:
            weight.grad = None
        loss = loss_value()
        losses.append(float(loss.item()))
        loss.backward()
        for weight in trainable:
            assert weight.grad is not None, f"{layer.name}: weight {weight.path} got no gradient"
            weight.assign(weight.data - learning_rate * weight.grad)
            if weight.constraint is not None:
                weight.assign(weight.constraint(weight.data))
    final = float(loss_value().item())
    assert np.isfinite(final), f"{layer.name}: the loss became {final} during training"
    assert final < losses[0], f"{layer.name}: SGD did not lower the loss: {losses + [final]}"


def check_saving(layer_cls: type, init_kwargs: dict[str, Any], input_data: Any,
                 call_kwargs: dict[str, Any], rng: np.random.Generator) -> None:
    """A one-layer functional model around the layer survives ``save`` + ``load_model``.

    Per-sample array call arguments (masks) become extra model inputs. The weights are moved
    away from their initial values first, so the check sees the saved values, not a fresh
    initialization. A layer whose config holds a Python lambda must refuse to be saved, clearly.
    """
    import tempfile

    from scratchdl.models import Input, Model, load_model

    layer = layer_cls(**init_kwargs)

    def symbolic(array: np.ndarray) -> Any:
        return Input(shape=array.shape[1:], dtype=array.dtype.name)

    inputs = [symbolic(a) for a in input_data] if isinstance(input_data, list) else symbolic(input_data)
    feeds = list(input_data) if isinstance(input_data, list) else [input_data]
    batch = feeds[0].shape[0]
    kwargs: dict[str, Any] = {}
    for key, value in call_kwargs.items():
        if isinstance(value, np.ndarray) and value.ndim and value.shape[0] == batch:
            kwargs[key] = symbolic(value)  # per-sample (a mask): one more model input
            feeds.append(value)
        else:
            kwargs[key] = value  # a constant, stored in the node's config
    extra = [v for v in kwargs.values() if isinstance(v, KerasTensor)]
    model_inputs = (inputs if isinstance(inputs, list) else [inputs]) + extra
    model = Model(model_inputs if len(model_inputs) > 1 else model_inputs[0], layer(inputs, **kwargs))
    for weight in model.weights:
        if weight.dtype.kind == "f":
            weight.assign(weight.numpy() + rng.uniform(0.05, 0.15, weight.shape).astype(weight.dtype))
    feed = feeds if len(feeds) > 1 else feeds[0]
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "layer.keras")
        if "__lambda__" in json.dumps(layer.get_config(), default=str):
            try:
                model.save(path)
            except ValueError as error:
                assert "Python lambda" in str(error) and layer.name in str(error), str(error)
                return
            raise AssertionError(f"{layer.name}: a model holding a Python lambda was saved")
        model.save(path)
        loaded = load_model(path)
    twin = loaded.get_layer(layer.name)
    assert type(twin) is type(layer)
    assert _config_equal(_normalize_config(twin.get_config()), _normalize_config(layer.get_config())), (
        f"{layer.name}: config changed by save/load:\n{twin.get_config()}\n{layer.get_config()}"
    )
    assert len(twin.weights) == len(layer.weights)
    for saved, restored in zip(layer.weights, twin.weights):
        np.testing.assert_array_equal(restored.numpy(), saved.numpy(),
                                      err_msg=f"{layer.name}: weight {saved.path} after save/load")
    # Called directly, not through predict: some layers take inputs with different batch sizes.
    expected, actual = model(to_scratch(feed), training=False), loaded(to_scratch(feed), training=False)
    for want, got in zip(flatten(to_numpy(expected)), flatten(to_numpy(actual))):
        np.testing.assert_array_equal(got, want, err_msg=f"{layer.name}: outputs differ after save/load")


# ---------------------------------------------------------------------------------- entry point
def run_layer_test(
    layer_cls: type,
    init_kwargs: dict[str, Any] | None = None,
    input_shape: Any = None,
    input_data: Any = None,
    expected_output_shape: Any = None,
    expected_num_trainable_weights: int | None = None,
    expected_num_non_trainable_weights: int | None = None,
    keras_cls: Any = None,
    keras_kwargs: dict[str, Any] | None = None,
    call_kwargs: dict[str, Any] | None = None,
    run_training_check: bool = True,
    supports_masking: bool | None = None,
    input_dtype: Any = "float32",
    input_range: tuple[float, float] | None = None,
    deterministic: bool = True,
    atol: float = 1e-5,
    rtol: float = 1e-5,
    grad_atol: float | None = None,
    config_ignore: Sequence[str] = (),
    training_steps: int = 5,
    learning_rate: float = 0.01,
) -> None:
    """Run every harness check on ``layer_cls(**init_kwargs)`` (see the module docstring).

    Args:
        layer_cls: the scratchdl layer class.
        init_kwargs: constructor arguments.
        input_shape: a shape tuple (or a list of them for multi-input layers); random inputs are
            drawn. Give ``input_data`` (arrays) instead for specific values.
        expected_output_shape: the eager output shape (a list of shapes for several outputs).
        expected_num_trainable_weights, expected_num_non_trainable_weights: counts once built.
        keras_cls: the oracle class (default ``keras.layers.<layer_cls.__name__>``).
        keras_kwargs: its constructor arguments (default ``init_kwargs``).
        call_kwargs: extra call arguments (NumPy arrays are converted for each framework).
        run_training_check: run the SGD check (needs trainable weights).
        supports_masking: the expected ``supports_masking`` (checked against Keras's too).
        input_dtype: dtype of generated inputs (one per input for a list of shapes).
        input_range: (low, high) for generated inputs.
        deterministic: the output in training mode is a function of the inputs (False for
            Dropout-like layers: training-mode parity is then not checked).
        atol, rtol: output tolerances; ``grad_atol`` for gradients (default ``10 * atol``).
        config_ignore: config keys whose values may legitimately differ from Keras's.
        training_steps, learning_rate: the SGD check's settings.
    """
    init_kwargs = dict(init_kwargs or {})
    keras_kwargs = dict(init_kwargs if keras_kwargs is None else keras_kwargs)
    call_kwargs = dict(call_kwargs or {})
    if keras_cls is None:
        keras_cls = getattr(keras.layers, layer_cls.__name__)
    if (input_shape is None) == (input_data is None):
        raise ValueError("run_layer_test: give exactly one of input_shape and input_data")
    rng = np.random.default_rng(zlib.crc32(f"{layer_cls.__name__}{sorted(init_kwargs.items())!r}".encode()))
    if input_data is None:
        input_data = make_inputs(input_shape, input_dtype, rng, input_range)
    input_data = _map(np.asarray, input_data)
    grad_atol = 10 * atol if grad_atol is None else grad_atol

    check_config(layer_cls, init_kwargs, keras_cls, keras_kwargs, config_ignore)

    build_shape = _map(lambda a: tuple(a.shape), input_data)
    check_build(layer_cls, init_kwargs, build_shape, expected_num_trainable_weights,
                expected_num_non_trainable_weights)

    layer = layer_cls(**init_kwargs)
    if supports_masking is not None:
        assert layer.supports_masking == supports_masking, (
            f"{layer.name}: supports_masking is {layer.supports_masking}, expected {supports_masking}"
        )
    keras_probe = keras_cls(**keras_kwargs)
    assert layer.supports_masking == keras_probe.supports_masking, (
        f"{layer.name}: supports_masking is {layer.supports_masking}, Keras's is "
        f"{keras_probe.supports_masking}"
    )

    check_symbolic(layer_cls, init_kwargs, lambda: keras_cls(**keras_kwargs), input_data,
                   call_kwargs, expected_output_shape, expected_num_trainable_weights,
                   expected_num_non_trainable_weights)

    keras_layer = keras_cls(**keras_kwargs)
    layer = _parity_pair(layer_cls, init_kwargs, keras_layer, input_data, call_kwargs)
    _assert_weight_counts(layer, expected_num_trainable_weights, expected_num_non_trainable_weights,
                          "after a call")
    assert len(layer.trainable_weights) == len(keras_layer.trainable_weights), (
        f"{layer.name}: {len(layer.trainable_weights)} trainable weights, Keras "
        f"{len(keras_layer.trainable_weights)}"
    )
    assert len(layer.non_trainable_weights) == len(keras_layer.non_trainable_weights), (
        f"{layer.name}: {len(layer.non_trainable_weights)} non-trainable weights, Keras "
        f"{len(keras_layer.non_trainable_weights)}"
    )
    assert all(isinstance(w, Parameter) for w in layer.weights)

    modes = (False, True) if deterministic else (False,)
    for training in modes:
        check_parity(layer, keras_layer, input_data, call_kwargs, training, atol, rtol,
                     expected_output_shape)
        check_gradients(layer, keras_layer, input_data, call_kwargs, training, grad_atol,
                        rtol, rng)

    if run_training_check and len(layer.trainable_weights) > 0:
        check_training_step(layer_cls, init_kwargs, input_data, call_kwargs, rng,
                            training_steps, learning_rate)

    check_saving(layer_cls, init_kwargs, input_data, call_kwargs, rng)
