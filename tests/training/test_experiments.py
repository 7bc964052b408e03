"""Every experiment flagfile parses into a valid training config and builds its model."""

import json
import os
import pathlib
import subprocess
import sys

EXPERIMENTS = pathlib.Path(__file__).resolve().parents[2] / "experiments"

# Runs in a subprocess: absl flags are global to a process.
PARSE = """
import json, sys
from absl import flags
import tfseg
from tfseg.cli import train
results = {}
for path in sys.argv[1:]:
    flags.FLAGS.unparse_flags()
    flags.FLAGS(["tfseg train", f"--flagfile={path}", "--data_dir=d", "--model_dir=m"])
    config = train.config_from_flags()
    model = tfseg.build_model(config.encoder, config.decoder, 19, (64, 128),
                              **config.decoder_options)
    results[path] = {"model": model.name, **config.to_dict()}
print(json.dumps(results))
"""


def test_every_experiment_flagfile_is_a_valid_run():
    paths = sorted(str(p) for p in EXPERIMENTS.glob("*.flags"))
    assert len(paths) == 15
    result = subprocess.run(
        [sys.executable, "-c", PARSE, *paths],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert result.returncode == 0, result.stderr
    configs = {pathlib.Path(k).stem: v for k, v in json.loads(result.stdout).items()}
    # RTSeg Table 1 + SkipNet-VGG16, Table 2 (coarse then fine), the FCN-8s/16s/32s study.
    assert configs["skipnet_shufflenet"]["model"] == "skipnet_shufflenet"
    assert configs["dilation_mobilenet"]["model"] == "dilation_mobilenet"
    assert configs["unet_resnet18"]["model"] == "unet_resnet18"
    for name, config in configs.items():
        if name.startswith(("skipnet", "unet", "dilation")):
            assert (config["height"], config["width"], config["learning_rate"]) == (512, 1024, 1e-4)
    coarse, fine = configs["skipnet_mobilenet_coarse"], configs["skipnet_mobilenet_fine"]
    assert coarse["train_split"] == "train_extra" and coarse["annotation"] == "coarse"
    assert fine["init_from"] == "runs/skipnet_mobilenet_coarse"
    fcn = [configs[f"fcn{v}_vgg16"] for v in ("8s", "16s", "32s")]
    assert [c["decoder_options"]["variant"] for c in fcn] == ["8s", "16s", "32s"]
