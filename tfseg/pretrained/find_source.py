"""Finds which manifest source a file is, by its published checksums."""

from tfseg.pretrained.file_digests import ALGORITHMS


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
