"""Measuring models: the RTSeg paper's GFLOPs table (`paper_table`), profiles of one model, and
`tfseg benchmark`: latency, FPS, memory, power and parity of every runtime (`run_benchmark`),
merged into a leaderboard (`write_leaderboard`). docs/benchmarking.md is the protocol.

Names are imported on first use, so `tfseg benchmark table` and the benchmark's parent process
never import TensorFlow.
"""

import importlib

_PUBLIC = {
    "PAPER_GFLOPS": "tfseg.benchmark.paper",
    "PAPER_NUM_CLASSES": "tfseg.benchmark.paper",
    "TOLERANCE": "tfseg.benchmark.paper",
    "paper_table": "tfseg.benchmark.paper",
    "profile": "tfseg.benchmark.paper",
    "BenchmarkSpec": "tfseg.benchmark.protocol",
    "RUNTIMES": "tfseg.benchmark.protocol",
    "RESULT_FIELDS": "tfseg.benchmark.record",
    "PowerMeter": "tfseg.benchmark.power",
    "find_power_meter": "tfseg.benchmark.power",
    "memory_report": "tfseg.benchmark.memory",
    "run_benchmark": "tfseg.benchmark.runner",
    "write_leaderboard": "tfseg.benchmark.leaderboard",
}

__all__ = list(_PUBLIC)


def __getattr__(name):
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tfseg.benchmark' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__))
