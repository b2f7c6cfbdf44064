"""Optimizer API: get / serialize / deserialize, configs (and Keras interop), the learning_rate
property, iterations, variables, dtypes, error messages, and a training loop through autograd."""

from __future__ import annotations

import keras
import numpy as np
import pytest

import scratchdl
from scratchdl import optimizers
from tests.optimizers.parity import make_parameters, make_problem, run_ours

NAMES = ["sgd", "adam", "rmsprop", "adamw", "adagrad", "adadelta", "adamax", "nadam"]
CLASSES = {"sgd": "SGD", "adam": "Adam", "rmsprop": "RMSprop", "adamw": "AdamW",
           "adagrad": "Adagrad", "adadelta": "Adadelta", "adamax": "Adamax", "nadam": "Nadam"}


@pytest.mark.parametrize("name", NAMES)
def test_get_by_name_has_keras_defaults(name: str) -> None:
    ours = optimizers.get(name)
    theirs = keras.optimizers.get(name)
    assert type(ours).__name__ == type(theirs).__name__ == CLASSES[name]
    ours_config = ours.get_config()
    theirs_config = theirs.get_config()
    assert set(ours_config) == set(theirs_config)
    for key, value in theirs_config.items():
        if key != "name":
            assert ours_config[key] == pytest.approx(value), key


def test_get_passthrough_none_dict_and_errors() -> None:
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    assert isinstance(optimizers.get("Adam"), optimizers.Adam)
    assert isinstance(optimizers.get({"class_name": "SGD", "config": {"momentum": 0.5}}),
                      optimizers.SGD)
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)
    with pytest.raises(ValueError, match="Could not deserialize optimizer 'lion'"):
        optimizers.get("lion")


@pytest.mark.parametrize("name", NAMES)
def test_config_round_trip_and_keras_interop(name: str) -> None:
    cls = type(optimizers.get(name))
    ours = cls(learning_rate=0.25, clipnorm=2.0, name="opt")
    config = ours.get_config()
    assert cls.from_config(config).get_config() == config
    restored = optimizers.deserialize(optimizers.serialize(ours))
    assert type(restored) is cls and restored.get_config() == config
    # Keras reads our serialized optimizer, and we read Keras's.
    in_keras = keras.optimizers.deserialize(optimizers.serialize(ours))
    assert type(in_keras).__name__ == cls.__name__
    assert in_keras.get_config() == pytest.approx(config) or all(
        in_keras.get_config()[k] == pytest.approx(v) for k, v in config.items() if k != "name")
    from_keras = optimizers.deserialize(keras.optimizers.serialize(in_keras))
    assert from_keras.get_config() == config


def test_serialized_schedule_round_trips() -> None:
    opt = optimizers.AdamW(learning_rate=optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1))
    config = optimizers.serialize(opt)
    assert config["config"]["learning_rate"]["class_name"] == "CosineDecay"
    restored = optimizers.deserialize(config)
    assert isinstance(restored._learning_rate, optimizers.schedules.CosineDecay)
    assert restored.get_config() == opt.get_config()


def test_registered_custom_optimizer_round_trips() -> None:
    from scratchdl._serialization import register_serializable

    @register_serializable(package="tests")
    class HalfSGD(optimizers.SGD):
        def update_step(self, gradient: np.ndarray, variable: scratchdl.Parameter,
                        learning_rate: float) -> None:
            super().update_step(gradient * 0.5, variable, learning_rate)

    restored = optimizers.deserialize(optimizers.serialize(HalfSGD(learning_rate=0.5)))
    assert type(restored) is HalfSGD
    w = scratchdl.Parameter(np.zeros(2, "float32"))
    restored.apply([np.ones(2, "float32")], [w])
    np.testing.assert_allclose(w.data, [-0.25, -0.25])


def test_plain_callable_learning_rate_is_not_serializable() -> None:
    with pytest.raises(ValueError, match="a plain callable learning rate cannot be serialized"):
        optimizers.SGD(learning_rate=lambda: 0.1).get_config()


