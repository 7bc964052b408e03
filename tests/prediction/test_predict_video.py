"""Videos: a streamed overlay mp4 with the input's frame count, size and rate; frame PNGs;
progress with and without a frame count; nothing left behind when interrupted."""

import dataclasses

import numpy as np
import pytest

from tfseg.inference import Segmenter
from tfseg.prediction import predict_inputs
from tfseg.prediction.inputs import PredictionInput, list_inputs
from tfseg.prediction.video import predict_video
from tfseg.prediction.video_io import VideoInfo

from .conftest import PALETTE, blocks, expected_ids, read_rgb, tree, video_frames, write_video

HEIGHT, WIDTH = 40, 56


@pytest.fixture
def video(tmp_path):
    frames = [np.roll(blocks(HEIGHT, WIDTH, seed=k)[0], 4 * k, axis=1) for k in range(5)]
    return write_video(str(tmp_path / "drive.mp4"), frames, fps=10.0)


def test_overlay_video_has_the_same_frames_size_and_rate(model, tmp_path, video, capsys):
    out = str(tmp_path / "out")

    written = predict_inputs(model, [video], out, colors=PALETTE, batch_size=2, every_nth_frame=2)

    frame_files = [
        f"drive_frames/drive_{k:06d}_{kind}.png" for k in (0, 2, 4) for kind in ("color", "overlay")
    ]
    assert tree(out) == sorted(["drive_overlay.mp4", *frame_files])
    assert written == [f"{out}/{f}" for f in frame_files] + [f"{out}/drive_overlay.mp4"]
    frames, fps = video_frames(f"{out}/drive_overlay.mp4")
    assert len(frames) == 5 and fps == 10.0
    assert all(frame.shape == (HEIGHT, WIDTH, 3) for frame in frames)
    # The saved frames are exact; they are the decoded input frames' predictions.
    inputs, _ = video_frames(video)
    color = read_rgb(f"{out}/drive_frames/drive_000004_color.png")
    np.testing.assert_array_equal(color, np.array(PALETTE, np.uint8)[expected_ids(inputs[4])])
    overlay = read_rgb(f"{out}/drive_frames/drive_000004_overlay.png")
    # mp4v is lossy: the video frame is close to, not equal to, the exact overlay.
    assert np.abs(frames[4].astype(int) - overlay).mean() < 8
    assert "5/5" in capsys.readouterr().out


def test_unknown_frame_count_gives_an_indeterminate_bar(model, tmp_path, video, capsys):
    out = str(tmp_path / "out")
    item = list_inputs([video], out)[0]
    item = dataclasses.replace(item, video=dataclasses.replace(item.video, frame_count=None))

    written = predict_video(Segmenter(model), item, colors=PALETTE, batch_size=3)

    assert written == [f"{out}/drive_overlay.mp4"]
    assert len(video_frames(written[0])[0]) == 5
    assert "5/Unknown" in capsys.readouterr().out


def test_interrupted_video_leaves_nothing_behind(model, tmp_path, video, monkeypatch):
    calls = []

    def interrupt_on_third_frame(*args):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return args[0]

    monkeypatch.setattr("tfseg.prediction.video.overlay", interrupt_on_third_frame)
    out = str(tmp_path / "out")
    with pytest.raises(KeyboardInterrupt):
        predict_inputs(model, [video], out, colors=PALETTE, progress=False)
    assert tree(out) == []


def test_odd_sized_video_loses_only_its_last_row_and_column(model, tmp_path, monkeypatch):
    # OpenCV cannot write an odd-sized video (it rounds down to even), so fake the source.
    frames = [blocks(31, 41, seed=k)[0] for k in range(3)]
    monkeypatch.setattr("tfseg.prediction.video.read_video_frames", lambda path: iter(frames))
    out = str(tmp_path / "out")
    item = PredictionInput("video", "odd.mkv", f"{out}/odd", "odd.mkv", VideoInfo(5.0, 31, 41, 3))

    written = predict_video(Segmenter(model), item, colors=PALETTE, every_nth_frame=2)

    assert written[-1] == f"{out}/odd_overlay.mp4"
    assert read_rgb(written[0]).shape == (31, 41, 3)  # the frame PNGs keep the full size
    frames, fps = video_frames(written[-1])
    assert [frame.shape for frame in frames] == [(30, 40, 3)] * 3 and fps == 5.0
