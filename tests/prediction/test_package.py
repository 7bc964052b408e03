"""The package's surface: the user verbs, and every module reachable by its own path."""

import pkgutil
import types

import tfseg.prediction


def test_the_package_exports_the_user_verbs_only():
    assert tfseg.prediction.__all__ == ["colorize", "overlay", "predict_inputs"]
    assert all(callable(getattr(tfseg.prediction, name)) for name in tfseg.prediction.__all__)


def test_no_module_is_shadowed_by_a_name_the_package_exports():
    names = [info.name for info in pkgutil.iter_modules(tfseg.prediction.__path__)]
    assert "video" in names and "prediction" in names
    for name in names:
        module = pkgutil.resolve_name(f"tfseg.prediction.{name}")  # imports it
        assert isinstance(module, types.ModuleType)
        assert getattr(tfseg.prediction, name) is module, name
