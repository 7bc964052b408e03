"""`write_leaderboard`: result files merged into a markdown table, a CSV and PNG plots
(`tfseg benchmark table`).

Rows of every file (or every `*.jsonl` of a folder) are merged: for the same device, model,
runtime, precision, size, batch and timed mode the latest row (by `date`) wins, so a re-run
replaces its old figure and a GPU or Jetson user's file adds columns and rows. The markdown has
one table per device x timed mode x batch: the model's GFLOPs and parameters (the RTSeg paper's
Table 1 columns), its mIoU where a row has one, then FPS (and the median latency) per runtime.
"""

import csv as csv_module
import io
import math
import os

from tfseg.benchmark.protocol import RUNTIMES, RuntimeInfo
from tfseg.benchmark.record import read_rows
from tfseg.errors import ConfigError, DataError
from tfseg.io import atomic_write, replace_marked_block

MARKERS = ("<!-- tfseg-benchmark:begin -->", "<!-- tfseg-benchmark:end -->")
KEY = ("device", "model", "num_classes", "runtime", "precision", "height", "width", "batch_size",
       "timed")  # fmt: skip
CSV_FIELDS = (
    "device", "model", "encoder", "decoder", "num_classes", "runtime", "precision", "height",
    "width", "batch_size", "timed", "gflops", "params", "miou", "fps", "latency_ms_mean",
    "latency_ms_p50", "latency_ms_p90", "latency_ms_p99", "gflops_per_s", "peak_host_memory_mb",
    "peak_gpu_memory_mb", "argmax_agreement", "power_source", "power_w_mean",
    "energy_mj_per_frame", "energy_wh", "iterations", "warmup", "date", "git_commit", "cpu",
    "gpu",
)  # fmt: skip
PLOTS = ("fps_vs_resolution.png", "fps_vs_gflops.png", "latency_by_runtime.png")


def write_leaderboard(sources, out, *, csv=None, plots=None, command=None):
    """Merges result files into a markdown leaderboard, a CSV and PNG plots.

    Args:
        sources: `.jsonl` files and folders (their `*.jsonl` files).
        out: the markdown file: the block between `MARKERS` is replaced if the file exists (it
            must have them), else a new file with the block is written.
        csv: the CSV file (default `leaderboard.csv` in `out`'s folder).
        plots: the folder for the PNGs (default `plots/` in `out`'s folder; `""`: none).
        command: how the table was made, for its footer (default the `tfseg benchmark table`
            command line of these arguments).

    Returns:
        `{"rows", "markdown", "csv", "plots"}`: the merged row count, the block's text and the
        files written.

    Raises:
        DataError: no result file, or a file that is not JSON lines of result rows.
        ConfigError: `out` exists without the markers, or an output cannot be written.

    Example:
        >>> write_leaderboard(["benchmarks/results"], "README.md")["plots"]
        ['benchmarks/results/plots/fps_vs_resolution.png', ...]
    """
    rows = _merge(_read(sources))
    folder = os.path.dirname(os.path.abspath(out))
    csv = csv or os.path.join(folder, "leaderboard.csv")
    plots = os.path.join(folder, "plots") if plots is None else plots
    if os.path.exists(out):
        with open(out, encoding="utf-8") as f:
            text = f.read()
        if MARKERS[0] not in text or MARKERS[1] not in text.split(MARKERS[0], 1)[1]:
            raise ConfigError(
                f"--out={out} exists but has no leaderboard block; add the two lines "
                f"{MARKERS[0]} and {MARKERS[1]} where the table goes"
            )
    command = command or (
        f"tfseg benchmark table --results={','.join(map(str, sources))} --out={out}"
    )
    written = []
    if plots:
        written = _plots(rows, plots)
    relative = [os.path.relpath(p, folder) for p in written]
    block = _markdown(rows, relative, command)
    try:
        _write_csv(rows, csv)
        if os.path.exists(out):
            replace_marked_block(out, MARKERS[0], MARKERS[1], block)
        else:
            os.makedirs(folder, exist_ok=True)
            atomic_write(
                out, f"# tfseg benchmark leaderboard\n\n{MARKERS[0]}\n{block}\n{MARKERS[1]}\n"
            )
    except OSError as error:
        raise ConfigError(f"cannot write the leaderboard: {error.strerror or error}") from None
    return {"rows": len(rows), "markdown": block, "csv": csv, "plots": written}


