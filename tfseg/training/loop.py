"""The training loop: one custom loop for every tf.distribute strategy.

`train` is re-exported by `tfseg.training`; this module has a noun name so that the package
attribute `tfseg.training.train` is the function, never this module.
"""

import math
import os
import shutil
import time
from collections.abc import Callable
from typing import NamedTuple

import keras
import numpy as np
import tensorflow as tf

from tfseg.data import check_dataset, class_weights, load_dataset, open_split
from tfseg.data.decode_errors import data_error_from
from tfseg.data.examples import format_problems
from tfseg.errors import (
    ConfigError,
    DataError,
    Terminated,
    TfsegError,
)
from tfseg.evaluation import evaluate_model
from tfseg.io.folder_lock import FolderLock
from tfseg.io.os_errors import error_from_message, naming_path
from tfseg.losses import SegmentationLoss
from tfseg.model_builder import build_model
from tfseg.model_dir import ModelDir
from tfseg.training.deferred_signals import deferred_signals
from tfseg.training.initialize_weights import initialize_weights
from tfseg.training.make_strategy import is_chief, make_strategy, num_workers
from tfseg.training.resumption import (
    check_fresh_start,
    reconcile,
    remove_partial_checkpoints,
)
from tfseg.training.run_history import RunHistory
from tfseg.training.run_progress import RunProgress
from tfseg.training.training_summaries import TrainingSummaries


class TrainingDiverged(TfsegError):
    """The loss became NaN or infinite; the last good checkpoint is kept."""


class TrainStep(NamedTuple):
    """What `make_train_step` builds: the model, its optimizer and the distributed step."""

    model: keras.Model
    optimizer: keras.optimizers.Optimizer
    step: Callable  # step(distributed_iterator) -> (loss, regularization), summed over replicas


def make_train_step(config, num_classes, loss_function, *, steps_per_epoch=1, strategy=None):
    """The model, optimizer and training step exactly as `train` makes them, for other loops.

    Args:
        config: a `TrainConfig` (model, precision, optimizer and schedule settings are used).
        num_classes: output classes.
        loss_function: `loss(labels, logits) -> [B]` per-image losses, e.g.
            `SegmentationLoss(..., reduction=None)` as `train` uses.
        steps_per_epoch: for the learning-rate schedule.
        strategy: a `tf.distribute` strategy (default: the current one).

    Returns:
        A `TrainStep`; `step(iterator)` runs one step on the next batch of a distributed iterator
        (`strategy.distribute_datasets_from_function(...)`).

    Example:
        >>> model, optimizer, step = make_train_step(config, 19, loss_function)
        >>> loss, regularization = step(iterator)
    """
    strategy = strategy or tf.distribute.get_strategy()
    keras.mixed_precision.set_global_policy(config.precision)
    model, optimizer = build_model_and_optimizer(config, num_classes, steps_per_epoch, strategy)
    step = make_step_function(model, optimizer, loss_function, strategy, config)
    return TrainStep(model, optimizer, step)


def _learning_rate(config, steps_per_epoch):
    """constant (the paper), poly (`(1 - t/T)^power`), or step (x factor every N epochs)."""
    if config.lr_schedule == "poly":
        return keras.optimizers.schedules.PolynomialDecay(
            config.learning_rate,
            steps_per_epoch * config.epochs,
            end_learning_rate=0.0,
            power=config.poly_power,
        )
    if config.lr_schedule == "step":
        boundaries = list(range(config.lr_decay_epochs, config.epochs, config.lr_decay_epochs))
        values = [
            config.learning_rate * config.lr_decay_factor**i for i in range(len(boundaries) + 1)
        ]
        return keras.optimizers.schedules.PiecewiseConstantDecay(
            [b * steps_per_epoch for b in boundaries], values
        )
    return config.learning_rate


