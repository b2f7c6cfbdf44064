"""scikit-learn's bundled 8x8 digits, read without importing scikit-learn."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from scratchdl.data import digits_path, load_digits


@pytest.fixture(scope="module")
def sklearn_installed():
    if importlib.util.find_spec("sklearn") is None:
        pytest.fail("scikit-learn is not installed: pip install scikit-learn (it is in the 'test' extra)")


def test_shapes_values_and_labels(sklearn_installed):
    x, y = load_digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0 and x.max() == 16 and np.all(x == np.round(x))
    assert np.array_equal(np.unique(y), np.arange(10))
    assert y[:10].tolist() == list(range(10))
    images, labels = load_digits(as_images=True)
    assert images.shape == (1797, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), x)
    np.testing.assert_array_equal(labels, y)


def test_same_data_as_scikit_learn(sklearn_installed):
    from sklearn.datasets import load_digits as sklearn_load_digits

    reference = sklearn_load_digits()
    x, y = load_digits()
    np.testing.assert_array_equal(x, reference.data)
    np.testing.assert_array_equal(y, reference.target)


def test_does_not_import_sklearn(sklearn_installed):
    code = "import sys; from scratchdl.data import load_digits; load_digits(); print('sklearn' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
    assert digits_path().name == "digits.csv.gz"


def test_missing_scikit_learn_names_the_install_command(monkeypatch):
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    with pytest.raises(ModuleNotFoundError, match="load_digits: .* scikit-learn, which is not installed: pip install scikit-learn"):
        load_digits()
