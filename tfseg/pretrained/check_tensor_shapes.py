"""The converters' sanity check: the source file holds the expected tensors and shapes."""

from tfseg.errors import DataError

SHOWN = 4


def check_tensor_shapes(tensors, expected, source, description):
    """Raises `DataError` unless every name of `expected` is in `tensors` with its shape.

    Args:
        tensors: `{name: array}` read from the source file.
        expected: `{name: shape tuple}`.
        source: the file, for the message.
        description: what the file should be, e.g. "an ImageNet ResNet-18 weights file".
    """
    missing = sorted(set(expected) - set(tensors))
    wrong = [
        f"{name} {tuple(tensors[name].shape)} (expected {shape})"
        for name, shape in expected.items()
        if name in tensors and tuple(tensors[name].shape) != shape
    ]
    if missing or wrong:
        problems = wrong[:SHOWN]
        if missing:
            more = " ..." if len(missing) > SHOWN else ""
            problems.insert(0, f"missing {', '.join(missing[:SHOWN])}{more}")
        raise DataError(f"{source}: not {description}: {'; '.join(problems)}")
