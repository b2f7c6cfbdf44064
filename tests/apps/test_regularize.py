"""``scratchdl regularize``: no regularization against L2 against dropout on the football set."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import scratchdl as sd
from scratchdl.apps import regularize
from scratchdl.cli import main

# A setup where the unregularized network overfits within seconds: a wide network on few, noisy
# points, trained with Adam. Checked while developing on seeds 0-7: the gap without regularization
# was 0.18-0.27, with L2 0.02-0.15 and with dropout 0.07-0.17, smaller than without in every seed.
OVERFIT = ["--optimizer", "adam", "--learning-rate", "0.01", "--epochs", "1000", "--samples", "80",
           "--test-samples", "1000", "--hidden-sizes", "50,50", "--label-noise", "0.1", "--keep-prob", "0.5"]


def test_l2_and_dropout_narrow_the_train_test_gap(run_app) -> None:
    code, metrics, out = run_app("regularize", *OVERFIT)
    assert code == 0
    results = metrics["metrics"]["accuracies"]
    none, l2, dropout = results["none"], results["l2"], results["dropout"]
    assert none["train_accuracy"] >= 0.97  # it memorises the flipped labels
    assert none["gap"] >= 0.12
    assert l2["gap"] < none["gap"] - 0.03
    assert dropout["gap"] < none["gap"] - 0.03
    assert l2["test_accuracy"] > none["test_accuracy"] and dropout["test_accuracy"] > none["test_accuracy"]
    for r in results.values():
        assert math.isclose(r["gap"], r["train_accuracy"] - r["test_accuracy"], abs_tol=1e-12)
    assert metrics["metrics"]["keras_l2_factor"] == pytest.approx(0.7 / (2 * 80))
    assert metrics["metrics"]["dropout_rate"] == pytest.approx(0.5)
    assert metrics["value"] == l2["gap"]
    assert metrics["metric"] == f"train-test gap with L2 (none: {none['gap']:.3f}, dropout: {dropout['gap']:.3f})"
    assert metrics["figures"] == ["boundaries.png", "cost.png"]
    assert metrics["models"] == ["model-none.keras", "model-l2.keras", "model-dropout.keras"]
    for name in metrics["figures"] + metrics["models"] + ["metrics.json"]:
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    assert [row[0] for row in metrics["tables"][0]["rows"]] == [
        "no regularization", "L2 (lambda 0.7)", "dropout (keep 0.5)"]

    # The saved models: L2 on every Dense kernel with lambda / (2m), Dropout(rate = 1 - keep_prob)
    # after each hidden layer; inference is deterministic (dropout off).
    l2_model = sd.models.load_model(out / "model-l2.keras")
    dense = [layer for layer in l2_model.layers[0].layers if isinstance(layer, sd.layers.Dense)]
    assert len(dense) == 3
    for layer in dense:
        assert layer.kernel_regularizer.get_config() == {"l2": pytest.approx(0.7 / 160)}
    dropout_model = sd.models.load_model(out / "model-dropout.keras")
    rates = [layer.rate for layer in dropout_model.layers[0].layers if isinstance(layer, sd.layers.Dropout)]
    assert rates == [pytest.approx(0.5), pytest.approx(0.5)]
    points = np.random.default_rng(0).uniform(-0.75, 0.75, (50, 2)).astype(np.float32)
    np.testing.assert_array_equal(dropout_model.predict(points, verbose=0), dropout_model.predict(points, verbose=0))


def test_keras_l2_factor_matches_the_course_cost() -> None:
    # Course: J = CE + lambda/(2m) sum W^2, so dJ/dW gains lambda/m W; Keras's L2(l2) adds 2 l2 W.
    lam, m = 0.7, 211
    factor = regularize.keras_l2_factor(lam, m)
    w = sd.Parameter(np.array([[0.5, -1.0], [2.0, 0.25]]))
    penalty = sd.regularizers.L2(factor)(w)
    assert penalty.item() == pytest.approx(lam / (2 * m) * float((w.data ** 2).sum()))
    penalty.backward()
    np.testing.assert_allclose(w.grad, lam / m * w.data)
    with pytest.raises(ValueError, match="keras_l2_factor: m must be at least 1, got 0"):
        regularize.keras_l2_factor(lam, 0)


def test_course_sizes_and_gradient_descent_by_default(run_app) -> None:
    code, metrics, _ = run_app("regularize", "--epochs", "30")
    assert code == 0
    options = metrics["options"]
    assert (options["optimizer"], options["learning_rate"]) == ("gd", 0.3)
    assert (options["l2"], options["keep_prob"]) == (0.7, 0.86)
    assert (options["samples"], options["test_samples"]) == (211, 200)
    assert metrics["metrics"]["network"] == [2, 20, 3, 1]
    assert metrics["data"] == "football (211 train, 200 test points)"
    assert metrics["tables"][0]["title"].startswith("ReLU network [2, 20, 3, 1], 30 full-batch gradient descent steps")


def test_help_documents_the_lambda_mapping(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regularize", "--help"]) == 0
    flat = " ".join(capsys.readouterr().out.split())
    assert "regularizers.L2(lambda / (2m))" in flat and "(default: 0.7)" in flat
    assert "Dropout(rate=1 - keep_prob) after each hidden layer (default: 0.86)" in flat


@pytest.mark.parametrize("argv, message", [
    (["--keep-prob", "0"], "argument --keep-prob: expected a number in (0, 1], got 0"),
    (["--label-noise", "0.7"], "--label-noise: at most 0.5 (half the labels flipped is pure noise), got 0.7"),
    (["--optimizer", "sgd"], "argument --optimizer: invalid choice: 'sgd'"),
])
def test_bad_options_are_one_line(argv: list[str], message: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["regularize", *argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("scratchdl regularize: error: ") and message in err