def _read(sources):
    files = []
    for source in sources:
        source = os.fspath(source)
        if os.path.isdir(source):
            files += sorted(
                os.path.join(source, name) for name in os.listdir(source) if name.endswith(".jsonl")
            )
        elif os.path.isfile(source):
            files.append(source)
        else:
            raise DataError(f"--results={source}: no such file or folder")
    rows = [row for path in files for row in read_rows(path)]
    if not rows:
        raise DataError(f"--results={','.join(map(str, sources))}: no result rows found")
    return rows


def _merge(rows):
    latest = {}
    for row in rows:
        key = tuple(row[k] for k in KEY)
        if key not in latest or str(row["date"] or "") >= str(latest[key]["date"] or ""):
            latest[key] = row
    merged = list(latest.values())
    for row in merged:
        row["_params"], row["_miou"] = _note_value(row, "params", int), _note_value(row, "miou")
    params = {}
    for row in merged:  # a model's parameters, from any row that records them
        if row["_params"] is not None:
            params[(row["model"], row["num_classes"])] = row["_params"]
    for row in merged:
        row["_params"] = params.get((row["model"], row["num_classes"]), row["_params"])
    return sorted(merged, key=_order)


def _order(row):
    runtimes = list(RUNTIMES)
    rank = runtimes.index(row["runtime"]) if row["runtime"] in runtimes else len(runtimes)
    return (
        str(row["device"]), row["timed"], row["batch_size"], row["model"],
        row["height"] * row["width"], rank, row["runtime"],
    )  # fmt: skip


def _note_value(row, name, kind=float):
    for item in str(row.get("notes") or "").split(";"):
        key, _, value = item.strip().partition("=")
        if key == name and value:
            try:
                return kind(value.split()[0])
            except ValueError:
                return None
    return None


def _achieved(row):
    """`"GFLOP/s (n%)"` of a row, against the conv peak its run measured (notes), if any."""
    achieved = row.get("gflops_per_s")
    if achieved is None:
        return ""
    peak = _note_value(row, "conv_peak")
    return f"{achieved:.1f} ({100 * achieved / peak:.0f}%)" if peak else f"{achieved:.1f}"


def _markdown(rows, plots, command):
    lines = []
    groups = {}
    for row in rows:
        groups.setdefault((row["device"], row["timed"], row["batch_size"]), []).append(row)
    for (device, timed, batch), group in groups.items():
        runtimes = list(dict.fromkeys(r["runtime"] for r in group))
        first = group[0]
        hardware = first["gpu"] or first["cpu"] or "?"
        lines += [
            f"**{device}** ({hardware}), batch {batch}, `--timed={timed}`: FPS, and in "
            "parentheses the median latency in ms; the fastest runtime of each row in bold.",
            "",
            "| model | input | GFLOPs | params (M) | mIoU | "
            + " | ".join(runtimes)
            + " | fastest GFLOP/s (% of conv peak) |",
            "|---|---|---|---|---|" + "---|" * (len(runtimes) + 1),
        ]
        models = {}
        for row in group:
            models.setdefault((row["model"], row["num_classes"], row["height"], row["width"]), {})[
                row["runtime"]
            ] = row
        for (model, _, height, width), by_runtime in models.items():
            any_row = next(iter(by_runtime.values()))
            best = max(r["fps"] for r in by_runtime.values())
            cells = []
            for runtime in runtimes:
                row = by_runtime.get(runtime)
                if row is None:
                    cells.append("")
                    continue
                cell = f"{row['fps']:.1f} ({row['latency_ms_p50']:.0f})"
                cells.append(f"**{cell}**" if row["fps"] == best and len(by_runtime) > 1 else cell)
            fastest = next(r for r in by_runtime.values() if r["fps"] == best)
            mious = [r["_miou"] for r in by_runtime.values() if r["_miou"] is not None]
            params = any_row["_params"]
            lines.append(
                f"| {model} | {height}x{width} | {_num(any_row['gflops'], 2)} "
                f"| {_num(params / 1e6 if params else None, 3)} "
                f"| {_num(100 * max(mious) if mious else None, 1)} | "
                + " | ".join(cells)
                + f" | {_achieved(fastest)} |"
            )
        lines += ["", _runtime_table(group), "", _environment(group), ""]
    if plots:
        lines += [
            " ".join(f"![{os.path.splitext(os.path.basename(p))[0]}]({p})" for p in plots),
            "",
        ]
    lines.append(
        f"Made by `{command}` from {len(rows)} rows; the protocol and how to reproduce every "
        "figure: docs/benchmarking.md."
    )
    return "\n".join(lines)


