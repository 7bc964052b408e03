"""Writes a synthetic street-scene data set in the official Cityscapes folder layout."""

import glob
import json
import multiprocessing
import os
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor

import cv2
import numpy as np
from cityscapesscripts.helpers.labels import labels

from tfseg.data.synthetic.scene import render_scene
from tfseg.errors import ConfigError, check_int
from tfseg.io import atomic_write, write_png
from tfseg.io.os_errors import naming_path

MARKER = "tfseg_synth.json"
CITIES = {
    "train": ("ashford", "brookfield", "cedarvale", "dunmore"),
    "val": ("eastwick", "fairhaven"),
    "test": ("glenrock",),
}
# Cityscapes' annotated frame is the 20th of each 30-frame snippet.
_FRAME = 19
# Below this many scenes, starting worker processes costs more than it saves.
_MIN_PARALLEL = 24
# The prefix of the folder inside out_dir that scenes are rendered into.
_STAGING = ".partial-"


def synthesize_scenes(
    out_dir, num_train=200, num_val=40, height=256, width=512, seed=0, *, num_test=0, workers=None
):
    """Renders `num_train` + `num_val` (+ `num_test`) street scenes into `out_dir`.

    Writes, exactly as the official files are formatted:
        leftImg8bit/<split>/<city>/<city>_<seq>_000019_leftImg8bit.png   RGB, 8-bit
        gtFine/<split>/<city>/<city>_<seq>_000019_gtFine_labelIds.png    8-bit gray, label ids
        gtFine/<split>/<city>/<city>_<seq>_000019_gtFine_instanceIds.png 16-bit gray,
            id * 1000 + k for persons, riders, cars and bicycles, the label id elsewhere
        gtFine/<split>/<city>/<city>_<seq>_000019_gtFine_color.png       RGBA label colours
    plus `tfseg_synth.json` recording the arguments. The output depends only on the arguments
    (not on `workers`). Re-running into a folder made by this function replaces it; any other
    non-empty folder is refused. Scenes are rendered into a staging folder and moved into place
    at the end: a run that fails (e.g. a full disk) or is killed leaves no data set that
    `check_dataset` or training would accept.

    Args:
        out_dir: destination folder (created).
        num_train, num_val, num_test: number of scenes per split.
        height, width: image size (e.g. 256x512, or 1024x2048 like Cityscapes).
        seed: the data set's seed.
        workers: processes to render with; default one per CPU core for large sets.

    Returns:
        dict: the number of examples written per split.

    Raises:
        ConfigError: bad sizes or counts, or `out_dir` holds other files.

    Example:
        >>> synthesize_scenes("data/synthetic", num_train=200, num_val=40, height=256, width=512)
        {'train': 200, 'val': 40}
    """
    num_train = check_int("num_train", num_train, minimum=0)
    num_val = check_int("num_val", num_val, minimum=0)
    num_test = check_int("num_test", num_test, minimum=0)
    seed = check_int("seed", seed, minimum=0)
    height = check_int("height", height, minimum=32)
    width = check_int("width", width, minimum=32)
    counts = {"train": num_train, "val": num_val, "test": num_test}
    if num_train + num_val + num_test == 0:
        raise ConfigError("nothing to write: num_train, num_val and num_test are all 0")
    created = not os.path.exists(out_dir)
    staging = _prepare(out_dir)
    try:
        _render_into(staging, counts, seed, height, width, workers)
        written = {split: count for split, count in counts.items() if count}
        settings = dict(
            num_train=num_train,
            num_val=num_val,
            num_test=num_test,
            height=height,
            width=width,
            seed=seed,
        )
        _publish(out_dir, staging, {**settings, "complete": True, "written": written})
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if created:
            shutil.rmtree(out_dir, ignore_errors=True)
        raise
    return written


