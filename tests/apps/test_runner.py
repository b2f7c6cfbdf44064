"""The shared application machinery: tables, JSON, run directories, the registry, --quick, the tour."""

from __future__ import annotations

import argparse
import datetime as real_datetime
import json
import re
import types
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import scratchdl as sd
from scratchdl.apps import APP_MODULES, _runner
from scratchdl.apps._runner import AppError, RunContext, Table, format_table


def test_format_table_aligns_numbers_right_and_text_left() -> None:
    text = format_table(["model", "units", "accuracy"], [["logistic", 0, 0.47], ["tanh", 50, 0.9125]],
                        title="results")
    lines = text.splitlines()
    assert lines[0] == "results"
    assert lines[1] == "model     units  accuracy"
    assert lines[2] == "--------  -----  --------"
    assert lines[3] == "logistic      0    0.4700"
    assert lines[4] == "tanh         50    0.9125"


def test_format_table_formats_nan_bools_and_per_column_specs() -> None:
    text = format_table(["a", "seconds", "ok"], [["x", 12.345, True], ["y", float("nan"), False]],
                        formats={"seconds": ".1f"})
    assert "12.3" in text and "12.345" not in text
    assert "nan" in text and "yes" in text and "no" in text
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        format_table(["a", "b", "c"], [[1, 2]])


def test_table_to_json_and_to_jsonable_convert_numpy() -> None:
    table = Table(["k", "v"], title="t")
    table.add(np.int64(3), np.float32(0.5))
    assert table.to_json() == {"title": "t", "columns": ["k", "v"], "rows": [[3, 0.5]]}
    value = _runner.to_jsonable({"a": np.arange(3), "b": (np.bool_(True), Path("x")), "c": float("inf"),
                                 1: np.float64(2.5)})
    assert value == {"a": [0, 1, 2], "b": [True, "x"], "c": "inf", "1": 2.5}
    json.dumps(value)


