"""Optimization methods, as in course 2, week 2: mini-batch gradient descent against momentum against
RMSprop against Adam, each without learning-rate decay, with exponential decay and with the course's
scheduled inverse-time decay, training the same ReLU network [2, 5, 2, 1] (He initialization) on
mini-batches of the moons set.

The optimizers are ``scratchdl.optimizers``' (Keras's), set up as the course writes them:

- mini-batch gradient descent: ``SGD(learning_rate)``;
- momentum: the course's ``v = beta v + (1 - beta) dW; W -= alpha v``, which is exactly
  ``SGD(alpha * (1 - beta), momentum=beta)`` (Keras's velocity ``v = m v - lr g`` carries no
  ``1 - beta``, so at the same rate it steps 1 / (1 - beta) times further);
- RMSprop: ``RMSprop(learning_rate, rho)``;
- Adam: ``Adam(learning_rate, beta_1, beta_2, epsilon)``.

Learning-rate decay is a ``scratchdl.optimizers.schedules`` schedule (it counts mini-batch steps):

- exponential: ``ExponentialDecay(lr0, decay_steps=steps_per_epoch * interval, decay_rate)``, the
  rate multiplied by ``--exponential-decay-rate`` every ``--decay-interval`` epochs, smoothly;
- inverse time, scheduled: ``InverseTimeDecay(lr0, steps_per_epoch * interval, decay_rate,
  staircase=True)``, the course's ``schedule_lr_decay``: ``lr0 / (1 + decay_rate * floor(epoch /
  interval))``.

Without decay every optimizer uses ``--learning-rate`` (the course's 0.0007, where plain gradient
descent and momentum are still far behind Adam after 5000 epochs). With decay they start higher,
as in the course: ``--decay-learning-rate`` (0.1) for gradient descent and momentum,
``--decay-adaptive-learning-rate`` (0.01) for RMSprop and Adam.

Default data: moons (300 training points, noise 0.2; 300 test points from another draw), batches of
64. The run writes one cost figure per decay setting, the learning rates over the epochs, a grid of
decision boundaries, an accuracy table and the trained models (each outputs P(class 1)). ``--csv``
takes your own 2-D data. The full default run trains 12 networks for 5000 epochs each (minutes);
``--quick``, ``--optimizers`` and ``--decays`` make it shorter.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

import numpy as np

import scratchdl as sd
from scratchdl import data
from scratchdl.apps._plots import draw_boundary, plot_curves
from scratchdl.apps._runner import (
    AppError, Results, Table, int_list, non_negative_float, positive_float, positive_int, probability,
)
from scratchdl.apps._two_d import (
    TRAIN_NAMES, accuracy, add_csv_argument, binary_network, compile_binary, load_csv_2d, probability_model,
    to_float32,
)

NAME = "optimize"
HELP = "GD, momentum, RMSprop and Adam, with learning-rate decay"
QUICK: dict[str, Any] = {"epochs": 300, "decay_interval": 60}

#: The optimizers compared, in table order, with their labels.
OPTIMIZERS = {"gd": "gradient descent", "momentum": "momentum", "rmsprop": "RMSprop", "adam": "Adam"}
#: The learning-rate settings compared, in table order, with their labels.
DECAYS = {"none": "no decay", "exponential": "exponential decay", "inverse-time": "scheduled inverse-time decay"}
#: Momentum dashed: at a small rate it follows gradient descent closely (as in the course).
_STYLES = {OPTIMIZERS["momentum"]: {"linestyle": "--"}}
#: Optimizers that divide by a running root mean square: they start from the adaptive decay rate.
ADAPTIVE = ("rmsprop", "adam")


def _choices(kind: str, known: dict[str, str]) -> Any:
    def parse(text: str) -> list[str]:
        names = [part.strip() for part in text.split(",") if part.strip()]
        unknown = [name for name in names if name not in known]
        if not names or unknown:
            raise argparse.ArgumentTypeError(
                f"expected a comma-separated list of {kind} from {', '.join(known)}, got {text!r}")
        return list(dict.fromkeys(names))

    parse.__name__ = f"{kind}_list"
    return parse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``scratchdl optimize``."""
    group = parser.add_argument_group("data (moons)")
    group.add_argument("--samples", type=positive_int, default=300, help="training points")
    group.add_argument("--test-samples", type=positive_int, default=300, help="test points (a fresh draw)")
    group.add_argument("--noise", type=non_negative_float, default=0.2, help="noise of the moons")
    add_csv_argument(group)
    group = parser.add_argument_group("network and training")
    group.add_argument("--hidden-sizes", type=int_list, default="5,2", metavar="LIST",
                       help="ReLU hidden layer sizes (the network is 2, these, 1)")
    group.add_argument("--epochs", type=positive_int, default=5000, help="passes over the training set")
    group.add_argument("--batch-size", type=positive_int, default=64, help="mini-batch size (the last may be smaller)")
    group.add_argument("--optimizers", type=_choices("optimizers", OPTIMIZERS), default="gd,momentum,rmsprop,adam",
                       metavar="LIST", help=f"optimizers to compare ({', '.join(OPTIMIZERS)})")
    group.add_argument("--decays", type=_choices("decays", DECAYS), default="none,exponential,inverse-time",
                       metavar="LIST", help=f"learning-rate settings to compare ({', '.join(DECAYS)})")
    group = parser.add_argument_group("learning rates")
    group.add_argument("--learning-rate", type=positive_float, default=0.0007,
                       help="the learning rate of every optimizer without decay")
    group.add_argument("--decay-learning-rate", type=positive_float, default=0.1,
                       help="initial learning rate of gradient descent and momentum with decay")
    group.add_argument("--decay-adaptive-learning-rate", type=positive_float, default=0.01,
                       help="initial learning rate of RMSprop and Adam with decay")
    group.add_argument("--decay-interval", type=positive_int, default=1000,
                       help="epochs per decay step (decay_steps = steps per epoch * this)")
    group.add_argument("--decay-rate", type=positive_float, default=1.0,
                       help="inverse-time decay: lr0 / (1 + decay_rate * floor(epoch / interval))")
    group.add_argument("--exponential-decay-rate", type=probability, default=0.5,
                       help="exponential decay: lr0 * rate ** (epoch / interval)")
    group = parser.add_argument_group("optimizer constants")
    group.add_argument("--beta", type=probability, default=0.9, help="momentum's beta")
    group.add_argument("--rho", type=probability, default=0.9, help="RMSprop's discount of the mean square")
    group.add_argument("--beta1", type=probability, default=0.9, help="Adam's beta_1")
    group.add_argument("--beta2", type=probability, default=0.999, help="Adam's beta_2")
    group.add_argument("--epsilon", type=positive_float, default=1e-8, help="RMSprop's and Adam's epsilon")


