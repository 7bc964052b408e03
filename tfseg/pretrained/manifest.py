"""Reads `pretrained/manifest.json`: where each encoder's ImageNet weights come from."""

import json
import os
from pathlib import Path

from tfseg.errors import DataError

MANIFEST_NAME = "manifest.json"
# The repository's own copy, used when `root` holds no manifest (e.g. a root outside the repo).
REPO_MANIFEST = Path(__file__).resolve().parents[2] / "pretrained" / MANIFEST_NAME


def read_manifest(root="pretrained"):
    """Returns the pretrained-weights manifest.

    The manifest lists, per encoder, the file that `--pretrained=auto` loads (`file`) and the
    public files it is made from (`sources`: URL, format, size, checksums, licence, converter).

    Args:
        root: the folder holding the weight files; its `manifest.json` is used if present, else
            the repository's `pretrained/manifest.json`.

    Returns:
        The parsed manifest: `{"encoders": {name: {"file": ..., "sources": [...]}}, ...}`.

    Raises:
        DataError: no manifest found, or it is not valid JSON of that form.

    Example:
        >>> read_manifest()["encoders"]["mobilenet"]["file"]
        'mobilenet_1_0_224_tf_no_top.h5'
    """
    path = Path(os.fspath(root)) / MANIFEST_NAME
    if not path.is_file():
        path = REPO_MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DataError(f"no pretrained-weights manifest at {path}") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DataError(f"{path}: unreadable manifest ({error})") from error
    encoders = manifest.get("encoders") if isinstance(manifest, dict) else None
    if not isinstance(encoders, dict) or not all(
        isinstance(e, dict) and "file" in e and isinstance(e.get("sources"), list)
        for e in encoders.values()
    ):
        raise DataError(f"{path}: expected {{'encoders': {{name: {{'file', 'sources'}}}}}}")
    return manifest
