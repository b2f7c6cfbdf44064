"""A saved compiled model resumes training exactly: 2 epochs + save + load + 2 epochs equals
4 uninterrupted epochs (same seed, shuffling and dropout included)."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import backend
from scratchdl.models import load_model
from tests.saving.models import sequential, tower, two_in_two_out


def _data(kind):
    rng = np.random.default_rng(0)
    if kind == "functional":
        x = [rng.normal(size=(48, 3)).astype("float32"), rng.normal(size=(48, 5)).astype("float32")]
        return x, [rng.normal(size=(48, 2)).astype("float32"), rng.normal(size=(48, 1)).astype("float32")]
    return rng.normal(size=(48, 3)).astype("float32"), rng.normal(size=(48, 2)).astype("float32")


def _build(kind, optimizer, seed=11):
    """The model, its initial weights drawn after ``set_random_seed(seed)``."""
    model = {"sequential": lambda: sequential(seed=seed, dropout=0.3),
             "functional": lambda: two_in_two_out(seed=seed), "subclassed": lambda: tower(seed=seed)}[kind]()
    model.compile(optimizer=optimizer, loss="mse")
    return model


@pytest.mark.parametrize("kind,optimizer", [("sequential", "adam"), ("functional", "rmsprop"),
                                            ("subclassed", "nadam")])
def test_resume_equals_uninterrupted(tmp_path, kind, optimizer):
    x, y = _data(kind)
    fit = {"batch_size": 8, "verbose": 0, "shuffle": True}

    straight = _build(kind, optimizer)
    straight.fit(x, y, epochs=4, **fit)

    first = _build(kind, optimizer)
    first.fit(x, y, epochs=2, **fit)
    first.save(tmp_path / "half.keras")
    del first
    resumed = load_model(tmp_path / "half.keras")
    assert resumed.optimizer.iterations == 12
    resumed.fit(x, y, epochs=4, initial_epoch=2, **fit)

    assert resumed.optimizer.iterations == straight.optimizer.iterations == 24
    for a, b in zip(resumed.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)


def test_without_optimizer_state_training_differs(tmp_path):
    """The check above is meaningful: a fresh optimizer (compile=False, recompile) diverges."""
    x, y = _data("sequential")
    fit = {"batch_size": 8, "verbose": 0, "shuffle": True}
    straight = _build("sequential", "adam")
    straight.fit(x, y, epochs=4, **fit)
    first = _build("sequential", "adam")
    first.fit(x, y, epochs=2, **fit)
    first.save(tmp_path / "half.keras")
    fresh = load_model(tmp_path / "half.keras", compile=False)
    fresh.compile(optimizer="adam", loss="mse")
    fresh.fit(x, y, epochs=2, **fit)
    assert max(np.abs(a - b).max() for a, b in zip(fresh.get_weights(), straight.get_weights())) > 1e-4


def test_weights_file_also_carries_optimizer_state(tmp_path):
    x, y = _data("sequential")
    fit = {"batch_size": 8, "verbose": 0, "shuffle": True}
    straight = _build("sequential", "adam", seed=5)
    straight.fit(x, y, epochs=3, **fit)
    first = _build("sequential", "adam", seed=5)
    first.fit(x, y, epochs=1, **fit)
    first.save_weights(tmp_path / "w.weights.safetensors")
    state = backend.random_generator().bit_generator.state
    second = _build("sequential", "adam", seed=99)  # other initial weights; optimizer not built yet
    backend.random_generator().bit_generator.state = state  # continue the first run's random stream
    second.load_weights(tmp_path / "w.weights.safetensors")
    assert second.optimizer.iterations == 6
    second.fit(x, y, epochs=3, initial_epoch=1, **fit)
    for a, b in zip(second.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-7)
