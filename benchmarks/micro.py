"""Loss micro-benchmark (issue 5, workload 7): softmax cross-entropy forward + backward.

The convolution and pooling micro-benchmarks (and conv2d against the naive loops) live in
``benchmarks.conv``. Here: logits of a batch of 128 over 1,000 classes with integer targets,
the mean per-sample loss, and its gradient with respect to the logits, against
``torch.nn.functional.cross_entropy``. The two gradients are checked to agree first.
"""

from __future__ import annotations

import numpy as np

from benchmarks.timing import Result, compare


def softmax_cross_entropy(quick: bool) -> Result:
    """Softmax cross-entropy of (128, 1000) logits, mean over the batch, forward + backward."""
    import torch
    import torch.nn.functional as F

    import scratchdl as sd
    from scratchdl import ops

    rng = np.random.default_rng(0)
    logits_np = (rng.standard_normal((128, 1000)) * 3).astype(np.float32)
    targets_np = rng.integers(0, 1000, 128)
    logits = sd.Tensor(logits_np, requires_grad=True)
    logits_t = torch.from_numpy(logits_np).requires_grad_()
    targets_t = torch.from_numpy(targets_np)

    def run_scratchdl() -> None:
        logits.grad = None
        ops.softmax_cross_entropy(logits, targets_np).mean().backward()

    def run_torch() -> None:
        logits_t.grad = None
        F.cross_entropy(logits_t, targets_t).backward()

    run_scratchdl()
    run_torch()
    assert logits.grad is not None and logits.grad.dtype == np.float32
    np.testing.assert_allclose(logits.grad, logits_t.grad.numpy(), rtol=1e-4, atol=1e-7)
    times = compare({"scratchdl": run_scratchdl, "pytorch": run_torch},
                    repeats=20 if quick else 100, warmup=3)
    return Result("7. softmax cross-entropy fwd+bwd: 128 x 1000 classes, mean", times["scratchdl"],
                  times["pytorch"])


WORKLOADS = [softmax_cross_entropy]