def _loss_function(config, train_split):
    """The run's `SegmentationLoss`, unreduced: `loss(labels, logits)` is `[B]`, one value per
    image, which `make_step_function` averages over the global batch."""
    weights = None
    if config.loss == "weighted":
        result = class_weights(train_split, method=config.class_weighting)
        weights = [result["weights"][name] for name in train_split.info.class_names]
    return SegmentationLoss(config.loss, class_weights=weights, reduction=None)


def _steps_per_epoch(config, num_examples, strategy):
    # One input pipeline per worker, each reading its shard and batch_size / workers per step.
    pipelines = num_workers(strategy)
    if config.batch_size % strategy.num_replicas_in_sync:
        raise ConfigError(
            f"--batch_size={config.batch_size} must be divisible by the "
            f"{strategy.num_replicas_in_sync} replicas"
        )
    steps = (num_examples // pipelines) // (config.batch_size // pipelines)
    if steps == 0:
        raise ConfigError(
            f"the {config.train_split!r} split has {num_examples} images, fewer than one batch of "
            f"{config.batch_size}; lower --batch_size"
        )
    return min(steps, config.steps_per_epoch) if config.steps_per_epoch else steps


def train(config, *, progress=True):
    """Trains a model as `config` says, resuming from the model dir's last checkpoint.

    Every epoch ends with a checkpoint (model, optimizer, epoch, best mIoU) written atomically by
    `tf.train.CheckpointManager`; a run killed at any moment and restarted with the same settings
    continues after the last finished epoch. Every `eval_every` epochs (and after the last) the
    model is evaluated on the validation split at the labels' resolution, and the best model by
    mIoU is kept in `best/`. A non-finite loss stops training with `TrainingDiverged` and writes
    nothing for the current epoch.

    The model dir is locked while the run writes it (a second run is refused, naming the first
    one's PID); before the first epoch the checkpoint, history.jsonl and best/ must agree
    (tfseg/training/resumption.py); a run that fails or is interrupted before its first
    checkpoint removes what it wrote, and one that fails later keeps its last checkpoint and best
    model. docs/reliability.md describes the guarantees.

    Args:
        config: a `TrainConfig`.
        progress: show a progress bar per epoch.

    Returns:
        A dict: `epochs_run`, `resumed_from_epoch`, `best_miou`, `best_epoch`, `model_dir`,
        `seconds`, `images_per_second`.

    Raises:
        TfsegError: bad settings or data (named), a model dir in use or not agreeing with its
            checkpoint, `TrainingDiverged`, or `Interrupted` (SIGINT / SIGTERM: the message says
            from which epoch the same command resumes).
    """
    start_time = time.time()
    # Each split is opened once: its example list, in the order every epoch reads (and that a
    # resumed run reads again), is fixed here, and its file headers are checked once.
    train_split = open_split(
        config.data_dir, config.train_split, annotation=config.annotation,
        keep_void=config.keep_void, validate=False,
    )  # fmt: skip
    info = train_split.info
    model_dir = ModelDir(config.model_dir)
    identity = config.model_identity(info.class_names)
    model_dir.check_identity(identity)  # before anything is built or written
    strategy = make_strategy(config.strategy)
    chief = is_chief(strategy)
    if chief:
        # Read-only, before the model is built: a dir that cannot be resumed is refused at once
        # (and checked again, and repaired, under the lock).
        latest = model_dir.latest_checkpoint()
        if latest is None:
            check_fresh_start(model_dir)
        else:
            reconcile(model_dir, *model_dir.read_counters(latest), repair=False)
    keras.mixed_precision.set_global_policy(config.precision)

    steps_per_epoch = _steps_per_epoch(config, len(train_split), strategy)
    train_split = train_split.validate()
    # Only the chief validates (and writes the TensorBoard images of the validation split).
    # Its files are checked here, before the first epoch, not after it.
    val_split = None
    if chief:
        val_split = open_split(config.data_dir, config.val_split, keep_void=config.keep_void)
        _check_validation_files(val_split)
    run = _Run(config, model_dir, strategy, chief, train_split, val_split, steps_per_epoch)
    if not chief:  # non-chief workers write only their scratch folder
        return run.train(identity, progress, start_time)
    created = not os.path.exists(model_dir.path)
    try:
        with FolderLock(model_dir.path, "tfseg train") as lock:
            if lock.stale_pid:
                _say(chief, f"took over the lock of process {lock.stale_pid}, which is not running")
            try:
                return run.train(identity, progress, start_time)
            except (KeyboardInterrupt, Terminated) as interruption:
                run.progress.undo(created)
                raise run.progress.interrupted(interruption, created) from None
            except BaseException:
                run.progress.undo(created)
                raise
    except BaseException:
        # A failure before anything was written (e.g. while building the model) leaves the
        # folder the lock created: empty, it goes too.
        if created and os.path.isdir(model_dir.path) and not os.listdir(model_dir.path):
            os.rmdir(model_dir.path)
        raise


class _Run:
    """One training run's state, between `train`'s checks and its clean-up on failure."""

    def __init__(self, config, model_dir, strategy, chief, train_split, val_split, steps):
        self.config, self.model_dir, self.strategy, self.chief = config, model_dir, strategy, chief
        self.train_split, self.val_split, self.steps_per_epoch = train_split, val_split, steps
        self.progress = RunProgress(model_dir, config.epochs)

    def train(self, identity, progress, start_time):
        config, model_dir, strategy, chief = self.config, self.model_dir, self.strategy, self.chief
        done = self.progress
        info = self.train_split.info
        loss_function = _loss_function(config, self.train_split)
        model, optimizer = build_model_and_optimizer(
            config, info.num_classes, self.steps_per_epoch, strategy
        )
        epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="epoch")
        best_miou = tf.Variable(-1.0, dtype=tf.float64, trainable=False, name="best_miou")
        best_epoch = tf.Variable(0, dtype=tf.int64, trainable=False, name="best_epoch")
        checkpoint = tf.train.Checkpoint(
            model=model, optimizer=optimizer, epoch=epoch, best_miou=best_miou,
            best_epoch=best_epoch,
        )  # fmt: skip
        # Non-chief workers must save too (collectives), into a scratch folder removed at the end.
        checkpoint_dir = model_dir.checkpoints if chief else _worker_scratch(model_dir, strategy)
        manager = tf.train.CheckpointManager(checkpoint, checkpoint_dir, max_to_keep=1)

        history = None
        if chief:
            remove_partial_checkpoints(model_dir)
        latest = model_dir.latest_checkpoint()
        if latest:
            model_dir.restore(checkpoint, latest)
            done.committed = int(epoch.numpy())
            done.committed_best = int(best_epoch.numpy())
            if chief:
                history, notes = reconcile(model_dir, done.committed, done.committed_best)
                for note in notes:
                    _say(chief, note)
            if config.lr_schedule == "constant":
                # The checkpoint restored the old run's rate; this run's flag wins.
                optimizer.learning_rate = config.learning_rate
            _say(chief, f"resuming {model_dir.path} after epoch {done.committed}/{config.epochs}")
        else:
            if chief:
                check_fresh_start(model_dir)
                model_dir.discard_pending_best()
                history = RunHistory(model_dir.history)
                done.fresh = True
            for line in initialize_weights(model, config):
                _say(chief, line)
        resumed_from = done.committed
        if chief:
            model_dir.write_config(identity, config.to_dict(), self.train_split.info)

        summaries = TrainingSummaries(model_dir.logs, self.val_split) if chief else None
        step_function = make_step_function(model, optimizer, loss_function, strategy, config)
        images_seen, train_seconds = 0, 0.0
        for current in range(resumed_from, config.epochs):
            done.current = current
            iterator = iter(_epoch_dataset(config, strategy, self.train_split, current))
            if progress and chief:
                print(f"Epoch {current + 1}/{config.epochs}")
            epoch_start, losses = time.time(), []
            bar = keras.utils.Progbar(self.steps_per_epoch, stateful_metrics=["loss", "lr"])
            for step in range(self.steps_per_epoch):
                loss, regularization = self._step(step_function, iterator)
                loss = float(loss)
                if not math.isfinite(loss):
                    raise TrainingDiverged(
                        f"the loss became {loss} at epoch {current + 1}, step {step + 1}; "
                        f"training stopped and {done.kept()}. Lower --learning_rate or check "
                        "the data."
                    )
                losses.append(loss)
                learning_rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
                if progress and chief:
                    bar.update(step + 1, [("loss", loss), ("lr", learning_rate)])
                if summaries:
                    summaries.step(
                        int(optimizer.iterations.numpy()), loss, float(regularization),
                        learning_rate,
                    )  # fmt: skip
            train_seconds += time.time() - epoch_start
            images_seen += self.steps_per_epoch * config.batch_size
            epoch.assign(current + 1)

            record = {"epoch": current + 1, "loss": float(np.mean(losses))}
            staged = False
            if (current + 1) % config.eval_every == 0 or current + 1 == config.epochs:
                record.update(_validate(model, self.val_split, config, summaries, current + 1))
                metrics = record.pop("val_metrics", None)
                if chief and record["val_miou"] > best_miou.numpy():
                    best_miou.assign(record["val_miou"])
                    best_epoch.assign(current + 1)
                    model_dir.stage_best(model, {"epoch": current + 1, **metrics})
                    staged = True
            record["seconds"] = round(time.time() - epoch_start, 2)
            # The epoch's files, in the order tfseg/training/resumption.py relies on; Ctrl-C
            # and SIGTERM wait until all are written.
            with deferred_signals():
                if chief:
                    history.append(record)
                _save_checkpoint(manager, current + 1, checkpoint_dir)
                done.committed, done.committed_best = current + 1, int(best_epoch.numpy())
                if staged:
                    model_dir.promote_best()
            _say(chief, _epoch_line(record))

        if not chief:
            shutil.rmtree(checkpoint_dir, ignore_errors=True)
        return {
            "model_dir": model_dir.path,
            "epochs_run": config.epochs - resumed_from,
            "resumed_from_epoch": resumed_from,
            "best_miou": float(best_miou.numpy()),
            "best_epoch": int(best_epoch.numpy()),
            "seconds": round(time.time() - start_time, 1),
            "images_per_second": round(images_seen / train_seconds, 2) if train_seconds else None,
        }

    def _step(self, step_function, iterator):
        """One training step; a data file that fails to decode becomes a DataError naming it."""
        try:
            return step_function(iterator)
        except tf.errors.InvalidArgumentError as error:
            found = data_error_from(error, self.train_split, self.config.data_dir)
            if found is None:
                raise
            raise found from None


