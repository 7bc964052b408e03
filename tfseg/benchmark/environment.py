"""The machine a benchmark ran on: CPU, GPU, device name, library versions, commit, load.

Read without importing TensorFlow (package versions come from their metadata), so the process
that starts the benchmark's workers stays light; what only TensorFlow knows (oneDNN on or off,
TensorRT) the workers report.
"""

import datetime
import importlib.metadata
import os
import platform
import re
import subprocess

import tfseg

# Packages whose versions a row records (distribution name -> key in `versions`).
PACKAGES = {
    "tensorflow": "tensorflow",
    "keras": "keras",
    "numpy": "numpy",
    "onnxruntime": "onnxruntime",
    "openvino": "openvino",
    "tf2onnx": "tf2onnx",
    "onnx": "onnx",
    "tensorrt": "tensorrt",
    "ai-edge-litert": "litert",
    "nvidia-ml-py": "nvml",
}


def environment(*, gpu=None):
    """Facts about this machine for a result row.

    Args:
        gpu: the GPU's name if the caller knows it (default: NVML's first device, or None).

    Returns:
        `{"device", "cpu", "cpu_cores", "gpu", "versions", "git_commit", "date", "load"}`:
        `device` is a slug for file names (the GPU's name, or the CPU's with its core count,
        e.g. `amd-epyc-2c`), `load` the 1/5/15-minute load averages.

    Example:
        >>> environment()["device"]
        'amd-epyc-2c'
    """
    cpu, cores = cpu_description()
    gpu = gpu if gpu is not None else _nvml_gpu_name()
    return {
        "device": device_name(gpu),
        "cpu": f"{cpu} ({cores} cores)",
        "cpu_cores": cores,
        "gpu": gpu,
        "versions": versions(),
        "git_commit": git_commit(),
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "load": load_average(),
    }


def device_name(gpu=None):
    """The slug that names this machine in result rows and files: the GPU's name (`gpu`, or
    NVML's first device), else the CPU's with its usable core count, e.g. `amd-epyc-2c`."""
    gpu = gpu if gpu is not None else _nvml_gpu_name()
    if gpu:
        return _slug(gpu)
    cpu, cores = cpu_description()
    return f"{_slug(cpu) or platform.machine()}-{cores}c"


def cpu_description():
    """`(model name, usable cores)`: `/proc/cpuinfo`'s model name (ARM: its parts)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        with open("/proc/cpuinfo") as f:
            text = f.read()
    except OSError:
        text = ""
    names = re.findall(r"^model name\s*:\s*(.+)$", text, re.M)
    if names:
        return names[0].strip(), cores
    return platform.processor() or platform.machine(), cores


def versions():
    """Versions of Python, tfseg and the installed inference packages (missing: left out)."""
    found = {"python": platform.python_version(), "tfseg": tfseg.__version__}
    for package, key in PACKAGES.items():
        try:
            found[key] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            pass
    return found


def git_commit():
    """`git describe --always --dirty` of tfseg's checkout (None outside a git checkout)."""
    folder = os.path.dirname(os.path.dirname(os.path.abspath(tfseg.__file__)))
    try:
        result = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=folder, capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return None
    return result.stdout.strip() or None if result.returncode == 0 else None


def load_average():
    """The 1, 5 and 15-minute load averages (`/proc/loadavg`), or None."""
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:
        return None


def _nvml_gpu_name():
    try:
        import pynvml  # nvidia-ml-py
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
        try:
            name = pynvml.nvmlDeviceGetName(pynvml.nvmlDeviceGetHandleByIndex(0))
        finally:
            pynvml.nvmlShutdown()
    except Exception:  # no driver, no device: NVMLError of many kinds
        return None
    return name.decode() if isinstance(name, bytes) else name


def _slug(text):
    text = re.sub(r"\(r\)|\(tm\)|\bcpu\b|@.*$|\bprocessor\b|\bnvidia\b", "", str(text).lower())
    text = re.sub(r"\b\d+-core\b", "", text)
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")
