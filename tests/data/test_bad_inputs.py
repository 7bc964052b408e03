"""Every kind of bad input gives an error naming the file: in the checker, when a pipeline is
built, and (with the header check skipped) while the pipeline runs."""

import os
import shutil

import cv2
import numpy as np
import pytest
import tensorflow as tf

from tfseg.data import check_dataset, list_examples, load_dataset
from tfseg.errors import ConfigError, DataError

from .conftest import files


def iterate(data_dir, validate):
    for _ in load_dataset(data_dir, "train", height=32, width=64, batch_size=2, validate=validate):
        pass


def break_unknown_ids(root):
    path = files(root, "gtFine/train/**/*_labelIds.png")[1]
    label = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    label[::2, ::2] = (
        40  # ids 34..255 are not Cityscapes labels; every other pixel, so resizing keeps some
    )
    label[1::4, 1::4] = 201
    cv2.imwrite(path, label)
    return path, "values outside the label table: 40, 201"


def break_truncated(root):
    path = files(root, "leftImg8bit/train/**/*.png")[2]
    data = open(path, "rb").read()
    open(path, "wb").write(data[: len(data) // 2])
    return path, "truncated"


def break_size(root):
    path = files(root, "leftImg8bit/train/**/*.png")[3]
    cv2.imwrite(path, np.zeros((40, 100, 3), np.uint8))
    return path, "40x100"


def break_rgb_label(root):
    path = files(root, "gtFine/train/**/*_labelIds.png")[0]
    cv2.imwrite(path, cv2.cvtColor(cv2.imread(path, 0), cv2.COLOR_GRAY2BGR))
    return path, "8-bit single-channel"


def break_not_png(root):
    path = files(root, "gtFine/train/**/*_labelIds.png")[4]
    open(path, "w").write("<html>404 not found</html>")
    return path, "not a PNG"


BREAKERS = [break_unknown_ids, break_truncated, break_size, break_rgb_label, break_not_png]


@pytest.mark.parametrize("breaker", BREAKERS, ids=lambda b: b.__name__)
def test_pipeline_names_the_bad_file(synthetic_copy, breaker):
    path, message = breaker(synthetic_copy)
    if breaker is not break_unknown_ids:  # header problems are caught before the pipeline runs
        with pytest.raises(DataError) as error:
            iterate(synthetic_copy, validate=True)
        assert path in str(error.value)
    # ... and, without that check, while it runs.
    with pytest.raises(tf.errors.InvalidArgumentError) as error:
        iterate(synthetic_copy, validate=False)
    assert path in error.value.message
    if breaker is not break_size:
        assert message.split(":")[0] in error.value.message


@pytest.mark.parametrize("breaker", BREAKERS, ids=lambda b: b.__name__)
def test_checker_names_the_bad_file(synthetic_copy, breaker):
    path, message = breaker(synthetic_copy)
    report = check_dataset(synthetic_copy)
    assert not report.ok
    assert [p for p, _ in report.problems] == [path]
    assert message in report.problems[0][1]
    assert path in report.to_text() and report.to_text().endswith("FAILED: 1 problem(s)")


def test_corrupt_middle_of_png_is_found_by_the_checker(synthetic_copy):
    path = files(synthetic_copy, "leftImg8bit/val/**/*.png")[0]
    data = bytearray(open(path, "rb").read())
    data[len(data) // 2] ^= 0xFF  # a flipped byte inside the compressed data: the header is fine
    open(path, "wb").write(bytes(data))
    report = check_dataset(synthetic_copy, "val")
    assert [p for p, _ in report.problems] == [path]
    assert "corrupt" in report.problems[0][1]


def test_unpaired_files_and_missing_folders(synthetic_copy):
    image = files(synthetic_copy, "leftImg8bit/train/**/*.png")[0]
    label = files(synthetic_copy, "gtFine/val/**/*_labelIds.png")[0]
    os.remove(files(synthetic_copy, "gtFine/train/**/*_labelIds.png")[0])
    os.remove(files(synthetic_copy, "leftImg8bit/val/**/*.png")[0])
    with pytest.raises(DataError, match="image has no label") as error:
        list_examples(synthetic_copy, "train")
    assert image in str(error.value)
    with pytest.raises(DataError, match="label has no image") as error:
        load_dataset(synthetic_copy, "val")
    assert label in str(error.value)
    with pytest.raises(DataError, match="folder not found") as error:
        list_examples(synthetic_copy, "test")
    assert os.path.join(synthetic_copy, "leftImg8bit", "test") in str(error.value)
    report = check_dataset(synthetic_copy)
    assert {p for p, _ in report.problems} == {image, label}


def test_empty_split(synthetic_copy):
    for sub in ("leftImg8bit", "gtFine"):
        shutil.rmtree(os.path.join(synthetic_copy, sub, "val"))
        os.makedirs(os.path.join(synthetic_copy, sub, "val", "nowhere"))
    with pytest.raises(DataError, match="split is empty") as error:
        load_dataset(synthetic_copy, "val")
    assert os.path.join(synthetic_copy, "leftImg8bit", "val") in str(error.value)
    report = check_dataset(synthetic_copy, "val")
    assert not report.ok and "empty" in report.problems[0][1]


def test_checker_on_good_data(synthetic_dir, custom_dir):
    report = check_dataset(synthetic_dir)
    assert report.ok, report.to_text()
    assert [(s.split, s.num_examples, s.num_instances) for s in report.splits] == [
        ("train", 6, 6),
        ("val", 3, 3),
    ]
    assert report.splits[0].image_sizes == {"64x128": 6}
    assert set(report.splits[0].label_histogram) <= set(range(34))
    assert sum(report.splits[0].label_histogram.values()) == 6 * 64 * 128
    text = report.to_text()
    assert "road" in text and text.endswith("OK")
    custom = check_dataset(custom_dir)
    assert custom.ok, custom.to_text()
    assert set(custom.splits[0].label_histogram) == {0, 1, 5, 7, 255}
    assert "blue" in custom.to_text()


def test_checker_on_a_folder_that_is_not_a_data_set(tmp_path):
    report = check_dataset(str(tmp_path))
    assert not report.ok and "not a data set" in report.problems[0][1]


def test_coarse_layout(synthetic_copy):
    """train_extra reads gtCoarse by default; val can be read with either annotation."""
    root = synthetic_copy
    os.rename(
        os.path.join(root, "leftImg8bit", "train"), os.path.join(root, "leftImg8bit", "train_extra")
    )
    for split, target in (("train", "train_extra"), ("val", "val")):
        for path in files(root, f"gtFine/{split}/*/*_gtFine_*.png"):
            coarse = path.replace("gtFine", "gtCoarse").replace(f"/{split}/", f"/{target}/", 1)
            os.makedirs(os.path.dirname(coarse), exist_ok=True)
            shutil.copy(path, coarse)
    shutil.rmtree(os.path.join(root, "gtFine", "train"))
    examples = list_examples(root, "train_extra")
    assert len(examples) == 6
    assert all(
        "_gtCoarse_labelIds.png" in label and "_gtCoarse_instanceIds" in instance
        for _, label, instance in examples
    )
    assert "/gtCoarse/val/" in list_examples(root, "val", annotation="coarse")[0][1]
    assert "/gtFine/val/" in list_examples(root, "val")[0][1]
    with pytest.raises(ConfigError, match="only coarse"):
        list_examples(root, "train_extra", annotation="fine")
    image, label = next(iter(load_dataset(root, "train_extra", height=32, width=64)))
    assert image.shape == (4, 32, 64, 3)
    report = check_dataset(root)
    assert report.ok, report.to_text()
    assert [(s.split, s.annotation) for s in report.splits] == [
        ("val", "fine"),
        ("val", "coarse"),
        ("train_extra", "coarse"),
    ]
