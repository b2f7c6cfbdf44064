"""get_file against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from scratchdl.utils import get_file
from scratchdl.utils.file_utils import extract_archive, hash_file, validate_file


class _Handler(http.server.SimpleHTTPRequestHandler):
    hits: list[str] = []

    def do_GET(self):  # noqa: N802 (http.server's naming)
        type(self).hits.append(self.path)
        super().do_GET()

    def log_message(self, *args):
        pass


@pytest.fixture()
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    _Handler.hits = []
    handler = lambda *args, **kwargs: _Handler(*args, directory=str(root), **kwargs)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}", _Handler.hits
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def test_download_then_cache(server, tmp_path):
    root, url, hits = server
    data = os.urandom(200_000)
    (root / "data.bin").write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    cache = tmp_path / "cache"
    path = get_file("data.bin", f"{url}/data.bin", file_hash=digest, cache_dir=cache)
    assert path == str(cache / "datasets" / "data.bin")
    assert open(path, "rb").read() == data and hits == ["/data.bin"]
    again = get_file("data.bin", f"{url}/data.bin", file_hash=digest, cache_dir=cache)
    assert again == path and hits == ["/data.bin"]  # served from the cache
    get_file("data.bin", f"{url}/data.bin", cache_dir=cache, force_download=True)
    assert len(hits) == 2
    assert hash_file(path) == digest and validate_file(path, digest)
    assert validate_file(path, hashlib.md5(data).hexdigest())  # 32 hex digits: md5 ('auto')


def test_checksum_mismatch_is_an_error_and_leaves_nothing(server, tmp_path):
    root, url, _ = server
    (root / "data.bin").write_bytes(b"the real content")
    cache = tmp_path / "cache"
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(ValueError, match=f"does not match the provided value of {wrong}"):
        get_file("data.bin", f"{url}/data.bin", file_hash=wrong, cache_dir=cache, cache_subdir="sub")
    assert os.listdir(cache / "sub") == []


def test_corrupted_cache_is_downloaded_again(server, tmp_path, capsys):
    root, url, hits = server
    (root / "data.bin").write_bytes(b"good bytes")
    cache = tmp_path / "cache"
    (cache / "datasets").mkdir(parents=True)
    (cache / "datasets" / "data.bin").write_bytes(b"truncated")
    path = get_file("data.bin", f"{url}/data.bin", file_hash=hashlib.sha256(b"good bytes").hexdigest(),
                    cache_dir=cache)
    assert open(path, "rb").read() == b"good bytes" and hits == ["/data.bin"]
    assert "downloaded again" in capsys.readouterr().out


def test_name_from_url_and_http_errors(server, tmp_path):
    root, url, _ = server
    (root / "file.txt").write_text("hello")
    path = get_file(origin=f"{url}/file.txt?version=2", cache_dir=tmp_path / "c")
    assert os.path.basename(path) == "file.txt"
    with pytest.raises(OSError, match="URL fetch failure on .*/missing.txt: 404"):
        get_file("missing.txt", f"{url}/missing.txt", cache_dir=tmp_path / "c")
    assert not os.path.exists(tmp_path / "c" / "datasets" / "missing.txt")


def _tar_bytes(members):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_extract_tar_and_zip(server, tmp_path):
    root, url, _ = server
    (root / "set.tar.gz").write_bytes(_tar_bytes({"set/a.txt": b"A", "set/b.txt": b"B"}))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("z/c.txt", "C")
    (root / "z.zip").write_bytes(buffer.getvalue())
    cache = tmp_path / "cache"
    folder = get_file("set.tar.gz", f"{url}/set.tar.gz", extract=True, cache_dir=cache)
    assert folder == str(cache / "datasets" / "set_extracted")
    assert open(os.path.join(folder, "set", "b.txt")).read() == "B"
    folder = get_file("zipped", f"{url}/z.zip", extract=True, cache_dir=cache)
    assert folder == str(cache / "datasets" / "zipped")
    assert open(os.path.join(folder, "z", "c.txt")).read() == "C"


def test_archive_escaping_its_folder_is_refused(tmp_path):
    (tmp_path / "evil.tar").write_bytes(_tar_bytes({"../escaped.txt": b"x"}))
    with pytest.raises(ValueError, match="would be written outside"):
        extract_archive(tmp_path / "evil.tar", tmp_path / "out")
    assert not (tmp_path / "escaped.txt").exists()


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match='specify the "origin"'):
        get_file("x")
    with pytest.raises(ValueError, match="Paths are not accepted"):
        get_file("a/b.txt", "http://127.0.0.1:1/b.txt", cache_dir=tmp_path)
    with pytest.raises(ValueError, match=r"only \['http', 'https', 'file'\] URLs"):
        get_file("x.txt", "ftp://127.0.0.1/x.txt", cache_dir=tmp_path)
    with pytest.raises(ValueError, match="Can't parse the file name"):
        get_file(origin="http://127.0.0.1:1/", cache_dir=tmp_path)
