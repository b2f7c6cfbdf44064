"""plot_model writes an image of the layer graph (checked with Pillow)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from scratchdl.layers import Concatenate, Dense
from scratchdl.models import Input, Model, Sequential
from scratchdl.utils import plot_model
from scratchdl.utils.model_visualization import model_graph


def branching_model():
    a, b = Input((3,), name="a"), Input((5,), name="b")
    shared = Dense(4, name="shared")
    right = shared(Dense(3, name="proj")(b))
    merged = Concatenate(name="concat")([shared(a), right])
    return Model([a, b], [Dense(2, name="out1")(merged), Dense(1, name="out2")(right)])


def _pixels(path):
    with Image.open(path) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def test_graph_edges_follow_the_calls():
    layers, edges, _ = model_graph(branching_model())
    names = [layer.name for layer in layers]
    named = sorted((names[i], names[j]) for i, j in edges)
    assert named == sorted([("a", "shared"), ("b", "proj"), ("proj", "shared"), ("shared", "concat"),
                            ("shared", "out2"), ("concat", "out1")])


def test_png_is_written_with_boxes(tmp_path):
    path = tmp_path / "model.png"
    plot_model(branching_model(), to_file=path, show_shapes=True, dpi=80)
    pixels = _pixels(path)
    height, width, _ = pixels.shape
    assert height > width > 200  # top-to-bottom: 5 ranks, at most 2 boxes side by side
    box_fill = np.all(pixels == (0xDC, 0xE9, 0xF7), axis=-1)
    assert box_fill.mean() > 0.15 and np.all(pixels[0, 0] == 255)


def test_left_to_right_is_wide(tmp_path):
    path = tmp_path / "model.png"
    plot_model(branching_model(), to_file=path, rankdir="LR", dpi=60)
    height, width, _ = _pixels(path).shape
    assert width > 2 * height


def test_sequential_and_subclassed(tmp_path):
    sequential = Sequential([Input((4,)), Dense(3), Dense(2)])
    plot_model(sequential, to_file=tmp_path / "seq.png", show_layer_names=False, show_dtype=True,
               show_trainable=True, show_layer_activations=True)
    assert _pixels(tmp_path / "seq.png").shape[0] > 0

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(2)

        def call(self, x):
            return self.dense(x)

    net = Net()
    net(np.zeros((1, 3), "float32"))
    layers, edges, _ = model_graph(net)
    assert layers == [net] and edges == []
    plot_model(net, to_file=tmp_path / "net.png")
    assert (tmp_path / "net.png").stat().st_size > 0


def test_errors():
    with pytest.raises(ValueError, match="not built yet"):
        plot_model(Sequential([Dense(2)]), to_file="unused.png")
    with pytest.raises(ValueError, match="rankdir must be 'TB' or 'LR'"):
        plot_model(branching_model(), rankdir="BT")
