"""The leaderboard's PNG plots (matplotlib, imported here only): FPS and latency vs resolution
(the RTSeg paper's Fig. 8), FPS vs GFLOPs with parameters as bubbles, and latency per runtime.

Each function takes merged result rows (`tfseg.benchmark.leaderboard`) and a path, writes the
PNG atomically and returns whether there was anything to plot. Batch-1 rows are preferred (the
real-time figure); each runtime keeps one colour in every plot.
"""

import io

from tfseg.benchmark.protocol import RUNTIMES
from tfseg.io import atomic_write

MARKERS = "osD^vP*Xh<>"
DPI = 120


def plot_fps_vs_resolution(rows, path):
    """FPS and median latency vs input resolution, one line per model x runtime (Fig. 8); only
    series measured at three sizes or more, if there are any.

    Args:
        rows: merged result rows.
        path: the PNG to write.

    Returns:
        Whether a plot was written (False without rows).

    Example:
        >>> plot_fps_vs_resolution(rows, "benchmarks/results/plots/fps_vs_resolution.png")
        True
    """
    rows = _preferred(rows)
    if not rows:
        return False
    plt = _pyplot()
    series = {}
    for row in rows:
        series.setdefault(_series_key(row, rows), []).append(row)
    # A sweep is a line of three sizes or more; two-size pairs would bury it (the leaderboard
    # table has them). Without a sweep every series is drawn.
    series = {key: points for key, points in series.items() if len(points) >= 3} or series
    rows = [row for points in series.values() for row in points]
    figure, (fps_axis, ms_axis) = plt.subplots(1, 2, figsize=(13, 5.2))
    colors, markers = _colors(rows), _model_markers(rows)
    sizes = {}
    for (label, runtime, model), points in series.items():
        points.sort(key=lambda r: r["height"] * r["width"])
        x = [r["height"] * r["width"] / 1e6 for r in points]
        for r in points:
            sizes[r["height"] * r["width"] / 1e6] = f"{r['height']}x{r['width']}"
        style = {"color": colors[runtime], "marker": markers[model], "label": label}
        fps_axis.plot(x, [r["fps"] for r in points], **style)
        ms_axis.plot(x, [r["latency_ms_p50"] for r in points], **style)
    for axis, ylabel in (
        (fps_axis, "frames per second (FPS, log scale)"),
        (ms_axis, "median latency per call (ms, log scale)"),
    ):
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xticks(sorted(sizes))
        axis.set_xticklabels([sizes[k] for k in sorted(sizes)], rotation=30, ha="right")
        axis.minorticks_off()
        axis.set_xlabel("network input size, height x width (pixels; log of the pixel count)")
        axis.set_ylabel(ylabel)
        axis.grid(True, which="both", alpha=0.3)
        _plain_log_ticks(axis)
    fps_axis.set_title("FPS vs input resolution")
    ms_axis.set_title("latency vs input resolution")
    handles, labels = fps_axis.get_legend_handles_labels()
    figure.legend(handles, labels, loc="center left", bbox_to_anchor=(0.82, 0.5), fontsize=8)
    figure.suptitle(_subtitle(rows), fontsize=10)
    figure.tight_layout(rect=(0, 0, 0.81, 0.95))
    return _save(figure, path, plt)


