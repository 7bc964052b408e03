"""Distributed training: `mirrored` over 2 logical CPU devices and `multi_worker` with 2 processes
on 127.0.0.1 both train, and their first step equals the single-device one.

All runs train one step on the same 4 images (the whole train split is one global batch of 4,
without augmentation), so every strategy sees the same images whatever its sharding and
shuffling; the gradient is a mean over the batch, so their order does not matter. With losses
averaged over the global batch and synchronized BatchNorm, N replicas must then compute what one
device computes, up to float rounding. From each run's checkpoint this compares:

- the forward pass, tightly: BatchNorm moving statistics (the synchronized batch statistics of
  every layer) and the loss;
- the gradient, as Adam's first moment after step 1 (m = (1 - beta1) g), by its relative norm and
  per tensor;
- the applied update w1 - w0 (w0 rebuilt here from the seed), by its relative norm.

Why the gradient and update tolerances are percent-level, not 1e-4: any change in summation
order (here the all-reduce; equally, permuting the 4 images on one device) moves activations by
~1e-7 relative, and among the ~10^5 ReLU inputs of the network a few lie that close to zero and
flip, each moving one pixel's gradient contribution. At 64x128 (4x8 pixels at stride 16) that can
change one channel's kernel gradient by a few percent. Measured over all 24 orders of the batch on
one device (ShuffleNet): per-tensor <= 4.6%, gradient norm <= 0.4%, update norm <= 2.3%, while
BatchNorm statistics stay <= 3e-5 and the loss <= 3e-7. Adam's first update, about -lr sign(g),
amplifies such differences where g is near 0. Real distribution bugs are far outside: a loss
scaled by the replica count (a scalar mean loss, averaged twice: docs/design-notes.md, "Losses
return one value per image") gives 100%, unsynchronized BatchNorm 270%.

Each strategy runs in its own `tfseg train` subprocess (two MirroredStrategies in one process
conflict); all four processes run at once to keep the wall time down.
"""

import json
import os

import keras
import numpy as np
import pytest

from tfseg.model_dir import ModelDir

from .conftest import (
    Processes,
    describe,
    last_json,
    max_relative_difference,
    training_state,
)

# One worker runs the whole module, so its module-scoped runs happen once.
# Slow: three strategies trained in subprocesses (~4 min of CPU); `make test-all` runs it.
pytestmark = [pytest.mark.xdist_group("distributed"), pytest.mark.slow]
LEARNING_RATE = 1e-3
SEED = 0
ONE_STEP = [
    "--encoder=shufflenet",  # no dropout: the step is deterministic given the batch
    "--decoder=skipnet",
    "--height=64",
    "--width=128",
    "--epochs=1",
    "--batch_size=4",
    "--steps_per_epoch=1",
    f"--learning_rate={LEARNING_RATE}",
    f"--seed={SEED}",
    "--augment=none",
]
TIMEOUT = 420  # all four processes; about 60-90 s on 2 idle cores
DISTRIBUTED = ["mirrored", "multi_worker"]

# Measured on 2 cores (mirrored / multi_worker): statistics 2e-5 / 2e-5, loss 7e-8 / 3e-7,
# gradient norm 7e-6 / 7e-6, gradient per tensor 1.5e-5 / 1.5e-5, update norm 2.5e-4 / 4.5e-4.
STATISTICS_TOLERANCE = 2e-4
LOSS_TOLERANCE = 1e-5
GRADIENT_NORM_TOLERANCE = 2e-2
GRADIENT_TENSOR_TOLERANCE = 0.2
UPDATE_NORM_TOLERANCE = 0.1


@pytest.fixture(scope="module")
def runs(tiny_cityscapes, start_tfseg, tmp_path_factory):
    """Model dirs and finished processes of the default, mirrored and multi-worker runs."""
    root = tmp_path_factory.mktemp("distributed")
    model_dirs = {name: str(root / name) for name in ["default", *DISTRIBUTED]}

    def args(name, *extra):
        return ["train", *ONE_STEP, f"--data_dir={tiny_cityscapes}",
                f"--model_dir={model_dirs[name]}", *extra]  # fmt: skip

    group = Processes(root / "logs", start_tfseg)
    try:
        group.start("default", args("default"))
        group.start("mirrored", args("mirrored", "--strategy=mirrored", "--cpu_replicas=2"))
        group.start_cluster("multi_worker", args("multi_worker"), workers=2)
        results = group.wait(TIMEOUT)
    finally:
        group.kill()
    for name, result in results.items():
        prefix = f"{name} was killed after {TIMEOUT} s; " if name in group.timed_out else ""
        assert result.returncode == 0, f"{prefix}{name}: {describe(result)}"
    return model_dirs, results


