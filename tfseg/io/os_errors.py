"""`OSError`s on the user's paths as one-line `TfsegError`s naming the path and what to do."""

import contextlib
import errno
import os

from tfseg.errors import DataError, ResourceError

# errno -> (what is wrong, what to do, the environment's fault rather than the user's input)
_MEANINGS = {
    errno.EACCES: ("permission denied", "check its permissions or choose another path", False),
    errno.EPERM: ("operation not permitted", "check its permissions or choose another path", False),
    errno.ENOENT: ("does not exist", "check the path", False),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "choose another path", False),
    errno.EISDIR: ("is a folder where a file was expected", "choose another path", False),
    errno.EEXIST: ("already exists", "remove it or choose another path", False),
    errno.ENOTEMPTY: ("is a folder that is not empty", "remove it or choose another path", False),
    errno.ENAMETOOLONG: ("the name is too long", "choose a shorter path", False),
    errno.ELOOP: ("too many symbolic links", "check the path's links", False),
    errno.ENOSPC: (
        "no space left on the device",
        "free some space or choose another disk, then rerun the same command",
        True,
    ),
    errno.EDQUOT: (
        "disk quota exceeded",
        "free some space or choose another disk, then rerun the same command",
        True,
    ),
    errno.EROFS: ("read-only file system", "choose a path on a writable file system", True),
    errno.EIO: ("input/output error", "check the disk (dmesg), then rerun the same command", True),
    errno.EMFILE: ("too many open files", "raise the limit (ulimit -n) and rerun", True),
    errno.ENFILE: ("too many open files on this system", "close other programs and rerun", True),
}


def error_from_os_error(error):
    """The one-line `TfsegError` of an `OSError` (which must be one of the known kinds).

    Args:
        error: an `OSError` (`PermissionError`, `FileExistsError`, ...).

    Returns:
        A `ResourceError` (exit code 3) for the machine's faults (no space, read-only file
        system, I/O errors, open-file limits), a `DataError` (exit code 2) for the others, or
        None for an errno that is not listed (the caller keeps the traceback: maybe a bug).

    Example:
        >>> str(error_from_os_error(PermissionError(13, "Permission denied", "/x/best")))
        '/x/best: permission denied; check its permissions or choose another path'
    """
    meaning = _MEANINGS.get(error.errno)
    if meaning is None:
        return None
    what, advice, environment = meaning
    paths = [p for p in (error.filename, getattr(error, "filename2", None)) if p is not None]
    where = " -> ".join(str(p) for p in paths) or "a file operation"
    kind = ResourceError if environment else DataError
    return kind(f"{where}: {what}; {advice}")


def error_from_message(path, message, doing=None):
    """The one-line `TfsegError` for a failure reported as text (TensorFlow's file errors carry
    the OS's message, e.g. "No space left on device", but no errno).

    Args:
        path: the file or folder being written or read.
        message: the error's message.
        doing: what was being done, e.g. "writing the checkpoint of epoch 3", or None.

    Returns:
        The `ResourceError` / `DataError` of the first known errno whose text is in `message`,
        or None.
    """
    for number in _MEANINGS:
        if os.strerror(number).lower() in message.lower():
            error = error_from_os_error(OSError(number, os.strerror(number), str(path)))
            what, advice = str(error).removeprefix(f"{path}: ").split("; ", 1)
            while_doing = f" while {doing}" if doing else ""
            return type(error)(f"{path}: {what}{while_doing}; {advice}")
    return None


@contextlib.contextmanager
def naming_path(path):
    """Fills in `path` as the `filename` of an `OSError` raised inside that has none.

    A failed `write()` (e.g. `ENOSPC`) carries no file name; the CLI's message must name one.

    Example:
        >>> with naming_path(target):
        ...     f.write(data)
    """
    try:
        yield
    except OSError as error:
        if error.filename is None:
            error.filename = str(path)
        raise
