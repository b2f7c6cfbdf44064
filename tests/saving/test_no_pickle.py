"""No pickle, no code: pickle payloads are refused, lambdas cannot be saved, registered
functions can."""

from __future__ import annotations

import pickle
import zipfile

import numpy as np
import pytest

from scratchdl.layers import Dense, Lambda
from scratchdl.models import Input, Sequential, load_model
from scratchdl.saving import register_keras_serializable
from tests.saving.models import sequential


class Exploit:
    def __reduce__(self):
        return (print, ("this must never run",))


def test_raw_pickle_is_refused_whatever_its_name(tmp_path, capsys):
    payload = pickle.dumps({"layers/dense/vars/0": Exploit()})
    for name in ("m.keras", "w.safetensors", "w.npz", "w.weights.h5"):
        (tmp_path / name).write_bytes(payload)
        caller = "load_model" if name.endswith(".keras") else "load_weights"
        with pytest.raises(ValueError, match=rf"^{caller}: the file '.*{name}' is a Python pickle\. scratchdl "
                                             r"never unpickles"):
            if name.endswith(".keras"):
                load_model(tmp_path / name)
            else:
                sequential().load_weights(tmp_path / name)
    assert "must never run" not in capsys.readouterr().out


def test_npz_with_object_array_is_refused(tmp_path, capsys):
    model = sequential()
    arrays = {f"layers/dense/vars/{i}": w for i, w in enumerate(model.layers[0].get_weights())}
    arrays["layers/dense_1/vars/0"] = np.array([Exploit()], dtype=object)
    np.savez(tmp_path / "w.npz", **arrays)
    with pytest.raises(ValueError, match=r"^load_weights: '.*w\.npz' holds a pickled object array; scratchdl "
                                         r"never unpickles"):
        model.load_weights(tmp_path / "w.npz")
    assert "must never run" not in capsys.readouterr().out


def test_archive_with_pickle_member_is_refused(tmp_path):
    # A torch-style zip: a pickle member and no config.json.
    with zipfile.ZipFile(tmp_path / "m.keras", "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(Exploit()))
    with pytest.raises(ValueError, match=r"^load_model: '.*m\.keras' contains pickle data \['archive/data.pkl'\]"):
        load_model(tmp_path / "m.keras")
    # A .keras archive whose weights member holds a pickle.
    sequential().save(tmp_path / "good.keras")
    with zipfile.ZipFile(tmp_path / "good.keras") as good, zipfile.ZipFile(tmp_path / "bad.keras", "w") as bad:
        bad.writestr("config.json", good.read("config.json"))
        bad.writestr("model.weights.safetensors", pickle.dumps(Exploit()))
    with pytest.raises(ValueError, match=r"^load_model: '.*bad\.keras': member 'model\.weights\.safetensors' is a "
                                         r"Python pickle"):
        load_model(tmp_path / "bad.keras")


def test_lambda_layer_with_python_lambda_refuses_to_save(tmp_path):
    model = Sequential([Input((3,)), Lambda(lambda t: t * 2.0, name="double"), Dense(1)])
    with pytest.raises(ValueError, match=r"(?s)^save_model: cannot save model '.*': it holds Python code.*Lambda layer 'double', function: Python lambda defined at .*test_no_pickle.py.*register_keras_serializable"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()


def triple(x):
    return x * 3.0


def test_unregistered_named_function_refuses_to_save(tmp_path):
    model = Sequential([Input((3,)), Lambda(triple, name="triple"), Dense(1)])
    with pytest.raises(ValueError, match="Lambda layer 'triple' wraps the unregistered function 'triple'"):
        model.save(tmp_path / "m.keras")


@register_keras_serializable(package="scratchdl_tests")
def halve(x):
    return x * 0.5


def test_registered_function_round_trips(tmp_path):
    model = Sequential([Input((3,)), Lambda(halve, name="halve"), Dense(2)])
    model.save(tmp_path / "m.keras")
    loaded = load_model(tmp_path / "m.keras")
    assert loaded.get_layer("halve").function is halve
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_config_is_plain_json_without_code(tmp_path):
    model = Sequential([Input((3,)), Lambda(halve, name="halve"), Dense(2)])
    model.save(tmp_path / "m.keras")
    text = zipfile.ZipFile(tmp_path / "m.keras").read("config.json").decode()
    assert '"config": "scratchdl_tests>halve"' in text
    assert "co_code" not in text and "marshal" not in text and "base64" not in text.lower()


def test_safetensors_header_that_starts_like_a_pickle_still_loads(tmp_path):
    """A 640-byte header makes a safetensors file start with b'\\x80\\x02', pickle protocol 2's
    signature: the sniffing must look at the whole safetensors structure first."""
    from scratchdl.saving.file_utils import sniff_format
    from scratchdl.saving.weights_io import collect_weights, safetensors_bytes, write_safetensors

    model = sequential()
    arrays, _ = collect_weights(model)
    pad = next(k for k in range(4096)
               if safetensors_bytes(arrays, {"pad": "x" * k})[:2] == b"\x80\x02")
    path = tmp_path / "w.safetensors"
    write_safetensors(path, arrays, {"pad": "x" * pad})
    assert path.read_bytes()[:2] == b"\x80\x02" and sniff_format(path) == "safetensors"
    fresh = sequential(seed=7)
    fresh.load_weights(path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
