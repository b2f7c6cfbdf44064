"""Keras .h5 weights: files Keras 3 writes (legacy ``save_model(m, 'x.h5')`` and
``save_weights('x.weights.h5')``) load into equivalent scratchdl models and give Keras's outputs;
Keras loads the ``.weights.h5`` files scratchdl writes."""

from __future__ import annotations

import os

import h5py
import keras
import numpy as np
import pytest

from scratchdl import layers
from scratchdl.models import Input, Model, Sequential
from scratchdl.saving import load_keras_h5_weights, load_legacy_weights

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore:.*HDF5 file.*legacy")

X = np.random.default_rng(3).normal(size=(7, 4)).astype("float32")


def keras_sequential():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu", name="d1"),
                              keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(3, name="d2")],
                             name="kseq")
    model.compile(optimizer="adam", loss="mse")
    model.fit(X, np.ones((7, 3), "float32"), epochs=2, verbose=0)  # moves the BN statistics
    return model


def scratch_sequential(names=True):
    def name(n):
        return {"name": n} if names else {}

    return Sequential([Input((4,)), layers.Dense(6, activation="relu", **name("d1")),
                       layers.BatchNormalization(**name("bn")), layers.Dense(3, **name("d2"))])


def keras_functional():
    keras.utils.set_random_seed(2)
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    shared = keras.layers.Dense(5, activation="tanh", name="shared")
    merged = keras.layers.Concatenate(name="merge")([shared(a), shared(keras.layers.Dense(4, name="proj")(b))])
    return keras.Model([a, b], [keras.layers.Dense(2, name="main")(merged), keras.layers.Dense(1, name="aux")(merged)])


def scratch_functional():
    a, b = Input((4,), name="a"), Input((4,), name="b")
    shared = layers.Dense(5, activation="tanh", name="shared")
    merged = layers.Concatenate(name="merge")([shared(a), shared(layers.Dense(4, name="proj")(b))])
    return Model([a, b], [layers.Dense(2, name="main")(merged), layers.Dense(1, name="aux")(merged)])


