"""The package's surface: the user verbs, and every module reachable by its own path."""

import pkgutil
import types

import tfseg.evaluation


def test_the_package_exports_the_user_verbs_only():
    assert tfseg.evaluation.__all__ == [
        "ConfusionMatrix", "compute_metrics", "evaluate", "evaluate_model",
        "format_metrics_table", "run_official_evaluation", "write_metrics_json",
    ]  # fmt: skip
    assert all(callable(getattr(tfseg.evaluation, name)) for name in tfseg.evaluation.__all__)


def test_no_module_is_shadowed_by_a_name_the_package_exports():
    names = [info.name for info in pkgutil.iter_modules(tfseg.evaluation.__path__)]
    assert "evaluator" in names and "metrics" in names
    for name in names:
        module = pkgutil.resolve_name(f"tfseg.evaluation.{name}")  # imports it
        assert isinstance(module, types.ModuleType)
        assert getattr(tfseg.evaluation, name) is module, name
