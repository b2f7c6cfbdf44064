"""Logistic regression as a one-neuron network: Flatten then Dense(1, sigmoid) on images scaled to
[0, 1], zero-initialized, trained with full-batch gradient descent (SGD) on binary cross-entropy, as
in course 1, week 2.

Default data: Fashion-MNIST T-shirts/tops against shirts, a binary task a linear model finds hard
(about 85% test accuracy). --train/--test take your own files, e.g. the course's
train_catvnoncat.h5 and test_catvnoncat.h5. The run plots the training and test cost, compares
several learning rates in one figure, shows the learned weights as an image, and --predict
classifies image files of your own (resized to the model's input size).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np

import scratchdl as sd
from scratchdl import data
from scratchdl.apps import _images
from scratchdl.apps._plots import plot_curves
from scratchdl.apps._runner import AppError, Results, Table, float_list, positive_float, positive_int

NAME = "logreg"
HELP = "logistic regression (one sigmoid neuron) on images"
QUICK: dict[str, Any] = {"epochs": 300, "train_samples": 2000}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``scratchdl logreg``."""
    _images.add_image_data_arguments(parser, default_classes="0,6", default_train_samples=0)
    group = parser.add_argument_group("training")
    group.add_argument("--epochs", type=positive_int, default=1000, help="full-batch gradient descent steps")
    group.add_argument("--learning-rate", type=positive_float, default=0.05, help="gradient descent step size")
    group.add_argument("--compare-rates", type=float_list, default="0.5,0.05,0.005", metavar="LIST",
                       help="learning rates compared in learning_rates.png")
    parser.add_argument("--predict", nargs="+", metavar="IMAGE", default=None,
                        help="image files to classify with the trained model (resized to its input size)")


def build_model(image_shape: tuple[int, ...], learning_rate: float) -> sd.Model:
    """``Input -> Flatten -> Dense(1, sigmoid)``, zero-initialized, compiled with SGD and BCE."""
    model = sd.Sequential([
        sd.Input(image_shape),
        sd.layers.Flatten(),
        sd.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros", name="neuron"),
    ], name="logistic_regression")
    model.compile(optimizer=sd.optimizers.SGD(learning_rate=learning_rate),
                  loss=sd.losses.BinaryCrossentropy(), metrics=["accuracy"])
    return model


def _train(run: Any, image_shape: tuple[int, ...], learning_rate: float, epochs: int, x: np.ndarray,
           y: np.ndarray, x_test: np.ndarray, y_test: np.ndarray) -> tuple[sd.Model, dict[str, list[float]]]:
    model = build_model(image_shape, learning_rate)
    history = model.fit(x, y, batch_size=len(x), epochs=epochs, shuffle=False, verbose=0,
                        validation_data=(x_test, y_test), callbacks=[run.progress(f"learning rate {learning_rate:g}")])
    return model, history.history


