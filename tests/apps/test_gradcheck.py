"""``scratchdl gradcheck``: the gradient checker on a small network, and planted backward bugs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import scratchdl as sd
from scratchdl.apps import gradcheck as app
from scratchdl.cli import main


def _results(metrics: dict) -> dict[str, str]:
    """parameter -> 'pass' or 'FAIL', from the per-parameter table."""
    return {row[0]: row[3] for row in metrics["tables"][0]["rows"]}


def test_clean_network_passes(run_app) -> None:
    code, metrics, out = run_app("gradcheck")
    assert code == 0
    m = metrics["metrics"]
    assert m["passed"] is True and m["verdict"] == "passed" and m["planted_bug"] is None
    assert m["relative_difference"] < 1e-7 and m["threshold"] == 2e-7
    assert list(m["per_parameter"]) == ["hidden_1/kernel", "hidden_1/bias", "hidden_2/kernel", "hidden_2/bias",
                                        "output/kernel", "output/bias"]
    assert all(value < 1e-7 for value in m["per_parameter"].values())
    assert set(_results(metrics).values()) == {"pass"}
    assert [row[1] for row in metrics["tables"][0]["rows"]] == ["4x5", "5", "5x3", "3", "3x1", "1"]
    verdict = dict((row[0], row[1]) for row in metrics["tables"][1]["rows"])
    assert verdict["verdict"] == "PASSED" and verdict["planted bug"] == "none"
    assert metrics["metric"] == "relative difference (passed)" and metrics["value"] == m["relative_difference"]
    assert metrics["figures"] == ["gradients.png"] and metrics["models"] == ["model.keras"]
    for name in metrics["figures"] + metrics["models"] + ["metrics.json"]:
        assert (out / name).is_file() and (out / name).stat().st_size > 0
    # The checked network reloads (its hand-written layers are registered) in float64.
    model = sd.models.load_model(out / "model.keras")
    assert [type(layer).__name__ for layer in model.layers] == ["HandwrittenDense", "HandwrittenDense", "Dense"]
    assert all(w.dtype == np.float64 for w in model.get_weights())


def test_planted_relu_mask_bug_fails_and_is_located_in_the_first_hidden_layer(run_app) -> None:
    code, metrics, _ = run_app("gradcheck", "--plant-bug")
    assert code == 0  # the check ran; its verdict is in the results
    m = metrics["metrics"]
    assert m["passed"] is False and m["verdict"] == "failed"
    assert (m["planted_bug"], m["planted_in"]) == ("relu-mask", "hidden_1")
    assert m["relative_difference"] > 1e-2
    assert m["worst_parameter"] in ("hidden_1/kernel", "hidden_1/bias")
    # The wrong mask only reaches the first layer's weights: everything after it still checks out.
    results = _results(metrics)
    assert results["hidden_1/kernel"] == "FAIL"
    assert [results[name] for name in ("hidden_2/kernel", "hidden_2/bias", "output/kernel", "output/bias")] == \
        ["pass"] * 4
    assert abs(m["worst_analytic"] - m["worst_numerical"]) == pytest.approx(max(m["largest_abs_difference"].values()))
    verdict = dict((row[0], row[1]) for row in metrics["tables"][1]["rows"])
    assert verdict["verdict"] == "FAILED" and verdict["planted bug"] == "relu-mask in hidden_1"
    assert verdict["largest disagreement"].startswith(f"{m['worst_parameter']}{m['worst_index']}")


@pytest.mark.parametrize("bug, parameter, difference", [
    ("kernel-factor", "hidden_2/kernel", 1 / 3),  # |2g - g| / (|2g| + |g|)
    ("bias-factor", "hidden_1/bias", 3 / 5),  # |4g - g| / (|4g| + |g|)
])
def test_planted_factor_bugs_name_their_parameter(run_app, bug: str, parameter: str, difference: float) -> None:
    code, metrics, _ = run_app("gradcheck", "--plant-bug", bug, "--seed", "3")
    assert code == 0
    m = metrics["metrics"]
    assert m["passed"] is False and m["worst_parameter"] == parameter
    assert m["per_parameter"][parameter] == pytest.approx(difference, rel=1e-5)
    assert [name for name, result in _results(metrics).items() if result == "FAIL"] == [parameter]
    assert m["worst_analytic"] == pytest.approx((2 if bug == "kernel-factor" else 4) * m["worst_numerical"], rel=1e-5)


def test_hand_written_ops_against_the_checker_and_the_library() -> None:
    rng = np.random.default_rng(0)
    x, w, b = (sd.Tensor(rng.standard_normal(shape), requires_grad=True) for shape in [(6, 4), (4, 3), (3,)])
    assert sd.gradcheck(lambda x, w, b: app.ReluOp()(app.LinearOp()(x, w, b)), [x, w, b]).passed
    report = sd.gradcheck(lambda x, w, b: app.LinearOp("kernel-factor")(x, w, b), [x, w, b])
    assert [item.passed for item in report.inputs] == [True, False, True]
    assert not sd.gradcheck(lambda z: app.ReluOp("relu-mask")(z), [x]).passed
    # Forward and backward equal the library's matmul/relu.
    out = app.ReluOp()(app.LinearOp()(x, w, b))
    out.sum().backward()
    grads = [t.grad.copy() for t in (x, w, b)]
    for t in (x, w, b):
        t.grad = None
    expected = sd.ops.relu(sd.ops.matmul(x, w) + b)
    expected.sum().backward()
    np.testing.assert_allclose(out.numpy(), expected.numpy())
    for got, t in zip(grads, (x, w, b), strict=True):
        np.testing.assert_allclose(got, t.grad)


def test_handwritten_dense_config_and_errors() -> None:
    layer = app.HandwrittenDense(4, activation="relu", bug="bias-factor", name="h")
    config = layer.get_config()
    assert (config["units"], config["activation"], config["bug"]) == (4, "relu", "bias-factor")
    assert app.HandwrittenDense.from_config(config).get_config() == config
    with pytest.raises(ValueError, match="HandwrittenDense 'bad': activation must be None or 'relu', got 'tanh'"):
        app.HandwrittenDense(2, activation="tanh", name="bad")
    with pytest.raises(ValueError, match="HandwrittenDense 'bad2': unknown bug 'typo'"):
        app.HandwrittenDense(2, bug="typo", name="bad2")


@pytest.mark.parametrize("argv, message", [
    (["--plant-bug", "typo"],
     "argument --plant-bug: expected one of relu-mask, kernel-factor, bias-factor, got 'typo'"),
    (["--plant-bug", "kernel-factor", "--hidden-sizes", "4"],
     "gradcheck: --plant-bug kernel-factor goes in hidden_2, but the network has 1 hidden layer(s)"),
    (["--eps", "0"], "argument --eps: expected a number > 0, got 0"),
])
def test_bad_options_are_one_line(argv: list[str], message: str, tmp_path: Path,
                                  capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gradcheck", *argv, "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert err.startswith("scratchdl gradcheck: error: ") and message in err
