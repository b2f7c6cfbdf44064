"""HDF5 loaders on files laid out as the course's (written here with h5py), and their errors."""

import h5py
import numpy as np
import pytest

from scratchdl.data import find_xy_pairs, load_h5_dataset, load_hdf5, load_hdf5_splits

RNG = np.random.default_rng(0)


def _images(n, size=8):
    return RNG.integers(0, 256, (n, size, size, 3), dtype=np.uint8)


@pytest.fixture()
def course_files(tmp_path):
    """train_catvnoncat.h5 / test_catvnoncat.h5 in miniature: same names, dtypes and layout."""
    data = {"train": (_images(9), RNG.integers(0, 2, 9)), "test": (_images(4), RNG.integers(0, 2, 4))}
    paths = {}
    for split, (x, y) in data.items():
        paths[split] = tmp_path / f"{split}_catvnoncat.h5"
        with h5py.File(paths[split], "w") as f:
            f.create_dataset(f"{split}_set_x", data=x)
            f.create_dataset(f"{split}_set_y", data=y)
            f.create_dataset("list_classes", data=np.array([b"non-cat", b"cat"], dtype="S7"))
    return paths, data


def test_course_dataset(course_files):
    paths, data = course_files
    (x_train, y_train), (x_test, y_test), classes = load_h5_dataset(paths["train"], paths["test"])
    assert classes == ["non-cat", "cat"]
    assert x_train.dtype == np.uint8 and x_train.shape == (9, 8, 8, 3)
    assert y_train.shape == (9,) and y_test.shape == (4,)
    np.testing.assert_array_equal(x_train, data["train"][0])
    np.testing.assert_array_equal(y_train, data["train"][1])
    np.testing.assert_array_equal(x_test, data["test"][0])
    np.testing.assert_array_equal(y_test, data["test"][1])


def test_load_hdf5_single_pair(course_files):
    paths, data = course_files
    x, y, classes = load_hdf5(paths["test"])
    np.testing.assert_array_equal(x, data["test"][0])
    np.testing.assert_array_equal(y, data["test"][1])
    assert classes == ["non-cat", "cat"]
    assert load_hdf5(paths["test"], classes_key=None)[2] is None


def test_labels_stored_as_row_vector_are_flattened(tmp_path):
    path = tmp_path / "row.h5"
    with h5py.File(path, "w") as f:
        f["train_set_x"] = _images(5)
        f["train_set_y"] = np.arange(5).reshape(1, 5)  # the course's (1, m) layout
    x, y, classes = load_hdf5(path)
    assert y.tolist() == [0, 1, 2, 3, 4] and classes is None


def test_signs_style_file_with_several_pairs_and_int_classes(tmp_path):
    path = tmp_path / "signs.h5"
    with h5py.File(path, "w") as f:
        f["X_train"], f["Y_train"] = _images(6), np.arange(6).reshape(6, 1)
        f["X_test"], f["Y_test"] = _images(2), np.array([[3], [5]])
        f["list_classes"] = np.arange(6)
    splits, classes = load_hdf5_splits(path)
    assert sorted(splits) == ["test", "train"]
    assert splits["train"][1].tolist() == list(range(6)) and splits["test"][1].tolist() == [3, 5]
    assert classes == ["0", "1", "2", "3", "4", "5"]
    x, y, _ = load_hdf5(path, split="TEST")
    assert x.shape == (2, 8, 8, 3) and y.tolist() == [3, 5]
    # a single file holding both splits also works as both arguments of load_h5_dataset
    (x_train, _), (x_test, _), _ = load_h5_dataset(path, path)
    assert x_train.shape[0] == 6 and x_test.shape[0] == 2


def test_variable_length_string_classes_and_groups(tmp_path):
    path = tmp_path / "grouped.h5"
    with h5py.File(path, "w") as f:
        f["fold1/x_valid"], f["fold1/y_valid"] = np.ones((3, 2)), np.array([1.0, 0.0, 1.0])
        f.create_dataset("names", data=["zero", "one"], dtype=h5py.string_dtype())
    x, y, classes = load_hdf5(path, classes_key="names")
    assert x.shape == (3, 2) and y.tolist() == [1.0, 0.0, 1.0] and classes == ["zero", "one"]
    assert list(load_hdf5_splits(path)[0]) == ["fold1/valid"]


def test_multi_column_targets_are_kept(tmp_path):
    path = tmp_path / "boxes.h5"
    with h5py.File(path, "w") as f:
        f["x"], f["y"] = _images(4), np.zeros((4, 5))
    assert load_hdf5(path)[1].shape == (4, 5)


