"""A training run opens its train and val splits once: every epoch reads the same `Split` (the
pinned example order a resumed run relies on), and validation reads the opened val split."""

import json
import os

import tfseg.data.splits
import tfseg.training.loop
from tfseg.training import TrainConfig, train


def test_a_run_opens_each_split_once(tiny_cityscapes, tmp_path, monkeypatch):
    listed, checked, epoch_splits = [], [], []
    find_examples, header_problems = (
        tfseg.data.splits.find_examples,
        tfseg.data.splits.header_problems,
    )
    load_dataset = tfseg.training.loop.load_dataset

    def find(data_dir, split, **options):
        listed.append(split)
        return find_examples(data_dir, split, **options)

    def headers(examples, **options):
        checked.append(len(examples))
        return header_problems(examples, **options)

    def load(split, **options):
        epoch_splits.append(split)
        return load_dataset(split, **options)

    monkeypatch.setattr(tfseg.data.splits, "find_examples", find)
    monkeypatch.setattr(tfseg.data.splits, "header_problems", headers)
    monkeypatch.setattr(tfseg.training.loop, "load_dataset", load)
    model_dir = str(tmp_path / "model")
    config = TrainConfig(
        encoder="shufflenet", decoder="skipnet", data_dir=tiny_cityscapes, model_dir=model_dir,
        height=64, width=128, epochs=3, batch_size=4, steps_per_epoch=1,
    )  # fmt: skip
    summary = train(config, progress=False)

    assert summary["epochs_run"] == 3
    assert listed == ["train", "val"] and checked == [4, 2]
    assert len(epoch_splits) == 3 and all(s is epoch_splits[0] for s in epoch_splits)
    assert epoch_splits[0].name == "train" and len(epoch_splits[0]) == 4
    with open(os.path.join(model_dir, "history.jsonl")) as f:
        history = [json.loads(line) for line in f]
    assert [h["epoch"] for h in history] == [1, 2, 3] and all("val_miou" in h for h in history)
