"""One split of a data set, resolved once: `open_split` -> `Split`.

The pipelines, the class-weight counter and evaluation take a `Split` (or a data set's folder,
which they open themselves), so a training run lists and checks each split's files once and
every epoch reads the same, pinned list of examples.
"""

import dataclasses

from tfseg.data.examples import find_examples, format_problems
from tfseg.data.header_checks import header_problems
from tfseg.data.info import DatasetInfo, dataset_info
from tfseg.errors import ConfigError, DataError


@dataclasses.dataclass(frozen=True)
class Split:
    """The examples of one split and the description of their data set.

    Attributes:
        info: the data set's `DatasetInfo` (classes, label table, format facts).
        data_dir: the data set's root folder, as given to `open_split` (messages name it).
        name: the split, e.g. "train" or "val".
        annotation: "fine" or "coarse" (always "fine" for custom data).
        image_dir, label_dir: the split's image and label folders.
        examples: `(image_path, label_path, instance_path or None)` per example, sorted by name:
            the order every pipeline reads (shuffling is seeded on top of it).
        validated: every file's header was checked (`validate`).
    """

    info: DatasetInfo
    data_dir: str
    name: str
    annotation: str
    image_dir: str
    label_dir: str
    examples: tuple
    validated: bool = False

    def __len__(self):
        return len(self.examples)

    @property
    def has_all_instances(self):
        """Whether every example has its instance file (Cityscapes `*_instanceIds.png`)."""
        return all(instance is not None for _, _, instance in self.examples)

    def validate(self):
        """This split once every file header has been checked (itself if it already was).

        Raises:
            DataError: naming every file whose header is wrong (up to 20).
        """
        if self.validated:
            return self
        problems = header_problems(self.examples, png_images=self.info.png_images)
        if problems:
            raise DataError(format_problems(problems, f"split {self.name!r} of {self.data_dir}"))
        return dataclasses.replace(self, validated=True)

    def head(self, count):
        """The split's first `count` examples (in file-name order) as a `Split`."""
        return dataclasses.replace(self, examples=self.examples[:count])


def open_split(data_dir, split, *, annotation=None, keep_void=False, validate=True):
    """Reads a data set's description, lists a split's examples and (by default) checks them.

    Args:
        data_dir: the data set's root folder (Cityscapes layout or custom with dataset.json).
        split: e.g. "train", "val", "test", "train_extra" (Cityscapes) or any custom split.
        annotation: "fine" or "coarse" (Cityscapes only); None means coarse for train_extra only.
        keep_void: describe void / ignored pixels as a last class (see `dataset_info`).
        validate: read every file header and raise for bad files (a few ms per file); without
            it, a bad file stops a pipeline only when it is read.

    Returns:
        A frozen `Split`.

    Raises:
        DataError: a missing or invalid data set, a missing folder, unpaired files, an empty
            split or (with `validate`) files with bad headers; the message names each file.
        ConfigError: a bad split or annotation.

    Example:
        >>> val = open_split("data/synthetic", "val")
        >>> val.info.num_classes, len(val), val.examples[0][1]
        (19, 40, 'data/synthetic/gtFine/val/.../..._gtFine_labelIds.png')
        >>> metrics = tfseg.evaluation.evaluate_model(model, val, height=256, width=512)
    """
    info = dataset_info(data_dir, keep_void=keep_void)
    found = find_examples(data_dir, split, annotation=annotation, info=info)
    if found.problems:
        raise DataError(format_problems(found.problems, f"split {split!r} of {data_dir}"))
    opened = Split(
        info, data_dir, found.split, found.annotation, found.image_dir, found.label_dir,
        tuple(found.examples),
    )  # fmt: skip
    return opened.validate() if validate else opened


def as_split(
    data_dir, split=None, *, default=None, annotation=None, keep_void=False, validate=True
):
    """`data_dir` itself if it is a `Split`, else `open_split(data_dir, split or default, ...)`.

    The functions that take either form call this. A `Split` carries its own name, annotation
    and keep_void: `split` and `annotation` may only repeat them (None defers to the split), and
    `keep_void=True` is refused for a split opened without it (the default False defers to the
    split). With `validate`, an unchecked `Split` is checked (a checked one is not checked again).

    Raises:
        ConfigError: a `Split` together with a different split name, annotation or keep_void.
    """
    if not isinstance(data_dir, Split):
        split = default if split is None else split
        return open_split(
            data_dir, split, annotation=annotation, keep_void=keep_void, validate=validate
        )
    opened = data_dir
    for what, given, actual in (
        ("split", split, opened.name),
        ("annotation", annotation, opened.annotation),
        ("keep_void", keep_void or None, opened.info.keep_void),
    ):
        if given is not None and given != actual:
            raise ConfigError(
                f"{what}={given!r} does not match the opened split {opened.name!r} "
                f"({what} {actual!r}); pass {what} to open_split instead"
            )
    return opened.validate() if validate else opened
