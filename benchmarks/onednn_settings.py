"""The oneDNN settings the CPU benchmarks compare, as environment variables for a child process.

TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` once, at import, so every setting runs in its own
process. `on_avx` caps oneDNN's kernels at AVX (`ONEDNN_MAX_CPU_ISA`, a oneDNN run-time option):
on an AVX-512 machine it stands in for a CPU with AVX but neither AVX2 nor AVX-512, where
TensorFlow 2.17 leaves oneDNN off by default. TensorFlow's own (Eigen) kernels are compiled for
AVX in the pip wheel, so `off` is what such a CPU runs by default.
"""

import os

SETTINGS = {
    "default": {},
    "off": {"TF_ENABLE_ONEDNN_OPTS": "0"},
    "on": {"TF_ENABLE_ONEDNN_OPTS": "1"},
    "on_avx": {"TF_ENABLE_ONEDNN_OPTS": "1", "ONEDNN_MAX_CPU_ISA": "AVX"},
}


def setting_env(name):
    """The environment of a child process measuring under setting `name` (`default`: as is)."""
    env = dict(os.environ)
    if name != "default":
        for variable in ("TF_ENABLE_ONEDNN_OPTS", "ONEDNN_MAX_CPU_ISA"):
            env.pop(variable, None)
        env.update(SETTINGS[name])
    return env


def cpu_flags():
    """The AVX-family flags of this CPU, from /proc/cpuinfo (empty where there is none)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    flags = line.split(":", 1)[1].split()
                    wanted = ("avx", "avx2", "fma", "avx512f", "avx512_vnni", "amx_tile")
                    return [flag for flag in wanted if flag in flags]
    except OSError:
        pass
    return []
