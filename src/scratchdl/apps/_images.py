"""Image data for the image applications (``logreg``, ``deepnn``, ``signs``): the built-in sets or the
user's files, as uint8 images ``(N, height, width, channels)`` with int64 labels.

Built in (``--dataset``): Fashion-MNIST (28x28 grayscale, from the Debian package
``dataset-fashion-mnist``) and scikit-learn's 8x8 digits (values 0..16, stretched to 0..255 here so
every source shares one scale); ``--classes`` picks the classes and relabels them 0, 1, ... in the
order given. The user's data (``--train FILE --test FILE``): HDF5 files laid out as the course's
(``train_catvnoncat.h5``/``test_catvnoncat.h5``, ``train_signs.h5``/``test_signs.h5``, any
``*_x``/``*_y`` pair, optional ``list_classes``), or two folders with one sub-folder of images per
class. The models are trained on pixels scaled to [0, 1] (``data.scale_images``).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from scratchdl import data
from scratchdl.apps._runner import AppError, non_negative_int

__all__ = ["ImageData", "add_image_data_arguments", "class_list", "class_name", "load_image_data", "read_image"]

DATASETS = ("fashion-mnist", "digits")
DIGIT_CLASSES = tuple(str(d) for d in range(10))


@dataclass
class ImageData:
    """A train/test split of images: uint8 ``(N, H, W, C)`` arrays, int64 labels ``0..K-1``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: list[str]
    description: str

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(height, width, channels)`` of one image."""
        return tuple(int(v) for v in self.x_train.shape[1:])  # type: ignore[return-value]

    @property
    def num_features(self) -> int:
        """Pixels times channels: the length of a flattened image."""
        return int(np.prod(self.x_train.shape[1:]))


def add_image_data_arguments(parser: argparse.ArgumentParser, default_classes: str,
                             default_train_samples: int) -> None:
    """``--dataset``, ``--classes`` (``default_classes`` like ``"0,6"``), ``--train-samples``,
    ``--train``, ``--test``."""
    group = parser.add_argument_group("data")
    group.add_argument("--dataset", choices=DATASETS, default="fashion-mnist",
                       help="built-in data set (when --train/--test are not given)")
    group.add_argument("--classes", type=class_list, default=default_classes, metavar="LIST",
                       help="classes of the built-in set, relabelled 0, 1, ... in this order; Fashion-MNIST: "
                            + ", ".join(f"{i} {name}" for i, name in enumerate(data.FASHION_MNIST_CLASSES)))
    group.add_argument("--train-samples", type=non_negative_int, default=default_train_samples, metavar="N",
                       help="use at most N training images of the built-in set (0: all)")
    group.add_argument("--train", metavar="FILE", default=None,
                       help="your training set: a course-format HDF5 file (train_set_x/train_set_y, e.g. "
                            "train_catvnoncat.h5) or a folder with one sub-folder of images per class")
    group.add_argument("--test", metavar="FILE", default=None,
                       help="your test set, in the same format as --train")


def class_list(text: str) -> list[int]:
    """argparse type: ``"0,6"`` -> ``[0, 6]`` (distinct class numbers >= 0)."""
    parts = [p.strip() for p in text.split(",")]
    try:
        values = [int(p) for p in parts]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated class numbers, got {text!r}") from None
    if any(v < 0 for v in values):
        raise argparse.ArgumentTypeError(f"class numbers must be >= 0, got {text!r}")
    if len(set(values)) != len(values):
        raise argparse.ArgumentTypeError(f"class numbers repeat in {text!r}")
    return values



def _select(x: np.ndarray, y: np.ndarray, classes: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Keep the samples of ``classes`` and relabel them by their position in ``classes``."""
    y = np.asarray(y, dtype=np.int64)
    lookup = np.full(max(int(y.max(initial=0)), max(classes)) + 1, -1, dtype=np.int64)
    lookup[classes] = np.arange(len(classes))
    keep = lookup[y] >= 0
    return x[keep], lookup[y[keep]]