def test_explicit_keys(tmp_path):
    path = tmp_path / "odd.h5"
    with h5py.File(path, "w") as f:
        f["pictures"], f["targets"] = _images(3), np.array([2, 0, 1])
    x, y, _ = load_hdf5(path, x_key="pictures", y_key="targets")
    assert x.shape == (3, 8, 8, 3) and y.tolist() == [2, 0, 1]
    with pytest.raises(ValueError, match="load_hdf5: pass both x_key and y_key, or neither"):
        load_hdf5(path, x_key="pictures")
    with pytest.raises(ValueError, match=r"load_hdf5: '.*odd\.h5' has no dataset 'labels' \(datasets: pictures, targets\)"):
        load_hdf5(path, x_key="pictures", y_key="labels")


def test_find_xy_pairs():
    names = ["train_set_x", "train_set_y", "X_test", "Y_test", "x", "y", "lonely_x", "list_classes", "g/x_a", "g/y_a"]
    assert find_xy_pairs(names) == {
        "train_set": ("train_set_x", "train_set_y"),
        "test": ("X_test", "Y_test"),
        "": ("x", "y"),
        "g/a": ("g/x_a", "g/y_a"),
    }
    with pytest.raises(ValueError, match="find_xy_pairs: both 'train_x' and 'x_train' look like the x of pair 'train'"):
        find_xy_pairs(["train_x", "x_train", "train_y"])


# ---------------------------------------------------------------- errors


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load_hdf5: no such file: '.*absent\.h5'"):
        load_hdf5(tmp_path / "absent.h5")
    with pytest.raises(FileNotFoundError, match=r"load_hdf5_splits: no such file: '.*absent\.h5'"):
        load_h5_dataset(tmp_path / "absent.h5", tmp_path / "absent.h5")


def test_wrong_format(tmp_path):
    path = tmp_path / "fake.h5"
    path.write_text("this is not HDF5\n")
    with pytest.raises(ValueError, match=r"load_hdf5: '.*fake\.h5' is not an HDF5 file"):
        load_hdf5(path)


def test_missing_dataset_keys(tmp_path):
    path = tmp_path / "nokeys.h5"
    with h5py.File(path, "w") as f:
        f["train_set_x"], f["list_classes"] = _images(2), np.array([b"a"])
    with pytest.raises(ValueError, match=r"load_hdf5: '.*nokeys\.h5' has no x/y dataset pairs \(datasets: list_classes, train_set_x\)"):
        load_hdf5(path)


def test_shape_mismatch_between_x_and_y(tmp_path):
    path = tmp_path / "mismatch.h5"
    with h5py.File(path, "w") as f:
        f["train_set_x"], f["train_set_y"] = _images(5), np.arange(4)
    with pytest.raises(
        ValueError,
        match=r"load_hdf5: in '.*mismatch\.h5', 'train_set_x' has 5 samples \(shape \(5, 8, 8, 3\)\) but 'train_set_y' has shape \(4,\)",
    ):
        load_hdf5(path)


def test_ambiguous_and_unknown_split(tmp_path):
    path = tmp_path / "two.h5"
    with h5py.File(path, "w") as f:
        f["a_x"], f["a_y"], f["b_x"], f["b_y"] = _images(1), [0], _images(1), [1]
    with pytest.raises(ValueError, match=r"load_hdf5: '.*two\.h5' holds several x/y pairs \(a, b\); pass split="):
        load_hdf5(path)
    with pytest.raises(ValueError, match=r"load_hdf5: '.*two\.h5' has no x/y pair named 'c' \(pairs: a, b\)"):
        load_hdf5(path, split="c")
    with pytest.raises(ValueError, match=r"load_h5_dataset: cannot tell which pair of '.*two\.h5' is the train set \(pairs: a, b\)"):
        load_h5_dataset(path, path)


def test_course_dataset_consistency_errors(course_files, tmp_path):
    paths, _ = course_files
    other = tmp_path / "test_other.h5"
    with h5py.File(other, "w") as f:
        f["test_set_x"], f["test_set_y"] = _images(2, size=4), [0, 1]
    with pytest.raises(ValueError, match=r"training samples of '.*' have shape \(8, 8, 3\) but test samples of '.*' have shape \(4, 4, 3\)"):
        load_h5_dataset(paths["train"], other)
    with h5py.File(other, "w") as f:
        f["test_set_x"], f["test_set_y"] = _images(2), [0, 1]
        f["list_classes"] = np.array([b"dog", b"cat"])
    with pytest.raises(ValueError, match=r"class names differ: '.*' has \['non-cat', 'cat'\], '.*' has \['dog', 'cat'\]"):
        load_h5_dataset(paths["train"], other)


def test_damaged_hdf5_file_names_the_file(tmp_path):
    import h5py

    from scratchdl.data.hdf5 import load_hdf5

    path = tmp_path / "damaged.h5"
    with h5py.File(path, "w") as handle:
        handle["train_set_x"] = np.zeros((2, 4, 4, 3), dtype="uint8")
        handle["train_set_y"] = np.zeros(2, dtype="int64")
    raw = bytearray(path.read_bytes())
    raw[8:24] = b"\xff" * 16  # corrupt the superblock after the signature
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="damaged.h5"):
        load_hdf5(path)
