"""The benchmark runner's --runs: each workload measured several times, the median run reported."""

import json

import pytest

from benchmarks import __main__ as runner
from benchmarks.timing import Result


def _workload(ratios):
    """A fake workload whose successive calls report scratchdl at ``ratio`` x PyTorch's 1 ms."""
    pending = list(ratios)

    def fake_step_workload(quick: bool) -> Result:
        return Result("fake step", pending.pop(0) * 1e-3, 1e-3, None, target=1.0)

    return fake_step_workload


def test_median_run_picks_the_middle_ratio_and_lists_every_run():
    runs = [Result("w", r * 1e-3, 1e-3, target=1.0) for r in (1.10, 0.90, 1.00, 1.20, 0.95)]
    chosen = runner.median_run(runs)
    assert chosen.ratio_pytorch == pytest.approx(1.00)
    assert [run["ratio_pytorch"] for run in chosen.extra["runs"]] == pytest.approx([1.1, 0.9, 1.0, 1.2, 0.95])
    assert chosen.note == "5 runs (1.10x, 0.90x, 1.00x, 1.20x, 0.95x): the median run is shown"


def test_median_run_of_an_even_count_takes_the_less_favourable_middle_run():
    runs = [Result("w", r * 1e-3, 1e-3) for r in (0.9, 1.1, 1.0, 1.2)]
    assert runner.median_run(runs).ratio_pytorch == pytest.approx(1.1)


def test_median_run_without_ratios_ranks_by_time_and_keeps_a_single_run_as_it_is():
    runs = [Result("w", t, note="n") for t in (3.0, 1.0, 2.0)]
    chosen = runner.median_run(runs)
    assert chosen.scratchdl == 2.0 and chosen.note.startswith("n; 3 runs (")
    single = Result("w", 1.0)
    assert runner.median_run([single]) is single and "runs" not in single.extra


def test_runs_option_reports_the_median_run(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(runner, "_suites", lambda: {"fake": [_workload([1.2, 0.9, 1.05])]})
    monkeypatch.setattr(runner, "limit_threads", lambda threads: None)
    out = tmp_path / "results.json"
    assert runner.main(["--runs", "3", "--threads", "1", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "| fake step" in printed and "1.05x" in printed and "| NO " in printed
    assert "note: fake step: 3 runs (1.20x, 0.90x, 1.05x): the median run is shown" in printed
    row = json.loads(out.read_text())["results"][0]
    assert row["ratio_pytorch"] == pytest.approx(1.05) and len(row["runs"]) == 3


def test_runs_must_be_positive(capsys):
    with pytest.raises(SystemExit):
        runner.main(["--runs", "0"])
    assert "--runs must be at least 1" in capsys.readouterr().err
