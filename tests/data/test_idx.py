"""IDX files: round trips in every dtype, gzipped and plain, and every kind of damaged file."""

import gzip

import numpy as np
import pytest

from scratchdl.data import load_idx, read_idx, write_idx


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
def test_round_trip(tmp_path, dtype, name):
    rng = np.random.default_rng(0)
    array = (rng.standard_normal((5, 3, 4)) * 100).astype(dtype)
    path = write_idx(tmp_path / name, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == name.endswith(".gz")
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.dtype.isnative
    np.testing.assert_array_equal(back, array)
    back[0, 0, 0] = 1  # writable


def test_header_bytes_are_the_mnist_layout(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    raw = write_idx(tmp_path / "images", images).read_bytes()
    assert raw[:4] == bytes([0, 0, 0x08, 3])
    assert np.frombuffer(raw[4:16], dtype=">u4").tolist() == [2, 28, 28]
    assert len(raw) == 16 + images.size
    labels = write_idx(tmp_path / "labels", np.array([7, 1, 300], dtype=np.int32)).read_bytes()
    assert labels[:8] == bytes([0, 0, 0x0C, 1, 0, 0, 0, 3])
    assert np.frombuffer(labels[8:], dtype=">i4").tolist() == [7, 1, 300]


def test_gzip_detected_by_content_not_name(tmp_path):
    array = np.arange(6, dtype=np.uint8).reshape(2, 3)
    plain_named_gz = write_idx(tmp_path / "a.gz", array, compress=False)
    gzipped_plain_name = write_idx(tmp_path / "b", array, compress=True)
    np.testing.assert_array_equal(read_idx(plain_named_gz), array)
    np.testing.assert_array_equal(read_idx(gzipped_plain_name), array)


def _write(path, payload, compress=False):
    path.write_bytes(gzip.compress(payload) if compress else payload)
    return path


@pytest.mark.parametrize("compress", [False, True])
def test_corrupted_header_bad_magic(tmp_path, compress):
    path = _write(tmp_path / "bad.gz", bytes([0x12, 0x34, 0x08, 1, 0, 0, 0, 2, 5, 6]), compress)
    with pytest.raises(ValueError, match=r"read_idx: '.*bad\.gz' is not an IDX file: magic number 12340801"):
        read_idx(path)


def test_unknown_dtype_code(tmp_path):
    path = _write(tmp_path / "code", bytes([0, 0, 0x07, 1, 0, 0, 0, 1, 5]))
    with pytest.raises(ValueError, match=r"read_idx: '.*code' has unknown IDX dtype code 0x07"):
        read_idx(path)


def test_truncated_header(tmp_path):
    path = _write(tmp_path / "short", bytes([0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0]))
    with pytest.raises(ValueError, match=r"read_idx: '.*short' is truncated: the header declares 3 dimensions"):
        read_idx(path)


def test_too_short_for_magic(tmp_path):
    path = _write(tmp_path / "tiny", b"\x00\x00")
    with pytest.raises(ValueError, match=r"'.*tiny' is not an IDX file: 2 bytes"):
        read_idx(path)


@pytest.mark.parametrize("extra", [-1, 1])
def test_data_size_must_match_header(tmp_path, extra):
    header = bytes([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 3])
    path = _write(tmp_path / "size.gz", header + bytes(6 + extra), compress=True)
    with pytest.raises(ValueError, match=rf"holds {6 + extra} data bytes but its header shape \(2, 3\) of uint8 needs 6"):
        read_idx(path)


def test_damaged_gzip(tmp_path):
    good = gzip.compress(bytes([0, 0, 0x08, 1, 0, 0, 0, 4, 1, 2, 3, 4]))
    path = _write(tmp_path / "cut.gz", good[: len(good) // 2])
    with pytest.raises(ValueError, match=r"read_idx: '.*cut\.gz' is a damaged gzip file"):
        read_idx(path)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"read_idx: no such file: '.*nope-idx1-ubyte\.gz'"):
        read_idx(tmp_path / "nope-idx1-ubyte.gz")
    with pytest.raises(IsADirectoryError, match="read_idx: expected a file, got the directory"):
        read_idx(tmp_path)


def test_write_rejects_unsupported_dtype(tmp_path):
    with pytest.raises(TypeError, match="write_idx: IDX cannot hold dtype int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))
    with pytest.raises(ValueError, match=r"write_idx: IDX needs 1 to 255 dimensions, got an array of shape \(\)"):
        write_idx(tmp_path / "x", np.array(3, dtype=np.uint8))


def test_load_idx_pairs_images_and_labels(tmp_path):
    images = np.random.default_rng(1).integers(0, 256, (7, 4, 4), dtype=np.uint8)
    labels = np.arange(7, dtype=np.uint8)
    x, y = load_idx(write_idx(tmp_path / "i.gz", images), write_idx(tmp_path / "l.gz", labels))
    np.testing.assert_array_equal(x, images)
    np.testing.assert_array_equal(y, labels)
    write_idx(tmp_path / "short.gz", labels[:6])
    with pytest.raises(ValueError, match=r"load_idx: '.*i\.gz' holds 7 samples \(shape \(7, 4, 4\)\) but '.*short\.gz' holds 6 labels"):
        load_idx(tmp_path / "i.gz", tmp_path / "short.gz")
    with pytest.raises(ValueError, match=r"load_idx: labels file '.*i\.gz' should be 1-D, got shape \(7, 4, 4\)"):
        load_idx(tmp_path / "i.gz", tmp_path / "i.gz")
