"""Shared set-up of the fault-injection suite: a trained run to damage, train arguments, the
one-line checks, file snapshots and small tmpfs mounts (skipped where mounting is not allowed).

The data set and the CLI runners are the shared fixtures of tests/conftest.py (`synthetic_set`,
`tiny_cityscapes`, `run_tfseg`, `start_tfseg`). Tests that use `trained_run` (or `run_copy`) are
in the xdist group `reliability_trained`, so that under `--dist loadgroup` one worker trains it
once; the others spread over the workers.
"""

import contextlib
import hashlib
import os
import shutil
import subprocess
import time

import pytest

MODEL = ["--encoder=shufflenet", "--decoder=skipnet", "--height=64", "--width=128"]


def train_args(data_dir, model_dir, *extra):
    """`tfseg train` on a tiny set: batch 2, 2 steps per epoch, 2 epochs unless `extra` says."""
    return ["train", *MODEL, f"--data_dir={data_dir}", f"--model_dir={model_dir}",
            "--batch_size=2", "--learning_rate=1e-3", "--bn_momentum=0.9", *extra]  # fmt: skip


def one_error_line(result, command):
    """Asserts a failed command printed exactly one error line and no traceback; returns it."""
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"tfseg {command}:")]
    assert len(lines) == 1, result.stderr[-3000:]
    return lines[0]


def snapshot(folder):
    """{relative path: sha1} of every file under `folder` (the lock file aside)."""
    state = {}
    for root, _, names in os.walk(folder):
        for name in names:
            if name == ".tfseg.lock":
                continue
            path = os.path.join(root, name)
            with open(path, "rb") as f:
                state[os.path.relpath(path, folder)] = hashlib.sha1(f.read()).hexdigest()
    return state


def history_epochs(model_dir):
    import json

    with open(os.path.join(model_dir, "history.jsonl")) as f:
        return [json.loads(line)["epoch"] for line in f]


def wait_for(predicate, process, timeout=240):
    """Polls `predicate()` until true while `process` runs; fails if it ends or time runs out."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        assert process.poll() is None, "the process ended before the awaited moment"
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def is_root_proof_chmod(folder):
    """Whether a chmod 0555 folder really refuses writes here (not as root, not on odd mounts)."""
    probe = os.path.join(folder, "probe")
    os.makedirs(probe)
    os.chmod(probe, 0o555)
    try:
        with open(os.path.join(probe, "x"), "w"):
            pass
    except PermissionError:
        return True
    finally:
        os.chmod(probe, 0o755)
        shutil.rmtree(probe)
    return False


@pytest.fixture(scope="session")
def trained_run(tiny_cityscapes, run_tfseg, tmp_path_factory):
    """A model dir trained for 2 epochs on `tiny_cityscapes`; copy it before damaging it."""
    model_dir = str(tmp_path_factory.mktemp("reliability") / "model")
    result = run_tfseg(*train_args(tiny_cityscapes, model_dir, "--epochs=2"))
    assert result.returncode == 0, result.stderr[-3000:]
    return model_dir


@pytest.fixture
def run_copy(trained_run, tmp_path):
    """A fresh copy of `trained_run` for one test."""
    target = str(tmp_path / "model")
    shutil.copytree(trained_run, target)
    return target


@pytest.fixture
def tmpfs(tmp_path):
    """`mount(size, read_only=False)` mounts a tmpfs under tmp_path and returns its path;
    skips the test where mounting is not permitted. Unmounted at the end."""
    mounted = []

    def mount(size="4m", read_only=False):
        point = tmp_path / f"mnt{len(mounted)}"
        point.mkdir()
        options = f"size={size}" + (",ro" if read_only else "")
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")
        mounted.append(point)
        return str(point)

    yield mount
    for point in reversed(mounted):
        with contextlib.suppress(Exception):
            subprocess.run(["umount", "-l", str(point)], check=False, capture_output=True)
