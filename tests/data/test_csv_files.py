"""Numeric CSV loading with a header and a label column, and its errors."""

import numpy as np
import pytest

from scratchdl.data import load_csv


def _write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_label_by_name_index_and_default(tmp_path):
    path = _write(tmp_path, "a, b ,label,c\n1,2,0,3\n4.5,5,1,6\n\n7,8,2,9\n")
    x, y, names = load_csv(path, label_column="label")
    assert names == ["a", "b", "c"]
    assert x.dtype == np.float32 and x.tolist() == [[1, 2, 3], [4.5, 5, 6], [7, 8, 9]]
    assert y.dtype == np.int64 and y.tolist() == [0, 1, 2]
    x2, y2, names2 = load_csv(path, label_column=2)
    np.testing.assert_array_equal(x2, x)
    np.testing.assert_array_equal(y2, y)
    assert names2 == names
    x3, y3, names3 = load_csv(path, dtype="float64")
    assert names3 == ["a", "b", "label"] and y3.tolist() == [3, 6, 9] and x3.dtype == np.float64
    assert load_csv(path, label_column=-4)[1].tolist() == [1, 4.5, 7]


def test_float_labels_and_other_delimiters(tmp_path):
    path = _write(tmp_path, '"size";"price"\n1;2.5\n3;-1e3\n', "houses.csv")
    x, y, names = load_csv(path, label_column="price", delimiter=";")
    assert names == ["size"] and y.dtype == np.float64 and y.tolist() == [2.5, -1000.0]


def test_headerless_file(tmp_path):
    path = _write(tmp_path, "1,2,1\n3,4,0\n")
    x, y, names = load_csv(path, header=False)
    assert names == ["column_0", "column_1"] and x.shape == (2, 2) and y.tolist() == [1, 0]


# ---------------------------------------------------------------- errors


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"load_csv: no such file: '.*absent\.csv'"):
        load_csv(tmp_path / "absent.csv")


def test_non_numeric_cell(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,0\n3,cat,1\n")
    with pytest.raises(ValueError, match=r"load_csv: line 3 of '.*data\.csv', column 'b': expected a number, got 'cat'"):
        load_csv(path)
    path = _write(tmp_path, "a,b,y\n1,,0\n")
    with pytest.raises(ValueError, match=r"line 2 of '.*', column 'b': expected a number, got ''"):
        load_csv(path)
    path = _write(tmp_path, "a,b,y\n1,2,0\n")
    with pytest.raises(ValueError, match=r"line 1 .* column 'column_0': expected a number, got 'a' \(is it a header\? pass header=True\)"):
        load_csv(path, header=False)


def test_ragged_row(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,0\n3,4\n")
    with pytest.raises(ValueError, match=r"load_csv: line 3 of '.*' has 2 values but the header has 3 columns"):
        load_csv(path)


def test_unknown_label_column(tmp_path):
    path = _write(tmp_path, "a,b,y\n1,2,0\n")
    with pytest.raises(ValueError, match=r"load_csv: '.*data\.csv' has no column 'label' \(columns: a, b, y\)"):
        load_csv(path, label_column="label")
    with pytest.raises(ValueError, match="load_csv: label_column 3 is out of range for the 3 columns"):
        load_csv(path, label_column=3)
    with pytest.raises(TypeError, match="load_csv: label_column must be a column name or index, got 1.5"):
        load_csv(path, label_column=1.5)


def test_empty_and_header_only_and_no_header(tmp_path):
    with pytest.raises(ValueError, match=r"load_csv: '.*empty\.csv' is empty"):
        load_csv(_write(tmp_path, "\n", "empty.csv"))
    with pytest.raises(ValueError, match=r"load_csv: '.*' has a header but no data rows"):
        load_csv(_write(tmp_path, "a,b\n"))
    with pytest.raises(ValueError, match=r"load_csv: the first line of '.*' is all numbers, not a header; pass header=False"):
        load_csv(_write(tmp_path, "1,2\n3,4\n"))
    with pytest.raises(ValueError, match=r"load_csv: '.*' has 1 column; expected features and a label column"):
        load_csv(_write(tmp_path, "a\n1\n"))


def test_binary_file(tmp_path):
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(ValueError, match=r"load_csv: '.*image\.csv' is not a text CSV file"):
        load_csv(path)
