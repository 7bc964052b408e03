"""Deployment helpers that need no TensorFlow.

`jetson_bundle_files()` names the standalone Jetson TensorRT runner and its documents, which an
exporter copies into a Jetson bundle next to `export.json` (see `tfseg/deploy/jetson/README.md`).
"""

import os

_JETSON_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jetson")
JETSON_BUNDLE_FILES = ("segment_trt.py", "README.md", "requirements.txt")


def jetson_bundle_files():
    """Absolute paths of the Jetson runner, its README.md and requirements.txt, in that order.

    Raises FileNotFoundError when one is missing (an install without the package data).
    """
    paths = tuple(os.path.join(_JETSON_DIR, name) for name in JETSON_BUNDLE_FILES)
    missing = [path for path in paths if not os.path.isfile(path)]
    if missing:
        raise FileNotFoundError(
            "tfseg's Jetson runner files are not installed: " + ", ".join(missing)
        )
    return paths
