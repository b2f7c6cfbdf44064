"""``.mat`` loaders on files written here (scipy.io.savemat, and an HDF5-based MATLAB v7.3 file)."""

import h5py
import numpy as np
import pytest
from scipy.io import savemat

from scratchdl.data import load_mat_arrays, load_mat_dataset

RNG = np.random.default_rng(0)


def _course_arrays():
    """data.mat's layout: X (m, 2), y (m, 1), Xval, yval; float64 as MATLAB stores them."""
    return {
        "X": RNG.uniform(-0.75, 0.75, (11, 2)),
        "y": RNG.integers(0, 2, (11, 1)).astype(np.float64),
        "Xval": RNG.uniform(-0.75, 0.75, (7, 2)),
        "yval": RNG.integers(0, 2, (7, 1)).astype(np.float64),
    }


@pytest.mark.parametrize("fmt", ["5", "4"])
def test_course_data_mat(tmp_path, fmt):
    arrays = _course_arrays()
    savemat(tmp_path / "data.mat", arrays, format=fmt)
    X, y, Xval, yval = load_mat_dataset(tmp_path / "data.mat")
    assert X.shape == (11, 2) and y.shape == (11,) and Xval.shape == (7, 2) and yval.shape == (7,)
    np.testing.assert_array_equal(X, arrays["X"])
    np.testing.assert_array_equal(y, arrays["y"].ravel())
    np.testing.assert_array_equal(Xval, arrays["Xval"])
    np.testing.assert_array_equal(yval, arrays["yval"].ravel())


def test_row_vector_labels_and_custom_keys(tmp_path):
    savemat(tmp_path / "d.mat", {"a": np.ones((3, 4)), "b": np.array([[1, 2, 3]]), "c": np.ones((2, 4)), "d": [[0, 1]]})
    X, y, Xval, yval = load_mat_dataset(tmp_path / "d.mat", keys=("a", "b", "c", "d"))
    assert y.tolist() == [1, 2, 3] and yval.tolist() == [0, 1] and Xval.shape == (2, 4)


def test_load_mat_arrays_skips_header_entries(tmp_path):
    savemat(tmp_path / "d.mat", {"X": np.eye(2), "y": [[1], [0]]})
    arrays = load_mat_arrays(tmp_path / "d.mat")
    assert sorted(arrays) == ["X", "y"]
    np.testing.assert_array_equal(arrays["X"], np.eye(2))


def _write_v73(path, arrays):
    """A MATLAB v7.3 file: HDF5 after a 512-byte MATLAB header, arrays stored column-major."""
    with h5py.File(path, "w", userblock_size=512) as f:
        for name, value in arrays.items():
            f[name] = np.asarray(value).T
    header = b"MATLAB 7.3 MAT-file, written by a test".ljust(116) + bytes(8) + b"\x00\x02IM"
    with open(path, "r+b") as f:
        f.write(header)


def test_matlab_v73_files_are_read_through_hdf5(tmp_path):
    arrays = _course_arrays()
    _write_v73(tmp_path / "v73.mat", arrays)
    X, y, Xval, yval = load_mat_dataset(tmp_path / "v73.mat")
    np.testing.assert_array_equal(X, arrays["X"])
    np.testing.assert_array_equal(y, arrays["y"].ravel())
    np.testing.assert_array_equal(Xval, arrays["Xval"])
    np.testing.assert_array_equal(yval, arrays["yval"].ravel())


# ---------------------------------------------------------------- errors


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load_mat_dataset: no such file: '.*data\.mat'"):
        load_mat_dataset(tmp_path / "data.mat")


def test_wrong_format(tmp_path):
    (tmp_path / "notmat.mat").write_bytes(b"hello, this is a text file and not a MATLAB file at all" * 4)
    with pytest.raises(ValueError, match=r"load_mat_dataset: '.*notmat\.mat' is not a readable MATLAB \.mat file"):
        load_mat_dataset(tmp_path / "notmat.mat")


def test_missing_keys(tmp_path):
    savemat(tmp_path / "d.mat", {"X": np.ones((3, 2)), "y": np.ones((3, 1))})
    with pytest.raises(ValueError, match=r"load_mat_dataset: '.*d\.mat' has no variable 'Xval', 'yval' \(variables: X, y\)"):
        load_mat_dataset(tmp_path / "d.mat")
    with pytest.raises(ValueError, match="load_mat_dataset: keys must name 4 variables"):
        load_mat_dataset(tmp_path / "d.mat", keys=("X", "y"))


def test_shape_mismatch(tmp_path):
    arrays = _course_arrays()
    arrays["yval"] = np.ones((6, 1))
    savemat(tmp_path / "d.mat", arrays)
    with pytest.raises(ValueError, match=r"load_mat_dataset: in '.*d\.mat', 'Xval' has 7 samples \(shape \(7, 2\)\) but 'yval' has shape \(6, 1\)"):
        load_mat_dataset(tmp_path / "d.mat")
    arrays = _course_arrays()
    arrays["Xval"] = np.ones((7, 3))
    savemat(tmp_path / "d.mat", arrays)
    with pytest.raises(ValueError, match=r"'X' has 2 features but 'Xval' has 3"):
        load_mat_dataset(tmp_path / "d.mat")
    arrays["X"] = np.ones((11, 2, 2))
    savemat(tmp_path / "d.mat", arrays)
    with pytest.raises(ValueError, match=r"'X' should be 2-D \(samples, features\), got shape \(11, 2, 2\)"):
        load_mat_dataset(tmp_path / "d.mat")


def test_v73_header_without_hdf5_body(tmp_path):
    path = tmp_path / "broken.mat"
    path.write_bytes(b"MATLAB 7.3 MAT-file".ljust(116) + bytes(8) + b"\x00\x02IM" + bytes(64))
    with pytest.raises(ValueError, match=r"load_mat_dataset: '.*broken\.mat' claims to be a MATLAB v7.3 file but holds no HDF5 data"):
        load_mat_dataset(path)
