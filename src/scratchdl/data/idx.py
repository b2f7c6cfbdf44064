"""IDX files: the format of MNIST and Fashion-MNIST (``train-images-idx3-ubyte.gz`` and friends).

An IDX file is a 4-byte magic number followed by the dimensions and the raw values::

    bytes 0-1   0x00 0x00
    byte  2     dtype code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     number of dimensions, ndim
    then        ndim big-endian uint32 sizes, then prod(sizes) big-endian values in C order

So an image file of MNIST has the header ``00 00 08 03``, then 60000, 28, 28 (16 bytes of header in
all), and a label file ``00 00 08 01`` then 60000 (8 bytes). Files may be gzipped; the content
decides, not the name. The reader validates the header and that the data size is exact.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from scratchdl.data._files import check_file, read_bytes

__all__ = ["IDX_DTYPES", "read_idx", "write_idx", "load_idx"]

#: IDX dtype code -> big-endian NumPy dtype.
IDX_DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dtype.newbyteorder("="): code for code, dtype in IDX_DTYPES.items()}


def read_idx(path: str | os.PathLike[str]) -> np.ndarray:
    """Read an IDX file (gzipped or not) into a NumPy array of native byte order.

    The dtype follows the file's dtype code (``uint8`` for MNIST images and labels) and the shape
    its dimension list. A bad magic number, an unknown dtype code, a truncated header or a data
    size that does not match the dimensions raises a one-line ``ValueError`` naming the file.

    >>> images = read_idx("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz")  # doctest: +SKIP
    >>> images.shape, images.dtype  # doctest: +SKIP
    ((10000, 28, 28), dtype('uint8'))
    """
    file = check_file(path, "read_idx")
    content = read_bytes(file, "read_idx")
    if len(content) < 4:
        raise ValueError(
            f"read_idx: '{file}' is not an IDX file: {len(content)} bytes, shorter than the 4-byte magic number"
        )
    zero0, zero1, code, ndim = content[:4]
    if zero0 != 0 or zero1 != 0:
        raise ValueError(
            f"read_idx: '{file}' is not an IDX file: magic number {content[:4].hex()} does not start with 0000"
        )
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise ValueError(f"read_idx: '{file}' has unknown IDX dtype code 0x{code:02X} (known: {known})")
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise ValueError(
            f"read_idx: '{file}' is truncated: the header declares {ndim} dimensions "
            f"({header_size} header bytes) but the file has {len(content)} bytes"
        )
    shape = tuple(int(d) for d in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_DTYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(content) - header_size
    if actual != expected:
        raise ValueError(
            f"read_idx: '{file}' holds {actual} data bytes but its header shape {shape} of "
            f"{dtype.newbyteorder('=').name} needs {expected}"
        )
    data = np.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    # astype gives a writable array in native byte order (frombuffer on bytes is read-only).
    return data.astype(dtype.newbyteorder("="))


def write_idx(path: str | os.PathLike[str], array: np.ndarray, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file; gzip it when ``compress`` is True (default: the name ends in ``.gz``).

    The array's dtype must be one IDX can hold (uint8, int8, int16, int32, float32, float64) and it
    must have 1 to 255 dimensions. Returns the path written.

    >>> write_idx("labels-idx1-ubyte.gz", np.array([3, 1, 4], dtype=np.uint8))  # doctest: +SKIP
    """
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise TypeError(
            f"write_idx: IDX cannot hold dtype {array.dtype}; use uint8, int8, int16, int32, float32 or float64"
        )
    if not 1 <= array.ndim <= 255:
        raise ValueError(f"write_idx: IDX needs 1 to 255 dimensions, got an array of shape {array.shape}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    target = Path(path).expanduser()
    if compress is None:
        compress = target.suffix == ".gz"
    target.write_bytes(gzip.compress(payload) if compress else payload)
    return target


def load_idx(images_path: str | os.PathLike[str], labels_path: str | os.PathLike[str]) -> tuple[np.ndarray, np.ndarray]:
    """Read an IDX images file and its IDX labels file, as MNIST ships them, into ``(x, y)``.

    ``y`` must be 1-D with one label per image: a count mismatch raises a ``ValueError`` naming
    both files and both shapes.
    """
    x = read_idx(images_path)
    y = read_idx(labels_path)
    if y.ndim != 1:
        raise ValueError(f"load_idx: labels file '{labels_path}' should be 1-D, got shape {y.shape}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"load_idx: '{images_path}' holds {x.shape[0]} samples (shape {x.shape}) but "
            f"'{labels_path}' holds {y.shape[0]} labels"
        )
    return x, y
