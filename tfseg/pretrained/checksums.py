"""Checksums: a file's size and digests in one pass, and which manifest source they identify."""

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


def find_source(entry, digests):
    """Returns the manifest source whose published checksums match `digests`, else None.

    A source matches when at least one checksum is published for it and every published one
    (sha256, sha1, md5, and the size if given) equals the file's. Sources without any published
    checksum never match.

    Args:
        entry: one encoder's manifest entry (`{"file": ..., "sources": [...]}`).
        digests: the file's `file_digests` (size and any of sha256 / sha1 / md5).

    Returns:
        The matching source dict, or None.

    Example:
        >>> entry = read_manifest()["encoders"]["shufflenet"]
        >>> find_source(entry, file_digests("shufflenet_g3_w1-1326-95df0487.npz"))["format"]
        'chainer-npz'
    """
    for source in entry["sources"]:
        published = [a for a in ALGORITHMS if source.get(a)]
        if not published:
            continue
        if source.get("size_bytes") and source["size_bytes"] != digests.get("size_bytes"):
            continue
        if all(digests.get(a) == source[a].lower() for a in published):
            return source
    return None
