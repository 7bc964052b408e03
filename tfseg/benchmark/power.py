"""Power and energy: a `PowerMeter` interface and its readers (NVML, RAPL, Jetson INA3221).

Only measured figures: where no sensor is found, `find_power_meter` returns None and the
benchmark says "power: not available" (rows: `power_source: null`); nothing is ever estimated
from a TDP. Readers:

* `nvml`: NVIDIA GPUs through `nvidia-ml-py` (optional import): the board's energy counter
  (`nvmlDeviceGetTotalEnergyConsumption`, Volta and newer) or, without one, its power samples
  (`nvmlDeviceGetPowerUsage`). GPU board power only. NVML does not work on Jetson.
* `rapl`: Intel and AMD RAPL package counters, `/sys/class/powercap/<zone>/energy_uj` (top-level
  zones only, so sub-zones are not counted twice; wrap-around handled with
  `max_energy_range_uj`). CPU package power only; reading needs permission (root on recent
  kernels).
* `ina3221`: Jetson TX1/TX2 rails, `/sys/bus/i2c/drivers/ina3221x/*/iio:device*/rail_name_N` and
  `in_powerN_input` (mW), as the Jetson runner `tfseg/deploy/jetson/segment_trt.py` reads them:
  the board total is `VDD_IN` plus the carrier's `VDD_MUX` where present (Nano: `POM_5V_IN`).

Every path is under a `root` argument (default `/`), so tests use fake sysfs trees. Energy
follows the seed paper (004, Table 13): for N images at I ms per image and P W,
E = N * I * P / 3.6e6 W*h (N = 1525 Cityscapes test images by default).
"""

import abc
import glob
import os
import threading
import time

PAPER_ENERGY_IMAGES = 1525
SOURCES = ("nvml", "rapl", "ina3221")
INA3221_DRIVER = "sys/bus/i2c/drivers/ina3221x"
# iio:deviceN on L4T 32 (JetPack 4.x); iio_device on the older L4T 28 kernels (the seed's TX1).
INA3221_DEVICE_GLOBS = ("*/iio:device*", "*/iio_device")
BOARD_TOTAL_RAILS = (("VDD_IN", "VDD_MUX"), ("POM_5V_IN",))
POWERCAP = "sys/class/powercap"


class PowerMeter(abc.ABC):
    """Measures mean power over an interval: `start()`, run the workload, `stop()`.

    Attributes:
        source: `nvml`, `rapl` or `ina3221` (the rows' `power_source`).
        description: what is measured, for logs and notes (e.g. the rails summed).

    Example:
        >>> meter = find_power_meter("auto")
        >>> meter.start(); run(); reading = meter.stop()
        >>> reading["power_w_mean"], reading["energy_j"]
    """

    source = None

    def __init__(self, description):
        self.description = description
        self._started = None

    def start(self):
        """Begins an interval."""
        self._started = time.perf_counter()
        self._begin()
        return self

    def stop(self):
        """Ends the interval.

        Returns:
            `{"power_w_mean", "energy_j", "seconds", "samples"}`; None values if the sensor
            gave no reading.
        """
        seconds = time.perf_counter() - self._started
        joules, samples = self._end(seconds)
        if joules is None or seconds <= 0:
            return {"power_w_mean": None, "energy_j": None, "seconds": seconds, "samples": samples}
        return {
            "power_w_mean": joules / seconds,
            "energy_j": joules,
            "seconds": seconds,
            "samples": samples,
        }

    @abc.abstractmethod
    def _begin(self):
        """Starts counting or sampling."""

    @abc.abstractmethod
    def _end(self, seconds):
        """`(joules or None, samples)` since `_begin`."""


