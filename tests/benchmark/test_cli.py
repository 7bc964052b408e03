"""`tfseg benchmark run|table` end to end, and every bad input: one clear line, a non-zero exit,
no traceback, no half-written results file."""

import json
import os

import pytest

from tfseg.benchmark.record import RESULT_FIELDS, read_rows
from tfseg.benchmark.runtimes import runtime_problem

from .conftest import hand_made_row

TINY = ["--encoder=shufflenet", "--decoder=skipnet", "--num_classes=5", "--sizes=64x128",
        "--warmup=1", "--iterations=3"]  # fmt: skip


def assert_one_line_error(result, *fragments):
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr[-2000:]
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr[-2000:]
    for fragment in fragments:
        assert fragment in errors[0], errors[0]


@pytest.fixture(scope="module")
def measured(run_benchmark_cli, tmp_path_factory):
    """One run of a tiny model: `function` measured, `tftrt` skipped, the memory report."""
    folder = tmp_path_factory.mktemp("bench")
    results = folder / "rows.jsonl"
    result = run_benchmark_cli(
        "run", *TINY, "--runtimes=function,tftrt", f"--results={results}", "--memory",
        f"--cache_dir={folder / 'cache'}", "--device=test-cpu",
    )  # fmt: skip
    return result, results


def test_run_writes_valid_rows_and_lists_skipped_runtimes(measured):
    result, results = measured
    assert result.returncode == 0, result.stderr[-3000:]
    assert "skipped: tftrt: TensorRT is not installed" in result.stdout
    assert "power: not available (" in result.stdout
    rows = read_rows(str(results))
    assert len(rows) == 1 and tuple(rows[0]) == RESULT_FIELDS
    row = rows[0]
    assert (row["runtime"], row["model"], row["height"], row["width"]) == (
        "function", "skipnet_shufflenet", 64, 128,
    )  # fmt: skip
    assert row["device"] == "test-cpu" and row["iterations"] == 3 and row["warmup"] == 1
    assert row["timed"] == "model" and row["batch_size"] == 1 and row["precision"] == "fp32"
    assert row["argmax_agreement"] == 1.0 and row["max_abs_logit_diff"] == 0.0
    assert row["latency_ms_p50"] <= row["latency_ms_p90"] <= row["latency_ms_p99"]
    assert row["fps"] == pytest.approx(1000.0 / row["latency_ms_mean"])
    assert row["gflops_per_s"] == pytest.approx(row["gflops"] * row["fps"])
    assert row["power_source"] is None and row["energy_wh"] is None
    assert row["peak_host_memory_mb"] > 100 and row["peak_gpu_memory_mb"] is None
    assert row["versions"]["tensorflow"].startswith("2.17")
    assert row["versions"]["tensorflow_onednn"] in ("on", "off")
    assert "params=" in row["notes"] and "load average" in row["notes"]
    assert "conv_peak=" in row["notes"]
    assert "random weights" in row["notes"]


def test_memory_report_is_written_next_to_the_results(measured):
    _, results = measured
    report = results.parent / "memory-skipnet_shufflenet-64x128-b1.md"
    text = report.read_text()
    assert "### encoder" in text and "### decoder" in text
    assert "measured peak host memory (VmHWM), `function` process" in text


def test_table_turns_the_rows_into_a_leaderboard(measured, run_benchmark_cli, tmp_path):
    _, results = measured
    out = tmp_path / "board.md"
    result = run_benchmark_cli("table", f"--results={results}", f"--out={out}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "| skipnet_shufflenet | 64x128 |" in out.read_text()
    assert (tmp_path / "leaderboard.csv").exists()
    assert sorted(os.listdir(tmp_path / "plots")) == [
        "fps_vs_gflops.png", "fps_vs_resolution.png", "latency_by_runtime.png",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--runtimes=tensorflow_lite"], ["unknown runtime 'tensorflow_lite'"]),
        (["--sizes=360"], ["--sizes: '360' is not a size"]),
        (["--batch_sizes=two"], ["--batch_sizes: 'two' is not an integer"]),
        (["--runtimes=tftrt"], ["tftrt cannot run here: TensorRT is not installed"]),
    ],
)
def test_bad_run_input_is_one_line(args, fragments, run_benchmark_cli, tmp_path):
    results = tmp_path / "rows.jsonl"
    result = run_benchmark_cli("run", *TINY, *args, f"--results={results}")
    assert_one_line_error(result, *fragments)
    assert not results.exists()


