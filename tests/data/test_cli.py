"""`tfseg data synth|weights|check` as a user runs them (in subprocesses: absl flags are global)."""

import json
import os
import subprocess
import sys

from .conftest import files


def test_synth_weights_check(run_tfseg, tmp_path):
    out = str(tmp_path / "synthetic")
    run = run_tfseg(
        "data",
        "synth",
        f"--out={out}",
        "--num_train=3",
        "--num_val=2",
        "--height=48",
        "--width=96",
        "--seed=1",
    )
    assert run.returncode == 0, run.stderr
    assert "wrote 3 train, 2 val scenes of 48x96" in run.stdout
    run = run_tfseg("data", "weights", f"--data_dir={out}", "--method=median")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["method"] == "median" and "median" in result["formula"]
    assert set(result["weights"]) == set(result["counts"]) and "road" in result["weights"]
    assert os.path.exists(os.path.join(out, "class_weights.train.fine.json"))
    run = run_tfseg("data", "check", f"--data_dir={out}")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.rstrip().endswith("OK") and "split val (fine): 2 examples" in run.stdout


def test_check_fails_naming_the_file(run_tfseg, synthetic_copy):
    bad = files(synthetic_copy, "gtFine/val/*/*_labelIds.png")[0]
    open(bad, "wb").write(b"garbage")
    run = run_tfseg("data", "check", f"--data_dir={synthetic_copy}", "--split=val")
    assert run.returncode == 1
    assert bad in run.stdout and "FAILED: 1 problem(s)" in run.stdout


def test_user_errors_are_one_line(run_tfseg):
    run = run_tfseg("data", "shuffle")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "tfseg data: error: unknown sub-command 'shuffle'; use one of: "
        "synth, weights, check (tfseg data synth|weights|check)"
    )
    run = run_tfseg("data", "check")
    assert (
        run.returncode == 2 and "needs --data_dir" in run.stderr and "Traceback" not in run.stderr
    )
    run = run_tfseg("data", "weights", "--data_dir=/nonexistent")
    assert run.returncode == 2 and "/nonexistent: data folder not found" in run.stderr
    run = run_tfseg("data", "synth", "--out=x", "--height=8")
    assert run.returncode != 0 and "--height" in run.stderr


def test_defining_the_flags_does_not_import_tensorflow():
    # cli/data.py imports its choice tuples from tfseg.data, whose pipelines load on first use.
    code = "import sys; import tfseg.cli.data; print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
