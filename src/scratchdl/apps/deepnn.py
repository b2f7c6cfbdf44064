"""A deep neural network of any depth for image classification, as in course 1, week 4: Flatten,
ReLU hidden layers (He-initialized), and a sigmoid output (1 unit, two classes) or a softmax output
(one unit per class), trained with gradient descent on full batches (--batch-size 0, the course's
way) or mini-batches.

--layers gives every size from the flattened input to the output (the course's 12288,20,7,5,1 for
64x64x3 images); by default the input size comes from the data and the rest is 20,7,5,1. The run
trains a two-layer network (input, --two-layer-hidden, output) beside it, plots both cost curves,
tabulates train and test accuracy, and draws a gallery of misclassified test images with their true
and predicted labels. Default data: Fashion-MNIST T-shirts/tops against shirts; --train/--test take
your files (course-format HDF5 such as train_catvnoncat.h5, or class folders of images).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from matplotlib.ticker import MaxNLocator

import scratchdl as sd
from scratchdl import data
from scratchdl.apps import _images
from scratchdl.apps._runner import AppError, Results, Table, int_list, non_negative_int, positive_float, \
    positive_int

NAME = "deepnn"
HELP = "an L-layer ReLU network against a two-layer one"
QUICK: dict[str, Any] = {"epochs": 6, "train_samples": 4000}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``scratchdl deepnn``."""
    _images.add_image_data_arguments(parser, default_classes="0,6", default_train_samples=0)
    group = parser.add_argument_group("model and training")
    group.add_argument("--layers", type=int_list, default=None, metavar="LIST",
                       help="layer sizes from the flattened input to the output, e.g. 12288,20,7,5,1; the last is "
                            "1 (sigmoid, two classes) or the number of classes (softmax) (None: <input size>,20,7,5,1, "
                            "or <input size>,20,7,5,<classes> for more than two classes)")
    group.add_argument("--two-layer-hidden", type=positive_int, default=7,
                       help="hidden units of the two-layer network it is compared with")
    group.add_argument("--epochs", type=positive_int, default=20, help="passes over the training set")
    group.add_argument("--batch-size", type=non_negative_int, default=32,
                       help="mini-batch size; 0 for full-batch gradient descent (then raise --epochs)")
    group.add_argument("--learning-rate", type=positive_float, default=0.02, help="gradient descent step size")
    group.add_argument("--gallery", type=positive_int, default=16, help="misclassified test images to draw")


def build_model(image_shape: tuple[int, ...], sizes: list[int], learning_rate: float, name: str) -> sd.Model:
    """``Flatten -> Dense(relu) x (L-1) -> Dense(sigmoid | softmax)`` compiled with SGD.

    ``sizes[0]`` must equal the flattened image size; ``sizes[-1]`` is 1 (sigmoid, binary
    cross-entropy) or the number of classes (softmax, sparse categorical cross-entropy).
    """
    if len(sizes) < 2:
        raise AppError(f"--layers needs at least an input and an output size, got {sizes}")
    flat = int(np.prod(image_shape))
    if sizes[0] != flat:
        shape = "x".join(str(v) for v in image_shape)
        suggestion = ",".join(str(v) for v in [flat] + list(sizes[1:]))
        raise AppError(f"--layers starts with {sizes[0]} but the images ({shape}) flatten to {flat} values; "
                       f"use --layers {suggestion}")
    layers: list[Any] = [sd.Input(image_shape), sd.layers.Flatten()]
    for i, units in enumerate(sizes[1:-1], start=1):
        layers.append(sd.layers.Dense(units, activation="relu", kernel_initializer="he_normal", name=f"hidden_{i}"))
    binary = sizes[-1] == 1
    layers.append(sd.layers.Dense(sizes[-1], activation="sigmoid" if binary else "softmax", name="output"))
    model = sd.Sequential(layers, name=name)
    loss = sd.losses.BinaryCrossentropy() if binary else sd.losses.SparseCategoricalCrossentropy()
    model.compile(optimizer=sd.optimizers.SGD(learning_rate=learning_rate), loss=loss, metrics=["accuracy"])
    return model


def _sizes(args: argparse.Namespace, images: _images.ImageData) -> list[int]:
    classes = len(images.class_names)
    if args.layers is None:
        return [images.num_features, 20, 7, 5, 1 if classes == 2 else classes]
    sizes = list(args.layers)
    if len(sizes) < 2:
        raise AppError(f"--layers needs at least an input and an output size, got {','.join(map(str, sizes))}")
    if sizes[0] != images.num_features:
        shape = "x".join(str(v) for v in images.image_shape)
        suggestion = ",".join(str(v) for v in [images.num_features] + sizes[1:])
        raise AppError(f"--layers starts with {sizes[0]} but the images ({shape}) flatten to {images.num_features} "
                       f"values; use --layers {suggestion}")
    out = sizes[-1]
    if out == 1 and classes > 2:
        raise AppError(f"--layers ends with 1 (a sigmoid for two classes) but the data has {classes} classes; "
                       f"end it with {classes} for a softmax")
    if out != 1 and out != classes:
        raise AppError(f"--layers ends with {out} outputs but the data has {classes} classes; end it with "
                       f"{classes} (softmax)" + (" or 1 (sigmoid)" if classes == 2 else ""))
    return sizes


