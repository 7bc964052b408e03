"""The command line shared by the converters: `python -m tfseg.pretrained.convert_<encoder>`."""

import argparse
import sys

from tfseg.errors import TfsegError
from tfseg.pretrained.find_source import find_source
from tfseg.pretrained.read_manifest import read_manifest


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
