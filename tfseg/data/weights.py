"""Class weights from pixel frequencies (ENet or median-frequency balancing), cached as JSON."""

import hashlib
import json
import logging
import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from tfseg.data.readers import read_label_file
from tfseg.data.splits import as_split
from tfseg.errors import ConfigError, DataError
from tfseg.io import atomic_write

METHODS = ("enet", "median")
FORMULAS = {
    "enet": "w_c = 1 / ln(c + p_c), p_c = n_c / sum_k n_k (ENet); ignore pixels excluded",
    "median": (
        "w_c = median_k(f_k) / f_c, f_c = n_c / (pixels of the images in which c occurs) "
        "(median frequency balancing); ignore pixels excluded; 0 for classes that never occur"
    ),
}
CACHE_VERSION = 1
_THREADS = 4
_log = logging.getLogger(__name__)


def class_weights(
    data_dir, split=None, method="enet", c=1.02, *, keep_void=False, annotation=None, cache=True
):
    """Per-class loss weights computed from the label files of a split.

    ENet weighting: `w_c = 1 / ln(c + p_c)` with `p_c` the share of class c among all non-ignored
    pixels. Median-frequency balancing: `w_c = median(f) / f_c` with `f_c` the pixels of class c
    over the pixels of the images in which c occurs. Label files are read one at a time at full
    resolution (never all in memory). The counts are cached in
    `<data_dir>/class_weights.<split>.<annotation>[.void].json` together with the formula and the
    weights; the cache is reused while the label files (names, sizes, modification times) are
    unchanged.

    Args:
        data_dir: data set root (Cityscapes layout or custom), or a `Split` from `open_split`
            (which carries its split, annotation and keep_void).
        split: the split to count; default "train".
        method: "enet" (the original's) or "median".
        c: the ENet constant (> 1; 1.02 in ENet and the original).
        keep_void: count void as the last class, as the original did.
        annotation: Cityscapes "fine" or "coarse"; default coarse only for train_extra.
        cache: read and write the JSON cache.

    Returns:
        dict with `method`, `formula`, `c` (enet), `class_names`, `counts` (pixels per class),
        `ignored_pixels`, `frequencies` (p_c or f_c) and `weights`, the last three keyed by class
        name in train-id order, plus `split`, `annotation`, `keep_void`, `num_files`,
        `files_digest`.

    Raises:
        DataError: an unreadable label file or one with values outside the label table (named).
        ConfigError: a bad method or c.

    Example:
        >>> result = class_weights("data/synthetic")
        >>> weights = list(result["weights"].values())  # index = train id
    """
    if method not in METHODS:
        raise ConfigError(f"method must be one of {METHODS}, got {method!r}")
    if (
        isinstance(c, bool)
        or not isinstance(c, (int, float))
        or not c > 1.0
        or not math.isfinite(c)
    ):
        raise ConfigError(f"c must be a number > 1 (so that every ln(c + p) > 0), got {c!r}")
    opened = as_split(
        data_dir, split, default="train", annotation=annotation, keep_void=keep_void,
        validate=False,
    )  # fmt: skip
    info, split, annotation = opened.info, opened.name, opened.annotation
    label_paths = [label for _, label, _ in opened.examples]
    digest = _digest(opened.data_dir, label_paths)
    suffix = ".void" if info.keep_void else ""
    cache_path = os.path.join(opened.data_dir, f"class_weights.{split}.{annotation}{suffix}.json")

    counts = _read_cache(cache_path, digest, info.class_names) if cache else None
    if counts is None:
        counts = count_classes(label_paths, info.lookup_table(), info.num_classes)
    result = {
        "method": method,
        "formula": FORMULAS[method],
        **({"c": float(c)} if method == "enet" else {}),
        "split": split,
        "annotation": annotation,
        "keep_void": info.keep_void,
        "num_files": len(label_paths),
        "files_digest": digest,
        "class_names": list(info.class_names),
        "ignored_pixels": int(counts["ignored"]),
        "counts": _by_name(info.class_names, counts["pixels"], int),
        "image_pixels": _by_name(info.class_names, counts["image_pixels"], int),
    }
    frequencies, weights = weights_from_counts(counts["pixels"], counts["image_pixels"], method, c)
    result["frequencies"] = _by_name(info.class_names, frequencies, float)
    result["weights"] = _by_name(info.class_names, weights, float)
    if cache:
        try:
            atomic_write(
                cache_path, json.dumps({"version": CACHE_VERSION, **result}, indent=2) + "\n"
            )
        except OSError as error:  # a read-only data set still gets its weights
            _log.warning("could not write the class-weight cache %s: %s", cache_path, error)
    return result


