"""Errors that describe a problem the user can fix: a bad name, flag, file or value, or the
machine's environment (no space left, a read-only file system, a missing kernel).

The CLI prints them as one line, without a traceback, and exits with the error's `exit_code`:
2 for the user's input, 3 for the environment, 130 / 143 for an interruption (SIGINT / SIGTERM).
Everything else is a bug and keeps its traceback. docs/reliability.md lists the classes.
"""

import numbers

# Exit codes of the `tfseg` command (docs/reliability.md).
EXIT_USER = 2  # a flag, path, data or model file the user can fix
EXIT_ENVIRONMENT = 3  # the machine: disk full, read-only file system, I/O error, missing kernel
EXIT_INTERRUPTED = 130  # SIGINT (Ctrl-C): 128 + 2, the shell's convention
EXIT_TERMINATED = 143  # SIGTERM: 128 + 15


class TfsegError(Exception):
    """Base class for problems the user can fix; `exit_code` is what the CLI exits with."""

    exit_code = EXIT_USER


class ConfigError(TfsegError, ValueError):
    """An invalid name, option or value (also a `ValueError` for API callers)."""


class DataError(TfsegError):
    """A missing, unreadable or inconsistent data file; the message names the file."""


class PlatformError(TfsegError):
    """TensorFlow has no kernel for an op on this machine (CPU features, build, device)."""

    exit_code = EXIT_ENVIRONMENT


class ResourceError(TfsegError):
    """The machine refused a file operation: no space left, a read-only file system, an I/O
    error, too many open files. The message names the path."""

    exit_code = EXIT_ENVIRONMENT


class Interrupted(TfsegError):
    """The command was stopped by SIGINT or SIGTERM; the message says how to resume.

    Args:
        message: the one line the CLI prints.
        exit_code: `EXIT_INTERRUPTED` (SIGINT) or `EXIT_TERMINATED` (SIGTERM).
    """

    def __init__(self, message, exit_code=EXIT_INTERRUPTED):
        super().__init__(message)
        self.exit_code = exit_code


class Terminated(BaseException):
    """Raised in the main thread by the CLI's SIGTERM handler.

    A `BaseException`, like `KeyboardInterrupt`, so that `except Exception` blocks let it through
    and the clean-up of `finally` blocks runs as it does for Ctrl-C.
    """


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
