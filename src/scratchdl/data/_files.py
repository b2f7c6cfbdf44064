"""Shared checks for the file loaders: a path that exists and is a file, bytes that may be gzipped.

Every loader reports problems in one line that starts with the loader's name and names the file,
so a user who passed the wrong path or the wrong kind of file sees at once what to fix.
"""

from __future__ import annotations

import gzip
import os
import zlib
from pathlib import Path

__all__ = ["check_file", "check_directory", "read_bytes"]

_GZIP_MAGIC = b"\x1f\x8b"


def check_file(path: str | os.PathLike[str], caller: str) -> Path:
    """Return ``path`` as a ``Path`` after checking that it names an existing regular file.

    Raises ``FileNotFoundError`` (missing) or ``IsADirectoryError`` (a folder), each naming
    ``caller`` and the path.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{caller}: expected a file path (str or os.PathLike), got {type(path).__name__}")
    resolved = Path(path).expanduser()
    if resolved.is_dir():
        raise IsADirectoryError(f"{caller}: expected a file, got the directory '{resolved}'")
    if not resolved.is_file():
        raise FileNotFoundError(f"{caller}: no such file: '{resolved}'")
    return resolved


def check_directory(path: str | os.PathLike[str], caller: str) -> Path:
    """Return ``path`` as a ``Path`` after checking that it names an existing directory."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{caller}: expected a directory path (str or os.PathLike), got {type(path).__name__}")
    resolved = Path(path).expanduser()
    if resolved.is_file():
        raise NotADirectoryError(f"{caller}: expected a directory, got the file '{resolved}'")
    if not resolved.is_dir():
        raise FileNotFoundError(f"{caller}: no such directory: '{resolved}'")
    return resolved


def read_bytes(path: Path, caller: str) -> bytes:
    """Read a whole file, decompressing it when it starts with the gzip magic bytes.

    The content decides, not the file name: a ``.gz`` name on a plain file and a plain name on a
    gzipped file both read correctly. A damaged gzip stream raises a one-line ``ValueError``.
    """
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{caller}: '{path}' is a damaged gzip file ({error})") from None
