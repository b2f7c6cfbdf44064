"""Attention benchmarks (issue 4): scratchdl's MultiHeadAttention against torch.nn.MultiheadAttention.

The workload is one forward + backward pass of a self-attention block (batch 32, 64 tokens,
128 features, 4 heads of 32), float32, with the same weights in both frameworks (Keras's
(dim, heads, head_dim) kernels copied into torch's packed in_proj/out_proj matrices) and the
same upstream gradient; input and weight gradients are computed, as inside a Transformer. The
two frameworks are timed interleaved (``timing.compare``: medians), so the ratio holds on a busy
machine.
"""

from __future__ import annotations

import numpy as np

from benchmarks.timing import Result, compare_pair


def mha_block(quick: bool) -> Result:
    """MultiHeadAttention(4 heads, key_dim 32) self-attention on (32, 64, 128): forward + backward."""
    import torch

    import scratchdl as sd
    from scratchdl import layers

    batch, tokens, dim, heads = 32, 64, 128, 4
    head_dim = dim // heads
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((batch, tokens, dim)).astype(np.float32)
    upstream_np = rng.standard_normal((batch, tokens, dim)).astype(np.float32)

    layer = layers.MultiHeadAttention(num_heads=heads, key_dim=head_dim)
    x_sd = sd.Tensor(x_np, requires_grad=True)
    layer(x_sd, x_sd)
    upstream_sd = sd.Tensor(upstream_np)
    wq, bq, wk, bk, wv, bv, wo, bo = layer.get_weights()

    def run_scratchdl() -> None:
        y = layer(x_sd, x_sd)
        (y * upstream_sd).sum().backward()
        x_sd.grad = None
        for weight in layer.weights:
            weight.grad = None

    module = torch.nn.MultiheadAttention(dim, heads, batch_first=True)
    with torch.no_grad():  # torch computes x @ W.T with W = [Wq; Wk; Wv] of shape (3 dim, dim)
        packed = [w.reshape(dim, dim).T for w in (wq, wk, wv)]
        module.in_proj_weight.copy_(torch.from_numpy(np.concatenate(packed, axis=0)))
        module.in_proj_bias.copy_(torch.from_numpy(np.concatenate([b.reshape(-1) for b in (bq, bk, bv)])))
        module.out_proj.weight.copy_(torch.from_numpy(wo.reshape(dim, dim).T))
        module.out_proj.bias.copy_(torch.from_numpy(bo))
    x_t = torch.from_numpy(x_np).requires_grad_()
    upstream_t = torch.from_numpy(upstream_np)

    def run_torch() -> None:
        y, _ = module(x_t, x_t, x_t, need_weights=False)
        (y * upstream_t).sum().backward()
        x_t.grad = None
        module.zero_grad(set_to_none=True)

    with torch.no_grad():
        expected = module(x_t, x_t, x_t, need_weights=False)[0].numpy()
    np.testing.assert_allclose(layer(x_sd, x_sd).numpy(), expected, atol=1e-4)

    ours, theirs = compare_pair(run_scratchdl, run_torch, 6 if quick else 25)
    return Result(f"MultiHeadAttention {batch}x{tokens}x{dim}, {heads} heads, self-attention, "
                  "fwd+bwd", ours, theirs, target=1.5)


WORKLOADS = [mha_block]
