"""Shared checks for the metric tests: run a scratchdl metric and Keras 3's twin side by side.

``check_against_keras(make_ours, make_keras, batches)`` feeds the same batches (with their sample
weights) to both metrics through several ``update_state`` calls, compares ``result()`` at 1e-6,
then checks ``reset_state`` (both back to their empty result, and a second pass over the batches
gives the same value again) and the config round trip (``from_config(get_config())`` rebuilds a
metric that produces the same value).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np
import torch

from scratchdl import Tensor

torch.set_num_threads(1)

RTOL = 1e-6
ATOL = 1e-6

Batch = tuple[tuple[Any, ...], Any]  # ((y_true, y_pred) or (values,), sample_weight)


def keras_value(value: Any) -> np.ndarray:
    """A Keras result (a torch tensor) as a NumPy array."""
    return np.asarray(keras.ops.convert_to_numpy(value))


def feed(metric: Any, batches: Sequence[Batch], as_tensor: bool = False) -> None:
    """``update_state`` on every batch; scratchdl Tensors instead of arrays when ``as_tensor``."""
    for args, weight in batches:
        if as_tensor:
            args = tuple(Tensor(np.asarray(a)) for a in args)
        if weight is None:
            metric.update_state(*args)
        else:
            metric.update_state(*args, sample_weight=weight)


def assert_close(ours: Any, theirs: Any, rtol: float = RTOL, atol: float = ATOL,
                 what: str = "") -> None:
    """Compare a scratchdl result (a NumPy array) with a Keras result."""
    assert isinstance(ours, np.ndarray), f"{what}: result() is a {type(ours)}, not an ndarray"
    expected = keras_value(theirs)
    assert ours.shape == expected.shape, f"{what}: shape {ours.shape} vs Keras {expected.shape}"
    np.testing.assert_allclose(ours, expected, rtol=rtol, atol=atol, err_msg=what)


def check_against_keras(make_ours: Callable[[], Any], make_keras: Callable[[], Any],
                        batches: Sequence[Batch], rtol: float = RTOL, atol: float = ATOL,
                        as_tensor: bool = False, round_trip: bool = True) -> np.ndarray:
    """Run both metrics over ``batches`` and assert they agree; returns scratchdl's result."""
    ours, theirs = make_ours(), make_keras()
    feed(ours, batches, as_tensor=as_tensor)
    feed(theirs, batches)
    result = ours.result()
    assert_close(result, theirs.result(), rtol, atol, what=f"{ours!r} after {len(batches)} batches")
    assert np.all(np.isfinite(result)), f"{ours!r}: non-finite result {result}"

    # reset_state: the empty state matches Keras's, and a second pass reproduces the value.
    variables_before = [v.shape for v in ours.variables]
    ours.reset_state()
    theirs.reset_state()
    assert [v.shape for v in ours.variables] == variables_before
    for variable in ours.variables:
        assert not np.any(variable.data), f"{ours!r}: {variable.name} not zeroed by reset_state"
    feed(ours, batches[:1], as_tensor=as_tensor)
    feed(theirs, batches[:1])
    assert_close(ours.result(), theirs.result(), rtol, atol, what=f"{ours!r} after reset")
    ours.reset_state()
    feed(ours, batches, as_tensor=as_tensor)
    np.testing.assert_allclose(ours.result(), result, rtol=1e-7, atol=0,
                               err_msg=f"{ours!r}: second pass after reset differs")

    if round_trip:
        config = ours.get_config()
        rebuilt = type(ours).from_config(config)
        assert rebuilt.get_config() == config
        feed(rebuilt, batches)
        np.testing.assert_allclose(rebuilt.result(), result, rtol=1e-7, atol=0,
                                   err_msg=f"{ours!r}: rebuilt from config gives another value")
    return result


def weights_for(rng: np.random.Generator, kind: str | None, batch: int,
                shape: tuple[int, ...] = ()) -> Any:
    """Sample weights of a given layout: None, 'scalar', 'vector' (batch,), 'column'
    (batch, 1) or 'full' (batch, *shape); about a fifth of the entries are 0."""
    if kind is None:
        return None
    if kind == "scalar":
        return np.float32(rng.uniform(0.5, 2.0))
    full = {"vector": (batch,), "column": (batch, 1), "full": (batch, *shape)}[kind]
    weight = rng.uniform(0.0, 2.0, size=full).astype(np.float32)
    weight[rng.uniform(size=full) < 0.2] = 0.0
    return weight
