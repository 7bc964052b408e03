"""Time of a grouped convolution's gradient: TensorFlow's grouped kernels vs one per group.

    .venv/bin/python benchmarks/grouped_conv_gradients.py

`tfseg.layers.portable_grouped_conv2d` back-propagates through one ordinary convolution per
group on a CPU; TensorFlow's own grouped gradient kernels exist on a CPU only with oneDNN (and
only for the dtypes it covers there). This times both on ShuffleNet's grouped 1x1 convolutions
(3 groups, batch 4 of 64x128 float32 feature maps; input and filter gradients together), the
native form only where oneDNN provides it. Each
oneDNN setting (`benchmarks/onednn_settings.py`) runs in its own process; median ms of
`--iterations` runs after 3 warm-up runs. Prints a markdown table and the command.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from onednn_settings import SETTINGS, setting_env  # noqa: E402

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

# (input channels, output channels) of ShuffleNet's grouped 1x1 convolutions.
SHAPES = [(240, 60), (60, 240), (480, 120), (960, 240)]


def measure(iterations):
    import tensorflow as tf

    from tfseg.layers import portable_grouped_conv2d
    from tfseg.platform import onednn_enabled

    rows = []
    for cin, cout in SHAPES:
        x = tf.random.normal([4, 64, 128, cin])
        w = tf.random.normal([1, 1, cin // 3, cout])

        def gradient(conv, x=x, w=w):
            with tf.GradientTape() as tape:
                tape.watch([x, w])
                y = tf.reduce_sum(conv(x, w))
            return tape.gradient(y, [x, w])

        forms = {"per group": lambda a, b: portable_grouped_conv2d(a, b, 1, "VALID")}
        if onednn_enabled():
            forms["native"] = lambda a, b: tf.nn.conv2d(a, b, 1, "VALID")
        row = {"shape": [cin, cout], "onednn": onednn_enabled()}
        for name, conv in forms.items():
            run = tf.function(lambda conv=conv: gradient(conv))
            for _ in range(3):
                run()
            times = []
            for _ in range(iterations):
                start = time.perf_counter()
                [t.numpy() for t in run()]
                times.append(1e3 * (time.perf_counter() - start))
            row[name] = round(sorted(times)[len(times) // 2], 2)
        rows.append(row)
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--onednn", nargs="+", default=["off", "on"], choices=SETTINGS)
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.iterations)))
        return 0
    lines = [
        "| C_in -> C_out | oneDNN | native grouped (ms) | per group (ms) |",
        "|---|---|---|---|",
    ]
    for setting in args.onednn:
        command = [sys.executable, __file__, "--child", f"--iterations={args.iterations}"]
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, env=setting_env(setting)
        )
        if result.returncode != 0:
            raise SystemExit(f"{setting} failed:\n{result.stderr[-4000:]}")
        for row in json.loads(result.stdout.strip().splitlines()[-1]):
            native = row.get("native", "no kernel")
            cin, cout = row["shape"]
            lines.append(f"| {cin} -> {cout} | {setting} | {native} | {row['per group']} |")
    print("\n".join(lines))
    print()
    print(
        "command: " + " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable), *sys.argv])
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
