"""Replaces a file in one step, so readers see the old or the new file, never half of one."""

import os
import tempfile


def atomic_write(path, data):
    """Writes `data` to a temporary file in `path`'s folder, then renames it over `path`.

    Args:
        path: destination file (its folder must exist).
        data: `bytes`, or `str` (written as UTF-8).

    Example:
        >>> atomic_write("data/cache.json", '{"a": 1}\\n')
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    suffix = os.path.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=os.path.dirname(path) or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