def _render_into(folder, counts, seed, height, width, workers):
    """Renders every scene into `folder` (the staging folder)."""
    jobs = []
    for split_index, (split, count) in enumerate(counts.items()):
        cities = CITIES[split]
        for city in cities:
            for sub in ("leftImg8bit", "gtFine"):
                if count:
                    os.makedirs(os.path.join(folder, sub, split, city), exist_ok=True)
        for i in range(count):
            city = cities[i % len(cities)]
            stem = f"{city}_{i:06d}_{_FRAME:06d}"
            jobs.append((folder, split, city, stem, (seed, split_index, i), height, width))
    workers = workers or (os.cpu_count() or 1)
    if workers > 1 and len(jobs) >= _MIN_PARALLEL:
        # spawn, not fork: a forked copy of a process that already ran TensorFlow or OpenCV
        # thread pools can hang.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_one_thread) as pool:
            list(pool.map(_write_scene, jobs, chunksize=4))
    else:
        for job in jobs:
            _write_scene(job)


def _publish(out_dir, staging, marker):
    """Moves the finished splits from `staging` into `out_dir`, the marker last.

    Until the last step the marker says `complete: false` (or is missing), and image and label
    folders arrive one after the other, so a kill in between leaves a folder that
    `tfseg data check` and training refuse, never a half-written data set that looks whole.
    """
    marker_path = os.path.join(out_dir, MARKER)
    if os.path.exists(marker_path):
        _write_json(marker_path, {**marker, "complete": False, "written": {}})
    for sub in ("leftImg8bit", "gtFine"):
        shutil.rmtree(os.path.join(out_dir, sub), ignore_errors=True)
        if os.path.isdir(os.path.join(staging, sub)):
            os.replace(os.path.join(staging, sub), os.path.join(out_dir, sub))
    _write_json(marker_path, marker)
    shutil.rmtree(staging, ignore_errors=True)


def _prepare(out_dir):
    """Checks `out_dir` (new, empty, or made by this function) and makes a staging folder in it.

    Scenes are rendered into `<out_dir>/.partial-XXXX/` and moved into place at the end, so a
    failed or killed run leaves no data set under the final names; the staging folders of
    killed runs are removed here.

    Returns:
        The staging folder.
    """
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ConfigError(f"--out={out_dir} is a file, not a folder; choose a new folder")
    if os.path.isdir(out_dir):
        for leftover in glob.glob(os.path.join(out_dir, f"{_STAGING}*")):
            shutil.rmtree(leftover, ignore_errors=True)
        if os.listdir(out_dir) and not os.path.isfile(os.path.join(out_dir, MARKER)):
            raise ConfigError(
                f"{out_dir} is not empty and was not made by `tfseg data synth`; "
                "choose a new folder"
            )
    with naming_path(out_dir):
        os.makedirs(out_dir, exist_ok=True)
        return tempfile.mkdtemp(prefix=_STAGING, dir=out_dir)


def _one_thread():
    # One OpenCV thread per worker process: the processes already use every core.
    cv2.setNumThreads(1)


def _palette():
    palette = np.zeros((256, 4), np.uint8)
    palette[:, 3] = 255
    for label in labels:
        if label.id >= 0:
            palette[label.id, :3] = label.color
    return palette


def _write_scene(job):
    out_dir, split, city, stem, entropy, height, width = job
    rng = np.random.default_rng(np.random.SeedSequence(entropy))
    image, label_ids, instance_ids = render_scene(rng, height, width)
    gt = os.path.join(out_dir, "gtFine", split, city, stem)
    write_png(os.path.join(out_dir, "leftImg8bit", split, city, f"{stem}_leftImg8bit.png"), image)
    write_png(f"{gt}_gtFine_labelIds.png", label_ids)
    write_png(f"{gt}_gtFine_instanceIds.png", instance_ids.astype(np.uint16))
    write_png(f"{gt}_gtFine_color.png", _palette()[label_ids])


def _write_json(path, content):
    atomic_write(path, json.dumps(content, indent=2) + "\n")
