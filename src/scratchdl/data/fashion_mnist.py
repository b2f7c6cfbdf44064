"""Fashion-MNIST: 70,000 28x28 grayscale images of clothes in 10 classes, read from local files.

Nothing is downloaded. The default location is where the Debian package ``dataset-fashion-mnist``
installs the four idx files (``sudo apt-get install dataset-fashion-mnist``; ``scripts/setup.sh``
does it)::

    /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz   (60000, 28, 28) uint8
    /usr/share/datasets/fashion-mnist/train-labels-idx1-ubyte.gz   (60000,) uint8
    /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz    (10000, 28, 28) uint8
    /usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz    (10000,) uint8

``load_data()`` mirrors ``keras.datasets.fashion_mnist.load_data()``:
``scratchdl.data.fashion_mnist.load_data()`` works as in Keras.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from scratchdl.data.idx import load_idx

__all__ = ["DEFAULT_PATH", "FASHION_MNIST_CLASSES", "FILES", "load_data", "load_fashion_mnist"]

#: Where the Debian package ``dataset-fashion-mnist`` puts the files.
DEFAULT_PATH = Path("/usr/share/datasets/fashion-mnist")

#: Class names in label order (0 = T-shirt/top ... 9 = Ankle boot).
FASHION_MNIST_CLASSES: tuple[str, ...] = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)

#: The four file names, without the ``.gz`` ending (gzipped and plain files are both found).
FILES: dict[str, str] = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

Split = tuple[np.ndarray, np.ndarray]


def _locate(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem):
        if (folder / name).is_file():
            return folder / name
    return None


def load_fashion_mnist(path: str | os.PathLike[str] | None = None) -> tuple[Split, Split]:
    """Read Fashion-MNIST: ``((x_train, y_train), (x_test, y_test))``, as Keras returns it.

    ``x`` is uint8 ``(N, 28, 28)`` with values 0..255, ``y`` uint8 ``(N,)`` with labels 0..9 (names in
    :data:`FASHION_MNIST_CLASSES`); N is 60,000 for training and 10,000 for test. ``path`` is the
    folder with the four idx files (gzipped or not); by default :data:`DEFAULT_PATH`.

    >>> (x_train, y_train), (x_test, y_test) = load_fashion_mnist()  # doctest: +SKIP
    >>> x_train.shape, y_train.dtype  # doctest: +SKIP
    ((60000, 28, 28), dtype('uint8'))
    """
    caller = "load_fashion_mnist"
    folder = DEFAULT_PATH if path is None else Path(path).expanduser()
    found = {key: _locate(folder, stem) for key, stem in FILES.items()}
    missing = [FILES[key] + ".gz" for key, file in found.items() if file is None]
    if missing:
        where = "does not exist" if not folder.is_dir() else f"lacks {', '.join(missing)}"
        raise FileNotFoundError(
            f"{caller}: the Fashion-MNIST folder '{folder}' {where}; install the files with "
            "`sudo apt-get install dataset-fashion-mnist`, or pass path= a folder holding the four idx files"
        )
    splits = []
    for part in ("train", "test"):
        images, labels = found[f"{part}_images"], found[f"{part}_labels"]
        assert images is not None and labels is not None
        x, y = load_idx(images, labels)
        if x.ndim != 3 or x.dtype != np.uint8:
            raise ValueError(f"{caller}: '{images}' should hold uint8 images (N, 28, 28), got {x.dtype} {x.shape}")
        if y.dtype != np.uint8 or (y.size and int(y.max()) >= len(FASHION_MNIST_CLASSES)):
            raise ValueError(f"{caller}: '{labels}' should hold uint8 labels 0..9, got {y.dtype} up to {y.max()}")
        splits.append((x, y))
    return splits[0], splits[1]


def load_data(path: str | os.PathLike[str] | None = None) -> tuple[Split, Split]:
    """``keras.datasets.fashion_mnist.load_data()`` from local files: see :func:`load_fashion_mnist`."""
    return load_fashion_mnist(path)
