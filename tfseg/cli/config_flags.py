"""absl flags generated from a config dataclass's fields, and the config read back from them.

The metadata a field may carry (`help`, `choices`, `lower_bound`, `upper_bound`, `range_flags`,
`model_flag`) is described in tfseg/training/train_config.py. For example the field

    batch_size: int = _flag(4, "Global batch size.", lower_bound=1)

becomes `flags.DEFINE_integer("batch_size", 4, "Global batch size.", lower_bound=1)`, and
`config_from_flags` passes `batch_size=FLAGS.batch_size` to the config.
"""

import dataclasses
import typing

from absl import flags

from tfseg.cli.model_flags import model_flag_values
from tfseg.errors import ConfigError

FLAGS = flags.FLAGS
# Flags defined here belong to the command module that asked for them (its `--helpfull` section).
flags.disclaim_key_flags()

_DEFINE = {
    str: flags.DEFINE_string,
    int: flags.DEFINE_integer,
    float: flags.DEFINE_float,
    bool: flags.DEFINE_bool,
}


def define_config_flags(config_class):
    """Defines the flags of every field of `config_class` but those of `define_model_flags`.

    Args:
        config_class: a dataclass whose fields carry flag metadata (a `TrainConfig`).

    Raises:
        TypeError: a field without help text, or of a type no flag can hold.
    """
    for field in dataclasses.fields(config_class):
        facts = dict(field.metadata)
        if facts.pop("model_flag", False):
            continue
        help_text, names = facts.pop("help", None), facts.pop("range_flags", None)
        if help_text is None:
            raise TypeError(f"{config_class.__name__}.{field.name} has no flag help text")
        if names is None:
            required = field.default is dataclasses.MISSING
            default = None if required else field.default
            _define(field.name, field.type, default, help_text, required, **facts)
        else:
            for name, default, kind, text in zip(
                names, field.default, typing.get_args(field.type), help_text
            ):
                _define(name, kind, default, text, False, **facts)


def config_from_flags(config_class):
    """The config the parsed flags describe.

    Args:
        config_class: the dataclass whose flags `define_config_flags` (and `define_model_flags`
            for the fields marked `model_flag`) defined.

    Returns:
        A `config_class`, validated by its own `__post_init__`.

    Raises:
        ConfigError: a range whose low flag is larger than its high flag, or a value the config
            refuses.
    """
    values, model = {}, None
    for field in dataclasses.fields(config_class):
        if field.metadata.get("model_flag"):
            if model is None:  # read only by configs that have model fields
                model = model_flag_values()
            values[field.name] = model[field.name]
        elif "range_flags" in field.metadata:
            low, high = field.metadata["range_flags"]
            if FLAGS[low].value > FLAGS[high].value:
                raise ConfigError(
                    f"--{low}={FLAGS[low].value} is larger than --{high}={FLAGS[high].value}"
                )
            values[field.name] = (FLAGS[low].value, FLAGS[high].value)
        else:
            values[field.name] = FLAGS[field.name].value
    return config_class(**values)


def _define(name, kind, default, help_text, required, choices=None, **bounds):
    """One absl flag: an enum if there are choices, else the one of the field's type."""
    if choices is not None:
        flags.DEFINE_enum(name, default, list(choices), help_text, required=required)
    elif kind in _DEFINE:
        _DEFINE[kind](name, default, help_text, required=required, **bounds)
    else:
        raise TypeError(f"no absl flag holds a {kind!r} (field {name!r})")
