"""EinsumDense through the layer harness (all three equation forms), its shapes and errors."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl.layers import EinsumDense
from scratchdl import Tensor, ops
from scratchdl.layers.core.einsum_dense import analyze_einsum_string, matmul_split
from tests.layers.harness import keras, run_layer_test


@pytest.mark.parametrize("kwargs, input_shape, output_shape, n_weights", [
    ({"equation": "ab,bc->ac", "output_shape": 4, "bias_axes": "c"}, (2, 3), (2, 4), 2),
    ({"equation": "abc,cd->abd", "output_shape": (3, 5), "bias_axes": "d",
      "activation": "relu"}, (2, 3, 4), (2, 3, 5), 2),
    ({"equation": "abc,cd->abd", "output_shape": (None, 5), "bias_axes": "d",
      "activation": "tanh"}, (2, 3, 4), None, 2),
    ({"equation": "abc,cde->abde", "output_shape": (None, 2, 3), "bias_axes": "de"},
     (2, 5, 4), (2, 5, 2, 3), 2),
    ({"equation": "abcd,cde->abe", "output_shape": (None, 6), "bias_axes": "e"},
     (2, 5, 2, 3), (2, 5, 6), 2),
    ({"equation": "...b,bc->...c", "output_shape": 4, "bias_axes": "c"}, (2, 3, 3, 5), (2, 3, 3, 4), 2),
    ({"equation": "ab...,bc->ac...", "output_shape": 4, "bias_axes": "c"}, (2, 3, 5), (2, 4, 5), 2),
    ({"equation": "abc,cd->abd", "output_shape": (None, 3), "kernel_initializer": "he_normal",
      "kernel_regularizer": "l2", "kernel_constraint": "max_norm"}, (3, 2, 4), (3, 2, 3), 1),
])
def test_einsum_dense_harness(kwargs, input_shape, output_shape, n_weights):
    # As in Keras, a None in output_shape stays None in the symbolic output shape (the eager
    # shapes are still compared with Keras's).
    if None in np.atleast_1d(np.asarray(kwargs["output_shape"], dtype=object)):
        output_shape = None
    run_layer_test(EinsumDense, kwargs, input_shape=input_shape, expected_output_shape=output_shape,
                   expected_num_trainable_weights=n_weights, expected_num_non_trainable_weights=0)


@pytest.mark.parametrize("equation, bias_axes, input_shape, output_shape", [
    ("abc,cde->abde", "de", (None, 7, 4), (None, 2, 3)),
    ("abcd,cde->abe", "e", (None, 7, 2, 3), (None, 4)),
    ("ab...,bc->ac...", "c", (None, 3, 5, 6), (4,)),
    ("...b,bc->...c", "c", (None, 3, 5), (4,)),
    ("abc,cd->abd", None, (None, 3, 5), (None, 2)),
])
def test_shapes_and_fans_equal_keras(equation, bias_axes, input_shape, output_shape):
    from keras.src.layers.core.einsum_dense import _analyze_einsum_string

    ours = analyze_einsum_string(equation, bias_axes, input_shape, output_shape)
    theirs = _analyze_einsum_string(equation, bias_axes, input_shape, output_shape)
    assert [list(x) if x is not None else None for x in ours] == \
        [list(x) if x is not None else None for x in theirs]


def test_left_elided_axes_keep_their_order():
    # Keras's shape inference reverses several elided middle axes ((None, 4, 3, 6) here); the
    # eager result, ours and Keras's, is (2, 3, 4, 6).
    layer = EinsumDense("...b,bc->...c", output_shape=6, bias_axes="c")
    assert layer.compute_output_shape((None, 3, 4, 5)) == (None, 3, 4, 6)
    assert layer(np.ones((2, 3, 4, 5), "float32")).shape == (2, 3, 4, 6)


def test_kernel_initializer_fans_use_the_kernel_axes():
    # glorot_uniform over a (8, 4, 16) kernel: fan_in 8, fan_out 64 (not Keras's default 4*8, 16*8)
    layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 16), bias_axes="de")
    layer.build((None, 3, 8))
    limit = np.sqrt(6.0 / (8 + 64))
    kernel = layer.kernel.numpy()
    assert kernel.shape == (8, 4, 16) and np.abs(kernel).max() <= limit
    assert np.abs(kernel).max() > 0.9 * limit
    assert layer.get_config()["kernel_initializer"]["config"]["input_axes"] is None


def test_errors_are_clear():
    with pytest.raises(ValueError, match="invalid einsum equation 'ab->b'"):
        EinsumDense("ab->b", output_shape=3).build((None, 4))
    with pytest.raises(ValueError, match=r"the input of shape \(None, 4, 5\) has 3 dimensions, but "
                                         r"the equation's input 'ab' names 2"):
        EinsumDense("ab,bc->ac", output_shape=3).build((None, 4, 5))
    with pytest.raises(ValueError, match="bias dimension 'x' was requested"):
        EinsumDense("ab,bc->ac", output_shape=3, bias_axes="x").build((None, 4))
    layer = EinsumDense("ab,bc->ac", output_shape=3, name="proj")
    layer(np.zeros((2, 4), "float32"))
    with pytest.raises(ValueError, match=r"EinsumDense 'proj': expected input of rank 2, got shape \(2, 4, 1\)"):
        layer(np.zeros((2, 4, 1), "float32"))
    with pytest.raises(ValueError, match="quantization"):
        EinsumDense("ab,bc->ac", output_shape=3, quantization_config={"mode": "int8"})


def test_config_matches_keras_for_the_mha_projection():
    kwargs = dict(equation="abc,cde->abde", output_shape=[None, 2, 3], bias_axes="de")
    ours, theirs = EinsumDense(**kwargs).get_config(), keras.layers.EinsumDense(**kwargs).get_config()
    assert set(ours) == set(theirs)
    assert ours["output_shape"] == theirs["output_shape"] == (None, 2, 3)


@pytest.mark.parametrize("equation, bound", [
    ("ab,bc->ac", 1), ("abc,cde->abde", 1), ("abcd,cde->abe", 2), ("abc,cd->abd", 1),
    ("abc,cd->adb", None), ("abc,dc->abd", None), ("...b,bc->...c", None), ("ab...,bc->ac...", None),
    ("abc,bcd->ad", 2), ("abc,acd->abd", None),
])
def test_matmul_shaped_equations_are_recognized(equation, bound):
    assert matmul_split(equation) == bound


@pytest.mark.parametrize("equation, shape, output_shape", [
    ("abc,cde->abde", (3, 4, 5), (None, 2, 6)), ("abcd,cde->abe", (3, 4, 2, 5), (None, 7)),
])
def test_matmul_path_equals_einsum_forward_and_backward(equation, shape, output_shape):
    rng = np.random.default_rng(0)
    layer = EinsumDense(equation, output_shape=output_shape, dtype="float64")
    x = rng.standard_normal(shape)
    layer.build(shape)
    fast_in = Tensor(x, requires_grad=True)
    fast = layer(fast_in)
    slow_in = Tensor(x, requires_grad=True)
    kernel = Tensor(layer.kernel.numpy(), requires_grad=True)
    slow = ops.einsum(equation, slow_in, kernel)
    upstream = Tensor(rng.standard_normal(slow.shape))
    (fast * upstream).sum().backward()
    (slow * upstream).sum().backward()
    np.testing.assert_allclose(fast.numpy(), slow.numpy(), rtol=1e-12)
    np.testing.assert_allclose(fast_in.grad, slow_in.grad, rtol=1e-12)
    np.testing.assert_allclose(layer.kernel.grad, kernel.grad, rtol=1e-12)
