"""Other processes' CPU share while timing: from a fake /proc (exact arithmetic, the timed worker
not counted) and from the real one (a busy process is seen, a process's own CPU is read)."""

import os
import subprocess
import sys
import time

import pytest

from tfseg.benchmark.contention import BUSY_SHARE, CpuContention, contention_note


def write_proc(root, busy, worker_ticks, pid=4242):
    """A /proc with the aggregate `cpu` line and one process's stat (name with a space)."""
    user, system = busy // 2, busy - busy // 2
    (root / "stat").write_text(f"cpu  {user} 0 {system} 999999 0 0 0 0 0 0\ncpu0 1 2 3 4\n")
    (root / str(pid)).mkdir(exist_ok=True)
    fields = ["S"] + ["0"] * 10 + [str(worker_ticks), "0"] + ["0"] * 30
    (root / str(pid) / "stat").write_text(f"{pid} (python worker) " + " ".join(fields))


def test_other_processes_are_what_the_machine_used_beyond_the_timed_worker(tmp_path, monkeypatch):
    clock = iter([100.0, 102.0])  # a 2-second block
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    meter = CpuContention(proc=str(tmp_path))
    meter.ticks, meter.cores = 100, 2
    monkeypatch.setattr(os, "times", lambda: os.times_result((1.0, 0.0, 0.0, 0.0, 0.0)))
    write_proc(tmp_path, busy=10_000, worker_ticks=500)
    meter.start(4242)
    # 2 s x 2 cores = 400 ticks; the worker used 300 of the 360 busy ones: 60 are others' (15%)
    write_proc(tmp_path, busy=10_360, worker_ticks=800)
    meter.stop()
    assert meter.share() == pytest.approx(0.15)
    # each of the 2 reads of the 2 cores' and 2 processes' counters may be a tick short
    assert meter.uncertainty() == pytest.approx(2 * 4 / 400)
    note = contention_note(meter.share(), meter.uncertainty())
    assert note.startswith("other_cpu=15.0% (± 2.0)") and "the machine was busy" in note
    assert "busy" not in contention_note(BUSY_SHARE / 2)
    assert "busy" not in contention_note(0.15, 0.1)  # too short a block to tell


def test_calls_timed_in_this_process_count_only_this_process(tmp_path, monkeypatch):
    clock = iter([100.0, 102.0])
    monkeypatch.setattr(time, "monotonic", lambda: next(clock))
    meter = CpuContention(proc=str(tmp_path))
    meter.ticks, meter.cores = 100, 2
    own = iter([1.0, 3.0])  # this process used 2 of the 3.6 busy seconds
    monkeypatch.setattr(os, "times", lambda: os.times_result((next(own), 0.0, 0.0, 0.0, 0.0)))
    write_proc(tmp_path, busy=10_000, worker_ticks=500)
    meter.start()
    write_proc(tmp_path, busy=10_360, worker_ticks=800)  # some other process: not subtracted
    meter.stop()
    assert meter.share() == pytest.approx(0.40)


def test_without_proc_the_share_is_unknown(tmp_path):
    meter = CpuContention(proc=str(tmp_path / "missing"))
    meter.start(os.getpid())
    meter.stop()
    assert meter.share() is None and "unknown" in contention_note(None)


@pytest.mark.skipif(not os.path.exists("/proc/stat"), reason="needs Linux /proc")
def test_a_busy_process_is_seen_and_the_timed_ones_cpu_is_read():
    spin = "import time\nend = time.time() + {s}\nwhile time.time() < end: pass\n"
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])
    other = subprocess.Popen([sys.executable, "-c", spin.format(s=1.5)])
    meter = CpuContention()
    time.sleep(0.2)
    meter.start(worker.pid)
    time.sleep(1.0)
    meter.stop()
    other.wait()
    worker.wait()
    # One spinning core of cpu_count (whatever else runs only adds to it).
    assert meter.share() > 0.6 / meter.cores
    # The timed process's own CPU is read from the real /proc/<pid>/stat.
    spinner = subprocess.Popen([sys.executable, "-c", spin.format(s=0.5)])
    time.sleep(0.4)
    assert meter._process_ticks(spinner.pid) >= 0.1 * meter.ticks
    spinner.wait()
