"""The training loop: learning, Keras parity of fit/evaluate, data formats, weighting, callbacks."""

from __future__ import annotations

import warnings
from typing import Any

import keras
import numpy as np
import pytest

import scratchdl as sd
from tests.models import builders


def blobs(n: int = 300, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Three Gaussian blobs in 2-D with integer labels."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 2.5], [2.5, -1.5], [-2.5, -1.5]])
    y = rng.integers(0, 3, size=n)
    x = (centers[y] + rng.normal(scale=0.7, size=(n, 2))).astype("float32")
    return x, y


def classifier(lib: Any, regularize: bool = False, batchnorm: bool = False) -> Any:
    kwargs = {"kernel_regularizer": lib.regularizers.L2(0.01)} if regularize else {}
    layers = [lib.Input((2,)), lib.layers.Dense(16, activation="tanh", **kwargs)]
    if batchnorm:
        layers.append(lib.layers.BatchNormalization())
    layers.append(lib.layers.Dense(3, activation="softmax"))
    return lib.Sequential(layers)


def keras_pair(**kwargs: Any) -> tuple[Any, Any]:
    keras.backend.clear_session()
    sd.backend.clear_session()
    keras_model, model = classifier(keras, **kwargs), classifier(sd, **kwargs)
    model.set_weights(keras_model.get_weights())
    return keras_model, model


def test_fit_learns_blobs_and_reports_history() -> None:
    sd.backend.set_random_seed(0)
    x, y = blobs()
    model = classifier(sd)
    model.compile(optimizer=sd.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=15, batch_size=32, verbose=0)
    assert history is model.history and isinstance(history, sd.callbacks.History)
    assert history.epoch == list(range(15))
    assert history.params == {"verbose": 0, "epochs": 15, "steps": 10}
    assert sorted(history.history) == ["accuracy", "loss"]
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy > 0.95 and history.history["accuracy"][-1] > 0.9
    probabilities = model.predict(x, verbose=0)
    assert probabilities.shape == (300, 3)
    assert (probabilities.argmax(axis=1) == y).mean() == pytest.approx(accuracy, abs=1e-6)
    assert type(model._compile_metrics.metrics[0]).__name__ == "SparseCategoricalAccuracy"


@pytest.mark.parametrize("options", [{}, {"regularize": True, "batchnorm": True}], ids=["plain", "l2_bn"])
def test_sgd_epoch_matches_keras_fit(options: dict[str, Any]) -> None:
    x, y = blobs(100, seed=3)
    weights = np.random.default_rng(4).uniform(0.2, 2.0, size=100).astype("float32")
    keras_model, model = keras_pair(**options)
    histories = []
    for m, lib in ((keras_model, keras), (model, sd)):
        m.compile(optimizer=lib.optimizers.SGD(learning_rate=0.1, momentum=0.5),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"],
                  weighted_metrics=["accuracy"])
        histories.append(m.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, sample_weight=weights,
                               validation_data=(x[:40], y[:40])).history)
    for a, b in zip(model.get_weights(), keras_model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-4)
    keras_history, history = histories
    assert sorted(history) == sorted(keras_history)
    for key in keras_history:
        np.testing.assert_allclose(history[key], keras_history[key], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0), keras_model.evaluate(x, y, verbose=0), rtol=1e-5)