def test_learning_rate_property_is_float32_valued_and_settable() -> None:
    opt = optimizers.Adam(learning_rate=0.1)
    assert isinstance(opt.learning_rate, float)
    assert opt.learning_rate == float(np.float32(0.1))
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5
    params = make_parameters(*make_problem()[:1])
    opt.apply([np.ones_like(p.data) for p in params], params)
    assert opt.get_state()["learning_rate"] == np.float32(0.5)
    opt.learning_rate = optimizers.schedules.ExponentialDecay(0.1, 1, 0.5)
    assert opt.learning_rate == pytest.approx(0.05)  # the schedule at iterations == 1
    assert "learning_rate" not in opt.get_state()


def test_learning_rate_type_error() -> None:
    with pytest.raises(ValueError, match="Adam: `learning_rate` should be a float"):
        optimizers.Adam(learning_rate="fast")


def test_unknown_argument_error() -> None:
    with pytest.raises(ValueError, match=r"SGD: argument\(s\) not recognized: \{'lr': 0.1\}"):
        optimizers.SGD(lr=0.1)


def test_iterations_and_apply_gradients_return() -> None:
    params = make_parameters(*make_problem()[:1])
    opt = optimizers.SGD()
    assert opt.iterations == 0 and not opt.built
    for expected in (1, 2, 3):
        assert opt.apply_gradients([(np.ones_like(p.data), p) for p in params]) == expected
    assert opt.iterations == 3 and opt.built
    opt.apply([])  # an empty list is a no-op, as Keras
    assert opt.iterations == 3


def test_apply_with_grads_only_after_build() -> None:
    params = make_parameters(*make_problem()[:1])
    opt = optimizers.Adam(learning_rate=0.1)
    with pytest.raises(ValueError, match=r"must already be built: call optimizer.build"):
        opt.apply([np.ones_like(p.data) for p in params])
    opt.build(params)
    opt.apply([np.ones_like(p.data) for p in params])
    assert all(not np.array_equal(p.data, v) for p, v in zip(params, make_problem()[0]))
    with pytest.raises(ValueError, match="got 1 gradients but the optimizer tracks 4 variables"):
        opt.apply([np.ones(1, "float32")])


def test_variables_follow_keras_order_and_count() -> None:
    initial, grads = make_problem()
    for name in NAMES:
        ours = optimizers.get(name)
        theirs = keras.optimizers.get(name)
        params = make_parameters(initial)
        ours.build(params)
        theirs.build([keras.Variable(v) for v in initial])
        assert [v.shape for v in ours.variables] == [tuple(v.shape) for v in theirs.variables]


def test_grad_shape_mismatch_names_both_shapes() -> None:
    w = scratchdl.Parameter(np.zeros((3, 4), "float32"), name="kernel")
    opt = optimizers.Adam()
    with pytest.raises(ValueError, match=r"Adam 'adam\w*': gradient of shape \(4, 3\) does not "
                                         r"match variable 'kernel' of shape \(3, 4\)"):
        opt.apply([np.zeros((4, 3), "float32")], [w])


def test_unknown_variable_error() -> None:
    a = scratchdl.Parameter(np.zeros(2, "float32"), name="a")
    b = scratchdl.Parameter(np.zeros(2, "float32"), name="b")
    opt = optimizers.SGD()
    opt.apply([np.ones(2, "float32")], [a])
    with pytest.raises(ValueError, match=r"unknown variable 'b' of shape \(2,\)"):
        opt.apply([np.ones(2, "float32")], [b])


def test_all_gradients_none_is_an_error() -> None:
    a = scratchdl.Parameter(np.zeros(2, "float32"), name="a")
    with pytest.raises(ValueError, match="no gradients provided for any variable"):
        optimizers.SGD().apply([None], [a])


