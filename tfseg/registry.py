"""Encoders and decoders from outside the package: registration, plugin modules, entry points.

Three routes add a model part to every `tfseg` function and command:

* `register_encoder(name, spec)` / `register_decoder(name, spec)` from your own code;
* `tfseg <command> --plugin=my_project.models` (a dotted module name, or a `.py` file) imports a
  module that calls them;
* an installed package declares entry points in the groups `tfseg.encoders` and
  `tfseg.decoders` (name = the encoder's or decoder's name, object = its spec or builder); every
  `tfseg` command and the first `build_model` call load them.

See docs/extending.md.
"""

import importlib
import importlib.metadata
import importlib.util
import os
import re
import sys

from tfseg.decoders import DECODERS, DecoderSpec
from tfseg.encoders import ENCODERS, EncoderSpec
from tfseg.errors import ConfigError

# Names become flag values and model names (`<decoder>_<encoder>`): lower case, no dashes.
NAME = re.compile(r"[a-z][a-z0-9_]*")
ENTRY_POINT_GROUPS = {"tfseg.encoders": "encoder", "tfseg.decoders": "decoder"}
_entry_points_loaded = False


def register_encoder(name, spec, *, replace=False):
    """Adds an encoder that `build_model` and every `tfseg` command can then use by `name`.

    Args:
        name: lower-case letters, digits and underscores, starting with a letter.
        spec: an `EncoderSpec`, or a bare builder `build(image, output_stride, weight_decay)`
            (then only output stride 32 is assumed, and no pretrained weights).
        replace: allow replacing an encoder of the same name.

    Returns:
        The registered `EncoderSpec`.

    Raises:
        ConfigError: a bad name or spec, or the name is taken.

    Example:
        >>> tfseg.register_encoder("tiny", EncoderSpec(build=build_tiny, output_strides=(32,)))
    """
    if callable(spec) and not isinstance(spec, EncoderSpec):
        spec = EncoderSpec(build=spec, output_strides=(32,))
    if not isinstance(spec, EncoderSpec) or not callable(spec.build):
        raise ConfigError(f"encoder {name!r}: expected an EncoderSpec or a builder, got {spec!r}")
    _add(ENCODERS, "encoder", name, spec, replace)
    return spec


def register_decoder(name, spec, *, replace=False):
    """Adds a decoder that `build_model` and every `tfseg` command can then use by `name`.

    Args:
        name: lower-case letters, digits and underscores, starting with a letter.
        spec: a `DecoderSpec`, or a bare builder `build(endpoints, num_classes, *,
            weight_decay, **options)` (then the encoder is built at output stride 32).
        replace: allow replacing a decoder of the same name.

    Returns:
        The registered `DecoderSpec`.

    Raises:
        ConfigError: a bad name or spec, or the name is taken.

    Example:
        >>> tfseg.register_decoder("tiny", build_tiny_decoder)
    """
    if callable(spec) and not isinstance(spec, DecoderSpec):
        spec = DecoderSpec(build=spec)
    if not isinstance(spec, DecoderSpec) or not callable(spec.build):
        raise ConfigError(f"decoder {name!r}: expected a DecoderSpec or a builder, got {spec!r}")
    _add(DECODERS, "decoder", name, spec, replace)
    return spec


def _add(registry, kind, name, spec, replace):
    if not isinstance(name, str) or not NAME.fullmatch(name):
        raise ConfigError(
            f"{kind} name {name!r}: use lower-case letters, digits and underscores, "
            "starting with a letter"
        )
    # The same spec twice (a plugin module that registers itself and is also an entry point)
    # is fine; a different one under a taken name is a clash.
    if name in registry and registry[name] != spec and not replace:
        raise ConfigError(f"a {kind} named {name!r} is registered already (replace=True to swap)")
    registry[name] = spec


def load_plugins(modules):
    """Imports each plugin module (a dotted name or a `.py` path), which registers its models.

    Dotted names are looked up from the current directory too, as `python -m` would, so a
    module of the user's own project works without installing it.

    Raises:
        ConfigError: a module that cannot be imported, with the reason.
    """
    for module in modules:
        try:
            if module.endswith(".py") or os.sep in module:
                _import_file(module)
            else:
                if os.getcwd() not in sys.path:
                    sys.path.insert(0, os.getcwd())
                importlib.import_module(module)
        except ConfigError:
            raise
        except Exception as error:  # a plugin's own bug or a typo in its name
            raise ConfigError(
                f"--plugin={module}: cannot import it ({type(error).__name__}: {error})"
            ) from error


def _import_file(path):
    if not os.path.isfile(path):
        raise ConfigError(f"--plugin={path}: no such file")
    name = "tfseg_plugin_" + re.sub(r"\W", "_", os.path.abspath(path))
    if name in sys.modules:  # imported once per process, as a dotted name would be
        return
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def load_entry_points():
    """Registers the encoders and decoders that installed packages declare, once per process.

    Raises:
        ConfigError: an entry point that cannot be loaded or registered, naming its package.
    """
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    register = {"encoder": register_encoder, "decoder": register_decoder}
    for group, kind in ENTRY_POINT_GROUPS.items():
        for entry_point in importlib.metadata.entry_points(group=group):
            package = entry_point.dist.name if entry_point.dist else "an installed package"
            try:
                register[kind](entry_point.name, entry_point.load())
            except Exception as error:
                raise ConfigError(
                    f"{kind} {entry_point.name!r} from {package} (entry point group {group}): "
                    f"{type(error).__name__}: {error}"
                ) from error
