"""`tfseg data`: Cityscapes-format data sets: make a synthetic one, count class weights, check.

  tfseg data synth --out=data/synthetic [--num_train=200 --num_val=40 --height=256 --width=512
                   --seed=0]
  tfseg data weights --data_dir=DIR [--split=train --method=enet|median --c=1.02 --keep_void]
  tfseg data check --data_dir=DIR [--split=S]

`weights` prints one JSON object (weights keyed by class name, the counts and the formula);
`check` prints a report and exits 1 if it found any problem, naming each offending file.
"""

import json
import sys

from absl import flags

# Neither module imports TensorFlow (tfseg.data imports its pipelines on first use only), so
# `tfseg data --help` and its usage errors take a fraction of a second, and --helpfull does not
# list TensorFlow's own flags.
from tfseg.data.info import ANNOTATIONS
from tfseg.data.weights import METHODS
from tfseg.errors import ConfigError

FLAGS = flags.FLAGS
SUBCOMMANDS = ("synth", "weights", "check")

flags.DEFINE_string("data_dir", None, "weights, check: the data set's root folder.")
flags.DEFINE_string("split", None, "weights (default train), check (default all): the split.")
flags.DEFINE_enum(
    "annotation",
    None,
    list(ANNOTATIONS),
    "Cityscapes labels to read (default: coarse for train_extra, fine otherwise).",
)
flags.DEFINE_string("out", None, "synth: the folder to write the data set to.")
flags.DEFINE_integer("num_train", 200, "synth: training scenes.", lower_bound=0)
flags.DEFINE_integer("num_val", 40, "synth: validation scenes.", lower_bound=0)
flags.DEFINE_integer("num_test", 0, "synth: test scenes.", lower_bound=0)
flags.DEFINE_integer("height", 256, "synth: image height in pixels.", lower_bound=32)
flags.DEFINE_integer("width", 512, "synth: image width in pixels.", lower_bound=32)
flags.DEFINE_integer("seed", 0, "synth: the data set's seed.", lower_bound=0)
flags.DEFINE_integer("workers", None, "synth: processes (default: one per core).", lower_bound=1)
flags.DEFINE_enum(
    "method",
    "enet",
    list(METHODS),
    "weights: ENet 1/ln(c+p) or median frequency balancing.",
)
flags.DEFINE_float("c", 1.02, "weights: the ENet constant c (> 1).")
flags.DEFINE_bool("keep_void", False, "weights: count void as an extra class (the original's).")
flags.DEFINE_bool("cache", True, "weights: use and update the JSON cache next to the data.")
flags.register_validator("c", lambda c: c > 1.0, message="--c must be > 1 (so that ln(c + p) > 0)")


def main(argv):
    if len(argv) < 2 or argv[1] not in SUBCOMMANDS:
        given = f"unknown sub-command {argv[1]!r}" if len(argv) > 1 else "missing sub-command"
        raise ConfigError(
            f"{given}; use one of: {', '.join(SUBCOMMANDS)} (tfseg data synth|weights|check)"
        )
    if len(argv) > 2:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[2:])}")
    return {"synth": synth, "weights": weights, "check": check}[argv[1]]()


def synth():
    from tfseg.data import synthesize_scenes

    if not FLAGS.out:
        raise ConfigError("tfseg data synth needs --out=DIR")
    written = synthesize_scenes(
        FLAGS.out, FLAGS.num_train, FLAGS.num_val, FLAGS.height, FLAGS.width, FLAGS.seed,
        num_test=FLAGS.num_test, workers=FLAGS.workers,
    )  # fmt: skip
    summary = ", ".join(f"{n} {split}" for split, n in written.items())
    print(f"wrote {summary} scenes of {FLAGS.height}x{FLAGS.width} to {FLAGS.out}")
    return 0


def weights():
    from tfseg.data import class_weights

    result = class_weights(
        _data_dir(), FLAGS.split or "train", FLAGS.method, FLAGS.c,
        keep_void=FLAGS.keep_void, annotation=FLAGS.annotation, cache=FLAGS.cache,
    )  # fmt: skip
    print(json.dumps(result, indent=2))
    return 0


def check():
    from tfseg.data import check_dataset

    if FLAGS.annotation and not FLAGS.split:
        raise ConfigError("--annotation needs --split")

    def progress(done, total):
        if sys.stderr.isatty() and (done % 50 == 0 or done == total):
            print(
                f"\rchecked {done}/{total} pairs",
                end="\n" if done == total else "",
                file=sys.stderr,
            )

    report = check_dataset(_data_dir(), FLAGS.split, annotation=FLAGS.annotation, progress=progress)
    print(report.to_text())
    return 0 if report.ok else 1


def _data_dir():
    if not FLAGS.data_dir:
        raise ConfigError("this sub-command needs --data_dir=DIR")
    return FLAGS.data_dir
