"""Power readers on fake sysfs trees (Jetson TX1 and TX2 INA3221 layouts, RAPL), NVML through a
fake module, and the seed paper's energy formula. Nothing is estimated where nothing is found."""

import sys
import types

import pytest

from tfseg.benchmark.power import (
    Ina3221Meter,
    NvmlMeter,
    RaplMeter,
    energy_figures,
    find_power_meter,
)
from tfseg.errors import ConfigError

from .conftest import write_files

DRIVER = "sys/bus/i2c/drivers/ina3221x"
# L4T 32: <bus-addr>/iio:deviceN/{rail_name_C, in_powerC_input}; rail numbers differ per board.
TX1 = {
    "1-0040": [("VDD_IN", 3120), ("VDD_GPU", 19), ("VDD_CPU", 116)],
    "1-0042": [("VDD_MUX", 880), ("VDD_5V_IO_SYS", 400), ("VDD_3V3_SYS", 300)],
}
TX2 = {
    "0-0040": [("VDD_SYS_GPU", 152), ("VDD_SYS_SOC", 687), ("VDD_4V0_WIFI", 0)],
    "0-0041": [("VDD_IN", 3056), ("VDD_SYS_CPU", 152), ("VDD_SYS_DDR", 883)],
}


def ina3221_tree(root, layout, device="iio:device{}"):
    files = {}
    for n, (address, rails) in enumerate(sorted(layout.items())):
        for channel, (name, mw) in enumerate(rails):
            folder = f"{DRIVER}/{address}/{device.format(n)}"
            files[f"{folder}/rail_name_{channel}"] = name
            files[f"{folder}/in_power{channel}_input"] = mw
            files[f"{folder}/in_current{channel}_input"] = 1
    return write_files(root, files)


