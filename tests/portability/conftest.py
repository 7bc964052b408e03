"""Helpers of the platform tests: run Python code under a chosen oneDNN setting.

TensorFlow reads `TF_ENABLE_ONEDNN_OPTS` once, at import, so each setting needs its own process.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

SETTINGS = ["0", "1"]  # TF_ENABLE_ONEDNN_OPTS: forced off, forced on


def onednn_env(setting, **extra):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1", **extra}
    if setting is None:
        env.pop("TF_ENABLE_ONEDNN_OPTS", None)
    else:
        env["TF_ENABLE_ONEDNN_OPTS"] = setting
    return env


def run_python(code, setting, timeout=240, **env):
    """Runs `code` in a fresh interpreter under oneDNN `setting`; returns the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env=onednn_env(setting, **env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_python_json(code, setting, timeout=240):
    """Runs `code`, which prints one JSON object last; returns it (the run must succeed)."""
    result = run_python(code, setting, timeout)
    assert result.returncode == 0, f"TF_ENABLE_ONEDNN_OPTS={setting}:\n{result.stderr[-3000:]}"
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.fixture(params=SETTINGS, ids=lambda s: f"onednn{s}")
def onednn_setting(request):
    return request.param


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    """A tiny read-only synthetic Cityscapes set (4 train, 2 val scenes of 64x128)."""
    from tfseg.data import class_weights, synthesize_scenes

    out = str(tmp_path_factory.mktemp("platform") / "cityscapes")
    synthesize_scenes(out, num_train=4, num_val=2, height=64, width=128, seed=0, workers=1)
    class_weights(out)
    return out
