"""A toy encoder and decoder from outside the package (`toy_models.py`), registered by each
route — in-process, `--plugin`, installed entry points — and used by `build_model`, `tfseg flops`,
`tfseg train`, `tfseg evaluate` and `tfseg predict`."""

import json
import os
import textwrap

import keras
import pytest

import tfseg
from tfseg.encoders import EncoderSpec, make_endpoints
from tfseg.errors import ConfigError

pytestmark = pytest.mark.xdist_group("plugins")

HERE = os.path.dirname(os.path.abspath(__file__))
TOY_FILE = os.path.join(HERE, "toy_models.py")
TOY = ["--encoder=toy", "--decoder=toy_head", "--height=64", "--width=128"]


@pytest.fixture(autouse=True)
def _restore_registries():
    """In-process registrations end with the test, so other tests see the package's own."""
    encoders, decoders = dict(tfseg.ENCODERS), dict(tfseg.DECODERS)
    yield
    for registry, saved in ((tfseg.ENCODERS, encoders), (tfseg.DECODERS, decoders)):
        registry.clear()
        registry.update(saved)


def test_registered_in_process_they_build_with_any_partner():
    tfseg.load_plugins([TOY_FILE])
    model = tfseg.build_model("toy", "toy_head", num_classes=5, input_shape=(64, 128))
    assert model.name == "toy_head_toy" and model.output_shape == (None, 64, 128, 5)
    # Either half works with the package's own models.
    assert tfseg.build_model("toy", "skipnet", 5, (72, 136)).output_shape == (None, 72, 136, 5)
    assert tfseg.build_model("shufflenet", "toy_head", 5, (72, 136)).output_shape[1:3] == (72, 136)
    with pytest.raises(ConfigError, match="'dilation' needs the encoder at output stride 8"):
        tfseg.build_model("toy", "dilation", 5, (64, 128))


def test_registration_refuses_bad_names_and_clashes():
    spec = EncoderSpec(build=lambda image, **_: make_endpoints(image, {}))
    with pytest.raises(ConfigError, match="lower-case letters"):
        tfseg.register_encoder("My-Encoder", spec)
    with pytest.raises(ConfigError, match="registered already"):
        tfseg.register_encoder("shufflenet", spec)
    with pytest.raises(ConfigError, match="expected a DecoderSpec or a builder"):
        tfseg.register_decoder("broken", 42)


@pytest.mark.parametrize(
    "returned, problem",
    [
        (lambda image, x: [x], "returned list, not a dict"),
        (lambda image, x: {1: image, 32: x}, "is a KerasTensor, not an Endpoint"),
        (lambda image, x: make_endpoints(x, {32: x}), "stride 1 must be the input image"),
        (lambda image, x: make_endpoints(image, {16: x}), "asked for output stride 32"),
        (lambda image, x: make_endpoints(image, {32: x})[32]._replace(channels=9), "not a dict"),
        (lambda image, x: {**make_endpoints(image, {32: x}), 32: make_endpoints(image, {32: x})[32]
                           ._replace(channels=9)}, "says 9 channels, its tensor has 4"),
    ],  # fmt: skip
)
def test_an_encoder_that_breaks_the_endpoint_contract_is_named(returned, problem):
    def build(image, output_stride=32, weight_decay=5e-4):
        x = keras.layers.Conv2D(4, 3, strides=32, padding="same")(image)
        return returned(image, x)

    tfseg.register_encoder("contract_breaker", build, replace=True)
    with pytest.raises(ConfigError, match="encoder 'contract_breaker' broke the endpoint contract"):
        try:
            tfseg.build_model("contract_breaker", "skipnet", 5, (64, 128))
        except ConfigError as error:
            assert problem in str(error)
            raise


def run_all_commands(run_tfseg, plugin_args, data_dir, model_dir, env=None, cwd=None):
    """flops, one training epoch, evaluate and predict with the toy pair; returns flops' JSON."""
    flops = run_tfseg("flops", *plugin_args, *TOY, "--num_classes=5", env=env, cwd=cwd)
    assert flops.returncode == 0, flops.stderr[-3000:]
    report = json.loads(flops.stdout.strip().splitlines()[-1])
    train = run_tfseg(
        "train", *plugin_args, *TOY, f"--data_dir={data_dir}", f"--model_dir={model_dir}",
        "--epochs=1", "--batch_size=2", env=env, cwd=cwd,
    )  # fmt: skip
    assert train.returncode == 0, train.stderr[-3000:]
    assert json.loads(train.stdout.strip().splitlines()[-1])["epochs_run"] == 1
    evaluate = run_tfseg("evaluate", *plugin_args, f"--model_dir={model_dir}", "--noprogress",
                         "--checkpoint=last", env=env, cwd=cwd)  # fmt: skip
    assert evaluate.returncode == 0, evaluate.stderr[-3000:]
    metrics = json.load(open(os.path.join(model_dir, "metrics.json")))
    assert len(metrics["iou"]) == 19
    out = os.path.join(model_dir, "predicted")
    predict = run_tfseg(
        "predict", *plugin_args, f"--model_dir={model_dir}", f"--output_dir={out}",
        f"--input={data_dir}/leftImg8bit/val", env=env, cwd=cwd,
    )  # fmt: skip
    assert predict.returncode == 0, predict.stderr[-3000:]
    assert len(os.listdir(out)) >= 2
    return report


def test_the_plugin_flag_adds_them_to_every_command(run_tfseg, tiny_cityscapes, tmp_path):
    # A dotted name, found from the current directory as in the user's own project.
    report = run_all_commands(
        run_tfseg, ["--plugin=toy_models"], tiny_cityscapes, str(tmp_path / "model"), cwd=HERE
    )
    assert report["model"] == "toy_head_toy" and report["params"] == 7901


def test_installed_entry_points_add_them_to_every_command(
    run_tfseg, cli_env, tiny_cityscapes, tmp_path
):
    """A distribution's metadata on sys.path, as `pip install` of a plugin package leaves it."""
    site = tmp_path / "site"
    info = site / "toy_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: toy-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(textwrap.dedent("""\
        [tfseg.encoders]
        toy = toy_models:TOY_ENCODER

        [tfseg.decoders]
        toy_head = toy_models:build_toy_decoder
        """))  # fmt: skip
    env = {**cli_env, "PYTHONPATH": os.pathsep.join([str(site), HERE])}
    report = run_all_commands(run_tfseg, [], tiny_cityscapes, str(tmp_path / "model"), env=env)
    assert report["model"] == "toy_head_toy"


def test_a_plugin_that_cannot_be_imported_is_one_line(run_tfseg):
    result = run_tfseg("flops", "--plugin=no_such_module_anywhere", *TOY)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert (
        "--plugin=no_such_module_anywhere: cannot import it (ModuleNotFoundError" in result.stderr
    )
