"""Loading validates every weight's path and shape first and reports every mismatch at once."""

from __future__ import annotations

import re
import zipfile

import numpy as np
import pytest

from scratchdl import backend
from scratchdl.layers import Dense
from scratchdl.models import Input, Sequential
from scratchdl.saving.weights_io import collect_weights, write_npz, write_safetensors
from tests.saving.models import sequential


def _mismatched_model():
    backend.set_random_seed(9)
    # First Dense has 7 units instead of 8 (two shapes differ there and in the next kernel) and
    # a third Dense exists that the file does not have.
    return Sequential([Input((3,)), Dense(7, activation="relu"), Dense(2), Dense(1)])


@pytest.mark.parametrize("name", ["w.weights.safetensors", "w.npz", "w.weights.h5", "m.keras"])
def test_every_mismatch_in_one_error_and_nothing_changed(tmp_path, name):
    source = sequential()
    path = tmp_path / name
    source.save(path) if name.endswith(".keras") else source.save_weights(path)
    target = _mismatched_model()
    before = target.get_weights()
    with pytest.raises(ValueError) as info:
        target.load_weights(path)
    message = str(info.value)
    assert "5 problem(s)" in message and "Nothing was changed" in message
    assert re.search(r"'layers/dense/vars/0' \(dense(_\d+)?/kernel\): the model has shape \(3, 7\), the file has \(3, 8\)", message)
    assert "'layers/dense/vars/1'" in message and "shape (7,), the file has (8,)" in message
    assert "'layers/dense_1/vars/0'" in message and "the model has shape (7, 2), the file has (8, 2)" in message
    assert re.search(r"'layers/dense_2/vars/0' \(dense_\d+/kernel\) with shape \(2, 1\) is missing from the file", message)
    assert "'layers/dense_2/vars/1'" in message
    for a, b in zip(target.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_unexpected_entries_are_reported(tmp_path):
    model = sequential()
    arrays = {f"layers/dense/vars/{i}": w for i, w in enumerate(model.layers[0].get_weights())}
    arrays.update({f"layers/dense_1/vars/{i}": w for i, w in enumerate(model.layers[1].get_weights())})
    arrays["layers/extra/vars/0"] = np.zeros((4,), "float32")
    write_safetensors(tmp_path / "w.safetensors", arrays)
    with pytest.raises(ValueError, match=r"1 problem\(s\):\n  - 'layers/extra/vars/0' with shape \(4,\) is in the file but not in the model"):
        model.load_weights(tmp_path / "w.safetensors")


def test_skip_mismatch_loads_the_rest_with_a_warning(tmp_path):
    source = sequential(seed=0)
    source.save_weights(tmp_path / "w.npz")
    backend.set_random_seed(4)
    target = Sequential([Input((3,)), Dense(8, activation="relu"), Dense(3)])
    before_last = [w.copy() for w in target.layers[1].get_weights()]
    with pytest.warns(UserWarning, match="(?s)2 problem.*skipped"):
        target.load_weights(tmp_path / "w.npz", skip_mismatch=True)
    for a, b in zip(target.layers[0].get_weights(), source.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(target.layers[1].get_weights(), before_last):
        np.testing.assert_array_equal(a, b)


def test_non_numeric_arrays_are_refused(tmp_path):
    model = sequential()
    arrays = {f"layers/dense/vars/{i}": w for i, w in enumerate(model.layers[0].get_weights())}
    arrays.update({f"layers/dense_1/vars/{i}": w for i, w in enumerate(model.layers[1].get_weights())})
    arrays["layers/dense_1/vars/1"] = np.array(["a", "b"])
    with pytest.raises(ValueError, match="only numbers are saved"):
        write_npz(tmp_path / "w.npz", arrays)
    np.savez(tmp_path / "w.npz", **arrays)
    with pytest.raises(ValueError, match=r"'layers/dense_1/vars/1' \(.*bias\) has dtype <U1, which cannot become float32"):
        model.load_weights(tmp_path / "w.npz")


def test_unbuilt_model_and_unknown_format(tmp_path):
    sequential().save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match="has not been built yet.*model.build"):
        Sequential([Dense(2)]).load_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match="must end in one of"):
        sequential().save_weights(tmp_path / "w.pt")
    (tmp_path / "w.txt").write_text("hello")
    with pytest.raises(ValueError, match="not in a format scratchdl reads"):
        sequential().load_weights(tmp_path / "w.txt")
    with pytest.raises(ValueError, match="has not been built yet"):
        Sequential([Dense(2)]).save_weights(tmp_path / "u.npz")


