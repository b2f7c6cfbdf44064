"""Run every benchmark and print one table; also write it as JSON.

    python -m benchmarks [--quick] [--threads N] [--only NAME] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

from benchmarks.timing import Result, format_seconds, limit_threads, machine_header


def _suites() -> dict[str, list]:
    from benchmarks import conv, engine

    suites = {"engine": engine.WORKLOADS, "conv": conv.WORKLOADS}
    return suites


def _format_ratio(value: float | None, target: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value:.2f}x"
    if target is not None:
        text += " ok" if value <= target else f" (target {target:g}x)"
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repeats (under two minutes)")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                        help="threads for every framework (default: all cores)")
    parser.add_argument("--only", action="append", default=[], help="run only these suites")
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/latest.json"),
                        help="where to write the JSON results")
    args = parser.parse_args(argv)

    limits = limit_threads(args.threads)
    header = machine_header(args.threads)
    results: list[Result] = []
    started = time.perf_counter()
    for suite, workloads in _suites().items():
        if args.only and suite not in args.only:
            continue
        for workload in workloads:
            result = workload(args.quick)
            results.append(result)
            print(f"  {result.workload}: {format_seconds(result.scratchdl)}", file=sys.stderr, flush=True)
    limits.unregister() if hasattr(limits, "unregister") else None

    print(" | ".join(f"{k}: {v}" for k, v in header.items()))
    rows = [("workload", "scratchdl", "PyTorch", "Keras 3", "vs PyTorch", "vs Keras")]
    for r in results:
        rows.append((r.workload, format_seconds(r.scratchdl), format_seconds(r.pytorch),
                     format_seconds(r.keras), _format_ratio(r.ratio_pytorch, r.target),
                     _format_ratio(r.ratio_keras, None)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for index, row in enumerate(rows):
        print("| " + " | ".join(cell.ljust(w) for cell, w in zip(row, widths)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in results:
        if r.note:
            print(f"note: {r.workload}: {r.note}")
    print(f"total benchmark time {time.perf_counter() - started:.1f} s")

    args.json.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "header": header,
        "quick": args.quick,
        "results": [
            {"workload": r.workload, "scratchdl_s": r.scratchdl, "pytorch_s": r.pytorch,
             "keras_s": r.keras, "ratio_pytorch": r.ratio_pytorch, "ratio_keras": r.ratio_keras,
             "target": r.target, "note": r.note, **r.extra}
            for r in results
        ],
    }
    args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
