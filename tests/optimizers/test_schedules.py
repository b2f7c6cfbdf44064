"""Learning-rate schedules: values against keras.optimizers.schedules over many steps, configs,
serialization, and schedules driving optimizers (compared with Keras end to end)."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from scratchdl import optimizers
from scratchdl.optimizers import schedules
from tests.optimizers.parity import check_against_keras

CASES = [
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.9}),
    ("ExponentialDecay", {"initial_learning_rate": 0.1, "decay_steps": 7, "decay_rate": 0.5,
                          "staircase": True}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.3, "decay_steps": 5, "decay_rate": 0.5}),
    ("InverseTimeDecay", {"initial_learning_rate": 0.3, "decay_steps": 5, "decay_rate": 0.5,
                          "staircase": True}),
    ("PiecewiseConstantDecay", {"boundaries": [10, 50, 120], "values": [1.0, 0.5, 0.1, 0.01]}),
    ("PiecewiseConstantDecay", {"boundaries": [3], "values": [0.3, 0.03]}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 60}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 60,
                         "end_learning_rate": 0.01, "power": 0.5}),
    ("PolynomialDecay", {"initial_learning_rate": 0.1, "decay_steps": 30,
                         "end_learning_rate": 0.001, "power": 2.0, "cycle": True}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 90}),
    ("CosineDecay", {"initial_learning_rate": 0.1, "decay_steps": 90, "alpha": 0.1}),
    ("CosineDecay", {"initial_learning_rate": 0.0, "decay_steps": 90, "alpha": 0.05,
                     "warmup_target": 0.2, "warmup_steps": 25}),
    ("CosineDecay", {"initial_learning_rate": 0.01, "decay_steps": 40, "warmup_target": 0.1,
                     "warmup_steps": 10}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 20}),
    ("CosineDecayRestarts", {"initial_learning_rate": 0.1, "first_decay_steps": 15,
                             "t_mul": 1.0, "m_mul": 0.5, "alpha": 0.1}),
]
STEPS = range(0, 301)


@pytest.mark.parametrize("name, config", CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                      enumerate(CASES)])
def test_values_match_keras(name: str, config: dict) -> None:
    ours = getattr(schedules, name)(**config)
    theirs = getattr(keras.optimizers.schedules, name)(**config)
    ours_values = np.array([ours(step) for step in STEPS])
    keras_values = np.array([float(keras.ops.convert_to_numpy(theirs(step))) for step in STEPS])
    # float32 throughout, as Keras; near the end of a cosine decay 1 + cos(x) cancels, so a
    # one-ulp difference between libraries' float32 cos is visible relative to the tiny value:
    # compare absolutely at float32 resolution of the schedule's scale as well.
    scale = float(np.max(np.abs(keras_values)))
    np.testing.assert_allclose(ours_values, keras_values, rtol=1e-6, atol=1e-7 * scale)
    assert all(isinstance(v, float) for v in ours_values.tolist())


def test_piecewise_constant_is_exact_at_boundaries() -> None:
    schedule = schedules.PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.25])
    assert [schedule(s) for s in (0, 10, 11, 20, 21, 1000)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_accepts_array_steps() -> None:
    schedule = schedules.ExponentialDecay(1.0, 1, 0.5)
    assert schedule(np.array(2)) == schedule(2) == 0.25


@pytest.mark.parametrize("name, config", CASES, ids=[f"{n}-{i}" for i, (n, _) in
                                                      enumerate(CASES)])
def test_config_round_trip_and_keras_layout(name: str, config: dict) -> None:
    ours = getattr(schedules, name)(**config)
    theirs = getattr(keras.optimizers.schedules, name)(**config)
    assert ours.get_config() == theirs.get_config()
    restored = schedules.deserialize(schedules.serialize(ours))
    assert type(restored) is type(ours) and restored.get_config() == ours.get_config()
    # Keras's serialized form loads here, and ours loads in Keras.
    from_keras = schedules.deserialize(keras.optimizers.schedules.serialize(theirs))
    assert from_keras.get_config() == ours.get_config()
    to_keras = keras.optimizers.schedules.deserialize(schedules.serialize(ours))
    assert to_keras.get_config() == theirs.get_config()


@pytest.mark.parametrize("name", ["ExponentialDecay", "InverseTimeDecay", "PolynomialDecay",
                                  "CosineDecay"])
def test_rejects_non_positive_decay_steps(name: str) -> None:
    with pytest.raises(ValueError, match=f"{name}: argument `decay_steps` must be > 0"):
        getattr(schedules, name)(0.1, 0, **({"decay_rate": 0.5} if "Decay" in name and name in
                                            ("ExponentialDecay", "InverseTimeDecay") else {}))


def test_piecewise_constant_length_error() -> None:
    with pytest.raises(ValueError, match="length of boundaries should be 1 less"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5])


def test_base_class_requires_call_and_config() -> None:
    class Bare(schedules.LearningRateSchedule):
        pass

    with pytest.raises(NotImplementedError, match="must override `__call__"):
        Bare()(0)
    with pytest.raises(NotImplementedError, match="must override `get_config"):
        Bare().get_config()


def test_custom_schedule_serializes_through_custom_objects() -> None:
    class Halving(schedules.LearningRateSchedule):
        def __init__(self, initial: float) -> None:
            self.initial = initial

        def __call__(self, step: int) -> float:
            return self.initial / 2 ** step

        def get_config(self) -> dict:
            return {"initial": self.initial}

    opt = optimizers.SGD(learning_rate=Halving(0.8))
    restored = optimizers.deserialize(optimizers.serialize(opt),
                                      custom_objects={"Halving": Halving})
    assert isinstance(restored._learning_rate, Halving)
    assert restored.learning_rate == 0.8


# ----------------------------------------------------------------- schedules inside optimizers
SCHEDULED = [
    ("SGD", {"momentum": 0.9}, "ExponentialDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 2, "decay_rate": 0.5}),
    ("Adam", {}, "PiecewiseConstantDecay", {"boundaries": [1, 3], "values": [0.1, 0.05, 0.01]}),
    ("AdamW", {"weight_decay": 0.2}, "CosineDecay",
     {"initial_learning_rate": 0.0, "decay_steps": 4, "warmup_target": 0.1, "warmup_steps": 2}),
    ("RMSprop", {"centered": True}, "PolynomialDecay",
     {"initial_learning_rate": 0.01, "decay_steps": 3, "power": 2.0}),
    ("Nadam", {"use_ema": True}, "InverseTimeDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.5}),
    ("SGD", {"gradient_accumulation_steps": 2, "weight_decay": 0.1}, "ExponentialDecay",
     {"initial_learning_rate": 0.1, "decay_steps": 1, "decay_rate": 0.7}),
]


@pytest.mark.parametrize("name, config, schedule, schedule_config", SCHEDULED,
                         ids=[f"{s[0]}-{s[2]}" for s in SCHEDULED])
def test_schedule_inside_optimizer_matches_keras(name: str, config: dict, schedule: str,
                                                 schedule_config: dict) -> None:
    ours = getattr(optimizers, name)(
        learning_rate=getattr(schedules, schedule)(**schedule_config), **config)
    theirs = getattr(keras.optimizers, name)(
        learning_rate=getattr(keras.optimizers.schedules, schedule)(**schedule_config), **config)
    check_against_keras(ours, theirs, steps=6)


def test_optimizer_learning_rate_follows_schedule() -> None:
    import scratchdl

    schedule = schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=schedule)
    w = scratchdl.Parameter(np.zeros(1, dtype="float32"))
    seen = []
    for _ in range(4):
        seen.append(opt.learning_rate)
        opt.apply([np.ones(1, dtype="float32")], [w])
    assert seen == [schedule(0), schedule(1), schedule(2), schedule(3)]
    np.testing.assert_allclose(w.data, [-sum(seen)], rtol=1e-6)
    assert "learning_rate" not in opt.get_state()  # a schedule is config, not state
    with pytest.raises(TypeError, match="learning rate is not settable"):
        opt.learning_rate = 0.5
