"""Checks that a video can be decoded and reads its frame rate, size and length."""

import dataclasses
import math
import os

import cv2

from tfseg.errors import DataError

# Written when the container does not say (some AVI and MKV files): the common camera rate.
DEFAULT_FPS = 30.0


@dataclasses.dataclass(frozen=True)
class VideoInfo:
    """What a video contains.

    Attributes:
        fps: frames per second (`DEFAULT_FPS` when the container does not say).
        height, width: of the decoded frames, in pixels.
        frame_count: number of frames the container declares, or None if it does not; an
            estimate for some formats, so only use it for progress.
    """

    fps: float
    height: int
    width: int
    frame_count: object


def probe_video(path):
    """Opens `path` with OpenCV and decodes its first frame.

    Args:
        path: a video file (mp4, avi, mov, mkv, ... as far as OpenCV's FFmpeg reads it).

    Returns:
        A `VideoInfo`.

    Raises:
        DataError: the file is missing, cannot be opened or has no decodable frame; names it.

    Example:
        >>> probe_video("drive.mp4")
        VideoInfo(fps=30.0, height=720, width=1280, frame_count=900)
    """
    capture = open_capture(path)
    try:
        ok, frame = capture.read()
        if not ok or frame is None:
            raise DataError(f"{path}: no video frame can be decoded")
        fps = capture.get(cv2.CAP_PROP_FPS)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    return VideoInfo(
        fps=fps if math.isfinite(fps) and fps > 0 else DEFAULT_FPS,
        # The decoded frame, not the container's width/height: OpenCV applies rotation metadata.
        height=frame.shape[0],
        width=frame.shape[1],
        frame_count=count if count > 0 else None,
    )


def open_capture(path):
    """A `cv2.VideoCapture` of `path`, or `DataError` naming the file and why it failed."""
    if not os.path.isfile(path):
        raise DataError(f"{path}: no such video file")
    # Opening a file without read permission fails in FFmpeg with a message that does not say so.
    if not os.access(path, os.R_OK):
        raise DataError(f"{path}: cannot read file (permission denied)")
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        capture.release()
        raise DataError(f"{path}: cannot open video (not a valid or supported video file)")
    return capture