def _keras_out(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


def _ours(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


def _assert_same_outputs(ours, theirs, x):
    for a, b in zip(_ours(ours, x), _keras_out(theirs, x)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("how", ["legacy", "weights"])
def test_keras_sequential_file_gives_keras_outputs(tmp_path, how):
    theirs = keras_sequential()
    path = tmp_path / ("k.h5" if how == "legacy" else "k.weights.h5")
    keras.saving.save_model(theirs, path) if how == "legacy" else theirs.save_weights(path)
    ours = scratch_sequential()
    ours.load_weights(path)
    _assert_same_outputs(ours, theirs, X)
    moving_mean = ours.get_layer("bn").weights[2].numpy()
    assert not np.allclose(moving_mean, 0) and moving_mean.shape == (6,)


@pytest.mark.parametrize("how", ["legacy", "weights"])
def test_keras_functional_file_gives_keras_outputs(tmp_path, how):
    theirs = keras_functional()
    path = tmp_path / ("k.h5" if how == "legacy" else "k.weights.h5")
    keras.saving.save_model(theirs, path) if how == "legacy" else theirs.save_weights(path)
    ours = scratch_functional()
    load_keras_h5_weights(ours, path)
    _assert_same_outputs(ours, theirs, [X, X[::-1].copy()])


def test_legacy_by_order_when_names_differ(tmp_path):
    theirs = keras_sequential()
    keras.saving.save_model(theirs, tmp_path / "k.h5")
    ours = scratch_sequential(names=False)  # dense_7, batch_normalization_2, ...: not the file's names
    ours.load_weights(tmp_path / "k.h5")  # by_name=None: names do not all match, so by order
    _assert_same_outputs(ours, theirs, X)
    with pytest.raises(ValueError, match="layer 'd1' of the file is not a layer of the model"):
        scratch_sequential(names=False).load_weights(tmp_path / "k.h5", by_name=True)


def test_legacy_mismatches_are_all_reported_and_nothing_changes(tmp_path):
    keras.saving.save_model(keras_sequential(), tmp_path / "k.h5")
    ours = Sequential([Input((4,)), layers.Dense(5, name="d1"), layers.BatchNormalization(name="bn"),
                       layers.Dense(3, name="d2"), layers.Dense(2, name="extra")])
    before = ours.get_weights()
    with pytest.raises(ValueError) as info:
        ours.load_weights(tmp_path / "k.h5", by_name=True)
    message = str(info.value)
    assert "layer 'd1': weight 'd1/kernel' has shape (4, 5), the file's 'kseq/d1/kernel' has (4, 6)" in message
    assert "layer 'bn': weight 'bn/gamma' has shape (5,)" in message
    assert "layer 'd2': weight 'd2/kernel' has shape (5, 3), the file's 'kseq/d2/kernel' has (6, 3)" in message
    assert "layer 'extra' of the model has weights but is not in the file" in message
    for a, b in zip(ours.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="the model has 4 layers with weights.*the file has 3"):
        ours.load_weights(tmp_path / "k.h5", by_name=False)


def test_keras2_style_file(tmp_path):
    """The layout of Keras 2 files (e.g. FaceNet's): model_weights/<layer>/<layer>/<name>:0, bytes attributes."""
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(4, 3)).astype("float32"), rng.normal(size=(3,)).astype("float32")
    with h5py.File(tmp_path / "old.h5", "w") as f:
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.array([b"input_1", b"dense_1"])
        group.attrs["keras_version"] = b"2.1.2"
        group.create_group("input_1").attrs["weight_names"] = np.array([], dtype="S1")
        layer = group.create_group("dense_1")
        layer.attrs["weight_names"] = np.array([b"dense_1/kernel:0", b"dense_1/bias:0"])
        layer.create_dataset("dense_1/kernel:0", data=kernel)
        layer.create_dataset("dense_1/bias:0", data=bias)
    ours = Sequential([Input((4,)), layers.Dense(3, name="dense_1")])
    load_legacy_weights(ours, tmp_path / "old.h5", by_name=True)
    np.testing.assert_array_equal(ours.layers[0].kernel.numpy(), kernel)
    np.testing.assert_allclose(ours.predict(X, verbose=0), X @ kernel + bias, rtol=1e-6)


def test_keras_loads_what_scratchdl_writes(tmp_path):
    ours = scratch_functional()
    ours.save_weights(tmp_path / "s.weights.h5")
    theirs = keras_functional()
    theirs.load_weights(tmp_path / "s.weights.h5")
    _assert_same_outputs(ours, theirs, [X, X[::-1].copy()])


def test_subclassed_paths_match_keras(tmp_path):
    class KerasNet(keras.Model):
        def __init__(self):
            super().__init__()
            self.zed = keras.layers.Dense(3)
            self.blocks = [keras.layers.Dense(2), keras.layers.Dense(2)]
            self._hidden = keras.layers.Dense(4)
            self.alpha = keras.layers.Dense(5)

        def call(self, x):
            return self.zed(self.blocks[1](self.blocks[0](self.alpha(self._hidden(x)))))

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.zed = layers.Dense(3)
            self.blocks = [layers.Dense(2), layers.Dense(2)]
            self._hidden = layers.Dense(4)
            self.alpha = layers.Dense(5)

        def call(self, x):
            return self.zed(self.blocks[1](self.blocks[0](self.alpha(self._hidden(x)))))

    theirs, ours = KerasNet(), Net()
    theirs(X), ours(X)
    theirs.save_weights(tmp_path / "k.weights.h5")
    with h5py.File(tmp_path / "k.weights.h5") as f:
        keras_paths = sorted(f"{name}" for name, item in _datasets(f))
    from scratchdl.saving import variable_paths

    assert sorted(path for path, _ in variable_paths(ours)) == keras_paths
    ours.load_weights(tmp_path / "k.weights.h5")
    np.testing.assert_allclose(ours(X).numpy(), theirs(X).detach().numpy(), rtol=1e-5, atol=1e-6)


def _datasets(group):
    found = []
    group.visititems(lambda name, item: found.append((name, item)) if isinstance(item, h5py.Dataset) else None)
    return found


def test_external_links_are_refused(tmp_path):
    with h5py.File(tmp_path / "other.h5", "w") as other:
        other.create_dataset("kernel", data=np.zeros((4, 3), "float32"))
    with h5py.File(tmp_path / "w.weights.h5", "w") as f:
        group = f.create_group("layers/dense/vars")
        group["0"] = h5py.ExternalLink(os.fspath(tmp_path / "other.h5"), "kernel")
        group["1"] = np.zeros((3,), "float32")
    ours = Sequential([Input((4,)), layers.Dense(3)])
    with pytest.raises(ValueError, match="link of type ExternalLink.*external and soft links are refused"):
        ours.load_weights(tmp_path / "w.weights.h5")


def test_keras_archive_loads_with_its_optimizer_state(tmp_path):
    theirs = keras_sequential()  # compiled with Adam and trained for 2 epochs (2 steps)
    theirs.save(tmp_path / "k.keras")
    from scratchdl.models import load_model

    ours = load_model(tmp_path / "k.keras")
    assert ours.compiled and type(ours.optimizer).__name__ == "Adam" and ours.optimizer.iterations == 2
    _assert_same_outputs(ours, theirs, X)
    for ours_var, theirs_var in zip(ours.optimizer.variables, theirs.optimizer.variables):
        np.testing.assert_allclose(np.asarray(ours_var), keras.ops.convert_to_numpy(theirs_var), rtol=1e-6)


def test_nested_model_paths_match_keras(tmp_path):
    keras.utils.set_random_seed(4)
    k_inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"), keras.layers.Dense(3)])
    k_in = keras.Input((4,))
    theirs = keras.Model(k_in, keras.layers.Dense(2)(k_inner(k_in)))
    theirs.save_weights(tmp_path / "k.weights.h5")
    s_inner = Sequential([Input((4,)), layers.Dense(3, activation="relu"), layers.Dense(3)])
    s_in = Input((4,))
    ours = Model(s_in, layers.Dense(2)(s_inner(s_in)))
    ours.load_weights(tmp_path / "k.weights.h5")
    _assert_same_outputs(ours, theirs, X)


def test_h5_errors_name_the_function_called_and_what_was_expected(tmp_path):
    ours = Sequential([Input((4,)), layers.Dense(3, name="dense_1")])
    with h5py.File(tmp_path / "no_names.h5", "w") as f:
        f.create_group("model_weights").attrs["keras_version"] = b"2.1.2"
    with pytest.raises(ValueError, match=r"^load_weights: '.*no_names\.h5' is not a Keras weights file: expected "
                                         r"a 'layer_names' attribute on '/model_weights', found attributes "
                                         r"\['keras_version'\]$"):
        ours.load_weights(tmp_path / "no_names.h5")
    with h5py.File(tmp_path / "text.h5", "w") as f:
        group = f.create_group("model_weights")
        group.attrs["layer_names"] = np.array([b"dense_1"])
        layer = group.create_group("dense_1")
        layer.attrs["weight_names"] = np.array([b"kernel", b"bias"])
        layer.create_dataset("kernel", data=np.array([b"text"]))
        layer.create_group("bias")
    with pytest.raises(ValueError, match=r"^load_weights: '.*text\.h5': '/model_weights/dense_1/kernel' has dtype "
                                         r"\|S4, expected a numeric \(bool, integer or float\) array$"):
        ours.load_weights(tmp_path / "text.h5")
    with h5py.File(tmp_path / "text.h5", "a") as f:
        del f["model_weights/dense_1/kernel"]
        f["model_weights/dense_1"].create_dataset("kernel", data=np.zeros((4, 3), "float32"))
    with pytest.raises(ValueError, match=r"^load_legacy_weights: '.*text\.h5': '/model_weights/dense_1/bias' "
                                         r"should be a weight dataset, got an HDF5 Group$"):
        load_legacy_weights(ours, tmp_path / "text.h5")
    unbuilt = Sequential([layers.Dense(3)])
    with pytest.raises(ValueError, match=r"^load_legacy_weights: model '.*' has not been built yet"):
        load_legacy_weights(unbuilt, tmp_path / "text.h5")
    (tmp_path / "plain.txt").write_text("not hdf5")
    with pytest.raises(OSError, match=r"^load_keras_h5_weights: '.*plain\.txt': cannot be opened as an HDF5 "
                                      r"file \(expected Keras \.h5 weights\)"):
        load_keras_h5_weights(ours, tmp_path / "plain.txt")
    with pytest.raises(FileNotFoundError, match=r"^load_keras_h5_weights: '.*absent\.h5': cannot be opened"):
        load_keras_h5_weights(ours, tmp_path / "absent.h5")  # still a FileNotFoundError


def test_keras3_reader_refuses_the_legacy_layout_by_name(tmp_path):
    from scratchdl.saving.keras_h5 import read_keras3_weights

    keras.saving.save_model(keras_sequential(), tmp_path / "k.h5")
    with pytest.raises(ValueError, match=r"^read_keras3_weights: '.*k\.h5' has the legacy Keras layout "
                                         r"\(layer_names\), expected the Keras 3 layout"):
        read_keras3_weights(tmp_path / "k.h5")
