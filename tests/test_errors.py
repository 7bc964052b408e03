"""`check_int`: the one integer check of arguments, and its messages."""

import numpy as np
import pytest

from tfseg.errors import ConfigError, check_int, is_int


@pytest.mark.parametrize(
    "value, minimum, message",
    [
        (0, 1, "n must be a positive integer, got 0"),
        (-1, 0, "n must be a non-negative integer, got -1"),
        (31, 32, "n must be an integer >= 32, got 31"),
        (2.0, None, "n must be an integer, got 2.0"),
        (True, 1, "n must be a positive integer, got True"),
        ("3", 1, "n must be a positive integer, got '3'"),
        (None, 0, "n must be a non-negative integer, got None"),
    ],
)
def test_bad_values_are_named_with_what_was_expected(value, minimum, message):
    with pytest.raises(ConfigError) as error:
        check_int("n", value, minimum=minimum)
    assert str(error.value) == message


def test_good_values_come_back_as_python_ints():
    assert check_int("n", 32, minimum=32) == 32
    assert check_int("n", -5) == -5
    value = check_int("n", np.int64(7), minimum=1)
    assert value == 7 and type(value) is int


def test_bools_are_not_integers():
    assert is_int(3) and is_int(np.uint8(3))
    assert not is_int(False) and not is_int(3.0) and not is_int(None)
