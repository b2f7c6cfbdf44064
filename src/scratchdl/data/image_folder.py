"""Images from disk: one file (``load_image``), or a folder with one sub-folder per class.

The folder layout is the one ``keras.utils.image_dataset_from_directory`` reads::

    photos/
        cat/      001.jpg 002.png ...
        dog/      a.jpg ...

Class names are the sub-folder names in alphanumeric order and the labels their indices. Images are
decoded with Pillow, converted to the colour mode and resized to one size, and returned as one
uint8 array ``(N, height, width, channels)`` in memory (no lazy ``tf.data`` pipeline).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from scratchdl.data._files import check_directory, check_file

__all__ = ["IMAGE_EXTENSIONS", "load_image", "load_image_folder"]

#: File name endings read as images (the ones Keras reads), compared case-insensitively.
IMAGE_EXTENSIONS: tuple[str, ...] = (".bmp", ".gif", ".jpeg", ".jpg", ".png")

_MODES = {"grayscale": "L", "rgb": "RGB", "rgba": "RGBA"}
_INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos", "box", "hamming")


def _size(size: Any, caller: str, name: str) -> tuple[int, int] | None:
    if size is None:
        return None
    try:
        height, width = (int(v) for v in size)
    except (TypeError, ValueError):
        raise ValueError(f"{caller}: {name} must be (height, width), got {size!r}") from None
    if height <= 0 or width <= 0:
        raise ValueError(f"{caller}: {name} must be positive, got {size!r}")
    return height, width


def _options(color_mode: str, interpolation: str, caller: str) -> tuple[str, Any]:
    from PIL import Image

    if color_mode not in _MODES:
        raise ValueError(f"{caller}: color_mode must be one of {', '.join(_MODES)}, got {color_mode!r}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{caller}: interpolation must be one of {', '.join(_INTERPOLATIONS)}, got {interpolation!r}")
    return _MODES[color_mode], getattr(Image.Resampling, interpolation.upper())


def _decode(file: Path, mode: str, size: tuple[int, int] | None, resample: Any, caller: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(file) as image:
            image = image.convert(mode)
            if size is not None and image.size != (size[1], size[0]):
                image = image.resize((size[1], size[0]), resample=resample)  # Pillow sizes are (width, height)
            array = np.asarray(image, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as error:
        raise ValueError(f"{caller}: cannot read image '{file}' ({error})") from None
    return array[:, :, None] if array.ndim == 2 else array


def load_image(
    path: str | os.PathLike[str],
    target_size: Sequence[int] | None = None,
    color_mode: str = "rgb",
    interpolation: str = "bilinear",
) -> np.ndarray:
    """Read one image as a uint8 array ``(height, width, channels)``.

    ``target_size`` is ``(height, width)`` (``None`` keeps the file's size); ``color_mode`` is
    ``'rgb'`` (3 channels), ``'rgba'`` (4) or ``'grayscale'`` (1). Add a batch axis and scale it the
    way the model's training data was scaled before predicting:

    >>> x = load_image("cat.jpg", target_size=(64, 64))  # doctest: +SKIP
    >>> model.predict(scale_images(x[None]))  # doctest: +SKIP
    """
    caller = "load_image"
    file = check_file(path, caller)
    mode, resample = _options(color_mode, interpolation, caller)
    return _decode(file, mode, _size(target_size, caller, "target_size"), resample, caller)


def _class_folders(root: Path, class_names: Sequence[str] | None, caller: str) -> list[Path]:
    folders = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")), key=lambda p: p.name)
    if class_names is None:
        if not folders:
            raise ValueError(f"{caller}: '{root}' has no class sub-folders; expected one folder of images per class")
        return folders
    available = {p.name: p for p in folders}
    missing = [name for name in class_names if name not in available]
    if missing:
        raise ValueError(
            f"{caller}: '{root}' has no sub-folder {', '.join(repr(m) for m in missing)} "
            f"(sub-folders: {', '.join(available) or 'none'})"
        )
    if len(set(class_names)) != len(class_names):
        raise ValueError(f"{caller}: class_names has duplicates: {list(class_names)}")
    return [available[name] for name in class_names]


def load_image_folder(
    directory: str | os.PathLike[str],
    image_size: Sequence[int] | None = (256, 256),
    color_mode: str = "rgb",
    class_names: Sequence[str] | None = None,
    interpolation: str = "bilinear",
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Read a folder of class sub-folders of images: ``(x, y, class_names)``.

    ``x`` is uint8 ``(N, height, width, channels)``, ``y`` int64 ``(N,)`` indices into
    ``class_names``. Images are found in each class folder and its sub-folders by their endings
    (:data:`IMAGE_EXTENSIONS`), in sorted order. ``image_size`` is ``(height, width)`` (the Keras
    default is 256 x 256); ``None`` keeps the files' size, which must then be the same for all.
    ``class_names`` picks and orders the class folders (default: all, alphanumerically).

    >>> x, y, classes = load_image_folder("signs/train", image_size=(64, 64))  # doctest: +SKIP
    """
    caller = "load_image_folder"
    root = check_directory(directory, caller)
    mode, resample = _options(color_mode, interpolation, caller)
    size = _size(image_size, caller, "image_size")
    folders = _class_folders(root, class_names, caller)
    files: list[Path] = []
    labels: list[int] = []
    for label, folder in enumerate(folders):
        found = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_EXTENSIONS and p.is_file())
        files += found
        labels += [label] * len(found)
    if not files:
        raise ValueError(
            f"{caller}: no images ({', '.join(IMAGE_EXTENSIONS)}) in the class folders of '{root}' "
            f"({', '.join(f.name for f in folders)})"
        )
    first = _decode(files[0], mode, size, resample, caller)
    x = np.empty((len(files),) + first.shape, dtype=np.uint8)
    x[0] = first
    for i, file in enumerate(files[1:], start=1):
        image = _decode(file, mode, size, resample, caller)
        if image.shape != first.shape:
            raise ValueError(
                f"{caller}: '{file}' is {image.shape[1]}x{image.shape[0]} but '{files[0]}' is "
                f"{first.shape[1]}x{first.shape[0]}; pass image_size=(height, width) to resize them all"
            )
        x[i] = image
    return x, np.asarray(labels, dtype=np.int64), [folder.name for folder in folders]
