"""`tfseg benchmark`: latency, FPS, memory, power and parity of every runtime; the leaderboard.

  tfseg benchmark run --encoder=shufflenet --decoder=skipnet --num_classes=19
                      --runtimes=function,frozen_graph,tflite,onnxruntime
                      --sizes=360x640,512x1024 --batch_sizes=1 --warmup=20 --iterations=100
                      [--min_seconds=0 --threads=0 --timed=model|end_to_end --rounds=1
                      --results=FILE.jsonl|DIR --memory --power=auto|none|nvml|rapl|ina3221]
  tfseg benchmark run --model_dir=runs/x [--checkpoint=best] ...
  tfseg benchmark table --results=benchmarks/results --out=benchmarks/results/leaderboard.md
                        [--csv=FILE] [--plots=DIR]

`run` writes one JSON row per runtime x size x batch (default: <model_dir>/benchmarks/
<device>.jsonl, or one file per runtime in benchmarks/results/); a runtime that cannot run here
is listed as skipped, with the reason. `table` merges result files into a markdown table (a
file's `<!-- tfseg-benchmark:begin -->` ... `end` block, or a new file), a CSV and PNG plots.
The protocol is docs/benchmarking.md.
"""

from absl import flags

from tfseg.errors import ConfigError

FLAGS = flags.FLAGS
SUBCOMMANDS = ("run", "table")

# run: the model
flags.DEFINE_string("model_dir", None, "run: a trained model dir (or --encoder/--decoder).")
flags.DEFINE_enum("checkpoint", "best", ["best", "last"], "run: the model dir's model.")
flags.DEFINE_string("encoder", None, "run: encoder of a model with random weights.")
flags.DEFINE_string("decoder", None, "run: decoder of a model with random weights.")
flags.DEFINE_integer("num_classes", 19, "run: classes of a random-weights model.", lower_bound=2)
flags.DEFINE_enum("variant", None, ["8s", "16s", "32s"], "run: SkipNet variant (default 8s).")
flags.DEFINE_enum("unet_block", None, ["linear", "linknet"], "run: UNet decoder block style.")
flags.DEFINE_integer("seed", 0, "run: seed of the random weights and timed inputs.", lower_bound=0)
# run: the protocol
flags.DEFINE_list(
    "runtimes", None, "run: runtimes to time (default: every one; see docs/benchmarking.md)."
)
flags.DEFINE_list("sizes", ["360x640", "512x1024"], "run: network input sizes, HxW.")
flags.DEFINE_list("batch_sizes", ["1"], "run: batch sizes.")
flags.DEFINE_integer("warmup", 20, "run: untimed calls before timing.", lower_bound=0)
flags.DEFINE_integer("iterations", 100, "run: timed calls, at least.", lower_bound=1)
flags.DEFINE_float("min_seconds", 0.0, "run: timed seconds, at least.", lower_bound=0.0)
flags.DEFINE_integer("threads", 0, "run: CPU threads (0: each runtime's default).", lower_bound=0)
flags.DEFINE_enum(
    "timed", "model", ["model", "end_to_end"],
    "run: model = float tensor -> logits; end_to_end = uint8 camera frame -> class ids.",
)  # fmt: skip
flags.DEFINE_string("frame_size", "1024x2048", "run: camera frame size of --timed=end_to_end.")
flags.DEFINE_integer(
    "rounds", 1, "run: interleave the runtimes' timed calls in this many rounds.", lower_bound=1
)
flags.DEFINE_string(
    "results", None,
    "run: a .jsonl file, or a folder (one file per runtime); table: files or folders, "
    "comma-separated.",
)  # fmt: skip
flags.DEFINE_bool("memory", False, "run: also write the per-layer memory report.")
flags.DEFINE_enum(
    "power", "auto", ["auto", "none", "nvml", "rapl", "ina3221"], "run: the power sensor."
)
flags.DEFINE_integer(
    "energy_images", 1525, "run: N of the energy E = N*I*P/3.6e6 W*h (seed 004).", lower_bound=1
)
flags.DEFINE_string("cache_dir", None, "run: exported artifacts (default ~/.cache/tfseg).")
flags.DEFINE_string("device", None, "run: device name of rows and files (default: detected).")
flags.DEFINE_integer(
    "parity_images", 50, "run: validation images for a model dir's mIoU.", lower_bound=0
)
flags.DEFINE_string("data_dir", None, "run: the model dir's data set (default: trained on).")
flags.DEFINE_string("notes", None, "run: a sentence added to every row's notes.")
flags.DEFINE_integer("timeout", 3600, "run: seconds one worker step may take.", lower_bound=1)
# table
flags.DEFINE_string("out", None, "table: the markdown file (block replaced, or created).")
flags.DEFINE_string("csv", None, "table: the CSV file (default: leaderboard.csv beside --out).")
flags.DEFINE_string("plots", None, "table: the PNG folder (default: plots/ beside --out).")


def main(argv):
    if len(argv) < 2 or argv[1] not in SUBCOMMANDS:
        given = f"unknown sub-command {argv[1]!r}" if len(argv) > 1 else "missing sub-command"
        raise ConfigError(
            f"{given}; use one of: {', '.join(SUBCOMMANDS)} (tfseg benchmark run|table)"
        )
    if len(argv) > 2:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[2:])}")
    return {"run": run, "table": table}[argv[1]]()


def run():
    from tfseg.benchmark import run_benchmark
    from tfseg.benchmark.protocol import parse_size

    result = run_benchmark(
        model_dir=FLAGS.model_dir,
        checkpoint=FLAGS.checkpoint,
        encoder=FLAGS.encoder,
        decoder=FLAGS.decoder,
        num_classes=FLAGS.num_classes,
        decoder_options=_decoder_options(),
        runtimes=FLAGS.runtimes,
        sizes=FLAGS.sizes,
        batch_sizes=[_int("batch_sizes", b) for b in FLAGS.batch_sizes],
        warmup=FLAGS.warmup,
        iterations=FLAGS.iterations,
        min_seconds=FLAGS.min_seconds,
        threads=FLAGS.threads,
        timed=FLAGS.timed,
        frame_size=parse_size(FLAGS.frame_size, "--frame_size"),
        rounds=FLAGS.rounds,
        results=FLAGS.results,
        memory=FLAGS.memory,
        power=FLAGS.power,
        energy_images=FLAGS.energy_images,
        cache_dir=FLAGS.cache_dir,
        device=FLAGS.device,
        seed=FLAGS.seed,
        parity_images=FLAGS.parity_images,
        data_dir=FLAGS.data_dir,
        plugins=FLAGS.plugin if "plugin" in FLAGS else (),
        notes=FLAGS.notes,
        timeout=FLAGS.timeout,
    )
    return 0 if result["rows"] else 1


def table():
    from tfseg.benchmark import write_leaderboard

    sources = [s.strip() for s in (FLAGS.results or "").split(",") if s.strip()]
    if not sources:
        raise ConfigError("tfseg benchmark table needs --results=DIR_OR_FILES")
    if not FLAGS.out:
        raise ConfigError("tfseg benchmark table needs --out=FILE.md")
    write_leaderboard(sources, FLAGS.out, csv=FLAGS.csv, plots=FLAGS.plots)
    return 0


def _int(flag, text):
    try:
        return int(text)
    except ValueError:
        raise ConfigError(f"--{flag}: {text!r} is not an integer") from None


def _decoder_options():
    options = {"variant": FLAGS.variant, "block": FLAGS.unet_block}
    return {name: value for name, value in options.items() if value is not None}
