"""tf.distribute strategies by name."""

import json
import os

import tensorflow as tf

from tfseg.errors import ConfigError

# The strategies `make_strategy` makes (`--strategy`).
STRATEGIES = ("default", "mirrored", "multi_worker")


def split_cpu(replicas):
    """Splits the CPU into `replicas` logical devices, so `mirrored` can be used without GPUs.

    Must run before TensorFlow initializes its devices (before any op).
    """
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(replicas)]
    )


def make_strategy(name):
    """Returns the strategy for `--strategy`.

    `mirrored` replicates over all GPUs, or over the logical CPUs (see `split_cpu`) when there is
    no GPU. `multi_worker` reads the cluster from `TF_CONFIG`; training then runs a custom loop
    in every worker (Keras 3's `fit` fails under MultiWorkerMirroredStrategy).
    """
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = tf.config.list_logical_devices("GPU") or tf.config.list_logical_devices("CPU")
        return tf.distribute.MirroredStrategy([d.name for d in devices])
    if name == "multi_worker":
        if "TF_CONFIG" not in os.environ:
            raise ConfigError(
                "--strategy=multi_worker reads the cluster from TF_CONFIG, which is unset"
            )
        try:
            json.loads(os.environ["TF_CONFIG"])
        except ValueError as error:
            raise ConfigError(f"TF_CONFIG is not valid JSON: {error}") from None
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ConfigError(f"strategy must be default, mirrored or multi_worker, got {name!r}")


def is_chief(strategy):
    """Whether this process writes checkpoints, logs and the best model."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    if resolver.task_type == "chief":
        return True
    has_chief = "chief" in resolver.cluster_spec().as_dict()
    return resolver.task_type == "worker" and resolver.task_id == 0 and not has_chief


def num_workers(strategy):
    """Number of worker processes (input pipelines) of a strategy."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return 1
    jobs = resolver.cluster_spec().as_dict()
    return sum(len(jobs.get(job, [])) for job in ("chief", "worker"))
