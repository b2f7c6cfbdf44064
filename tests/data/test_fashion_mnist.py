"""Fashion-MNIST from the Debian package's idx files, and the errors for a missing or damaged copy."""

import shutil

import numpy as np
import pytest

from scratchdl.data import FASHION_MNIST_CLASSES, fashion_mnist, load_fashion_mnist, write_idx
from scratchdl.data.fashion_mnist import DEFAULT_PATH, FILES


@pytest.fixture(scope="module")
def fashion():
    """The real data set; fails (never skips) with the install command when the package is missing."""
    missing = [stem for stem in FILES.values() if not (DEFAULT_PATH / f"{stem}.gz").is_file()]
    if missing:
        pytest.fail(
            f"Fashion-MNIST is not installed ({', '.join(missing)} missing under {DEFAULT_PATH}): "
            "run `sudo apt-get install dataset-fashion-mnist` (scripts/setup.sh does it)"
        )
    return load_fashion_mnist()


def test_shapes_dtypes_and_label_range(fashion):
    (x_train, y_train), (x_test, y_test) = fashion
    assert x_train.shape == (60000, 28, 28) and x_test.shape == (10000, 28, 28)
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    assert y_train.min() == 0 and y_train.max() == 9
    # the standard split is balanced: 6000 and 1000 images per class
    assert np.bincount(y_train).tolist() == [6000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert x_train.max() == 255 and x_train.min() == 0
    assert len(FASHION_MNIST_CLASSES) == 10 and FASHION_MNIST_CLASSES[9] == "Ankle boot"


def test_known_first_labels(fashion):
    # the published files start with Ankle boot, T-shirt/top, T-shirt/top, Dress (train)
    # and Ankle boot, Pullover, Trouser, Trouser (test)
    (_, y_train), (_, y_test) = fashion
    assert y_train[:4].tolist() == [9, 0, 0, 3]
    assert y_test[:4].tolist() == [9, 2, 1, 1]


def test_keras_style_module_access(tmp_path):
    _write_fake(tmp_path, n_train=5, n_test=3)
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data(path=tmp_path)
    assert x_train.shape == (5, 28, 28) and y_test.shape == (3,)


def _write_fake(folder, n_train, n_test, gz=True, label_value=1):
    rng = np.random.default_rng(0)
    suffix = ".gz" if gz else ""
    for part, n in (("train", n_train), ("test", n_test)):
        write_idx(folder / (FILES[f"{part}_images"] + suffix), rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / (FILES[f"{part}_labels"] + suffix), np.full(n, label_value, dtype=np.uint8))


def test_path_argument_with_uncompressed_files(tmp_path):
    _write_fake(tmp_path, n_train=4, n_test=2, gz=False)
    (x_train, y_train), (x_test, y_test) = load_fashion_mnist(tmp_path)
    assert x_train.shape == (4, 28, 28) and y_train.tolist() == [1, 1, 1, 1] and x_test.shape == (2, 28, 28)


def test_missing_folder_names_the_install_command(tmp_path):
    with pytest.raises(
        FileNotFoundError,
        match=r"load_fashion_mnist: the Fashion-MNIST folder '.*nothing' does not exist; install the files with "
        r"`sudo apt-get install dataset-fashion-mnist`, or pass path=",
    ):
        load_fashion_mnist(tmp_path / "nothing")


def test_missing_files_are_listed(tmp_path):
    _write_fake(tmp_path, 2, 2)
    (tmp_path / (FILES["test_labels"] + ".gz")).unlink()
    with pytest.raises(FileNotFoundError, match=r"lacks t10k-labels-idx1-ubyte\.gz; install the files with `sudo apt-get install"):
        load_fashion_mnist(tmp_path)


def test_mismatched_and_bad_files(tmp_path):
    _write_fake(tmp_path, 3, 2)
    write_idx(tmp_path / (FILES["train_labels"] + ".gz"), np.zeros(4, dtype=np.uint8))
    with pytest.raises(ValueError, match=r"load_idx: '.*train-images-idx3-ubyte\.gz' holds 3 samples .* but '.*' holds 4 labels"):
        load_fashion_mnist(tmp_path)
    _write_fake(tmp_path, 3, 2, label_value=10)
    with pytest.raises(ValueError, match=r"load_fashion_mnist: '.*train-labels-idx1-ubyte\.gz' should hold uint8 labels 0\.\.9, got uint8 up to 10"):
        load_fashion_mnist(tmp_path)
    _write_fake(tmp_path, 3, 2)
    write_idx(tmp_path / (FILES["test_images"] + ".gz"), np.zeros((2, 784), dtype=np.uint8))
    with pytest.raises(ValueError, match=r"should hold uint8 images \(N, 28, 28\), got uint8 \(2, 784\)"):
        load_fashion_mnist(tmp_path)


def test_corrupted_copy_of_the_real_file(tmp_path, fashion):
    for stem in FILES.values():
        shutil.copy(DEFAULT_PATH / f"{stem}.gz", tmp_path / f"{stem}.gz")
    damaged = tmp_path / (FILES["test_labels"] + ".gz")
    damaged.write_bytes(damaged.read_bytes()[:-100])
    with pytest.raises(ValueError, match=r"read_idx: '.*t10k-labels-idx1-ubyte\.gz' is a damaged gzip file"):
        load_fashion_mnist(tmp_path)
