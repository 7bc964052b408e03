"""The per-layer memory report (seed 004 Tables 1-2) and the process's measured peaks."""

import keras
import numpy as np
import pytest

import tfseg
from tfseg.benchmark.memory import (
    memory_markdown,
    memory_report,
    peak_gpu_memory_mb,
    peak_host_memory_mb,
    reset_peak_host_memory,
)

MIB = 1 << 20


@pytest.fixture(scope="module")
def model():
    keras.utils.set_random_seed(0)
    return tfseg.build_model("mobilenet", "skipnet", 5, (64, 128))


def test_layers_are_split_into_encoder_and_decoder_with_totals(model):
    report = memory_report(model, batch=2, encoder="mobilenet")
    parts = {entry["part"] for entry in report["layers"]}
    assert parts == {"input", "encoder", "decoder"}
    assert report["layers"][0]["part"] == "input"
    assert next(e for e in report["layers"] if e["name"] == "logits")["part"] == "decoder"
    totals = report["totals"]
    assert totals["total"]["params"] == model.count_params()
    assert totals["encoder"]["params"] + totals["decoder"]["params"] == model.count_params()
    summed = sum(e["activation_mib"] for e in report["layers"])
    assert totals["total"]["activation_mib"] == pytest.approx(summed)
    assert report["input"] == [2, 64, 128, 3]


def test_activation_and_parameter_memory_are_elements_times_bytes(model):
    report = memory_report(model, batch=2, encoder="mobilenet")
    logits = next(e for e in report["layers"] if e["name"] == "logits")
    assert logits["output_shape"] == [2, 64, 128, 5]
    assert logits["activation_mib"] == pytest.approx(2 * 64 * 128 * 5 * 4 / MIB)
    layer = next(layer for layer in model.layers if layer.weights)
    entry = next(e for e in report["layers"] if e["name"] == layer.name)
    expected = sum(int(np.prod(w.shape)) for w in layer.weights)
    assert entry["params"] == expected and entry["param_mib"] == pytest.approx(4 * expected / MIB)


def test_inference_peak_is_below_the_sum_of_all_activations(model):
    report = memory_report(model, batch=1, encoder="mobilenet")
    largest = max(e["activation_mib"] for e in report["layers"])
    assert largest <= report["inference_peak_mib"] < report["totals"]["total"]["activation_mib"]


def test_without_an_encoder_every_layer_is_the_models(model):
    report = memory_report(model)
    assert {e["part"] for e in report["layers"]} == {"input", "model"}


def test_markdown_has_the_seed_table_columns_and_the_measured_peaks(model):
    text = memory_markdown(memory_report(model, 1, "mobilenet"), {"function": 612.5})
    assert "| layer | type | activations | activation MiB | parameters | parameter MiB |" in text
    assert "### encoder" in text and "### decoder" in text and "**total decoder**" in text
    assert "| measured peak host memory (VmHWM), `function` process | 612.5 |" in text


def test_peak_host_memory_is_this_processes_high_water_mark():
    before = peak_host_memory_mb()
    assert before > 10
    block = np.ones(64 * MIB // 8)  # 64 MiB touched
    assert peak_host_memory_mb() >= before
    del block
    if reset_peak_host_memory():
        assert peak_host_memory_mb() <= before + 64
    assert peak_gpu_memory_mb() is None or peak_gpu_memory_mb() >= 0
