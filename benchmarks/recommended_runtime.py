"""Is tfseg's recommended CPU runtime the fastest one? `--runtime=auto`'s pick against every float
runtime a user could pick for the same trained model, side by side.

    .venv/bin/python benchmarks/recommended_runtime.py --model_dirs runs/skipnet_mobilenet \
        runs/skipnet_shufflenet --readme

For each trained model dir (`make train ENCODER=... DECODER=skipnet`) and size (default 360x640
and 512x1024, batch 1), on a copy of the model dir without benchmark rows:

1. the pick: `--runtime=auto`'s own measurement (`tfseg.runtimes.fastest.AUTO_PROTOCOL` over
   `CPU_PREFERENCE`, `tfseg.benchmark.run_benchmark`) and `choose_runtime` on its rows, exactly
   what `tfseg predict --runtime=auto` does on first use, at that size;
2. the side by side: a second, separate `run_benchmark` over every float runtime that can run
   here (`SIDE_BY_SIDE`), each in its own process, `--rounds` interleaved blocks of `--calls`
   timed calls after `--warmup` calls; the median over all timed calls.

The ratio is the pick's median over the fastest median of step 2 (1.00: the pick is the
fastest). XLA, eager Keras and `model.predict` are left out: the leaderboard and
docs/benchmarking.md measure them several times slower than `tf.function`. Prints the markdown
and the rows; `--readme` writes the table into README.md between `<!-- recommended-runtime:start
-->` / `<!-- recommended-runtime:end -->`.
"""

import argparse
import os
import pathlib
import re
import shlex
import shutil
import sys
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
SIDE_BY_SIDE = ("openvino", "frozen_graph", "onnxruntime", "function", "tflite", "saved_model")


def compare(model_dir, sizes, *, warmup, calls, rounds, say):
    """`[{"model", "size", "pick", "reason", "medians": {runtime: ms}}]` for one model dir."""
    from tfseg.benchmark import run_benchmark
    from tfseg.benchmark.runtimes import runtime_problem
    from tfseg.model_dir import ModelDir
    from tfseg.runtimes import fastest

    with tempfile.TemporaryDirectory(prefix="tfseg-recommended-") as scratch:
        copy = ModelDir(os.path.join(scratch, os.path.basename(os.path.abspath(model_dir))))
        source = ModelDir(model_dir)
        os.makedirs(copy.path)
        shutil.copy2(source.config_path, copy.config_path)
        shutil.copytree(os.path.dirname(source.best_model), os.path.dirname(copy.best_model))
        candidates = [n for n in fastest.CPU_PREFERENCE if runtime_problem(n) is None]
        say(f"{model_dir}: auto's measurement over {', '.join(candidates)}")
        run_benchmark(
            model_dir=copy.path, runtimes=candidates, sizes=sizes, parity_images=0,
            notes="measured by --runtime=auto", progress=say, **fastest.AUTO_PROTOCOL,
        )  # fmt: skip
        picks = {size: fastest.choose_runtime(copy, gpu=False, size=size) for size in sizes}
        runtimes = [n for n in SIDE_BY_SIDE if runtime_problem(n) is None]
        say(f"{model_dir}: side by side, {rounds} rounds over {', '.join(runtimes)}")
        side = run_benchmark(
            model_dir=copy.path, runtimes=runtimes, sizes=sizes, warmup=warmup,
            iterations=calls, rounds=rounds, timed="model", parity_images=0,
            results=os.path.join(scratch, "side_by_side.jsonl"), progress=say,
        )  # fmt: skip
    out = []
    for size in sizes:
        medians = {
            row["runtime"]: row["latency_ms_p50"]
            for row in side["rows"]
            if (row["height"], row["width"]) == size
        }
        pick, reason = picks[size]
        out.append(
            {
                "model": side["rows"][0]["model"],
                "size": size,
                "pick": pick,
                "reason": reason,
                "medians": medians,
                "other_cpu": [other_cpu(row["notes"]) for row in side["rows"]],
            }
        )
    return out


def other_cpu(notes):
    """Other processes' CPU share (%) while a row was timed, from its notes (None if unknown)."""
    found = re.search(r"other_cpu=([0-9.]+)%", notes)
    return float(found.group(1)) if found else None


def table(results, rounds, calls):
    runtimes = list(dict.fromkeys(name for r in results for name in r["medians"]))
    lines = [
        "| model | size | `--runtime=auto` picks | " + " | ".join(runtimes) + " | pick ÷ fastest |",
        "|---|---|---|" + "---|" * len(runtimes) + "---|",
    ]
    for r in results:
        fastest_ms = min(r["medians"].values())
        cells = [
            "–" if ms is None else f"**{ms:.1f}**" if ms == fastest_ms else f"{ms:.1f}"
            for ms in (r["medians"].get(name) for name in runtimes)
        ]
        ratio = r["medians"][r["pick"]] / fastest_ms if r["pick"] in r["medians"] else float("nan")
        lines.append(
            f"| {r['model']} | {r['size'][0]}x{r['size'][1]} | {r['pick']} | "
            + " | ".join(cells)
            + f" | {ratio:.3f} |"
        )
    return "\n".join(lines) + (
        f"\n\nMedian ms per call, batch 1, `--timed=model`, every runtime in its own process, "
        f"{rounds} interleaved rounds of {calls} calls (the pick was made by a separate, earlier "
        "measurement: `--runtime=auto`'s own)."
    )


def parse_sizes(texts):
    from tfseg.benchmark.protocol import parse_size

    return [parse_size(text) for text in texts]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model_dirs", nargs="+", required=True)
    parser.add_argument("--sizes", nargs="+", default=["360x640", "512x1024"])
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--calls", type=int, default=5, help="timed calls per round")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--readme", action="store_true", help="write the table into README.md")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    command = " ".join(shlex.quote(a) for a in [os.path.relpath(sys.executable), *sys.argv])
    say = (lambda line: None) if args.quiet else (lambda line: print(line, flush=True))
    sizes = parse_sizes(args.sizes)
    results = [
        r
        for model_dir in args.model_dirs
        for r in compare(
            model_dir, sizes, warmup=args.warmup, calls=args.calls, rounds=args.rounds, say=say
        )
    ]
    text = table(results, args.rounds, args.calls)
    shares = [share for r in results for share in r["other_cpu"] if share is not None]
    busiest = f"{max(shares):.1f}%" if shares else "unknown"
    text += (
        f" Other processes' CPU share while timing: at most {busiest} of the "
        f"{os.cpu_count()} cores. Command: `{command}`."
    )
    print(text)
    for r in results:
        print(r["model"], r["size"], r["pick"], r["reason"])
    if args.readme:
        from tfseg.io import replace_marked_block

        replace_marked_block(
            README, "<!-- recommended-runtime:start -->", "<!-- recommended-runtime:end -->", text
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
