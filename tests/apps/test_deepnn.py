"""``scratchdl deepnn``: L-layer networks of any sizes, sigmoid or softmax, full or mini-batches."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import scratchdl as sd
from tests.apps.helpers import write_course_h5


def test_learns_on_fashion_mnist_and_draws_the_misclassified(run_app, fashion_available) -> None:
    code, metrics, out = run_app("deepnn", "--train-samples", "800", "--epochs", "6", "--layers", "784,16,8,1",
                                 "--gallery", "6")
    assert code == 0
    models = metrics["metrics"]["models"]
    assert models["l_layer"]["layers"] == [784, 16, 8, 1] and models["two_layer"]["layers"] == [784, 7, 1]
    assert models["l_layer"]["parameters"] == 784 * 16 + 16 + 16 * 8 + 8 + 8 + 1
    assert models["l_layer"]["test_accuracy"] >= 0.75  # chance: 0.5
    assert models["two_layer"]["test_accuracy"] >= 0.75
    assert models["l_layer"]["cost"][-1] < models["l_layer"]["cost"][0]
    assert metrics["metric"] == "test accuracy, 3-layer" and metrics["value"] == models["l_layer"]["test_accuracy"]
    assert 0 < metrics["metrics"]["misclassified"] < 0.25 * metrics["metrics"]["test_size"]
    assert metrics["figures"] == ["cost.png", "misclassified.png"]
    assert metrics["models"] == ["model.keras", "model-2layer.keras"]
    for name in metrics["figures"] + metrics["models"]:
        assert (out / name).is_file()
    model = sd.models.load_model(out / "model.keras")
    assert [layer.units for layer in model.layers if hasattr(layer, "units")] == [16, 8, 1]
    assert model.layers[-1].get_config()["activation"] == "sigmoid"


def test_softmax_on_course_format_h5_with_full_batch(run_app, tmp_path: Path) -> None:
    train, test = write_course_h5(tmp_path, "shapes", ["top", "middle", "bottom"], train=150, test=60, size=12)
    code, metrics, out = run_app("deepnn", "--train", str(train), "--test", str(test), "--layers", "432,12,3",
                                 "--batch-size", "0", "--epochs", "150", "--learning-rate", "0.3")
    assert code == 0
    table = metrics["tables"][0]
    assert table["title"].startswith("150 epochs of full-batch gradient descent on train_shapes.h5")
    assert metrics["metrics"]["models"]["l_layer"]["test_accuracy"] >= 0.9  # chance: 1/3
    assert metrics["metrics"]["classes"] == ["top", "middle", "bottom"]
    model = sd.models.load_model(out / "model.keras")
    assert model.layers[-1].get_config()["activation"] == "softmax"


def test_default_layers_follow_the_data(run_app, tmp_path: Path) -> None:
    train, test = write_course_h5(tmp_path, "catvnoncat", ["non-cat", "cat"], train=40, test=10, size=8)
    code, metrics, _ = run_app("deepnn", "--train", str(train), "--test", str(test), "--epochs", "1")
    assert code == 0
    assert metrics["metrics"]["models"]["l_layer"]["layers"] == [192, 20, 7, 5, 1]


@pytest.mark.parametrize("layers, message", [
    ("12288,20,7,5,1", "--layers starts with 12288 but the images (8x8x3) flatten to 192 values; "
                       "use --layers 192,20,7,5,1"),
    ("192,5,3", "--layers ends with 3 outputs but the data has 2 classes; end it with 2 (softmax) or 1 (sigmoid)"),
    ("192", "--layers needs at least an input and an output size, got 192"),
])
def test_layer_sizes_are_checked_against_the_data(layers: str, message: str, run_app, tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    train, test = write_course_h5(tmp_path, "catvnoncat", ["non-cat", "cat"], train=20, test=10, size=8)
    code, metrics, _ = run_app("deepnn", "--train", str(train), "--test", str(test), "--layers", layers)
    assert code == 2 and metrics == {}
    assert not (tmp_path / "run0").exists()  # a run that failed at once leaves no empty directory
    err = capsys.readouterr().err
    assert err == f"scratchdl deepnn: error: {message}\n"


def test_sigmoid_output_refuses_more_than_two_classes(run_app, tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    train, test = write_course_h5(tmp_path, "three", ["a", "b", "c"], train=30, test=9, size=8)
    code, _, _ = run_app("deepnn", "--train", str(train), "--test", str(test), "--layers", "192,4,1")
    assert code == 2
    assert "ends with 1 (a sigmoid for two classes) but the data has 3 classes; end it with 3" in capsys.readouterr().err


def test_image_folders_as_train_and_test(run_app, tmp_path: Path) -> None:
    from PIL import Image

    from tests.apps.helpers import pattern_images

    rng = np.random.default_rng(1)
    for split, count in (("train", 24), ("test", 8)):
        labels = np.arange(count) % 2
        for i, (label, image) in enumerate(zip(labels, pattern_images(labels, 10, rng))):
            folder = tmp_path / split / ("dark-top" if label == 0 else "dark-bottom")
            folder.mkdir(parents=True, exist_ok=True)
            Image.fromarray(image).save(folder / f"{i}.png")
    code, metrics, _ = run_app("deepnn", "--train", str(tmp_path / "train"), "--test", str(tmp_path / "test"),
                               "--layers", "300,6,1", "--epochs", "30", "--batch-size", "8", "--learning-rate", "0.1")
    assert code == 0
    assert metrics["metrics"]["classes"] == ["dark-bottom", "dark-top"]
    assert metrics["metrics"]["models"]["l_layer"]["test_accuracy"] >= 0.85
