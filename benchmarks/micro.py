"""Micro-benchmarks: softmax cross-entropy (issue 5, workload 7), and workload 1's step in parts.

The convolution and pooling micro-benchmarks (and conv2d against the naive loops) live in
``benchmarks.conv``. Here:

* softmax cross-entropy: logits of a batch of 128 over 1,000 classes with integer targets, the
  mean per-sample loss, and its gradient with respect to the logits, against
  ``torch.nn.functional.cross_entropy``. The two gradients are checked to agree first;
* the two parts of workload 1's MLP step that decide its ratio, apart: its eight matrix
  products (three forward, five backward; the input needs no gradient) as plain NumPy ``@``,
  that is the BLAS NumPy ships (OpenBLAS), against ``torch.mm`` on the same arrays (MKL in
  PyTorch's x86 wheels); and its Adam update, scratchdl's optimizer against
  ``torch.optim.Adam``, on the same weights and gradients. Neither has a target: they show
  where the step's time goes in the same run.
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


def _mlp_step_arrays(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Random float32 operands with the shapes of workload 1's step (batch 128, 784-512-256-10)."""
    from benchmarks.models import MLP_SIZES

    batch, (inputs, first, second, classes) = 128, MLP_SIZES
    shapes = {"x": (batch, inputs), "w1": (inputs, first), "w2": (first, second),
              "w3": (second, classes), "h1": (batch, first), "h2": (batch, second),
              "dz1": (batch, first), "dz2": (batch, second), "dz3": (batch, classes)}
    return {name: rng.standard_normal(shape, dtype=np.float32) for name, shape in shapes.items()}


def mlp_matrix_products(quick: bool) -> Result:
    """Workload 1's eight matrix products per step: NumPy ``@`` against ``torch.mm``."""
    import torch

    a = _mlp_step_arrays(np.random.default_rng(0))
    pairs = [  # forward, then the weight and input gradients of layers 3, 2 and 1
        (a["x"], a["w1"]), (a["h1"], a["w2"]), (a["h2"], a["w3"]),
        (a["h2"].T, a["dz3"]), (a["dz3"], a["w3"].T),
        (a["h1"].T, a["dz2"]), (a["dz2"], a["w2"].T),
        (a["x"].T, a["dz1"]),
    ]
    torch_pairs = [(torch.from_numpy(left), torch.from_numpy(right)) for left, right in pairs]

    def run_numpy() -> None:
        for left, right in pairs:
            left @ right

    def run_torch() -> None:
        for left, right in torch_pairs:
            torch.mm(left, right)

    np.testing.assert_allclose(pairs[0][0] @ pairs[0][1], torch.mm(*torch_pairs[0]).numpy(),
                               rtol=1e-4, atol=1e-3)
    times = compare({"scratchdl": run_numpy, "pytorch": run_torch},
                    repeats=20 if quick else 100, warmup=3)
    flops = sum(2 * left.shape[0] * left.shape[1] * right.shape[1] for left, right in pairs)
    return Result("workload 1's 8 matrix products: NumPy @ (OpenBLAS) vs torch.mm (MKL)",
                  times["scratchdl"], times["pytorch"],
                  note=f"{flops / 1e6:.0f} MFLOP per step; scratchdl's products are NumPy's",
                  extra={"mflop": flops / 1e6})


def mlp_adam_update(quick: bool) -> Result:
    """Workload 1's Adam update: ``Adam.apply`` on its six weights against ``torch.optim.Adam``."""
    import torch

    import scratchdl as sd

    rng = np.random.default_rng(0)
    a = _mlp_step_arrays(rng)
    kernels = [a["w1"], a["w2"], a["w3"]]
    shapes = [shape for kernel in kernels for shape in (kernel.shape, kernel.shape[1:])]
    weights_np = [rng.standard_normal(shape, dtype=np.float32) * 0.05 for shape in shapes]
    # Gradients of magnitude >= 0.5: Keras adds epsilon to sqrt(v), PyTorch to the bias-corrected
    # sqrt(v_hat); this keeps the difference far below the check's tolerance.
    grads_np = [(np.sign(g) * (0.5 + np.abs(g))).astype(np.float32)
                for g in (rng.standard_normal(shape, dtype=np.float32) for shape in shapes)]
    weights = [sd.Parameter(w.copy()) for w in weights_np]
    optimizer = sd.optimizers.Adam(1e-3)
    parameters = [torch.nn.Parameter(torch.from_numpy(w.copy())) for w in weights_np]
    for parameter, grad in zip(parameters, grads_np):
        parameter.grad = torch.from_numpy(grad)
    torch_optimizer = torch.optim.Adam(parameters, lr=1e-3)

    def run_scratchdl() -> None:
        optimizer.apply(grads_np, weights)

    def run_torch() -> None:
        torch_optimizer.step()

    run_scratchdl()
    run_torch()
    np.testing.assert_allclose(weights[0].numpy(), parameters[0].detach().numpy(), rtol=1e-5,
                               atol=1e-6)
    times = compare({"scratchdl": run_scratchdl, "pytorch": run_torch},
                    repeats=20 if quick else 100, warmup=3)
    count = sum(w.size for w in weights_np)
    return Result(f"workload 1's Adam update: 6 weights, {count:,} values", times["scratchdl"],
                  times["pytorch"], extra={"values": count})


WORKLOADS = [softmax_cross_entropy, mlp_matrix_products, mlp_adam_update]