def test_make_run_dir_names_by_app_and_time_and_never_reuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    class Frozen(real_datetime.datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Frozen:
            return cls(2024, 5, 17, 9, 3, 7)

    monkeypatch.setattr(_runner._dt, "datetime", Frozen)
    first = _runner.make_run_dir("planar", None, root=tmp_path / "runs")
    second = _runner.make_run_dir("planar", None, root=tmp_path / "runs")
    assert first == tmp_path / "runs" / "planar-20240517-090307"
    assert second == tmp_path / "runs" / "planar-20240517-090307-2"
    assert first.is_dir() and second.is_dir()
    chosen = _runner.make_run_dir("planar", tmp_path / "mine" / "deep", root=tmp_path / "runs")
    assert chosen == tmp_path / "mine" / "deep" and chosen.is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(AppError, match="not a directory"):
        _runner.make_run_dir("planar", tmp_path / "file")


def test_run_context_writes_png_json_and_model(tmp_path: Path) -> None:
    run = RunContext("demo", tmp_path, seed=0)
    fig, ax = run.figure()
    ax.plot([0, 1], [1, 0])
    path = run.save_figure(fig, "line", title="a line")
    assert path.name == "line.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    fig, axes = run.figure(2, 3)
    assert axes.shape == (2, 3)
    model = sd.Sequential([sd.Input((3,)), sd.layers.Dense(2)])
    saved = run.save_model(model)
    assert saved.name == "model.keras" and saved.is_file()
    assert run.figures == ["line.png"] and run.models == ["model.keras"]
    run.write_json("x.json", {"v": np.float32(1.5)})
    assert json.loads((tmp_path / "x.json").read_text()) == {"v": 1.5}


def test_tqdm_progress_shows_one_bar_per_fit(capsys: pytest.CaptureFixture[str]) -> None:
    model = sd.Sequential([sd.Input((2,)), sd.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    progress = _runner.TqdmProgress("fitting the line", disable=False)
    model.fit(np.ones((8, 2), np.float32), np.ones((8, 1), np.float32), epochs=3, verbose=0, callbacks=[progress])
    err = capsys.readouterr().err
    assert "fitting the line" in err and "/3 " in err  # one step per epoch; the bar is cleared at the end


@pytest.mark.parametrize("kind, text, expected", [
    (_runner.int_list, "12288,20,7,5,1", [12288, 20, 7, 5, 1]),
    (_runner.float_list, "0.1, 0.01", [0.1, 0.01]),
    (_runner.positive_int, "3", 3),
    (_runner.non_negative_float, "0", 0.0),
    (_runner.probability, "1", 1.0),
])
def test_argument_types_parse(kind: Any, text: str, expected: Any) -> None:
    assert kind(text) == expected


@pytest.mark.parametrize("kind, text, message", [
    (_runner.int_list, "20,,1", "comma-separated list"),
    (_runner.int_list, "20,0", "integers >= 1"),
    (_runner.int_list, "", "comma-separated list"),
    (_runner.float_list, "0.1,-1", "numbers > 0"),
    (_runner.positive_int, "0", "integer >= 1"),
    (_runner.positive_int, "2.5", "integer >= 1"),
    (_runner.positive_float, "nan", "number > 0"),
    (_runner.probability, "1.5", "(0, 1]"),
])
def test_argument_types_refuse_with_clear_messages(kind: Any, text: str, message: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=re.escape(message)):
        kind(text)


def test_every_registered_app_passes_check_app() -> None:
    apps = _runner.load_apps()
    assert list(apps) == [importlib_name(name) for name in APP_MODULES]
    for app in apps.values():
        parser = _runner.app_parser(app)
        dests = {action.dest for action in parser._actions}
        assert set(app.QUICK) <= dests, f"{app.NAME}: QUICK names unknown options"


def importlib_name(module: str) -> str:
    import importlib

    return importlib.import_module(f"scratchdl.apps.{module}").NAME


def test_check_app_names_what_is_missing() -> None:
    module = types.ModuleType("scratchdl.apps.half")
    module.NAME = "half"
    module.HELP = "line one"
    with pytest.raises(TypeError, match="lacks QUICK, add_arguments, run"):
        _runner.check_app(module)
    module.QUICK, module.add_arguments, module.run = {}, (lambda p: None), (lambda a: {})
    module.HELP = "two\nlines"
    with pytest.raises(TypeError, match="HELP must be one line"):
        _runner.check_app(module)


def _fake_app(name: str, fail: bool = False) -> types.ModuleType:
    module = types.ModuleType(f"fake_{name}")
    module.NAME, module.HELP, module.QUICK = name, f"the {name} application", {"steps": 2}

    def add_arguments(parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--steps", type=_runner.positive_int, default=100, help="steps")

    def run(args: argparse.Namespace) -> dict[str, Any]:
        if fail:
            raise AppError(f"{name} cannot find\nits data")
        fig, ax = args.run.figure()
        ax.plot(range(args.steps))
        args.run.save_figure(fig, "steps.png")
        print("chatter from the app")
        table = Table(["steps"], [[args.steps]])
        return {"data": f"{args.steps} steps", "metric": "steps", "value": float(args.steps), "tables": [table],
                "metrics": {"steps": args.steps}}

    module.add_arguments, module.run = add_arguments, run
    return module


def test_quick_namespace_uses_quick_values_but_explicit_options_win() -> None:
    app = _fake_app("fake")
    parser = _runner.app_parser(app)
    assert _runner.quick_namespace(app, parser, []).steps == 2
    assert _runner.quick_namespace(app, parser, ["--steps", "7"]).steps == 7
    assert parser.parse_args([]).steps == 100


def test_tour_runs_each_app_quickly_and_reports_failures_in_the_table(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    apps = {"fake": _fake_app("fake"), "broken": _fake_app("broken", fail=True)}
    code = _runner.run_tour(apps, ["fake", "broken"], str(tmp_path / "tour"), seed=3)
    out = capsys.readouterr().out
    assert code == 1
    assert "chatter" not in out  # an application's own prints go to stderr during the tour
    lines = out.splitlines()
    assert lines[0] == "scratchdl tour (quick sizes, seed 3)"
    assert re.match(r"application\s+data\s+metric\s+value\s+seconds$", lines[1])
    assert re.match(r"fake\s+2 steps\s+steps\s+2\.0000\s+\d+\.\d$", lines[3])
    assert re.match(r"broken\s+failed\s+broken cannot find its data\s+-\s+\d+\.\d$", lines[4])
    metrics = json.loads((tmp_path / "tour" / "fake" / "metrics.json").read_text())
    assert metrics["options"]["steps"] == 2 and metrics["options"]["quick"] is True
    assert metrics["figures"] == ["steps.png"] and (tmp_path / "tour" / "fake" / "steps.png").is_file()
    tour = json.loads((tmp_path / "tour" / "metrics.json").read_text())
    assert [row[0] for row in tour["table"]["rows"]] == ["fake", "broken"]
    assert (tmp_path / "tour" / "results.txt").read_text().startswith("scratchdl tour")
    with pytest.raises(AppError, match="unknown application"):
        _runner.run_tour(apps, ["nope"], str(tmp_path / "t2"), seed=0)


def test_tour_full_sizes_use_the_defaults(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _runner.run_tour({"fake": _fake_app("fake")}, ["fake"], str(tmp_path), seed=0, full=True) == 0
    assert "100 steps" in capsys.readouterr().out


def test_tiny_numbers_are_shown_in_scientific_notation_not_as_zero():
    from scratchdl.apps._runner import format_table

    text = format_table(["metric", "value"], [["difference", 2.5e-9], ["zero", 0.0], ["accuracy", 0.93]])
    assert "2.50e-09" in text and "0.0000" in text and "0.9300" in text
