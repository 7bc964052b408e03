"""Checksums of a (possibly large) file, computed in one pass."""

import hashlib
import os

ALGORITHMS = ("sha256", "sha1", "md5")
CHUNK_BYTES = 1 << 20


def file_digests(path, algorithms=ALGORITHMS):
    """Returns the size and the hex digests of a file, reading it once.

    Publishers state different hashes (keras.applications an md5, the imgclsmob model store a
    sha1, Hugging Face a sha256), so several can be computed in the same pass.

    Args:
        path: the file.
        algorithms: any of `"sha256"`, `"sha1"`, `"md5"`.

    Returns:
        `{"size_bytes": int, "<algorithm>": "<hex digest>", ...}`.

    Example:
        >>> file_digests("pretrained/mobilenet_1_0_224_tf_no_top.h5", ["md5"])
        {'size_bytes': 17225924, 'md5': '725ccbd03d61d7ced5b5c4cd17e7d527'}
    """
    hashes = {name: hashlib.new(name) for name in algorithms}
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_BYTES):
            for h in hashes.values():
                h.update(chunk)
    return {"size_bytes": os.path.getsize(path), **{k: h.hexdigest() for k, h in hashes.items()}}