def plot_fps_vs_gflops(rows, path):
    """The fastest runtime's FPS vs GFLOPs per model and size; bubble area = parameters (and
    mIoU vs GFLOPs beside it where rows have mIoU).

    Args:
        rows: merged result rows (`_params`, `_miou` read from their notes).
        path: the PNG to write.

    Returns:
        Whether a plot was written.
    """
    rows = [r for r in _preferred(rows) if r["gflops"]]
    if not rows:
        return False
    plt = _pyplot()
    best = {}
    for row in rows:
        key = (row["device"], row["model"], row["height"], row["width"])
        if key not in best or row["fps"] > best[key]["fps"]:
            best[key] = row
    points = list(best.values())
    with_miou = [r for r in rows if r["_miou"] is not None]
    figure, axes = plt.subplots(1, 2 if with_miou else 1, figsize=(14 if with_miou else 10, 5.5))
    axes = list(axes) if with_miou else [axes]
    largest = max((r["_params"] or 0) for r in points) or 1
    colors = _colors(points)
    for row in points:
        area = 60 + 1400 * (row["_params"] or 0) / largest
        axes[0].scatter(
            row["gflops"], row["fps"], s=area, alpha=0.55, color=colors[row["runtime"]],
            edgecolors="black", linewidths=0.6,
        )  # fmt: skip
    for index, row in enumerate(sorted(points, key=lambda r: r["gflops"])):
        axes[0].annotate(
            f"{row['model']} {row['height']}x{row['width']}", (row["gflops"], row["fps"]),
            textcoords="offset points", xytext=(9, 7 if index % 2 else -12), fontsize=7,
        )  # fmt: skip
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("GFLOPs per image (log scale)")
    axes[0].set_ylabel("FPS of the fastest runtime (log scale)")
    axes[0].set_title("FPS vs GFLOPs (bubble area = parameters)")
    axes[0].grid(True, which="both", alpha=0.3)
    _plain_log_ticks(axes[0], x=True)
    for runtime in dict.fromkeys(r["runtime"] for r in points):
        axes[0].scatter([], [], color=colors[runtime], alpha=0.55, s=60, label=runtime)
    if largest > 1:
        for share in (1.0, 0.25):
            axes[0].scatter([], [], s=60 + 1400 * share, facecolors="none", edgecolors="black",
                            label=f"{share * largest / 1e6:.2f} M parameters")  # fmt: skip
    axes[0].legend(
        fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), labelspacing=1.6,
        borderpad=1.0, title="colour: runtime", title_fontsize=8,
    )  # fmt: skip
    axes[0].margins(0.2)
    if with_miou:
        for row in with_miou:
            axes[1].scatter(row["gflops"], 100 * row["_miou"], s=60, color="tab:blue")
            # mIoU is measured at the timed size, so one model has a point per size.
            axes[1].annotate(
                f"{row['model']} {row['height']}x{row['width']}",
                (row["gflops"], 100 * row["_miou"]), fontsize=7, textcoords="offset points",
                xytext=(6, 4),
            )  # fmt: skip
        axes[1].set_xscale("log")
        _plain_log_ticks(axes[1], x=True, y=False)
        axes[1].margins(0.15)
        axes[1].set_xlabel("GFLOPs per image (log scale)")
        axes[1].set_ylabel("mIoU (%)")
        axes[1].set_title("mIoU vs GFLOPs")
        axes[1].grid(True, which="both", alpha=0.3)
    figure.suptitle(_subtitle(rows), fontsize=10)
    figure.tight_layout(rect=(0, 0, 1, 0.95))
    return _save(figure, path, plt)


