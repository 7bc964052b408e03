"""The export table: every format's size, agreement with Keras, mIoU and CPU latency; and the seed
paper's Table 10 (model size after each graph transform) for FCN-8s / 16s / 32s.

    .venv/bin/python benchmarks/export_table.py --model_dirs runs/skipnet_mobilenet \
        runs/skipnet_shufflenet
    .venv/bin/python benchmarks/export_table.py --transforms_table     # FCN VGG16, several GB

For each trained model dir (`make train ENCODER=... DECODER=skipnet`) it runs `tfseg export`
for saved_model, frozen_graph (float and 8-bit weights), tflite (float, fp16, dynamic, int8) and
onnx, with parity on `--parity_images` validation images (argmax agreement with the Keras model
at the network's size, and mIoU of each through `tfseg.evaluation.evaluate` on the same images),
then times each artifact's forward pass on one validation image at the network's size (3
warm-up runs, then `--runs` rounds alternating between the artifacts; the median), all in this
process. "÷ float" is the
file's size over its own format's float file (model.pb for the 8-bit graph, the float .tflite
for the quantized ones). Writes the markdown into README.md between `<!-- export-table:start
-->` / `<!-- export-table:end -->` (with `--readme`) and prints it.

`--transforms_table` builds FCN-8s / 16s / 32s (SkipNet-VGG16 variants, random weights: sizes
do not depend on training) at 256x512 with 35 classes (the FCN study's), freezes each with
BatchNorm folded, and applies every seed transform alone to the frozen graph, then all of them
in the seed's order, as the seed paper's Table 10 lists them; sizes in MB (1e6 bytes). Writes
into README between `<!-- transforms-table:start -->` / `<!-- transforms-table:end -->` with
`--readme`.
"""

import argparse
import json
import os
import pathlib
import platform
import shlex
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
# (format, options, file inside export/<out>/, out folder)
ARTIFACTS = [
    ("saved_model", {}, "saved_model.pb", "saved_model"),
    ("frozen_graph", {}, "model.pb", "frozen_graph"),
    ("frozen_graph", {}, "model_q8.pb", "frozen_graph"),
    ("tflite", {"quantization": "float"}, "model_float.tflite", "tflite_float"),
    ("tflite", {"quantization": "fp16"}, "model_fp16.tflite", "tflite_fp16"),
    ("tflite", {"quantization": "dynamic"}, "model_dynamic.tflite", "tflite_dynamic"),
    ("tflite", {"quantization": "int8"}, "model_int8.tflite", "tflite_int8"),
    ("onnx", {}, "model.onnx", "onnx"),
]
FLOAT_OF = {"model_q8.pb": "model.pb", "model_fp16.tflite": "model_float.tflite"}
FLOAT_OF.update({f"model_{q}.tflite": "model_float.tflite" for q in ("dynamic", "int8")})


def export_rows(model_dir, parity_images, runs):
    import tensorflow as tf

    from tfseg.data import list_examples
    from tfseg.export import export
    from tfseg.prediction.images import read_image
    from tfseg.runtimes import load_runtime
    from tfseg.runtimes.keras_model import KerasRuntime

    config = json.load(open(os.path.join(model_dir, "config.json")))
    image = read_image(list_examples(config["train"]["data_dir"], "val")[0][0])[None]
    size = (config["model"]["height"], config["model"]["width"])
    inputs = tf.image.resize(image, size, method="bilinear").numpy()
    rows, sizes, runtimes = [], {}, []
    for fmt, options, name, out in ARTIFACTS:
        folder = os.path.join(model_dir, "export", out)
        if not os.path.exists(os.path.join(folder, name)) or name == "model.pb":
            export(
                model_dir, fmt, out=folder, overwrite=True, parity_images=parity_images,
                calibration_images=100, progress=None, **options,
            )  # fmt: skip
        manifest = json.load(open(os.path.join(folder, "export.json")))
        path = os.path.join(folder, name)
        size = _size(path if fmt != "saved_model" else folder)
        sizes[name] = size
        if name == "model_q8.pb":
            parity = _q8_parity(model_dir, path, manifest, parity_images)
        else:
            parity = manifest["parity"]
        runtime = load_runtime(path if fmt != "saved_model" else folder)
        rows.append(
            {
                "model": manifest["model"]["name"],
                "format": fmt if fmt != "tflite" else f"tflite {options['quantization']}",
                "file": name,
                "bytes": size,
                "ratio": size / sizes[FLOAT_OF[name]] if name in FLOAT_OF else None,
                "argmax_agreement": parity["argmax_agreement"],
                "miou": parity["miou"],
                "keras_miou": parity["keras_miou"],
            }
        )
        runtimes.append(runtime)
    runtimes.insert(0, KerasRuntime(_model(model_dir)))
    rows.insert(0, {
        "model": rows[0]["model"], "format": "keras (tf.function)", "file": "best/model.keras",
        "bytes": _size(os.path.join(model_dir, "best", "model.keras")), "ratio": None,
        "argmax_agreement": 1.0, "miou": rows[0]["keras_miou"], "keras_miou": rows[0]["keras_miou"],
    })  # fmt: skip
    for row, ms in zip(rows, _interleaved_latency(runtimes, inputs, runs)):
        row["ms"] = ms
    return rows


def _model(model_dir):
    from tfseg.model_dir import ModelDir

    return ModelDir(model_dir).load_model("best")


