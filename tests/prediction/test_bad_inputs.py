"""Every bad input raises an error naming the file before anything is written."""

import os

import numpy as np
import pytest

from tfseg.errors import ConfigError, DataError
from tfseg.prediction import predict_inputs
from tfseg.prediction.images import read_image

from .conftest import PALETTE, blocks, tree, write_image


def good_image(tmp_path):
    return write_image(str(tmp_path / "good" / "good.png"), blocks(40, 60)[0])


def missing(tmp_path):
    return [str(tmp_path / "nope.png")], "nope.png", "no such file or folder"


def not_an_image(tmp_path):
    path = tmp_path / "page.png"
    path.write_text("<html>404 not found</html>")
    return [str(path)], str(path), "not a PNG or JPEG"


def truncated_png(tmp_path):
    data = open(good_image(tmp_path), "rb").read()
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    return [str(path)], str(path), "truncated"


def empty_jpeg(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    return [str(path)], str(path), "empty file"


def unsupported_extension(tmp_path):
    path = tmp_path / "anim.gif"
    path.write_bytes(b"GIF89a")
    return [str(path)], str(path), "unsupported file type '.gif'"


def empty_folder(tmp_path):
    path = tmp_path / "empty"
    path.mkdir()
    (path / "readme.txt").write_text("no images here")
    return [str(path)], str(path), "no images"


def corrupt_image_in_folder(tmp_path):
    folder = tmp_path / "in"
    write_image(str(folder / "a.png"), blocks(40, 60)[0])
    bad = folder / "sub" / "b.jpg"
    bad.parent.mkdir()
    bad.write_bytes(b"\xff\xd8\xff\xe0 broken")
    return [str(folder)], str(bad), "corrupt JPEG"


def garbage_video(tmp_path):
    path = tmp_path / "clip.mp4"
    path.write_bytes(b"not a video" * 100)
    return [str(path)], str(path), "cannot open video"


def good_then_bad(tmp_path):
    path = tmp_path / "bad.png"
    path.write_bytes(b"\x89PNG\r\n\x1a\n junk")
    return [good_image(tmp_path), str(path)], str(path), "corrupt PNG"


def colliding_names(tmp_path):
    first = write_image(str(tmp_path / "a" / "x.png"), blocks(40, 60)[0])
    second = write_image(str(tmp_path / "b" / "x.jpg"), blocks(40, 60)[0])
    return [first, second], f"{first} and {second} would both write", "x_color.png"


@pytest.mark.parametrize(
    "make",
    [
        missing,
        not_an_image,
        truncated_png,
        empty_jpeg,
        unsupported_extension,
        empty_folder,
        corrupt_image_in_folder,
        garbage_video,
        good_then_bad,
        colliding_names,
    ],
)
def test_bad_input_names_the_file_and_writes_nothing(model, tmp_path, make):
    inputs, name, problem = make(tmp_path)
    out = str(tmp_path / "out")
    with pytest.raises(DataError) as error:
        predict_inputs(model, inputs, out, colors=PALETTE, progress=False)
    assert name in str(error.value) and problem in str(error.value)
    assert not os.path.exists(out)


def test_image_corrupt_inside_names_the_file(tmp_path):
    # The header and closing chunk are intact, so only decoding finds the damage.
    path = write_image(str(tmp_path / "x.png"), blocks(40, 60)[0])
    data = bytearray(open(path, "rb").read())
    data[60:-20] = b"\x00" * (len(data) - 80)
    open(path, "wb").write(bytes(data))
    with pytest.raises(DataError, match="x.png: corrupt image"):
        read_image(path)


@pytest.mark.parametrize(
    "options, message",
    [
        (dict(alpha=1.5), "alpha"),
        (dict(batch_size=0), "batch_size"),
        (dict(every_nth_frame=-1), "every_nth_frame"),
        (dict(colors=PALETTE[:2]), "2 colours for a model with 3 classes"),
        (dict(colors=[(1, 2)]), "colors"),
    ],
)
def test_bad_options_raise_config_errors(model, tmp_path, options, message):
    out = str(tmp_path / "out")
    with pytest.raises(ConfigError, match=message):
        predict_inputs(model, [good_image(tmp_path)], out, **{"colors": PALETTE, **options})
    assert not os.path.exists(out)


def test_output_folder_must_not_be_the_input_folder(model, tmp_path):
    folder = os.path.dirname(good_image(tmp_path))
    with pytest.raises(ConfigError, match="is the input folder"):
        predict_inputs(model, [folder], folder, colors=PALETTE)
    assert tree(folder) == ["good.png"]


def test_corrupt_image_found_while_decoding_keeps_earlier_outputs_whole(model, tmp_path):
    folder = tmp_path / "in"
    write_image(str(folder / "a.png"), blocks(40, 60)[0])
    bad = write_image(str(folder / "b.png"), blocks(40, 60)[0])
    data = bytearray(open(bad, "rb").read())
    data[60:-20] = b"\x00" * (len(data) - 80)
    open(bad, "wb").write(bytes(data))
    out = str(tmp_path / "out")
    with pytest.raises(DataError, match="b.png: corrupt image"):
        predict_inputs(model, [str(folder)], out, colors=PALETTE, progress=False)
    assert tree(out) == ["a_color.png", "a_overlay.png"]
    assert np.asarray(read_image(os.path.join(out, "a_color.png"))).shape == (40, 60, 3)


def test_output_path_must_be_a_folder(model, tmp_path):
    out = tmp_path / "out.png"
    out.write_text("a file")
    with pytest.raises(ConfigError, match="out.png: the output path exists and is not a folder"):
        predict_inputs(model, [good_image(tmp_path)], str(out), colors=PALETTE)
