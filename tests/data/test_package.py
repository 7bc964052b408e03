"""The package's surface: the user verbs, imported on first use, and every module reachable by its
own path (no module hidden behind a function of the same name)."""

import pkgutil
import subprocess
import sys
import types

import tfseg.data

VERBS = [
    "IGNORE_VALUE", "DatasetInfo", "check_dataset", "class_weights", "dataset_info",
    "list_examples", "load_dataset", "load_eval_dataset", "open_split", "synthesize_scenes",
]  # fmt: skip


def test_the_package_exports_the_user_verbs_only():
    assert sorted(tfseg.data.__all__) == sorted(VERBS)
    for name in VERBS:
        assert getattr(tfseg.data, name) is not None
    assert tfseg.data.IGNORE_VALUE == 255


def test_no_module_is_shadowed_by_a_name_the_package_exports():
    names = [info.name for info in pkgutil.iter_modules(tfseg.data.__path__)]
    assert "splits" in names and "training_pipeline" in names
    for name in names:
        module = pkgutil.resolve_name(f"tfseg.data.{name}")  # imports it
        assert isinstance(module, types.ModuleType)
        assert getattr(tfseg.data, name) is module, name
    for name in VERBS:  # ... and the verbs are still the functions, not modules
        assert not isinstance(getattr(tfseg.data, name), types.ModuleType), name


def test_importing_the_package_or_its_choice_tuples_does_not_import_tensorflow():
    code = (
        "import sys; import tfseg.data; from tfseg.data.info import ANNOTATIONS; "
        "from tfseg.data.weights import METHODS; print('tensorflow' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
