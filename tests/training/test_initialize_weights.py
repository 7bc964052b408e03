"""`initialize_weights` says when a --pretrained file fits less than half of the encoder."""

import types

import tfseg.training.initialize_weights as initialize_weights_module
from tfseg.pretrained.loader import LoadReport


def config(pretrained="weights.h5"):
    return types.SimpleNamespace(init_from=None, encoder="mobilenet", pretrained=pretrained)


def test_a_file_that_fits_one_tensor_in_a_hundred_is_warned_about(monkeypatch):
    skipped = tuple((f"t{i}", "missing in file") for i in range(134))
    report = LoadReport("mobilenet", "weights.h5", "npz", loaded=1, skipped=skipped)
    monkeypatch.setattr(initialize_weights_module, "resolve_pretrained", lambda e, p: p)
    monkeypatch.setattr(initialize_weights_module, "load_pretrained", lambda m, e, p: report)
    lines = initialize_weights_module.initialize_weights(None, config())
    assert lines[-1].startswith("warning: only 1 of the encoder's 135 tensors came from weights.h5")


def test_a_file_that_fits_is_not_warned_about(monkeypatch):
    report = LoadReport("mobilenet", "weights.h5", "npz", loaded=135)
    monkeypatch.setattr(initialize_weights_module, "resolve_pretrained", lambda e, p: p)
    monkeypatch.setattr(initialize_weights_module, "load_pretrained", lambda m, e, p: report)
    lines = initialize_weights_module.initialize_weights(None, config())
    assert len(lines) == 1 and "loaded 135 tensors" in lines[0]
