"""save_weights / load_weights in every format, into fresh instances of the same architecture."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from scratchdl.saving import variable_paths
from scratchdl.saving.weights_io import read_safetensors
from tests.saving.models import inputs_for, sequential, tower, two_in_two_out

BUILDERS = {"sequential": sequential, "functional": two_in_two_out, "subclassed": tower}
FORMATS = ["w.weights.safetensors", "w.safetensors", "w.weights.h5", "w.npz"]


def _outputs(model, x):
    out = model.predict(x, verbose=0)
    return out if isinstance(out, list) else [out]


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_round_trip_into_a_fresh_instance(tmp_path, kind, name):
    source = BUILDERS[kind](seed=0)
    target = BUILDERS[kind](seed=1)  # other layer names (dense_7...) and other initial values
    x = inputs_for(source)
    assert any(not np.array_equal(a, b) for a, b in zip(_outputs(source, x), _outputs(target, x)))
    source.save_weights(tmp_path / name)
    target.load_weights(tmp_path / name)
    for a, b in zip(_outputs(source, x), _outputs(target, x)):
        np.testing.assert_array_equal(a, b)


def test_safetensors_keys_and_labels(tmp_path):
    model = two_in_two_out()
    model.save_weights(tmp_path / "w.weights.safetensors")
    arrays, metadata = read_safetensors((tmp_path / "w.weights.safetensors").read_bytes(), "w")
    assert sorted(arrays) == sorted(path for path, _ in variable_paths(model))
    assert "layers/shared/vars/0" not in arrays  # paths are structural (class-based), not names
    assert metadata["format"] == "scratchdl.weights"
    for path, weight in variable_paths(model):
        np.testing.assert_array_equal(arrays[path], weight.numpy())


def test_load_weights_from_a_model_archive(tmp_path):
    source = tower(seed=0)
    source.save(tmp_path / "m.keras")
    target = tower(seed=3)
    target.load_weights(tmp_path / "m.keras")
    x = inputs_for(source)
    np.testing.assert_array_equal(target.predict(x, verbose=0), source.predict(x, verbose=0))
    with zipfile.ZipFile(tmp_path / "m.keras") as archive:
        assert "model.weights.safetensors" in archive.namelist()


def test_by_name_only_for_legacy_h5(tmp_path):
    sequential().save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match="`by_name` only applies to legacy Keras .h5"):
        sequential().load_weights(tmp_path / "w.npz", by_name=True)
    sequential().save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match="`by_name` only applies to legacy"):
        sequential().load_weights(tmp_path / "w.weights.h5", by_name=True)


def test_by_name_error_names_load_weights_the_file_and_the_value(tmp_path):
    sequential().save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match=r"^load_weights: `by_name` only applies to legacy Keras \.h5 files; "
                                         r"'.*w\.npz' is a zip file \(got by_name=True, expected None\)$"):
        sequential().load_weights(tmp_path / "w.npz", by_name=True)
    sequential().save_weights(tmp_path / "w.weights.h5")
    with pytest.raises(ValueError, match=r"^load_weights: `by_name` only applies to legacy Keras \.h5 files "
                                         r"\(with layer_names\); '.*w\.weights\.h5' has the Keras 3 layout "
                                         r"\(got by_name=False, expected None\)$"):
        sequential().load_weights(tmp_path / "w.weights.h5", by_name=False)
