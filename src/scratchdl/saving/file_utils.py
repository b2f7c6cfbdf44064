"""Safe file handling for saving and loading: atomic writes, format sniffing, zip guards.

* ``atomic_write(path)`` writes to a temporary file in the destination's directory, flushes and
  fsyncs it, then ``os.replace``s it over the destination: a crash or an exception part-way
  leaves the previous file untouched and no partial file behind.
* ``sniff_format(path)`` tells the formats scratchdl reads apart by their first bytes, and
  refuses Python pickles outright: unpickling runs arbitrary code, so no scratchdl loader ever
  does it.
* ``read_zip_member`` reads one member of an archive after checking that it is not a
  "decompression bomb" (a tiny member declaring a gigantic size).

Every error starts with the public function the user called (``save_weights: ...``,
``load_model: ...``): the entry points pass it down as ``caller`` (or inside ``where``).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import zipfile
from collections.abc import Iterator
from typing import IO

__all__ = ["atomic_write", "sniff_format", "read_zip_member", "refuse_pickle", "MAX_MEMBER_EXPANSION"]

MAX_MEMBER_EXPANSION = 100
_BOMB_FLOOR_BYTES = 1 << 30

_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),  # an empty zip archive
    (b"\x89HDF\r\n\x1a\n", "hdf5"),
    (b"\x93NUMPY", "npy"),
)


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], overwrite: bool = True,
                 caller: str = "atomic_write") -> Iterator[IO[bytes]]:
    """Open a binary temporary file that replaces ``path`` only if the block succeeds.

    Args:
        path: the destination file.
        overwrite: when False and ``path`` exists, raise ``FileExistsError`` before writing.
        caller: the public function writing (``'save_weights'``), named first in errors.

    >>> with atomic_write("weights.npz") as f:    # doctest: +SKIP
    ...     f.write(data)
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{caller}: cannot write to '{path}': it is a directory, expected a "
                                "file path")
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{caller}: '{path}' already exists and overwrite=False; pass "
                              "overwrite=True to replace it")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{caller}: cannot write '{path}': the directory '{directory}' does "
                                "not exist")
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp creates the file readable by its owner only; give it the usual permissions.
        os.chmod(temporary, 0o666 & ~_current_umask())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    with contextlib.suppress(OSError):  # make the rename itself durable (not possible everywhere)
        directory_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)


def _looks_like_safetensors(head: bytes) -> bool:
    # A little-endian u64 header size, then the JSON header. The size's low bytes can be
    # b"\x80\x02" (a 640-byte header), so this is checked before the pickle signature.
    return len(head) >= 9 and head[8:9] == b"{" and head[6:8] == b"\x00\x00"


def refuse_pickle(head: bytes, where: str) -> None:
    """Raise when ``head`` (at least the first 9 bytes of some data) is a Python pickle."""
    if _looks_like_safetensors(head):
        return
    if len(head) >= 2 and head[0] == 0x80 and 2 <= head[1] <= 5:
        raise ValueError(
            f"{where} is a Python pickle. scratchdl never unpickles data: loading a pickle can run "
            "arbitrary code. Convert the weights to .safetensors or .npz (without object arrays)."
        )


def sniff_format(path: str | os.PathLike[str], caller: str = "sniff_format") -> str:
    """The format of the file at ``path``: ``'zip'``, ``'hdf5'``, ``'npy'`` or ``'safetensors'``.

    ``caller`` (the public function reading, e.g. ``'load_weights'``) starts every error message.

    Raises:
        ValueError: for a pickle, or for any content that is none of those formats.
        FileNotFoundError: when the file does not exist.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        what = "is a directory, not a file" if os.path.isdir(path) else "does not exist"
        raise FileNotFoundError(f"{caller}: no file found at '{path}' (the path {what})")
    with open(path, "rb") as handle:
        head = handle.read(16)
    for magic, name in _MAGIC:
        if head.startswith(magic):
            return name
    if _looks_like_safetensors(head):
        header_size = int.from_bytes(head[:8], "little")
        if 0 < header_size <= os.path.getsize(path) - 8:
            return "safetensors"
    refuse_pickle(head, f"{caller}: the file '{path}'")
    raise ValueError(
        f"{caller}: the file '{path}' is not in a format scratchdl reads (expected a .keras archive, "
        f".safetensors, .npz or Keras .h5 file); it starts with {head[:8]!r}"
    )


def read_zip_member(archive: zipfile.ZipFile, name: str, where: str) -> bytes:
    """Read member ``name`` of ``archive`` (refusing decompression bombs and pickles).

    ``where`` names the caller and the file for error messages (``"load_model: 'm.keras'"``).
    """
    try:
        info = archive.getinfo(name)
    except KeyError as error:
        raise ValueError(f"{where}: the archive has no '{name}' (members: {archive.namelist()})") from error
    if info.file_size > _BOMB_FLOOR_BYTES and info.file_size > MAX_MEMBER_EXPANSION * max(info.compress_size, 1):
        raise ValueError(
            f"{where}: member '{name}' declares {info.file_size} bytes but stores only "
            f"{info.compress_size}; refusing a potential decompression bomb"
        )
    with archive.open(info) as handle:
        data = handle.read(info.file_size + 1)
    if len(data) > info.file_size:
        raise ValueError(f"{where}: member '{name}' is longer than its declared size of "
                         f"{info.file_size} bytes")
    refuse_pickle(data[:16], f"{where}: member '{name}'")
    return data

