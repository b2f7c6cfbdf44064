"""The ``scratchdl`` command: help texts, one-line errors with exit code 2, ``python -m scratchdl``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from scratchdl.apps import _runner
from scratchdl.cli import main

APPS = _runner.load_apps()


def _one_error_line(err: str, prog: str) -> str:
    """The single stderr line of a failed run (asserts there is exactly one and no traceback)."""
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    assert "Traceback" not in err
    assert lines[0].startswith(f"{prog}: error: "), lines[0]
    return lines[0]


def test_help_lists_every_application_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in ["demo", "tour", *APPS]:
        assert f"    {name} " in out, name
    for app in APPS.values():
        assert " ".join(app.HELP.split()[:3]) in " ".join(out.split())


def test_no_command_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 0
    assert "usage: scratchdl" in capsys.readouterr().out


@pytest.mark.parametrize("name", sorted(APPS))
def test_app_help_shows_every_option_with_its_default(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([name, "--help"]) == 0
    out = capsys.readouterr().out
    parser = _runner.app_parser(APPS[name])
    for action in parser._actions:
        if action.dest == "help":
            continue
        assert action.option_strings[0] in out
    flat = " ".join(out.split())
    assert flat.count("(default:") >= len(parser._actions) - 1
    assert "--seed SEED random seed (data, weights, batches) (default: 0)" in flat
    quick = " ".join(f"--{k.replace('_', '-')}" for k in APPS[name].QUICK)
    assert quick.split()[0] in flat.split("--quick", 1)[1]


def test_specific_defaults_are_shown(capsys: pytest.CaptureFixture[str]) -> None:
    main(["deepnn", "--help"])
    flat = " ".join(capsys.readouterr().out.split())
    assert "--batch-size BATCH_SIZE mini-batch size; 0 for full-batch gradient descent (then raise --epochs) (default: 32)" in flat
    main(["planar", "--help"])
    flat = " ".join(capsys.readouterr().out.split())
    assert "(default: 1,2,3,4,5,20,50)" in flat and "(default: flower)" in flat


@pytest.mark.parametrize("argv, message", [
    (["logreg", "--epochs", "-1"], "argument --epochs: expected an integer >= 1, got -1"),
    (["planar", "--hidden-sizes", "4,x"], "argument --hidden-sizes: expected integers >= 1, got 'x'"),
    (["planar", "--data", "moon"], "argument --data: invalid choice: 'moon'"),
    (["deepnn", "--layers", ""], "argument --layers: expected a comma-separated list"),
    (["signs", "--learning-rate", "0"], "argument --learning-rate: expected a number > 0, got 0"),
    (["signs", "--no-such-option"], "unrecognized arguments: --no-such-option"),
    (["logreg", "--classes", "1,1"], "class numbers repeat"),
])
def test_bad_arguments_give_one_line_and_exit_code_2(argv: list[str], message: str,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    line = _one_error_line(captured.err, f"scratchdl {argv[0]}")
    assert message in line
    assert line.endswith(f"(see scratchdl {argv[0]} --help)")
    assert captured.out == ""


def test_unknown_command_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nosuchapp"]) == 2
    assert "invalid choice: 'nosuchapp'" in _one_error_line(capsys.readouterr().err, "scratchdl")


@pytest.fixture()
def corrupt_h5(tmp_path: Path) -> Path:
    path = tmp_path / "train_catvnoncat.h5"
    path.write_bytes(b"\x89HDF\r\n\x1a\n" + np.random.default_rng(0).bytes(300))
    return path


@pytest.mark.parametrize("app", ["logreg", "deepnn", "signs"])
def test_corrupt_data_file_is_one_line_and_exit_code_2(app: str, corrupt_h5: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    code = main([app, "--train", str(corrupt_h5), "--test", str(corrupt_h5), "--out", str(tmp_path / "out")])
    assert code == 2
    line = _one_error_line(capsys.readouterr().err, f"scratchdl {app}")
    assert "train_catvnoncat.h5" in line


def test_missing_files_and_wrong_layouts_are_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = str(tmp_path / "out")
    assert main(["logreg", "--train", str(tmp_path / "nope.h5"), "--test", str(tmp_path / "nope.h5"), "--out", out]) == 2
    assert "no such file" in _one_error_line(capsys.readouterr().err, "scratchdl logreg")

    assert main(["logreg", "--train", str(tmp_path / "nope.h5"), "--out", out]) == 2
    assert "give both --train and --test" in _one_error_line(capsys.readouterr().err, "scratchdl logreg")

    no_pairs = tmp_path / "weights.h5"
    with h5py.File(no_pairs, "w") as handle:
        handle.create_dataset("kernel", data=np.zeros((3, 3)))
    assert main(["deepnn", "--train", str(no_pairs), "--test", str(no_pairs), "--out", out]) == 2
    assert "no x/y dataset pairs" in _one_error_line(capsys.readouterr().err, "scratchdl deepnn")

    bad_csv = tmp_path / "points.csv"
    bad_csv.write_text("a,b,c,label\n1,2,3,0\n4,5,6,1\n")
    assert main(["planar", "--csv", str(bad_csv), "--out", out]) == 2
    assert "planar needs 2 feature columns" in _one_error_line(capsys.readouterr().err, "scratchdl planar")

    ragged = tmp_path / "ragged.csv"
    ragged.write_text("a,b,label\n1,2,0\n4,5\n")
    assert main(["planar", "--csv", str(ragged), "--out", out]) == 2
    assert "ragged.csv" in _one_error_line(capsys.readouterr().err, "scratchdl planar")


def test_traceback_flag_shows_the_real_exception(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        main(["--traceback", "planar", "--csv", str(tmp_path / "missing.csv"), "--out", str(tmp_path / "o")])


def test_python_dash_m_scratchdl_reports_a_corrupt_file_in_one_line(corrupt_h5: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scratchdl", "logreg", "--train", str(corrupt_h5), "--test", str(corrupt_h5),
         "--out", str(tmp_path / "out")],
        capture_output=True, text=True, timeout=120, env={"OMP_NUM_THREADS": "1", "PATH": "/usr/bin:/bin",
                                                            "TQDM_DISABLE": "1"},
    )
    assert result.returncode == 2
    line = _one_error_line(result.stderr, "scratchdl logreg")
    assert str(corrupt_h5) in line


def test_tour_refuses_unknown_applications_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tour", "--apps", "planar,nope", "--out", str(tmp_path / "t")]) == 2
    line = _one_error_line(capsys.readouterr().err, "scratchdl tour")
    assert "unknown application(s) nope" in line
    assert main(["tour", "--apps", ","]) == 2
    assert "expected comma-separated application names" in capsys.readouterr().err


def test_demo_is_kept(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--epochs", "20", "--hidden", "8"]) == 0
    assert "final training accuracy" in capsys.readouterr().out


def test_help_fits_each_command_on_one_line_of_an_80_column_terminal(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    assert main(["--help"]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "COMMAND")
    command_lines = [line for line in lines[start + 1:] if line.startswith("    ")]
    assert all(len(line) <= 80 for line in command_lines)
    assert len(command_lines) == len(APPS) + 2  # demo, tour and one line per application
