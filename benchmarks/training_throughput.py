"""Training throughput (images/s) and peak memory of the training step, per model, on this machine.

    .venv/bin/python benchmarks/training_throughput.py
    .venv/bin/python benchmarks/training_throughput.py --models skipnet-shufflenet --steps 20
    .venv/bin/python benchmarks/training_throughput.py --onednn off on on_avx

Runs the step function of `tfseg train` (`tfseg.training.make_train_step`: forward,
ENet-weighted cross-entropy averaged over the global batch, L2 weight decay, gradients, Adam) under
the default strategy on random in-memory batches, so the input pipeline is not measured (see
`benchmarks/data_pipeline.py` for that). Each model runs in its own subprocess, so its peak
resident memory (VmHWM) is its own. The first `--warmup` steps (tracing, oneDNN set-up) are not
timed; the step loop synchronizes on the loss every step, as the training loop does. `--onednn`
names oneDNN settings to compare (`benchmarks/onednn_settings.py`), each in its own process.

Prints a markdown table, the command and the load average, and one JSON object per model.
"""

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onednn_settings import SETTINGS, cpu_flags, setting_env  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DEFAULT_MODELS = ["skipnet-shufflenet", "skipnet-mobilenet"]  # decoder-encoder, as the paper
NUM_CLASSES = 19


def peak_memory_mb():
    """The peak resident set size (VmHWM) of this process, in MB."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return None


def measure(decoder, encoder, args):
    """Builds the model as `tfseg train` does and times its training step."""
    import numpy as np
    import tensorflow as tf

    from tfseg.labels import IGNORE_VALUE
    from tfseg.losses import SegmentationLoss
    from tfseg.platform import onednn_enabled
    from tfseg.training import TrainConfig, make_train_step

    config = TrainConfig(
        encoder=encoder,
        decoder=decoder,
        data_dir="unused",
        model_dir="unused",
        height=args.height,
        width=args.width,
        batch_size=args.batch_size,
        precision=args.precision,
    )
    strategy = tf.distribute.get_strategy()
    # ENet weights 1 / ln(1.02 + p) of some class frequencies: same cost as real ones.
    rng = np.random.default_rng(0)
    frequencies = rng.dirichlet(np.ones(NUM_CLASSES))
    weights = 1.0 / np.log(1.02 + frequencies)
    # Unreduced (one loss per image), as `tfseg train` calls it.
    loss_function = SegmentationLoss("weighted", class_weights=weights, reduction=None)

    # One random batch in memory, repeated: images in 0..255, labels with ~5% ignored pixels.
    shape = (config.batch_size, config.height, config.width)
    images = 255 * rng.random((*shape, 3), dtype=np.float32)
    labels = rng.integers(0, NUM_CLASSES, size=shape).astype(np.int32)
    labels[rng.random(shape) < 0.05] = IGNORE_VALUE
    batches = tf.data.Dataset.from_tensors((images, labels)).repeat()
    iterator = iter(strategy.distribute_datasets_from_function(lambda _: batches))
    # Exactly the model, optimizer and step `tfseg train` builds (the schedule is constant here).
    model, _, step_function = make_train_step(config, NUM_CLASSES, loss_function)

    start = time.perf_counter()
    first_loss = float(step_function(iterator)[0])
    first_step = time.perf_counter() - start
    for _ in range(args.warmup - 1):
        float(step_function(iterator)[0])
    times = []
    for _ in range(args.steps):
        start = time.perf_counter()
        loss = float(step_function(iterator)[0])  # synchronizes, as the training loop does
        times.append(time.perf_counter() - start)
    total = sum(times)
    return {
        "model": f"{decoder}-{encoder}",
        "onednn_setting": args.child_setting,
        "onednn": onednn_enabled(),
        "parameters": int(model.count_params()),
        "images_per_s": round(args.steps * config.batch_size / total, 2),
        "s_per_step_mean": round(total / args.steps, 3),
        "s_per_step_min": round(min(times), 3),
        "s_per_step_max": round(max(times), 3),
        "first_step_s": round(first_step, 1),
        "peak_memory_mb": round(peak_memory_mb()),
        "loss_first_last": [round(first_loss, 4), round(loss, 4)],
        "batch": [config.batch_size, config.height, config.width, 3],
        "precision": config.precision,
        "warmup_steps": args.warmup,
        "timed_steps": args.steps,
    }


def run_child(model, setting, args):
    """Measures one model under one oneDNN setting in a fresh process; returns its result dict."""
    command = [
        sys.executable,
        os.path.abspath(__file__),
        f"--child={model}",
        f"--child_setting={setting}",
        f"--height={args.height}",
        f"--width={args.width}",
        f"--batch_size={args.batch_size}",
        f"--warmup={args.warmup}",
        f"--steps={args.steps}",
        f"--precision={args.precision}",
    ]
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, env=setting_env(setting)
    )
    if result.returncode != 0:
        raise SystemExit(
            f"{model} ({setting}) failed (exit {result.returncode}):\n{result.stderr[-4000:]}"
        )
    return json.loads(result.stdout.strip().splitlines()[-1])


def table(results, args):
    columns = ["model", "oneDNN", "params (M)", "images/s", "s/step (mean, min-max)",
               "first step (s)", "peak memory (GB)"]  # fmt: skip
    lines = ["| " + " | ".join(columns) + " |", "|---" * len(columns) + "|"]
    for r in results:
        lines.append(
            f"| {r['model']} | {r['onednn_setting']} | {r['parameters'] / 1e6:.2f} "
            f"| {r['images_per_s']:.2f} "
            f"| {r['s_per_step_mean']:.3f} ({r['s_per_step_min']:.3f}-{r['s_per_step_max']:.3f}) "
            f"| {r['first_step_s']:.1f} | {r['peak_memory_mb'] / 1024:.2f} |"
        )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--models", nargs="+", default=DEFAULT_MODELS, help="decoder-encoder names to measure"
    )
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=3, help="untimed steps (>= 1)")
    parser.add_argument("--steps", type=int, default=10, help="timed steps")
    parser.add_argument(
        "--precision", default="float32", choices=["float32", "mixed_bfloat16", "mixed_float16"]
    )
    parser.add_argument(
        "--onednn", nargs="+", default=["default"], choices=SETTINGS, help="oneDNN settings"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child_setting", default="default", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warmup < 1 or args.steps < 1:
        parser.error("--warmup and --steps must be >= 1")

    if args.child:
        decoder, encoder = args.child.split("-", 1)
        print(json.dumps(measure(decoder, encoder, args)))
        return 0

    for model in args.models:
        if model.count("-") != 1:
            parser.error(f"model names are decoder-encoder, e.g. skipnet-shufflenet; got {model!r}")
    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable), *sys.argv])
    load_before = os.getloadavg()
    results = [run_child(m, setting, args) for m in args.models for setting in args.onednn]
    load_after = os.getloadavg()
    import tensorflow as tf

    print(
        f"Training step throughput, batch {args.batch_size} x {args.height}x{args.width}, "
        f"{args.precision}, {args.warmup} warm-up + {args.steps} timed steps, random in-memory "
        f"batches, default strategy; {os.cpu_count()} CPU cores "
        f"({platform.processor() or platform.machine()}; {' '.join(cpu_flags())}), "
        f"TensorFlow {tf.__version__}."
    )
    print()
    print(table(results, args))
    print()
    print(f"command: {command}")
    print(
        "load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.2f}" for x in load_before)
        + "; after: "
        + ", ".join(f"{x:.2f}" for x in load_after)
    )
    for r in results:
        print(json.dumps(r))
    return 0


if __name__ == "__main__":
    sys.exit(main())
