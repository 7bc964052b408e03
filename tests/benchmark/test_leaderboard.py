"""The leaderboard on hand-made rows: merging, the markdown block, the CSV and the PNG plots."""

import csv
import json

import pytest

from tfseg.benchmark.leaderboard import MARKERS, PLOTS, write_leaderboard
from tfseg.errors import ConfigError, DataError

from .conftest import hand_made_row

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return str(path)


@pytest.fixture
def results(tmp_path, rows):
    folder = tmp_path / "results"
    folder.mkdir()
    write_jsonl(folder / "test-cpu-2c-all.jsonl", rows)
    return folder


def test_markdown_csv_and_plots_from_a_results_folder(results, tmp_path):
    out = tmp_path / "board" / "leaderboard.md"
    made = write_leaderboard([str(results)], str(out))
    text = out.read_text()
    assert MARKERS[0] in text and MARKERS[1] in text
    assert (
        "| model | input | GFLOPs | params (M) | mIoU | function | frozen_graph | onnxruntime "
        "| fastest GFLOP/s (% of conv peak) |" in text
    )
    # one table row per model and size; the fastest runtime in bold; params from the notes
    assert (
        "| skipnet_shufflenet | 360x640 | 2.00 | 1.015 |  | 10.0 (95) | 13.0 (73) | **16.0 (59)** "
        "| 32.0 |" in text
    )
    assert (
        "| skipnet_shufflenet | 1024x2048 |" in text and "| skipnet_mobilenet | 512x1024 |" in text
    )
    assert "![fps_vs_resolution](plots/fps_vs_resolution.png)" in text
    assert made["rows"] == 15
    with open(made["csv"]) as f:
        table = list(csv.DictReader(f))
    assert len(table) == 15 and table[0]["params"] in ("1014682", "3369240")
    assert {r["runtime"] for r in table} == {"function", "frozen_graph", "onnxruntime"}
    assert [p.rsplit("/", 1)[1] for p in made["plots"]] == list(PLOTS)
    for path in made["plots"]:
        with open(path, "rb") as f:
            data = f.read()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
        from PIL import Image

        with Image.open(path) as image:
            image.verify()
            assert image.size[0] >= 800


def test_the_latest_row_of_a_measurement_wins(tmp_path):
    old = hand_made_row(fps=5.0, date="2026-01-01T00:00:00+00:00")
    new = hand_made_row(fps=8.0, date="2026-02-01T00:00:00+00:00")
    first = write_jsonl(tmp_path / "a.jsonl", [new])
    second = write_jsonl(tmp_path / "b.jsonl", [old])
    made = write_leaderboard([first, second], str(tmp_path / "l.md"), plots="")
    assert made["rows"] == 1 and "8.0 (" in made["markdown"] and "5.0 (" not in made["markdown"]
    assert made["plots"] == []


def test_miou_and_a_jetson_runners_row_join_the_table(tmp_path):
    rows = [
        hand_made_row(runtime="function",
                      notes="params=1014682; miou=0.583; conv_peak=40.0 GFLOP/s (3x3 conv)"),
        hand_made_row(runtime="tensorrt", device="jetson-tx2", cpu="4x Cortex-A57 + 2x Denver2",
                      gpu="NVIDIA Tegra X2", fps=15.7, notes="frame random", threads=None),
    ]  # fmt: skip
    made = write_leaderboard([write_jsonl(tmp_path / "r.jsonl", rows)], str(tmp_path / "l.md"))
    assert "| 58.3 | 10.0 (95) | 20.0 (50%) |" in made["markdown"]
    assert "**jetson-tx2** (NVIDIA Tegra X2)" in made["markdown"]
    assert "| tensorrt | fp32 | TensorRT engine built on the board" in made["markdown"]
    assert "| skipnet_shufflenet | 360x640 | 2.00 | 1.015 |  | 15.7 (61) |" in made["markdown"]


def test_an_existing_file_gets_its_block_replaced(results, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# tfseg\n\nintro\n\n{MARKERS[0]}\nold table\n{MARKERS[1]}\n\nmore\n")
    write_leaderboard([str(results)], str(readme), csv=str(tmp_path / "x.csv"), plots="")
    text = readme.read_text()
    assert text.startswith("# tfseg\n\nintro\n\n") and text.endswith(f"{MARKERS[1]}\n\nmore\n")
    assert "old table" not in text and "| skipnet_mobilenet | 360x640 |" in text


def test_a_file_without_markers_is_refused_and_left_alone(results, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# mine\n")
    with pytest.raises(ConfigError, match="has no leaderboard block; add the two lines"):
        write_leaderboard([str(results)], str(readme), plots="")
    assert readme.read_text() == "# mine\n"


def test_bad_results_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="no such file or folder"):
        write_leaderboard([str(tmp_path / "missing")], str(tmp_path / "l.md"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no result rows found"):
        write_leaderboard([str(tmp_path / "empty")], str(tmp_path / "l.md"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text("not json\n")
    with pytest.raises(DataError, match="bad.jsonl:1: not JSON lines"):
        write_leaderboard([str(bad)], str(tmp_path / "l.md"))
    assert not (tmp_path / "l.md").exists()


def test_a_busy_machine_is_said_under_its_table(tmp_path):
    busy = "params=1014682; load average 3.10 before, 2.90 after (1 min, 2 cores): the machine "
    busy += "was busy with other work, so latencies are upper bounds"
    quiet = write_jsonl(tmp_path / "quiet.jsonl", [hand_made_row()])
    quiet_text = write_leaderboard([quiet], str(tmp_path / "q.md"), plots="")["markdown"]
    assert "The machine was busy" not in quiet_text
    loaded = write_jsonl(tmp_path / "busy.jsonl", [hand_made_row(notes=busy)])
    made = write_leaderboard([loaded], str(tmp_path / "b.md"), plots="")
    assert "The machine was busy with other work during some runs" in made["markdown"]