def test_a_results_file_that_is_not_jsonl_is_refused_untouched(run_benchmark_cli, tmp_path):
    results = tmp_path / "rows.jsonl"
    results.write_text("my notes, not rows\n")
    result = run_benchmark_cli("run", *TINY, "--runtimes=function", f"--results={results}")
    assert_one_line_error(result, "rows.jsonl:1: not JSON lines")
    assert results.read_text() == "my notes, not rows\n"


def test_an_unwritable_output_is_refused_before_measuring(run_benchmark_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run_benchmark_cli("run", *TINY, "--runtimes=function", f"--results={blocker}/x.jsonl")
    assert_one_line_error(result, "cannot write there")
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        result = run_benchmark_cli("run", *TINY, f"--results={locked}/x.jsonl")
        assert_one_line_error(result, "cannot write there")


def test_a_model_dir_without_a_model_is_refused(run_benchmark_cli, tmp_path):
    empty = tmp_path / "run"
    empty.mkdir()
    result = run_benchmark_cli("run", f"--model_dir={empty}", "--runtimes=function")
    assert_one_line_error(result, "no config.json; is it a tfseg model dir?")
    assert not (empty / "benchmarks").exists()


@pytest.mark.slow
def test_a_model_dir_with_config_but_no_trained_model_is_refused(run_benchmark_cli, tmp_path):
    model_dir = tmp_path / "run"
    model_dir.mkdir()
    identity = {"encoder": "shufflenet", "decoder": "skipnet", "decoder_options": {},
                "class_names": ["a", "b"], "height": 64, "width": 128}  # fmt: skip
    (model_dir / "config.json").write_text(json.dumps({"model": identity, "train": {}, "data": {}}))
    result = run_benchmark_cli(
        "run", f"--model_dir={model_dir}", "--runtimes=function", "--sizes=64x128",
        f"--cache_dir={tmp_path / 'cache'}",
    )  # fmt: skip
    assert_one_line_error(result, "best/model.keras does not exist")
    assert not (model_dir / "benchmarks").exists()


def test_bad_table_input_is_one_line(run_benchmark_cli, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text("{not json\n")
    result = run_benchmark_cli("table", f"--results={bad}", f"--out={tmp_path / 'l.md'}")
    assert_one_line_error(result, "bad.jsonl:1: not JSON lines")
    good = tmp_path / "good.jsonl"
    good.write_text(json.dumps(hand_made_row()) + "\n")
    readme = tmp_path / "README.md"
    readme.write_text("# no markers\n")
    result = run_benchmark_cli("table", f"--results={good}", f"--out={readme}")
    assert_one_line_error(result, "has no leaderboard block")
    assert readme.read_text() == "# no markers\n"
    result = run_benchmark_cli("table", f"--out={readme}")
    assert_one_line_error(result, "needs --results")
    result = run_benchmark_cli("frobnicate")
    assert_one_line_error(result, "unknown sub-command 'frobnicate'")


@pytest.mark.slow
def test_each_kind_of_runtime_runs_through_its_own_worker(run_benchmark_cli, tmp_path):
    """One runtime per kind of worker set-up (the Keras model from saved weights, a TF graph
    artifact, TFLite, a non-TensorFlow runtime), interleaved; test_runtimes.py runs every
    runtime's loop in-process."""
    results = tmp_path / "rows"
    result = run_benchmark_cli(
        "run", *TINY, "--runtimes=keras,frozen_graph,tflite,openvino", f"--results={results}",
        f"--cache_dir={tmp_path / 'cache'}", "--rounds=2", "--device=test-cpu", timeout=900,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    expected = ["keras", "frozen_graph", "tflite"]
    expected += ["openvino"] if runtime_problem("openvino") is None else []
    assert sorted(os.listdir(results)) == sorted(f"test-cpu-{name}.jsonl" for name in expected)
    for name in expected:
        (row,) = read_rows(str(results / f"test-cpu-{name}.jsonl"))
        assert row["argmax_agreement"] >= 0.999, name
        assert "interleaved with the other runtimes in 2 rounds" in row["notes"]
