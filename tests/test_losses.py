"""scratchdl.losses against Keras 3 itself (torch backend): values, reductions, sample weights,
gradients with respect to y_pred, configs, lookup and serialization."""

import keras
import numpy as np
import pytest
import torch

from scratchdl import Tensor, losses
from scratchdl.autograd.gradcheck import gradcheck

N, K = 6, 4
RNG = np.random.default_rng(2024)


def _f32(x):
    return np.asarray(x, dtype=np.float32)


def _binary():
    p = RNG.uniform(0.0, 1.0, (N, K))
    p[0, 0], p[1, 1], p[2, 2] = 0.0, 1.0, 1e-9  # clipped by both
    return _f32(RNG.integers(0, 2, (N, K))), _f32(p)


def _probs(shape=(N, K), axis=-1):
    p = RNG.uniform(0.05, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True)


def _one_hot(shape=(N, K)):
    return _f32(np.eye(shape[-1])[RNG.integers(0, shape[-1], shape[:-1])])


# Each entry: id, scratchdl factory, keras factory, (y_true, y_pred) maker.
CASES = [
    ("bce", lambda **kw: losses.BinaryCrossentropy(**kw), lambda **kw: keras.losses.BinaryCrossentropy(**kw),
     _binary),
    ("bce_logits_smooth", lambda **kw: losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, **kw),
     lambda **kw: keras.losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, **kw),
     lambda: (_f32(RNG.integers(0, 2, (N, K))), _f32(RNG.normal(0, 3, (N, K))))),
    ("bce_1d", lambda **kw: losses.BinaryCrossentropy(**kw), lambda **kw: keras.losses.BinaryCrossentropy(**kw),
     lambda: (_f32(RNG.integers(0, 2, (N,))), _f32(RNG.uniform(0.01, 0.99, (N,))))),
    ("bce_column_vs_flat", lambda **kw: losses.BinaryCrossentropy(from_logits=True, **kw),
     lambda **kw: keras.losses.BinaryCrossentropy(from_logits=True, **kw),
     lambda: (_f32(RNG.integers(0, 2, (N,))), _f32(RNG.normal(0, 2, (N, 1))))),
    ("bce_axis0", lambda **kw: losses.BinaryCrossentropy(axis=0, **kw),
     lambda **kw: keras.losses.BinaryCrossentropy(axis=0, **kw),
     lambda: (_f32(RNG.integers(0, 2, (N, K))), _f32(RNG.uniform(0.01, 0.99, (N, K))))),
    ("cce", lambda **kw: losses.CategoricalCrossentropy(**kw),
     lambda **kw: keras.losses.CategoricalCrossentropy(**kw),
     lambda: (_one_hot(), _f32(RNG.uniform(0.0, 1.0, (N, K))))),
    ("cce_logits_smooth", lambda **kw: losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2, **kw),
     lambda **kw: keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2, **kw),
     lambda: (_one_hot(), _f32(RNG.normal(0, 3, (N, K))))),
    ("cce_soft_targets_3d", lambda **kw: losses.CategoricalCrossentropy(**kw),
     lambda **kw: keras.losses.CategoricalCrossentropy(**kw),
     lambda: (_f32(_probs((N, 3, K))), _f32(_probs((N, 3, K))))),
    ("cce_axis0", lambda **kw: losses.CategoricalCrossentropy(from_logits=True, axis=0, **kw),
     lambda **kw: keras.losses.CategoricalCrossentropy(from_logits=True, axis=0, **kw),
     lambda: (_f32(_probs((N, K), axis=0)), _f32(RNG.normal(0, 2, (N, K))))),
    ("scce", lambda **kw: losses.SparseCategoricalCrossentropy(**kw),
     lambda **kw: keras.losses.SparseCategoricalCrossentropy(**kw),
     lambda: (RNG.integers(0, K, (N,)), _f32(_probs()))),
    ("scce_logits_column_labels", lambda **kw: losses.SparseCategoricalCrossentropy(from_logits=True, **kw),
     lambda **kw: keras.losses.SparseCategoricalCrossentropy(from_logits=True, **kw),
     lambda: (RNG.integers(0, K, (N, 1)), _f32(RNG.normal(0, 3, (N, K))))),
    ("scce_float_labels_3d", lambda **kw: losses.SparseCategoricalCrossentropy(from_logits=True, **kw),
     lambda **kw: keras.losses.SparseCategoricalCrossentropy(from_logits=True, **kw),
     lambda: (_f32(RNG.integers(0, K, (N, 3))), _f32(RNG.normal(0, 3, (N, 3, K))))),
    ("scce_ignore_class", lambda **kw: losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0, **kw),
     lambda **kw: keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=0, **kw),
     lambda: (np.array([0, 1, 2, 0, 3, 1]), _f32(RNG.normal(0, 3, (N, K))))),
    ("scce_ignore_class_3d", lambda **kw: losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, **kw),
     lambda **kw: keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, **kw),
     lambda: (np.where(RNG.random((N, 3)) < 0.3, -1, RNG.integers(0, K, (N, 3))), _f32(RNG.normal(0, 3, (N, 3, K))))),
    ("mse", lambda **kw: losses.MeanSquaredError(**kw), lambda **kw: keras.losses.MeanSquaredError(**kw),
     lambda: (_f32(RNG.normal(size=(N, K))), _f32(RNG.normal(size=(N, K))))),
    ("mse_flat_vs_column", lambda **kw: losses.MeanSquaredError(**kw), lambda **kw: keras.losses.MeanSquaredError(**kw),
     lambda: (_f32(RNG.normal(size=(N,))), _f32(RNG.normal(size=(N, 1))))),
    ("mse_3d_trailing_one", lambda **kw: losses.MeanSquaredError(**kw), lambda **kw: keras.losses.MeanSquaredError(**kw),
     lambda: (_f32(RNG.normal(size=(N, 3))), _f32(RNG.normal(size=(N, 3, 1))))),
    ("mae", lambda **kw: losses.MeanAbsoluteError(**kw), lambda **kw: keras.losses.MeanAbsoluteError(**kw),
     lambda: (_f32(RNG.normal(size=(N, K))), _f32(RNG.normal(size=(N, K))))),
    ("huber", lambda **kw: losses.Huber(**kw), lambda **kw: keras.losses.Huber(**kw),
     lambda: (_f32(RNG.normal(size=(N, K))), _f32(RNG.normal(0, 2, size=(N, K))))),
    ("huber_delta0.5", lambda **kw: losses.Huber(delta=0.5, **kw), lambda **kw: keras.losses.Huber(delta=0.5, **kw),
     lambda: (_f32(RNG.normal(size=(N, K))), _f32(RNG.normal(0, 2, size=(N, K))))),
    ("cosine", lambda **kw: losses.CosineSimilarity(**kw), lambda **kw: keras.losses.CosineSimilarity(**kw),
     lambda: (_f32(RNG.normal(size=(N, K))), _f32(RNG.normal(size=(N, K))))),
    ("cosine_axis0", lambda **kw: losses.CosineSimilarity(axis=0, **kw),
     lambda **kw: keras.losses.CosineSimilarity(axis=0, **kw),
     lambda: (_f32(RNG.normal(size=(N, K))), _f32(RNG.normal(size=(N, K))))),
    ("kld", lambda **kw: losses.KLDivergence(**kw), lambda **kw: keras.losses.KLDivergence(**kw),
     lambda: (_f32(np.where(RNG.random((N, K)) < 0.2, 0.0, _probs())), _f32(_probs()))),
    ("hinge_01_labels", lambda **kw: losses.Hinge(**kw), lambda **kw: keras.losses.Hinge(**kw),
     lambda: (_f32(RNG.integers(0, 2, (N, K))), _f32(RNG.normal(size=(N, K))))),
    ("hinge_pm1_labels", lambda **kw: losses.Hinge(**kw), lambda **kw: keras.losses.Hinge(**kw),
     lambda: (_f32(RNG.choice([-1.0, 1.0], (N, K))), _f32(RNG.normal(size=(N, K))))),
]
CASE_IDS = [c[0] for c in CASES]
DATA = {c[0]: c[3]() for c in CASES}