# Runtimes whose rows come from outside `tfseg benchmark run` (same schema).
_EXTERNAL_RUNTIMES = {
    "tensorrt": RuntimeInfo(
        "TensorRT engine built on the board (tfseg/deploy/jetson/segment_trt.py bench)"
    ),
}


def _runtime_table(group):
    lines = [
        "| runtime | precision | what runs | worst argmax agreement with Keras | peak host MiB |",
        "|---|---|---|---|---|",
    ]
    by_runtime = {}
    for row in group:
        by_runtime.setdefault(row["runtime"], []).append(row)
    for runtime, rows in by_runtime.items():
        info = RUNTIMES.get(runtime) or _EXTERNAL_RUNTIMES.get(runtime)
        agreements = [r["argmax_agreement"] for r in rows if r["argmax_agreement"] is not None]
        peaks = [r["peak_host_memory_mb"] for r in rows if r["peak_host_memory_mb"] is not None]
        lines.append(
            f"| {runtime} | {rows[0]['precision'] or ''} | "
            f"{info.description if info else ''} | "
            f"{f'{100 * min(agreements):.3f}%' if agreements else ''} | "
            f"{f'{max(peaks):.0f}' if peaks else ''} |"
        )
    return "\n".join(lines)


def _environment(group):
    first = group[0]
    versions = first.get("versions") or {}
    names = ("tensorflow", "keras", "onnxruntime", "openvino", "tensorrt", "tensorflow_onednn")
    shown = ", ".join(f"{name} {versions[name]}" for name in names if name in versions)
    threads = first.get("threads") or {}
    threads = (
        ", ".join(f"{k} {v}" for k, v in threads.items()) if isinstance(threads, dict) else threads
    )
    # Rows written before the note's wording lost its inner ";" split it in two: look at all.
    busy = any("the machine was busy" in str(row.get("notes") or "") for row in group)
    dates = sorted(str(r["date"]) for r in group if r["date"])
    commits = sorted({str(r["git_commit"]) for r in group if r["git_commit"]})
    power = sorted({str(r["power_source"]) for r in group if r["power_source"]})
    text = (
        f"{shown}; threads: {threads or 'default'}; power: {', '.join(power) or 'not available'}; "
        f"measured {dates[0][:10] if dates else '?'}"
        f"{' to ' + dates[-1][:10] if dates and dates[-1][:10] != dates[0][:10] else ''} at "
        f"{', '.join(commits) or '?'}."
    )
    if busy:
        text += (
            " The machine was busy with other work during some runs (other processes took over "
            "10% of the cores while timing, or, without /proc, the load average was above 0.75 x "
            "the cores; in each row's notes): treat those latencies as upper bounds."
        )
    return text


def _num(value, digits):
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:.{digits}f}"


def _write_csv(rows, path):
    buffer = io.StringIO()
    writer = csv_module.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    for row in rows:
        values = {**row, "params": row["_params"], "miou": row["_miou"]}
        writer.writerow(["" if values.get(k) is None else values.get(k) for k in CSV_FIELDS])
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    atomic_write(path, buffer.getvalue())


def _plots(rows, folder):
    from tfseg.benchmark.plots import plot_fps_vs_gflops, plot_fps_vs_resolution, plot_latency

    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as error:
        raise ConfigError(f"--plots={folder}: cannot write there ({error.strerror})") from None
    makers = (plot_fps_vs_resolution, plot_fps_vs_gflops, plot_latency)
    written = []
    for name, make in zip(PLOTS, makers):
        path = os.path.join(folder, name)
        if make(rows, path):
            written.append(path)
    return written