def learning_rate(decay: str, initial: float, steps_per_epoch: int, args: argparse.Namespace) -> Any:
    """The learning rate of one run: ``initial`` itself (``decay='none'``) or a schedule."""
    decay_steps = steps_per_epoch * args.decay_interval
    if decay == "none":
        return initial
    if decay == "exponential":
        return sd.optimizers.schedules.ExponentialDecay(initial, decay_steps=decay_steps,
                                                        decay_rate=args.exponential_decay_rate)
    if decay == "inverse-time":
        return sd.optimizers.schedules.InverseTimeDecay(initial, decay_steps=decay_steps, decay_rate=args.decay_rate,
                                                        staircase=True)
    raise ValueError(f"optimize: unknown decay {decay!r}; expected one of {', '.join(DECAYS)}")


def initial_rate(optimizer: str, decay: str, args: argparse.Namespace) -> float:
    """The course's (undecayed) step size alpha of ``optimizer`` under ``decay``."""
    if decay == "none":
        return args.learning_rate
    return args.decay_adaptive_learning_rate if optimizer in ADAPTIVE else args.decay_learning_rate


def make_optimizer(optimizer: str, decay: str, steps_per_epoch: int,
                   args: argparse.Namespace) -> sd.optimizers.Optimizer:
    """The Keras optimizer of ``optimizer`` under ``decay`` (see the module docstring for momentum's rate)."""
    alpha = initial_rate(optimizer, decay, args)
    if optimizer == "gd":
        return sd.optimizers.SGD(learning_rate(decay, alpha, steps_per_epoch, args))
    if optimizer == "momentum":
        return sd.optimizers.SGD(learning_rate(decay, alpha * (1.0 - args.beta), steps_per_epoch, args),
                                 momentum=args.beta)
    if optimizer == "rmsprop":
        return sd.optimizers.RMSprop(learning_rate(decay, alpha, steps_per_epoch, args), rho=args.rho,
                                     epsilon=args.epsilon)
    if optimizer == "adam":
        return sd.optimizers.Adam(learning_rate(decay, alpha, steps_per_epoch, args), beta_1=args.beta1,
                                  beta_2=args.beta2, epsilon=args.epsilon)
    raise ValueError(f"optimize: unknown optimizer {optimizer!r}; expected one of {', '.join(OPTIMIZERS)}")


