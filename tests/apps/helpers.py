"""Data the application tests write: learnable images and course-format HDF5 files."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def pattern_images(labels: np.ndarray, size: int, rng: np.random.Generator, channels: int = 3) -> np.ndarray:
    """uint8 images ``(N, size, size, channels)``: noise plus one bright horizontal band whose row
    depends on the label (label k lights band k of ``max(labels) + 1``), so the classes are learnable."""
    count = int(labels.max()) + 1
    images = rng.integers(0, 90, size=(labels.size, size, size, channels))
    band = size // count
    rows = np.arange(size)[None, :] // band  # (1, size): which band each row is in
    lit = rows == labels[:, None]  # (N, size)
    images = images + 150 * lit[:, :, None, None]
    return np.clip(images, 0, 255).astype(np.uint8)


def write_course_h5(folder: Path, prefix: str, classes: list[str], train: int, test: int, size: int = 12,
                    seed: int = 0) -> tuple[Path, Path]:
    """Write ``train_<prefix>.h5`` and ``test_<prefix>.h5`` laid out as the course's files: uint8
    ``train_set_x (N, size, size, 3)``, int64 ``train_set_y (N,)``, ``list_classes`` as bytes."""
    import h5py

    rng = np.random.default_rng(seed)
    paths = []
    for split, count in (("train", train), ("test", test)):
        labels = np.arange(count) % len(classes)
        rng.shuffle(labels)
        path = folder / f"{split}_{prefix}.h5"
        with h5py.File(path, "w") as handle:
            handle.create_dataset(f"{split}_set_x", data=pattern_images(labels, size, rng))
            handle.create_dataset(f"{split}_set_y", data=labels.astype(np.int64))
            handle.create_dataset("list_classes", data=np.array([c.encode() for c in classes]))
        paths.append(path)
    return paths[0], paths[1]
