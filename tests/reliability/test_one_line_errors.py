"""The CLI's one place for failures (`_guarded`): anticipated failures are one line and exit code
2 (the user's input) or 3 (the machine), interruptions 130 / 143, bugs keep their traceback."""

import errno
import os

import pytest
import tensorflow as tf

from tfseg.cli.main import _guarded, anticipated_error
from tfseg.errors import DataError, PlatformError, ResourceError, Terminated
from tfseg.io.os_errors import error_from_message, error_from_os_error, naming_path


def run_guarded(raised, capsys):
    def main(argv):
        raise raised

    code = _guarded(main, "demo")(["demo"])
    return code, capsys.readouterr().err


@pytest.mark.parametrize(
    "error, code, text",
    [
        (PermissionError(errno.EACCES, "Permission denied", "/m/best"), 2, "/m/best: permission"),
        (NotADirectoryError(errno.ENOTDIR, "Not a directory", "/f/x"), 2, "is a file, not a"),
        (IsADirectoryError(errno.EISDIR, "Is a directory", "/d"), 2, "/d: is a folder where"),
        (FileExistsError(errno.EEXIST, "File exists", "/m/x"), 2, "/m/x: already exists"),
        (OSError(errno.ENOSPC, "No space left on device", "/m/ckpt"), 3, "no space left"),
        (OSError(errno.EROFS, "Read-only file system", "/ro/m"), 3, "/ro/m: read-only file"),
        (OSError(errno.EIO, "Input/output error", "/m"), 3, "input/output error"),
        (MemoryError(), 3, "out of memory; lower --batch_size"),
        (DataError("x.png: corrupt"), 2, "x.png: corrupt"),
        (PlatformError("no kernel"), 3, "no kernel"),
    ],
)
def test_anticipated_failures_are_one_line_with_their_exit_code(error, code, text, capsys):
    returned, err = run_guarded(error, capsys)
    assert returned == code
    assert err.count("\n") == 1 and err.startswith("tfseg demo: error: ") and text in err
    assert "Traceback" not in err


def test_a_bug_keeps_its_traceback_and_says_it_is_a_bug(capsys):
    returned, err = run_guarded(ZeroDivisionError("division by zero"), capsys)
    assert returned == 1
    assert "Traceback" in err and "ZeroDivisionError" in err
    assert err.strip().splitlines()[-1].startswith("tfseg demo: this is a bug in tfseg")


def test_an_unknown_errno_is_a_bug_not_a_guess(capsys):
    returned, err = run_guarded(OSError(errno.EPIPE, "Broken pipe"), capsys)
    assert returned == 1 and "Traceback" in err


@pytest.mark.parametrize(
    "raised, code, text",
    [
        (KeyboardInterrupt(), 130, "interrupted (SIGINT)"),
        (Terminated(), 143, "interrupted (SIGTERM)"),
    ],
)
def test_interruptions_are_one_line(raised, code, text, capsys):
    returned, err = run_guarded(raised, capsys)
    assert returned == code and err == f"tfseg demo: {text}\n"


def test_tensorflow_file_errors_are_sorted_by_their_message():
    full = tf.errors.ResourceExhaustedError(None, None, "/m/ckpt-1_temp; No space left on device")
    assert isinstance(anticipated_error(full), ResourceError)
    denied = tf.errors.PermissionDeniedError(None, None, "/m/checkpoints; Permission denied")
    assert isinstance(anticipated_error(denied), DataError)
    oom = tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")
    assert "out of memory" in str(anticipated_error(oom))
    assert anticipated_error(tf.errors.InvalidArgumentError(None, None, "shapes differ")) is None


def test_a_message_names_the_path_and_what_was_being_done():
    error = error_from_message("/m/checkpoints", "write failed: No space left on device", "saving")
    assert isinstance(error, ResourceError)
    assert str(error).startswith("/m/checkpoints: no space left on the device while saving; free")


def test_a_failed_write_is_given_the_path_it_was_writing(tmp_path):
    with pytest.raises(OSError) as raised, naming_path(tmp_path / "x"):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    assert str(error_from_os_error(raised.value)).startswith(f"{tmp_path / 'x'}: no space left")


def test_an_os_error_without_errno_is_sorted_by_its_text(capsys):
    error = OSError("Can't write data (file write failed: errno = 28, 'No space left on device')")
    returned, err = run_guarded(error, capsys)
    assert returned == 3 and "no space left on the device" in err and "Traceback" not in err


def test_a_failed_atomic_write_names_the_final_file_not_the_temporary_one(tmp_path):
    from tfseg.io import atomic_write

    folder = tmp_path / "gone"
    with pytest.raises(OSError) as raised:
        atomic_write(str(folder / "metrics.json"), "{}")
    assert raised.value.filename == str(folder / "metrics.json")
