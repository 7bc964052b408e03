"""Shapes, dtypes, value ranges, determinism, alignment and sharding of the training pipeline."""

import cv2
import numpy as np
import pytest
import tensorflow as tf

from tfseg.data import list_examples, load_dataset, load_eval_dataset
from tfseg.errors import ConfigError

from .conftest import CUSTOM_CLASSES, make_custom


def take(dataset, n):
    return [(x.numpy(), y.numpy()) for x, y in dataset.take(n)]


def test_batches_without_augmentation(synthetic_dir):
    ds = load_dataset(synthetic_dir, "val", height=32, width=64, batch_size=2)
    batches = take(ds, 10)
    assert [b[0].shape[0] for b in batches] == [2, 1]  # no repeat, last batch kept
    image, label = batches[0]
    assert image.dtype == np.float32 and image.shape == (2, 32, 64, 3)
    assert label.dtype == np.int32 and label.shape == (2, 32, 64)
    assert 0 <= image.min() and image.max() <= 255 and image.max() > 1  # 0..255, not normalized
    values = set(np.unique(np.concatenate([b[1].ravel() for b in batches])))
    assert values <= set(range(19)) | {255}
    assert {0, 2, 10} <= values  # road, building, sky


def test_training_batches_are_fixed_size_and_repeat(synthetic_dir):
    ds = load_dataset(
        synthetic_dir,
        "train",
        height=32,
        width=64,
        batch_size=4,
        training=True,
        augment="standard",
        photometric=True,
        seed=3,
    )
    assert ds.element_spec[0].shape == (4, 32, 64, 3) and ds.element_spec[1].shape == (4, 32, 64)
    batches = take(ds, 5)  # 6 files: only possible because training repeats
    assert len(batches) == 5
    for image, label in batches:
        assert image.shape == (4, 32, 64, 3) and 0 <= image.min() and image.max() <= 255
        assert set(np.unique(label)) <= set(range(19)) | {255}
    assert (
        take(
            load_dataset(
                synthetic_dir,
                "train",
                height=32,
                width=64,
                batch_size=4,
                training=True,
                repeat=False,
            ),
            10,
        ).__len__()
        == 1
    )


def test_keep_void_trains_void_as_class_19(synthetic_dir):
    plain = np.concatenate(
        [y.ravel() for _, y in take(load_dataset(synthetic_dir, "val", height=32, width=64), 5)]
    )
    void = np.concatenate(
        [
            y.ravel()
            for _, y in take(
                load_dataset(synthetic_dir, "val", height=32, width=64, keep_void=True), 5
            )
        ]
    )
    assert (
        255 in plain and 19 not in plain
    )  # the synthetic scenes contain void (ego vehicle, static)
    assert 255 not in void and 19 in void
    np.testing.assert_array_equal(void == 19, plain == 255)


def test_seeded_pipeline_is_reproducible(synthetic_dir):
    def first_batches(seed):
        return take(
            load_dataset(
                synthetic_dir,
                "train",
                height=32,
                width=64,
                batch_size=2,
                training=True,
                augment="standard",
                photometric=True,
                seed=seed,
            ),
            3,
        )

    a, b, c = first_batches(7), first_batches(7), first_batches(8)
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa, xb)
        np.testing.assert_array_equal(ya, yb)
    assert any(not np.array_equal(xa, xc) for (xa, _), (xc, _) in zip(a, c))


def test_augmentation_keeps_image_and_label_aligned(tmp_path):
    root = make_custom(str(tmp_path / "blocks"), {"train": 3}, height=64, width=96)
    colors = np.array([c["color"] for c in CUSTOM_CLASSES], np.float32)
    colors[0] = 128
    ds = load_dataset(
        root,
        "train",
        height=64,
        width=96,
        batch_size=1,
        training=True,
        augment="standard",
        scale_range=(0.5, 2.0),
        seed=0,
    )
    flipped_or_scaled = 0
    for image, label in take(ds, 24):
        image, label = image[0], label[0]
        # Away from block edges (where bilinear resizing blends colours) the class whose colour
        # is nearest to a pixel must be its label; a crop, flip or scale applied to only one of
        # them breaks this for many pixels, as the mirrored label shows.
        nearest = np.argmin(((image[:, :, None, :] - colors) ** 2).sum(-1), axis=-1)
        known = label != 255
        kernel = np.ones((3, 3), np.uint8)
        interior = known & (
            cv2.erode(label.astype(np.uint8), kernel) == cv2.dilate(label.astype(np.uint8), kernel)
        )
        assert interior.mean() > 0.05
        assert (nearest[interior] == label[interior]).mean() > 0.99
        mirrored = label[:, ::-1]
        assert (nearest[interior] == mirrored[interior]).mean() < 0.7
        # Padding: ignore in the label exactly where the image is black (no black in the blocks).
        padded = image.max(-1) == 0
        assert np.all(label[padded] == 255)
        flipped_or_scaled += (~known).mean() > 1 / 96 or not np.all(label[:8, :8] == 255)
    assert flipped_or_scaled > 12  # the augmentation really moved things


