"""Progbar: step-weighted running averages and Keras-shaped output lines."""

from __future__ import annotations

import io

import pytest

from scratchdl.utils import Progbar


def test_averages_weight_by_steps():
    bar = Progbar(10, verbose=0, stateful_metrics=["acc"])
    bar.update(2, values=[("loss", 1.0), ("acc", 0.1)])
    bar.update(6, values=[("loss", 0.5), ("acc", 0.7)])
    assert bar.average("loss") == pytest.approx((1.0 * 2 + 0.5 * 4) / 6)
    assert bar.average("acc") == 0.7
    bar.add(4, values=[("loss", 0.0)])
    assert bar.average("loss") == pytest.approx(4.0 / 10)


def test_verbose_2_prints_one_final_line():
    out = io.StringIO()
    bar = Progbar(3, verbose=2, file=out)
    for step in range(1, 4):
        bar.update(step, values=[("loss", 0.25)])
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("3/3 ") and lines[0].endswith("loss: 0.2500")


def test_verbose_1_draws_the_bar():
    out = io.StringIO()
    bar = Progbar(4, width=8, verbose=1, interval=0.0, file=out)
    bar.update(2, values=[("loss", 2.0)])
    bar.update(4, values=[("loss", 1.0)])
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("2/4 [===>....] - ETA:") and "loss: 2.0000" in lines[0]
    assert lines[-1].startswith("4/4 [========]") and "loss: 1.5000" in lines[-1]


def test_unknown_target():
    out = io.StringIO()
    bar = Progbar(None, verbose=1, interval=0.0, file=out)
    bar.update(5, values=[("loss", 1e-5)])
    assert out.getvalue().startswith("5/Unknown") and "loss: 1.0000e-05" in out.getvalue()
