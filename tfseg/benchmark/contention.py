"""`CpuContention`: how much CPU other processes took while a block of timed calls ran.

A load average cannot tell a busy machine from the benchmark itself: right after one runtime's
block the 1-minute average still counts that runtime's own threads, so back-to-back runs on 2
cores look "busy" every time. `/proc` can: the machine's busy time (`/proc/stat`) minus what
the timed worker (`/proc/<pid>/stat`, all its threads) and this process used is what everything
else took. Hypervisor steal (other guests on the host) is counted with it: it takes the cores
from the timed calls just the same.
"""

import os

# What counts as "other processes" being a problem: more than this share of the machine's CPU.
BUSY_SHARE = 0.10


class CpuContention:
    """Measures other processes' share of the CPU around blocks of timed calls.

    Args:
        proc: the procfs root (tests pass a fake tree).

    Example:
        >>> contention = CpuContention()
        >>> contention.start(worker_pid)
        >>> ...  # the timed calls
        >>> contention.stop()
        >>> contention.share()   # e.g. 0.013: 1.3% of the cores went to other work
    """

    def __init__(self, proc="/proc"):
        self.proc = proc
        self.ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        self.cores = os.cpu_count() or 1
        self.other = 0.0  # seconds of CPU other processes used, over every block
        self.wall = 0.0  # seconds the blocks lasted
        self.blocks = 0
        self._begin = None

    def start(self, pid=None):
        """Reads the counters before a block timed in process `pid` (None: in this one)."""
        self._begin = self._read(pid)

    def stop(self):
        """Reads the counters after the block and adds what other processes used meanwhile."""
        begin, self._begin = self._begin, None
        if begin is None:
            return
        end = self._read(begin["pid"])
        if end is None or begin["busy"] is None or end["busy"] is None:
            self.wall = float("nan")
            return
        busy = (end["busy"] - begin["busy"]) / self.ticks
        own = (end["worker"] - begin["worker"]) / self.ticks + end["self"] - begin["self"]
        self.other += max(0.0, busy - own)
        self.wall += end["wall"] - begin["wall"]
        self.blocks += 1

    def share(self):
        """Other processes' CPU over the cores' time in the blocks (0..1), or None if unknown."""
        if not self.wall or self.wall != self.wall:  # nothing measured, or /proc unreadable
            return None
        return min(1.0, self.other / (self.wall * self.cores))

    def uncertainty(self):
        """How far `share` may be off: the counters tick in 1/`SC_CLK_TCK` s, so each read of
        each core's and each process's counter may be a tick short (short blocks: large)."""
        if not self.wall or self.wall != self.wall:
            return None
        return min(1.0, 2 * self.blocks * (self.cores + 2) / self.ticks / (self.wall * self.cores))

    def _read(self, pid):
        import time

        times = os.times()
        return {
            "pid": pid,
            "busy": self._busy_ticks(),
            "worker": 0 if pid is None else self._process_ticks(pid) or 0,
            "self": times.user + times.system,
            "wall": time.monotonic(),
        }

    def _busy_ticks(self):
        """Busy ticks of all cores: user, nice, system, irq, softirq and steal (`/proc/stat`)."""
        try:
            with open(os.path.join(self.proc, "stat")) as f:
                fields = f.readline().split()
        except OSError:
            return None
        if not fields or fields[0] != "cpu" or len(fields) < 9:
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, fields[1:9])
        return user + nice + system + irq + softirq + steal

    def _process_ticks(self, pid):
        """utime + stime of process `pid`, every thread included (`/proc/<pid>/stat`)."""
        try:
            with open(os.path.join(self.proc, str(pid), "stat")) as f:
                text = f.read()
        except OSError:
            return None
        # The command name (field 2) may hold spaces; the fields after its ")" are fixed.
        fields = text.rsplit(")", 1)[-1].split()
        return int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)


def contention_note(share, uncertainty=0.0):
    """The row note for `share` (± `uncertainty`), saying whether the machine was surely busy."""
    if share is None:
        return "other processes' CPU share unknown (no /proc)"
    text = (
        f"other_cpu={100 * share:.1f}% (± {100 * uncertainty:.1f}) of the cores while timing "
        "(other processes)"
    )
    if share - uncertainty > BUSY_SHARE:
        text += ", the machine was busy with other work, so latencies are upper bounds"
    return text
