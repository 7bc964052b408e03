"""What the converters share: the shape check, the reproducible `.npz` writer, the command line.

`convert_resnet18.py` and `convert_shufflenet.py` each read one published format and rename its
tensors to tfseg's `<layer>/<weight>` names; then they check the shapes, write the `.npz` with a
record of its source, and report whether that source is one the manifest lists.
"""

import argparse
import io
import json
import os
import sys
import zipfile

import numpy as np

from tfseg.errors import DataError, TfsegError
from tfseg.pretrained.checksums import find_source
from tfseg.pretrained.manifest import read_manifest
from tfseg.pretrained.weight_files import SOURCE_RECORD_KEY

# How many problems a failed shape check names.
SHOWN = 4
# A fixed timestamp makes the same tensors give the same bytes (and so the same checksum).
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


def check_tensor_shapes(tensors, expected, source, description):
    """Raises `DataError` unless every name of `expected` is in `tensors` with its shape.

    Args:
        tensors: `{name: array}` read from the source file.
        expected: `{name: shape tuple}`.
        source: the file, for the message.
        description: what the file should be, e.g. "an ImageNet ResNet-18 weights file".

    Raises:
        DataError: naming `source`, the first missing tensors and the first wrong shapes.

    Example:
        >>> check_tensor_shapes({}, {"conv1/kernel": (3, 3, 3, 24)}, "w.npz", "a ShuffleNet")
        Traceback (most recent call last):
        tfseg.errors.DataError: w.npz: not a ShuffleNet: missing conv1/kernel
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


def write_weights_npz(path, tensors, source=None):
    """Writes `{"<layer>/<weight>": array}` to an `.npz` that loads without pickle.

    Entries are sorted and uncompressed with fixed timestamps, so converting the same file twice
    gives identical bytes. The file is written next to `path` and renamed over it when complete.

    Args:
        path: destination `.npz`.
        tensors: `{"conv1/kernel": np.ndarray, ...}` with tfseg layer and weight names.
        source: optional JSON-serializable record of the converted file (its name, size and
            checksums), stored under `__tfseg_source__` for `resolve_pretrained` to verify.

    Example:
        >>> write_weights_npz("pretrained/x.npz", {"conv1/kernel": np.zeros((3, 3, 3, 32))})
    """
    items = sorted(tensors.items())
    if source is not None:
        items.append((SOURCE_RECORD_KEY, np.array(json.dumps(source, sort_keys=True))))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for key, value in items:
            data = io.BytesIO()
            np.lib.format.write_array(data, np.asarray(value), allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(f"{key}.npy", date_time=ZIP_DATE), data.getvalue())
    path = os.fspath(path)
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(buffer.getvalue())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def run_converter(encoder, convert, description, argv=None):
    """Parses `SRC DST.npz`, runs `convert(SRC, DST)` and says whether SRC is a manifest source.

    Args:
        encoder: the encoder whose manifest entry lists the accepted sources.
        convert: `convert(src, dst) -> record`, the record holding the source's checksums.
        description: the `--help` text.
        argv: the arguments after the program name (default: `sys.argv[1:]`).

    Returns:
        The exit code: 0 on success, 2 on an error (printed as one line on stderr).

    Example:
        >>> run_converter("resnet18", convert_resnet18, "...", ["model.safetensors", "r18.npz"])
        0
    """
    parser = argparse.ArgumentParser(
        prog=f"python -m tfseg.pretrained.convert_{encoder}", description=description
    )
    parser.add_argument("src", help="the downloaded weights file (see pretrained/README.md)")
    parser.add_argument("dst", help="the .npz to write, e.g. pretrained/<file in the manifest>")
    args = parser.parse_args(argv)
    try:
        record = convert(args.src, args.dst)
        entry = read_manifest()["encoders"][encoder]
    except TfsegError as error:
        print(f"convert_{encoder}: error: {error}", file=sys.stderr)
        return 2
    print(
        f"wrote {args.dst}: {record['tensors']} tensors from {args.src} (sha256 {record['sha256']})"
    )
    source = find_source(entry, record)
    if source is not None:
        print(f"verified: {args.src} is the manifest's {source['file']} ({source['url']})")
    else:
        print(
            f"warning: {args.src} matches no checksum published in pretrained/manifest.json; "
            f"--pretrained=auto will not verify {args.dst} (pass its path to load it anyway)"
        )
    return 0
