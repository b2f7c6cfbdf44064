"""``scratchdl init``: zeros against large random against He initialization."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import scratchdl as sd
from scratchdl import data
from scratchdl.apps import init as init_app
from scratchdl.cli import main


def test_he_is_far_ahead_of_zeros_and_zeros_never_breaks_symmetry(run_app) -> None:
    code, metrics, out = run_app("init", "--samples", "200", "--epochs", "800", "--learning-rate", "0.3")
    assert code == 0
    results = metrics["metrics"]["accuracies"]
    zeros, random, he = results["zeros"], results["random"], results["he"]
    # Zeros: every unit stays identical (at 0), the network predicts one class on balanced circles.
    assert zeros["train_accuracy"] == 0.5 and zeros["test_accuracy"] == 0.5
    assert abs(zeros["final_cost"] - math.log(2)) < 1e-3
    # He: learns the circles.
    assert he["train_accuracy"] >= 0.9 and he["test_accuracy"] >= 0.85
    assert he["test_accuracy"] - zeros["test_accuracy"] >= 0.35
    # Large random: a huge first cost (saturated logits), and it still trails He.
    assert random["first_cost"] > 50 * he["first_cost"]
    assert random["test_accuracy"] < he["test_accuracy"]
    assert metrics["metric"] == "test accuracy, He initialization" and metrics["value"] == he["test_accuracy"]
    assert metrics["metrics"]["network"] == [2, 10, 5, 1]
    assert metrics["figures"] == ["cost.png", "boundaries.png"]
    assert metrics["models"] == ["model-zeros.keras", "model-random.keras", "model-he.keras"]
    for name in metrics["figures"] + metrics["models"] + ["metrics.json"]:
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    rows = metrics["tables"][0]["rows"]
    assert [row[0] for row in rows] == ["zeros", "large random (N(0, 10²))", "He"]

    # The saved models output probabilities and give the tabulated accuracy.
    x, y = data.make_circles(200, noise=0.05, factor=0.8, seed=0)
    he_model = sd.models.load_model(out / "model-he.keras")
    probabilities = he_model.predict(x, verbose=0).reshape(-1)
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    assert abs(float(((probabilities > 0.5) == y).mean()) - he["train_accuracy"]) < 1e-9
    # Zeros: every kernel is still exactly 0 after training (only the output bias moved).
    zeros_model = sd.models.load_model(out / "model-zeros.keras")
    kernels = [w for w in zeros_model.get_weights() if w.ndim == 2]
    assert len(kernels) == 3 and all(not k.any() for k in kernels)


def test_initializers_are_the_keras_ones() -> None:
    assert isinstance(init_app.initializer("zeros", 10.0), sd.initializers.Zeros)
    large = init_app.initializer("random", 10.0)
    assert isinstance(large, sd.initializers.RandomNormal) and large.stddev == 10.0
    assert isinstance(init_app.initializer("he", 10.0), sd.initializers.HeNormal)
    with pytest.raises(ValueError, match="init: unknown initialization 'xavier'"):
        init_app.initializer("xavier", 10.0)


def test_own_csv_and_other_sizes(run_app, tmp_path: Path) -> None:
    x, y = data.make_moons(150, noise=0.1, seed=2)
    path = tmp_path / "moons.csv"
    np.savetxt(path, np.column_stack([x, y]), delimiter=",", header="a,b,label", comments="",
               fmt=["%.5f", "%.5f", "%d"])
    code, metrics, _ = run_app("init", "--csv", str(path), "--hidden-sizes", "8", "--epochs", "300",
                               "--learning-rate", "0.5", "--large-scale", "3")
    assert code == 0
    assert metrics["data"] == f"{path} (120 train, 30 test points)"
    assert metrics["metrics"]["network"] == [2, 8, 1]
    assert metrics["metrics"]["accuracies"]["he"]["test_accuracy"] >= 0.8
    assert metrics["tables"][0]["rows"][1][0] == "large random (N(0, 3²))"


def test_bad_csv_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "three.csv"
    path.write_text("a,b,c,label\n" + "1,2,3,0\n" * 12)
    assert main(["init", "--csv", str(path), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"scratchdl init: error: --csv: init needs 2 feature columns, '{path}' has 3 (a, b, c)"
    assert not (tmp_path / "run").exists()
