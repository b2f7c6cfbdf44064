"""Gradient checking, as in course 2, week 1: compare backpropagation's gradients with central
differences ``(J(theta + eps) - J(theta - eps)) / (2 eps)`` over every weight of a small network,
and find a planted bug in a hand-written backward.

The network is [4, 5, 3, 1] on a few random samples, in float64 (in float32 the difference quotient
with ``eps = 1e-7`` is mostly rounding noise). Its two hidden layers are written by hand in this
module, as a teaching example of ``scratchdl.Function``: ``LinearOp`` (``z = x W + b``, backward
``dx = g W^T``, ``dW = x^T g``, ``db = sum(g)``) and ``ReluOp`` (backward ``g * (z > 0)``), wrapped in
the Keras-style layer ``HandwrittenDense``; the output layer is the built-in ``Dense(1)``, and the
cost is the binary cross-entropy of its logit. ``scratchdl.gradcheck_parameters`` flattens all the
weights into one vector, moves each entry by ``+-eps``, and compares:
``||grad - gradapprox|| / (||grad|| + ||gradapprox||)``, which must stay below ``--threshold``.

``--plant-bug`` plants a known mistake in the hand-written backward and shows the checker failing
and naming the parameter and index where the two gradients disagree most:

- ``relu-mask`` (the default): the first hidden layer's ReLU forgets its mask and lets the gradient
  through where ``z <= 0``: ``hidden_1/kernel`` and ``hidden_1/bias`` go wrong, nothing else;
- ``kernel-factor``: ``dW`` of the second hidden layer is doubled (the course's ``dW2 = ... * 2``);
- ``bias-factor``: ``db`` of the first hidden layer is multiplied by 4 (the course's ``db1 = 4./m ...``).

The run exits with code 0 either way (the check ran); the verdict is in the results table and in
``metrics.json``. It writes a figure of both gradients entry by entry and the checked model.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import scratchdl as sd
from scratchdl import saving
from scratchdl.apps._runner import Results, Table, int_list, positive_float, positive_int

NAME = "gradcheck"
HELP = "gradient checking; --plant-bug shows it catch a bad backward"
QUICK: dict[str, Any] = {"samples": 3}

#: The bugs ``--plant-bug`` can plant: name -> (the layer it goes in, what it does).
BUGS: dict[str, tuple[str, str]] = {
    "relu-mask": ("hidden_1", "the first hidden layer's ReLU backward forgets its mask (gradient flows where z <= 0)"),
    "kernel-factor": ("hidden_2", "the second hidden layer's kernel gradient is doubled (dW2 * 2)"),
    "bias-factor": ("hidden_1", "the first hidden layer's bias gradient is multiplied by 4 (db1 * 4)"),
}


# ---------------------------------------------------------------------------------------- hand-written ops
class LinearOp(sd.Function):
    """``z = x @ kernel + bias`` with a hand-written backward (``bug`` plants a known mistake)."""

    def __init__(self, bug: str | None = None) -> None:
        self.bug = bug

    def forward(self, x: Any, kernel: Any, bias: Any) -> Any:
        """``x @ kernel + bias`` on raw arrays; saves ``x`` and ``kernel`` for backward."""
        self.save_for_backward(x, kernel)
        return x @ kernel + bias

    def backward(self, grad: Any) -> tuple[Any, Any, Any]:
        """``(grad @ kernel.T, x.T @ grad, grad summed over the batch)``, with the planted bug if any."""
        x, kernel = self.saved
        dx = grad @ kernel.T
        dkernel = x.T @ grad
        dbias = grad.sum(axis=0)
        if self.bug == "kernel-factor":
            dkernel = dkernel * 2  # the planted bug: a stray factor
        elif self.bug == "bias-factor":
            dbias = dbias * 4  # the planted bug: the wrong constant in front of the sum
        return dx, dkernel, dbias


class ReluOp(sd.Function):
    """``max(z, 0)`` with a hand-written backward ``grad * (z > 0)`` (``bug='relu-mask'`` drops the mask)."""

    def __init__(self, bug: str | None = None) -> None:
        self.bug = bug

    def forward(self, z: Any) -> Any:
        """``max(z, 0)`` on raw arrays; saves the mask ``z > 0`` for backward."""
        xp = sd.backend.get_array_module(z)
        self.save_for_backward(z > 0)
        return xp.maximum(z, 0)

    def backward(self, grad: Any) -> Any:
        """``grad * (z > 0)`` (``grad`` unmasked with the planted ``relu-mask`` bug)."""
        (positive,) = self.saved
        if self.bug == "relu-mask":
            return grad  # the planted bug: the gradient also flows where the unit was off
        return grad * positive


@saving.register_keras_serializable(package="scratchdl_apps")
class HandwrittenDense(sd.layers.Layer):
    """A fully connected layer computed by :class:`LinearOp` (and :class:`ReluOp` with
    ``activation='relu'``): the same math as ``Dense``, with backward written by hand.

    Args:
        units: output size.
        activation: ``None`` (linear) or ``'relu'``.
        bug: ``None``, or one of :data:`BUGS` to plant in this layer's backward.
        **kwargs: the base ``Layer`` options (``name``, ``dtype``, ...).
    """

    def __init__(self, units: int, activation: str | None = None, bug: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if activation not in (None, "relu"):
            raise ValueError(f"HandwrittenDense '{self.name}': activation must be None or 'relu', got {activation!r}")
        if bug is not None and bug not in BUGS:
            raise ValueError(f"HandwrittenDense '{self.name}': unknown bug {bug!r}; expected one of {', '.join(BUGS)}")
        self.units = int(units)
        self.activation = activation
        self.bug = bug

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create ``kernel`` (Glorot-normal) and ``bias`` (small random values, so no unit starts at 0)."""
        self.kernel = self.add_weight((input_shape[-1], self.units), initializer="glorot_normal", name="kernel")
        self.bias = self.add_weight((self.units,), initializer=sd.initializers.RandomNormal(stddev=0.1), name="bias")
        self.built = True

    def call(self, inputs: Any, training: bool | None = None, mask: Any = None) -> Any:
        """``relu(inputs @ kernel + bias)`` (or without the ReLU) through the hand-written ops."""
        z = LinearOp(self.bug)(inputs, self.kernel, self.bias)
        return ReluOp(self.bug)(z) if self.activation == "relu" else z

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The input shape with the last dimension replaced by ``units``."""
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        """``units``, ``activation`` and ``bug`` beside the base keys."""
        return {**super().get_config(), "units": self.units, "activation": self.activation, "bug": self.bug}


def build_model(features: int, hidden_sizes: list[int], bug: str | None) -> sd.Sequential:
    """``[features, *hidden_sizes, 1]`` in float64: hand-written ReLU layers ``hidden_1``, ``hidden_2``,
    ... and a built-in ``Dense(1)`` named ``output`` giving the logit; ``bug`` goes in its layer."""
    if bug is not None and int(BUGS[bug][0].split("_")[1]) > len(hidden_sizes):
        raise ValueError(f"gradcheck: --plant-bug {bug} goes in {BUGS[bug][0]}, but the network has "
                         f"{len(hidden_sizes)} hidden layer(s)")
    layers: list[Any] = [sd.Input((features,), dtype="float64")]
    for index, units in enumerate(hidden_sizes, start=1):
        name = f"hidden_{index}"
        planted = bug if bug is not None and BUGS[bug][0] == name else None
        layers.append(HandwrittenDense(units, activation="relu", bug=planted, name=name, dtype="float64"))
    layers.append(sd.layers.Dense(1, name="output", dtype="float64"))
    return sd.Sequential(layers, name="gradcheck_network")


# ---------------------------------------------------------------------------------------- the app
def _bug_choice(text: str) -> str:
    if text not in BUGS:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(BUGS)}, got {text!r}")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``scratchdl gradcheck``."""
    group = parser.add_argument_group("the check")
    group.add_argument("--plant-bug", nargs="?", const="relu-mask", default=None, type=_bug_choice,
                       metavar="BUG", help="plant a known bug in the hand-written backward: " +
                       "; ".join(f"{name}: {what}" for name, (_, what) in BUGS.items()) +
                       " (--plant-bug alone: relu-mask)")
    group.add_argument("--samples", type=positive_int, default=5, help="random samples in the batch")
    group.add_argument("--features", type=positive_int, default=4, help="input features")
    group.add_argument("--hidden-sizes", type=int_list, default="5,3", metavar="LIST",
                       help="hand-written ReLU hidden layer sizes (the network is features, these, 1)")
    group.add_argument("--eps", type=positive_float, default=1e-7, help="finite-difference step epsilon")
    group.add_argument("--threshold", type=positive_float, default=2e-7,
                       help="largest relative difference that passes (the course's threshold)")


