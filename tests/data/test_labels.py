"""The label table and data set description match cityscapesscripts."""

import json

import numpy as np
import pytest
from cityscapesscripts.helpers.labels import id2label, labels, trainId2label

from tfseg.data import dataset_info
from tfseg.data.info import cityscapes_lookup
from tfseg.errors import DataError


@pytest.mark.parametrize("keep_void", [False, True])
def test_lookup_equals_cityscapesscripts_for_every_id(keep_void):
    table = cityscapes_lookup(keep_void=keep_void)
    assert table.shape == (256,) and table.dtype == np.int32
    for label_id in range(256):
        if label_id in id2label:
            official = id2label[label_id].trainId
            expected = official if 0 <= official < 19 else (19 if keep_void else 255)
        else:
            expected = -1  # not a Cityscapes id: the pipeline rejects it
        assert table[label_id] == expected, label_id
    assert sorted(set(table[table < 19]) - {-1}) == list(range(19))


def test_cityscapes_info_follows_train_ids(synthetic_dir):
    info = dataset_info(synthetic_dir)
    assert info.format == "cityscapes" and info.num_classes == 19 and info.ignore_value == 255
    for train_id in range(19):
        official = trainId2label[train_id]
        assert info.class_names[train_id] == official.name
        assert info.colors[train_id] == official.color
        assert info.categories[train_id] == official.category
        assert info.train_id_to_label_id[train_id] == official.id
    assert info.category_names == (
        "flat",
        "construction",
        "object",
        "nature",
        "sky",
        "human",
        "vehicle",
    )
    void = dataset_info(synthetic_dir, keep_void=True)
    assert void.num_classes == 20 and void.class_names[19] == "void"
    assert void.train_id_to_label_id[19] == 0
    assert sum(1 for label in labels if label.id >= 0) == 34


def test_custom_info(custom_dir):
    info = dataset_info(custom_dir)
    assert info.format == "custom" and info.name == "blocks"
    assert info.class_names == ("background", "red", "green", "blue")
    assert info.colors[2] == (0, 255, 0)
    assert info.categories == ("background", "red", "green", "things")
    table = info.lookup_table()
    assert [table[v] for v in (0, 1, 5, 7, 255, 2)] == [0, 1, 2, 3, 255, -1]
    void = dataset_info(custom_dir, keep_void=True)
    assert void.num_classes == 5 and void.lookup_table()[255] == 4


@pytest.mark.parametrize(
    "content, message",
    [
        ("not json", "not a readable JSON"),
        ({"classes": []}, "non-empty list"),
        ({"classes": [{"name": "a", "color": [0, 0]}]}, "'color' must be"),
        (
            {"classes": [{"name": "a", "color": [0, 0, 0]}, {"name": "a", "color": [1, 1, 1]}]},
            "duplicate",
        ),
        ({"classes": [{"name": "a", "color": [0, 0, 0], "id": 255}]}, "is the ignore_value"),
        ({"classes": [{"name": "a", "color": [0, 0, 0]}], "colour": 1}, "unknown keys"),
    ],
)
def test_bad_dataset_json_names_the_file(tmp_path, content, message):
    path = tmp_path / "dataset.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    with pytest.raises(DataError, match=message) as error:
        dataset_info(str(tmp_path))
    assert str(path) in str(error.value)


def test_not_a_data_set(tmp_path):
    with pytest.raises(DataError, match="not a data set"):
        dataset_info(str(tmp_path))
    with pytest.raises(DataError, match="not found"):
        dataset_info(str(tmp_path / "missing"))


def test_instance_classes(synthetic_dir, custom_dir):
    info = dataset_info(synthetic_dir)
    things = [name for name, flag in zip(info.class_names, info.has_instances) if flag]
    assert things == ["person", "rider", "car", "truck", "bus", "train", "motorcycle", "bicycle"]
    assert not any(dataset_info(custom_dir).has_instances)
    assert len(dataset_info(synthetic_dir, keep_void=True).has_instances) == 20
