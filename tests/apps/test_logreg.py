"""``scratchdl logreg``: learns a real binary task, reads course-format HDF5 files, classifies images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import scratchdl as sd
from tests.apps.helpers import pattern_images, write_course_h5


def test_learns_tshirt_against_shirt_and_writes_the_run_directory(run_app, fashion_available) -> None:
    code, metrics, out = run_app("logreg", "--train-samples", "500", "--epochs", "100",
                                 "--compare-rates", "0.5,0.005")
    assert code == 0
    assert metrics["data"] == "Fashion-MNIST T-shirt/top vs Shirt (500 train, 2000 test)"
    results = metrics["metrics"]
    # chance is 0.5; a linear model gets about 0.8 on this hard pair
    assert results["test_accuracy"] >= 0.75 and results["train_accuracy"] >= 0.75
    assert metrics["value"] == results["test_accuracy"]
    cost = np.asarray(results["cost"])
    assert cost.shape == (100,) and cost[-1] < 0.75 * cost[0]
    assert set(results["learning_rates"]) == {"0.5", "0.05", "0.005"}
    assert sorted(metrics["figures"]) == ["cost.png", "learning_rates.png", "weights.png"]
    for name in metrics["figures"] + ["metrics.json", "model.keras"]:
        assert (out / name).is_file(), name
    model = sd.models.load_model(out / "model.keras")
    assert model.input_shape == (None, 28, 28, 1)
    assert model.count_params() == 28 * 28 + 1


def test_trains_on_course_format_h5_and_predicts_png_files(run_app, tmp_path: Path) -> None:
    train, test = write_course_h5(tmp_path, "catvnoncat", ["non-cat", "cat"], train=120, test=40, size=12)
    rng = np.random.default_rng(5)
    cat, other = tmp_path / "cat.png", tmp_path / "other.png"
    # larger than the model's 12x12 input: --predict resizes them
    Image.fromarray(pattern_images(np.array([1]), 36, rng)[0]).save(cat)
    Image.fromarray(pattern_images(np.array([0]), 36, rng)[0]).save(other)
    code, metrics, out = run_app("logreg", "--train", str(train), "--test", str(test), "--epochs", "150",
                                 "--compare-rates", "0.01", "--predict", str(cat), str(other))
    assert code == 0
    assert metrics["data"] == "train_catvnoncat.h5 (120 train, 40 test, 12x12x3)"
    results = metrics["metrics"]
    assert results["classes"] == ["non-cat", "cat"]
    assert results["test_accuracy"] >= 0.95
    predictions = {Path(p["image"]).name: p for p in results["predictions"]}
    assert predictions["cat.png"]["label"] == "cat" and predictions["cat.png"]["probability"] > 0.5
    assert predictions["other.png"]["label"] == "non-cat" and predictions["other.png"]["probability"] < 0.5
    assert [t["title"] for t in metrics["tables"]][-1] == "predictions"


def test_needs_exactly_two_classes(run_app, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train, test = write_course_h5(tmp_path, "three", ["a", "b", "c"], train=30, test=9)
    code, _, _ = run_app("logreg", "--train", str(train), "--test", str(test), "--epochs", "2")
    assert code == 2
    assert "logreg needs two classes (labels 0 and 1)" in capsys.readouterr().err


def test_predict_refuses_an_unreadable_image(run_app, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train, test = write_course_h5(tmp_path, "catvnoncat", ["non-cat", "cat"], train=20, test=10)
    bad = tmp_path / "notes.png"
    bad.write_text("not an image")
    code, _, _ = run_app("logreg", "--train", str(train), "--test", str(test), "--epochs", "2",
                         "--compare-rates", "0.01", "--predict", str(bad))
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot read image" in err and "notes.png" in err and err.count("\n") == 1
