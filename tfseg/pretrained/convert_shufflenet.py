"""Converts ImageNet ShuffleNet v1 (3 groups, width 1.0) weights to an `.npz` with tfseg's names.

Usage: `python -m tfseg.pretrained.convert_shufflenet SRC DST.npz`, where SRC is the imgclsmob
Chainer file `shufflenet_g3_w1-1326-95df0487.npz` (unzipped from its GitHub release): a plain
`.npz` of arrays, read with `allow_pickle=False`. The PyTorch releases of ShuffleNet v1 (the
authors' and imgclsmob's `.pth`) are pickles and are not supported.

These are standard ShuffleNet v1 weights: the first unit of each stage has a bottleneck
`out / 4` channels wide, where tfseg (as the original TFSegmentation) uses `(out - in) / 4`. So
the three stride-2 units do not fit; `load_pretrained` reports their 45 tensors as shape
mismatches and loads the other 200.
"""

import re
import sys
from pathlib import Path

import numpy as np

from tfseg.errors import DataError
from tfseg.pretrained.checksums import file_digests
from tfseg.pretrained.conversion import check_tensor_shapes, run_converter, write_weights_npz

GROUPS = 3
STAGES = [(2, 240, 4), (3, 480, 8), (4, 960, 4)]  # (tfseg stage, channels, units)
BN_WEIGHTS = ("gamma", "beta", "moving_mean", "moving_variance")
BN_FROM_CHAINER = dict(zip(("gamma", "beta", "avg_mean", "avg_var"), BN_WEIGHTS))
UNIT_PARTS = {
    "compress_conv1": "bottleneck", "compress_bn1": "bottleneck_bn",
    "dw_conv2": "dw", "dw_bn2": "dw_bn",
    "expand_conv3": "expand", "expand_bn3": "expand_bn",
}  # fmt: skip
# Chainer keys: features/init_block/{conv,bn}/<param>, features/stage<i>/unit<j>/<part>/<param>.
CHAINER_KEY = re.compile(
    r"(?:^|/)features/(?:init_block/(conv|bn)|stage(\d)/unit(\d+)/(\w+))/(\w+)$"
)


def convert_shufflenet(src, dst):
    """Converts imgclsmob's Chainer ShuffleNet v1 g=3 1.0x weights to tfseg names.

    Chainer kernels `[out, in / groups, h, w]` become Keras' `[h, w, in / groups, out]` (a
    depthwise `[c, 1, 3, 3]` becomes `[3, 3, c, 1]`); BatchNorm `gamma, beta, avg_mean, avg_var`
    become `gamma, beta, moving_mean, moving_variance`; imgclsmob's `init_block` becomes `conv1`
    and its `stage{i}` tfseg's `stage{i+1}` (`compress_conv1` -> `_bottleneck`, `dw_conv2` ->
    `_dw`, `expand_conv3` -> `_expand`). The classifier is dropped. All 245 tensors of a standard
    g=3 1.0x ShuffleNet must be present with their standard shapes. The source's name, size and
    checksums are recorded for `resolve_pretrained`.

    Args:
        src: imgclsmob's `shufflenet_g3_w1-1326-95df0487.npz`.
        dst: the `.npz` to write (e.g. `pretrained/shufflenet_imagenet.npz`).

    Returns:
        The source record written into the file: `file`, `format`, `size_bytes`, `sha256`,
        `sha1`, `md5`, `tensors`.

    Raises:
        DataError: unreadable or pickle-holding source, or not a g=3 1.0x ShuffleNet v1.

    Example:
        >>> src = "pretrained/shufflenet_g3_w1-1326-95df0487.npz"
        >>> convert_shufflenet(src, "pretrained/shufflenet_imagenet.npz")
        {'file': 'shufflenet_g3_w1-1326-95df0487.npz', 'format': 'chainer-npz', ..., 'tensors': 245}
    """
    src = Path(src)
    if not src.is_file():
        raise DataError(f"ShuffleNet source {src} does not exist")
    try:
        npz = np.load(src, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:  # includes pickles: refused, not loaded
        raise DataError(f"{src}: not a readable .npz of plain arrays ({error})") from error
    if not isinstance(npz, np.lib.npyio.NpzFile):
        raise DataError(f"{src}: a single array, not imgclsmob's ShuffleNet .npz")
    tensors = {}
    with npz:
        for key in npz.files:
            match = CHAINER_KEY.search(key)
            name = _tfseg_name(match) if match else None
            if name is not None:
                tensors[name] = _to_keras_layout(name, _read(npz, key, src))
    _check(tensors, src)
    record = {
        "file": src.name,
        "format": "chainer-npz",
        "converter": "tfseg.pretrained.convert_shufflenet",
        "tensors": len(tensors),
        **file_digests(src),
    }
    write_weights_npz(dst, tensors, record)
    return record


def _read(npz, key, src):
    try:
        return npz[key]
    except ValueError as error:  # an object array: numpy refuses it without pickle
        raise DataError(f"{src}: entry {key!r} holds Python objects (a pickle); refused") from error


def _tfseg_name(match):
    stem_part, stage, unit, part, param = match.groups()
    if stem_part:
        layer = "conv1" if stem_part == "conv" else "conv1_bn"
    elif part in UNIT_PARTS:
        layer = f"stage{int(stage) + 1}_unit{int(unit)}_{UNIT_PARTS[part]}"
    else:
        return None
    if layer.endswith("_bn"):
        return f"{layer}/{BN_FROM_CHAINER[param]}" if param in BN_FROM_CHAINER else None
    return f"{layer}/kernel" if param == "W" else None


def _to_keras_layout(name, value):
    if value.ndim != 4:
        return value
    depthwise = name.endswith("_dw/kernel")
    return np.transpose(value, (2, 3, 0, 1) if depthwise else (2, 3, 1, 0))


def _standard_shapes():
    """`{tfseg name: shape}` of a standard ShuffleNet v1, g=3, 1.0x (imgclsmob's layout)."""
    shapes = {}

    def conv(name, shape, channels):
        shapes[f"{name}/kernel"] = shape
        shapes.update({f"{name}_bn/{w}": (channels,) for w in BN_WEIGHTS})

    conv("conv1", (3, 3, 3, 24), 24)
    channels = 24
    for stage, out, units in STAGES:
        for unit in range(1, units + 1):
            first = unit == 1
            mid = out // 4
            groups = 1 if (stage == 2 and first) else GROUPS
            name = f"stage{stage}_unit{unit}"
            conv(f"{name}_bottleneck", (1, 1, channels // groups, mid), mid)
            conv(f"{name}_dw", (3, 3, mid, 1), mid)
            expand = out - channels if first else out
            conv(f"{name}_expand", (1, 1, mid // GROUPS, expand), expand)
            channels = out
    return shapes


def _check(tensors, src):
    check_tensor_shapes(
        tensors, _standard_shapes(), src, "imgclsmob's ShuffleNet v1 g=3 1.0x weights"
    )


def main(argv=None):
    """Command line: `python -m tfseg.pretrained.convert_shufflenet SRC DST.npz`."""
    return run_converter("shufflenet", convert_shufflenet, __doc__.split("\n\n")[0], argv)


if __name__ == "__main__":
    sys.exit(main())
