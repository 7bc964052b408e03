"""The synthetic set: official file formats, determinism, realism checks, official evaluation."""

import contextlib
import dataclasses
import hashlib
import io
import os

import numpy as np
import pytest
from PIL import Image

from tfseg.data import synthesize_scenes
from tfseg.data.info import cityscapes_lookup
from tfseg.data.synthetic import render_scene
from tfseg.errors import ConfigError
from tfseg.io import image_header

from .conftest import SYNTH, files

DRAWN = {
    "road": 7,
    "sidewalk": 8,
    "building": 11,
    "pole": 17,
    "traffic light": 19,
    "traffic sign": 20,
    "vegetation": 21,
    "terrain": 22,
    "sky": 23,
    "person": 24,
    "rider": 25,
    "car": 26,
    "bicycle": 33,
}


def test_official_layout_and_formats(synthetic_dir):
    images = files(synthetic_dir, "leftImg8bit/*/*/*_leftImg8bit.png")
    assert len(images) == SYNTH["num_train"] + SYNTH["num_val"]
    name = os.path.basename(images[0])
    city, seq, frame, suffix = name.split("_")
    assert len(seq) == 6 and frame == "000019" and suffix == "leftImg8bit.png"
    stem = images[0].replace("leftImg8bit", "gtFine", 1).replace("_leftImg8bit.png", "_gtFine_")
    h, w = SYNTH["height"], SYNTH["width"]

    def header(path):
        return dataclasses.astuple(image_header(path))

    assert header(images[0]) == ("png", h, w, 3, 8, "RGB")
    assert header(stem + "labelIds.png") == ("png", h, w, 1, 8, "grayscale")
    assert header(stem + "instanceIds.png") == ("png", h, w, 1, 16, "grayscale")
    assert header(stem + "color.png") == ("png", h, w, 4, 8, "RGBA")
    # As Pillow (and so cityscapesscripts) reads the official files.
    assert Image.open(stem + "labelIds.png").mode == "L"
    assert Image.open(stem + "instanceIds.png").mode in ("I", "I;16")
    assert Image.open(stem + "color.png").mode == "RGBA"


