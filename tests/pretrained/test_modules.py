"""`tfseg.pretrained` exports the user verbs only, and no function hides a module's name."""

import importlib
import pkgutil
import types

import pytest

import tfseg.pretrained

MODULES = sorted(module.name for module in pkgutil.iter_modules(tfseg.pretrained.__path__))


def test_the_package_exports_the_user_verbs():
    assert tfseg.pretrained.__all__ == [
        "LoadReport", "load_pretrained", "read_manifest", "resolve_pretrained"
    ]  # fmt: skip
    assert all(callable(getattr(tfseg.pretrained, name)) for name in tfseg.pretrained.__all__)


@pytest.mark.parametrize("name", MODULES)
def test_every_module_is_a_module_under_its_name(name):
    importlib.import_module(f"tfseg.pretrained.{name}")
    assert isinstance(getattr(tfseg.pretrained, name), types.ModuleType)
