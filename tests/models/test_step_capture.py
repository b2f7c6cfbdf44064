"""The captured training step (``compile(run_eagerly=False)``, the default): traced once per
batch shape, then replayed, with the eager step's results bit for bit; everything it cannot
replay safely runs eagerly."""

import numpy as np
import pytest

import scratchdl as sd
from scratchdl import layers

RNG = np.random.default_rng(0)


def _mlp():
    return sd.Sequential([sd.Input((12,)), layers.Dense(16, activation="relu"),
                          layers.Dense(8, activation="tanh"), layers.Dense(3)])


def _cnn():
    return sd.Sequential([
        sd.Input((8, 8, 2)), layers.Conv2D(4, 3, padding="same"), layers.ReLU(),
        layers.MaxPooling2D(2), layers.Conv2D(3, 2),
        layers.AveragePooling2D(1), layers.Flatten(), layers.Dense(3, activation="softmax"),
    ])


def _functional():
    inputs = sd.Input((12,))
    shared = layers.Dense(6, activation="relu")
    left = shared(inputs)
    right = shared(layers.Dense(12)(inputs))  # the same weights used twice
    merged = layers.Concatenate()([layers.Add()([left, right]), layers.LeakyReLU()(right)])
    outputs = layers.Activation("softmax")(layers.Dense(3)(merged))
    return sd.Model(inputs, outputs)


def _regression():
    return sd.Sequential([sd.Input((12,)), layers.Dense(10, activation="gelu"),
                          layers.Reshape((5, 2)), layers.GlobalAveragePooling1D(),
                          layers.Dense(1)])


CASES = {
    "mlp": (_mlp, lambda: sd.losses.SparseCategoricalCrossentropy(from_logits=True), (12,), "class"),
    "cnn": (_cnn, lambda: sd.losses.SparseCategoricalCrossentropy(), (8, 8, 2), "class"),
    "functional": (_functional, lambda: "categorical_crossentropy", (12,), "onehot"),
    "regression": (_regression, lambda: "mse", (12,), "value"),
}


