"""``Model.summary`` prints the same text as Keras 3 for the same model."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
import pytest

import scratchdl as sd
from tests.models import builders


def captured(model: Any, **kwargs: Any) -> str:
    chunks: list[str] = []
    model.summary(print_fn=lambda text, **_: chunks.append(text), **kwargs)
    return "".join(chunks)


def pair(builder: Any) -> tuple[Any, Any]:
    keras.backend.clear_session()
    sd.backend.clear_session()
    return builder(keras), builder(sd)


BUILDERS = [builders.mlp, builders.sequential_input_shape, builders.two_in_two_out, builders.nested,
            builders.residual, builders.dict_io]
OPTIONS = [{}, {"show_trainable": True}, {"expand_nested": True}, {"line_length": 60},
           {"line_length": 150}, {"positions": [0.5, 0.75, 1.0]}]


@pytest.mark.parametrize("builder", BUILDERS, ids=lambda b: b.__name__)
def test_summary_text_equals_keras(builder: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    keras_model, model = pair(builder)
    functional_like = builder in (builders.two_in_two_out, builders.residual, builders.dict_io)
    for columns in ("80", "200"):
        monkeypatch.setenv("COLUMNS", columns)
        for options in OPTIONS:
            if "positions" in options and functional_like:
                options = {"positions": [0.3, 0.5, 0.7, 1.0]}
            expected = captured(keras_model, **options)
            assert captured(model, **options) == expected, (columns, options)


def test_summary_with_batchnorm_counts_non_trainable_params(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    keras_model, model = pair(builders.mlp_batchnorm)
    text = captured(model)
    assert text == captured(keras_model)
    assert " Total params: 2,250 (8.79 KB)" in text
    assert " Trainable params: 2,122 (8.29 KB)" in text
    assert " Non-trainable params: 128 (512.00 B)" in text


def test_summary_of_lazy_sequential_after_first_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    keras_model, model = pair(builders.lazy_sequential)
    assert captured(model) == captured(keras_model)  # nothing built: '?' and '0 (unbuilt)'
    batch = np.zeros((5, 4), dtype="float32")
    keras_model(batch)
    model(batch)
    text = captured(model)
    assert text == captured(keras_model)
    assert "(5, 8)" in text  # built from a concrete batch, as Keras shows it


def test_summary_of_subclassed_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    keras.backend.clear_session()
    sd.backend.clear_session()
    keras_model, model = builders.make_subclass(keras)(), builders.make_subclass(sd)()
    assert captured(model) == captured(keras_model)
    assert "0 (unbuilt)" in captured(model)
    batch = np.zeros((2, 4), dtype="float32")
    keras_model(batch)
    model(batch)
    assert captured(model) == captured(keras_model)


def test_summary_shows_frozen_layers_and_optimizer_params(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "120")
    keras_model, model = pair(builders.mlp)
    for m, lib in ((keras_model, keras), (model, sd)):
        m.layers[0].trainable = False
        m.compile(optimizer=lib.optimizers.Adam(), loss="mse")
        m.optimizer.build(m.trainable_weights)
    text = captured(model, show_trainable=True)
    assert text == captured(keras_model, show_trainable=True)
    assert " Non-trainable params: 1,344 (5.25 KB)" in text
    assert " Optimizer params: " in text


def test_summary_layer_range_and_default_print(capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    keras_model, model = pair(builders.two_in_two_out)
    text = captured(model, layer_range=["pa", "concat"])
    assert text == captured(keras_model, layer_range=["pa", "concat"])
    assert "out_b" not in text and "pa (Dense)" in text
    model.summary()
    assert capsys.readouterr().out == captured(model)
    with pytest.raises(ValueError, match="layer_range"):
        model.summary(layer_range=["nope", "nothing"])
