"""`tfseg data synth|weights|check` as a user runs them (in subprocesses: absl flags are global)."""

import json
import os
import subprocess
import sys

from tfseg.data.class_weights import METHODS
from tfseg.data.scan_examples import ANNOTATIONS

from .conftest import files


def tfseg(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    return subprocess.run(
        [sys.executable, "-m", "tfseg.cli.main", "data", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_synth_weights_check(tmp_path):
    out = str(tmp_path / "synthetic")
    run = tfseg(
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
    run = tfseg("weights", f"--data_dir={out}", "--method=median")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["method"] == "median" and "median" in result["formula"]
    assert set(result["weights"]) == set(result["counts"]) and "road" in result["weights"]
    assert os.path.exists(os.path.join(out, "class_weights.train.fine.json"))
    run = tfseg("check", f"--data_dir={out}")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.rstrip().endswith("OK") and "split val (fine): 2 examples" in run.stdout


def test_check_fails_naming_the_file(synthetic_copy):
    bad = files(synthetic_copy, "gtFine/val/*/*_labelIds.png")[0]
    open(bad, "wb").write(b"garbage")
    run = tfseg("check", f"--data_dir={synthetic_copy}", "--split=val")
    assert run.returncode == 1
    assert bad in run.stdout and "FAILED: 1 problem(s)" in run.stdout


def test_user_errors_are_one_line():
    run = tfseg("shuffle")
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "tfseg data: error: unknown sub-command 'shuffle'; use one of: "
        "synth, weights, check (tfseg data synth|weights|check)"
    )
    run = tfseg("check")
    assert (
        run.returncode == 2 and "needs --data_dir" in run.stderr and "Traceback" not in run.stderr
    )
    run = tfseg("weights", "--data_dir=/nonexistent")
    assert run.returncode == 2 and "/nonexistent: data folder not found" in run.stderr
    run = tfseg("synth", "--out=x", "--height=8")
    assert run.returncode != 0 and "--height" in run.stderr


def test_choices_match_their_owners_without_importing_tensorflow():
    # cli/data.py copies the two tuples so that defining its flags does not load TensorFlow.
    code = (
        "import json, sys; import tfseg.cli.data as cli; "
        "print(json.dumps([list(cli.ANNOTATIONS), list(cli.METHODS), 'tensorflow' in sys.modules]))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    annotations, methods, loaded_tensorflow = json.loads(result.stdout)
    assert (annotations, methods) == (list(ANNOTATIONS), list(METHODS))
    assert not loaded_tensorflow
