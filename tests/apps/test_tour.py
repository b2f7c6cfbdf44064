"""``scratchdl tour``: every registered application, quick sizes, one results table."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scratchdl.apps import _runner
from scratchdl.cli import main


@pytest.mark.slow
def test_tour_runs_every_application_on_its_default_data(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         monkeypatch: pytest.MonkeyPatch, fashion_available) -> None:
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert main(["tour", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    apps = _runner.load_apps()
    lines = out.splitlines()
    assert lines[0] == "scratchdl tour (quick sizes, seed 0)"
    assert re.match(r"application\s+data\s+metric\s+value\s+seconds$", lines[1])
    rows = {line.split()[0]: line for line in lines[3:3 + len(apps)]}
    assert list(rows) == list(apps)
    tour = json.loads((tmp_path / "metrics.json").read_text())
    values = {row[0]: row[3] for row in tour["table"]["rows"]}
    for name in apps:
        metrics = json.loads((tmp_path / name / "metrics.json").read_text())
        assert metrics["options"]["quick"] is True
        assert metrics["figures"] and all((tmp_path / name / f).is_file() for f in metrics["figures"])
        assert metrics["models"] and all((tmp_path / name / m).is_file() for m in metrics["models"])
        assert values[name] == metrics["value"]
    # each application learned at its quick sizes
    assert values["logreg"] > 0.75 and values["deepnn"] > 0.7 and values["signs"] > 0.6 and values["planar"] >= 0.85