REDUCTIONS = ["sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None]
WEIGHTS = {
    "none": None,
    "per_sample": _f32(RNG.uniform(0.0, 2.0, (N,))),
    "column": _f32(RNG.uniform(0.0, 2.0, (N, 1))),
    "scalar": _f32(0.7),
    "zeros": np.zeros(N, dtype=np.float32),
}


def _broadcasts(weight, labels):
    try:
        return np.broadcast_shapes(np.shape(weight), np.shape(labels)) == np.shape(labels)
    except ValueError:
        return False


def _keras_value(loss, y_true, y_pred, sample_weight):
    pred = torch.tensor(y_pred, requires_grad=True)
    value = loss(y_true, pred, sample_weight=sample_weight)
    value.sum().backward()
    return value.detach().numpy(), pred.grad.numpy()


def _our_value(loss, y_true, y_pred, sample_weight):
    pred = Tensor(y_pred, requires_grad=True)
    value = loss(y_true, pred, sample_weight=sample_weight)
    value.sum().backward()
    return value, pred.grad


@pytest.mark.parametrize("weight", list(WEIGHTS))
@pytest.mark.parametrize("reduction", REDUCTIONS, ids=[str(r) for r in REDUCTIONS])
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_matches_keras_value_and_gradient(case, reduction, weight):
    name, ours, theirs, _ = case
    y_true, y_pred = DATA[name]
    sample_weight = WEIGHTS[weight]
    try:
        expected, expected_grad = _keras_value(theirs(reduction=reduction), y_true, y_pred, sample_weight)
    except RuntimeError:
        if "ignore_class" in name and sample_weight is not None and _broadcasts(sample_weight, y_true):
            # Keras 3.15 (torch) multiplies the weights by the ignore_class mask in place
            # (`sample_weight *= mask`), which fails whenever the weights must broadcast. The
            # intended result is the same weights spelled out at the mask's shape.
            spelled_out = np.broadcast_to(sample_weight, np.shape(y_true)).copy()
            expected, expected_grad = _keras_value(theirs(reduction=reduction), y_true, y_pred, spelled_out)
            value, grad = _our_value(ours(reduction=reduction), y_true, y_pred, sample_weight)
            np.testing.assert_allclose(value.data, expected, rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-6)
            return
        # Weights that do not broadcast against the per-sample losses: an error in both.
        with pytest.raises(ValueError, match=r"Loss: sample_weight of shape .* cannot be broadcast to "
                                             r"the per-sample losses of shape"):
            _our_value(ours(reduction=reduction), y_true, y_pred, sample_weight)
        return
    value, grad = _our_value(ours(reduction=reduction), y_true, y_pred, sample_weight)
    assert isinstance(value, Tensor) and value.dtype == np.float32
    assert value.shape == expected.shape, f"{name}: shape {value.shape}, Keras {expected.shape}"
    np.testing.assert_allclose(value.data, expected, rtol=1e-6, atol=1e-6)
    assert grad.shape == y_pred.shape and grad.dtype == np.float32
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-5, atol=1e-6)


