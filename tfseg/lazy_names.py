"""`lazy_exports`: a package's public names imported on first use (PEP 562).

`tfseg`, `tfseg.data` and `tfseg.benchmark` export their user verbs this way, so that importing
them (for the `tfseg` command line, a choice tuple, or the benchmark's parent process) does not
import TensorFlow.
"""

import importlib
import sys


def lazy_exports(package, public):
    """The module-level `__getattr__` and `__dir__` of a package with lazily imported names.

    Args:
        package: the package's `__name__`.
        public: `{name: module path}`; `name` is imported from its module on first access and
            then kept in the package.

    Returns:
        `(__getattr__, __dir__)`, to assign at the package's top level.

    Example:
        >>> __getattr__, __dir__ = lazy_exports(__name__, {"build_model": "tfseg.model_builder"})
    """

    def __getattr__(name):
        if name not in public:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(public[name]), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__():
        return sorted(set(vars(sys.modules[package])) | set(public))

    return __getattr__, __dir__
