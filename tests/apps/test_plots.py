"""Shared plots: decision boundaries (sigmoid and softmax models) and curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from scratchdl.apps._plots import draw_boundary, plane_grid, plot_curves
from scratchdl.apps._runner import RunContext


class Quadrants:
    """A stand-in model: class = quadrant index (softmax output) or x > 0 (sigmoid output)."""

    def __init__(self, classes: int) -> None:
        self.classes = classes

    def predict(self, points: np.ndarray, batch_size: int | None = None, verbose: int = 0) -> np.ndarray:
        if self.classes == 1:
            return (points[:, :1] > 0).astype(np.float32)
        label = (points[:, 0] > 0).astype(int) + 2 * (points[:, 1] > 0).astype(int)
        return np.eye(self.classes, dtype=np.float32)[label % self.classes]


def test_plane_grid_covers_the_points_with_a_margin() -> None:
    x = np.array([[0.0, -1.0], [2.0, 3.0]])
    gx, gy, points = plane_grid(x, steps=5)
    assert gx.shape == gy.shape == (5, 5) and points.shape == (25, 2) and points.dtype == np.float32
    assert gx.min() < 0.0 and gx.max() > 2.0 and gy.min() < -1.0 and gy.max() > 3.0


@pytest.mark.parametrize("classes", [1, 4])
def test_draw_boundary_for_sigmoid_and_softmax_models(classes: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, (60, 2)).astype(np.float32)
    y = np.argmax(Quadrants(classes).predict(x), axis=-1) if classes > 1 else (x[:, 0] > 0).astype(int)
    run = RunContext("test", tmp_path, 0)
    fig, ax = run.figure()
    draw_boundary(ax, Quadrants(classes), x, y, "quadrants", steps=40)
    assert ax.get_title() == "quadrants"
    labels = [text.get_text() for text in ax.legend().get_texts()]
    assert labels == [f"class {k}" for k in range(max(classes, 2))]
    assert run.save_figure(fig, "boundary.png").stat().st_size > 1000


def test_draw_boundary_refuses_too_many_classes(tmp_path: Path) -> None:
    run = RunContext("test", tmp_path, 0)
    fig, ax = run.figure()
    with pytest.raises(ValueError, match="at most 6 classes"):
        draw_boundary(ax, Quadrants(7), np.zeros((3, 2)), np.zeros(3, int), "t", steps=5)


def test_plot_curves_draws_one_line_per_curve(tmp_path: Path) -> None:
    run = RunContext("test", tmp_path, 0)
    fig, ax = run.figure()
    plot_curves(ax, {"train": [3.0, 2.0, 1.0], "test": [3.5, 2.5, 2.0]}, "epoch", "cost", "costs", log_y=True,
                styles={"test": {"linestyle": "--"}})
    assert [line.get_label() for line in ax.get_lines()] == ["train", "test"]
    assert ax.get_lines()[1].get_linestyle() == "--" and ax.get_yscale() == "log"
    assert list(ax.get_lines()[0].get_xdata()) == [1, 2, 3]