def _check_validation_files(val_split):
    """Decodes every validation file now, so that a damaged one (or a label value outside the
    table) stops the run before the first epoch, not after it (which would throw the epoch
    away). A few seconds for Cityscapes' 500 validation images; training files are decoded as
    they are read, and a failure there names the file (`_Run._step`)."""
    report = check_dataset(val_split.data_dir, val_split.name, annotation=val_split.annotation)
    if report.problems:
        where = f"validation split {val_split.name!r} of {val_split.data_dir}"
        raise DataError(format_problems(report.problems, where))


def _save_checkpoint(manager, number, folder):
    """`manager.save`, with a full disk or a read-only folder as one line naming the folder."""
    try:
        with naming_path(folder):
            manager.save(checkpoint_number=number)
    except tf.errors.OpError as error:
        found = error_from_message(
            folder, error.message, f"writing the checkpoint of epoch {number}"
        )
        if found is None:
            raise
        raise found from None


def build_model_and_optimizer(config, num_classes, steps_per_epoch, strategy):
    """The model (seeded, so every worker starts from the same weights) and its built optimizer,
    created under the strategy's scope so their variables are mirrored."""
    with strategy.scope():
        keras.utils.set_random_seed(config.seed)
        model = build_model(
            config.encoder,
            config.decoder,
            num_classes=num_classes,
            input_shape=(config.height, config.width),
            weight_decay=config.weight_decay,
            **config.decoder_options,
        )
        if config.bn_momentum is not None:
            _set_bn_momentum(model, config.bn_momentum)
        optimizer = keras.optimizers.Adam(_learning_rate(config, steps_per_epoch))
        if config.precision == "mixed_float16":
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        optimizer.build(model.trainable_variables)
    return model, optimizer