FUNCTIONS = [
    ("binary_crossentropy", {}, "bce"), ("binary_crossentropy", {"from_logits": True, "label_smoothing": 0.2},
                                         "bce_logits_smooth"),
    ("categorical_crossentropy", {}, "cce"), ("categorical_crossentropy", {"from_logits": True, "label_smoothing": 0.1},
                                              "cce_logits_smooth"),
    ("sparse_categorical_crossentropy", {}, "scce"),
    ("sparse_categorical_crossentropy", {"from_logits": True, "ignore_class": 0}, "scce_ignore_class"),
    ("mean_squared_error", {}, "mse"), ("mean_squared_error", {}, "mse_flat_vs_column"),
    ("mean_absolute_error", {}, "mae"), ("huber", {"delta": 0.7}, "huber"),
    ("cosine_similarity", {"axis": 0}, "cosine"), ("kl_divergence", {}, "kld"),
    ("hinge", {}, "hinge_01_labels"),
]


@pytest.mark.parametrize(("fn", "kwargs", "data"), FUNCTIONS, ids=[f"{f}-{d}" for f, _, d in FUNCTIONS])
def test_functions_match_keras_per_sample(fn, kwargs, data):
    y_true, y_pred = DATA[data]
    expected = getattr(keras.losses, fn)(y_true, y_pred, **kwargs).detach().numpy()
    value = getattr(losses, fn)(y_true, Tensor(y_pred), **kwargs)
    assert value.shape == expected.shape
    np.testing.assert_allclose(value.data, expected, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradient_with_respect_to_y_pred_is_numerically_correct(case):
    name, ours, _, _ = case
    y_true, y_pred = DATA[name]
    y_pred = y_pred.astype(np.float64)
    if name == "bce":  # keep finite differences away from the clipping boundaries
        y_pred = np.clip(y_pred, 0.02, 0.98)
    loss = ours(dtype="float64")
    per_sample_shape = ours(reduction="none", dtype="float64")(y_true, Tensor(y_pred)).shape
    weights = np.random.default_rng(0).uniform(0.5, 2.0, per_sample_shape)
    report = gradcheck(lambda p: loss(y_true, p, sample_weight=weights), [Tensor(y_pred, requires_grad=True)],
                       eps=1e-6, threshold=1e-6)
    assert report.passed, f"{name}:\n{report}"


# ------------------------------------------------------------------------------- API surface
def test_default_names_match_keras():
    pairs = [(losses.BinaryCrossentropy, keras.losses.BinaryCrossentropy),
             (losses.CategoricalCrossentropy, keras.losses.CategoricalCrossentropy),
             (losses.SparseCategoricalCrossentropy, keras.losses.SparseCategoricalCrossentropy),
             (losses.MeanSquaredError, keras.losses.MeanSquaredError),
             (losses.MeanAbsoluteError, keras.losses.MeanAbsoluteError), (losses.Huber, keras.losses.Huber),
             (losses.CosineSimilarity, keras.losses.CosineSimilarity),
             (losses.KLDivergence, keras.losses.KLDivergence), (losses.Hinge, keras.losses.Hinge)]
    for ours, theirs in pairs:
        assert ours().name == theirs().name
        assert ours().reduction == "sum_over_batch_size"
        assert ours().dtype == "float32"
        expected = theirs().get_config()
        ours_config = ours().get_config()
        assert {k: v for k, v in ours_config.items() if k in expected} == expected


def test_custom_subclass_gets_a_unique_snake_case_name_and_runs():
    class MyLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return (y_pred - y_true).sum(axis=-1)

    first, second = MyLoss(), MyLoss()
    assert first.name.startswith("my_loss") and second.name != first.name
    value = MyLoss(reduction="sum")(np.ones((2, 3)), Tensor(np.zeros((2, 3), dtype=np.float32)))
    np.testing.assert_allclose(value.data, -6.0)


def test_config_round_trip():
    for loss in [losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.1, axis=0, reduction="sum"),
                 losses.CategoricalCrossentropy(label_smoothing=0.2, name="cce"),
                 losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=3),
                 losses.Huber(delta=2.0, reduction=None), losses.CosineSimilarity(axis=0),
                 losses.MeanSquaredError(dtype="float64"), losses.Hinge(), losses.KLDivergence(),
                 losses.MeanAbsoluteError(reduction="none")]:
        clone = type(loss).from_config(loss.get_config())
        assert clone.get_config() == loss.get_config()
        restored = losses.deserialize(losses.serialize(loss))
        assert type(restored) is type(loss) and restored.get_config() == loss.get_config()
    assert losses.Huber(delta=2.0).get_config()["delta"] == 2.0