def plot_latency(rows, path):
    """Median latency per runtime for each model and size, with the p90 as a whisker.

    Args:
        rows: merged result rows.
        path: the PNG to write.

    Returns:
        Whether a plot was written.
    """
    rows = _preferred(rows)
    if not rows:
        return False
    plt = _pyplot()
    groups = {}
    for row in rows:
        groups.setdefault(_group_label(row, rows), {})[row["runtime"]] = row
    runtimes = list(dict.fromkeys(r["runtime"] for r in sorted(rows, key=_runtime_rank)))
    colors = _colors(rows)
    most = max(len(by_runtime) for by_runtime in groups.values())
    height = 0.8 / most
    figure, axis = plt.subplots(figsize=(10, 1.2 + 0.3 * sum(map(len, groups.values()))))
    labels = list(groups)
    bars = {runtime: ([], [], []) for runtime in runtimes}
    for g, label in enumerate(labels):
        present = [r for r in runtimes if r in groups[label]]
        for index, runtime in enumerate(present):
            row = groups[label][runtime]
            y, width, whisker = bars[runtime]
            y.append(g + (index - (len(present) - 1) / 2) * height)
            width.append(row["latency_ms_p50"])
            whisker.append(max(0.0, row["latency_ms_p90"] - row["latency_ms_p50"]))
    for runtime, (y, width, whisker) in bars.items():
        axis.barh(
            y, width, height=height * 0.9, color=colors[runtime], label=runtime,
            xerr=[[0] * len(whisker), whisker], error_kw={"elinewidth": 0.8, "capsize": 2},
        )  # fmt: skip
    axis.set_yticks(range(len(labels)))
    axis.set_yticklabels(labels, fontsize=8)
    axis.invert_yaxis()
    axis.set_xlabel("latency per call (ms): bar = median (p50), whisker = 90th percentile")
    axis.set_title("latency per runtime")
    axis.grid(True, axis="x", alpha=0.3)
    axis.legend(fontsize=8, loc="lower right")
    figure.suptitle(_subtitle(rows), fontsize=10)
    figure.tight_layout(rect=(0, 0, 1, 0.96))
    return _save(figure, path, plt)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _preferred(rows):
    """Batch-1 rows of the most common timed mode (all rows where there are none)."""
    ones = [r for r in rows if r["batch_size"] == 1] or list(rows)
    modes = [r["timed"] for r in ones]
    mode = max(dict.fromkeys(modes), key=modes.count) if modes else None
    return [r for r in ones if r["timed"] == mode]


def _series_key(row, rows):
    label = f"{row['model']} · {row['runtime']}"
    if len({r["device"] for r in rows}) > 1:
        label += f" · {row['device']}"
    return label, row["runtime"], row["model"]


def _group_label(row, rows):
    label = f"{row['model']}\n{row['height']}x{row['width']}"
    if len({r["device"] for r in rows}) > 1:
        label += f" · {row['device']}"
    return label


def _runtime_rank(row):
    names = list(RUNTIMES)
    return names.index(row["runtime"]) if row["runtime"] in names else len(names)


# One colour per runtime, the same in every plot; others (e.g. the Jetson runner's `tensorrt`)
# take the leftovers.
COLORS = {
    "function": "tab:blue",
    "frozen_graph": "tab:orange",
    "onnxruntime": "tab:red",
    "openvino": "tab:purple",
    "tflite": "tab:green",
    "saved_model": "tab:brown",
    "tflite_fp16": "yellowgreen",
    "tflite_dynamic": "olive",
    "tflite_int8": "darkgreen",
    "keras": "tab:gray",
    "predict": "black",
    "xla": "tab:pink",
    "tftrt": "tab:cyan",
}
SPARE_COLORS = ("gold", "navy", "teal", "salmon", "sienna", "slateblue")


def _colors(rows):
    others = sorted({r["runtime"] for r in rows} - set(COLORS))
    spare = {name: SPARE_COLORS[i % len(SPARE_COLORS)] for i, name in enumerate(others)}
    return {**COLORS, **spare}


def _model_markers(rows):
    models = sorted({r["model"] for r in rows})
    return {model: MARKERS[i % len(MARKERS)] for i, model in enumerate(models)}


def _plain_log_ticks(axis, x=False, y=True):
    """Log axes ticked at 1, 2, 5 x 10^n and labelled as plain numbers (5, 10, 20, ...)."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    axes = ((axis.yaxis,) if y else ()) + ((axis.xaxis,) if x else ())
    for which in axes:
        which.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        which.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        which.set_minor_formatter(NullFormatter())


def _subtitle(rows):
    devices = ", ".join(sorted({str(r["device"]) for r in rows}))
    modes = ", ".join(sorted({r["timed"] for r in rows}))
    batches = ", ".join(str(b) for b in sorted({r["batch_size"] for r in rows}))
    return f"{devices}; batch {batches}; timed = {modes}"


def _save(figure, path, plt):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    plt.close(figure)
    atomic_write(path, buffer.getvalue())
    return True