def _data(shape, kind, batch=10, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    if kind == "class":
        return x, rng.integers(0, 3, batch)
    if kind == "onehot":
        return x, np.eye(3, dtype=np.float32)[rng.integers(0, 3, batch)]
    return x, rng.standard_normal((batch, 1)).astype(np.float32)


def _pair(build, loss, run_eagerly=False, metrics=None):
    """The same model twice, with the same weights: captured (default) and eager."""
    sd.utils.set_random_seed(0)
    captured, eager = build(), build()
    eager.set_weights(captured.get_weights())
    captured.compile(optimizer="adam", loss=loss(), metrics=metrics, run_eagerly=run_eagerly)
    eager.compile(optimizer="adam", loss=loss(), metrics=metrics, run_eagerly=True)
    return captured, eager


def _assert_same_weights(a, b):
    for x, y in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("case", sorted(CASES))
def test_captured_steps_equal_eager_steps_bit_for_bit(case):
    build, loss, shape, kind = CASES[case]
    metrics = ["accuracy"] if kind != "value" else ["mae"]
    captured, eager = _pair(build, loss, metrics=metrics)
    for step in range(5):
        x, y = _data(shape, kind, seed=step)
        assert captured.train_on_batch(x, y, return_dict=True) == eager.train_on_batch(
            x, y, return_dict=True)
        _assert_same_weights(captured, eager)
    assert captured._step_capture.replays == 3  # step 1 resolves the loss, step 2 traces
    assert eager._step_capture.replays == 0
    for a, b in zip(captured.trainable_weights, eager.trainable_weights):
        np.testing.assert_array_equal(a.grad, b.grad)  # .grad is left as backward leaves it


def test_fit_traces_each_batch_shape_and_matches_eager_fit():
    captured, eager = _pair(_mlp, CASES["mlp"][1])
    x, y = _data((12,), "class", batch=70)  # batches of 32, 32 and 6
    history = captured.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    expected = eager.fit(x, y, batch_size=32, epochs=3, shuffle=False, verbose=0)
    assert history.history == expected.history
    _assert_same_weights(captured, eager)
    assert len(captured._step_capture.plans) == 2 and captured._step_capture.replays > 0


def _dropout_model():
    return sd.Sequential([sd.Input((12,)), layers.Dense(8), layers.Dropout(0.5), layers.Dense(3)])


def _batchnorm_model():
    return sd.Sequential([sd.Input((12,)), layers.Dense(8), layers.BatchNormalization(),
                          layers.Dense(3)])


def _regularized_model():
    return sd.Sequential([sd.Input((12,)),
                          layers.Dense(8, kernel_regularizer=sd.regularizers.L2(0.1)),
                          layers.Dense(3)])


class _LoggingDense(layers.Dense):
    calls = 0

    def call(self, inputs, training=None):
        type(self).calls += 1  # a Python side effect a replay would skip
        return super().call(inputs)


def _custom_layer_model():
    return sd.Sequential([sd.Input((12,)), _LoggingDense(3)])


def _custom_activation_model():
    return sd.Sequential([sd.Input((12,)), layers.Dense(3, activation=lambda t: t * 2.0)])


def _custom_loss(y_true, y_pred):
    return sd.ops.mean(sd.ops.square(y_pred), axis=-1)


def _hinge_model():
    return sd.Sequential([sd.Input((12,)), layers.Dense(1, activation="tanh")])


@pytest.mark.parametrize("build, loss", [
    (_dropout_model, lambda: "sparse_categorical_crossentropy"),
    (_batchnorm_model, lambda: "sparse_categorical_crossentropy"),
    (_regularized_model, lambda: "sparse_categorical_crossentropy"),
    (_custom_layer_model, lambda: "sparse_categorical_crossentropy"),
    (_custom_activation_model, lambda: "sparse_categorical_crossentropy"),
    (_mlp, lambda: _custom_loss),
    (_hinge_model, lambda: "hinge"),  # converts 0/1 labels only when all labels are 0/1
    (_mlp, lambda: "sparse_categorical_crossentropy"),  # labels cast to float, then back
], ids=["dropout", "batchnorm", "regularizer", "custom-layer", "custom-activation", "custom-loss",
        "hinge", "labels-converted-outside-ops"])
def test_steps_with_python_side_effects_run_eagerly(build, loss):
    captured, eager = _pair(build, loss)
    for step in range(4):
        x, y = _data((12,), "class", seed=step)
        sd.utils.set_random_seed(step)
        first = captured.train_on_batch(x, y)
        sd.utils.set_random_seed(step)
        assert first == eager.train_on_batch(x, y)
    assert captured._step_capture.replays == 0
    _assert_same_weights(captured, eager)


def test_sample_weights_and_run_eagerly_run_eagerly():
    captured, _ = _pair(_mlp, CASES["mlp"][1])
    x, y = _data((12,), "class")
    for _ in range(4):
        captured.train_on_batch(x, y, sample_weight=np.ones(10))
    assert captured._step_capture.replays == 0
    eager, _ = _pair(_mlp, CASES["mlp"][1], run_eagerly=True)
    for _ in range(4):
        eager.train_on_batch(x, y)
    assert eager._step_capture.replays == 0 and not eager._step_capture.plans


def test_a_structure_change_traces_again():
    captured, eager = _pair(_mlp, CASES["mlp"][1])
    x, y = _data((12,), "class")
    for model in (captured, eager):
        for _ in range(3):
            model.train_on_batch(x, y)
        model.layers[0].trainable = False  # the first layer's weights stop training
    assert len(captured._step_capture.plans) == 1
    frozen = captured.layers[0].get_weights()
    for model in (captured, eager):
        for _ in range(3):
            model.train_on_batch(x, y)
    assert len(captured._step_capture.plans) == 2
    for a, b in zip(frozen, captured.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    _assert_same_weights(captured, eager)


def test_compile_starts_the_captures_afresh():
    model, _ = _pair(_mlp, CASES["mlp"][1])
    x, y = _data((12,), "class")
    for _ in range(3):
        model.train_on_batch(x, y)
    assert model._step_capture.plans
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    assert not model._step_capture.plans


def test_a_replay_that_disagrees_with_its_trace_falls_back_to_eager(monkeypatch):
    from scratchdl.autograd.capture import CapturedGraph, ReplayMismatch

    captured, eager = _pair(_mlp, CASES["mlp"][1])
    x, y = _data((12,), "class")
    for model in (captured, eager):
        model.train_on_batch(x, y)
        model.train_on_batch(x, y)

    def disagree(self, data):
        raise ReplayMismatch("test")

    monkeypatch.setattr(CapturedGraph, "run", disagree)
    for model in (captured, eager):
        model.train_on_batch(x, y)
    assert list(captured._step_capture.plans.values()) == [None]
    monkeypatch.undo()
    for model in (captured, eager):
        model.train_on_batch(x, y)
    assert captured._step_capture.replays == 0
    _assert_same_weights(captured, eager)


def test_a_step_inside_a_users_trace_runs_eagerly_and_is_recorded_there():
    from scratchdl.autograd.capture import Tracer

    model, _ = _pair(_mlp, CASES["mlp"][1])
    x, y = _data((12,), "class")
    model.train_on_batch(x, y)
    with Tracer() as tracer:
        model.train_on_batch(x, y)
    assert not model._step_capture.plans
    assert "Linear" in [type(call.function).__name__ for call in tracer.calls]
