"""model.save / load_model round trips: Sequential, functional (shared layer, 2 in / 2 out) and a
registered subclassed model give equal outputs, configs and weights; the archive's layout."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest

from scratchdl import saving
from scratchdl.models import Sequential, load_model
from scratchdl.saving.weights_io import read_safetensors
from tests.saving.models import Tower, inputs_for, sequential, tower, two_in_two_out

BUILDERS = {"sequential": sequential, "functional": two_in_two_out, "subclassed": tower}


def _as_json(config):
    """The config as it is stored (JSON has lists, not tuples)."""
    return json.loads(json.dumps(config))


def _outputs(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_round_trip_outputs_weights_config(tmp_path, kind):
    model = BUILDERS[kind]()
    x = inputs_for(model)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = load_model(path)
    assert type(loaded) is type(model)
    assert _as_json(loaded.get_config()) == _as_json(model.get_config())
    assert [w.shape for w in loaded.weights] == [w.shape for w in model.weights]
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(_outputs(loaded, x), _outputs(model, x)):
        np.testing.assert_array_equal(a, b)
    assert not loaded.compiled


def test_functional_structure_survives(tmp_path):
    model = two_in_two_out()
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert [layer.name for layer in loaded.layers] == [layer.name for layer in model.layers]
    shared = loaded.get_layer("shared")
    assert len(shared._inbound_nodes) == 2  # still one layer called twice
    assert loaded.output_names == ["out_main", "out_aux"]


def test_archive_layout(tmp_path):
    model = sequential()
    model.compile(optimizer="adam", loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert names == {"config.json", "metadata.json", "model.weights.safetensors", "optimizer.safetensors"}
        assert all(info.compress_type == zipfile.ZIP_STORED for info in archive.infolist())
        config = json.loads(archive.read("config.json"))
        metadata = json.loads(archive.read("metadata.json"))
        weights, header = read_safetensors(archive.read("model.weights.safetensors"), "weights")
        state, _ = read_safetensors(archive.read("optimizer.safetensors"), "optimizer")
    assert set(config) >= {"module", "class_name", "config", "registered_name", "compile_config"}
    assert config["class_name"] == "Sequential" and config["compile_config"]["loss"] == "mse"
    assert metadata["format"] == "scratchdl.keras" and metadata["scratchdl_version"]
    assert sorted(weights) == ["layers/dense/vars/0", "layers/dense/vars/1",
                               "layers/dense_1/vars/0", "layers/dense_1/vars/1"]
    assert json.loads(header["paths"])["layers/dense_1/vars/0"] == model.layers[1].kernel.path
    assert set(state) == set(model.optimizer.get_state())
    assert int(state["iterations"]) == 1


def test_compiled_model_comes_back_compiled(tmp_path):
    model = two_in_two_out()
    model.compile(optimizer="rmsprop", loss=["mse", "mae"], loss_weights=[1.0, 0.5], metrics=[["mae"], []])
    x = inputs_for(model)
    y = [np.ones((6, 2), "float32"), np.zeros((6, 1), "float32")]
    model.fit(x, y, epochs=2, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.compiled and type(loaded.optimizer).__name__ == "RMSprop"
    assert loaded.evaluate(x, y, verbose=0, return_dict=True) == model.evaluate(x, y, verbose=0, return_dict=True)
    for name, value in model.optimizer.get_state().items():
        np.testing.assert_array_equal(loaded.optimizer.get_state()[name], value)
    uncompiled = load_model(tmp_path / "m.keras", compile=False)
    assert not uncompiled.compiled


def test_subclassed_needs_registration_or_custom_objects(tmp_path):
    model = tower()
    model.save(tmp_path / "t.keras")
    config = json.loads(zipfile.ZipFile(tmp_path / "t.keras").read("config.json"))
    assert config["registered_name"] == "scratchdl_tests>Tower"
    assert saving.get_registered_object("scratchdl_tests>Tower") is Tower
    # Without the registry entry the class must come from custom_objects.
    registry = saving.get_custom_objects()
    entry = registry.pop("scratchdl_tests>Tower")
    try:
        with pytest.raises(ValueError, match="unknown layer class 'Tower'"):
            load_model(tmp_path / "t.keras")
        loaded = load_model(tmp_path / "t.keras", custom_objects={"Tower": Tower})
        assert isinstance(loaded, Tower) and loaded.units == 5
    finally:
        registry["scratchdl_tests>Tower"] = entry


def test_loading_does_not_move_the_random_generator(tmp_path):
    from scratchdl import backend

    sequential(dropout=0.5).save(tmp_path / "m.keras")
    backend.set_random_seed(3)
    expected = backend.random_generator().random(4)
    backend.set_random_seed(3)
    load_model(tmp_path / "m.keras")
    np.testing.assert_array_equal(backend.random_generator().random(4), expected)


def test_wrong_extension_and_unbuilt_model(tmp_path):
    model = sequential()
    with pytest.raises(ValueError, match="add a `.keras` extension.*save_weights"):
        model.save(tmp_path / "m.h5")
    with pytest.warns(UserWarning, match="not been built"):
        Sequential([]).save(tmp_path / "empty.keras")


def test_overwrite_false(tmp_path):
    model = sequential()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="already exists"):
        model.save(tmp_path / "m.keras", overwrite=False)


def test_load_model_rejects_other_files(tmp_path):
    (tmp_path / "notes.keras").write_text("just text")
    with pytest.raises(ValueError, match="not in a format scratchdl reads"):
        load_model(tmp_path / "notes.keras")
    sequential().save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="Keras HDF5 file: rebuild the model and call model.load_weights"):
        load_model(tmp_path / "w.weights.h5")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.keras")
