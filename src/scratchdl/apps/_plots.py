"""Plots several applications draw: decision boundaries of 2-D classifiers and cost curves.

They draw on matplotlib ``Axes`` that :meth:`RunContext.figure` makes; the run saves the figure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.ticker import MaxNLocator

__all__ = ["CLASS_COLORS", "REGION_COLORS", "draw_boundary", "plane_grid", "plot_curves"]

#: Point colours per class (red, blue, green, orange, purple, brown), and lighter region colours.
CLASS_COLORS: tuple[str, ...] = ("#c0392b", "#1f4e9c", "#1e8449", "#d68910", "#7d3c98", "#6e2c00")
REGION_COLORS: tuple[str, ...] = ("#f4b6b6", "#b6cdf4", "#b7e4c7", "#fad7a0", "#d7bde2", "#e5cbb4")


def plane_grid(x: np.ndarray, steps: int = 300) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A ``steps`` x ``steps`` grid over the points ``x`` (n, 2) with a margin: ``(gx, gy, points)``,
    ``points`` float32 ``(steps * steps, 2)`` ready for ``model.predict``."""
    low, high = x.min(axis=0), x.max(axis=0)
    pad = 0.08 * (high - low) + 0.1
    xs = np.linspace(low[0] - pad[0], high[0] + pad[0], steps)
    ys = np.linspace(low[1] - pad[1], high[1] + pad[1], steps)
    gx, gy = np.meshgrid(xs, ys)
    return gx, gy, np.stack([gx.ravel(), gy.ravel()], axis=1).astype(np.float32)


def draw_boundary(ax: Any, model: Any, x: np.ndarray, y: np.ndarray, title: str, steps: int = 300,
                  class_names: Sequence[str] | None = None) -> None:
    """Shade ``model``'s predicted class over the plane, outline the boundary, and draw the points.

    ``model.predict`` gives one sigmoid probability per point (class 1 where >= 0.5) or one
    probability per class (the argmax wins). Points are coloured by their true label ``y``.
    """
    gx, gy, points = plane_grid(x, steps)
    output = np.asarray(model.predict(points, batch_size=len(points), verbose=0))
    if output.ndim == 1 or output.shape[-1] == 1:
        labels = (output.reshape(-1) >= 0.5).astype(np.int64)
        classes = 2
    else:
        labels = output.argmax(axis=-1)
        classes = output.shape[-1]
    classes = max(classes, int(np.max(y)) + 1 if len(y) else 0)
    if classes > len(CLASS_COLORS):
        raise ValueError(f"draw_boundary: at most {len(CLASS_COLORS)} classes can be drawn, got {classes}")
    grid = labels.reshape(gx.shape)
    levels = np.arange(classes + 1) - 0.5
    ax.contourf(gx, gy, grid, levels=levels, cmap=ListedColormap(REGION_COLORS[:classes]), alpha=0.85)
    ax.contour(gx, gy, grid, levels=levels[1:-1], colors="k", linewidths=0.8)
    y = np.asarray(y).reshape(-1)
    for label in range(classes):
        name = class_names[label] if class_names is not None else f"class {label}"
        ax.scatter(x[y == label, 0], x[y == label, 1], s=9, c=CLASS_COLORS[label], edgecolors="none", label=name)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    ax.set_aspect("equal", adjustable="box")


def plot_curves(ax: Any, curves: Mapping[str, Sequence[float]], xlabel: str, ylabel: str, title: str,
                log_y: bool = False, styles: Mapping[str, Mapping[str, Any]] | None = None) -> None:
    """One line per named curve (values per epoch, from 1), with grid, legend and integer epochs."""
    for name, values in curves.items():
        values = np.asarray(values, dtype=float)
        ax.plot(np.arange(1, values.size + 1), values, label=name, **dict((styles or {}).get(name, {})))
    if log_y:
        ax.set_yscale("log")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=8)