def _limit(x: np.ndarray, y: np.ndarray, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if n <= 0 or n >= y.size:
        return x, y
    pick = np.sort(rng.choice(y.size, size=n, replace=False))
    return x[pick], y[pick]


def _as_images(x: np.ndarray, source: str) -> np.ndarray:
    """uint8 ``(N, H, W, C)`` from ``(N, H, W)`` or ``(N, H, W, C)`` arrays."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise AppError(f"{source}: expected images (N, height, width[, channels]), got shape {x.shape}")
    if x.dtype != np.uint8:
        if x.size and (np.nanmin(x) < 0 or np.nanmax(x) > 255):
            raise AppError(f"{source}: expected pixel values 0..255, got values from {x.min()} to {x.max()}")
        x = np.rint(x).astype(np.uint8)
    return x


def _check_readable_h5(path: Path) -> None:
    """Open an HDF5 file once so that a damaged one is reported with its name (h5py's own OSError
    does not name the file)."""
    import h5py  # a dependency of the HDF5 loader, imported when a file is given

    if not path.is_file() or not h5py.is_hdf5(path):
        return  # the loader reports missing files and non-HDF5 files with their names
    try:
        with h5py.File(path, "r"):
            pass
    except OSError as error:
        raise AppError(f"'{path}' is a damaged HDF5 file ({error})") from None


def _user_files(train: str, test: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[str] | None]:
    train_path, test_path = Path(train).expanduser(), Path(test).expanduser()
    if train_path.is_dir() != test_path.is_dir():
        raise AppError("--train and --test must both be HDF5 files or both be image folders")
    if train_path.is_dir():
        x_train, y_train, names = data.load_image_folder(train_path, image_size=None)
        x_test, y_test, _ = data.load_image_folder(test_path, image_size=None, class_names=names)
        if x_test.shape[1:] != x_train.shape[1:]:
            raise AppError(f"--test images are {x_test.shape[1:]} but --train images are {x_train.shape[1:]}")
        return x_train, y_train, x_test, y_test, names
    for path in (train_path, test_path):
        _check_readable_h5(path)
    (x_train, y_train), (x_test, y_test), names = data.load_h5_dataset(train_path, test_path)
    return x_train, y_train, x_test, y_test, names


def _labels(y: np.ndarray, source: str) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise AppError(f"{source}: expected one integer label per image, got labels of shape {y.shape}")
    if y.size and (not np.all(np.mod(y, 1) == 0) or y.min() < 0):
        raise AppError(f"{source}: labels must be integers >= 0, got values from {y.min()} to {y.max()}")
    return y.astype(np.int64)


def load_image_data(args: argparse.Namespace, rng: np.random.Generator) -> ImageData:
    """The data the options in ``args`` name (see :func:`add_image_data_arguments`)."""
    if (args.train is None) != (args.test is None):
        raise AppError("give both --train and --test, or neither (to use the built-in data set)")
    if args.train is not None:
        x_train, y_train, x_test, y_test, names = _user_files(args.train, args.test)
        x_train, x_test = _as_images(x_train, args.train), _as_images(x_test, args.test)
        y_train, y_test = _labels(y_train, args.train), _labels(y_test, args.test)
        count = int(max(y_train.max(initial=0), y_test.max(initial=0))) + 1
        if names is None or len(names) < count:
            names = [str(i) for i in range(count)]
        description = f"{Path(args.train).name} ({y_train.size} train, {y_test.size} test, {x_train.shape[1]}x{x_train.shape[2]}x{x_train.shape[3]})"
        return ImageData(x_train, y_train, x_test, y_test, list(names), description)
    classes = list(args.classes)
    if args.dataset == "fashion-mnist":
        (x_train, y_train), (x_test, y_test) = data.load_fashion_mnist()
        all_names, title = data.FASHION_MNIST_CLASSES, "Fashion-MNIST"
    else:
        x, y = data.load_digits(as_images=True)
        x = np.rint(np.asarray(x) * (255.0 / 16.0)).astype(np.uint8)
        (x_train, y_train), (x_test, y_test) = data.train_test_split(x, y, test_size=0.2, seed=rng)
        all_names, title = DIGIT_CLASSES, "digits 8x8"
    bad = [c for c in classes if c >= len(all_names)]
    if bad:
        raise AppError(f"--classes: {args.dataset} has classes 0..{len(all_names) - 1}, got {bad}")
    x_train, y_train = _select(_as_images(x_train, title), y_train, classes)
    x_test, y_test = _select(_as_images(x_test, title), y_test, classes)
    x_train, y_train = _limit(x_train, y_train, args.train_samples, rng)
    names = [all_names[c] for c in classes]
    shown = " vs ".join(names) if len(names) <= 3 else f"{len(names)} classes"
    description = f"{title} {shown} ({y_train.size} train, {y_test.size} test)"
    return ImageData(x_train, y_train, x_test, y_test, names, description)


def read_image(path: str, image_shape: tuple[int, ...]) -> np.ndarray:
    """One image file resized to ``image_shape`` ``(H, W, C)`` (C 1: grayscale, 3: RGB) as uint8."""
    height, width, channels = (int(v) for v in image_shape)
    if channels not in (1, 3):
        raise AppError(f"--predict: the model expects {channels}-channel images; only 1 or 3 can be read")
    mode = "grayscale" if channels == 1 else "rgb"
    return data.load_image(path, target_size=(height, width), color_mode=mode)


def class_name(names: list[str], label: Any) -> str:
    """The name of ``label`` (its number when ``names`` is too short)."""
    label = int(label)
    return names[label] if 0 <= label < len(names) else str(label)
