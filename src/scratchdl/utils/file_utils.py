"""``get_file``: download a file once into a cache directory, verifying its checksum.

Keras 3's ``keras.utils.get_file`` semantics: the file lands in ``<cache_dir>/<cache_subdir>/
<fname>`` (``cache_dir`` defaults to ``$SCRATCHDL_HOME`` or ``~/.scratchdl``), a cached copy is
reused while it matches ``file_hash``, and archives can be extracted. Differences that make it
safer: the download goes to a temporary file that replaces the cached one only after the hash
checked out (a failed or corrupted download never leaves a bad file behind), only ``http``,
``https`` and ``file`` URLs are fetched, and extraction refuses members that would land outside
the target directory.

Nothing in scratchdl calls this at import time or in its tests (which use a local server).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from typing import Any

__all__ = ["get_file", "hash_file", "validate_file", "extract_archive", "scratchdl_home"]

_CHUNK = 1 << 16
_SCHEMES = ("http", "https", "file")


def scratchdl_home() -> str:
    """The default cache root: ``$SCRATCHDL_HOME``, else ``~/.scratchdl``."""
    return os.environ.get("SCRATCHDL_HOME") or os.path.join(os.path.expanduser("~"), ".scratchdl")


def _hasher(algorithm: str, file_hash: str | None = None) -> Any:
    if algorithm == "sha256" or (algorithm == "auto" and (file_hash is None or len(file_hash) == 64)):
        return hashlib.sha256()
    if algorithm in ("md5", "auto"):
        return hashlib.md5()  # legacy checksums only; prefer sha256
    raise ValueError(f"get_file: hash_algorithm must be 'auto', 'sha256' or 'md5', got {algorithm!r}")


def hash_file(fpath: str | os.PathLike[str], algorithm: str = "sha256", chunk_size: int = _CHUNK) -> str:
    """The hex digest of a file (``'sha256'`` or ``'md5'``)."""
    hasher = _hasher(algorithm)
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str | os.PathLike[str], file_hash: str, algorithm: str = "auto",
                  chunk_size: int = _CHUNK) -> bool:
    """Whether the file's hash equals ``file_hash`` (``'auto'``: sha256 for 64 hex digits, else md5)."""
    hasher = _hasher(algorithm, file_hash)
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest() == str(file_hash).lower()


def _inside(base: str, target: str) -> bool:
    base = os.path.realpath(base)
    return os.path.commonpath([base, os.path.realpath(target)]) == base


def extract_archive(file_path: str | os.PathLike[str], path: str | os.PathLike[str] = ".",
                    archive_format: str | list[str] | None = "auto") -> bool:
    """Extract a tar (``.tar``, ``.tar.gz``, ``.tar.bz2``...) or zip archive into ``path``.

    Returns True when the file was one of the requested formats and was extracted. Members with
    absolute paths, ``..`` components or links leaving ``path`` are refused (``ValueError``).
    """
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else (
        [archive_format] if isinstance(archive_format, str) else list(archive_format))
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(file_path):
            os.makedirs(path, exist_ok=True)
            with tarfile.open(file_path) as archive:
                for member in archive.getmembers():
                    if not _inside(path, os.path.join(path, member.name)):
                        raise ValueError(f"extract_archive: '{member.name}' would be written outside {path}")
                archive.extractall(path, filter="data")
            return True
        if kind == "zip" and zipfile.is_zipfile(file_path):
            os.makedirs(path, exist_ok=True)
            with zipfile.ZipFile(file_path) as archive:
                for name in archive.namelist():
                    if os.path.isabs(name) or not _inside(path, os.path.join(path, name)):
                        raise ValueError(f"extract_archive: '{name}' would be written outside {path}")
                archive.extractall(path)
            return True
    return False


