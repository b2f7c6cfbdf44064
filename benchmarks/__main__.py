"""Run every benchmark and print one table; also write it as JSON.

    python -m benchmarks [--quick] [--threads N] [--only SUITE_OR_WORKLOAD] [--runs N] [--json PATH] [--list]

Every framework runs float32 with the same thread count (``--threads``, all cores by default);
each workload is warmed up, then timed interleaved (medians). Ratios are scratchdl's
time divided by the other framework's; ``met`` says whether the issue's target holds.
``--runs N`` measures each workload N times and reports the run with the median ratio (on a
noisy machine a target near its limit is met in some runs and missed in others).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from benchmarks.timing import Result, format_value, limit_threads, machine_header

Workload = Callable[[bool], Result]


def _suites() -> dict[str, list[Workload]]:
    """Suites in the order they run: the issue's workloads 1-8 first, then the op-level ones."""
    import importlib

    from benchmarks import conv, engine, fit, memory, micro, models, resnet, sequence

    suites: dict[str, list[Workload]] = {
        "models": models.WORKLOADS,      # 1, 2: MLP and CNN train steps
        "resnet": resnet.WORKLOADS,      # 3: ResNet-50 forward and train step
        "sequence": sequence.WORKLOADS,  # 4, 5: char LSTM LM and Transformer encoder
        "fit": fit.WORKLOADS,            # 6: fit one epoch vs Keras
        "conv": conv.WORKLOADS,          # 7: conv/pool micro-benchmarks, conv vs naive loops
        "micro": micro.WORKLOADS,        # 7: softmax cross-entropy
        "memory": memory.WORKLOADS,      # 8: peak resident set
        "engine": engine.WORKLOADS,      # op-chain overhead, a hand-written MLP step
    }
    for optional in ("recurrent", "attention"):  # layer-level suites of other issues, when present
        try:
            module = importlib.import_module(f"benchmarks.{optional}")
        except ModuleNotFoundError as error:
            if error.name != f"benchmarks.{optional}":
                raise
            continue
        suites[optional] = module.WORKLOADS
    return suites


def median_run(results: list[Result]) -> Result:
    """The run of ``results`` (one workload measured several times) with the median ratio.

    The ratio is the one to PyTorch, else to Keras (rows with neither rank by scratchdl's time);
    for an even count the higher of the two middle runs, the less favourable to scratchdl. The
    chosen run gets every run's numbers in ``extra['runs']`` and their ratios in its note.
    """
    def headline(result: Result) -> float | None:
        return result.ratio_pytorch if result.ratio_pytorch is not None else result.ratio_keras

    def key(result: Result) -> float:
        ratio = headline(result)
        return result.scratchdl if ratio is None else ratio

    chosen = sorted(results, key=key)[len(results) // 2]
    if len(results) > 1:
        chosen.extra["runs"] = [
            {"scratchdl": r.scratchdl, "pytorch": r.pytorch, "keras": r.keras,
             "ratio_pytorch": r.ratio_pytorch, "ratio_keras": r.ratio_keras} for r in results]
        labels = [format_value(r.scratchdl, r.unit) if headline(r) is None else _ratio(headline(r))
                  for r in results]
        summary = f"{len(results)} runs ({', '.join(labels)}): the median run is shown"
        chosen.note = f"{chosen.note}; {summary}" if chosen.note else summary
    return chosen


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def _met(result: Result | None) -> str:
    if result is None:
        return "error"
    return {True: "yes", False: "NO", None: "-"}[result.met]


def format_table(rows: list[tuple[str, Result | None, str]]) -> list[str]:
    """The results as Markdown table lines (a failed workload shows its error)."""
    table = [("workload", "scratchdl", "PyTorch", "Keras 3", "vs PyTorch", "vs Keras", "target", "met")]
    for name, result, error in rows:
        if result is None:
            table.append((name, "error", "-", "-", "-", "-", "-", "error"))
            continue
        unit = result.unit
        table.append((result.workload, format_value(result.scratchdl, unit),
                      format_value(result.pytorch, unit), format_value(result.keras, unit),
                      _ratio(result.ratio_pytorch), _ratio(result.ratio_keras), result.goal or "-",
                      _met(result)))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for index, row in enumerate(table):
        lines.append("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if index == 0:
            lines.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the selected suites, print the table, write the JSON; exit 1 if a workload failed."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats (about two minutes on a 2-core machine)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads for every framework (default: all cores)")
    parser.add_argument("--only", action="append", default=[],
                        help="run only this suite or workload function (repeatable)")
    parser.add_argument("--runs", type=int, default=1,
                        help="measure each workload this many times; report the median run")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/latest.json"),
                        help="where to write the JSON results")
    parser.add_argument("--list", action="store_true", help="list the suites and workloads, then exit")
    args = parser.parse_args(argv)

    suites = _suites()
    if args.list:
        for suite, workloads in suites.items():
            print(f"{suite}: {', '.join(w.__name__ for w in workloads)}")
        return 0
    known = set(suites) | {w.__name__ for workloads in suites.values() for w in workloads}
    unknown = [name for name in args.only if name not in known]
    if unknown:
        parser.error(f"unknown suite or workload {unknown}; see --list")
    if args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")

    limit_threads(args.threads)
    header = machine_header(args.threads)
    rows: list[tuple[str, Result | None, str]] = []
    started = time.perf_counter()
    for suite, workloads in suites.items():
        for workload in workloads:
            if args.only and suite not in args.only and workload.__name__ not in args.only:
                continue
            began = time.perf_counter()
            try:
                result = median_run([workload(args.quick) for _ in range(args.runs)])
            except Exception as error:  # noqa: BLE001 - any failure is reported in the table
                message = f"{type(error).__name__}: {error}"
                rows.append((f"{suite}.{workload.__name__}", None, message))
                print(f"  {suite}.{workload.__name__} FAILED: {message}", file=sys.stderr, flush=True)
                traceback.print_exc(file=sys.stderr)
                continue
            rows.append((result.workload, result, ""))
            print(f"  [{time.perf_counter() - began:5.1f} s] {result.workload}: "
                  f"{format_value(result.scratchdl, result.unit)}", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - started
    if hasattr(os, "getloadavg"):
        header["load_average_end"] = [round(x, 2) for x in os.getloadavg()]

    print(" | ".join(f"{k}: {v}" for k, v in header.items()))
    print(f"mode: {'quick' if args.quick else 'full'}; times are medians per call; ratio = "
          "scratchdl / other (lower is better for scratchdl)")
    for line in format_table(rows):
        print(line)
    for name, result, error in rows:
        if result is not None and result.note:
            print(f"note: {result.workload}: {result.note}")
        elif result is None:
            print(f"error: {name}: {error}")
    print(f"total benchmark time {elapsed:.1f} s")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "header": header,
        "quick": args.quick,
        "total_seconds": elapsed,
        "results": [
            {"workload": r.workload, "unit": r.unit, "scratchdl": r.scratchdl, "pytorch": r.pytorch,
             "keras": r.keras, "ratio_pytorch": r.ratio_pytorch, "ratio_keras": r.ratio_keras,
             "target": r.target, "target_keras": r.target_keras, "min_speedup": r.min_speedup,
             "goal": r.goal, "met": r.met, "note": r.note, **r.extra}
            if r is not None else {"workload": name, "error": error}
            for name, r, error in rows
        ],
    }
    args.json.write_text(json.dumps(payload, indent=2))
    return 1 if any(r is None for _, r, _ in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
