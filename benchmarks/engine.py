"""Engine benchmarks (issue: engine): op-chain overhead and a hand-written MLP training step."""

from __future__ import annotations

import numpy as np

from benchmarks.timing import Result, compare_pair


def chain_overhead(quick: bool) -> Result:
    """A chain of 1,000 small elementwise ops, forward and backward."""
    import torch

    import scratchdl as sd

    length = 1000
    x_np = np.random.default_rng(0).standard_normal(16).astype(np.float32)

    def run_scratchdl() -> None:
        x = sd.Tensor(x_np, requires_grad=True)
        y = x
        for i in range(length):
            y = y * 1.0001 if i % 2 else y + 0.001
        y.sum().backward()

    def run_torch() -> None:
        x = torch.tensor(x_np, requires_grad=True)
        y = x
        for i in range(length):
            y = y * 1.0001 if i % 2 else y + 0.001
        y.sum().backward()

    repeats = 5 if quick else 20
    return Result("engine: 1,000-op chain fwd+bwd", *compare_pair(run_scratchdl, run_torch, repeats))


def mlp_step(quick: bool) -> Result:
    """One SGD training step of a 784-512-256-10 MLP, batch 128, float32, written on the engine."""
    import torch

    import scratchdl as sd
    from scratchdl import ops

    rng = np.random.default_rng(0)
    sizes = [784, 512, 256, 10]
    weights = [(rng.standard_normal((a, b)) * np.sqrt(2 / a)).astype(np.float32)
               for a, b in zip(sizes[:-1], sizes[1:])]
    biases = [np.zeros(b, dtype=np.float32) for b in sizes[1:]]
    x_np = rng.standard_normal((128, 784)).astype(np.float32)
    y_np = rng.integers(0, 10, 128)
    lr = 0.01

    params = [sd.Parameter(a.copy()) for pair in zip(weights, biases) for a in pair]
    x_sd = sd.Tensor(x_np)

    def run_scratchdl() -> None:
        h = x_sd
        for layer in range(3):
            h = h @ params[2 * layer] + params[2 * layer + 1]
            if layer < 2:
                h = ops.relu(h)
        loss = ops.softmax_cross_entropy(h, y_np).mean()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
            p.grad = None

    tparams = [torch.tensor(a.copy(), requires_grad=True) for pair in zip(weights, biases) for a in pair]
    x_t = torch.from_numpy(x_np)
    y_t = torch.from_numpy(y_np)

    def run_torch() -> None:
        h = x_t
        for layer in range(3):
            h = h @ tparams[2 * layer] + tparams[2 * layer + 1]
            if layer < 2:
                h = torch.relu(h)
        loss = torch.nn.functional.cross_entropy(h, y_t)
        loss.backward()
        with torch.no_grad():
            for p in tparams:
                p -= lr * p.grad
                p.grad = None

    repeats = 10 if quick else 50
    return Result("engine: MLP 784-512-256-10 SGD step, batch 128",
                  *compare_pair(run_scratchdl, run_torch, repeats), target=1.2)


WORKLOADS = [chain_overhead, mlp_step]
