"""Streams a video's frames, so memory stays flat however long it is."""

import cv2

from tfseg.prediction.probe_video import open_capture


def read_video_frames(path):
    """Yields the frames of `path` one at a time, as uint8 `[H, W, 3]` RGB.

    The capture is released when the generator finishes or is closed (e.g. by an exception in
    the loop consuming it).

    Args:
        path: a video file.

    Returns:
        A generator of frames.

    Raises:
        DataError: the video cannot be opened; names the file.

    Example:
        >>> sum(1 for _ in read_video_frames("drive.mp4"))
        900
    """
    capture = open_capture(path)
    try:
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
    finally:
        capture.release()