def run(args: argparse.Namespace) -> Results:
    """Build the network, check its gradients, tabulate and plot the comparison."""
    run = args.run
    rng = sd.backend.random_generator()  # seeded by --seed
    x = rng.standard_normal((args.samples, args.features))
    y = (rng.random((args.samples, 1)) < 0.5).astype(np.float64)
    model = build_model(args.features, args.hidden_sizes, args.plant_bug)
    loss = sd.losses.BinaryCrossentropy(from_logits=True, dtype="float64")
    parameters = {weight.path: weight for weight in model.trainable_weights}

    def cost() -> sd.Tensor:
        return loss(y, model(x, training=True))

    report = sd.gradcheck_parameters(cost, parameters, eps=args.eps, threshold=args.threshold)
    planted = f"{args.plant_bug} in {BUGS[args.plant_bug][0]}" if args.plant_bug else "none"
    verdict = "passed" if report.passed else "failed"

    per_parameter = Table(["parameter", "shape", "relative difference", "result", "largest |grad - gradapprox|"],
                          title=f"Gradient check of [{args.features}, "
                                f"{', '.join(str(h) for h in args.hidden_sizes)}, 1] on {args.samples} random "
                                f"samples (float64, eps {args.eps:g}), planted bug: {planted}",
                          formats={"relative difference": ".3e", "largest |grad - gradapprox|": ".3e"})
    offset, largest = 0, {}
    for name, weight in parameters.items():
        gap = np.abs(report.analytic[offset:offset + weight.size] - report.numerical[offset:offset + weight.size])
        largest[name] = float(gap.max()) if gap.size else 0.0
        difference = report.per_parameter[name]
        per_parameter.add(name, "x".join(str(s) for s in weight.shape), difference,
                          "pass" if difference <= args.threshold else "FAIL", largest[name])
        offset += weight.size
    worst = f"{report.worst_parameter}{list(report.worst_index)}"
    summary = Table(["check", "value"], title="Verdict")
    summary.add("relative difference, all parameters", f"{report.relative_difference:.3e}")
    summary.add("threshold", f"{args.threshold:g}")
    summary.add("verdict", verdict.upper())
    summary.add("largest disagreement", f"{worst}: grad {report.worst_analytic:.6e}, "
                                        f"gradapprox {report.worst_numerical:.6e}")
    summary.add("planted bug", planted)

    _plot(run, parameters, report, args.threshold, planted)
    run.save_model(model, "model")
    return {"data": f"{args.samples} random samples, {args.features} features (float64)",
            "metric": f"relative difference ({verdict})", "value": report.relative_difference,
            "tables": [per_parameter, summary],
            "metrics": {"passed": report.passed, "verdict": verdict, "relative_difference": report.relative_difference,
                        "threshold": args.threshold, "eps": args.eps, "per_parameter": report.per_parameter,
                        "largest_abs_difference": largest, "worst_parameter": report.worst_parameter,
                        "worst_index": list(report.worst_index), "worst_analytic": report.worst_analytic,
                        "worst_numerical": report.worst_numerical, "planted_bug": args.plant_bug,
                        "planted_in": BUGS[args.plant_bug][0] if args.plant_bug else None}}


