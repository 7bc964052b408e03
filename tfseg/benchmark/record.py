"""Result rows: the schema (`RESULT_FIELDS`), building, appending and reading JSONL files.

The Jetson runner `tfseg/deploy/jetson/segment_trt.py` (standalone, Python 3.6, no tfseg import)
writes rows with the same tuple (`tests/benchmark/test_record.py` compares the two), so its
files merge into the same leaderboard. One JSON object per line; every key of `RESULT_FIELDS`,
no other. Units are in the names (`_ms`, `_mb` = MiB, `_w`, `_mj`, `_wh`); `notes` is free text
of `; `-separated items, where `params=<int>` and `miou=<float>` items are read by the
leaderboard (the schema has no field for them).
"""

import json
import os

from tfseg.errors import ConfigError, DataError
from tfseg.io import atomic_write, plain_json

RESULT_FIELDS = (
    "schema_version",
    "date",
    "git_commit",
    "device",
    "cpu",
    "gpu",
    "runtime",
    "precision",
    "model",
    "encoder",
    "decoder",
    "num_classes",
    "height",
    "width",
    "batch_size",
    "timed",
    "warmup",
    "iterations",
    "latency_ms_mean",
    "latency_ms_p50",
    "latency_ms_p90",
    "latency_ms_p99",
    "fps",
    "gflops",
    "gflops_per_s",
    "peak_host_memory_mb",
    "peak_gpu_memory_mb",
    "power_source",
    "power_w_mean",
    "energy_mj_per_frame",
    "energy_images",
    "energy_wh",
    "argmax_agreement",
    "max_abs_logit_diff",
    "threads",
    "versions",
    "notes",
)
SCHEMA_VERSION = 1
# Fields a row cannot do without (the leaderboard groups and plots by them).
REQUIRED = ("runtime", "model", "height", "width", "batch_size", "timed", "fps")


def make_row(**values):
    """A result row: every field of `RESULT_FIELDS` in order, missing ones None.

    Args:
        **values: field values (JSON-ready; numpy values are converted).

    Returns:
        A dict with exactly `RESULT_FIELDS` as keys.

    Raises:
        ConfigError: a key that is not a result field.

    Example:
        >>> make_row(runtime="tflite", model="skipnet_shufflenet", fps=7.1)["schema_version"]
        1
    """
    unknown = sorted(set(values) - set(RESULT_FIELDS))
    if unknown:
        raise ConfigError(f"not result fields: {', '.join(unknown)}")
    row = {key: plain_json(values.get(key)) for key in RESULT_FIELDS}
    if row["schema_version"] is None:
        row["schema_version"] = SCHEMA_VERSION
    return row


def check_row(row, where="row"):
    """Checks that `row` is a result row: a dict with exactly `RESULT_FIELDS` and the required
    values present.

    Raises:
        DataError: naming `where` and what is wrong.
    """
    if not isinstance(row, dict):
        raise DataError(f"{where}: not a JSON object")
    missing = [key for key in RESULT_FIELDS if key not in row]
    extra = sorted(set(row) - set(RESULT_FIELDS))
    if missing or extra:
        problems = []
        if missing:
            problems.append(f"missing {', '.join(missing[:5])}{' ...' if len(missing) > 5 else ''}")
        if extra:
            problems.append(f"unknown {', '.join(extra[:5])}")
        raise DataError(f"{where}: not a tfseg benchmark row ({'; '.join(problems)})")
    empty = [key for key in REQUIRED if row[key] is None]
    if empty:
        raise DataError(f"{where}: a benchmark row without {', '.join(empty)}")
    return row


def read_rows(path):
    """The rows of one JSONL results file, each checked.

    Raises:
        DataError: an unreadable file, a line that is not JSON, or not a row (file:line named).
    """
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"{path}: cannot read the results file ({error})") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            raise DataError(
                f"{path}:{number}: not JSON lines (one result row per line expected)"
            ) from None
        rows.append(check_row(row, f"{path}:{number}"))
    return rows


def append_rows(path, rows):
    """Appends rows to a JSONL file atomically: the whole new file is written, then renamed.

    A reader (or a crash) sees the old file or the new one, never half a row. An existing file
    must be a valid results file (it is never rewritten with a foreign file's lines).

    Args:
        path: the results file (its folder is created).
        rows: rows of `make_row`.

    Raises:
        DataError: the existing file is not a results file.
        ConfigError: the folder cannot be created or written.

    Example:
        >>> append_rows("benchmarks/results/amd-epyc-2c-onnxruntime.jsonl", rows)
    """
    rows = [check_row(row) for row in rows]
    old = ""
    if os.path.exists(path):
        read_rows(path)  # refuses a file that is not ours
        with open(path, encoding="utf-8") as f:
            old = f.read()
        if old and not old.endswith("\n"):
            old += "\n"
    text = old + "".join(json.dumps(row, allow_nan=False) + "\n" for row in rows)
    try:
        folder = os.path.dirname(os.path.abspath(path))
        os.makedirs(folder, exist_ok=True)
        atomic_write(path, text)
    except OSError as error:
        raise ConfigError(
            f"--results={path}: cannot write there ({error.strerror or error})"
        ) from None