def test_serialize_matches_keras_layout():
    config = losses.serialize(losses.CategoricalCrossentropy(from_logits=True))
    expected = keras.losses.serialize(keras.losses.CategoricalCrossentropy(from_logits=True))
    assert {k: v for k, v in config.items() if k != "config"} == {k: v for k, v in expected.items() if k != "config"}
    assert losses.serialize(losses.mean_squared_error) == keras.losses.serialize(keras.losses.mean_squared_error)
    assert losses.deserialize(losses.serialize(losses.hinge)) is losses.hinge
    # A config written by Keras loads here.
    restored = losses.deserialize(expected)
    assert isinstance(restored, losses.CategoricalCrossentropy) and restored.from_logits


def test_loss_function_wrapper_round_trip_and_call():
    wrapper = losses.LossFunctionWrapper(losses.huber, name="h", delta=0.5)
    y_true, y_pred = DATA["huber"]
    expected = keras.losses.Huber(delta=0.5)(y_true, y_pred)
    np.testing.assert_allclose(wrapper(y_true, Tensor(y_pred)).data, expected.numpy(), rtol=1e-6)
    clone = losses.LossFunctionWrapper.from_config(wrapper.get_config())
    assert clone.fn is losses.huber and clone.get_config() == wrapper.get_config()


