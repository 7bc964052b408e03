"""Data that breaks after the header check: a PNG damaged in the middle, in the training or the
validation split; a folder that cannot be read; a data set without its val split; a dataset.json
pointing outside the data set. Each is one line naming the file, before an epoch is lost."""

import glob
import json
import os
import shutil

import pytest

from tests.reliability.conftest import one_error_line, train_args
from tfseg.data import check_dataset, dataset_info, open_split
from tfseg.data.decode_errors import data_error_from, find_undecodable
from tfseg.errors import DataError


def damage_middle(path):
    """Flips bytes in the middle of the file: the header and the closing IEND chunk stay."""
    data = bytearray(open(path, "rb").read())
    middle = len(data) // 2
    for i in range(middle, middle + 64):
        data[i] ^= 0x55
    open(path, "wb").write(bytes(data))


@pytest.fixture
def data_copy(tiny_cityscapes, tmp_path):
    target = str(tmp_path / "data")
    shutil.copytree(tiny_cityscapes, target)
    return target


def first(data_dir, pattern):
    return sorted(glob.glob(os.path.join(data_dir, pattern), recursive=True))[0]


def test_a_training_image_damaged_mid_file_is_named_and_the_new_dir_removed(
    data_copy, run_tfseg, tmp_path
):
    bad = first(data_copy, "leftImg8bit/train/**/*.png")
    damage_middle(bad)
    model_dir = tmp_path / "model"
    result = run_tfseg(*train_args(data_copy, model_dir, "--epochs=1"))
    line = one_error_line(result, "train")
    assert result.returncode == 2 and f"{bad}: cannot decode (" in line
    assert "tfseg data check" in line
    assert not model_dir.exists()  # failed before its first checkpoint: nothing left behind


def test_a_validation_label_damaged_mid_file_stops_the_run_before_the_first_epoch(
    data_copy, run_tfseg, tmp_path
):
    bad = first(data_copy, "gtFine/val/**/*_labelIds.png")
    damage_middle(bad)
    result = run_tfseg(*train_args(data_copy, tmp_path / "model", "--epochs=1"))
    line = one_error_line(result, "train")
    assert result.returncode == 2 and bad in line
    assert "Epoch 1/1" not in result.stdout
    assert not (tmp_path / "model").exists()


def test_the_decoder_error_is_traced_to_its_file(data_copy):
    import tensorflow as tf

    bad = first(data_copy, "leftImg8bit/train/**/*.png")
    damage_middle(bad)
    split = open_split(data_copy, "train")
    assert find_undecodable(split)[0] == bad
    error = tf.errors.InvalidArgumentError(None, None, "Invalid PNG data, size 9 [[{{node X}}]]")
    found = data_error_from(error, split)
    assert isinstance(found, DataError) and str(found).startswith(f"{bad}: cannot decode (")


def test_check_names_a_file_damaged_mid_file(data_copy):
    bad = first(data_copy, "leftImg8bit/val/**/*.png")
    damage_middle(bad)
    report = check_dataset(data_copy)
    assert not report.ok and bad in [path for path, _ in report.problems]


def test_check_fails_a_data_set_without_a_val_split(data_copy):
    for top in ("leftImg8bit", "gtFine"):
        shutil.rmtree(os.path.join(data_copy, top, "val"))
    report = check_dataset(data_copy)
    assert not report.ok and "no 'val' split" in report.to_text()


def test_an_unreadable_folder_is_reported_as_such(data_copy):
    folder = os.path.dirname(first(data_copy, "leftImg8bit/train/**/*.png"))
    os.chmod(folder, 0o000)
    try:
        if os.access(folder, os.R_OK):
            pytest.skip("chmod does not stop reads here (running as root)")
        report = check_dataset(data_copy, "train")
    finally:
        os.chmod(folder, 0o755)
    assert (folder, "cannot read the folder (permission denied)") in report.problems


def test_a_dataset_json_pointing_outside_the_data_set_is_refused(tmp_path):
    root = tmp_path / "custom"
    root.mkdir()
    classes = [{"name": "a", "color": [0, 0, 0]}, {"name": "b", "color": [1, 1, 1]}]
    (root / "dataset.json").write_text(json.dumps({"classes": classes, "image_dir": "../other"}))
    with pytest.raises(DataError, match="'image_dir' must be a folder inside the data set"):
        dataset_info(str(root))


@pytest.mark.xdist_group("reliability_trained")
def test_evaluate_names_a_validation_image_damaged_mid_file(trained_run, data_copy, run_tfseg):
    bad = first(data_copy, "leftImg8bit/val/**/*.png")
    damage_middle(bad)
    result = run_tfseg("evaluate", f"--model_dir={trained_run}", f"--data_dir={data_copy}",
                       "--noprogress")  # fmt: skip
    line = one_error_line(result, "evaluate")
    assert result.returncode == 2 and f"{bad}: cannot decode (" in line


@pytest.mark.parametrize(
    "breakage, expected",
    [("bad_ids", "values outside the label table: 250"),
     ("empty", "no images in split 'val'"),
     ("escape", "split must be a folder name")],
)  # fmt: skip
def test_validation_problems_stop_the_run_before_the_first_epoch(
    breakage, expected, data_copy, run_tfseg, tmp_path
):
    import cv2

    extra = []
    if breakage == "bad_ids":
        label = first(data_copy, "gtFine/val/**/*_labelIds.png")
        values = cv2.imread(label, cv2.IMREAD_UNCHANGED)
        values[0, 0] = 250
        cv2.imwrite(label, values)
    elif breakage == "empty":
        for path in glob.glob(os.path.join(data_copy, "*", "val", "*", "*.png")):
            os.unlink(path)
    else:
        extra = ["--val_split=../train"]
    result = run_tfseg(*train_args(data_copy, tmp_path / "model", "--epochs=1", *extra))
    line = one_error_line(result, "train")
    assert result.returncode == 2 and expected in line
    assert "Epoch 1/1" not in result.stdout and not (tmp_path / "model").exists()


@pytest.mark.parametrize("cut", ["two_thirds", "end_marker"])
def test_a_truncated_jpeg_is_caught_by_the_header_check(tmp_path, cut):
    """OpenCV decodes a truncated JPEG with a warning, so the checker's decode passed it;
    TensorFlow refuses it mid-epoch. The header check now looks for the end-of-image marker."""
    import cv2
    import numpy as np

    from tfseg.io import image_header

    path = str(tmp_path / "x.jpg")
    cv2.imwrite(path, np.random.default_rng(0).integers(0, 256, (64, 128, 3), np.uint8))
    data = open(path, "rb").read()
    assert image_header(path).format == "jpeg"
    open(path, "wb").write(data[: len(data) * 2 // 3] if cut == "two_thirds" else data[:-2])
    with pytest.raises(DataError, match="truncated JPEG .no end-of-image marker."):
        image_header(path)
