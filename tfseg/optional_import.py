"""`import_optional`: a library of one of tfseg's extras, or a one-line error naming the extra."""

import importlib

from tfseg.errors import ConfigError


def import_optional(module, extra):
    """Imports `module` (e.g. `openvino`), which only an extra of tfseg installs.

    Args:
        module: the module's import name.
        extra: the sentence saying what needs it and how to install it.

    Raises:
        ConfigError: `extra`, with the import error, when the module is missing.

    Example:
        >>> ov = import_optional("openvino", "OpenVINO needs: pip install -e '.[openvino]'")
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ConfigError(f"{extra} ({error})") from None