def test_nothing_found_is_not_available_never_an_estimate(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # nvidia-ml-py not installed
    meter, message = find_power_meter("auto", root=str(tmp_path))
    assert meter is None
    assert message.startswith("power: not available (")
    assert "no INA3221 rails" in message and "no readable RAPL counters" in message
    assert find_power_meter("none", root=str(tmp_path)) == (
        None,
        "power: not measured (--power=none)",
    )


def test_tx1_board_total_is_vdd_in_plus_vdd_mux(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)
    meter, message = find_power_meter("auto", root=ina3221_tree(tmp_path, TX1))
    assert isinstance(meter, Ina3221Meter) and meter.source == "ina3221"
    assert list(meter.rails) == ["VDD_IN", "VDD_MUX"]
    assert meter.rails["VDD_IN"].endswith("1-0040/iio:device0/in_power0_input")
    assert message == "power: INA3221 VDD_IN + VDD_MUX"
    reading = meter.start().stop()
    assert reading["power_w_mean"] == pytest.approx((3120 + 880) / 1000)
    assert reading["samples"] >= 1


def test_tx2_vdd_in_is_on_the_second_monitor(tmp_path):
    meter, _ = find_power_meter("ina3221", root=ina3221_tree(tmp_path, TX2))
    assert list(meter.rails) == ["VDD_IN"]  # no carrier VDD_MUX in this tree
    assert meter.rails["VDD_IN"].endswith("0-0041/iio:device1/in_power0_input")
    assert meter.start().stop()["power_w_mean"] == pytest.approx(3.056)


def test_l4t_28_iio_device_layout_of_the_seed_papers_tx1(tmp_path):
    root = ina3221_tree(tmp_path, {"1-0040": [("VDD_IN", 4160)]}, device="iio_device")
    meter, _ = find_power_meter("ina3221", root=root)
    assert meter.start().stop()["power_w_mean"] == pytest.approx(4.16)


def test_rails_without_a_board_input_are_not_a_meter(tmp_path):
    root = ina3221_tree(tmp_path, {"0-0040": [("VDD_SYS_GPU", 152)]})
    meter, message = find_power_meter("ina3221", root=root)
    assert meter is None and "no INA3221 board-input rail" in message


def test_rapl_sums_top_level_package_zones_and_handles_wrap_around(tmp_path):
    powercap = "sys/class/powercap"
    root = write_files(
        tmp_path,
        {
            f"{powercap}/intel-rapl:0/name": "package-0",
            f"{powercap}/intel-rapl:0/energy_uj": 1_000_000,
            f"{powercap}/intel-rapl:0/max_energy_range_uj": 10_000_000,
            f"{powercap}/intel-rapl:0:0/name": "core",  # a sub-zone: counted in package-0
            f"{powercap}/intel-rapl:0:0/energy_uj": 5,
            f"{powercap}/intel-rapl:1/name": "package-1",
            f"{powercap}/intel-rapl:1/energy_uj": 9_000_000,
            f"{powercap}/intel-rapl:1/max_energy_range_uj": 10_000_000,
            f"{powercap}/intel-rapl-mmio:0/name": "package-0",  # the same counter again
            f"{powercap}/intel-rapl-mmio:0/energy_uj": 1_000_000,
        },
    )
    meter, message = find_power_meter("rapl", root=root)
    assert isinstance(meter, RaplMeter) and sorted(meter.zones) == ["package-0", "package-1"]
    assert message == "power: RAPL package-0 + package-1"
    meter.start()
    later = {
        f"{powercap}/intel-rapl:0/energy_uj": 3_000_000,  # +2 J
        f"{powercap}/intel-rapl:1/energy_uj": 1_000_000,  # wrapped around: +2 J
    }
    write_files(root, later)
    reading = meter.stop()
    assert reading["energy_j"] == pytest.approx(4.0)
    assert reading["power_w_mean"] == pytest.approx(4.0 / reading["seconds"])


def test_unreadable_rapl_counters_are_not_available(tmp_path):
    root = write_files(tmp_path, {"sys/class/powercap/intel-rapl:0/name": "package-0"})
    assert find_power_meter("rapl", root=root)[0] is None


def test_nvml_uses_the_energy_counter(monkeypatch):
    energy = iter([1000.0, 1000.0, 6000.0])  # mJ: the probe, start, stop
    fake = types.SimpleNamespace(
        nvmlInit=lambda: None,
        nvmlShutdown=lambda: None,
        nvmlDeviceGetHandleByIndex=lambda index: "gpu0",
        nvmlDeviceGetName=lambda handle: b"NVIDIA GeForce GTX 1080",
        nvmlDeviceGetTotalEnergyConsumption=lambda handle: next(energy),
        nvmlDeviceGetPowerUsage=lambda handle: 35270.0,
    )
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    meter, message = find_power_meter("auto")
    assert (
        isinstance(meter, NvmlMeter)
        and message == "power: NVML NVIDIA GeForce GTX 1080 (GPU board power)"
    )
    reading = meter.start().stop()
    assert reading["energy_j"] == pytest.approx(5.0)


def test_nvml_without_an_energy_counter_samples_power(monkeypatch):
    def unsupported(handle):
        raise RuntimeError("NVMLError_NotSupported")

    fake = types.SimpleNamespace(
        nvmlInit=lambda: None,
        nvmlDeviceGetHandleByIndex=lambda index: "gpu0",
        nvmlDeviceGetName=lambda handle: "Tesla K80",
        nvmlDeviceGetTotalEnergyConsumption=unsupported,
        nvmlDeviceGetPowerUsage=lambda handle: 22650.0,
    )
    monkeypatch.setitem(sys.modules, "pynvml", fake)
    meter, _ = find_power_meter("nvml")
    assert meter.start().stop()["power_w_mean"] == pytest.approx(22.65)


def test_energy_follows_the_seed_papers_formula():
    # seed 004 Table 13: Jetson TX1, 4.16 W, TensorRT 460 ms per image, 1525 images: 0.810 W*h
    figures = energy_figures(4.16, 460.0)
    assert figures["energy_wh"] == pytest.approx(1525 * 460.0 * 4.16 / 3.6e6)
    assert round(figures["energy_wh"], 2) == 0.81
    assert figures["energy_mj_per_frame"] == pytest.approx(4.16 * 460.0)
    assert figures["energy_images"] == 1525
    assert energy_figures(10.0, 400.0, batch=4)["energy_mj_per_frame"] == pytest.approx(1000.0)
    assert energy_figures(None, 460.0) == {
        "energy_mj_per_frame": None, "energy_images": None, "energy_wh": None,
    }  # fmt: skip


def test_an_unknown_power_source_is_a_config_error():
    with pytest.raises(ConfigError, match="--power=tegrastats"):
        find_power_meter("tegrastats")
