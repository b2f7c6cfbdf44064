"""End to end: an MLP trained with compile/fit on the real Fashion-MNIST reaches >= 88%."""

import numpy as np
import pytest

import scratchdl as sd
from scratchdl.data import load_fashion_mnist


@pytest.fixture(scope="module")
def fashion_mnist():
    try:
        return load_fashion_mnist()
    except FileNotFoundError as error:  # fail loudly: the test command installs the package
        pytest.fail(f"Fashion-MNIST is missing ({error}); run: sudo apt-get install dataset-fashion-mnist")


@pytest.mark.slow
def test_mlp_reaches_88_percent_on_fashion_mnist(fashion_mnist):
    (x_train, y_train), (x_test, y_test) = fashion_mnist
    x_train = x_train.reshape(len(x_train), -1).astype("float32") / 255.0
    x_test = x_test.reshape(len(x_test), -1).astype("float32") / 255.0
    sd.utils.set_random_seed(0)
    model = sd.Sequential([
        sd.Input((784,)),
        sd.layers.Dense(256, activation="relu"),
        sd.layers.Dropout(0.2),
        sd.layers.Dense(128, activation="relu"),
        sd.layers.Dense(10, activation="softmax"),
    ])
    epochs, batch_size = 10, 128
    steps = epochs * -(-int(len(x_train) * 0.9) // batch_size)
    # Cosine decay: over seeds 0, 1, 2 this ends at 89.0-89.1% test accuracy, a full point above
    # the bar (a constant 1e-3 ends within rounding noise of it).
    schedule = sd.optimizers.schedules.CosineDecay(2e-3, steps, alpha=0.05)
    model.compile(optimizer=sd.optimizers.Adam(schedule), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        validation_split=0.1, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=512, verbose=0)
    assert accuracy >= 0.88, f"test accuracy {accuracy:.4f}"
    predictions = model.predict(x_test[:100], verbose=0)
    assert predictions.shape == (100, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
