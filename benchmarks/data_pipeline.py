"""Throughput of the training input pipeline: 1024x2048 PNGs -> augmented 512x1024 batches.

    .venv/bin/python benchmarks/data_pipeline.py                 # synthesizes 24 full-size scenes
    .venv/bin/python benchmarks/data_pipeline.py --data_dir=DIR  # e.g. real Cityscapes

Measures images/s of `tfseg.data.load_dataset(training=True, augment="standard")` (decode, random
scale 0.5-2, crop/pad, flip, optional photometric jitter, batch 4, prefetch) after a warm-up, and
for reference the rate of PNG decoding alone (image + label, same parallelism). Prints one JSON
object. Compare `images_per_s` with the training step rate: the pipeline must keep ahead of it.
"""

import argparse
import json
import os
import platform
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import tensorflow as tf  # noqa: E402

from tfseg.data import list_examples, load_dataset, synthesize_scenes  # noqa: E402
from tfseg.io import image_header  # noqa: E402


def rate(dataset, batches, batch_size, warmup):
    iterator = iter(dataset)
    for _ in range(warmup):
        next(iterator)
    start = time.perf_counter()
    for _ in range(batches):
        next(iterator)
    return batches * batch_size / (time.perf_counter() - start)


def decode_only(data_dir, batch_size):
    examples = list_examples(data_dir, "train")
    files = tf.data.Dataset.from_tensor_slices(([e[0] for e in examples], [e[1] for e in examples]))

    def decode(image_path, label_path):
        image = tf.io.decode_png(tf.io.read_file(image_path), channels=3)
        return image, tf.io.decode_png(tf.io.read_file(label_path), channels=1)

    files = files.repeat().map(decode, num_parallel_calls=tf.data.AUTOTUNE)
    return files.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data_dir", help="a data set with a train split (default: synthesize one)"
    )
    parser.add_argument("--num_images", type=int, default=24, help="scenes to synthesize")
    parser.add_argument("--batches", type=int, default=40, help="batches to time")
    parser.add_argument("--warmup", type=int, default=5, help="batches before timing")
    parser.add_argument("--batch_size", type=int, default=4)
    parser.add_argument("--height", type=int, default=512)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--photometric", action="store_true", help="add colour jitter")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir
        if not data_dir:
            data_dir = os.path.join(tmp, "synthetic")
            start = time.perf_counter()
            synthesize_scenes(data_dir, args.num_images, 0, 1024, 2048, seed=0)
            print(
                f"synthesized {args.num_images} 1024x2048 scenes "
                f"in {time.perf_counter() - start:.0f} s"
            )
        pipeline = load_dataset(
            data_dir, "train", height=args.height, width=args.width, batch_size=args.batch_size,
            training=True, augment="standard", photometric=args.photometric, seed=0,
        )  # fmt: skip
        result = {
            "images_per_s": round(rate(pipeline, args.batches, args.batch_size, args.warmup), 1),
            "decode_only_images_per_s": round(
                rate(
                    decode_only(data_dir, args.batch_size),
                    args.batches,
                    args.batch_size,
                    args.warmup,
                ),
                1,
            ),
            "output": [args.batch_size, args.height, args.width, 3],
            "augment": "standard" + (" + photometric" if args.photometric else ""),
            "source_size": _source_size(data_dir),
            "cpu_cores": os.cpu_count(),
            "machine": platform.processor() or platform.machine(),
            "tensorflow": tf.__version__,
        }
    print(json.dumps(result))


def _source_size(data_dir):
    header = image_header(list_examples(data_dir, "train")[0][0])
    return [header.height, header.width]


if __name__ == "__main__":
    main()