def _predict(model: sd.Model, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Predicted labels and the probability of each prediction."""
    probabilities = model.predict(x, batch_size=1024, verbose=0)
    if probabilities.shape[-1] == 1:
        p = probabilities.reshape(-1)
        labels = (p >= 0.5).astype(np.int64)
        return labels, np.where(labels == 1, p, 1.0 - p)
    labels = probabilities.argmax(axis=-1)
    return labels, probabilities[np.arange(labels.size), labels]


def run(args: argparse.Namespace) -> Results:
    """Train the L-layer and the two-layer network, plot, tabulate, draw the gallery, save."""
    run = args.run
    images = _images.load_image_data(args, np.random.default_rng(args.seed))
    if len(images.class_names) < 2:
        raise AppError(f"deepnn needs at least two classes, {images.description} has {len(images.class_names)}")
    sizes = _sizes(args, images)
    two_sizes = [sizes[0], args.two_layer_hidden, sizes[-1]]
    x, x_test = data.scale_images(images.x_train), data.scale_images(images.x_test)
    dtype = np.float32 if sizes[-1] == 1 else np.int64
    y, y_test = images.y_train.astype(dtype), images.y_test.astype(dtype)
    batch = args.batch_size or len(x)

    results: dict[str, dict[str, Any]] = {}
    models: dict[str, sd.Model] = {}
    histories: dict[str, dict[str, list[float]]] = {}
    mode = "full-batch" if batch >= len(x) else f"mini-batch {batch}"
    table = Table(["model", "layers", "parameters", "train accuracy", "test accuracy"],
                  title=f"{args.epochs} epochs of {mode} gradient descent on {images.description}")
    for key, layer_sizes in (("two_layer", two_sizes), ("l_layer", sizes)):
        name = "2-layer" if key == "two_layer" else f"{len(sizes) - 1}-layer"
        model = build_model(images.image_shape, layer_sizes, args.learning_rate, name=f"{key}_network")
        history = model.fit(x, y, batch_size=batch, epochs=args.epochs, verbose=0, shuffle=True,
                            validation_data=(x_test, y_test), callbacks=[run.progress(f"{name} network")])
        train = model.evaluate(x, y, batch_size=1024, verbose=0, return_dict=True)
        test = model.evaluate(x_test, y_test, batch_size=1024, verbose=0, return_dict=True)
        models[key], histories[key] = model, history.history
        results[key] = {"name": name, "layers": layer_sizes, "parameters": model.count_params(),
                        "train_accuracy": train["accuracy"], "test_accuracy": test["accuracy"],
                        "cost": history.history["loss"], "test_cost": history.history["val_loss"]}
        table.add(f"{name} network", ",".join(str(s) for s in layer_sizes), model.count_params(),
                  train["accuracy"], test["accuracy"])

    deep = models["l_layer"]
    predicted, confidence = _predict(deep, x_test)
    wrong = np.flatnonzero(predicted != images.y_test)
    _plot_costs(run, results, mode, images.description)
    _plot_gallery(run, images, wrong[: args.gallery], predicted, confidence, len(wrong))
    run.save_model(deep)
    run.save_model(models["two_layer"], "model-2layer")
    print(f"{results['l_layer']['name']} network: train accuracy {results['l_layer']['train_accuracy']:.4f}, "
          f"test accuracy {results['l_layer']['test_accuracy']:.4f}; {len(wrong)} of {len(x_test)} test images wrong")
    return {"data": images.description, "metric": f"test accuracy, {results['l_layer']['name']}",
            "value": results["l_layer"]["test_accuracy"], "tables": [table],
            "metrics": {"models": results, "classes": images.class_names, "image_shape": images.image_shape,
                        "misclassified": int(len(wrong)), "test_size": int(len(x_test))}}


def _plot_costs(run: Any, results: dict[str, dict[str, Any]], mode: str, description: str) -> None:
    fig, ax = run.figure(size=(6.6, 4.3))
    for key, color in (("two_layer", "tab:orange"), ("l_layer", "tab:blue")):
        result = results[key]
        epochs = np.arange(1, len(result["cost"]) + 1)
        sizes = ",".join(str(s) for s in result["layers"])
        ax.plot(epochs, result["cost"], color=color, label=f"{result['name']} ({sizes}), training")
        ax.plot(epochs, result["test_cost"], color=color, linestyle="--", label=f"{result['name']}, test")
    ax.set_xlabel(f"epoch ({mode})")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("cost (cross-entropy)")
    ax.set_title(f"Two-layer against L-layer network\n{description}", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    run.save_figure(fig, "cost.png")


def _plot_gallery(run: Any, images: _images.ImageData, indices: np.ndarray, predicted: np.ndarray,
                  confidence: np.ndarray, total: int) -> None:
    count = max(len(indices), 1)
    cols = min(8, count)
    rows = -(-count // cols)
    fig, axes = run.figure(rows, cols, size=(1.75 * cols + 0.4, 2.4 * rows + 0.6), squeeze=False)
    gray = images.image_shape[-1] == 1
    for ax in axes.ravel():
        ax.set_axis_off()
    for ax, index in zip(axes.ravel(), indices):
        image = images.x_test[index]
        ax.imshow(image[..., 0] if gray else image, cmap="gray" if gray else None, vmin=0, vmax=255)
        true = _images.class_name(images.class_names, images.y_test[index])
        guess = _images.class_name(images.class_names, predicted[index])
        ax.set_title(f"true: {true}\npredicted: {guess}\np = {confidence[index]:.2f}", fontsize=7)
    if not len(indices):
        axes.ravel()[0].text(0.5, 0.5, "no test image\nmisclassified", ha="center", va="center")
    run.save_figure(fig, "misclassified.png",
                    title=f"Misclassified test images ({len(indices)} of {total} shown)")
