"""The 8x8 handwritten digits bundled with scikit-learn (1,797 images, 10 classes), read offline.

scikit-learn ships the data inside its wheel as ``sklearn/datasets/data/digits.csv.gz``: one image per
line, 64 pixel values 0..16 then the label. The file is located through the installed package's
spec and parsed here, **without importing scikit-learn** (importing it is slow and pulls SciPy's
and joblib's machinery for nothing). Install it with ``pip install scikit-learn``.
"""

from __future__ import annotations

import importlib.util
import io
from pathlib import Path

import numpy as np

from scratchdl import backend
from scratchdl.data._files import read_bytes

__all__ = ["digits_path", "load_digits"]


def digits_path() -> Path:
    """Return the path of scikit-learn's bundled ``digits.csv.gz``; a clear error when it is missing."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(
            "load_digits: the 8x8 digits come with scikit-learn, which is not installed: pip install scikit-learn"
        )
    path = Path(list(spec.submodule_search_locations)[0]) / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(
            f"load_digits: scikit-learn is installed but '{path}' is missing; reinstall it: "
            "pip install --force-reinstall scikit-learn"
        )
    return path


def load_digits(as_images: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Read scikit-learn's digits: ``(x, y)``.

    ``x`` is ``(1797, 64)`` (or ``(1797, 8, 8)`` with ``as_images=True``) of ``floatx()`` pixel
    values 0..16, the same data as ``sklearn.datasets.load_digits().data``; ``y`` is int64 labels
    0..9. Divide ``x`` by 16 to scale it to [0, 1].

    >>> x, y = load_digits()  # doctest: +SKIP
    >>> x.shape, y[:5]  # doctest: +SKIP
    ((1797, 64), array([0, 1, 2, 3, 4]))
    """
    path = digits_path()
    text = read_bytes(path, "load_digits")
    try:
        table = np.loadtxt(io.BytesIO(text), delimiter=",", ndmin=2)
    except ValueError as error:
        raise ValueError(f"load_digits: '{path}' is not the numeric digits table ({error})") from None
    if table.shape[1] != 65:
        raise ValueError(f"load_digits: '{path}' should have 65 columns (64 pixels + label), got {table.shape[1]}")
    x = table[:, :64].astype(backend.floatx())
    y = table[:, 64].astype(np.int64)
    return (x.reshape(-1, 8, 8) if as_images else x), y
