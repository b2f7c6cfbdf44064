"""The ``scratchdl`` command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Any

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


class CommandListFormatter(argparse.HelpFormatter):
    """Help formatter that keeps each sub-command and its help on one line.

    argparse sizes the help column without the extra indentation of the sub-commands listed under
    ``COMMAND``, so a name longer than the top-level options (``regularize``) would push its help
    to the next line; this formatter counts that indentation.
    """

    def add_argument(self, action: argparse.Action) -> None:
        """Measure ``action`` as argparse does, then its sub-commands at their real indentation."""
        super().add_argument(action)
        subactions = getattr(action, "_get_subactions", None)  # only the sub-command action has them
        if action.help is argparse.SUPPRESS or subactions is None:
            return
        for subaction in subactions():
            width = len(self._format_action_invocation(subaction)) + self._current_indent + self._indent_increment
            self._action_max_length = max(self._action_max_length, width)


def build_parser(apps: dict[str, Any] | None = None) -> argparse.ArgumentParser:
    """The argument parser: ``demo``, ``tour`` and one sub-command per registered application."""
    from scratchdl.apps import _runner

    if apps is None:
        apps = _runner.load_apps()
    parser = _runner.OneLineErrorParser(
        prog="scratchdl",
        description="scratchdl: deep learning from scratch on NumPy, with a Keras-compatible API. "
                    "Each application trains on real data (or your files) and writes its figures, "
                    "metrics.json and model to a run directory.",
        epilog="`scratchdl <command> --help` shows every option of a command with its default.",
        formatter_class=CommandListFormatter,
    )
    parser.add_argument("--traceback", action="store_true",
                        help="show the full traceback of an error instead of one line")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_runner.OneLineErrorParser)
    demo = commands.add_parser("demo", help="train a small network from scratch on spirals",
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    demo.add_argument("--epochs", type=_runner.non_negative_int, default=2000, help="full-batch gradient steps")
    demo.add_argument("--hidden", type=_runner.positive_int, default=100, help="hidden units")
    demo.add_argument("--learning-rate", type=_runner.positive_float, default=1.0, help="step size")
    demo.add_argument("--seed", type=_runner.non_negative_int, default=0, help="random seed")
    demo.set_defaults(handler=run_demo, command_parser=demo)
    tour = commands.add_parser("tour", help="run every application quickly; one results table",
                               formatter_class=argparse.ArgumentDefaultsHelpFormatter,
                               description="Run every registered application with its --quick sizes on its "
                                           "default data, each into <tour dir>/<app>/, and print one table "
                                           "(application, data, metric, value, seconds).")
    tour.add_argument("--apps", type=_name_list, default=list(apps), metavar="NAMES",
                      help="comma-separated applications to run")
    tour.add_argument("--full", action="store_true", help="run each application at its full default sizes")
    tour.add_argument("--out", metavar="DIR", default=None,
                      help="tour directory, one sub-directory per application; None: runs/tour-<YYYYmmdd-HHMMSS>")
    tour.add_argument("--seed", type=_runner.non_negative_int, default=0, help="random seed")
    tour.set_defaults(handler=lambda args: _runner.run_tour(apps, args.apps, args.out, args.seed, args.full),
                      command_parser=tour)
    for app in apps.values():
        _runner.add_app_parser(commands, app)
    return parser


def _name_list(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError(f"expected comma-separated application names, got {text!r}")
    return names


def _app_argv(argv: Sequence[str], command: str) -> list[str]:
    """The arguments after the sub-command's name."""
    argv = list(argv)
    return argv[argv.index(command) + 1:] if command in argv else []


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``scratchdl`` command; returns the exit code.

    Errors a user can cause (bad options, missing or damaged data files) are printed as one line on
    stderr with exit code 2; ``--traceback`` shows the full traceback instead.
    """
    from scratchdl.apps import _runner

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args, extra = parser.parse_known_args(argv)
        if extra:  # reported by the sub-command's parser, so the message names the sub-command
            getattr(args, "command_parser", parser).error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as stop:  # argparse's exits (--help: 0, bad arguments: 2) as return codes
        return int(stop.code or 0) if not isinstance(stop.code, str) else _runner.EXIT_USAGE
    app = getattr(args, "app", None)
    if app is not None:
        return _runner.main_for_app(app, args, _app_argv(argv, args.command))
    handler: Callable[[argparse.Namespace], int] | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return handler(args)
    except _runner.USER_ERRORS as error:
        if args.traceback:
            raise
        _runner.report_error(f"scratchdl {args.command}", error)
        return _runner.EXIT_USAGE
    except KeyboardInterrupt:
        print(f"scratchdl {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