def _plot(run: Any, parameters: dict[str, Any], report: Any, threshold: float, planted: str) -> None:
    """Left: backprop's gradient against the numerical one, entry by entry (on the diagonal when
    they agree). Right: their absolute difference per entry, parameter by parameter."""
    from matplotlib import colormaps

    fig, (left, right) = run.figure(1, 2, size=(12.0, 4.8))
    colors = colormaps["tab10"]
    offset = 0
    low = float(min(report.analytic.min(), report.numerical.min()))
    high = float(max(report.analytic.max(), report.numerical.max()))
    pad = 0.05 * (high - low or 1.0)
    left.plot([low - pad, high + pad], [low - pad, high + pad], color="0.6", linewidth=0.8, zorder=0,
              label="grad = gradapprox")
    floor = 1e-18
    for i, (name, weight) in enumerate(parameters.items()):
        a = report.analytic[offset:offset + weight.size]
        n = report.numerical[offset:offset + weight.size]
        index = np.arange(offset, offset + weight.size)
        left.scatter(n, a, s=18, color=colors(i % 10), label=name, edgecolors="none")
        right.scatter(index, np.maximum(np.abs(a - n), floor), s=14, color=colors(i % 10), label=name)
        right.axvspan(offset - 0.5, offset + weight.size - 0.5, color=colors(i % 10), alpha=0.06)
        offset += weight.size
    flat = int(np.argmax(np.abs(report.analytic - report.numerical)))
    left.scatter([report.numerical[flat]], [report.analytic[flat]], s=140, facecolors="none", edgecolors="k",
                 linewidths=1.2, label="largest disagreement")
    right.scatter([flat], [max(abs(report.analytic[flat] - report.numerical[flat]), floor)], s=140,
                  facecolors="none", edgecolors="k", linewidths=1.2)
    left.set_xlabel("gradapprox (central differences)")
    left.set_ylabel("grad (backpropagation)")
    left.set_title("Each weight's gradient, both ways", fontsize=10)
    left.grid(alpha=0.3)
    left.legend(fontsize=7)
    right.set_yscale("log")
    right.set_xlabel("entry of the flattened parameter vector theta")
    right.set_ylabel("|grad - gradapprox| (log scale; 0 drawn at 1e-18)")
    right.set_title(f"Difference per entry; largest at {report.worst_parameter}{list(report.worst_index)}", fontsize=10)
    right.grid(alpha=0.3, which="both")
    verdict = "PASSED" if report.passed else "FAILED"
    run.save_figure(fig, "gradients.png",
                    title=f"Gradient check {verdict}: relative difference {report.relative_difference:.2e} "
                          f"({'<=' if report.passed else '>'} {threshold:g}); planted bug: {planted}")