def _data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    if args.csv is not None:
        return load_csv_2d(args.csv, args.seed, NAME)
    x, y = data.make_moons(args.samples, noise=args.noise, seed=args.seed)
    x_test, y_test = data.make_moons(args.test_samples, noise=args.noise, seed=args.seed + 1_000_003)
    return x, y, x_test, y_test, f"moons ({args.samples} train, {args.test_samples} test points, noise {args.noise:g})"


def _epoch_rates(decay: str, alpha: float, steps_per_epoch: int, epochs: int, args: argparse.Namespace) -> np.ndarray:
    """The course's step size alpha at the first step of each epoch (momentum's before its 1 - beta)."""
    rate = learning_rate(decay, alpha, steps_per_epoch, args)
    if not callable(rate):
        return np.full(epochs, float(rate))
    return np.array([rate(epoch * steps_per_epoch) for epoch in range(epochs)], dtype=np.float64)


def _rate_label(decay: str, adaptive: bool) -> str:
    if decay == "none":
        return "no decay (every optimizer)"
    return f"{DECAYS[decay]}: {'RMSprop, Adam' if adaptive else 'gradient descent, momentum'}"


def run(args: argparse.Namespace) -> Results:
    """Train every (decay, optimizer) pair on mini-batches; plot costs, rates and boundaries; tabulate."""
    run = args.run
    x, y, x_test, y_test, description = _data(args)
    x, y, x_test, y_test = to_float32(x, y, x_test, y_test)
    if args.batch_size > len(x):
        raise AppError(f"--batch-size: {args.batch_size} is larger than the {len(x)} training points")
    steps_per_epoch = math.ceil(len(x) / args.batch_size)
    sizes = "[2, " + ", ".join(str(h) for h in args.hidden_sizes) + ", 1]"

    table = Table(["optimizer", "decay", "initial rate", "train accuracy", "test accuracy", "final cost"],
                  title=f"ReLU network {sizes}, {args.epochs} epochs of mini-batches of {args.batch_size} "
                        f"({steps_per_epoch} steps per epoch) on {description}", formats={"initial rate": "g"})
    models: dict[tuple[str, str], sd.Model] = {}
    results: dict[str, dict[str, dict[str, float]]] = {}
    costs: dict[str, dict[str, list[float]]] = {}
    for decay in args.decays:
        results[decay], costs[decay] = {}, {}
        for optimizer in args.optimizers:
            sd.utils.set_random_seed(args.seed)  # the same initial weights and batch order for every run
            model = binary_network(args.hidden_sizes, name=f"{optimizer}_{decay}".replace("-", "_"),
                                   kernel_initializer=sd.initializers.HeNormal())
            compile_binary(model, make_optimizer(optimizer, decay, steps_per_epoch, args))
            history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, shuffle=True, verbose=0,
                                callbacks=[run.progress(f"{OPTIMIZERS[optimizer]}, {DECAYS[decay]}")])
            loss = [float(v) for v in history.history["loss"]]
            alpha = initial_rate(optimizer, decay, args)
            r = {"train_accuracy": accuracy(model, x, y), "test_accuracy": accuracy(model, x_test, y_test),
                 "final_cost": loss[-1], "initial_learning_rate": alpha, "steps": model.optimizer.iterations,
                 "final_keras_learning_rate": model.optimizer.learning_rate}
            results[decay][optimizer], costs[decay][OPTIMIZERS[optimizer]] = r, loss
            table.add(OPTIMIZERS[optimizer], DECAYS[decay], alpha, r["train_accuracy"], r["test_accuracy"], loss[-1])
            models[(decay, optimizer)] = probability_model(model)
            run.save_model(models[(decay, optimizer)], f"model-{optimizer}-{decay}")

    for decay in args.decays:
        fig, ax = run.figure(size=(7.0, 4.4))
        plot_curves(ax, costs[decay], xlabel="epoch", ylabel="cost (mean over the epoch's mini-batches)",
                    title=f"mini-batches of {args.batch_size} on {description}", styles=_STYLES)
        run.save_figure(fig, f"cost-{decay}.png", title=f"Optimization: training cost, {DECAYS[decay]}")

    if any(decay != "none" for decay in args.decays):
        fig, ax = run.figure(size=(7.0, 5.2))
        rates = {}
        groups = sorted({name in ADAPTIVE for name in args.optimizers})  # the rate families in use
        for decay in args.decays:
            for adaptive in groups[:1] if decay == "none" else groups:
                alpha = initial_rate("adam" if adaptive else "gd", decay, args)
                rates[_rate_label(decay, adaptive)] = _epoch_rates(decay, alpha, steps_per_epoch, args.epochs, args)
        plot_curves(ax, rates, xlabel="epoch", ylabel="learning rate alpha (log scale)",
                    title=f"Learning rate over the epochs (decay steps every {args.decay_interval} epochs)", log_y=True)
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
        run.save_figure(fig, "learning-rates.png")

    rows, cols = len(args.decays), len(args.optimizers)
    spread = np.ptp(x, axis=0) + 1e-9
    panel = 3.4 * min(1.0, float(spread[1] / spread[0])) + 0.9  # height of one plot with its title
    fig, axes = run.figure(rows, cols, size=(3.4 * cols, panel * rows + 0.7), squeeze=False)
    for i, decay in enumerate(args.decays):
        for j, optimizer in enumerate(args.optimizers):
            r = results[decay][optimizer]
            draw_boundary(axes[i][j], models[(decay, optimizer)], x, y,
                          f"{OPTIMIZERS[optimizer]}, {DECAYS[decay]}\ntrain {r['train_accuracy']:.3f}, "
                          f"test {r['test_accuracy']:.3f}", class_names=TRAIN_NAMES)
    run.save_figure(fig, "boundaries.png", title=f"Decision boundaries after {args.epochs} epochs\n{description}")

    decay0, head = args.decays[0], ("adam" if "adam" in args.optimizers else args.optimizers[-1])
    return {"data": description, "metric": f"train accuracy, {OPTIMIZERS[head]}, {DECAYS[decay0]}",
            "value": results[decay0][head]["train_accuracy"], "tables": [table],
            "metrics": {"results": results, "network": [2, *args.hidden_sizes, 1], "steps_per_epoch": steps_per_epoch,
                        "costs_every_10_epochs": {d: {o: costs[d][OPTIMIZERS[o]][::10] for o in args.optimizers}
                                                  for d in args.decays}}}
