"""Fixtures for the application tests: the Fashion-MNIST check and an in-process runner.

Every application is run in-process through ``scratchdl.cli.main`` (the same path as the command
line) with small sizes, then its run directory is read back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scratchdl.cli import main
from scratchdl.data import fashion_mnist


@pytest.fixture(scope="session")
def fashion_available() -> None:
    """Fail (never skip) with the install command when Fashion-MNIST's Debian package is missing."""
    folder = fashion_mnist.DEFAULT_PATH
    if not (folder / "train-images-idx3-ubyte.gz").is_file():
        pytest.fail(f"Fashion-MNIST is missing from {folder}: run `sudo apt-get install dataset-fashion-mnist` "
                    "(bash scripts/setup.sh does it)")


RunResult = tuple[int, dict[str, Any], Path]


@pytest.fixture()
def run_app(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
            ) -> Callable[..., RunResult]:
    """``run_app("planar", "--epochs", "10")`` -> ``(exit code, metrics.json content, run dir)``."""
    monkeypatch.setenv("TQDM_DISABLE", "1")
    counter = iter(range(1000))

    def go(*argv: str) -> RunResult:
        out = tmp_path / f"run{next(counter)}"
        code = main([*argv, "--out", str(out)])
        metrics_file = out / "metrics.json"
        metrics = json.loads(metrics_file.read_text()) if metrics_file.is_file() else {}
        return code, metrics, out

    return go
