"""The recurrent step product: the column-block layout against the plain product."""

from __future__ import annotations

import numpy as np
import pytest

import scratchdl as sd
from scratchdl.ops import _step_product
from scratchdl.ops._step_product import StepProduct, choose_blocks


@pytest.fixture(autouse=True)
def _forget_choices():
    saved = dict(_step_product._CHOSEN)
    yield
    _step_product._CHOSEN.clear()
    _step_product._CHOSEN.update(saved)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("width", [0, 32, 64, 128])
def test_every_layout_gives_the_plain_product(dtype, width) -> None:
    rng = np.random.default_rng(0)
    h = rng.standard_normal((5, 24)).astype(dtype)
    weight = rng.standard_normal((24, 256)).astype(dtype)
    choose_blocks(5, 24, 256, dtype, width)
    product = StepProduct(weight)
    out = np.full((5, 256), np.nan, dtype=dtype)
    result = product(h, out)
    assert result is out
    assert product.width == width
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(out, h @ weight, rtol=tolerance, atol=tolerance)
    # the next step reuses the layout and overwrites the buffer
    np.testing.assert_allclose(product(2 * h, out), 2 * h @ weight, rtol=tolerance, atol=tolerance)


def test_timing_picks_a_layout_that_divides_the_columns_and_caches_it() -> None:
    rng = np.random.default_rng(1)
    weight = rng.standard_normal((16, 96)).astype(np.float32)
    h = rng.standard_normal((3, 16)).astype(np.float32)
    choose_blocks(3, 16, 96, np.float32, None)
    product = StepProduct(weight)
    np.testing.assert_allclose(product(h, np.empty((3, 96), np.float32)), h @ weight, rtol=1e-5)
    assert product.width in (0, 32)  # 64 and 128 do not divide 96 columns
    assert _step_product._CHOSEN[(3, 16, 96, "<f4")] == product.width


def test_mixed_dtypes_use_the_plain_product() -> None:
    weight = np.ones((8, 64), np.float32)
    h = np.ones((2, 8), np.float64)
    product = StepProduct(weight)
    out = np.empty((2, 64), np.float64)
    np.testing.assert_array_equal(product(h, out), np.full((2, 64), 8.0))
    assert product.width == 0


def test_choose_blocks_rejects_a_width_that_does_not_divide_the_columns() -> None:
    with pytest.raises(ValueError, match="block width of 64 does not divide the 96 columns"):
        choose_blocks(3, 16, 96, np.float32, 64)


@pytest.mark.parametrize("layer_type", ["SimpleRNN", "LSTM", "GRU", "GRU_reset_before"])
def test_recurrent_layers_agree_in_both_layouts(layer_type, monkeypatch) -> None:
    """Outputs and every gradient of a recurrent layer, plain product against 32-column blocks."""
    batch, steps, features, units = 4, 5, 3, 32
    rng = np.random.default_rng(2)
    x = rng.standard_normal((batch, steps, features)).astype(np.float32)
    upstream = rng.standard_normal((batch, steps, units)).astype(np.float32)
    if layer_type == "GRU_reset_before":
        layer = sd.layers.GRU(units, return_sequences=True, reset_after=False)
        columns = [2 * units]  # the z, r block multiplies h; the h block multiplies r * h
    else:
        layer = getattr(sd.layers, layer_type)(units, return_sequences=True)
        columns = [{"SimpleRNN": 1, "LSTM": 4, "GRU": 3}[layer_type] * units]
    layer.build((batch, steps, features))
    blocked_calls = []
    original = _step_product._out_blocks
    monkeypatch.setattr(_step_product, "_out_blocks",
                        lambda out, width: blocked_calls.append(width) or original(out, width))
    results = []
    for width in (0, 32):
        for n in columns:
            choose_blocks(batch, units, n, np.float32, width)
        blocked_calls.clear()
        inputs = sd.Tensor(x, requires_grad=True)
        output = layer(inputs)
        (output * sd.Tensor(upstream)).sum().backward()
        results.append([output.numpy(), inputs.grad, *(w.grad for w in layer.weights)])
        for weight in layer.weights:
            weight.grad = None
        assert len(blocked_calls) == (steps * len(columns) if width else 0)
    for plain, blocked in zip(*results):
        np.testing.assert_allclose(blocked, plain, rtol=1e-5, atol=1e-5)
