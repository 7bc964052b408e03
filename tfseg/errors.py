"""Errors that describe a user's mistake (bad name, flag, file or value).

The CLI prints them as one line, without a traceback, and exits non-zero. Everything else is a bug
and keeps its traceback.
"""

import numbers


class TfsegError(Exception):
    """Base class for problems the user can fix."""


class ConfigError(TfsegError, ValueError):
    """An invalid name, option or value (also a `ValueError` for API callers)."""


class DataError(TfsegError):
    """A missing, unreadable or inconsistent data file; the message names the file."""


class PlatformError(TfsegError):
    """TensorFlow has no kernel for an op on this machine (CPU features, build, device)."""


def is_int(value):
    """Whether `value` is an integer (Python or NumPy), and not a bool (`True` is an `int`)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def check_int(name, value, minimum=None):
    """Checks that an argument is an integer of at least `minimum`.

    Args:
        name: what the message calls the value, e.g. `"batch_size"` or `"input height"`.
        value: the value to check.
        minimum: the smallest value allowed, or None for any integer.

    Returns:
        `value` as a Python `int`.

    Raises:
        ConfigError: "`name` must be a positive integer, got 0" (a non-negative integer for a
            minimum of 0, an integer >= n otherwise).

    Example:
        >>> check_int("epochs", 200, minimum=1)
        200
    """
    if not is_int(value) or (minimum is not None and value < minimum):
        if minimum is None:
            wanted = "an integer"
        elif minimum == 0:
            wanted = "a non-negative integer"
        elif minimum == 1:
            wanted = "a positive integer"
        else:
            wanted = f"an integer >= {minimum}"
        raise ConfigError(f"{name} must be {wanted}, got {value!r}")
    return int(value)
