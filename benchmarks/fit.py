"""``fit`` for one epoch (issue 5, workload 6): scratchdl against Keras 3 (torch backend).

The models of workloads 1 and 2 (``benchmarks.models``) train for one epoch on fixed in-memory
data: the MLP on 60,000 samples with batch size 32, the CNN on 1,080 images with batch size 64,
both with Adam, shuffling, and the progress bar on (``verbose=1``). The bar writes to a discarded
stream that reports itself as a terminal, so both frameworks do their full per-step display work
without the console's own drawing time in the measurement. Each model is warmed up first with a
short ``fit`` on a slice of the data (building weights and optimizer slots), then whole epochs are
timed, alternating between the frameworks. ``--quick`` times one epoch of each; for the MLP it
uses the first 4,800 samples (150 steps instead of 1,875: the same steps, so the same ratio).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from typing import Any

from benchmarks.models import cnn_model, data, mlp_model
from benchmarks.timing import Result, compare


class _DiscardingTerminal(io.TextIOBase):
    """A text stream that swallows everything and claims to be a TTY (so progress bars redraw)."""

    def write(self, text: str) -> int:
        return len(text)

    def isatty(self) -> bool:
        return True


def _fit_epoch(model: Any, x: Any, y: Any, batch_size: int) -> Callable[[], None]:
    def run() -> None:
        with contextlib.redirect_stdout(_DiscardingTerminal()):
            model.fit(x, y, batch_size=batch_size, epochs=1, verbose=1, shuffle=True)

    return run


def _fit_workload(kind: str, samples: int, batch_size: int, title: str, quick: bool,
                  quick_samples: int | None = None) -> Result:
    import keras

    import scratchdl as sd

    builder = mlp_model if kind == "mlp" else cnn_model
    if quick and quick_samples is not None:  # a shorter epoch: same steps, fewer of them
        samples = quick_samples
        title += f" (--quick: {samples:,} of the samples)"
    x, y = data(kind, samples, seed=1)
    model, keras_model = builder(sd), builder(keras)
    warm = slice(0, 4 * batch_size)
    for each in (model, keras_model):
        each.fit(x[warm], y[warm], batch_size=batch_size, epochs=1, verbose=0)
    times = compare({
        "scratchdl": _fit_epoch(model, x, y, batch_size),
        "keras": _fit_epoch(keras_model, x, y, batch_size),
    }, repeats=1 if quick else 3, warmup=0)
    steps = -(-samples // batch_size)
    return Result(title, times["scratchdl"], keras=times["keras"], target_keras=1.0,
                  note=f"{steps} steps of batch {batch_size}, progress bar on",
                  extra={"samples": samples, "batch_size": batch_size, "steps": steps})


def fit_mlp(quick: bool) -> Result:
    """Workload 6a: one epoch of the MLP on 60,000 samples, batch 32."""
    return _fit_workload("mlp", 60_000, 32, "6a. fit 1 epoch: MLP, 60,000 samples, batch 32, Adam",
                         quick, quick_samples=4_800)


def fit_cnn(quick: bool) -> Result:
    """Workload 6b: one epoch of the CNN on 1,080 images of 64x64x3, batch 64."""
    return _fit_workload("cnn", 1_080, 64, "6b. fit 1 epoch: CNN, 1,080 images 64x64x3, batch 64, "
                         "Adam", quick)


WORKLOADS = [fit_mlp, fit_cnn]