def test_instance_ids_agree_with_label_ids(synthetic_dir):
    for path in files(synthetic_dir, "gtFine/*/*/*_labelIds.png"):
        label = np.array(Image.open(path)).astype(np.int64)
        instance = np.array(Image.open(path.replace("labelIds", "instanceIds"))).astype(np.int64)
        np.testing.assert_array_equal(np.where(instance >= 1000, instance // 1000, instance), label)
        things = instance >= 1000
        assert set(np.unique(label[things])) <= {24, 25, 26, 33}  # person, rider, car, bicycle
        color = np.array(Image.open(path.replace("labelIds", "color")))
        from cityscapesscripts.helpers.labels import id2label

        assert tuple(color[0, 0, :3]) == id2label[int(label[0, 0])].color


def test_deterministic_per_seed(tmp_path):
    a, b, c = (str(tmp_path / n) for n in "abc")
    synthesize_scenes(a, 2, 1, 48, 96, seed=5, workers=1)
    synthesize_scenes(b, 2, 1, 48, 96, seed=5, workers=1)
    synthesize_scenes(c, 2, 1, 48, 96, seed=6, workers=1)
    for fa, fb in zip(files(a, "**/*.png"), files(b, "**/*.png")):
        assert open(fa, "rb").read() == open(fb, "rb").read()
    assert any(
        open(fa, "rb").read() != open(fc, "rb").read()
        for fa, fc in zip(files(a, "**/*.png"), files(c, "**/*.png"))
    )


# sha256 over the bytes of image, label_ids and instance_ids (in that order) of
# render_scene(np.random.default_rng(seed), height, width). Computed with the single-file
# tfseg/data/render_scene.py, before it was split into tfseg/data/synthetic/, and unchanged by the
# split. A change to any drawer, or to the order in which random numbers are drawn, moves a pixel
# and fails here; if the change is meant, recompute these and say so. NumPy or OpenCV upgrades
# (random streams, blur, resize, fillPoly) may change them too.
PINNED_SCENES = {
    (0, 48, 96): "40f2280ccb9054fdf6c6cce864fe5ac733f0a71a7fb85f0812eba094af213f55",
    (0, 128, 256): "6211f5e2221ff0c9c47e01c7cba6c488b59657b0a99df27e8ec2cbbd91b3b028",
    (1, 48, 96): "95df4e2aa28905a6162ce6c336bc5fadf0868844e76eeb8077c5239a04fb5e4c",
    (1, 128, 256): "da263dc3bd42992ae130c687246d5216116e452ae0d6e72c62228e84a4702280",
}


@pytest.mark.parametrize("seed, height, width", sorted(PINNED_SCENES))
def test_scenes_are_pinned(seed, height, width):
    arrays = render_scene(np.random.default_rng(seed), height, width)
    assert [(a.dtype, a.shape) for a in arrays] == [
        (np.uint8, (height, width, 3)),
        (np.uint8, (height, width)),
        (np.int32, (height, width)),
    ]
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(array.tobytes())
    assert digest.hexdigest() == PINNED_SCENES[seed, height, width]


def test_every_class_is_drawn_and_scenes_vary():
    seen, areas = set(), []
    for seed in range(10):
        image, label, instance = render_scene(np.random.default_rng(seed), 128, 256)
        assert image.shape == (128, 256, 3) and image.dtype == np.uint8
        assert label.shape == (128, 256) and instance.dtype == np.int32
        seen |= set(np.unique(label).tolist())
        areas.append(np.bincount(label.ravel(), minlength=34)[[7, 11, 23]] / label.size)
    assert set(DRAWN.values()) <= seen
    assert np.std(areas, axis=0).min() > 0.02  # road, building and sky shares vary per scene


def test_colour_alone_does_not_decide_the_class():
    """A per-pixel colour classifier (Bayes on a 16^3 RGB histogram) fails on held-out scenes."""
    table = cityscapes_lookup()
    data = [render_scene(np.random.default_rng(100 + s), 96, 192) for s in range(16)]

    def pixels(scenes):
        x = np.concatenate([s[0].reshape(-1, 3) // 16 for s in scenes]).astype(np.int64)
        y = np.concatenate([table[s[1]].ravel() for s in scenes])
        keep = y != 255
        return (x[:, 0] * 256 + x[:, 1] * 16 + x[:, 2])[keep], y[keep]

    x_train, y_train = pixels(data[:12])
    x_test, y_test = pixels(data[12:])
    histogram = np.zeros((4096, 19))
    np.add.at(histogram, (x_train, y_train), 1)
    predicted = histogram.argmax(1)[x_test]
    accuracy = (predicted == y_test).mean()
    ious = [
        ((predicted == c) & (y_test == c)).sum() / ((predicted == c) | (y_test == c)).sum()
        for c in np.unique(y_test)
    ]
    assert accuracy < 0.75, accuracy  # real networks reach far more: shape and context decide
    assert np.mean(ious) < 0.35, np.mean(ious)


def test_official_evaluation_runs_on_it(synthetic_dir, tmp_path):
    from cityscapesscripts.evaluation import evalPixelLevelSemanticLabeling as official

    ground_truth = files(synthetic_dir, "gtFine/val/*/*_gtFine_labelIds.png")
    perfect, noisy = [], []
    rng = np.random.default_rng(0)
    for path in ground_truth:
        label = np.array(Image.open(path))
        perfect.append(str(tmp_path / ("perfect_" + os.path.basename(path))))
        Image.fromarray(label).save(perfect[-1])
        wrong = label.copy()
        wrong[rng.random(label.shape) < 0.3] = 7  # 30% of pixels predicted as road
        noisy.append(str(tmp_path / ("noisy_" + os.path.basename(path))))
        Image.fromarray(wrong).save(noisy[-1])
    args = official.args
    args.quiet, args.JSONOutput = True, False
    args.exportFile = str(tmp_path / "result.json")
    with contextlib.redirect_stdout(io.StringIO()):
        best = official.evaluateImgLists(perfect, ground_truth, args)
        worse = official.evaluateImgLists(noisy, ground_truth, args)
    assert best["averageScoreClasses"] == pytest.approx(1.0)
    assert best["averageScoreInstClasses"] == pytest.approx(1.0)  # instanceIds were read
    assert best["averageScoreCategories"] == pytest.approx(1.0)
    assert worse["averageScoreClasses"] < 0.9


def test_refuses_a_folder_it_did_not_make(tmp_path, synthetic_dir):
    (tmp_path / "mine.txt").write_text("keep me")
    with pytest.raises(ConfigError, match="not empty"):
        synthesize_scenes(str(tmp_path), 1, 0, 32, 64)
    assert (tmp_path / "mine.txt").read_text() == "keep me"
    with pytest.raises(ConfigError, match="height"):
        synthesize_scenes(str(tmp_path / "new"), 1, 0, 16, 64)


def test_rerun_replaces_its_own_output(tmp_path):
    out = str(tmp_path / "synth")
    synthesize_scenes(out, 3, 0, 32, 64, workers=1)
    assert synthesize_scenes(out, 1, 1, 32, 64, workers=1) == {"train": 1, "val": 1}
    assert len(files(out, "leftImg8bit/train/*/*.png")) == 1  # no stale scenes


@pytest.mark.slow
def test_full_cityscapes_resolution(tmp_path):
    image, label, instance = render_scene(np.random.default_rng(0), 1024, 2048)
    assert image.shape == (1024, 2048, 3) and label.shape == instance.shape == (1024, 2048)
    assert {7, 11, 23} <= set(np.unique(label).tolist())
    # Thin poles and small signs survive at this size too.
    assert np.count_nonzero(label == 17) > 200


def test_files_get_ordinary_permissions(synthetic_dir):
    # Written through a temporary file, but readable like any file the user creates.
    umask = os.umask(0)
    os.umask(umask)
    for path in files(synthetic_dir, "**/*.png")[:3] + files(synthetic_dir, "*.json"):
        assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
