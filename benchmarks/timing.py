"""Timing helpers: the same thread count for every framework, warm-up, medians."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_THREADS: list[int] = []


def limit_threads(threads: int) -> Any:
    """Limit NumPy's BLAS and PyTorch to ``threads`` threads; return the threadpoolctl handle."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    _THREADS[:] = [threads]
    return threadpool_limits(limits=threads)


def configured_threads() -> int:
    """The thread count of the last ``limit_threads`` call (all cores before any)."""
    return _THREADS[0] if _THREADS else (os.cpu_count() or 1)


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


# With several threads, NumPy's OpenBLAS and PyTorch's OpenMP pools keep their worker threads
# spinning for a while after each call (OpenBLAS for ~0.1 s). Timing one library right after the
# other would then pit its threads against the other pool's spinning ones for the same cores, so
# multi-threaded rounds pause this long before each framework's block of calls.
POOL_SETTLE_SECONDS = 0.15


def balanced_order(count: int) -> list[int]:
    """A cyclic order of the indices ``0 .. count-1`` in which every index is followed once by
    each other index and never by itself (an Eulerian circuit of the complete directed graph).

    Timing calls in this order, cycle after cycle, puts every framework after every other one
    equally often and never right after itself: none of them gets warm caches the others do not.
    For three frameworks it is ``[0, 2, 1, 2, 0, 1]``: 6 calls, each index twice.
    """
    if count < 2:
        return list(range(count))
    successors = {index: [other for other in range(count) if other != index] for index in range(count)}
    stack, circuit = [0], []
    while stack:
        node = stack[-1]
        if successors[node]:
            stack.append(successors[node].pop())
        else:
            circuit.append(stack.pop())
    circuit.reverse()
    return circuit[:-1]  # the circuit ends where it starts; the cycle repeats from there


def compare(fns: dict[str, Callable[[], Any] | None], repeats: int, warmup: int = 1,
            max_seconds: float | None = None) -> dict[str, float | None]:
    """Median seconds per call of each function, timed interleaved.

    With one thread the calls follow ``balanced_order`` cycle after cycle, so a burst of load
    from other processes on a shared machine slows all frameworks alike instead of landing on
    whichever happened to run then, and each framework runs after every other one equally often
    and never after itself: a call right after its own previous call finds its weights and code
    still in the caches, which a call after another framework does not. The ratios stay
    meaningful even when the times are noisy. With several threads the frameworks run in rounds
    of one block of calls each (the order alternating between rounds), each block after a pause
    (``POOL_SETTLE_SECONDS``) and one untimed call, so that the previous framework's thread pool
    has gone quiet; there are at most four rounds then. ``None`` entries (a framework not run)
    come back as ``None``. With ``max_seconds``, timing stops early (after at least one call of
    each function) once that much time has been spent.
    """
    active = {name: fn for name, fn in fns.items() if fn is not None}
    for fn in active.values():
        for _ in range(warmup):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in active}
    names = list(active)
    started = time.perf_counter()

    def out_of_time() -> bool:
        return max_seconds is not None and time.perf_counter() - started > max_seconds

    if configured_threads() > 1 and len(active) > 1:
        rounds = min(repeats, 4)
        block = -(-repeats // rounds)
        for round_index in range(rounds):
            for name in (names if round_index % 2 == 0 else names[::-1]):
                time.sleep(POOL_SETTLE_SECONDS)
                active[name]()
                _time_calls(active[name], block, samples[name])
            if out_of_time():
                break
    else:
        order = [names[index] for index in balanced_order(len(names))]
        while samples and min(len(times) for times in samples.values()) < repeats:
            for name in order:
                _time_calls(active[name], 1, samples[name])
            if out_of_time():
                break
    return {name: (statistics.median(samples[name]) if name in samples else None) for name in fns}


def _time_calls(fn: Callable[[], Any], calls: int, samples: list[float]) -> None:
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)


def compare_pair(ours: Callable[[], Any], theirs: Callable[[], Any], repeats: int,
                 warmup: int = 2) -> tuple[float, float]:
    """``compare`` for scratchdl against one other framework: their median seconds per call."""
    times = compare({"scratchdl": ours, "other": theirs}, repeats, warmup=warmup)
    return times["scratchdl"], times["other"]  # type: ignore[return-value]


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
    target_keras: float | None = None
    min_speedup: float | None = None
    unit: str = "s"

    @property
    def goal(self) -> str:
        """The target in words (empty when the workload has none)."""
        goals = []
        if self.target is not None:
            goals.append(f"<= {self.target:g}x PyTorch")
        if self.target_keras is not None:
            goals.append(f"< {self.target_keras:g}x Keras")
        if self.min_speedup is not None:
            goals.append(f">= {self.min_speedup:g}x naive")
        return ", ".join(goals)

    @property
    def met(self) -> bool | None:
        """Whether every target of the row is met (None when it has no target)."""
        checks = []
        if self.target is not None and self.ratio_pytorch is not None:
            checks.append(self.ratio_pytorch <= self.target)
        if self.target_keras is not None and self.ratio_keras is not None:
            checks.append(self.ratio_keras < self.target_keras)
        if self.min_speedup is not None:
            checks.append(self.extra.get("speedup_vs_naive", 0.0) >= self.min_speedup)
        return all(checks) if checks else None

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
        "processor": _cpu_model() or platform.processor() or "unknown",
        "system": f"{platform.system()} {platform.release()}",
        "cpus": os.cpu_count(),
        "threads": threads,
        "python": platform.python_version(),
        "numpy": numpy.__version__,
        "torch": torch.__version__,
    }
    try:
        import keras

        info["keras"] = keras.__version__
    except Exception:  # noqa: BLE001 - Keras is optional for the engine benchmarks
        info["keras"] = None
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = sorted({f"{i['internal_api']} {i.get('version')}" for i in threadpool_info()})
    except Exception:  # noqa: BLE001 - the header is informative only
        info["blas"] = []
    if hasattr(os, "getloadavg"):
        info["load_average"] = [round(x, 2) for x in os.getloadavg()]
    return info


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def format_value(value: float | None, unit: str = "s") -> str:
    """A time (unit ``'s'``) or a size in MiB (unit ``'MiB'``) for the table."""
    if value is None or unit == "s":
        return format_seconds(value)
    return f"{value:,.0f} {unit}"


def format_seconds(value: float | None) -> str:
    """Human-readable time."""
    if value is None:
        return "-"
    if value < 1e-3:
        return f"{value * 1e6:.1f} us"
    if value < 1:
        return f"{value * 1e3:.2f} ms"
    return f"{value:.2f} s"
