"""`open_split` resolves a split once; the pipelines and class weights read the `Split` as they
read a folder, without listing or checking its files again. Format facts live on `DatasetInfo`."""

import dataclasses
import os

import numpy as np
import pytest

import tfseg.data.splits
from tfseg.data import class_weights, list_examples, load_dataset, load_eval_dataset, open_split
from tfseg.errors import ConfigError, DataError

from .conftest import files


def test_a_split_holds_its_data_set_and_sorted_examples(synthetic_dir):
    split = open_split(synthetic_dir, "train")
    assert split.info.num_classes == 19 and split.info.root == synthetic_dir
    assert split.name == "train" and split.annotation == "fine" and split.validated
    assert split.data_dir == synthetic_dir
    assert split.image_dir.endswith("leftImg8bit/train") and split.label_dir.endswith(
        "gtFine/train"
    )
    assert list(split.examples) == list_examples(synthetic_dir, "train") and len(split) == 6
    assert split.has_all_instances
    assert len(split.head(2)) == 2 and split.head(2).examples == split.examples[:2]
    with pytest.raises(dataclasses.FrozenInstanceError):
        split.examples = ()


def test_pipelines_and_weights_read_a_split_as_they_read_its_folder(synthetic_dir, monkeypatch):
    split = open_split(synthetic_dir, "train")
    options = dict(height=32, width=64, batch_size=2, training=True, augment="standard", seed=1)
    expected = [b for b in load_dataset(synthetic_dir, "train", **options).take(4)]
    expected_eval = next(iter(load_eval_dataset(synthetic_dir, "train")))
    expected_weights = class_weights(synthetic_dir, cache=False)

    def no_listing(*args, **kwargs):
        raise AssertionError("an opened split was listed again")

    monkeypatch.setattr(tfseg.data.splits, "find_examples", no_listing)
    monkeypatch.setattr(tfseg.data.splits, "header_problems", no_listing)
    for (x, y), (ex, ey) in zip(load_dataset(split, **options).take(4), expected):
        np.testing.assert_array_equal(x, ex)
        np.testing.assert_array_equal(y, ey)
    example = next(iter(load_eval_dataset(split)))
    for key in ("image", "label", "instance", "label_path"):
        np.testing.assert_array_equal(example[key], expected_eval[key])
    assert class_weights(split, cache=False) == expected_weights


def test_keep_void_and_annotation_come_with_the_split(synthetic_dir):
    void = open_split(synthetic_dir, "val", keep_void=True)
    assert void.info.keep_void and void.info.num_classes == 20
    labels = np.concatenate([y.numpy().ravel() for _, y in load_dataset(void, height=32, width=64)])
    assert 19 in labels and 255 not in labels
    assert load_dataset(void, "val", keep_void=True, annotation="fine") is not None
    plain = open_split(synthetic_dir, "val")
    for kwargs, message in (
        (dict(split="train"), "split='train' does not match the opened split 'val'"),
        (dict(annotation="coarse"), "annotation='coarse' does not match"),
        (dict(keep_void=True), "keep_void=True does not match"),
    ):
        with pytest.raises(ConfigError, match=message):
            load_dataset(plain, **kwargs)
    with pytest.raises(ConfigError, match="split must be a folder name"):
        load_dataset(synthetic_dir)  # a folder needs a split


def test_headers_are_checked_once_when_asked(synthetic_copy):
    bad = files(synthetic_copy, "gtFine/val/**/*_labelIds.png")[1]
    open(bad, "w").write("<html>404 not found</html>")
    with pytest.raises(DataError, match="not a PNG") as error:
        open_split(synthetic_copy, "val")
    assert bad in str(error.value)
    unchecked = open_split(synthetic_copy, "val", validate=False)
    assert not unchecked.validated and len(unchecked) == 3
    with pytest.raises(DataError, match="not a PNG"):
        unchecked.validate()
    with pytest.raises(DataError, match="not a PNG"):
        load_eval_dataset(unchecked)  # validate=True checks a split that was not checked
    assert load_eval_dataset(unchecked, validate=False) is not None
    assert open_split(synthetic_copy, "train").validate().validated


def test_pairing_problems_are_raised_by_open_split(synthetic_copy):
    image = files(synthetic_copy, "leftImg8bit/train/**/*.png")[0]
    os.remove(files(synthetic_copy, "gtFine/train/**/*_labelIds.png")[0])
    with pytest.raises(DataError, match="image has no label") as error:
        open_split(synthetic_copy, "train", validate=False)
    assert image in str(error.value)


def test_format_facts_are_on_the_dataset_info(synthetic_dir, custom_dir):
    cityscapes, custom = open_split(synthetic_dir, "val").info, open_split(custom_dir, "val").info
    assert cityscapes.png_images and not custom.png_images
    assert cityscapes.instance_metrics and not custom.instance_metrics
    assert cityscapes.official_evaluation and not custom.official_evaluation
    assert cityscapes.annotations == ("fine", "coarse") and custom.annotations == ("fine",)
    assert cityscapes.default_annotation("train_extra") == "coarse"
    assert (
        cityscapes.default_annotation("val") == custom.default_annotation("train_extra") == "fine"
    )
    layout = cityscapes.split_layout("val", "coarse")
    assert (layout.image_dir, layout.label_dir) == ("leftImg8bit/val", "gtCoarse/val")
    assert layout.label_suffix == "_gtCoarse_labelIds.png"
    assert layout.instance_suffix == "_gtCoarse_instanceIds.png"
    layout = custom.split_layout("val")
    assert (layout.image_dir, layout.label_dir, layout.instance_suffix) == (
        "images/val", "labels/val", None
    )  # fmt: skip
    assert cityscapes.value_names()[7] == "road" and custom.value_names()[255] == "ignore"
    with pytest.raises(ConfigError, match="custom data sets have one annotation"):
        open_split(custom_dir, "val", annotation="coarse")
