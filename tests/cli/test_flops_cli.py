"""`tfseg flops` prints one JSON object; bad input gets one clear line and a non-zero exit."""

import json

import pytest


def test_flops_prints_one_json_object_with_the_papers_count(run_tfseg):
    result = run_tfseg(
        "flops", "--encoder=shufflenet", "--decoder=skipnet",
        "--height=360", "--width=640", "--num_classes=20",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["model"] == "skipnet_shufflenet"
    assert report["input"] == [1, 360, 640, 3]
    assert report["gflops"] == pytest.approx(2.0, rel=0.03)  # ShuffleSeg, Table 3
    assert report["macs"] * 2 <= report["flops"]
    assert report["params"] == pytest.approx(1014682, rel=0.03)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--encoder=resnet50", "--decoder=unet"], "flag --encoder=resnet50: value should be one"),
        (["--encoder=vgg16", "--decoder=unet", "--height=0"], "flag --height=0"),
        (["--decoder=unet"], "--encoder and --decoder are required"),
        (["--encoder=vgg16", "--decoder=unet", "--variant=16s"], "unknown option(s) variant"),
    ],
)
def test_bad_flags_fail_with_a_clear_message_and_no_traceback(run_tfseg, args, message):
    result = run_tfseg("flops", *args)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unknown_command_lists_the_commands(run_tfseg):
    result = run_tfseg("flop")
    assert result.returncode == 2
    assert "unknown command 'flop'" in result.stderr and "flops" in result.stderr
