"""Measuring models: the RTSeg paper's GFLOPs table (`paper_table`), profiles of one model, and
`tfseg benchmark`: latency, FPS, memory, power and parity of every runtime (`run_benchmark`),
merged into a leaderboard (`write_leaderboard`). docs/benchmarking.md is the protocol.

Names are imported on first use, so `tfseg benchmark table` and the benchmark's parent process
never import TensorFlow.
"""

from tfseg.lazy_names import lazy_exports as _lazy_exports

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


__getattr__, __dir__ = _lazy_exports(__name__, _PUBLIC)
