"""Images and folders: known predictions at the original size, overlays, batching, layout."""

import os

import keras
import numpy as np
import pytest

import tfseg
from tfseg.data import dataset_info, synthesize_scenes
from tfseg.inference import Segmenter
from tfseg.prediction import predict_inputs
from tfseg.prediction.images import read_image

from .conftest import PALETTE, blocks, expected_ids, read_rgb, rgb_model, tree, write_image


@pytest.mark.parametrize("extension", [".png", ".jpg"])
def test_prediction_is_exact_at_the_original_size(model, tmp_path, extension):
    image, classes = blocks(75, 110)  # not the model's 32x48, nor a multiple of it
    path = write_image(str(tmp_path / f"street{extension}"), image)
    out = str(tmp_path / "out")

    written = predict_inputs(model, [path], out, colors=PALETTE, alpha=0.5, progress=False)

    assert written == [f"{out}/street_color.png", f"{out}/street_overlay.png"]
    assert tree(out) == ["street_color.png", "street_overlay.png"]
    color = read_rgb(written[0])
    assert color.shape == (75, 110, 3)
    decoded = read_image(path)  # the JPEG's own pixels, after compression
    np.testing.assert_array_equal(color, np.array(PALETTE, np.uint8)[expected_ids(decoded)])
    # Away from the region borders, which resizing moves by up to one model pixel (~2.3 px),
    # the prediction is the region's class.
    inner = np.zeros_like(classes, bool)
    inner[4:33, 4:32] = inner[4:33, 41:-4] = inner[42:-4, 4:-4] = True
    np.testing.assert_array_equal(color[inner], np.array(PALETTE, np.uint8)[classes[inner]])
    expected_overlay = np.rint(0.5 * decoded.astype(float) + 0.5 * color.astype(float))
    np.testing.assert_array_equal(read_rgb(written[1]), expected_overlay.astype(np.uint8))


def test_folder_mirrors_subfolders_and_shows_progress(model, tmp_path, capsys):
    folder = tmp_path / "in"
    for relative, size in [
        ("b.png", (40, 60)),
        ("city/a.jpg", (40, 60)),
        ("city/deeper/c.png", (50, 50)),
        ("other/a.png", (40, 60)),  # same stem as city/a.jpg, different subfolder
    ]:
        write_image(str(folder / relative), blocks(*size)[0])
    (folder / "notes.txt").write_text("not an image")
    write_image(str(folder / ".hidden" / "skip.png"), blocks(40, 60)[0])
    out = str(folder / "predictions")  # inside the input: skipped when the folder is read again

    for _ in range(2):
        written = predict_inputs(model, [str(folder)], out, colors=PALETTE, batch_size=2)

    stems = ["b", "city/a", "city/deeper/c", "other/a"]
    assert tree(out) == sorted(f"{s}_{kind}.png" for s in stems for kind in ("color", "overlay"))
    kinds = ("color", "overlay")
    assert written == [os.path.join(out, f"{s}_{k}.png") for s in stems for k in kinds]
    assert read_rgb(os.path.join(out, "city/deeper/c_color.png")).shape == (50, 50, 3)
    assert "4/4" in capsys.readouterr().out


def test_batches_of_mixed_sizes_match_single_images(model, tmp_path):
    folder = tmp_path / "in"
    sizes = [(40, 60), (40, 60), (33, 90), (40, 60), (40, 60), (40, 60)]
    for k, size in enumerate(sizes):
        write_image(str(folder / f"{k}.png"), blocks(*size, seed=k)[0])
    outputs = {}
    for batch_size in (1, 4):
        out = str(tmp_path / f"out{batch_size}")
        predict_inputs(
            model, [str(folder)], out, colors=PALETTE, batch_size=batch_size, progress=False
        )
        outputs[batch_size] = [read_rgb(os.path.join(out, f)) for f in tree(out)]
    assert len(outputs[1]) == 2 * len(sizes)
    for single, batched in zip(outputs[1], outputs[4]):
        np.testing.assert_array_equal(single, batched)


def test_model_without_fixed_size_predicts_at_the_image_size(tmp_path):
    image, _ = blocks(45, 70)
    segment = Segmenter(rgb_model(input_shape=(None, None)))
    ids = segment(image[None]).numpy()[0]
    np.testing.assert_array_equal(ids, np.argmax(image, axis=-1))  # no resize: exact argmax


def test_real_model_on_synthetic_scenes(tmp_path):
    data = str(tmp_path / "synthetic")
    synthesize_scenes(data, num_train=2, num_val=1, height=48, width=96, seed=0, workers=1)
    colors = dataset_info(data).colors
    model = tfseg.build_model("shufflenet", "skipnet", num_classes=19, input_shape=(64, 128))
    out = str(tmp_path / "out")

    written = predict_inputs(
        model, [os.path.join(data, "leftImg8bit")], out, colors=colors, progress=False
    )

    assert len(written) == 6
    assert {os.path.relpath(p, out).split(os.sep)[0] for p in written} == {"train", "val"}
    for path in written[::2]:
        color = read_rgb(path)
        assert color.shape == (48, 96, 3)
        assert set(map(tuple, color.reshape(-1, 3))) <= set(colors)
    keras.backend.clear_session()


def test_grayscale_and_rgba_images_are_read_as_rgb(model, tmp_path):
    image, _ = blocks(30, 50)
    gray = write_image(str(tmp_path / "gray.png"), image[:, :, 1])
    alpha = np.full((30, 50), 99, np.uint8)
    rgba = write_image(str(tmp_path / "rgba.png"), np.dstack([image, alpha]))
    np.testing.assert_array_equal(read_image(gray), np.repeat(image[:, :, 1:2], 3, axis=2))
    np.testing.assert_array_equal(read_image(rgba), image)
    out = str(tmp_path / "out")
    predict_inputs(model, [gray, rgba], out, colors=PALETTE, batch_size=2, progress=False)
    assert [read_rgb(os.path.join(out, f)).shape for f in tree(out)] == [(30, 50, 3)] * 4