class SampledPowerMeter(PowerMeter):
    """A meter that samples an instantaneous power reading (mW) on a background thread.

    Args:
        read_mw: returns the current power in mW, or None when a read failed.
        description: what is read.
        interval_s: seconds between samples.
    """

    def __init__(self, read_mw, description, interval_s=0.05):
        super().__init__(description)
        self.read_mw = read_mw
        self.interval_s = interval_s
        self._samples, self._stop, self._thread = [], None, None

    def _begin(self):
        self._samples, self._stop = [], threading.Event()
        self._thread = threading.Thread(target=self._loop, name="power-sampler", daemon=True)
        self._thread.start()

    def _loop(self):
        while True:
            value = self.read_mw()
            if value is not None:
                self._samples.append(value)
            if self._stop.wait(self.interval_s):
                return

    def _end(self, seconds):
        self._stop.set()
        self._thread.join()
        if not self._samples:
            return None, 0
        mean_w = sum(self._samples) / len(self._samples) / 1000.0
        return mean_w * seconds, len(self._samples)


class Ina3221Meter(SampledPowerMeter):
    """Jetson INA3221 rails: the board total (VDD_IN + VDD_MUX, or POM_5V_IN), sampled.

    Args:
        rails: `{name: in_powerN_input path}` to sum.
        interval_s: seconds between samples.
    """

    source = "ina3221"

    def __init__(self, rails, interval_s=0.05):
        self.rails = dict(rails)
        super().__init__(self._read, "INA3221 " + " + ".join(self.rails), interval_s)

    def _read(self):
        total = 0.0
        for path in self.rails.values():
            value = _read_number(path)
            if value is None:
                return None
            total += value
        return total


class RaplMeter(PowerMeter):
    """RAPL package energy counters (`energy_uj`), summed over the top-level zones.

    Args:
        zones: `{name: zone folder}` holding `energy_uj` (and `max_energy_range_uj`).
    """

    source = "rapl"

    def __init__(self, zones):
        super().__init__("RAPL " + " + ".join(zones))
        self.zones = dict(zones)
        self._start_uj = {}

    def _begin(self):
        self._start_uj = {name: self._read(folder) for name, folder in self.zones.items()}

    def _end(self, seconds):
        joules = 0.0
        for name, folder in self.zones.items():
            start, end = self._start_uj[name], self._read(folder)
            if start is None or end is None:
                return None, 0
            if end < start:  # the counter wrapped around
                end += _read_number(os.path.join(folder, "max_energy_range_uj")) or 0
            joules += (end - start) / 1e6
        return joules, 2 * len(self.zones)

    @staticmethod
    def _read(folder):
        return _read_number(os.path.join(folder, "energy_uj"))


class NvmlMeter(PowerMeter):
    """An NVIDIA GPU through NVML: its energy counter, or sampled power where it has none.

    Args:
        index: the GPU's NVML index.
        interval_s: seconds between power samples (without an energy counter).
    """

    source = "nvml"

    def __init__(self, index=0, interval_s=0.05):
        import pynvml  # nvidia-ml-py; find_power_meter checked that it imports

        self.nvml = pynvml
        pynvml.nvmlInit()
        self.handle = pynvml.nvmlDeviceGetHandleByIndex(index)
        name = pynvml.nvmlDeviceGetName(self.handle)
        name = name.decode() if isinstance(name, bytes) else name
        super().__init__(f"NVML {name} (GPU board power)")
        self._sampler = SampledPowerMeter(self._power_mw, self.description, interval_s)
        self._counter = self._energy_mj() is not None
        self._start_mj = None

    def _energy_mj(self):
        try:
            return float(self.nvml.nvmlDeviceGetTotalEnergyConsumption(self.handle))
        except Exception:  # NVMLError_NotSupported on pre-Volta boards
            return None

    def _power_mw(self):
        try:
            return float(self.nvml.nvmlDeviceGetPowerUsage(self.handle))
        except Exception:
            return None

    def _begin(self):
        if self._counter:
            self._start_mj = self._energy_mj()
        else:
            self._sampler.start()

    def _end(self, seconds):
        if self._counter:
            end = self._energy_mj()
            if end is None or self._start_mj is None:
                return None, 0
            return (end - self._start_mj) / 1000.0, 2
        return self._sampler._end(seconds)


