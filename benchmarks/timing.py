"""Timing helpers: the same thread count for every framework, warm-up, medians."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def limit_threads(threads: int) -> Any:
    """Limit NumPy's BLAS and PyTorch to ``threads`` threads; return the threadpoolctl handle."""
    from threadpoolctl import threadpool_limits
    import torch

    torch.set_num_threads(threads)
    return threadpool_limits(limits=threads)


def measure(fn: Callable[[], Any], repeats: int, warmup: int = 2, min_time: float = 0.0) -> float:
    """Median seconds per call of ``fn`` over ``repeats`` timed calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    samples = []
    start_all = time.perf_counter()
    while len(samples) < repeats or time.perf_counter() - start_all < min_time:
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
        if len(samples) >= repeats * 20:
            break
    return statistics.median(samples)


@dataclass
class Result:
    """One row of the results table (times in seconds; None where a framework is not run)."""

    workload: str
    scratchdl: float
    pytorch: float | None = None
    keras: float | None = None
    target: float | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio_pytorch(self) -> float | None:
        """scratchdl time / PyTorch time."""
        return None if self.pytorch is None else self.scratchdl / self.pytorch

    @property
    def ratio_keras(self) -> float | None:
        """scratchdl time / Keras time."""
        return None if self.keras is None else self.scratchdl / self.keras


def machine_header(threads: int) -> dict[str, Any]:
    """Machine and library versions for the report header."""
    import numpy
    import torch

    info: dict[str, Any] = {
        "machine": platform.machine(),
        "processor": platform.processor() or "unknown",
        "cpus": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
    }
    try:
        import keras

        info["keras"] = keras.__version__
    except Exception:  # Keras is optional for the engine benchmarks
        info["keras"] = None
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = sorted({f"{i['internal_api']} {i.get('version')}" for i in threadpool_info()})
    except Exception:
        info["blas"] = []
    return info


def format_seconds(value: float | None) -> str:
    """Human-readable time."""
    if value is None:
        return "-"
    if value < 1e-3:
        return f"{value * 1e6:.1f} us"
    if value < 1:
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"
