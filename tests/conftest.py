"""Shared test set-up: quiet TensorFlow, reproducible tests, synthetic data and the CLI runner.

Fixtures for every folder:

* `synthetic_set(num_train=4, num_val=2, height=64, width=128, seed=0)`: a read-only synthetic
  Cityscapes set (with its class-weight cache), made once per parameters and test session;
  copy it before changing it. `tiny_cityscapes` is the default one.
* `run_tfseg(*args, env=None, cwd=None, timeout=300)`: runs `tfseg <args>` in a subprocess (absl
  flags are global, so every command gets a fresh interpreter) and returns the
  `CompletedProcess` with text output; `cli_env` is a copy of its default environment.
* `start_tfseg(*args, env=None, extra_env=None, **popen_options)`: starts `tfseg <args>` in the
  background with the same environment (plus `extra_env`) and returns the `subprocess.Popen`;
  the test waits for it or kills it.
* `randomize_batch_norms(model, seed=1)`: gives every BatchNormalization statistics like a
  trained model's (seed: an int or a numpy Generator), so folding gives non-zero biases and real
  scales, and a loaded file's values can be told from the initializers'.
"""

import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

# Subprocesses: quiet TensorFlow, unbuffered output (so a timed-out run still shows its log),
# and no cluster configuration leaking in from the environment.
CLI_ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONUNBUFFERED": "1"}
CLI_ENV.pop("TF_CONFIG", None)


@pytest.fixture(autouse=True)
def _seed():
    keras.utils.set_random_seed(0)


def tfseg_command(*args):
    """The argv of `tfseg <args>` run by this interpreter (no dependence on PATH)."""
    return [sys.executable, "-m", "tfseg.cli.main", *map(str, args)]


@pytest.fixture
def cli_env():
    """A copy of the environment `run_tfseg` gives its subprocesses, to extend."""
    return dict(CLI_ENV)


@pytest.fixture(scope="session")
def run_tfseg():
    def run(*args, env=None, cwd=None, timeout=300):
        return subprocess.run(
            tfseg_command(*args), capture_output=True, text=True, check=False,
            env=env or CLI_ENV, cwd=cwd, timeout=timeout,
        )  # fmt: skip

    return run


@pytest.fixture(scope="session")
def start_tfseg():
    def start(*args, env=None, extra_env=None, **popen_options):
        env = {**(env or CLI_ENV), **(extra_env or {})}
        return subprocess.Popen(tfseg_command(*args), env=env, **popen_options)

    return start


@pytest.fixture(scope="session")
def synthetic_set(tmp_path_factory):
    made = {}

    def make(num_train=4, num_val=2, height=64, width=128, seed=0):
        key = (num_train, num_val, height, width, seed)
        if key not in made:
            from tfseg.data import class_weights, synthesize_scenes

            name = "synthetic-{}-{}-{}x{}-{}".format(*key)
            out = str(tmp_path_factory.mktemp(name) / "cityscapes")
            synthesize_scenes(out, num_train, num_val, height, width, seed=seed, workers=1)
            if num_train:
                class_weights(out)  # cached in the set, so runs sharing it only read it
            made[key] = out
        return made[key]

    return make


@pytest.fixture(scope="session")
def tiny_cityscapes(synthetic_set):
    """4 train images (one global batch of 4) and 2 val images of 64x128."""
    return synthetic_set()


def _randomize_batch_norms(model, seed=1):
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            c = layer.gamma.shape[0]
            layer.set_weights(
                [rng.uniform(0.5, 1.5, c), rng.normal(0, 0.1, c), rng.normal(0, 0.1, c),
                 rng.uniform(0.5, 1.5, c)]
            )  # fmt: skip


@pytest.fixture(scope="session")
def randomize_batch_norms():
    return _randomize_batch_norms