def _download(origin: str, target: str, file_hash: str | None, algorithm: str, timeout: float) -> None:
    """Stream ``origin`` into a temporary file beside ``target``; check the hash; move it in place."""
    scheme = urllib.parse.urlsplit(origin).scheme.lower()
    if scheme not in _SCHEMES:
        raise ValueError(f"get_file: only {list(_SCHEMES)} URLs are downloaded, got '{origin}'")
    directory = os.path.dirname(target)
    fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(target)}.", suffix=".part", dir=directory)
    hasher = _hasher(algorithm, file_hash)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(origin, timeout=timeout) as response:  # noqa: S310 (scheme checked)
                    for chunk in iter(lambda: response.read(_CHUNK), b""):
                        out.write(chunk)
                        hasher.update(chunk)
            except urllib.error.HTTPError as error:
                raise OSError(f"URL fetch failure on {origin}: {error.code} -- {error.reason}") from error
            except urllib.error.URLError as error:
                raise OSError(f"URL fetch failure on {origin}: {error.reason}") from error
            out.flush()
            os.fsync(out.fileno())
        if file_hash is not None and hasher.hexdigest() != str(file_hash).lower():
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hasher.name} file hash of the data "
                f"downloaded from {origin} is {hasher.hexdigest()}, which does not match the "
                f"provided value of {file_hash}. The file was not saved."
            )
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise


def get_file(fname: str | None = None, origin: str | None = None, untar: bool = False,
             md5_hash: str | None = None, file_hash: str | None = None, cache_subdir: str = "datasets",
             hash_algorithm: str = "auto", extract: bool = False, archive_format: str | None = "auto",
             cache_dir: str | os.PathLike[str] | None = None, force_download: bool = False,
             timeout: float = 60.0) -> str:
    """Download ``origin`` into the cache unless a valid copy is already there; return its path.

    Args:
        fname: the local file name (default: the last component of the URL's path). With
            ``extract``, a name without an extension names the extraction directory.
        origin: the URL (``http``, ``https`` or ``file``).
        untar: deprecated form of ``extract=True, archive_format='tar'``.
        md5_hash: deprecated form of ``file_hash`` with ``hash_algorithm='md5'``.
        file_hash: the expected sha256 (or md5) hex digest. A cached file that does not match is
            downloaded again; a download that does not match raises ``ValueError`` and is
            discarded.
        cache_subdir: the subdirectory of ``cache_dir`` (an absolute path is used as is).
        hash_algorithm: ``'auto'`` (by the hash's length), ``'sha256'`` or ``'md5'``.
        extract: extract a tar or zip archive and return the extraction directory.
        archive_format: ``'auto'``, ``'tar'``, ``'zip'`` or None.
        cache_dir: the cache root (default ``scratchdl_home()``; a non-writable one falls back to
            a ``.scratchdl`` folder in the temporary directory).
        force_download: download even when a valid cached copy exists.
        timeout: seconds to wait for the server.

    >>> path = get_file("data.csv", origin="https://example.com/data.csv",      # doctest: +SKIP
    ...                 file_hash="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(os.fspath(cache_dir) if cache_dir is not None else scratchdl_home())
    with contextlib.suppress(OSError):
        os.makedirs(base, exist_ok=True)
    if not os.access(base, os.W_OK):
        base = os.path.join(tempfile.gettempdir(), ".scratchdl")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided = fname
    if not fname:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: '{origin}'. "
                             "Please specify the `fname` argument.")
    elif os.sep in fname or (os.altsep and os.altsep in fname):
        raise ValueError("Paths are not accepted as the `fname` argument; to choose the file's "
                         f"directory use `cache_dir`/`cache_subdir`. Received: fname={fname}")
    if extract or untar:
        if provided and "." in fname:
            target = os.path.join(datadir, fname)
            extraction_dir = os.path.join(datadir, f"{fname[: fname.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, fname)
            target = os.path.join(datadir, f"{fname}_archive")
    else:
        target = os.path.join(datadir, fname)

    download = force_download or not os.path.exists(target)
    if not download and file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
        print(f"A local file was found, but it seems to be incomplete or outdated because its hash "
              f"does not match the original value of {file_hash}, so the data will be downloaded again.")
        download = True
    if download:
        _download(origin, target, file_hash, hash_algorithm, timeout)

    if extract or untar:
        if untar:
            archive_format = "tar"
        if os.path.isdir(extraction_dir) and download:
            shutil.rmtree(extraction_dir)
        if not os.path.isdir(extraction_dir) and not extract_archive(target, extraction_dir, archive_format):
            raise ValueError(f"get_file: could not extract '{target}' as {archive_format!r}")
        return extraction_dir
    return target