def _q8_parity(model_dir, path, manifest, parity_images):
    """The 8-bit graph's parity (export.json's parity is the float model.pb's)."""
    from tfseg.export.parity import measure_parity
    from tfseg.runtimes.frozen_graph import FrozenGraphRuntime
    from tfseg.runtimes.keras_model import KerasRuntime

    config = json.load(open(os.path.join(model_dir, "config.json")))
    model = _model(model_dir)
    return measure_parity(
        KerasRuntime(model), FrozenGraphRuntime(path), config["train"]["data_dir"],
        config["train"].get("val_split", "val"), num_images=parity_images,
    )  # fmt: skip


def _interleaved_latency(runtimes, inputs, runs):
    """Median ms of each runtime's forward pass, timed in `runs` rounds that alternate between
    the runtimes (A B C ... A B C ...), so load that comes and goes hits each one alike."""
    for runtime in runtimes:
        for _ in range(3):
            runtime.logits(inputs)
    times = [[] for _ in runtimes]
    for _ in range(runs):
        for runtime, timed in zip(runtimes, times):
            start = time.perf_counter()
            runtime.logits(inputs)
            timed.append(1e3 * (time.perf_counter() - start))
    return [sorted(timed)[len(timed) // 2] for timed in times]


def _size(path):
    if os.path.isdir(path):
        return sum(
            os.path.getsize(os.path.join(folder, name))
            for folder, _, names in os.walk(path)
            for name in names
            if name != "export.json"
        )
    return os.path.getsize(path)


def export_table(rows, parity_images):
    lines = [
        "| model | format | file | MB | ÷ float | argmax agreement | mIoU (Keras) | CPU ms |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = f"{r['ratio']:.3f}" if r["ratio"] is not None else ""
        lines.append(
            f"| {r['model']} | {r['format']} | {r['file']} | {r['bytes'] / 1e6:.2f} | {ratio} "
            f"| {100 * r['argmax_agreement']:.3f}% | {100 * r['miou']:.2f}% "
            f"({100 * r['keras_miou']:.2f}%) | {r['ms']:.0f} |"
        )
    lines.append("")
    lines.append(
        f"Parity on {parity_images} validation images of the synthetic set the models were "
        "trained on; CPU ms: median forward pass at the network's size, batch 1, "
        "the formats timed in alternating rounds, "
        f"{os.cpu_count()} cores ({platform.machine()})."
    )
    return "\n".join(lines)


def transforms_rows(height, width):
    import keras

    import tfseg
    from tfseg.graph import (
        SEED_TRANSFORMS,
        fold_batch_norms,
        freeze_model,
        quantize_weights,
        seed_transforms,
        transform_graph,
    )

    rows = {}
    for variant in ("8s", "16s", "32s"):
        model = tfseg.build_model("vgg16", "skipnet", 35, (height, width), variant=variant)
        frozen = freeze_model(fold_batch_norms(model))
        del model
        keras.backend.clear_session()
        steps = seed_transforms(frozen, SEED_TRANSFORMS)
        inputs, outputs = [frozen.input_name.split(":")[0]], [frozen.output_name.split(":")[0]]
        sizes = {"frozen model, no optimizations": frozen.graph_def.ByteSize()}
        for step in steps:
            graph = transform_graph(frozen.graph_def, inputs, outputs, [step])
            sizes[step] = graph.ByteSize()
        sizes["quantize_weights"] = quantize_weights(frozen).graph_def.ByteSize()
        everything = transform_graph(
            frozen.graph_def, inputs, outputs, [*steps, "quantize_weights"]
        )
        sizes["all optimizations"] = everything.ByteSize()
        rows[f"FCN{variant}"] = sizes
        del frozen
    return rows


def transforms_table(rows, height, width):
    names = list(next(iter(rows.values())))
    lines = ["| optimization | " + " | ".join(rows) + " |", "|---" * (len(rows) + 1) + "|"]
    for name in names:
        cells = " | ".join(f"{sizes[name] / 1e6:.3f}" for sizes in rows.values())
        lines.append(f"| {name} | {cells} |")
    lines.append("")
    lines.append(
        f"Model size in MB (1e6 bytes) of the frozen graph at {height}x{width}, 35 classes (the "
        "FCN study's setting), each transform alone, then all in the seed's order, with "
        "TensorFlow's own Graph Transform Tool. tfseg's fc6 is FCN's 7x7 convolution (103 M "
        "parameters); the study's was 1x1, hence its smaller files."
    )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model_dirs", nargs="*", default=[])
    parser.add_argument("--parity_images", type=int, default=40)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--transforms_table", action="store_true")
    parser.add_argument("--height", type=int, default=256, help="--transforms_table size")
    parser.add_argument("--width", type=int, default=512)
    parser.add_argument("--readme", action="store_true", help="write the tables into README.md")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable), *sys.argv])
    from tfseg.io import replace_marked_block

    if args.model_dirs:
        load = os.getloadavg()
        rows = [
            row for d in args.model_dirs for row in export_rows(d, args.parity_images, args.runs)
        ]
        text = export_table(rows, args.parity_images)
        text += f" Load average before: {load[0]:.2f}. Command: `{command}`."
        print(text)
        for row in rows:
            print(json.dumps(row))
        if args.readme:
            replace_marked_block(
                README, "<!-- export-table:start -->", "<!-- export-table:end -->", text
            )
    if args.transforms_table:
        text = transforms_table(transforms_rows(args.height, args.width), args.height, args.width)
        text += f" Command: `{command}`."
        print(text)
        if args.readme:
            replace_marked_block(
                README, "<!-- transforms-table:start -->", "<!-- transforms-table:end -->", text
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
