"""`predict_video`: segments a video frame by frame into an overlay video (and frame PNGs)."""

import os

import keras
import numpy as np

from tfseg.prediction.blend import overlay
from tfseg.prediction.images import write_prediction
from tfseg.prediction.palette import colorize
from tfseg.prediction.video_io import AtomicVideoWriter, read_video_frames


def predict_video(
    segment, item, *, colors, alpha=0.5, batch_size=1, progress=True, every_nth_frame=0
):
    """Writes `<stem>_overlay.mp4` (same size and frame rate, `mp4v`) and optional frame PNGs.

    MPEG-4 needs an even width and height, so an odd one loses its last row or column in the
    mp4 (the frame PNGs keep the full size).

    Frames are streamed in batches of `batch_size`, so memory does not grow with the video's
    length. The mp4 is written under a temporary name and renamed when the last frame is in, so
    an interrupted run leaves no partial video.

    Args:
        segment: `segment(uint8 images) -> train ids`: a `tfseg.inference.Segmenter` or an
            artifact's `Runtime`.
        item: a video `PredictionInput` (from `list_inputs`).
        colors: RGB colour per class.
        alpha: weight of the colours in the overlay.
        batch_size: frames per forward pass.
        progress: show a `keras.utils.Progbar` (indeterminate if the container has no count).
        every_nth_frame: if > 0, also write `_color.png` and `_overlay.png` for frames 0, n,
            2n, ... into `<stem>_frames/` as `<name>_<frame index:06d>_*.png`.

    Returns:
        The paths written: the mp4 last, after any frame PNGs.

    Example:
        >>> predict_video(segment, list_inputs("drive.mp4", "out")[0], colors=info.colors)
        ['out/drive_overlay.mp4']
    """
    info = item.video
    bar = keras.utils.Progbar(info.frame_count, unit_name="frame") if progress else None
    video_path = item.output_stem + "_overlay.mp4"
    frames_stem = os.path.join(item.output_stem + "_frames", os.path.basename(item.output_stem))
    os.makedirs(os.path.dirname(video_path) or ".", exist_ok=True)
    written, batch, done = [], [], 0

    def flush(writer):
        nonlocal batch, done
        ids = np.asarray(segment(np.stack(batch)))
        for frame, frame_ids in zip(batch, ids):
            if every_nth_frame and done % every_nth_frame == 0:
                paths, blended = write_prediction(
                    f"{frames_stem}_{done:06d}", frame, frame_ids, colors=colors, alpha=alpha
                )
                written.extend(paths)
            else:
                blended = overlay(frame, colorize(frame_ids, colors), alpha)
            writer.write(blended[:height, :width])
            done += 1
        batch = []
        if bar is not None:
            # The container's count can be off: never let the bar finish before the video does.
            bar.update(done if info.frame_count is None else min(done, info.frame_count - 1))

    # MPEG-4 frames have even sizes; OpenCV would drop an odd last row or column silently.
    height, width = info.height - info.height % 2, info.width - info.width % 2
    with AtomicVideoWriter(video_path, info.fps, width, height) as writer:
        for frame in read_video_frames(item.path):
            batch.append(frame)
            if len(batch) == batch_size:
                flush(writer)
        if batch:
            flush(writer)
    if bar is not None:
        bar.update(done, finalize=True)
    written.append(video_path)
    return written
