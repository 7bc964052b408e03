"""The protocol (`BenchmarkSpec`) and the timing loop: warm-up excluded, the iteration and
seconds rules, percentiles by linear interpolation, FPS from the mean. A fake clock and fake
steps: no timing figure of this machine is asserted."""

import numpy as np
import pytest

from tfseg.benchmark.protocol import RUNTIMES, BenchmarkSpec, parse_size
from tfseg.benchmark.timing import measure_latency, summarize_latency
from tfseg.errors import ConfigError


class FakeClock:
    """A clock that each step advances by the next of `durations` seconds."""

    def __init__(self, durations):
        self.now, self.durations, self.calls = 0.0, list(durations), 0

    def __call__(self):
        return self.now

    def step(self):
        self.calls += 1
        self.now += self.durations.pop(0)


def test_warmup_calls_are_run_but_not_timed():
    clock = FakeClock([9.0, 9.0, 0.010, 0.020, 0.030])
    times = measure_latency(clock.step, warmup=2, iterations=3, clock=clock)
    assert clock.calls == 5
    assert times == pytest.approx([10.0, 20.0, 30.0])


def test_min_seconds_extends_the_timed_calls_past_iterations():
    clock = FakeClock([0.4] * 10)
    times = measure_latency(clock.step, warmup=0, iterations=2, min_seconds=1.0, clock=clock)
    assert len(times) == 3  # 0.4 + 0.4 < 1.0 <= 1.2
    clock = FakeClock([0.4] * 10)
    assert len(measure_latency(clock.step, iterations=5, min_seconds=1.0, clock=clock)) == 5


def test_zero_iterations_runs_only_the_warmup():
    clock = FakeClock([1.0] * 3)
    assert measure_latency(clock.step, warmup=3, iterations=0, clock=clock) == []
    assert clock.calls == 3


def test_percentiles_are_linear_interpolation_between_closest_ranks():
    times = [40.0, 10.0, 30.0, 20.0]  # sorted: 10 20 30 40; rank of p = p/100 * 3
    stats = summarize_latency(times)
    assert stats["p50"] == pytest.approx(25.0)  # rank 1.5
    assert stats["p90"] == pytest.approx(37.0)  # rank 2.7: 30 + 0.7 * 10
    assert stats["p99"] == pytest.approx(39.7)  # rank 2.97
    assert stats["mean"] == pytest.approx(25.0)
    values = np.random.default_rng(0).uniform(1, 100, 57)
    stats = summarize_latency(values)
    assert stats["p90"] == pytest.approx(float(np.percentile(values, 90, method="linear")))


def test_fps_is_images_per_second_from_the_mean_latency():
    assert summarize_latency([100.0, 300.0])["fps"] == pytest.approx(5.0)
    assert summarize_latency([100.0, 300.0], batch=4)["fps"] == pytest.approx(20.0)
    assert summarize_latency([])["fps"] is None


def test_grid_is_sizes_by_batches_by_runtimes():
    specs = BenchmarkSpec.grid(["tflite", "function"], ["360x640", (512, 1024)], [1, 2],
                               warmup=3, iterations=4)  # fmt: skip
    assert [(s.size, s.batch, s.runtime) for s in specs] == [
        ((360, 640), 1, "tflite"), ((360, 640), 1, "function"),
        ((360, 640), 2, "tflite"), ((360, 640), 2, "function"),
        ((512, 1024), 1, "tflite"), ((512, 1024), 1, "function"),
        ((512, 1024), 2, "tflite"), ((512, 1024), 2, "function"),
    ]  # fmt: skip
    assert all(s.warmup == 3 and s.iterations == 4 and s.timed == "model" for s in specs)


def test_every_runtime_says_what_it_is():
    for name, info in RUNTIMES.items():
        assert info.description and info.precision, name
    assert RUNTIMES["keras"].export_format is None
    assert RUNTIMES["tflite_int8"].options == {"quantization": "int8"}


@pytest.mark.parametrize("text", ["360", "360x", "x640", "16x640", "360*640", "axb", ""])
def test_a_bad_size_is_a_config_error_naming_the_flag(text):
    with pytest.raises(ConfigError, match="--sizes"):
        parse_size(text)


def test_sizes_are_height_by_width():
    assert parse_size(" 512X1024 ") == (512, 1024)


@pytest.mark.parametrize(
    "fields, message",
    [
        (
            {"runtime": "tensorflow_lite"},
            "unknown runtime 'tensorflow_lite'; valid runtimes: keras",
        ),
        ({"timed": "all"}, "--timed=all"),
        ({"batch": 0}, "--batch_sizes"),
        ({"iterations": 0}, "--iterations"),
        ({"warmup": -1}, "--warmup"),
        ({"min_seconds": -1.0}, "--min_seconds"),
        ({"rounds": 0}, "--rounds"),
        ({"size": (360,)}, "--sizes"),
        ({"frame_size": (8, 8)}, "--frame_size"),
    ],
)
def test_bad_specs_are_config_errors(fields, message):
    arguments = {"runtime": "tflite", "size": (360, 640), **fields}
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        BenchmarkSpec(**arguments)


def test_empty_lists_are_refused():
    with pytest.raises(ConfigError, match="--runtimes"):
        BenchmarkSpec.grid([], ["360x640"])


def test_the_conv_peak_yardstick_counts_as_tfseg_flops_does():
    from tfseg.benchmark.conv_peak import conv_flops, measure_conv_peak

    assert conv_flops() == 2 * 360 * 640 * 3 * 3 * 64 * 64  # 2 FLOPs per multiply-add
    assert measure_conv_peak(warmup=0, iterations=1) > 0
