"""Why is XLA slower than `tf.function` on a CPU? Each layer timed alone both ways, summed by kind.

    .venv/bin/python benchmarks/xla_profile.py --models skipnet:shufflenet skipnet:mobilenet \
        --size 512x1024

For each model (random weights, batch 1) it times the whole forward pass under
`tf.function(model)` and `tf.function(model, jit_compile=True)`, then every layer on its own
input (captured from one forward pass), compiled both ways, and sums the medians per kind of
layer (a grouped 1x1 convolution, a depthwise 3x3, a transposed convolution, ...). The kinds
where XLA loses are where its CPU code generation is slower than the kernels TensorFlow calls
(oneDNN or Eigen); the whole-model row shows how much XLA's fusion across layers wins back.
Each timing: `--warmup` calls, then the median of `--runs`, the two forms alternating.
"""

import argparse
import collections
import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def layer_kind(layer):
    """A short name for what a layer computes (kernel size, groups), for the per-kind sums."""
    name = type(layer).__name__
    config = layer.get_config()
    kernel = config.get("kernel_size")
    if isinstance(kernel, int):
        kernel = (kernel, kernel)
    size = f" {kernel[0]}x{kernel[1]}" if kernel else ""
    if name in ("GroupConv2D", "Conv2D") and (config.get("groups") or 1) > 1:
        return f"grouped conv{size}"
    if name == "GroupConv2D":
        name = "Conv2D"
    if name == "DepthwiseConv2D":
        return f"depthwise conv{size}"
    if name == "Conv2DTranspose":
        return f"transposed conv{size}"
    if name == "Conv2D":
        return f"conv{size}" + (" dilated" if max(config.get("dilation_rate", (1, 1))) > 1 else "")
    return name


def median_ms(functions, argument, warmup, runs):
    """The median ms of each function on `argument`, the functions called in alternation."""
    times = [[] for _ in functions]
    for _ in range(warmup):
        for function in functions:
            _value(function(argument))
    for _ in range(runs):
        for index, function in enumerate(functions):
            start = time.perf_counter()
            _value(function(argument))
            times[index].append(1000 * (time.perf_counter() - start))
    return [statistics.median(t) for t in times]


def _caller(layer, layer_input):
    """How `layer` is called on `layer_input`: merge layers (Add, Concatenate) take the list,
    tfseg's two-input layers (a tensor and the reference it is cropped or resized to) take it
    spread over their arguments."""
    try:
        layer(layer_input, training=False)
        return lambda x: layer(x, training=False)
    except TypeError:
        return lambda x: layer(*x, training=False)


def _value(output):
    import tensorflow as tf

    for tensor in tf.nest.flatten(output):
        tensor.numpy()


def profile_model(encoder, decoder, size, warmup, runs):
    import keras
    import numpy as np
    import tensorflow as tf

    import tfseg

    # One new tf.function per layer is the point here, not a retracing mistake to warn about.
    tf.get_logger().setLevel("ERROR")
    keras.utils.set_random_seed(0)
    model = tfseg.build_model(encoder, decoder, num_classes=19, input_shape=size)
    image = tf.constant(np.random.default_rng(0).uniform(0, 255, (1, *size, 3)), tf.float32)
    plain = tf.function(lambda x: model(x, training=False))
    xla = tf.function(lambda x: model(x, training=False), jit_compile=True)
    whole = median_ms([plain, xla], image, warmup, runs)

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    probe = keras.Model(model.inputs, [layer.input for layer in layers])
    inputs = probe(image, training=False)
    kinds = collections.defaultdict(lambda: [0, 0.0, 0.0])
    for layer, layer_input in zip(layers, inputs):
        call = _caller(layer, layer_input)
        forms = [tf.function(call), tf.function(call, jit_compile=True)]
        ms = median_ms(forms, layer_input, warmup, runs)
        entry = kinds[layer_kind(layer)]
        entry[0] += 1
        entry[1] += ms[0]
        entry[2] += ms[1]
    return whole, dict(kinds)


def markdown(name, size, whole, kinds):
    lines = [
        f"**{name}** at {size[0]}x{size[1]}: whole model `tf.function` {whole[0]:.1f} ms, XLA "
        f"{whole[1]:.1f} ms ({whole[1] / whole[0]:.2f}x)",
        "",
        "| layer kind | layers | tf.function ms | XLA ms | XLA ÷ tf.function |",
        "|---|---|---|---|---|",
    ]
    ordered = sorted(kinds.items(), key=lambda item: -(item[1][2] - item[1][1]))
    for kind, (count, plain, xla) in ordered:
        lines.append(f"| {kind} | {count} | {plain:.1f} | {xla:.1f} | {xla / plain:.2f} |")
    total_plain = sum(v[1] for v in kinds.values())
    total_xla = sum(v[2] for v in kinds.values())
    lines.append(
        f"| sum of layers alone | {sum(v[0] for v in kinds.values())} | {total_plain:.1f} | "
        f"{total_xla:.1f} | {total_xla / total_plain:.2f} |"
    )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["skipnet:shufflenet", "skipnet:mobilenet"])
    parser.add_argument("--size", default="512x1024")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    from tfseg.benchmark.contention import CpuContention, contention_note
    from tfseg.benchmark.environment import environment
    from tfseg.benchmark.protocol import parse_size
    from tfseg.platform import onednn_enabled

    size = parse_size(args.size, "--size")
    env = environment()
    contention = CpuContention()
    contention.start()
    for pair in args.models:
        decoder, encoder = pair.split(":")
        whole, kinds = profile_model(encoder, decoder, size, args.warmup, args.runs)
        print(markdown(f"{decoder}_{encoder}", size, whole, kinds), end="\n\n", flush=True)
    contention.stop()
    print(
        f"{env['cpu']}, oneDNN {'on' if onednn_enabled() else 'off'}, "
        f"{contention_note(contention.share(), contention.uncertainty())}. Command: "
        f"`{' '.join([os.path.relpath(sys.executable), *sys.argv])}`"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
