"""The ``scratchdl`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

import numpy as np


def _spirals(samples_per_class: int, classes: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved 2-D spirals, one arm per class (CS231n's toy set)."""
    radius = np.tile(np.linspace(0.0, 1.0, samples_per_class), classes)
    labels = np.repeat(np.arange(classes), samples_per_class)
    theta = (labels * 4.0 + radius * 4.0 + rng.normal(0.0, 0.2, radius.shape))
    points = np.stack([radius * np.sin(theta), radius * np.cos(theta)], axis=1)
    return points.astype(np.float32), labels


def run_demo(args: argparse.Namespace) -> int:
    """Train a two-layer network from scratch on spirals with the autograd engine."""
    import scratchdl as sd
    from scratchdl import ops

    sd.backend.set_random_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = _spirals(100, 3, rng)
    hidden = args.hidden
    w1 = sd.Parameter(rng.standard_normal((2, hidden)) * np.sqrt(2.0 / 2), dtype="float32")
    b1 = sd.Parameter(np.zeros(hidden), dtype="float32")
    w2 = sd.Parameter(rng.standard_normal((hidden, 3)) * np.sqrt(1.0 / hidden), dtype="float32")
    b2 = sd.Parameter(np.zeros(3), dtype="float32")
    params = [w1, b1, w2, b2]
    inputs = sd.Tensor(x)

    print(f"scratchdl demo: 2-{hidden}-3 ReLU network, spirals (300 points, 3 classes), "
          f"full-batch gradient descent, lr {args.learning_rate}")
    for epoch in range(args.epochs + 1):
        logits = ops.relu(inputs @ w1 + b1) @ w2 + b2
        loss = ops.softmax_cross_entropy(logits, y).mean()
        if epoch % max(args.epochs // 10, 1) == 0:
            accuracy = float((logits.data.argmax(axis=1) == y).mean())
            print(f"epoch {epoch:5d}  loss {loss.item():.4f}  accuracy {accuracy:.3f}")
        if epoch == args.epochs:
            break
        loss.backward()
        for p in params:
            p.data -= args.learning_rate * p.grad
            p.grad = None
    with sd.no_grad():
        logits = ops.relu(inputs @ w1 + b1) @ w2 + b2
    accuracy = float((logits.data.argmax(axis=1) == y).mean())
    print(f"final training accuracy: {accuracy:.3f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with one sub-command per application."""
    parser = argparse.ArgumentParser(
        prog="scratchdl",
        description="scratchdl: deep learning from scratch on NumPy, with a Keras-compatible API.",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser("demo", help="train a small network from scratch on spirals",
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    demo.add_argument("--epochs", type=int, default=2000, help="full-batch gradient steps")
    demo.add_argument("--hidden", type=int, default=100, help="hidden units")
    demo.add_argument("--learning-rate", type=float, default=1.0, help="step size")
    demo.add_argument("--seed", type=int, default=0, help="random seed")
    demo.set_defaults(handler=run_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``scratchdl`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
