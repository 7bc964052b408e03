"""`list_inputs`: expands and checks the inputs of a prediction run before anything is written.

Each input becomes a `PredictionInput` (an image or a video, with its output stem), which
`predict_images` and `predict_video` consume.
"""

import dataclasses
import os

from tfseg.errors import ConfigError, DataError
from tfseg.io import image_header
from tfseg.prediction.video_io import probe_video

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg")
VIDEO_EXTENSIONS = (".mp4", ".avi", ".mov", ".mkv")
IMAGE = "image"
VIDEO = "video"


@dataclasses.dataclass(frozen=True)
class PredictionInput:
    """One image or video to segment.

    Attributes:
        kind: "image" or "video".
        path: the file.
        output_stem: where its outputs go, without suffix: `output_stem + "_color.png"` etc.
        source: the input it came from (the file itself, or the folder it was found in).
        video: for videos, its `VideoInfo`; None for images.
    """

    kind: str
    path: str
    output_stem: str
    source: str
    video: object = None

    def outputs(self):
        """The files this input writes (for videos, not counting optional frame PNGs)."""
        if self.kind == VIDEO:
            return [self.output_stem + "_overlay.mp4"]
        return [self.output_stem + "_color.png", self.output_stem + "_overlay.png"]


def list_inputs(inputs, output_dir):
    """Turns image files, folders and video files into a checked list of things to segment.

    A folder contributes every PNG/JPEG below it (recursively, sorted by relative path; hidden
    files and folders and `output_dir` itself are skipped) and its outputs mirror its subfolders,
    so `in/a/x.png` -> `<output_dir>/a/x_*.png`. A file's outputs go to `output_dir` directly.
    Every image header is read and every video is opened here, so a bad input fails the run
    before it writes anything.

    Args:
        inputs: a path or a list of paths (image files, folders, video files).
        output_dir: the output folder (need not exist).

    Returns:
        A list of `PredictionInput`, in input order.

    Raises:
        DataError: an input is missing, has an unsupported extension, is a folder without images,
            is a corrupt image or an unreadable video, or two inputs would write the same output
            file; names the file(s).
        ConfigError: no inputs, `output_dir` is a file, or it is one of the input folders.

    Example:
        >>> [i.output_stem for i in list_inputs(["photos/", "drive.mp4"], "out")]
        ['out/a', 'out/trip/b', 'out/drive']
    """
    if isinstance(inputs, (str, os.PathLike)):
        inputs = [inputs]
    inputs = [os.fspath(path) for path in inputs]
    if not inputs:
        raise ConfigError("no inputs given: pass image files, folders or video files")
    output_dir = os.fspath(output_dir)
    if os.path.exists(output_dir) and not os.path.isdir(output_dir):
        raise ConfigError(f"{output_dir}: the output path exists and is not a folder")
    items = []
    for path in inputs:
        if os.path.isdir(path):
            items.extend(_folder_items(path, output_dir))
        elif os.path.isfile(path):
            items.append(_file_item(path, output_dir))
        else:
            raise DataError(f"{path}: no such file or folder")
    _check_collisions(items)
    return items


def _file_item(path, output_dir, stem=None, source=None):
    stem = stem or os.path.join(output_dir, os.path.splitext(os.path.basename(path))[0])
    extension = os.path.splitext(path)[1].lower()
    if extension in IMAGE_EXTENSIONS:
        image_header(path)
        return PredictionInput(IMAGE, path, stem, source or path)
    if extension in VIDEO_EXTENSIONS:
        return PredictionInput(VIDEO, path, stem, source or path, video=probe_video(path))
    raise DataError(
        f"{path}: unsupported file type {extension or '(no extension)'!r}; expected an image "
        f"({', '.join(IMAGE_EXTENSIONS)}), a video ({', '.join(VIDEO_EXTENSIONS)}) or a folder"
    )


def _folder_items(folder, output_dir):
    real_folder, real_output = os.path.realpath(folder), os.path.realpath(output_dir)
    if real_output == real_folder:
        raise ConfigError(
            f"the output folder {output_dir} is the input folder {folder}; choose another, or a "
            "later run would segment the predictions too"
        )
    relative_paths = []
    for root, dirs, files in os.walk(folder):
        # Pruning in place stops os.walk from descending into hidden folders and the outputs
        # (when output_dir is inside the input folder, a re-run must not pick up predictions).
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(".") and os.path.realpath(os.path.join(root, d)) != real_output
        ]
        for name in files:
            if not name.startswith(".") and os.path.splitext(name)[1].lower() in IMAGE_EXTENSIONS:
                relative_paths.append(os.path.relpath(os.path.join(root, name), folder))
    if not relative_paths:
        raise DataError(
            f"{folder}: folder contains no images ({', '.join(IMAGE_EXTENSIONS)}; videos must be "
            "given as files)"
        )
    return [
        _file_item(
            os.path.join(folder, relative),
            output_dir,
            stem=os.path.join(output_dir, os.path.splitext(relative)[0]),
            source=folder,
        )
        for relative in sorted(relative_paths)
    ]


def _check_collisions(items):
    writers = {}
    for item in items:
        for output in item.outputs():
            # normcase: on case-insensitive file systems A.png and a.png are the same file.
            key = os.path.normcase(os.path.abspath(output))
            if key in writers:
                raise DataError(
                    f"{writers[key]} and {item.path} would both write {output}; rename one or "
                    "predict them into different output folders"
                )
            writers[key] = item.path
