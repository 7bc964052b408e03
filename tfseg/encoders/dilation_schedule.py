"""Which downsampling steps stay strided and which become dilated, for an output stride."""

from tfseg.errors import ConfigError

OUTPUT_STRIDES = (8, 16, 32)


def dilation_schedule(output_stride, steps=5):
    """Returns `(stride, dilation)` for each of an encoder's downsampling steps.

    Step `i` normally halves the resolution (stride 2). Once the requested output stride is
    reached, a step keeps stride 1 and doubles the dilation rate instead, so the receptive field
    grows as if it had downsampled: output stride 8 gives rates 2 and 4 for the stride-16 and
    stride-32 steps, as in the paper's Dilation front-end.

    Args:
        output_stride: 8, 16 or 32.
        steps: number of downsampling steps of the encoder (5 for every encoder here).

    Returns:
        A list of `steps` tuples `(stride, dilation)`.

    Example:
        >>> dilation_schedule(8)
        [(2, 1), (2, 1), (2, 1), (1, 2), (1, 4)]
    """
    if output_stride not in OUTPUT_STRIDES:
        raise ConfigError(f"output_stride must be one of {OUTPUT_STRIDES}, got {output_stride!r}")
    schedule, reached, rate = [], 1, 1
    for _ in range(steps):
        if reached < output_stride:
            reached *= 2
            schedule.append((2, 1))
        else:
            rate *= 2
            schedule.append((1, rate))
    return schedule
