"""``scratchdl optimize``: gradient descent, momentum, RMSprop and Adam, with and without decay."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest

import scratchdl as sd
from scratchdl.apps import optimize
from scratchdl.cli import main


def test_adam_reaches_a_lower_cost_than_gradient_descent_in_the_same_epochs(run_app) -> None:
    code, metrics, out = run_app("optimize", "--optimizers", "gd,adam", "--decays", "none", "--epochs", "150")
    assert code == 0
    results = metrics["metrics"]["results"]["none"]
    gd, adam = results["gd"], results["adam"]
    assert gd["steps"] == adam["steps"] == 150 * 5  # 300 points in batches of 64: 5 steps per epoch
    assert adam["final_cost"] < gd["final_cost"] - 0.1
    assert gd["final_cost"] > 0.65  # at the course's 0.0007, plain gradient descent has barely moved
    assert adam["train_accuracy"] >= 0.8 and adam["train_accuracy"] > gd["train_accuracy"] + 0.15
    curves = metrics["metrics"]["costs_every_10_epochs"]["none"]
    assert len(curves["adam"]) == 15 and curves["adam"][-1] < curves["gd"][-1]
    assert metrics["metric"] == "train accuracy, Adam, no decay" and metrics["value"] == adam["train_accuracy"]
    assert metrics["figures"] == ["cost-none.png", "boundaries.png"]  # no rate figure without decay
    assert metrics["models"] == ["model-gd-none.keras", "model-adam-none.keras"]
    for name in metrics["figures"] + metrics["models"] + ["metrics.json"]:
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    model = sd.models.load_model(out / "model-adam-none.keras")
    probabilities = model.predict(np.array([[0.0, 1.0], [1.0, -0.5]], dtype=np.float32), verbose=0)
    assert probabilities.shape == (2, 1) and ((probabilities > 0) & (probabilities < 1)).all()


@pytest.mark.slow
def test_every_optimizer_with_both_decays_follows_its_schedule(run_app) -> None:
    code, metrics, out = run_app("optimize", "--decays", "exponential,inverse-time", "--epochs", "90",
                                 "--decay-interval", "30")
    assert code == 0
    results = metrics["metrics"]["results"]
    assert metrics["metrics"]["steps_per_epoch"] == 5
    # After 90 epochs (450 steps, decay_steps = 5 * 30): inverse time lr0 / (1 + 1 * floor(450 / 150)),
    # exponential lr0 * 0.5 ** (450 / 150); momentum's Keras rate carries the course's 1 - beta.
    scale = {"gd": 0.1, "momentum": 0.1 * (1 - 0.9), "rmsprop": 0.01, "adam": 0.01}
    for name, lr0 in scale.items():
        assert results["inverse-time"][name]["steps"] == 450
        assert results["inverse-time"][name]["final_keras_learning_rate"] == pytest.approx(lr0 / 4, rel=1e-6)
        assert results["exponential"][name]["final_keras_learning_rate"] == pytest.approx(lr0 * 0.5 ** 3, rel=1e-6)
        assert results["exponential"][name]["initial_learning_rate"] == (0.01 if name in ("rmsprop", "adam") else 0.1)
    curves = metrics["metrics"]["costs_every_10_epochs"]
    for decay in ("exponential", "inverse-time"):
        for name in scale:
            assert results[decay][name]["final_cost"] < curves[decay][name][0] - 0.04, (decay, name)
        for name in ("rmsprop", "adam"):
            assert results[decay][name]["train_accuracy"] >= 0.85, (decay, name)
    assert metrics["figures"] == ["cost-exponential.png", "cost-inverse-time.png", "learning-rates.png",
                                  "boundaries.png"]
    assert len(metrics["models"]) == 8
    rows = metrics["tables"][0]["rows"]
    assert [row[:2] for row in rows[:4]] == [[name, "exponential decay"]
                                             for name in ("gradient descent", "momentum", "RMSprop", "Adam")]


def _args(**overrides: object) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    optimize.add_arguments(parser)
    args = parser.parse_args([])
    for key, value in overrides.items():
        setattr(args, key, value)
    return args


def test_optimizers_and_schedules_are_the_keras_ones() -> None:
    args = _args(decay_interval=1000)
    sgd = optimize.make_optimizer("gd", "none", 5, args)
    assert type(sgd) is sd.optimizers.SGD and sgd.momentum == 0 and sgd.learning_rate == pytest.approx(0.0007)
    momentum = optimize.make_optimizer("momentum", "none", 5, args)
    assert type(momentum) is sd.optimizers.SGD and momentum.momentum == 0.9
    assert momentum.learning_rate == pytest.approx(0.0007 * 0.1)
    rms = optimize.make_optimizer("rmsprop", "none", 5, args)
    assert type(rms) is sd.optimizers.RMSprop and rms.rho == 0.9 and rms.epsilon == 1e-8
    adam = optimize.make_optimizer("adam", "none", 5, args)
    assert type(adam) is sd.optimizers.Adam and (adam.beta_1, adam.beta_2, adam.epsilon) == (0.9, 0.999, 1e-8)
    schedule = optimize.learning_rate("inverse-time", 0.1, 5, args)
    assert isinstance(schedule, sd.optimizers.schedules.InverseTimeDecay)
    assert schedule.get_config() == {"initial_learning_rate": 0.1, "decay_steps": 5000, "decay_rate": 1.0,
                                     "staircase": True, "name": "InverseTimeDecay"}
    # The course's schedule_lr_decay: lr0 / (1 + decay_rate * floor(epoch / interval)).
    for epoch in (0, 999, 1000, 2500, 4999):
        assert schedule(epoch * 5) == pytest.approx(0.1 / (1 + epoch // 1000))
    exponential = optimize.learning_rate("exponential", 0.1, 5, args)
    assert isinstance(exponential, sd.optimizers.schedules.ExponentialDecay) and not exponential.staircase
    assert exponential(2500) == pytest.approx(0.1 * 0.5 ** 0.5)
    with pytest.raises(ValueError, match="optimize: unknown optimizer 'sgd'"):
        optimize.make_optimizer("sgd", "none", 5, args)


def test_keras_momentum_with_scaled_rate_is_the_course_momentum() -> None:
    # Course: v = beta v + (1 - beta) dW; W -= alpha v.  Keras: SGD(alpha (1 - beta), momentum=beta).
    alpha, beta = 0.05, 0.9
    target = np.array([1.0, -2.0, 0.5])
    w = sd.Parameter(np.zeros(3))
    keras_sgd = optimize.make_optimizer("momentum", "none", 1, _args(learning_rate=alpha, beta=beta))
    w_course, v = np.zeros(3), np.zeros(3)
    for _ in range(25):
        keras_sgd.apply_gradients([(2 * (w.data - target), w)])
        v = beta * v + (1 - beta) * 2 * (w_course - target)
        w_course = w_course - alpha * v
    np.testing.assert_allclose(w.data, w_course, rtol=1e-6)  # Keras keeps the rate in float32


@pytest.mark.parametrize("argv, message", [
    (["--optimizers", "gd,sgd"], "argument --optimizers: expected a comma-separated list of optimizers from "
                                 "gd, momentum, rmsprop, adam, got 'gd,sgd'"),
    (["--decays", ""], "argument --decays: expected a comma-separated list of decays"),
    (["--batch-size", "500"], "--batch-size: 500 is larger than the 300 training points"),
    (["--exponential-decay-rate", "1.5"], "argument --exponential-decay-rate: expected a number in (0, 1], got 1.5"),
])
def test_bad_options_are_one_line(argv: list[str], message: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["optimize", *argv, "--epochs", "1", "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("scratchdl optimize: error: ") and message in err