def test_optimizer_of_another_kind_is_skipped_with_a_warning(tmp_path):
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    source = sequential()
    source.compile(optimizer="adam", loss="mse")
    source.fit(x, y, verbose=0)
    source.save_weights(tmp_path / "w.weights.safetensors")
    target = sequential(seed=2)
    target.compile(optimizer="sgd", loss="mse")
    with pytest.warns(UserWarning, match="(?s)Skipping variable loading for optimizer .sgd..*2 variables.*10 variables"):
        target.load_weights(tmp_path / "w.weights.safetensors")
    for a, b in zip(target.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bad_optimizer_variable_fails_the_load_before_any_weight_changes(tmp_path):
    # Optimizer variables used to be checked for shape only: a non-numeric one ("x") failed
    # inside optimizer.load_own_variables, after the model's weights had been assigned (and "7"
    # was silently cast to 7).
    x, y = np.ones((8, 3), "float32"), np.zeros((8, 2), "float32")
    source = sequential(seed=0)
    source.compile(optimizer="sgd", loss="mse")
    source.fit(x, y, verbose=0)
    arrays, _ = collect_weights(source)
    assert "optimizer/vars/0" in arrays
    arrays["optimizer/vars/0"] = np.array("x")  # iterations, as text: the shape is right
    np.savez(tmp_path / "w.npz", **arrays)
    target = sequential(seed=1)
    target.compile(optimizer="sgd", loss="mse")
    target.optimizer.build(target.trainable_weights)
    before = target.get_weights()
    optimizer_before = [np.array(v) for v in target.optimizer.variables]
    with pytest.raises(ValueError, match=r"w\.npz' into model '.*': 1 problem\(s\):\n  - optimizer variable 0 "
                                         r"of '.*' has dtype <U1, which cannot become int64 \(expected a "
                                         r"bool, integer or float array\)\nNothing was changed"):
        target.load_weights(tmp_path / "w.npz")
    for a, b in zip(target.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(target.optimizer.variables, optimizer_before):
        np.testing.assert_array_equal(np.array(a), b)
    with pytest.warns(UserWarning, match="(?s)optimizer variable 0 .* has dtype <U1.*skipped"):
        target.load_weights(tmp_path / "w.npz", skip_mismatch=True)
    for a, b in zip(target.get_weights(), source.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert int(np.array(target.optimizer.variables[0])) == 0


def test_load_errors_name_load_weights_and_the_file(tmp_path):
    source = sequential()
    source.save_weights(tmp_path / "w.npz")
    target = _mismatched_model()
    with pytest.raises(ValueError, match=r"^load_weights: cannot load the weights from '.*w\.npz' into model "
                                         r"'.*': 5 problem\(s\):\n"):
        target.load_weights(tmp_path / "w.npz")
    with pytest.warns(UserWarning, match=r"^load_weights: cannot load the weights from '.*w\.npz'"):
        target.load_weights(tmp_path / "w.npz", skip_mismatch=True)
    with pytest.raises(ValueError, match=r"^load_weights: model '.*' has not been built yet, so it has no "
                                         r"weights to load into \(expected a built model\)\. Build it first"):
        Sequential([Dense(2)]).load_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match=r"^load_weights: arguments not recognized: \['strict'\] \(expected "
                                         r"only skip_mismatch, by_name\)$"):
        source.load_weights(tmp_path / "w.npz", strict=True)
    with pytest.raises(FileNotFoundError, match=r"^load_weights: no file found at '.*nope\.npz'"):
        source.load_weights(tmp_path / "nope.npz")
    (tmp_path / "w.txt").write_text("hello")
    with pytest.raises(ValueError, match=r"^load_weights: the file '.*w\.txt' is not in a format scratchdl "
                                         r"reads \(expected .*\); it starts with b'hello'$"):
        source.load_weights(tmp_path / "w.txt")
    np.save(tmp_path / "a.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"^load_weights: '.*a\.npy' holds a single \.npy array, not a weights "
                                         r"file \(expected \.safetensors, \.npz"):
        source.load_weights(tmp_path / "a.npy")
    # A damaged zip keeps its exception type (zipfile.BadZipFile) and now names the call and file.
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(zipfile.BadZipFile, match=r"^load_weights: '.*cut\.npz' starts like a zip file but is "
                                                 r"not a valid one \(expected a \.keras archive or \.npz\)"):
        source.load_weights(tmp_path / "cut.npz")
    (tmp_path / "short.safetensors").write_bytes((2).to_bytes(8, "little") + b"{}")
    before = source.get_weights()
    with pytest.raises(ValueError, match=r"^load_weights: cannot load the weights from '.*short\.safetensors'"
                                         r".*4 problem\(s\)"):
        source.load_weights(tmp_path / "short.safetensors")  # an empty file: every weight is missing
    for a, b in zip(source.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_save_weights_errors_name_save_weights(tmp_path):
    model = sequential()
    with pytest.raises(ValueError, match=r"^save_weights: sharded weight files are not supported \(expected "
                                         r"max_shard_size=None, got max_shard_size=5\)$"):
        model.save_weights(tmp_path / "w.npz", max_shard_size=5)
    with pytest.raises(ValueError, match=r"^save_weights: arguments not recognized: \['format'\] \(expected "
                                         r"only overwrite, max_shard_size=None\)$"):
        model.save_weights(tmp_path / "w.npz", format="h5")
    with pytest.raises(ValueError, match=r"^save_weights: model '.*' has not been built yet, so it has no "
                                         r"weights to save\. Try building the model first"):
        Sequential([Dense(2)]).save_weights(tmp_path / "u.npz")
    with pytest.raises(ValueError, match=r"^save_weights: 'text' has dtype <U1; only numbers are saved to "
                                         r"\.npz \(expected a bool, integer or float array\)$"):
        write_npz(tmp_path / "w.npz", {"text": np.array(["a"])})
    assert not (tmp_path / "w.npz").exists()
