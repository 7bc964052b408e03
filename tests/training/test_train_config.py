"""`TrainConfig` declares each setting once: its flag comes from the field's metadata, and the
config refuses a value outside the field's choices."""

import dataclasses
import json
import re
import subprocess
import sys

import pytest

from tfseg.errors import ConfigError
from tfseg.training import TrainConfig

REQUIRED = dict(encoder="shufflenet", decoder="skipnet", data_dir="d", model_dir="m")
CHOICES = {
    f.name: f.metadata["choices"]
    for f in dataclasses.fields(TrainConfig)
    if "choices" in f.metadata
}

# Runs in a subprocess: absl flags are global to a process.
FLAGS_OF_TRAIN = """
import json, sys
from absl import flags
from tfseg.cli import train
FLAGS = flags.FLAGS
FLAGS(["tfseg train", "--encoder=shufflenet", "--decoder=skipnet", "--data_dir=d",
       "--model_dir=m", *sys.argv[1:]])
parsers = {name: FLAGS[name].parser for name in FLAGS}
print(json.dumps({
    "config": train.config_from_flags().to_dict(),
    "train_flags": sorted(f.name for f in FLAGS.flags_by_module_dict()["tfseg.cli.train"]),
    "bounds": {name: [getattr(parsers[name], "lower_bound", None),
                      getattr(parsers[name], "upper_bound", None)]
               for name in ("epochs", "bn_momentum", "scale_min", "seed")},
    "enums": {name: parsers[name].enum_values for name in ("loss", "annotation", "augment")},
    "required": sorted(name for name in FLAGS if any(
        v.message.endswith("must have a value other than None.") for v in FLAGS[name].validators
    )),
}))
"""


def _train_flags(*args):
    result = subprocess.run(
        [sys.executable, "-c", FLAGS_OF_TRAIN, *args], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_every_field_has_its_flag_and_the_flags_default_to_the_fields():
    seen = _train_flags()
    assert seen["config"] == json.loads(json.dumps(TrainConfig(**REQUIRED).to_dict()))
    fields = {f.name for f in dataclasses.fields(TrainConfig) if not f.metadata.get("model_flag")}
    expected = (fields - {"scale_range"}) | {"scale_min", "scale_max", "cpu_replicas"}
    # Listed under `tfseg.cli.train` by --helpfull, as when cli/train.py defined them itself.
    assert set(seen["train_flags"]) == expected
    assert seen["required"] == ["data_dir", "decoder", "encoder", "model_dir"]
    assert seen["bounds"] == {
        "epochs": [1, None],
        "bn_momentum": [0.0, 0.999],
        "scale_min": [0.1, None],
        "seed": [0, None],
    }
    assert seen["enums"] == {
        "loss": ["weighted", "unweighted", "bootstrapped"],
        "annotation": ["fine", "coarse"],
        "augment": ["none", "standard"],
    }


def test_flags_become_the_config_fields_they_name():
    seen = _train_flags("--scale_min=0.75", "--scale_max=1.5", "--variant=16s", "--annotation=fine",
                        "--epochs=3", "--keep_void", "--bn_momentum=0.9")  # fmt: skip
    config = seen["config"]
    assert config["scale_range"] == [0.75, 1.5]
    assert config["decoder_options"] == {"variant": "16s"}
    assert (config["annotation"], config["epochs"], config["keep_void"]) == ("fine", 3, True)
    assert config["bn_momentum"] == 0.9


@pytest.mark.parametrize("name", sorted(CHOICES))
def test_a_value_outside_a_fields_choices_is_refused(name):
    choices = CHOICES[name]
    assert getattr(TrainConfig(**REQUIRED, **{name: choices[0]}), name) == choices[0]
    message = re.escape(f"{name} must be one of {list(choices)}, got 'nonsense'")
    with pytest.raises(ConfigError, match=message):
        TrainConfig(**REQUIRED, **{name: "nonsense"})


def test_a_choice_field_whose_default_is_none_may_stay_none():
    assert TrainConfig(**REQUIRED).annotation is None
    with pytest.raises(ConfigError, match="loss must be one of"):
        TrainConfig(**REQUIRED, loss=None)


def test_sizes_and_counts_are_positive_integers():
    with pytest.raises(ConfigError, match="epochs must be a positive integer, got 0"):
        TrainConfig(**REQUIRED, epochs=0)
    with pytest.raises(ConfigError, match="batch_size must be a positive integer, got 2.5"):
        TrainConfig(**REQUIRED, batch_size=2.5)