@pytest.mark.parametrize("name, expected", [
    ("binary_crossentropy", "binary_crossentropy"), ("bce", "binary_crossentropy"),
    ("categorical_crossentropy", "categorical_crossentropy"),
    ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
    ("mse", "mean_squared_error"), ("MSE", "mean_squared_error"), ("mean_squared_error", "mean_squared_error"),
    ("mae", "mean_absolute_error"), ("mean_absolute_error", "mean_absolute_error"), ("huber", "huber"),
    ("cosine_similarity", "cosine_similarity"), ("kld", "kl_divergence"), ("kl_divergence", "kl_divergence"),
    ("hinge", "hinge"),
])
def test_get_resolves_function_names_like_keras(name, expected):
    assert losses.get(name) is getattr(losses, expected)
    assert keras.losses.get(name).__name__ == expected


def test_get_resolves_classes_instances_callables_and_configs():
    assert isinstance(losses.get("MeanSquaredError"), losses.MeanSquaredError)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    instance = losses.Hinge()
    assert losses.get(instance) is instance
    custom = lambda y_true, y_pred: (y_pred - y_true).sum(axis=-1)  # noqa: E731
    assert losses.get(custom) is custom
    loss = losses.get({"class_name": "CategoricalCrossentropy", "config": {"from_logits": True}})
    assert isinstance(loss, losses.CategoricalCrossentropy) and loss.from_logits
    assert losses.get(None) is None
    assert losses.mse is losses.mean_squared_error and losses.mae is losses.mean_absolute_error
    assert losses.kld is losses.kl_divergence


def test_errors():
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 'nope'"):
        losses.get("nope")
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        losses.get(3)
    with pytest.raises(ValueError, match=r"Loss: invalid reduction 'average'"):
        losses.MeanSquaredError(reduction="average")
    with pytest.raises(ValueError, match=r"class index 5 is out of range for 4 classes"):
        losses.SparseCategoricalCrossentropy()(np.array([5, 0]), Tensor(_f32(_probs((2, K)))))
    with pytest.raises(ValueError, match="non-integer values"):
        losses.sparse_categorical_crossentropy(np.array([0.5, 1.0]), Tensor(_f32(_probs((2, K)))))
    with pytest.raises(ValueError, match=r"targets of shape \(6, 3\) do not match probabilities of shape \(6, 4\)"):
        losses.CategoricalCrossentropy()(np.zeros((N, 3)), Tensor(_f32(_probs())))


def test_y_true_and_sample_weight_may_be_tensors_and_float64_inputs_are_cast():
    y_true, y_pred = DATA["mse"]
    expected = keras.losses.MeanSquaredError()(y_true, y_pred, sample_weight=WEIGHTS["per_sample"])
    pred = Tensor(y_pred.astype(np.float64), requires_grad=True)
    value = losses.MeanSquaredError()(Tensor(y_true), pred, sample_weight=Tensor(WEIGHTS["per_sample"]))
    assert value.dtype == np.float32
    np.testing.assert_allclose(value.data, expected.numpy(), rtol=1e-6)
    value.backward()
    assert pred.grad.dtype == np.float64 and pred.grad.shape == y_pred.shape


def test_single_class_categorical_crossentropy_warns_like_keras():
    with pytest.warns(SyntaxWarning, match="expected y_pred.shape to be"):
        losses.categorical_crossentropy(np.ones((3, 1)), Tensor(np.ones((3, 1), dtype=np.float32)))


def test_registered_custom_loss_function_round_trips_by_name():
    from scratchdl._serialization import register_serializable

    @register_serializable(package="test_losses")
    def doubled_mse(y_true, y_pred):
        return 2.0 * losses.mean_squared_error(y_true, y_pred)

    config = losses.serialize(doubled_mse)
    assert config["config"] == "test_losses>doubled_mse"
    assert losses.deserialize(config) is doubled_mse
    assert losses.get(doubled_mse) is doubled_mse
