"""A training step that TensorFlow cannot run on this machine ends with one clear line naming
the op and what to do; the CLI turns oneDNN on unless the user chose."""

import subprocess
import sys

import pytest
import tensorflow as tf

from tfseg.errors import PlatformError
from tfseg.platform import platform_error_from

from .conftest import onednn_env, run_python

pytestmark = pytest.mark.platform


def op_error(function):
    with pytest.raises(tf.errors.OpError) as caught:
        tf.function(function)()
    return caught.value


def test_an_op_without_a_cpu_kernel_is_a_platform_error():
    # MatMul has no uint8 CPU kernel, with or without oneDNN.
    error = op_error(lambda: tf.matmul(tf.ones([2, 2], tf.uint8), tf.ones([2, 2], tf.uint8)))
    platform_error = platform_error_from(error)
    assert isinstance(platform_error, PlatformError)
    text = str(platform_error)
    assert "op MatMul (node MatMul)" in text and "No OpKernel was registered" in text
    assert "\n" not in text


def test_other_tensorflow_errors_are_left_alone():
    error = op_error(lambda: tf.debugging.check_numerics(tf.math.log(-tf.ones([2])), "NaN"))
    assert isinstance(error, tf.errors.InvalidArgumentError)
    assert platform_error_from(error) is None


# `tfseg train` on a ShuffleNet with TensorFlow's own grouped-conv gradient restored (the state
# before the portable gradient) and oneDNN off: the original failure, as the CLI now reports it.
NATIVE_GRADIENT_TRAIN = """
import sys
import tensorflow as tf
import tfseg.layers.group_conv2d as group_conv2d
group_conv2d.portable_grouped_conv2d = lambda x, w, s, p: tf.nn.conv2d(x, w, s, p)
from tfseg.cli.main import run
sys.argv = ["tfseg", "train", *sys.argv[1:]]
run()
"""


def test_a_platform_failure_in_training_is_one_line_without_traceback(tiny_data, tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", NATIVE_GRADIENT_TRAIN, "--encoder=shufflenet", "--decoder=skipnet",
         f"--data_dir={tiny_data}", f"--model_dir={tmp_path / 'model'}", "--epochs=1",
         "--batch_size=2", "--height=64", "--width=128", "--steps_per_epoch=1"],
        env=onednn_env("0"), capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 3, result.stderr[-3000:]  # the environment, not the input
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("tfseg train: error:")]
    assert len(lines) == 1, result.stderr[-3000:]
    assert "cannot run op Conv2DBackprop" in lines[0]
    assert (
        "TF_ENABLE_ONEDNN_OPTS=0" in lines[0]
        and "run again with TF_ENABLE_ONEDNN_OPTS=1" in lines[0]
    )


CLI_ONEDNN = """
import sys
from tfseg.cli.main import run
sys.argv = ["tfseg", "--help"]
run()
import tensorflow
from tfseg.platform import onednn_enabled
print(onednn_enabled())
"""


@pytest.mark.parametrize("setting, expected", [(None, "True"), ("0", "False"), ("1", "True")])
def test_the_cli_turns_onednn_on_unless_the_user_chose(setting, expected):
    result = run_python(CLI_ONEDNN, setting)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == expected


def test_library_users_keep_tensorflows_choice():
    code = """
    import os
    import tfseg
    tfseg.build_model("shufflenet", "skipnet", 5, (64, 128))
    print(os.environ.get("TF_ENABLE_ONEDNN_OPTS"))
    """
    result = run_python(code, None)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "None"
