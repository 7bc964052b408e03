"""CPU inference latency of TensorFlow's ways to run a model, with oneDNN off and on.

    .venv/bin/python benchmarks/cpu_inference.py
    .venv/bin/python benchmarks/cpu_inference.py --models skipnet-shufflenet --onednn off on_avx

For each model and oneDNN setting (`benchmarks/onednn_settings.py`; each in its own process),
batch 1 of a fixed random image, random weights with BN statistics set away from the identity:

- `tf.function(model)`: the Keras model, traced with training=False;
- `tf.function(folded)`: `tfseg.graph.fold_batch_norms(model)`, Grappler on;
- `frozen, session`: the BN-folded frozen GraphDef in a default-config `tf.compat.v1.Session`
  (Grappler on), as TF1 consumers and TF Serving run it;
- `frozen, BiasAdd`: the same graph with every grouped convolution's bias turned back into a
  `BiasAdd` (tfseg's form before it switched to `AddV2`), which the remapper fuses: it fails
  without oneDNN, and shows what the `AddV2` form costs with it.

Timing: `--warmup` untimed runs, then `--iterations` timed ones, each synchronized on the output
(`.numpy()` / `session.run`); median and 90th percentile in ms, TensorFlow's default threads.
Every output is compared with the Keras model's (max |diff| relative to the largest logit).
Prints a markdown table, the command and the load average, then one JSON row per measurement.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onednn_settings import SETTINGS, cpu_flags, setting_env  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DEFAULT_MODELS = ["skipnet-shufflenet", "skipnet-mobilenet", "unet-resnet18"]
FORMS = ["tf.function(model)", "tf.function(folded)", "frozen, session", "frozen, BiasAdd"]
NUM_CLASSES = 19


def grouped_biases_as_bias_add(graph_def):
    """A copy of `graph_def` whose `AddV2` biases after grouped `Conv2D`s are `BiasAdd`s."""
    import tensorflow as tf

    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    out = tf.compat.v1.GraphDef()
    out.CopyFrom(graph_def)
    for node in out.node:
        if node.op != "AddV2":
            continue
        producer = graph.get_operation_by_name(node.name).inputs[0].op
        if (
            producer.type == "Conv2D"
            and producer.inputs[0].shape[-1] != producer.inputs[1].shape[2]
        ):
            node.op = "BiasAdd"  # AddV2 and BiasAdd share inputs (value, bias) and attr T
            node.attr["data_format"].s = b"NHWC"
    return out


def timed(run, warmup, iterations):
    for _ in range(warmup):
        run()
    times = []
    for _ in range(iterations):
        start = time.perf_counter()
        run()
        times.append(1e3 * (time.perf_counter() - start))
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(0.9 * len(times)))]


def measure(decoder, encoder, args):
    """Times every form of one model in this process; returns one row per form."""
    import keras
    import numpy as np
    import tensorflow as tf

    import tfseg
    from tfseg.graph import fold_batch_norms, freeze_model
    from tfseg.platform import onednn_enabled

    model = tfseg.build_model(encoder, decoder, NUM_CLASSES, (args.height, args.width))
    rng = np.random.default_rng(0)
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            n = layer.moving_mean.shape[0]
            layer.moving_mean.assign(rng.normal(0, 0.2, n).astype("float32"))
            layer.moving_variance.assign(rng.uniform(0.5, 2.0, n).astype("float32"))
    image = rng.uniform(0, 255, (1, args.height, args.width, 3)).astype("float32")
    expected = model(image, training=False).numpy()
    folded = fold_batch_norms(model)
    frozen = freeze_model(folded)

    def session_runner(graph_def):
        graph = tf.Graph()
        with graph.as_default():
            tf.graph_util.import_graph_def(graph_def, name="")
        session = tf.compat.v1.Session(graph=graph)
        return lambda: session.run(frozen.output_name, {frozen.input_name: image})

    model_function = tf.function(lambda x: model(x, training=False))
    folded_function = tf.function(lambda x: folded(x, training=False))
    runners = {
        "tf.function(model)": lambda: model_function(image).numpy(),
        "tf.function(folded)": lambda: folded_function(image).numpy(),
        "frozen, session": session_runner(frozen.graph_def),
        "frozen, BiasAdd": session_runner(grouped_biases_as_bias_add(frozen.graph_def)),
    }
    rows = []
    for form, run in runners.items():
        row = {"model": f"{decoder}-{encoder}", "form": form, "onednn": onednn_enabled(),
               "onednn_setting": args.child_setting, "size": [args.height, args.width]}  # fmt: skip
        try:
            got = run()
            row["max_rel_diff"] = float(np.abs(got - expected).max() / np.abs(expected).max())
            row["median_ms"], row["p90_ms"] = (
                round(v, 1) for v in timed(run, args.warmup, args.iterations)
            )
        except tf.errors.OpError as error:
            row["error"] = error.message.strip().splitlines()[0][:120]
        row.update(warmup=args.warmup, iterations=args.iterations)
        rows.append(row)
    return rows


def run_child(model, setting, args):
    command = [sys.executable, os.path.abspath(__file__), f"--child={model}",
               f"--child_setting={setting}", f"--height={args.height}", f"--width={args.width}",
               f"--warmup={args.warmup}", f"--iterations={args.iterations}"]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, check=False, env=setting_env(setting)
    )
    if result.returncode != 0:
        raise SystemExit(f"{model} ({setting}) failed:\n{result.stderr[-4000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def table(rows, settings):
    lines = ["| model | form | " + " | ".join(f"oneDNN {s}" for s in settings) + " |"]
    lines.append("|---" * (2 + len(settings)) + "|")
    cells = {(r["model"], r["form"], r["onednn_setting"]): r for r in rows}
    for model in dict.fromkeys(r["model"] for r in rows):
        for form in FORMS:
            row = [model, form]
            for setting in settings:
                r = cells.get((model, form, setting))
                if r is None:
                    row.append("")
                elif "error" in r:
                    row.append("fails")
                else:
                    row.append(f"{r['median_ms']:.1f} ({r['p90_ms']:.1f})")
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=DEFAULT_MODELS, help="decoder-encoder")
    parser.add_argument("--onednn", nargs="+", default=["off", "on", "on_avx"], choices=SETTINGS)
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--child_setting", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warmup < 1 or args.iterations < 1:
        parser.error("--warmup and --iterations must be >= 1")
    if args.child:
        decoder, encoder = args.child.split("-", 1)
        print(json.dumps(measure(decoder, encoder, args)))
        return 0
    for model in args.models:
        if model.count("-") != 1:
            parser.error(f"model names are decoder-encoder, e.g. skipnet-shufflenet; got {model!r}")

    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable), *sys.argv])
    load_before = os.getloadavg()
    rows = [row for m in args.models for s in args.onednn for row in run_child(m, s, args)]
    load_after = os.getloadavg()
    print(
        f"CPU inference, batch 1 x {args.height}x{args.width}, median (p90) ms over "
        f"{args.iterations} runs after {args.warmup} warm-up; {os.cpu_count()} cores, CPU flags "
        f"{' '.join(cpu_flags()) or 'unknown'}."
    )
    print()
    print(table(rows, args.onednn))
    print()
    print(f"command: {command}")
    print("load average before: " + ", ".join(f"{x:.2f}" for x in load_before)
          + "; after: " + ", ".join(f"{x:.2f}" for x in load_after))  # fmt: skip
    for row in rows:
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
