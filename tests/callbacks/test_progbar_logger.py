"""``ProgbarLogger``: Keras's one-line-per-epoch format (verbose=2) and the tqdm bar (verbose=1)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from scratchdl.callbacks import CallbackList, ProgbarLogger
from scratchdl.callbacks.progbar_logger import format_logs


def test_format_logs_like_keras() -> None:
    assert format_logs({"accuracy": 0.525, "loss": 0.73071}) == "accuracy: 0.5250 - loss: 0.7307"
    assert format_logs({"loss": 0.0001234}) == "loss: 1.2340e-04"
    assert format_logs({"loss": -0.5}) == "loss: -0.5000"
    assert format_logs({"loss": -0.5}, signed=False) == "loss: -5.0000e-01"  # Keras's verbose=2 quirk
    assert format_logs({"name": "text"}) == "name: text"


def run_epochs(callbacks: CallbackList, epochs: int, steps: int) -> None:
    callbacks.on_train_begin()
    for epoch in range(epochs):
        callbacks.on_epoch_begin(epoch)
        for step in range(steps):
            callbacks.on_train_batch_begin(step)
            callbacks.on_train_batch_end(step, {"loss": np.float32(1.0 / (step + 1))})
        callbacks.on_test_begin()
        callbacks.on_test_batch_end(0, {"loss": 9.0})
        callbacks.on_test_end({"loss": 9.0})
        callbacks.on_epoch_end(epoch, {"loss": 0.5, "val_loss": 0.25})
    callbacks.on_train_end()


def test_verbose_2_prints_one_line_per_epoch(capsys: pytest.CaptureFixture[str]) -> None:
    run_epochs(CallbackList([ProgbarLogger()], verbose=2, epochs=2, steps=12), epochs=2, steps=12)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 4 and lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    pattern = r"12/12 - \d+s - \d+(us|ms|s)/step - loss: 0\.5000 - val_loss: 0\.2500"
    assert re.fullmatch(pattern, lines[1]) and re.fullmatch(pattern, lines[3])


def test_verbose_1_draws_a_bar_with_metrics(capsys: pytest.CaptureFixture[str]) -> None:
    run_epochs(CallbackList([ProgbarLogger()], verbose="auto", epochs=1, steps=5), epochs=1, steps=5)
    out = capsys.readouterr().out
    assert "Epoch" not in out  # a single epoch prints no epoch header, as Keras
    assert "5/5" in out and "loss: 0.5000 - val_loss: 0.2500" in out
    assert "9.0000" not in out  # validation inside fit has no display of its own


def test_evaluate_and_predict_outside_fit(capsys: pytest.CaptureFixture[str]) -> None:
    callbacks = CallbackList([ProgbarLogger()], verbose=2, epochs=1, steps=None)
    callbacks.on_test_begin()
    for step in range(3):
        callbacks.on_test_batch_end(step, {"loss": 2.0})
    callbacks.on_test_end({"loss": 2.0})
    assert re.fullmatch(r"3/3 - \d+s - \d+(us|ms|s)/step - loss: 2\.0000\n", capsys.readouterr().out)
    silent = CallbackList([ProgbarLogger()], verbose=1, epochs=1, steps=2)
    silent.on_predict_begin()
    silent.on_predict_batch_end(0, {"outputs": np.ones(2)})
    silent.on_predict_batch_end(1, {"outputs": np.ones(2)})
    silent.on_predict_end()
    out = capsys.readouterr().out
    assert "2/2" in out and "outputs" not in out