@pytest.fixture(scope="module")
def states(runs):
    """The training state of each run's checkpoint, and the common initial weights."""
    model_dirs, _ = runs
    result = {name: training_state(path) for name, path in model_dirs.items()}
    keras.utils.set_random_seed(SEED)  # as `train` does just before building the model
    model = ModelDir(model_dirs["default"]).build_model()
    result["initial"] = {v.path: np.array(v.numpy()) for v in model.trainable_variables}
    return result


def history(model_dir):
    with open(os.path.join(model_dir, "history.jsonl")) as f:
        return [json.loads(line) for line in f]


def test_every_strategy_trains_exactly_one_step(runs, states):
    model_dirs, results = runs
    assert set(results) == {"default", "mirrored", "multi_worker-0", "multi_worker-1"}
    for name, path in model_dirs.items():
        assert states[name]["iterations"] == 1, name
        records = history(path)
        assert [r["epoch"] for r in records] == [1], name
        assert np.isfinite(records[0]["loss"]) and records[0]["loss"] > 0, name
        assert os.path.exists(os.path.join(path, "best", "model.keras")), name
    # The default run's update is one Adam step from the weights rebuilt from the seed: every
    # weight moved by at most the learning rate, the largest by about the learning rate.
    default, initial = states["default"]["weights"], states["initial"]
    largest = max(float(np.max(np.abs(default[k] - initial[k]))) for k in initial)
    assert 0.9 * LEARNING_RATE <= largest <= 1.001 * LEARNING_RATE


def relative_norm(actual, expected, keys, subtract=None):
    """||actual - expected|| / ||expected - subtract|| over the tensors `keys` as one vector."""

    def flat(values):
        parts = [np.asarray(values[k], np.float64) for k in keys]
        if subtract is not None:
            parts = [part - subtract[k] for part, k in zip(parts, keys)]
        return np.concatenate([part.ravel() for part in parts])

    return float(np.linalg.norm(flat(actual) - flat(expected)) / np.linalg.norm(flat(expected)))


def changes(statistics):
    """BatchNorm statistics minus their initial values (moving means start at 0, variances at 1)."""
    return {k: v - 1.0 if k.endswith("moving_variance") else v for k, v in statistics.items()}


@pytest.mark.parametrize("strategy", DISTRIBUTED)
def test_first_step_equals_the_single_device_step(runs, states, strategy):
    model_dirs, _ = runs
    single, other, initial = states["default"], states[strategy], states["initial"]
    keys = sorted(initial)
    loss = history(model_dirs[strategy])[0]["loss"]
    single_loss = history(model_dirs["default"])[0]["loss"]
    measured = {
        "statistics": max_relative_difference(
            changes(other["statistics"]), changes(single["statistics"])
        ),
        "loss": abs(loss - single_loss) / single_loss,
        "gradient_norm": relative_norm(other["m"], single["m"], keys),
        "gradient_tensor": max_relative_difference(other["m"], single["m"]),
        "update_norm": relative_norm(other["weights"], single["weights"], keys, initial),
        "update_max_over_lr": max(
            float(np.max(np.abs(other["weights"][k] - single["weights"][k]))) for k in keys
        )
        / LEARNING_RATE,
    }
    print(f"{strategy} vs default: {measured}")
    assert measured["statistics"][0] <= STATISTICS_TOLERANCE, measured
    assert measured["loss"] <= LOSS_TOLERANCE, measured
    assert measured["gradient_norm"] <= GRADIENT_NORM_TOLERANCE, measured
    assert measured["gradient_tensor"][0] <= GRADIENT_TENSOR_TOLERANCE, measured
    assert measured["update_norm"] <= UPDATE_NORM_TOLERANCE, measured


def test_multi_worker_only_the_chief_writes_and_no_scratch_is_left(runs):
    model_dirs, results = runs
    chief, worker = results["multi_worker-0"], results["multi_worker-1"]
    assert chief.returncode == 0 and worker.returncode == 0
    path = model_dirs["multi_worker"]
    # The same files as a single-device run: no `.worker-*` scratch folder left behind.
    assert sorted(os.listdir(path)) == sorted(os.listdir(model_dirs["default"]))
    assert not [name for name in os.listdir(path) if name.startswith(".")]
    assert sorted(os.listdir(os.path.join(path, "best"))) == ["metrics.json", "model.keras"]
    # Only the chief validated, kept the best model, appended history and wrote TensorBoard.
    assert last_json(chief.stdout)["best_epoch"] == 1
    assert last_json(worker.stdout)["best_epoch"] == 0
    assert len(history(path)) == 1
    for folder in ("train", "val"):
        assert len(os.listdir(os.path.join(path, "logs", folder))) == 1, folder
