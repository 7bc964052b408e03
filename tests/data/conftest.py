"""Small data sets made on the fly: a synthetic Cityscapes-layout set (the shared `synthetic_set`
of tests/conftest.py) and a custom one."""

import glob
import json
import os
import shutil

import cv2
import numpy as np
import pytest

from tfseg.io import write_png

# Tiny but every scene still has a road, buildings, sky and objects.
SYNTH = dict(num_train=6, num_val=3, height=64, width=128, seed=0)
CUSTOM_CLASSES = [
    {"name": "background", "color": [0, 0, 0]},
    {"name": "red", "color": [255, 0, 0]},
    {"name": "green", "color": [0, 255, 0], "id": 5},
    {"name": "blue", "color": [0, 0, 255], "id": 7, "category": "things"},
]


@pytest.fixture(scope="session")
def synthetic_dir(synthetic_set):
    """A read-only synthetic Cityscapes set shared by the tests (copy it before changing it)."""
    return synthetic_set(**SYNTH)


@pytest.fixture
def synthetic_copy(synthetic_dir, tmp_path):
    """A private copy of the synthetic set that a test may break."""
    out = str(tmp_path / "copy")
    shutil.copytree(synthetic_dir, out)
    return out


def files(data_dir, pattern):
    return sorted(glob.glob(os.path.join(data_dir, pattern), recursive=True))


def make_custom(root, splits=None, height=48, width=64, image_ext=".png", seed=0):
    """A custom data set whose image colour encodes the class of every 8x8 block.

    Label values are the JSON ids (0, 1, 5, 7) and 255 (ignore) on a few blocks, so a test can
    check alignment (image colour <-> label) after any geometric transform.
    """
    rng = np.random.default_rng(seed)
    splits = splits or {"train": 4, "val": 2}
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "dataset.json"), "w") as f:
        json.dump({"name": "blocks", "classes": CUSTOM_CLASSES, "ignore_value": 255}, f)
    ids = np.array([c.get("id", i) for i, c in enumerate(CUSTOM_CLASSES)])
    colors = np.array([c["color"] for c in CUSTOM_CLASSES], np.uint8)
    colors[0] = (128, 128, 128)  # background grey, so zero padding is distinguishable
    for split, count in splits.items():
        for k in range(count):
            blocks = rng.integers(0, len(ids), size=(height // 8, width // 8))
            classes = np.kron(blocks, np.ones((8, 8), np.int64))
            label = ids[classes].astype(np.uint8)
            image = colors[classes]
            label[:8, :8] = 255  # an ignored block, top-left (not symmetric)
            sub = os.path.join(root, "images", split, "sub")
            os.makedirs(sub, exist_ok=True)
            os.makedirs(os.path.join(root, "labels", split, "sub"), exist_ok=True)
            name = f"img{k:03d}"
            if image_ext == ".png":
                write_png(os.path.join(sub, name + ".png"), image)
            else:
                cv2.imwrite(
                    os.path.join(sub, name + image_ext),
                    image[:, :, ::-1],
                    [cv2.IMWRITE_JPEG_QUALITY, 95],
                )
            write_png(os.path.join(root, "labels", split, "sub", name + ".png"), label)
    return root


@pytest.fixture
def custom_dir(tmp_path):
    return make_custom(str(tmp_path / "custom"))
