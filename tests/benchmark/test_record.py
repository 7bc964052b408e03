"""Result rows: the schema is the Jetson runner's tuple, rows are complete, files are appended
atomically and read strictly."""

import ast
import json
import os

import pytest

import tfseg
from tfseg.benchmark.record import RESULT_FIELDS, append_rows, check_row, make_row, read_rows
from tfseg.errors import ConfigError, DataError

from .conftest import hand_made_row

RUNNER = os.path.join(os.path.dirname(tfseg.__file__), "deploy", "jetson", "segment_trt.py")


def runner_constant(name):
    """A module-level constant of the Jetson runner, read with `ast` (never imported)."""
    with open(RUNNER) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == name for target in node.targets
        ):
            return ast.literal_eval(node.value)
    raise AssertionError(f"{RUNNER} defines no {name}")


def test_the_schema_is_the_jetson_runners():
    assert RESULT_FIELDS == runner_constant("RESULT_FIELDS")
    from tfseg.benchmark import record

    assert record.SCHEMA_VERSION == runner_constant("SCHEMA_VERSION")


def test_make_row_has_every_field_in_order():
    row = make_row(runtime="tflite", fps=1.5)
    assert tuple(row) == RESULT_FIELDS
    assert row["schema_version"] == 1 and row["gpu"] is None
    with pytest.raises(ConfigError, match="not result fields: mIoU"):
        make_row(mIoU=0.5)


def test_check_row_names_what_is_wrong():
    row = hand_made_row()
    assert check_row(row) is row
    with pytest.raises(DataError, match="missing fps"):
        check_row({k: v for k, v in row.items() if k != "fps"}, "x.jsonl:3")
    with pytest.raises(DataError, match="unknown extra"):
        check_row({**row, "extra": 1})
    with pytest.raises(DataError, match="without fps"):
        check_row({**row, "fps": None})
    with pytest.raises(DataError, match="not a JSON object"):
        check_row([1, 2])


def test_rows_are_appended_and_read_back(tmp_path):
    path = str(tmp_path / "deep" / "er" / "cpu-tflite.jsonl")
    append_rows(path, [hand_made_row(fps=1.0)])
    append_rows(path, [hand_made_row(fps=2.0), hand_made_row(fps=3.0)])
    assert [row["fps"] for row in read_rows(path)] == [1.0, 2.0, 3.0]
    with open(path) as f:
        assert all(json.loads(line) for line in f)
    assert os.listdir(os.path.dirname(path)) == ["cpu-tflite.jsonl"]  # no temporary left


def test_a_file_that_is_not_jsonl_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text("these are my notes\n")
    with pytest.raises(DataError, match=r"notes.jsonl:1: not JSON lines"):
        append_rows(str(path), [hand_made_row()])
    assert path.read_text() == "these are my notes\n"
    path.write_text('{"a": 1}\n')
    with pytest.raises(DataError, match=r":1: not a tfseg benchmark row"):
        read_rows(str(path))


def test_a_failed_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = str(tmp_path / "r.jsonl")
    append_rows(path, [hand_made_row(fps=1.0)])
    before = open(path).read()

    def broken(target, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tfseg.benchmark.record.atomic_write", broken)
    with pytest.raises(ConfigError, match="No space left on device"):
        append_rows(path, [hand_made_row(fps=2.0)])
    assert open(path).read() == before