def _epoch_dataset(config, strategy, train_split, epoch_index):
    """The training batches of one epoch, sharded over the strategy's workers.

    Every epoch reads the same opened (and already checked) `train_split`, shuffled with a seed
    of its own: the data order of an epoch is the same with or without an interruption.
    """
    return strategy.distribute_datasets_from_function(
        lambda context: load_dataset(
            train_split,
            height=config.height,
            width=config.width,
            batch_size=config.batch_size,
            training=True,
            augment=config.augment,
            scale_range=config.scale_range,
            photometric=config.photometric,
            seed=config.seed * 1000 + epoch_index,
            input_context=context,
        )
    )


def _set_bn_momentum(model, momentum):
    """Overrides the moving-average momentum of every BatchNormalization layer.

    The paper's 0.99 needs thousands of steps before the moving statistics forget their
    initial values (after n steps the initial variance of 1 still weighs 0.99^n); short runs,
    like the CPU demo on synthetic data, validate far better with 0.9.
    """
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.momentum = momentum


def make_step_function(model, optimizer, loss_function, strategy, config):
    """One distributed training step as a `tf.function` over a distributed iterator."""

    def replica_step(images, labels):
        with tf.GradientTape() as tape:
            logits = model(images, training=True)
            # Per-image losses averaged over the *global* batch, so gradients summed across
            # replicas equal the single-device gradient.
            loss = tf.nn.compute_average_loss(
                loss_function(labels, logits), global_batch_size=config.batch_size
            )
            # A model without regularizers (e.g. a plugin's) has no losses to add.
            penalty = tf.add_n(model.losses) if model.losses else tf.zeros([])
            regularization = tf.nn.scale_regularization_loss(penalty)
            total = loss + regularization
            if config.precision == "mixed_float16":
                total = optimizer.scale_loss(total)
        gradients = tape.gradient(total, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss, regularization

    @tf.function
    def step_function(iterator):
        loss, regularization = strategy.run(replica_step, args=next(iterator))
        return (
            strategy.reduce(tf.distribute.ReduceOp.SUM, loss, axis=None),
            strategy.reduce(tf.distribute.ReduceOp.SUM, regularization, axis=None),
        )

    return step_function


def _validate(model, val_split, config, summaries, epoch_number):
    """Validation metrics at the labels' resolution (chief only: others, which have no
    `val_split`, get NaN)."""
    if val_split is None:
        return {"val_miou": float("nan")}
    metrics = evaluate_model(
        model, val_split, height=config.height, width=config.width, progress=False
    )
    if summaries:
        summaries.validation(epoch_number, metrics, model, config)
    miou = metrics["miou"]
    return {
        "val_miou": float(miou) if math.isfinite(miou) else 0.0,
        "val_pixel_accuracy": float(metrics["pixel_accuracy"]),
        "val_metrics": metrics,
    }


def _epoch_line(record):
    parts = [f"epoch {record['epoch']}: loss {record['loss']:.4f}"]
    if "val_miou" in record:
        parts.append(f"val mIoU {100 * record['val_miou']:.2f}%")
    parts.append(f"{record['seconds']:.1f} s")
    return ", ".join(parts)


def _worker_scratch(model_dir, strategy):
    task = strategy.cluster_resolver
    return os.path.join(model_dir.path, f".worker-{task.task_type}-{task.task_id}")


def _say(enabled, message):
    if enabled:
        print(message, flush=True)