def test_two_input_two_output_training_matches_keras() -> None:
    keras.backend.clear_session()
    sd.backend.clear_session()
    keras_model, model = builders.two_in_two_out(keras), builders.two_in_two_out(sd)
    model.set_weights(keras_model.get_weights())
    rng = np.random.default_rng(1)
    xa, xb = rng.normal(size=(40, 8)).astype("float32"), rng.normal(size=(40, 4)).astype("float32")
    ya = (rng.random((40, 1)) > 0.5).astype("float32")
    yb = rng.normal(size=(40, 3)).astype("float32")
    histories = []
    for m, lib in ((keras_model, keras), (model, sd)):
        m.compile(optimizer=lib.optimizers.SGD(learning_rate=0.05),
                  loss={"out_a": "binary_crossentropy", "out_b": "mse"}, loss_weights={"out_a": 1.0, "out_b": 0.5},
                  metrics={"out_a": ["accuracy"], "out_b": ["mae"]})
        histories.append(m.fit({"a": xa, "b": xb}, {"out_a": ya, "out_b": yb}, batch_size=8, epochs=2,
                               shuffle=False, verbose=0).history)
    keras_history, history = histories
    assert sorted(history) == ["loss", "out_a_accuracy", "out_a_loss", "out_b_loss", "out_b_mae"]
    for key in keras_history:
        np.testing.assert_allclose(history[key], keras_history[key], rtol=1e-5)
    for a, b in zip(model.get_weights(), keras_model.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    expected = keras_model.evaluate([xa, xb], [ya, yb], verbose=0)
    np.testing.assert_allclose(model.evaluate([xa, xb], [ya, yb], verbose=0), expected, rtol=1e-5)
    predictions = model.predict([xa, xb], batch_size=16, verbose=0)
    assert [p.shape for p in predictions] == [(40, 1), (40, 3)]
    np.testing.assert_allclose(model.train_on_batch([xa, xb], [ya, yb]),
                               keras_model.train_on_batch([xa, xb], [ya, yb]), rtol=1e-5)


def test_evaluate_return_forms_and_predict_structures() -> None:
    model = builders.dict_io(sd)
    model.compile(optimizer="sgd", loss={"score": "mse", "klass": "mse"})
    x = {"num": np.ones((10, 3), "float32"), "aux": np.zeros((10, 2), "float32")}
    y = {"score": np.zeros((10, 1), "float32"), "klass": np.zeros((10, 3), "float32")}
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert sorted(logs) == ["klass_loss", "loss", "score_loss"]
    assert logs["loss"] == pytest.approx(logs["klass_loss"] + logs["score_loss"], rel=1e-6)
    assert model.evaluate(x, y, verbose=0) == [logs["loss"], logs["klass_loss"], logs["score_loss"]]
    out = model.predict(x, batch_size=4, verbose=0)
    assert sorted(out) == ["klass", "score"] and out["klass"].shape == (10, 3)
    single = classifier(sd)
    single.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert isinstance(single.evaluate(*blobs(20), verbose=0), float)
    assert single.predict_on_batch(np.ones((4, 2), "float32")).shape == (4, 3)


def test_validation_split_holds_out_the_last_samples() -> None:
    x, y = blobs(100)
    model = classifier(sd)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x, y, validation_split=0.25, epochs=2, batch_size=10, verbose=0)
    assert history.params["steps"] == 8  # 75 training samples
    last_val = model.evaluate(x[75:], y[75:], verbose=0, return_dict=True)
    assert history.history["val_loss"][-1] == pytest.approx(last_val["loss"], rel=1e-6)
    assert history.history["val_accuracy"][-1] == pytest.approx(last_val["accuracy"], rel=1e-6)
    with pytest.raises(ValueError, match="not sufficient"):
        model.fit(x[:1], y[:1], validation_split=0.5, verbose=0)


def test_validation_data_and_frequency() -> None:
    x, y = blobs(60)
    model = classifier(sd)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, validation_data=(x[:20], y[:20], np.ones(20)), validation_freq=2, epochs=4,
                        verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2