def find_power_meter(kind="auto", root="/"):
    """The first power sensor found, in the order NVML, INA3221, RAPL (or the one asked for).

    Args:
        kind: `auto`, `none`, or one of `SOURCES`.
        root: the filesystem root that sysfs is under (tests pass a fake tree).

    Returns:
        `(meter or None, message)`: the message is one line for the log, e.g. "power: not
        available (no NVML GPU, no INA3221 rails, no readable RAPL counters)".

    Example:
        >>> meter, message = find_power_meter("auto", root="/")
        >>> print(message)
        power: not available (no NVML GPU, no INA3221 rails, no readable RAPL counters)
    """
    if kind == "none":
        return None, "power: not measured (--power=none)"
    if kind not in ("auto", *SOURCES):
        from tfseg.errors import ConfigError

        raise ConfigError(f"--power={kind}: must be auto, none or one of {', '.join(SOURCES)}")
    finders = {"nvml": _find_nvml, "ina3221": _find_ina3221, "rapl": _find_rapl}
    order = ("nvml", "ina3221", "rapl") if kind == "auto" else (kind,)
    reasons = []
    for source in order:
        meter, reason = finders[source](root)
        if meter is not None:
            return meter, f"power: {meter.description}"
        reasons.append(reason)
    return None, f"power: not available ({', '.join(reasons)})"


def energy_figures(power_w, latency_ms, batch=1, images=PAPER_ENERGY_IMAGES):
    """Energy per frame and the seed paper's E for `images` images.

    Args:
        power_w: mean power while timing (W), or None.
        latency_ms: mean latency of one call (ms), or None.
        batch: images per call (I = latency_ms / batch ms per image).
        images: N of E = N * I * P / 3.6e6.

    Returns:
        `{"energy_mj_per_frame", "energy_images", "energy_wh"}` (None values without power).

    Example:
        >>> energy_figures(4.16, 460.0)["energy_wh"]  # seed 004 Table 13's TX1 figures
        0.8106...
    """
    if power_w is None or latency_ms is None:
        return {"energy_mj_per_frame": None, "energy_images": None, "energy_wh": None}
    per_image_ms = latency_ms / batch
    return {
        "energy_mj_per_frame": power_w * per_image_ms,  # W * ms = mJ
        "energy_images": images,
        "energy_wh": images * per_image_ms * power_w / 3.6e6,
    }


def _find_nvml(root):
    try:
        import pynvml  # noqa: F401  (nvidia-ml-py)
    except ImportError:
        return None, "no NVML (pip install nvidia-ml-py)"
    try:
        return NvmlMeter(), None
    except Exception:  # NVMLError: no driver or no device
        return None, "no NVML GPU"


def _find_ina3221(root):
    driver = os.path.join(root, INA3221_DRIVER)
    rails = {}
    for pattern in INA3221_DEVICE_GLOBS:
        for device in sorted(glob.glob(os.path.join(driver, pattern))):
            for name_file in sorted(glob.glob(os.path.join(device, "rail_name_*"))):
                channel = name_file.rsplit("_", 1)[1]
                power = os.path.join(device, f"in_power{channel}_input")
                name = _read_text(name_file)
                if channel.isdigit() and name and os.path.isfile(power):
                    rails.setdefault(name, power)
    for group in BOARD_TOTAL_RAILS:
        if group[0] in rails:
            return Ina3221Meter({name: rails[name] for name in group if name in rails}), None
    return None, "no INA3221 rails" if not rails else "no INA3221 board-input rail"


def _find_rapl(root):
    zones = {}
    for folder in sorted(glob.glob(os.path.join(root, POWERCAP, "*"))):
        base = os.path.basename(folder)
        # Top-level zones (intel-rapl:0), not sub-zones (intel-rapl:0:0), the control type, or
        # the MMIO twin of a package zone (intel-rapl-mmio:0, the same counter).
        if base.count(":") != 1 or "mmio" in base:
            continue
        if _read_number(os.path.join(folder, "energy_uj")) is None:
            continue  # missing, or not readable by this user
        zones.setdefault(_read_text(os.path.join(folder, "name")) or base, folder)
    if zones:
        return RaplMeter(zones), None
    return None, "no readable RAPL counters"


def _read_text(path):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return None


def _read_number(path):
    text = _read_text(path)
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None
