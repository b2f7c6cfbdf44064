"""A 3-layer network trained with Adam on mini-batches, as in course 2, week 3 (the SIGNS hand-sign
classifier): Flatten, Dense(25, relu), Dense(12, relu), Dense(6, softmax), on images scaled to
[0, 1], with sparse categorical cross-entropy.

Default data: six classes of Fashion-MNIST (T-shirt/top, trouser, pullover, dress, coat, sandal);
--dataset digits --classes 0,1,2,3,4,5 takes the 8x8 digits 0-5 instead. --train/--test accept the
course's train_signs.h5 and test_signs.h5 (64x64 RGB hand signs of the digits 0-5) or any
course-format HDF5 files or class folders; the output layer gets one unit per class. The run plots
the train and test accuracy and cost per epoch (from the History that fit returns) and the test
confusion matrix.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

import scratchdl as sd
from scratchdl import data
from scratchdl.apps import _images
from scratchdl.apps._runner import AppError, Results, Table, int_list, positive_float, positive_int

NAME = "signs"
HELP = "a 25-12-6 network trained with Adam on 6 image classes"
QUICK: dict[str, Any] = {"epochs": 5, "train_samples": 1500}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``scratchdl signs``."""
    _images.add_image_data_arguments(parser, default_classes="0,1,2,3,4,5", default_train_samples=6000)
    group = parser.add_argument_group("model and training")
    group.add_argument("--hidden", type=int_list, default="25,12", metavar="LIST",
                       help="hidden ReLU layer sizes (the output layer has one unit per class)")
    group.add_argument("--epochs", type=positive_int, default=20, help="passes over the training set")
    group.add_argument("--batch-size", type=positive_int, default=32, help="mini-batch size")
    group.add_argument("--learning-rate", type=positive_float, default=0.001, help="Adam step size")


def build_model(image_shape: tuple[int, ...], hidden: list[int], classes: int, learning_rate: float) -> sd.Model:
    """``Flatten -> Dense(relu) per hidden size -> Dense(classes, softmax)``, compiled with Adam."""
    layers: list[Any] = [sd.Input(image_shape), sd.layers.Flatten()]
    for i, units in enumerate(hidden, start=1):
        layers.append(sd.layers.Dense(units, activation="relu", name=f"hidden_{i}"))
    layers.append(sd.layers.Dense(classes, activation="softmax", name="output"))
    model = sd.Sequential(layers, name="signs_network")
    model.compile(optimizer=sd.optimizers.Adam(learning_rate=learning_rate),
                  loss=sd.losses.SparseCategoricalCrossentropy(), metrics=["accuracy"])
    return model


def run(args: argparse.Namespace) -> Results:
    """Train with Adam, plot the accuracy curves and the confusion matrix, save the model."""
    run = args.run
    images = _images.load_image_data(args, np.random.default_rng(args.seed))
    classes = len(images.class_names)
    if classes < 2:
        raise AppError(f"signs needs at least two classes, {images.description} has {classes}")
    x, x_test = data.scale_images(images.x_train), data.scale_images(images.x_test)
    y, y_test = images.y_train, images.y_test

    model = build_model(images.image_shape, list(args.hidden), classes, args.learning_rate)
    history = model.fit(x, y, batch_size=args.batch_size, epochs=args.epochs, verbose=0, shuffle=True,
                        validation_data=(x_test, y_test), callbacks=[run.progress("Adam")]).history
    train = model.evaluate(x, y, batch_size=1024, verbose=0, return_dict=True)
    test = model.evaluate(x_test, y_test, batch_size=1024, verbose=0, return_dict=True)
    predicted = model.predict(x_test, batch_size=1024, verbose=0).argmax(axis=-1)
    confusion = np.bincount(y_test * classes + predicted, minlength=classes * classes).reshape(classes, classes)

    sizes = ",".join(str(v) for v in [images.num_features] + list(args.hidden) + [classes])
    table = Table(["set", "images", "accuracy", "cost"],
                  title=f"network {sizes}, Adam (lr {args.learning_rate:g}), {args.epochs} epochs of mini-batches "
                        f"of {args.batch_size}, on {images.description}")
    table.add("train", len(x), train["accuracy"], train["loss"])
    table.add("test", len(x_test), test["accuracy"], test["loss"])
    per_class = Table(["class", "test images", "test accuracy"], title="test accuracy per class")
    for label, name in enumerate(images.class_names):
        count = int(confusion[label].sum())
        per_class.add(name, count, confusion[label, label] / count if count else float("nan"))

    _plot_curves(run, history, images.description)
    _plot_confusion(run, confusion, images.class_names, test["accuracy"])
    run.save_model(model)
    return {"data": images.description, "metric": "test accuracy", "value": test["accuracy"],
            "tables": [table, per_class],
            "metrics": {"train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
                        "train_cost": train["loss"], "test_cost": test["loss"], "classes": images.class_names,
                        "layers": sizes, "history": history, "confusion_matrix": confusion}}


def _plot_curves(run: Any, history: dict[str, list[float]], description: str) -> None:
    fig, (left, right) = run.figure(1, 2, size=(11.0, 4.2))
    epochs = np.arange(1, len(history["loss"]) + 1)
    left.plot(epochs, history["accuracy"], marker="o", markersize=3, label="training set")
    left.plot(epochs, history["val_accuracy"], marker="o", markersize=3, label="test set")
    left.set_ylabel("accuracy")
    left.set_title("Accuracy per epoch", fontsize=10)
    right.plot(epochs, history["loss"], marker="o", markersize=3, label="training set")
    right.plot(epochs, history["val_loss"], marker="o", markersize=3, label="test set")
    right.set_ylabel("cost (cross-entropy)")
    right.set_title("Cost per epoch", fontsize=10)
    for ax in (left, right):
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    run.save_figure(fig, "accuracy.png", title=f"Adam on mini-batches: {description}")


def _plot_confusion(run: Any, confusion: np.ndarray, names: list[str], accuracy: float) -> None:
    classes = len(names)
    side = 1.0 + 0.75 * classes
    fig, ax = run.figure(size=(side + 1.6, side + 0.6))
    shown = ax.imshow(confusion, cmap="Blues")
    fig.colorbar(shown, ax=ax, label="test images", fraction=0.046, pad=0.04)
    ax.set_xticks(range(classes), labels=names, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(classes), labels=names, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    limit = confusion.max() / 2 if confusion.size else 0
    for (row, col), count in np.ndenumerate(confusion):
        ax.text(col, row, str(count), ha="center", va="center", fontsize=7,
                color="white" if count > limit else "black")
    ax.set_title(f"Test confusion matrix (accuracy {accuracy:.3f})", fontsize=10)
    run.save_figure(fig, "confusion.png")
