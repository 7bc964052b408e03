"""Shared helpers of the benchmark tests: hand-made result rows, a CLI runner for `tfseg benchmark`
and fake sysfs trees."""

import os

import pytest

from tfseg.benchmark.record import make_row


def hand_made_row(
    model="skipnet_shufflenet", runtime="onnxruntime", height=360, width=640, fps=10.0, **values
):
    """A valid result row with round, made-up figures (never measured)."""
    latency = 1000.0 / fps
    base = {
        "date": "2026-01-01T00:00:00+00:00",
        "git_commit": "abc",
        "device": "test-cpu-2c",
        "cpu": "Test CPU (2 cores)",
        "runtime": runtime,
        "precision": "fp32",
        "model": model,
        "encoder": model.split("_")[1],
        "decoder": model.split("_")[0],
        "num_classes": 19,
        "height": height,
        "width": width,
        "batch_size": 1,
        "timed": "model",
        "warmup": 5,
        "iterations": 30,
        "latency_ms_mean": latency,
        "latency_ms_p50": latency * 0.95,
        "latency_ms_p90": latency * 1.2,
        "latency_ms_p99": latency * 1.5,
        "fps": fps,
        "gflops": 2.0 * height * width / (360 * 640),
        "gflops_per_s": 2.0 * fps,
        "peak_host_memory_mb": 500.0,
        "argmax_agreement": 0.9999,
        "max_abs_logit_diff": 1e-5,
        "threads": {"requested": "default"},
        "versions": {"tensorflow": "2.17.1"},
        "notes": "params=1014682; load average 1.00 before, 1.00 after (1 min, 2 cores)",
    }
    base.update(values)
    return make_row(**base)


def sample_rows():
    """Two models x three runtimes x two sizes, plus a resolution sweep of one of them."""
    made = []
    for model, scale, params in (("skipnet_shufflenet", 1.0, 1014682),
                                 ("skipnet_mobilenet", 0.5, 3369240)):  # fmt: skip
        for runtime, speed in (("function", 1.0), ("frozen_graph", 1.3), ("onnxruntime", 1.6)):
            for height, width in ((360, 640), (512, 1024)):
                fps = 10.0 * scale * speed * (360 * 640) / (height * width)
                made.append(hand_made_row(model, runtime, height, width, fps,
                                          notes=f"params={params}"))  # fmt: skip
    for height, width in ((256, 512), (720, 1280), (1024, 2048)):
        fps = 16.0 * (360 * 640) / (height * width)
        made.append(hand_made_row("skipnet_shufflenet", "onnxruntime", height, width, fps))
    return made


@pytest.fixture
def rows():
    return sample_rows()


@pytest.fixture(scope="session")
def run_benchmark_cli(run_tfseg):
    """Runs `tfseg benchmark <args>` in a fresh interpreter; returns the CompletedProcess."""

    def run(*args, timeout=600, env=None):
        return run_tfseg("benchmark", *args, timeout=timeout, env=env)

    return run


def write_files(root, files):
    """Writes `{relative path: text}` under `root` (a fake sysfs tree); returns `root`."""
    for relative, text in files.items():
        path = os.path.join(root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(f"{text}\n")
    return str(root)
