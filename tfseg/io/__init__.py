"""Files: atomic writes (bytes, JSON, PNG, README blocks) and image headers read without decoding.

Nothing here knows about data sets or models; every package that writes files goes through it.
"""

from tfseg.io.files import atomic_write, plain_json, replace_marked_block, write_json
from tfseg.io.headers import ImageHeader, image_header
from tfseg.io.png import write_png

__all__ = [
    "ImageHeader",
    "atomic_write",
    "image_header",
    "plain_json",
    "replace_marked_block",
    "write_json",
    "write_png",
]
