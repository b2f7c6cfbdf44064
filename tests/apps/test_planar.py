"""``scratchdl planar``: tanh hidden layers against logistic regression on 2-D data."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

import scratchdl as sd
from scratchdl import data
from scratchdl.cli import main


def test_four_tanh_units_learn_the_flower_and_logistic_regression_cannot(run_app) -> None:
    code, metrics, out = run_app("planar", "--quick", "--hidden-sizes", "4")
    assert code == 0
    assert metrics["options"]["epochs"] == 1000 and metrics["options"]["quick"] is True
    accuracies = metrics["metrics"]["accuracies"]
    assert accuracies["hidden_4"]["train_accuracy"] >= 0.85
    assert accuracies["hidden_4"]["test_accuracy"] >= 0.85
    assert accuracies["logreg"]["train_accuracy"] < 0.65  # no straight line separates the petals
    assert metrics["metric"] == "train accuracy, 4 tanh units"
    assert metrics["value"] == accuracies["hidden_4"]["train_accuracy"]
    assert metrics["figures"] == ["boundaries.png", "boundary_logreg.png"]
    assert metrics["models"] == ["model-logreg.keras", "model-hidden4.keras"]
    for name in metrics["figures"] + metrics["models"] + ["metrics.json"]:
        assert (out / name).is_file()
    model = sd.models.load_model(out / "model-hidden4.keras")
    x, y = data.make_flower(seed=0)
    accuracy = float(((model.predict(x, verbose=0).reshape(-1) >= 0.5) == y).mean())
    assert abs(accuracy - accuracies["hidden_4"]["train_accuracy"]) < 1e-6
    rows = metrics["tables"][0]["rows"]
    assert [row[0] for row in rows] == ["logistic regression", "4 tanh units"]
    assert [row[1] for row in rows] == [3, 17]  # parameters


def test_own_csv_data(run_app, tmp_path: Path) -> None:
    x, y = data.make_moons(200, noise=0.1, seed=3)
    table = np.column_stack([x, y])
    path = tmp_path / "moons.csv"
    np.savetxt(path, table, delimiter=",", header="u,v,label", comments="", fmt=["%.5f", "%.5f", "%d"])
    code, metrics, _ = run_app("planar", "--csv", str(path), "--hidden-sizes", "5", "--epochs", "600")
    assert code == 0
    assert metrics["data"] == f"{path} (160 train, 40 test points)"
    assert metrics["metrics"]["accuracies"]["hidden_5"]["test_accuracy"] >= 0.9


def test_default_run_directory_is_runs_app_timestamp(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert main(["planar", "--hidden-sizes", "1", "--epochs", "3", "--samples", "40"]) == 0
    (run_dir,) = (tmp_path / "runs").iterdir()
    assert re.fullmatch(r"planar-\d{8}-\d{6}", run_dir.name)
    assert (run_dir / "metrics.json").is_file() and (run_dir / "boundaries.png").is_file()


def test_same_seed_same_results(run_app) -> None:
    first = run_app("planar", "--hidden-sizes", "3", "--epochs", "50", "--samples", "100", "--seed", "4")[1]
    second = run_app("planar", "--hidden-sizes", "3", "--epochs", "50", "--samples", "100", "--seed", "4")[1]
    other = run_app("planar", "--hidden-sizes", "3", "--epochs", "50", "--samples", "100", "--seed", "5")[1]
    assert first["metrics"] == second["metrics"]
    assert first["metrics"] != other["metrics"]