def weights_from_counts(pixels, image_pixels, method="enet", c=1.02):
    """The weight formula alone.

    Args:
        pixels: pixels per class.
        image_pixels: per class, the non-ignored pixels of the images that contain it (median).
        method: "enet" or "median".
        c: ENet constant.

    Returns:
        `(frequencies, weights)` as float64 arrays.

    Example:
        >>> weights_from_counts([3, 1], [4, 4])[1]  # 1/ln(1.02+0.75), 1/ln(1.02+0.25)
        array([1.75..., 4.18...])
    """
    pixels = np.asarray(pixels, np.float64)
    if method == "enet":
        total = pixels.sum()
        frequencies = pixels / total if total > 0 else np.zeros_like(pixels)
        return frequencies, 1.0 / np.log(c + frequencies)
    image_pixels = np.asarray(image_pixels, np.float64)
    present = image_pixels > 0
    frequencies = np.where(present, pixels / np.where(present, image_pixels, 1), 0.0)
    weights = np.zeros_like(frequencies)
    if present.any():
        weights[present] = np.median(frequencies[present]) / frequencies[present]
    return frequencies, weights


def count_classes(label_paths, table, num_classes):
    """Streams over label files, counting pixels per train id.

    Returns:
        dict with `pixels` (int64 `[num_classes]`), `image_pixels` (per class, the non-ignored
        pixels of the images containing it) and `ignored` (pixels mapped to the ignore value).
    """
    table = np.asarray(table)
    pixels = np.zeros(num_classes, np.int64)
    image_pixels = np.zeros(num_classes, np.int64)
    ignored = 0
    trained = (table >= 0) & (table < num_classes)

    def histogram(path):
        values = np.bincount(read_label_file(path).ravel(), minlength=256)
        unknown = np.flatnonzero((values > 0) & (table < 0))
        if unknown.size:
            listed = ", ".join(str(v) for v in unknown[:10])
            raise DataError(f"{path}: values outside the label table: {listed}")
        return values

    with ThreadPoolExecutor(_THREADS) as pool:  # OpenCV decodes without holding the GIL
        for values in pool.map(histogram, label_paths):
            per_class = np.bincount(table[trained], weights=values[trained], minlength=num_classes)
            per_class = per_class.astype(np.int64)
            pixels += per_class
            image_pixels[per_class > 0] += per_class.sum()
            ignored += int(values[~trained & (table >= 0)].sum())
    return {"pixels": pixels, "image_pixels": image_pixels, "ignored": ignored}


def _digest(data_dir, paths):
    sha = hashlib.sha256()
    for path in paths:
        try:
            stat = os.stat(path)
        except OSError as error:
            raise DataError(f"{path}: cannot read file ({error.strerror})") from None
        sha.update(
            f"{os.path.relpath(path, data_dir)}\t{stat.st_size}\t{stat.st_mtime_ns}\n".encode()
        )
    return sha.hexdigest()


def _read_cache(path, digest, class_names):
    try:
        with open(path, encoding="utf-8") as f:
            cached = json.load(f)
        if cached.get("version") != CACHE_VERSION or cached.get("files_digest") != digest:
            return None
        if cached.get("class_names") != list(class_names):
            return None
        return {
            "pixels": np.array([cached["counts"][n] for n in class_names], np.int64),
            "image_pixels": np.array([cached["image_pixels"][n] for n in class_names], np.int64),
            "ignored": int(cached["ignored_pixels"]),
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no cache, or an unreadable one: count again


def _by_name(names, values, cast):
    return {name: cast(value) for name, value in zip(names, values)}
