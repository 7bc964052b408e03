"""An exclusive lock on a folder, held while one process writes it.

Why `fcntl.flock` on a lock file, rather than creating it with `O_EXCL` and checking the PID in
it: the kernel releases a `flock` when its process dies, however it dies (SIGKILL, OOM killer,
power loss of a container), so a lock left by a killed run is never mistaken for a live one and
no PID has to be probed (PIDs are reused, and a PID check races with another process taking the
same stale lock). The PID in the file is only for the message. `flock` works on local file
systems and on NFSv4 (Linux maps it to a byte-range lock there).

The file is removed when the lock is released, so a finished run leaves no trace; a lock taken
on a file that was removed meanwhile is dropped and taken again on the file the path names.
"""

import fcntl
import os

from tfseg.errors import DataError
from tfseg.io.os_errors import naming_path

LOCK_FILE = ".tfseg.lock"


class FolderLock:
    """Holds `<folder>/.tfseg.lock` exclusively from `acquire()` (or `with`) until `release()`.

    Args:
        folder: the folder to lock (created if needed).
        purpose: what the holder does, for the message of a refused second process, e.g.
            "tfseg train".

    Attributes:
        stale_pid: after `acquire()`, the PID of a dead process whose lock file was taken over,
            or None.

    Example:
        >>> with FolderLock("runs/x", "tfseg train"):
        ...     train(...)
    """

    def __init__(self, folder, purpose):
        self.folder = os.path.abspath(folder)
        self.path = os.path.join(self.folder, LOCK_FILE)
        self.purpose = purpose
        self.stale_pid = None
        self._fd = None

    def acquire(self):
        """Takes the lock, or raises `DataError` naming the process that holds it.

        Returns:
            self.
        """
        while True:
            fd = self._open()
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_pid(fd)
                os.close(fd)
                who = f"process {holder}" if holder else "another process"
                raise DataError(
                    f"{self.folder} is in use by {who} ({self.purpose}, lock {self.path}); wait "
                    "for it to finish or stop it, or choose another folder"
                ) from None
            except BaseException:
                os.close(fd)
                raise
            # The holder we waited on may have removed the file as it released it: a lock on
            # that unlinked file would exclude nobody. Lock the file the path names now.
            if _same_file(fd, self.path):
                break
            os.close(fd)
        previous = _read_pid(fd)
        if previous and previous != os.getpid():
            self.stale_pid = previous  # its process died: the kernel released its lock
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self):
        """Removes the lock file and gives the lock up (a killed process cannot remove it: the
        next one finds its PID there and takes over)."""
        if self._fd is not None:
            if _same_file(self._fd, self.path):
                os.unlink(self.path)
            os.close(self._fd)  # closing releases the flock
            self._fd = None

    def _open(self):
        with naming_path(self.path):
            os.makedirs(self.folder, exist_ok=True)
            return os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc_info):
        self.release()


def _read_pid(fd):
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _same_file(fd, path):
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False