def test_non_float_and_non_parameter_variables_are_rejected() -> None:
    with pytest.raises(TypeError, match="can only optimize floating-point variables"):
        optimizers.SGD().build([scratchdl.Tensor(np.zeros(2, dtype=np.int64))])
    with pytest.raises(TypeError, match="expected scratchdl Parameters to optimize, got ndarray"):
        optimizers.SGD().build([np.zeros(2, "float32")])


@pytest.mark.parametrize("name", NAMES)
def test_float32_stays_float32_everywhere(name: str) -> None:
    opt = optimizers.get(name)
    opt.weight_decay = 0.01
    initial, grads = make_problem()
    grads64 = [[g.astype(np.float64) for g in step] for step in grads]  # cast to the variable
    for value in run_ours(opt, initial, grads64):
        assert value.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.variables[1:])


@pytest.mark.parametrize("name", NAMES)
def test_float64_variables_are_updated_in_float64(name: str) -> None:
    opt = optimizers.get(name)
    initial, grads = make_problem(dtype=np.float64)
    for value in run_ours(opt, initial, grads):
        assert value.dtype == np.float64
    slots = opt.variables[2:]
    assert slots and all(v.dtype == np.float64 for v in slots) or name == "sgd"


def test_updates_in_place_and_gradients_untouched() -> None:
    w = scratchdl.Parameter(np.ones((2, 2), "float32"))
    buffer = w.data
    grad = np.full((2, 2), 0.5, "float32")
    grad_copy = grad.copy()
    opt = optimizers.Adam(learning_rate=0.1, clipnorm=0.1, weight_decay=0.1)
    opt.apply([grad], [w])
    assert w.data is buffer
    np.testing.assert_array_equal(grad, grad_copy)


def test_tensor_gradients_are_accepted() -> None:
    w = scratchdl.Parameter(np.ones(2, "float32"))
    optimizers.SGD(learning_rate=0.5).apply([scratchdl.Tensor(np.ones(2, "float32"))], [w])
    np.testing.assert_allclose(w.data, [0.5, 0.5])


def test_names_are_unique_like_keras() -> None:
    first, second = optimizers.RMSprop(), optimizers.RMSprop()
    assert first.name.startswith("rm_sprop") and first.name != second.name
    assert optimizers.RMSprop(name="mine").name == "mine"


@pytest.mark.parametrize("name", NAMES)
def test_trains_a_linear_model_through_autograd(name: str) -> None:
    """Least squares y = x w + b with gradients from scratchdl's autograd: the loss must fall."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([1.5, -2.0, 0.5], np.float32) + 0.3).astype(np.float32)
    w = scratchdl.Parameter(np.zeros(3, "float32"), name="kernel")
    b = scratchdl.Parameter(np.zeros((), "float32"), name="bias")
    # Adadelta's first steps are about sqrt(epsilon): give it a larger epsilon to move quickly.
    config = {"adadelta": {"learning_rate": 1.0, "epsilon": 1e-2},
              "adagrad": {"learning_rate": 0.5}}.get(name, {"learning_rate": 0.05})
    opt = optimizers.get({"class_name": name, "config": config})

    def loss_value() -> scratchdl.Tensor:
        prediction = (scratchdl.Tensor(x) * w).sum(axis=1) + b
        return ((prediction - scratchdl.Tensor(y)) ** 2).mean()

    start = loss_value().item()
    for _ in range(150):
        w.grad = b.grad = None
        loss = loss_value()
        loss.backward()
        opt.apply_gradients([(w.grad, w), (b.grad, b)])
    assert loss_value().item() < 0.1 * start


def test_read_only_parameter_data_is_copied_before_in_place_updates() -> None:
    shared = np.ones(3, "float32")
    shared.setflags(write=False)
    w = scratchdl.Parameter(shared)
    optimizers.SGD(learning_rate=0.5).apply([np.ones(3, "float32")], [w])
    np.testing.assert_allclose(w.data, [0.5, 0.5, 0.5])
    np.testing.assert_array_equal(shared, np.ones(3, "float32"))
