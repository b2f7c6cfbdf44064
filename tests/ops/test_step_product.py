"""The recurrent step products: every split layout against the plain product."""

from __future__ import annotations

import numpy as np
import pytest

import scratchdl as sd
from scratchdl.ops import _step_product
from scratchdl.ops._step_product import Layout, StepProduct, choose_layout


@pytest.fixture(autouse=True)
def _forget_choices():
    saved = dict(_step_product._CHOSEN)
    yield
    _step_product._CHOSEN.clear()
    _step_product._CHOSEN.update(saved)


LAYOUTS = [Layout(0, 0), Layout(32, 0), Layout(64, 0), Layout(128, 0), Layout(32, 128),
           Layout(64, 128), Layout(64, 256)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", LAYOUTS, ids=str)
def test_every_layout_gives_the_plain_product(dtype, layout) -> None:
    rng = np.random.default_rng(0)
    h = rng.standard_normal((5, 512)).astype(dtype)
    weight = rng.standard_normal((512, 256)).astype(dtype)
    choose_layout(5, 512, 256, dtype, layout)
    product = StepProduct(weight)
    out = np.full((5, 256), np.nan, dtype=dtype)
    result = product(h, out)
    assert result is out
    assert product.layout == layout
    tolerance = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(out, h @ weight, rtol=tolerance, atol=tolerance)
    # later steps reuse the layout, overwrite the buffer, or return a new array
    np.testing.assert_allclose(product(2 * h, out), 2 * h @ weight, rtol=tolerance, atol=tolerance)
    fresh = product(h[::-1].copy())
    assert fresh is not out and fresh.shape == (5, 256) and fresh.dtype == dtype
    np.testing.assert_allclose(fresh, h[::-1] @ weight, rtol=tolerance, atol=tolerance)


def test_timing_picks_a_layout_that_divides_the_weight_and_caches_it() -> None:
    rng = np.random.default_rng(1)
    weight = rng.standard_normal((384, 96)).astype(np.float32)
    h = rng.standard_normal((3, 384)).astype(np.float32)
    choose_layout(3, 384, 96, np.float32, None)
    product = StepProduct(weight)
    np.testing.assert_allclose(product(h, np.empty((3, 96), np.float32)), h @ weight, rtol=1e-4)
    # 64 and 128 do not divide 96 columns, 256 does not divide 384 rows
    assert product.layout in (Layout(0, 0), Layout(32, 0), Layout(32, 128))
    assert _step_product._CHOSEN[(3, 384, 96, "<f4", 1, 1)] == product.layout


@pytest.mark.parametrize("width", [0, 32, 64])
def test_gate_major_output_holds_each_gates_columns(width) -> None:
    """gates_out=4: out[g] is h @ weight[:, g * units:(g + 1) * units] (the LSTM's layout)."""
    rng = np.random.default_rng(3)
    h = rng.standard_normal((5, 48)).astype(np.float32)
    weight = rng.standard_normal((48, 4 * 64)).astype(np.float32)
    choose_layout(5, 48, 256, np.float32, (width, 0), gates_out=4)
    product = StepProduct(weight, gates_out=4)
    out = np.full((4, 5, 64), np.nan, dtype=np.float32)
    assert product(h, out) is out
    assert product.layout == Layout(width, 0)
    expected = (h @ weight).reshape(5, 4, 64).transpose(1, 0, 2)
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(product(h), expected, rtol=1e-4, atol=1e-4)  # a new array


@pytest.mark.parametrize("width", [0, 32, 64])
def test_gate_major_input_sums_the_gates_products(width) -> None:
    """gates_in=4: h[g] multiplies weight's rows of gate g; the four products are summed."""
    rng = np.random.default_rng(4)
    h = rng.standard_normal((4, 5, 64)).astype(np.float32)
    weight = rng.standard_normal((4 * 64, 128)).astype(np.float32)
    choose_layout(5, 256, 128, np.float32, (width, 64), gates_in=4)
    product = StepProduct(weight, gates_in=4)
    out = np.full((5, 128), np.nan, dtype=np.float32)
    assert product(h, out) is out
    expected = h.transpose(1, 0, 2).reshape(5, 256) @ weight
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(product(h), expected, rtol=1e-4, atol=1e-4)
    # float64 input with a float32 weight: the plain product, promoted
    np.testing.assert_allclose(StepProduct(weight, gates_in=4)(h.astype(np.float64)), expected,
                               rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("width", [0, 32, 64])
@pytest.mark.parametrize("direction", ["gates_out", "gates_in"])
def test_reordered_and_rescaled_gates_are_cut_from_the_weight_as_given(direction, width) -> None:
    """gate_order/gate_scales: gate g is the weight's block gate_order[g] times gate_scales[g]
    (the LSTM's internal gate order and halved sigmoid gates), in every layout."""
    rng = np.random.default_rng(5)
    order, scales = (0, 1, 3, 2), (0.5, 0.5, 0.5, 1.0)
    if direction == "gates_out":
        weight = rng.standard_normal((48, 4 * 64)).astype(np.float32)
        blocks = np.split(weight, 4, axis=1)
        formed = np.concatenate([blocks[k] * s for k, s in zip(order, scales)], axis=1)
        h = rng.standard_normal((5, 48)).astype(np.float32)
        choose_layout(5, 48, 256, np.float32, (width, 0), gates_out=4)
        product = StepProduct(weight, gates_out=4, gate_order=order, gate_scales=scales)
        expected = (h @ formed).reshape(5, 4, 64).transpose(1, 0, 2)
    else:
        weight = rng.standard_normal((4 * 64, 128)).astype(np.float32)
        blocks = np.split(weight, 4, axis=0)
        formed = np.concatenate([blocks[k] * s for k, s in zip(order, scales)], axis=0)
        h = rng.standard_normal((4, 5, 64)).astype(np.float32)
        choose_layout(5, 256, 128, np.float32, (width, 64), gates_in=4)
        product = StepProduct(weight, gates_in=4, gate_order=order, gate_scales=scales)
        expected = h.transpose(1, 0, 2).reshape(5, 256) @ formed
    np.testing.assert_allclose(product(h), expected, rtol=1e-4, atol=1e-4)
    assert product.layout.width == width
    np.testing.assert_array_equal(product.weight, formed)
    assert product.source is weight  # the weight itself is never reordered in place
    # a float64 input takes the plain product of the formed weight, promoted
    promoted = product(h.astype(np.float64))
    assert promoted.dtype == np.float64
    np.testing.assert_allclose(promoted, expected, rtol=1e-4, atol=1e-4)


def test_gate_order_and_scales_are_checked() -> None:
    weight = np.ones((8, 16), np.float32)
    with pytest.raises(ValueError, match=r"gate_order needs one entry per gate \(4 gates\), got \(0, 1, 2\)"):
        StepProduct(weight, gates_out=4, gate_order=(0, 1, 2))
    with pytest.raises(ValueError, match=r"gate_scales applies to gate-major products only"):
        StepProduct(weight, gate_scales=(0.5,))
    with pytest.raises(ValueError, match=r"gate_order must order the gates 0..3, got \(0, 1, 1, 2\)"):
        StepProduct(weight, gates_out=4, gate_order=(0, 1, 1, 2))


def test_mixed_dtypes_use_the_plain_product() -> None:
    product = StepProduct(np.ones((8, 64), np.float32))
    out = np.empty((2, 64), np.float64)
    np.testing.assert_array_equal(product(np.ones((2, 8), np.float64), out), np.full((2, 64), 8.0))
    assert product.layout == Layout(0, 0)


def test_choose_layout_rejects_a_layout_that_does_not_cut_the_weight_evenly() -> None:
    with pytest.raises(ValueError, match=r"does not cut a \(16, 96\) weight into equal pieces"):
        choose_layout(3, 16, 96, np.float32, (64, 0))
    with pytest.raises(ValueError, match=r"does not cut a \(384, 96\) weight"):
        choose_layout(3, 384, 96, np.float32, (32, 256))


def _force(batch: int, shapes: list[tuple[int, int, int, int]], split: bool) -> None:
    """Fix every step product of a layer: plain, or cut (32-column blocks; a 32-row depth where
    the input is not gate-major, the gate's rows where it is)."""
    for size, columns, gates_in, gates_out in shapes:
        if gates_in > 1:
            layout = Layout(32 if split else 0, size // gates_in)
        else:
            layout = Layout(32, 32 if gates_out == 1 and size > 32 else 0) if split else Layout(0, 0)
        choose_layout(batch, size, columns, np.float32, layout, gates_in, gates_out)


@pytest.mark.parametrize("layer_type", ["SimpleRNN", "LSTM", "GRU", "GRU_reset_before"])
def test_recurrent_layers_agree_in_every_layout(layer_type, monkeypatch) -> None:
    """Outputs and every gradient of a recurrent layer: the plain step products against cut
    ones (column blocks forward; column blocks with a split inner dimension backward)."""
    batch, steps, features, units = 4, 5, 3, 64
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    upstream = rng.standard_normal((batch, steps, units)).astype(np.float32)
    if layer_type == "GRU_reset_before":
        layer = sd.layers.GRU(units, return_sequences=True, reset_after=False)
        # the z, r block multiplies h forward and its gradient backward
        shapes = [(units, 2 * units, 1, 1), (2 * units, units, 1, 1)]
    elif layer_type == "LSTM":  # gate-major: the output forward, the input backward
        layer = sd.layers.LSTM(units, return_sequences=True)
        shapes = [(units, 4 * units, 1, 4), (4 * units, units, 4, 1)]
    else:
        layer = getattr(sd.layers, layer_type)(units, return_sequences=True)
        gates = {"SimpleRNN": 1, "GRU": 3}[layer_type]
        shapes = [(units, gates * units, 1, 1), (gates * units, units, 1, 1)]
    layer.build((batch, steps, features))
    split_calls = []
    original = _step_product._Prepared.multiply
    monkeypatch.setattr(_step_product._Prepared, "multiply",
                        lambda self, h, out: split_calls.append(self.layout) or original(self, h, out))
    results = []
    for split in (False, True):
        _force(batch, shapes, split)
        split_calls.clear()
        inputs = sd.Tensor(x, requires_grad=True)
        output = layer(inputs)
        (output * sd.Tensor(upstream)).sum().backward()
        results.append([output.numpy(), inputs.grad, *(w.grad for w in layer.weights)])
        for weight in layer.weights:
            weight.grad = None
        # a cut layout runs every forward step and every backward step through its pieces
        assert sum(1 for layout in split_calls if layout.width) == (2 * steps if split else 0)
    for plain, cut in zip(*results):
        np.testing.assert_allclose(cut, plain, rtol=1e-5, atol=1e-5)