def run(args: argparse.Namespace) -> Results:
    """Train, plot, save, and classify the ``--predict`` images."""
    run = args.run
    rng = np.random.default_rng(args.seed)
    images = _images.load_image_data(args, rng)
    if set(np.unique(np.concatenate([images.y_train, images.y_test]))) - {0, 1}:
        raise AppError(f"logreg needs two classes (labels 0 and 1); {images.description} has labels "
                       f"{sorted(set(images.y_train.tolist()) | set(images.y_test.tolist()))}"
                       + ("; pick two with --classes" if args.train is None else ""))
    x, x_test = data.scale_images(images.x_train), data.scale_images(images.x_test)
    y, y_test = images.y_train.astype(np.float32), images.y_test.astype(np.float32)

    rates = list(dict.fromkeys([args.learning_rate] + list(args.compare_rates)))
    runs: dict[float, tuple[sd.Model, dict[str, list[float]]]] = {}
    for rate in rates:
        runs[rate] = _train(run, images.image_shape, rate, args.epochs, x, y, x_test, y_test)
    model, history = runs[args.learning_rate]

    table = Table(["learning rate", "train cost", "train accuracy", "test accuracy"],
                  title=f"logistic regression, {args.epochs} full-batch steps on {images.description}")
    accuracies: dict[str, dict[str, float]] = {}
    for rate in sorted(rates, reverse=True):
        fitted = runs[rate][0]
        train = fitted.evaluate(x, y, batch_size=4096, verbose=0, return_dict=True)
        test = fitted.evaluate(x_test, y_test, batch_size=4096, verbose=0, return_dict=True)
        accuracies[f"{rate:g}"] = {"train_cost": train["loss"], "train_accuracy": train["accuracy"],
                                   "test_accuracy": test["accuracy"], "test_cost": test["loss"]}
        marker = " (model)" if rate == args.learning_rate else ""
        table.add(f"{rate:g}{marker}", train["loss"], train["accuracy"], test["accuracy"])
    main = accuracies[f"{args.learning_rate:g}"]
    print(f"train accuracy: {main['train_accuracy']:.4f}   test accuracy: {main['test_accuracy']:.4f}")

    _plot_cost(run, history, args.learning_rate, images.description)
    _plot_rates(run, runs, accuracies, images.description)
    _plot_weights(run, model, images)
    run.save_model(model)

    tables = [table]
    predictions = []
    if args.predict:
        predicted = Table(["image", "prediction", f"P({images.class_names[1]})"], title="predictions")
        for path in args.predict:
            image = _images.read_image(path, images.image_shape)
            probability = float(model.predict(data.scale_images(image[None]), verbose=0).reshape(-1)[0])
            label = images.class_names[int(probability >= 0.5)]
            predicted.add(path, label, probability)
            predictions.append({"image": path, "label": label, "probability": probability})
        tables.append(predicted)
    return {
        "data": images.description, "metric": "test accuracy", "value": main["test_accuracy"], "tables": tables,
        "metrics": {"train_accuracy": main["train_accuracy"], "test_accuracy": main["test_accuracy"],
                    "classes": images.class_names, "image_shape": images.image_shape, "learning_rates": accuracies,
                    "cost": history["loss"], "test_cost": history["val_loss"], "predictions": predictions},
    }


def _plot_cost(run: Any, history: dict[str, list[float]], rate: float, description: str) -> None:
    fig, ax = run.figure(size=(6.4, 4.2))
    plot_curves(ax, {"training set": history["loss"], "test set": history["val_loss"]},
                "gradient descent step (full batch)", "cost (binary cross-entropy)",
                f"Logistic regression, learning rate {rate:g}\n{description}",
                styles={"test set": {"linestyle": "--"}})
    run.save_figure(fig, "cost.png")


def _plot_rates(run: Any, runs: dict[float, tuple[Any, dict[str, list[float]]]],
                accuracies: dict[str, dict[str, float]], description: str) -> None:
    fig, ax = run.figure(size=(6.4, 4.2))
    curves = {f"lr {rate:g} (test accuracy {accuracies[f'{rate:g}']['test_accuracy']:.3f})": runs[rate][1]["loss"]
              for rate in sorted(runs, reverse=True)}
    plot_curves(ax, curves, "gradient descent step (full batch)", "training cost (log scale)",
                f"Learning rates compared\n{description}", log_y=True)
    run.save_figure(fig, "learning_rates.png")


def _plot_weights(run: Any, model: sd.Model, images: _images.ImageData) -> None:
    kernel = model.get_layer("neuron").get_weights()[0].reshape(images.image_shape)
    weights = kernel.mean(axis=-1)  # colour images: average the channels
    limit = float(np.abs(weights).max()) or 1.0
    fig, ax = run.figure(size=(4.6, 4.0))
    shown = ax.imshow(weights, cmap="RdBu_r", vmin=-limit, vmax=limit)
    fig.colorbar(shown, ax=ax, label="weight")
    ax.set_title(f"Weights of the neuron\nred: {images.class_names[1]}, blue: {images.class_names[0]}", fontsize=10)
    ax.set_xticks([])
    ax.set_yticks([])
    run.save_figure(fig, "weights.png")
