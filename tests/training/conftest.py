"""Shared helpers of the training tests: multi-worker clusters of `tfseg` subprocesses on
127.0.0.1 and the training state of a checkpoint. The synthetic set (`tiny_cityscapes`) and the
CLI runners (`run_tfseg`, `start_tfseg`) are the shared ones of tests/conftest.py."""

import json
import os
import socket
import subprocess
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from tfseg.model_dir import ModelDir


def free_ports(count):
    """`count` distinct free TCP ports on 127.0.0.1 (free when asked; bind them soon)."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def tf_config(ports, index):
    """TF_CONFIG of worker `index` of a cluster of workers on 127.0.0.1 (worker 0 is chief)."""
    workers = [f"127.0.0.1:{port}" for port in ports]
    return json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})


class Processes:
    """`tfseg` subprocesses started together, waited for with one deadline, never left behind.

    Output goes to files in `log_dir` (pipes could fill up and block a worker that the others
    wait for in a collective). `start_tfseg` is the fixture of tests/conftest.py.
    """

    def __init__(self, log_dir, start_tfseg):
        self.log_dir = str(log_dir)
        self.start_tfseg = start_tfseg
        self.running = {}
        self.timed_out = set()
        os.makedirs(self.log_dir, exist_ok=True)

    def start(self, name, args, extra_env=None):
        path = os.path.join(self.log_dir, name)
        with open(f"{path}.out", "w") as out, open(f"{path}.err", "w") as err:
            # The child keeps its own copies of the two files.
            self.running[name] = self.start_tfseg(
                *args, extra_env=extra_env, stdout=out, stderr=err
            )

    def start_cluster(self, name, args, workers=2):
        """`workers` processes of `--strategy=multi_worker`, named `<name>-<index>`."""
        ports = free_ports(workers)
        for index in range(workers):
            extra_env = {"TF_CONFIG": tf_config(ports, index)}
            self.start(f"{name}-{index}", [*args, "--strategy=multi_worker"], extra_env=extra_env)

    def wait(self, timeout):
        """Waits for all, killing those still running after `timeout` seconds.

        Returns:
            {name: CompletedProcess}; a killed process has a negative returncode and its name
            in `self.timed_out`.
        """
        deadline = time.monotonic() + timeout
        try:
            for process in self.running.values():
                try:
                    process.wait(timeout=max(deadline - time.monotonic(), 0.1))
                except subprocess.TimeoutExpired:
                    pass
        finally:
            self.kill()
        return {
            name: subprocess.CompletedProcess(
                process.args, process.returncode, self.read(name, "out"), self.read(name, "err")
            )
            for name, process in self.running.items()
        }

    def kill(self):
        """Kills the processes started here that are still running (by their own ids)."""
        for name, process in self.running.items():
            if process.poll() is None:
                process.kill()
                process.wait()
                self.timed_out.add(name)

    def read(self, name, stream):
        with open(os.path.join(self.log_dir, f"{name}.{stream}"), errors="replace") as f:
            return f.read()


@pytest.fixture
def processes(tmp_path, start_tfseg):
    """A `Processes` whose stragglers are killed at the end of the test, whatever happens."""
    group = Processes(tmp_path / "process-logs", start_tfseg)
    try:
        yield group
    finally:
        group.kill()


def last_json(stdout):
    """The JSON summary `tfseg train` prints as its last line."""
    lines = [line for line in stdout.strip().splitlines() if line.startswith("{")]
    assert lines, f"no JSON summary in the output:\n{stdout}"
    return json.loads(lines[-1])


def describe(result):
    """A failed run's exit code and the end of its output, for assertion messages."""
    return (
        f"exit code {result.returncode}\n--- stdout\n{result.stdout[-3000:]}\n"
        f"--- stderr\n{result.stderr[-6000:]}"
    )


def training_state(model_dir):
    """Everything a model dir's last checkpoint holds about the model and Adam, as numpy arrays.

    Returns a dict of dicts keyed by variable path (e.g. `conv1/kernel`):
    `weights` (trainable), `m` and `v` (Adam's first and second moments, aligned with `weights`),
    `statistics` (BatchNorm moving means and variances); and `iterations` (optimizer steps).
    """
    path = ModelDir(model_dir)
    latest = tf.train.latest_checkpoint(path.checkpoints)
    assert latest, f"no checkpoint in {path.checkpoints}"
    model = path.build_model()
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    status = tf.train.Checkpoint(model=model, optimizer=optimizer).restore(latest)
    status.expect_partial().assert_existing_objects_matched()
    trainable = model.trainable_variables

    def values(variables, names=None):
        # Copies: `.numpy()` of a CPU variable may share its buffer.
        names = names or variables
        return {n.path: np.array(v.numpy(), copy=True) for n, v in zip(names, variables)}

    return {
        "weights": values(trainable),
        "m": values(optimizer._momentums, trainable),
        "v": values(optimizer._velocities, trainable),
        "statistics": values(model.non_trainable_variables),
        "iterations": int(optimizer.iterations.numpy()),
    }


def max_relative_difference(actual, expected, floor=1e-3):
    """The largest `max|a - e| / max|e|` over the tensors of two dicts with the same keys.

    Each tensor's scale is at least `floor` x the largest magnitude of all tensors, so tensors
    whose exact value is zero (rounding noise) do not dominate.

    Returns:
        (difference, key of the worst tensor)
    """
    assert set(actual) == set(expected)
    scale = max(float(np.max(np.abs(e))) for e in expected.values())
    worst, worst_key = -1.0, None
    for key, e in expected.items():
        a, e = np.asarray(actual[key], np.float64), np.asarray(e, np.float64)
        assert a.shape == e.shape, key
        denominator = max(float(np.max(np.abs(e))), floor * scale, 1e-30)
        difference = float(np.max(np.abs(a - e))) / denominator
        if difference > worst:
            worst, worst_key = difference, key
    return worst, worst_key
