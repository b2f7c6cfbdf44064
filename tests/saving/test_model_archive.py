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
    with pytest.raises(ValueError, match=r"^load_model: '.*w\.weights\.h5' is a Keras HDF5 file, not a .keras model archive \(expected a "
                                         r"zip file with config\.json\)\. It holds weights only: rebuild the model "
                                         r"and call model\.load_weights\.$"):
        load_model(tmp_path / "w.weights.h5")
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.keras")


def test_save_model_errors_name_save_model_and_what_was_expected(tmp_path):
    model = sequential()
    # Keras's own words after the function's name.
    with pytest.raises(ValueError, match=r"^save_model: Invalid filepath extension for saving\. Please add a "
                                         r"`\.keras` extension to the filepath\. Received: filepath=.*m\.pt\.$"):
        model.save(tmp_path / "m.pt")
    with pytest.raises(ValueError, match=r"^save_model: scratchdl only writes the zipped \.keras archive "
                                         r"\(expected zipped=True, got zipped=False\)$"):
        model.save(tmp_path / "m.keras", zipped=False)
    with pytest.raises(ValueError, match=r"^save_model: arguments not recognized: \['format'\] \(expected only "
                                         r"overwrite, zipped, include_optimizer\)$"):
        model.save(tmp_path / "m.keras", format="tf")
    with pytest.warns(UserWarning, match=r"^save_model: you are saving model '.*', which has not been built"):
        Sequential([]).save(tmp_path / "empty.keras")


def test_unserializable_config_value_names_save_model_and_the_type(tmp_path):
    from scratchdl.layers import Dense
    from scratchdl.models import Input

    class Odd(Dense):
        def get_config(self):
            return {**super().get_config(), "thing": object()}

    model = Sequential([Input((3,)), Odd(2)], name="odd_model")
    with pytest.raises(TypeError, match=r"^save_model: cannot save model 'odd_model': a config value of type "
                                        r"object cannot be stored in a JSON config \(expected numbers, "
                                        r"strings, booleans, None, lists or dicts\)"):
        model.save(tmp_path / "odd.keras")
    assert not (tmp_path / "odd.keras").exists()


def test_load_model_errors_name_load_model_and_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"^load_model: no file found at '.*missing\.keras' \(the path "
                                                r"does not exist\)$"):
        load_model(tmp_path / "missing.keras")
    with pytest.raises(FileNotFoundError, match=r"\(the path is a directory, not a file\)$"):
        load_model(tmp_path)
    (tmp_path / "notes.keras").write_text("just text")
    with pytest.raises(ValueError, match=r"^load_model: the file '.*notes\.keras' is not in a format scratchdl "
                                         r"reads \(expected a \.keras archive, \.safetensors, \.npz or Keras \.h5 "
                                         r"file\); it starts with b'just tex'$"):
        load_model(tmp_path / "notes.keras")
    sequential().save_weights(tmp_path / "w.safetensors")
    with pytest.raises(ValueError, match=r"^load_model: '.*w\.safetensors' is a \.safetensors weights file, not "
                                         r"a \.keras model archive .* rebuild the model and call"):
        load_model(tmp_path / "w.safetensors")
    (tmp_path / "cut.keras").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match=r"^load_model: '.*cut\.keras' is not a \.keras archive \(expected a "
                                         r"zip file\)$"):
        load_model(tmp_path / "cut.keras")


def _archive(path, **members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name.replace("__", "."), data)
    return path


def test_damaged_archive_errors_say_what_was_expected(tmp_path):
    with pytest.raises(ValueError, match=r"^load_model: '.*a\.keras': config\.json is not valid JSON "
                                         r"\(Expecting property name"):
        load_model(_archive(tmp_path / "a.keras", config__json="{oops"))
    with pytest.raises(ValueError, match=r"^load_model: '.*b\.keras': config\.json must hold a config dict, got "
                                         r"a JSON list$"):
        load_model(_archive(tmp_path / "b.keras", config__json="[1, 2]"))
    with pytest.raises(ValueError, match=r"^load_model: '.*c\.keras' holds no weights: expected a "
                                         r"model\.weights\.safetensors or model\.weights\.h5 member, found "
                                         r"\['config\.json'\]$"):
        load_model(_archive(tmp_path / "c.keras", config__json="{}"))
    header = b"[1, 2]"
    with pytest.raises(ValueError, match=r"^load_model: '.*d\.keras' \(model\.weights\.safetensors\): the "
                                         r"safetensors header must be a JSON object, got a JSON list$"):
        load_model(_archive(tmp_path / "d.keras", config__json="{}",
                            model__weights__safetensors=len(header).to_bytes(8, "little") + header))
    with pytest.raises(ValueError, match=r"^load_model: '.*e\.keras' \(model\.weights\.safetensors\) is too "
                                         r"short to be a safetensors file: 3 bytes, expected at least 8"):
        load_model(_archive(tmp_path / "e.keras", config__json="{}", model__weights__safetensors="abc"))
    # The same damage reached through load_weights is reported under load_weights.
    with pytest.raises(ValueError, match=r"^load_weights: '.*a\.keras': config\.json is not valid JSON"):
        sequential().load_weights(tmp_path / "a.keras")