def test_class_weight_equals_the_matching_sample_weight() -> None:
    x, y = blobs(64)
    class_weight = {0: 1.0, 1: 4.0, 2: 0.5}
    initial = classifier(sd).get_weights()
    results = []
    for kwargs in ({"class_weight": class_weight}, {"sample_weight": np.array([class_weight[c] for c in y])}, {}):
        model = classifier(sd)
        model.set_weights(initial)
        model.compile(optimizer=sd.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
        history = model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0, **kwargs)
        results.append((model.get_weights(), history.history["loss"][0]))
    for a, b in zip(results[0][0], results[1][0]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    assert results[0][1] == pytest.approx(results[1][1], rel=1e-6)
    assert not np.allclose(results[0][0][0], results[2][0][0])
    with pytest.raises(ValueError, match="class_weight"):
        model.fit(x, y, class_weight=class_weight, sample_weight=np.ones(64), verbose=0)


def test_sample_weight_scales_the_loss_like_keras() -> None:
    x, y = blobs(32)
    weights = np.linspace(0.0, 2.0, 32).astype("float32")
    keras_model, model = keras_pair()
    for m in (keras_model, model):
        m.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    plain = model.test_on_batch(x, y)
    weighted = model.test_on_batch(x, y, sample_weight=weights)
    assert weighted == pytest.approx(keras_model.test_on_batch(x, y, sample_weight=weights), rel=1e-5)
    assert plain == pytest.approx(keras_model.test_on_batch(x, y), rel=1e-5)
    assert weighted != pytest.approx(plain)


def test_generators_and_iterables_as_data() -> None:
    x, y = blobs(96)

    def batches(with_weights: bool = False) -> Any:
        for start in range(0, 96, 32):
            item = (x[start:start + 32], y[start:start + 32])
            yield item + (np.ones(32, "float32"),) if with_weights else item

    model = classifier(sd)
    model.compile(optimizer=sd.optimizers.Adam(0.05), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(batches(), epochs=1, verbose=0)
    assert history.params["steps"] is None and len(history.history["loss"]) == 1
    history = model.fit(batches(with_weights=True), epochs=3, steps_per_epoch=1, verbose=0)
    assert len(history.history["loss"]) == 3
    class Loader:  # a re-iterable object with a length, like a data loader
        def __len__(self) -> int:
            return 4

        def __iter__(self) -> Any:
            return ((x[i:i + 24], y[i:i + 24]) for i in range(0, 96, 24))

    reusable = Loader()
    history = model.fit(reusable, epochs=8, verbose=0, validation_data=iter([(x[:24], y[:24])]))
    assert history.params["steps"] == 4 and "val_loss" in history.history
    assert model.evaluate(reusable, verbose=0, return_dict=True)["accuracy"] > 0.9
    assert model.predict(iter([x[:10], x[10:25]]), verbose=0).shape == (25, 3)
    with pytest.raises(ValueError, match="must not be given"):
        model.fit(batches(), y, verbose=0)


def test_generator_running_out_of_data_warns() -> None:
    x, y = blobs(20)
    model = classifier(sd)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    generator = ((x[i:i + 10], y[i:i + 10]) for i in (0, 10))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(generator, steps_per_epoch=2, epochs=2, verbose=0)
    assert any("ran out of data" in str(w.message) for w in caught)
    assert len(history.history["loss"]) >= 1


def test_batch_level_api_matches_keras() -> None:
    x, y = blobs(24)
    keras_model, model = keras_pair()
    for m, lib in ((keras_model, keras), (model, sd)):
        m.compile(optimizer=lib.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    for _ in range(2):
        np.testing.assert_allclose(model.train_on_batch(x, y), keras_model.train_on_batch(x, y), rtol=1e-5)
    logs = model.train_on_batch(x, y, return_dict=True)
    keras_logs = keras_model.train_on_batch(x, y, return_dict=True)
    assert logs.keys() == keras_logs.keys() == {"loss", "accuracy"}
    np.testing.assert_allclose(model.test_on_batch(x, y), keras_model.test_on_batch(x, y), rtol=1e-5)
    np.testing.assert_allclose(model.predict_on_batch(x), keras_model.predict_on_batch(x), rtol=1e-5, atol=1e-6)
    class_weight = {0: 2.0, 1: 1.0, 2: 0.5}
    np.testing.assert_allclose(model.train_on_batch(x, y, class_weight=class_weight),
                               keras_model.train_on_batch(x, y, class_weight=class_weight), rtol=1e-5)


@pytest.mark.parametrize("targets,activation,expected", [
    ("sparse", "softmax", "SparseCategoricalAccuracy"),
    ("onehot", "softmax", "CategoricalAccuracy"),
    ("binary", "sigmoid", "BinaryAccuracy"),
])
def test_accuracy_string_is_resolved_from_shapes(targets: str, activation: str, expected: str) -> None:
    x, labels = blobs(40)
    units = 1 if targets == "binary" else 3
    y = {"sparse": labels, "onehot": np.eye(3)[labels], "binary": (labels == 0).astype("float32")[:, None]}[targets]
    loss = {"sparse": "sparse_categorical_crossentropy", "onehot": "categorical_crossentropy",
            "binary": "binary_crossentropy"}[targets]
    model = sd.Sequential([sd.Input((2,)), sd.layers.Dense(units, activation=activation)])
    model.compile(optimizer="adam", loss=loss, metrics=["accuracy", "acc"])
    logs = model.fit(x, y, epochs=1, verbose=0).history
    assert sorted(logs) == ["acc", "accuracy", "loss"]
    assert [type(m).__name__ for m in model._compile_metrics.metrics] == [expected, expected]


def test_regularization_is_part_of_the_training_loss() -> None:
    x, y = blobs(32)
    model = classifier(sd, regularize=True)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    data_loss = sd.losses.SparseCategoricalCrossentropy()(y, model(x)).item()
    penalty = 0.01 * float((model.layers[0].kernel.numpy() ** 2).sum())
    assert model.test_on_batch(x, y) == pytest.approx(data_loss + penalty, rel=1e-5)


def test_callbacks_hooks_order_and_stop_training() -> None:
    calls: list[str] = []

    class Recorder(sd.callbacks.Callback):
        def on_train_begin(self, logs: Any = None) -> None:
            calls.append("train_begin")

        def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
            calls.append(f"epoch_begin{epoch}")

        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            calls.append(f"batch{batch}:{sorted(logs)}")

        def on_test_begin(self, logs: Any = None) -> None:
            calls.append("test_begin")

        def on_test_end(self, logs: Any = None) -> None:
            calls.append(f"test_end:{sorted(logs)}")

        def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
            calls.append(f"epoch_end{epoch}:{sorted(logs)}")
            if epoch == 1:
                self.model.stop_training = True

        def on_train_end(self, logs: Any = None) -> None:
            calls.append("train_end")

    x, y = blobs(20)
    model = classifier(sd)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    recorder = Recorder()
    history = model.fit(x, y, batch_size=10, epochs=5, verbose=0, validation_data=(x, y), callbacks=[recorder])
    assert recorder.model is model and recorder.params == {"verbose": 0, "epochs": 5, "steps": 2}
    assert calls == [
        "train_begin",
        "epoch_begin0", "batch0:['loss']", "batch1:['loss']", "test_begin", "test_end:['loss']",
        "epoch_end0:['loss', 'val_loss']",
        "epoch_begin1", "batch0:['loss']", "batch1:['loss']", "test_begin", "test_end:['loss']",
        "epoch_end1:['loss', 'val_loss']",
        "train_end",
    ]
    assert history.epoch == [0, 1]
    resumed = model.fit(x, y, epochs=3, initial_epoch=2, verbose=0)
    assert resumed.epoch == [2]


def test_steps_per_execution_groups_batch_callbacks() -> None:
    seen: list[int] = []

    class Batches(sd.callbacks.Callback):
        def on_train_batch_end(self, batch: int, logs: Any = None) -> None:
            seen.append(batch)

    x, y = blobs(50)
    initial = classifier(sd).get_weights()
    final = {}
    for steps in (1, 2):
        model = classifier(sd)
        model.set_weights(initial)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", steps_per_execution=steps)
        seen.clear()
        model.fit(x, y, batch_size=10, shuffle=False, verbose=0, callbacks=[Batches()])
        final[steps] = model.get_weights()
        assert seen == ([0, 1, 2, 3, 4] if steps == 1 else [1, 3, 4])
    for a, b in zip(final[1], final[2]):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_fit_shuffles_with_the_seeded_generator() -> None:
    x, y = blobs(64)
    final = []
    for _ in range(2):
        sd.backend.set_random_seed(7)
        model = classifier(sd)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        model.fit(x, y, batch_size=8, epochs=2, verbose=0)
        final.append(model.get_weights())
    for a, b in zip(*final):
        np.testing.assert_array_equal(a, b)


def test_errors_name_the_problem() -> None:
    model = classifier(sd)
    x, y = blobs(10)
    with pytest.raises(ValueError, match="must call `compile"):
        model.fit(x, y, verbose=0)
    with pytest.raises(ValueError, match="No loss to compute"):
        model.compile(optimizer="sgd")
        model.fit(x, y, verbose=0)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match="cardinality"):
        model.fit(x, y[:5], verbose=0)
    with pytest.raises(ValueError, match="steps_per_execution"):
        model.compile(optimizer="sgd", loss="mse", steps_per_execution=0)
    two = builders.two_in_two_out(sd)
    with pytest.raises(ValueError, match="outputs"):
        two.compile(optimizer="sgd", loss=["mse"] * 3)
        two.fit([np.ones((4, 8)), np.ones((4, 4))], [np.ones((4, 1)), np.ones((4, 3))], verbose=0)


def test_verbose_modes_print_progress(capsys: pytest.CaptureFixture[str]) -> None:
    x, y = blobs(40)
    model = classifier(sd)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, batch_size=10, epochs=2, verbose=2, validation_data=(x, y))
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("4/4 - ") and "/step - accuracy: " in lines[1]
    assert " - loss: " in lines[1] and " - val_accuracy: " in lines[1] and " - val_loss: " in lines[1]
    model.fit(x, y, batch_size=10, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "4/4" in out and "accuracy: " in out and "loss: " in out
    model.evaluate(x, y, batch_size=10, verbose=2)
    assert capsys.readouterr().out.startswith("4/4 - ")
    model.fit(x, y, epochs=1, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""


def test_losses_of_the_previous_call_do_not_leak_into_a_step() -> None:
    class Branch(sd.Model):
        """Runs its penalized branch only when asked to: its loss must not linger."""

        def __init__(self) -> None:
            super().__init__()
            self.main = sd.layers.Dense(1, kernel_initializer="zeros")
            self.side = sd.layers.Dense(1, activity_regularizer=sd.regularizers.L1(100.0),
                                        kernel_initializer="ones")
            self.use_side = True

        def call(self, x: Any) -> Any:
            return self.main(x) + (self.side(x) * 0.0 if self.use_side else 0.0)

    model = Branch()
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.ones((4, 2), "float32"), np.zeros((4, 1), "float32")
    with_side = model.test_on_batch(x, y)
    model.use_side = False
    assert with_side == pytest.approx(200.0, rel=1e-5)  # 100 * |1 + 1| per sample
    assert model.test_on_batch(x, y) == pytest.approx(0.0, abs=1e-7)
    assert model.train_on_batch(x, y) == pytest.approx(0.0, abs=1e-7)


def test_train_on_batch_follows_trainable_changes_between_calls():
    """train_on_batch reuses its layer and weight lists between calls, but not stale ones."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 5)).astype("float32")
    y = rng.standard_normal((16, 2)).astype("float32")
    first, second = sd.layers.Dense(4, name="first"), sd.layers.Dense(2, name="second")
    model = sd.Sequential([sd.Input((5,)), first, second])
    model.compile(optimizer=sd.optimizers.SGD(0.1), loss="mse")
    model.train_on_batch(x, y)

    first.trainable = False
    before = [w.copy() for w in model.get_weights()]
    model.train_on_batch(x, y)
    after = model.get_weights()
    np.testing.assert_array_equal(after[0], before[0])  # frozen kernel and bias unchanged
    np.testing.assert_array_equal(after[1], before[1])
    assert not np.array_equal(after[2], before[2])

    first.trainable = True
    model.train_on_batch(x, y)
    assert not np.array_equal(model.get_weights()[0], after[0])


def test_train_on_batch_walks_the_layers_again_only_after_a_structure_change():
    from scratchdl.layers.layer import structure_version

    rng = np.random.default_rng(1)
    x = rng.standard_normal((8, 3)).astype("float32")
    y = rng.standard_normal((8, 1)).astype("float32")
    dense = sd.layers.Dense(1)
    model = sd.Sequential([sd.Input((3,)), dense])
    model.compile(optimizer="sgd", loss="mse")
    model.train_on_batch(x, y)
    layers, weights = model._flat_layers.value, model._trainable_cache
    model.train_on_batch(x, y)
    assert model._flat_layers.value is layers and model._trainable_cache is weights

    version = structure_version()
    dense.some_setting = 3  # plain attributes do not count
    assert structure_version() == version
    dense.trainable = True
    assert structure_version() != version
    model.train_on_batch(x, y)
    assert model._flat_layers.value is not layers and model._trainable_cache is not weights

    version = structure_version()
    dense.add_weight((2,), name="extra")
    assert structure_version() != version
    version = structure_version()
    dense.helper = sd.layers.Dense(2)
    assert structure_version() != version
