"""``scratchdl signs``: a 25-12-6 network trained with Adam on mini-batches of six image classes."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import scratchdl as sd
from tests.apps.helpers import write_course_h5


def test_learns_six_fashion_classes_with_accuracy_curves(run_app, fashion_available) -> None:
    code, metrics, out = run_app("signs", "--train-samples", "900", "--epochs", "3")
    assert code == 0
    assert metrics["data"] == "Fashion-MNIST 6 classes (900 train, 6000 test)"
    results = metrics["metrics"]
    assert results["layers"] == "784,25,12,6"
    assert results["test_accuracy"] >= 0.6  # chance: 1/6
    history = results["history"]
    assert len(history["accuracy"]) == len(history["val_accuracy"]) == 3
    assert history["val_accuracy"][-1] > 1 / 6 + 0.3
    confusion = np.asarray(results["confusion_matrix"])
    assert confusion.shape == (6, 6) and confusion.sum() == 6000
    assert abs(np.trace(confusion) / 6000 - results["test_accuracy"]) < 1e-6
    assert metrics["figures"] == ["accuracy.png", "confusion.png"]
    for name in metrics["figures"] + ["model.keras", "metrics.json"]:
        assert (out / name).is_file()
    model = sd.models.load_model(out / "model.keras")
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [25, 12, 6]
    assert type(model.optimizer).__name__ == "Adam"


def test_course_signs_h5_files(run_app, tmp_path: Path) -> None:
    train, test = write_course_h5(tmp_path, "signs", [str(d) for d in range(6)], train=240, test=60, size=12)
    assert train.name == "train_signs.h5" and test.name == "test_signs.h5"
    code, metrics, _ = run_app("signs", "--train", str(train), "--test", str(test), "--epochs", "25",
                               "--batch-size", "16", "--learning-rate", "0.01")
    assert code == 0
    assert metrics["metrics"]["layers"] == "432,25,12,6"
    assert metrics["metrics"]["test_accuracy"] >= 0.9
    per_class = metrics["tables"][1]
    assert [row[0] for row in per_class["rows"]] == [str(d) for d in range(6)]
    assert sum(row[1] for row in per_class["rows"]) == 60
