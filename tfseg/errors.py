"""Errors that describe a user's mistake (bad name, flag, file or value).

The CLI prints them as one line, without a traceback, and exits non-zero. Everything else is a bug
and keeps its traceback.
"""


class TfsegError(Exception):
    """Base class for problems the user can fix."""


class ConfigError(TfsegError, ValueError):
    """An invalid name, option or value (also a `ValueError` for API callers)."""


class DataError(TfsegError):
    """A missing, unreadable or inconsistent data file; the message names the file."""


class PlatformError(TfsegError):
    """TensorFlow has no kernel for an op on this machine (CPU features, build, device)."""
