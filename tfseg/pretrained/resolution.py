"""`resolve_pretrained`: turns `--pretrained=PATH|auto|none` into a verified local file."""

import os
import warnings
from pathlib import Path

from tfseg.errors import ConfigError, DataError
from tfseg.pretrained.checksums import ALGORITHMS, file_digests, find_source
from tfseg.pretrained.encoder_layers import pretrained_spec
from tfseg.pretrained.manifest import read_manifest
from tfseg.pretrained.weight_files import read_weight_file


def resolve_pretrained(encoder, value, root="pretrained"):
    """Returns the weights file that `--pretrained=value` designates for `encoder`, or None.

    * `none` (or None, or an empty string): no pretrained weights; returns None.
    * `auto`: the manifest's file for the encoder under `root`. A file downloaded as is (the
      keras.applications h5 files) must have the manifest's size and published checksum; a
      converted `.npz` must record (see the converters) that it was made from a source whose
      published checksum the manifest lists. A missing file is an error that says where to
      download it and how to convert it. Nothing is ever downloaded.
    * anything else: a path to a weights file, used as given (`load_pretrained` still checks
      its format and every tensor's shape).

    Args:
        encoder: `vgg16`, `resnet18`, `mobilenet` or `shufflenet`.
        value: the flag's value: a path, `"auto"` or `"none"`.
        root: the folder the manifest's files are placed in.

    Returns:
        A `pathlib.Path`, or None for `none`.

    Raises:
        ConfigError: unknown encoder, or one without pretrained support (`auto` also needs a
            manifest entry).
        DataError: the file is missing, or (for `auto`) its size or checksum is not the
            manifest's, or it was converted from an unknown file.

    Example:
        >>> resolve_pretrained("mobilenet", "auto")
        PosixPath('pretrained/mobilenet_1_0_224_tf_no_top.h5')
        >>> resolve_pretrained("mobilenet", "none") is None
        True
    """
    spec = pretrained_spec(encoder)
    text = "" if value is None else os.fspath(value).strip()
    if text.lower() in ("", "none"):
        return None
    if text.lower() == "auto":
        if spec.manifest_key is None:
            raise ConfigError(
                f"encoder {encoder!r} has no entry in the pretrained manifest (its EncoderSpec "
                "has no manifest_key): pass --pretrained=PATH to a weights file"
            )
        return _resolve_auto(spec.manifest_key, Path(os.fspath(root)))
    path = Path(text).expanduser()
    if not path.is_file():
        raise DataError(
            f"pretrained weights file {path} does not exist (--pretrained takes a file, "
            "'auto' or 'none')"
        )
    return path


def _resolve_auto(encoder, root):
    entry = read_manifest(root)["encoders"].get(encoder)
    if entry is None:
        raise DataError(f"the pretrained manifest has no entry for {encoder}")
    direct = [s for s in entry["sources"] if not s.get("converter")]
    names = [entry["file"]] + [s["file"] for s in direct if s["file"] != entry["file"]]
    for name in names:
        path = root / name
        if path.is_file():
            _verify(path, entry, direct)
            return path
    raise DataError(_how_to_get(encoder, entry, root))


def _verify(path, entry, direct):
    source = next((s for s in direct if s["file"] == path.name), None)
    if source is not None:
        _verify_download(path, source)
    else:
        _verify_conversion(path, entry)


def _verify_download(path, source):
    algorithms = [a for a in ALGORITHMS if source.get(a)]
    digests = file_digests(path, algorithms)
    expected_size = source.get("size_bytes")
    if expected_size and digests["size_bytes"] != expected_size:
        raise DataError(
            f"{path} has {digests['size_bytes']} bytes, the manifest expects {expected_size}: an "
            f"incomplete download or another file. Download it again from {source['url']}"
        )
    for algorithm in algorithms:
        if digests[algorithm] != source[algorithm].lower():
            raise DataError(
                f"{path}: checksum mismatch, {algorithm} is {digests[algorithm]} but the manifest "
                f"expects {source[algorithm]} ({source.get('hash_note', 'published hash')}). The "
                f"file is corrupt or not the published one; download it again from {source['url']}"
            )
    if not algorithms:
        warnings.warn(f"{path}: no published checksum to verify it against", stacklevel=4)


def _verify_conversion(path, entry):
    converted = [s for s in entry["sources"] if s.get("converter")]
    with read_weight_file(path) as weights:
        record = weights.metadata.get("source")
    commands = "; or ".join(s["converter"] for s in converted) or "a converter"
    if not record:
        raise DataError(f"{path} records no source file; create it with: {commands}")
    if find_source({"sources": converted}, record):
        return
    unhashed = [
        s for s in converted if s["file"] == record.get("file") and not any(map(s.get, ALGORITHMS))
    ]
    if unhashed:
        warnings.warn(
            f"{path} was converted from {record.get('file')}, for which no checksum is published; "
            "it cannot be verified",
            stacklevel=4,
        )
        return
    raise DataError(
        f"{path} was converted from {record.get('file')} (sha256 {record.get('sha256')}), which "
        "matches no source in the pretrained manifest (a different or corrupt download). "
        f"Download a listed source and convert it again ({commands}), or pass --pretrained={path} "
        "to load this file without verification"
    )


def _how_to_get(encoder, entry, root):
    lines = [f"no pretrained {encoder} weights under {root}/: expected {root / entry['file']}."]
    for source in entry["sources"]:
        step = f"download {source['url']}"
        if source.get("archive"):
            step += f" ({source['archive']})"
        step += f" to {root / source['file']}"
        if source.get("converter"):
            step += f", then run: {source['converter']}"
        lines.append(f"  - {step}")
    lines.append("See pretrained/README.md. Nothing is downloaded automatically.")
    return "\n".join(lines)
