"""Recurrent benchmarks (issue 4): scratchdl's LSTM layer against torch.nn.LSTM.

The workload is one forward + backward pass of an LSTM layer returning its whole sequence
(batch 32, 64 steps, 64 input features, 256 units), float32, with the same upstream gradient
and the same weights in both frameworks (Keras's layout copied into torch's). Input gradients
are computed too, as inside a stacked model.
"""

from __future__ import annotations

import numpy as np

from benchmarks.timing import Result, compare_pair


def lstm_layer(quick: bool) -> Result:
    """LSTM(256, return_sequences=True) on (32, 64, 64): forward + backward."""
    import torch

    import scratchdl as sd
    from scratchdl import layers

    batch, steps, features, units = 32, 64, 64, 256
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, steps, features)).astype(np.float32)
    upstream_np = rng.standard_normal((batch, steps, units)).astype(np.float32)

    layer = layers.LSTM(units, return_sequences=True)
    x_sd = sd.Tensor(x_np, requires_grad=True)
    layer(x_sd)
    upstream_sd = sd.Tensor(upstream_np)
    kernel, recurrent_kernel, bias = layer.get_weights()

    def run_scratchdl() -> None:
        y = layer(x_sd)
        (y * upstream_sd).sum().backward()
        x_sd.grad = None
        for weight in layer.weights:
            weight.grad = None

    module = torch.nn.LSTM(features, units, batch_first=True)
    with torch.no_grad():  # Keras's gate order (i, f, c, o) is torch's (i, f, g, o)
        module.weight_ih_l0.copy_(torch.from_numpy(kernel.T))
        module.weight_hh_l0.copy_(torch.from_numpy(recurrent_kernel.T))
        module.bias_ih_l0.copy_(torch.from_numpy(bias))
        module.bias_hh_l0.zero_()
    x_t = torch.from_numpy(x_np).requires_grad_()
    upstream_t = torch.from_numpy(upstream_np)

    def run_torch() -> None:
        y, _ = module(x_t)
        (y * upstream_t).sum().backward()
        x_t.grad = None
        module.zero_grad(set_to_none=True)

    with torch.no_grad():
        expected = module(x_t)[0].numpy()
    np.testing.assert_allclose(layer(x_sd).numpy(), expected, atol=1e-4)

    ours, theirs = compare_pair(run_scratchdl, run_torch, 4 if quick else 15)
    return Result(f"LSTM layer {batch}x{steps}x{features} -> {units} units, return_sequences, "
                  "fwd+bwd", ours, theirs, target=1.5)


WORKLOADS = [lstm_layer]
