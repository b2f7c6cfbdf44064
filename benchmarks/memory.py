"""Peak memory (issue 5, workload 8): resident set size of ResNet-50 and Transformer training.

Each measurement runs in its own Python process, so peaks do not mix (scratchdl's and
PyTorch's processes run side by side to save time; a peak is per process). The process imports
only its framework (scratchdl runs without PyTorch loaded), limits its threads, records its
resident set, builds the model and runs two training steps (the first creates the optimizer's
slots), then reports its peak resident set (Linux's ``VmHWM``; ``resource.getrusage``
elsewhere). The table shows the peak *increase* over the resident set after the imports, i.e.
what the model, its gradients, the optimizer state and the activations kept for backward cost;
the note gives the absolute peaks.

Run one measurement by hand with ``python -m benchmarks.memory resnet scratchdl --threads 2``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
from typing import Any

from benchmarks.timing import Result, configured_threads

_MIB = 1024 * 1024
_WORKLOADS = {
    "resnet": ("8a. peak RSS increase: ResNet-50 train step, batch 8 (workload 3)",
               "benchmarks.resnet", "scratchdl_train_step", "torch_train_step"),
    "transformer": ("8b. peak RSS increase: Transformer encoder train step (workload 5)",
                    "benchmarks.sequence", "scratchdl_encoder_step", "torch_encoder_step"),
}


def _current_rss() -> int:
    """The process's resident set now, in bytes (Linux /proc; falls back to the peak so far)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return _peak_rss()


def _peak_rss() -> int:
    """The process's peak resident set in bytes.

    Linux's ``VmHWM`` first: ``ru_maxrss`` survives ``exec``, so in a child started by a big
    parent it would report the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB on Linux


def measure_child(workload: str, framework: str, threads: int) -> dict[str, Any]:
    """Inside the child process: the resident set after imports and the peak after two steps."""
    import importlib

    from threadpoolctl import threadpool_limits

    if framework == "pytorch":
        import torch

        torch.set_num_threads(threads)
    else:
        import scratchdl  # noqa: F401 - imported before the baseline is read
    with threadpool_limits(limits=threads):
        _, module_name, scratchdl_builder, torch_builder = _WORKLOADS[workload]
        module = importlib.import_module(module_name)
        baseline = _current_rss()
        step = getattr(module, scratchdl_builder if framework == "scratchdl" else torch_builder)()
        step()
        step()
        return {"baseline_bytes": baseline, "peak_bytes": _peak_rss()}


def _run_children(workload: str, threads: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Run the scratchdl and PyTorch measurements side by side (each peak is per process)."""
    children = {
        framework: subprocess.Popen(
            [sys.executable, "-m", "benchmarks.memory", workload, framework, "--threads", str(threads)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for framework in ("scratchdl", "pytorch")
    }
    samples = {}
    for framework, child in children.items():
        stdout, stderr = child.communicate()
        if child.returncode != 0:
            raise RuntimeError(f"memory benchmark {workload}/{framework} failed:\n{stderr[-2000:]}")
        samples[framework] = json.loads(stdout.strip().splitlines()[-1])
    return samples["scratchdl"], samples["pytorch"]


def _memory_workload(workload: str, threads: int) -> Result:
    title = _WORKLOADS[workload][0]
    ours, theirs = _run_children(workload, threads)

    def increase(sample: dict[str, Any]) -> float:
        return (sample["peak_bytes"] - sample["baseline_bytes"]) / _MIB

    note = (f"absolute peak RSS: scratchdl {ours['peak_bytes'] / _MIB:,.0f} MiB, PyTorch "
            f"{theirs['peak_bytes'] / _MIB:,.0f} MiB")
    return Result(title, increase(ours), increase(theirs), unit="MiB", note=note,
                  extra={"scratchdl_peak_bytes": ours["peak_bytes"],
                         "scratchdl_baseline_bytes": ours["baseline_bytes"],
                         "pytorch_peak_bytes": theirs["peak_bytes"],
                         "pytorch_baseline_bytes": theirs["baseline_bytes"]})


def resnet_memory(quick: bool) -> Result:
    """Workload 8a: peak resident set of a ResNet-50 training step, scratchdl vs PyTorch."""
    return _memory_workload("resnet", configured_threads())


def transformer_memory(quick: bool) -> Result:
    """Workload 8b: peak resident set of a Transformer encoder training step."""
    return _memory_workload("transformer", configured_threads())


WORKLOADS = [resnet_memory, transformer_memory]


def main(argv: list[str] | None = None) -> int:
    """Child entry point: print one JSON line with the baseline and peak resident set."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("workload", choices=sorted(_WORKLOADS))
    parser.add_argument("framework", choices=["scratchdl", "pytorch"])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    print(json.dumps(measure_child(args.workload, args.framework, args.threads)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