def test_augmentation_needs_training(synthetic_dir):
    with pytest.raises(ConfigError, match="training=True"):
        load_dataset(synthetic_dir, "train", augment="standard")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(augment="heavy"), "augment must be"),
        (dict(height=0), "height must be a positive integer"),
        (dict(batch_size=2.5), "batch_size"),
        (dict(scale_range=(2.0, 0.5)), "scale_range"),
        (dict(shuffle_buffer=0), "shuffle_buffer"),
        (dict(split="../train"), "split must be"),
        (dict(annotation="medium"), "annotation must be"),
    ],
)
def test_bad_values_raise_config_error(synthetic_dir, kwargs, message):
    kwargs = {"split": "train", **kwargs}
    with pytest.raises(ConfigError, match=message):
        load_dataset(synthetic_dir, kwargs.pop("split"), **kwargs)


def test_input_context_shards_and_batches_per_replica(synthetic_dir):
    context = tf.distribute.InputContext(
        num_input_pipelines=2, input_pipeline_id=1, num_replicas_in_sync=2
    )
    ds = load_dataset(
        synthetic_dir, "train", height=32, width=64, batch_size=4, input_context=context
    )
    sizes = [x.shape[0] for x, _ in ds]
    assert sizes == [2, 1]  # 3 of the 6 files, per-replica batch 4 / 2
    policy = ds.options().experimental_distribute.auto_shard_policy
    assert policy == tf.data.experimental.AutoShardPolicy.DATA
    strategy = tf.distribute.get_strategy()
    assert next(iter(strategy.experimental_distribute_dataset(ds)))[0].shape[0] == 2


def test_custom_data_set_with_jpeg_images(tmp_path):
    root = make_custom(str(tmp_path / "jpeg"), {"train": 2}, image_ext=".jpg")
    assert all(e[0].endswith(".jpg") and e[2] is None for e in list_examples(root, "train"))
    image, label = take(load_dataset(root, "train", height=48, width=64, batch_size=2), 1)[0]
    assert image.shape == (2, 48, 64, 3)
    assert set(np.unique(label)) == {0, 1, 2, 3, 255}  # ids 0, 1, 5, 7 -> train ids 0..3


def test_eval_dataset_keeps_full_resolution(synthetic_dir):
    examples = list(load_eval_dataset(synthetic_dir, "val", height=32, width=48))
    assert len(examples) == 3
    example = examples[0]
    assert example["image"].shape == (1, 32, 48, 3) and example["image"].dtype == tf.float32
    assert example["label"].shape == (1, 64, 128) and example["label"].dtype == tf.int32
    assert example["instance"].shape == (1, 64, 128) and example["instance"].dtype == tf.int32
    assert example["label_path"].numpy()[0].decode().endswith("_gtFine_labelIds.png")
    instance = example["instance"].numpy()
    assert instance.max() >= 24000  # persons / cars carry id * 1000 + k


def test_eval_dataset_falls_back_to_label_ids(synthetic_copy, custom_dir):
    import glob
    import os

    for path in glob.glob(os.path.join(synthetic_copy, "gtFine", "val", "*", "*_instanceIds.png")):
        os.remove(path)
    example = next(iter(load_eval_dataset(synthetic_copy, "val", height=32, width=64)))
    raw = tf.io.decode_png(tf.io.read_file(example["label_path"][0]))[:, :, 0].numpy()
    np.testing.assert_array_equal(example["instance"][0].numpy(), raw)
    custom = next(iter(load_eval_dataset(custom_dir, "val", height=16, width=16)))
    assert custom["label"].shape == (1, 48, 64) and not custom["instance"].numpy().any()
