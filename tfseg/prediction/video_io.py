"""Video files in and out: probing, streaming frames, and writing a video atomically.

* `probe_video(path)` checks a video can be decoded and returns its `VideoInfo` (frame rate,
  size, length); `list_inputs` calls it for every video before anything is written.
* `read_video_frames(path)` streams the frames as RGB, so memory stays flat however long the
  video is.
* `AtomicVideoWriter` writes a video under a temporary name and renames it when complete.
"""

import dataclasses
import math
import os
import tempfile

import cv2
import numpy as np

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


class AtomicVideoWriter:
    """A `cv2.VideoWriter` whose file only appears at `path` once it is finished.

    Frames go to a hidden temporary file in `path`'s folder (same file system, so the final
    `os.replace` is atomic). Leaving the `with` block normally renames it over `path`; an
    exception (including Ctrl-C) deletes it, so an interrupted run leaves no half-written video.

    Args:
        path: destination, e.g. `out/drive_overlay.mp4`; its extension picks the container and
            its folder must exist.
        fps: frames per second.
        width, height: frame size in pixels.
        fourcc: four-letter codec code; `mp4v` is in every OpenCV build.

    Raises:
        DataError: OpenCV cannot open a writer for this path, codec and size.

    Example:
        >>> with AtomicVideoWriter("out/drive_overlay.mp4", 30.0, 1280, 720) as writer:
        ...     writer.write(frame_rgb)
    """

    def __init__(self, path, fps, width, height, fourcc="mp4v"):
        self.path, self.size = path, (width, height)
        folder = os.path.dirname(path) or "."
        suffix = os.path.splitext(path)[1]
        self._writer = None
        fd, self._tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=folder)
        os.close(fd)  # OpenCV opens the file by name and overwrites it
        try:
            self._writer = cv2.VideoWriter(
                self._tmp, cv2.VideoWriter_fourcc(*fourcc), float(fps), (width, height)
            )
            opened = self._writer.isOpened()
        except cv2.error:
            opened = False
        if not opened:
            self.abort()
            raise DataError(f"{path}: cannot write a {fourcc} video of {width}x{height} pixels")

    def write(self, frame):
        """Appends one uint8 `[height, width, 3]` RGB frame."""
        frame = np.asarray(frame)
        # OpenCV silently drops frames of the wrong size or type; fail loudly instead.
        if frame.shape != (self.size[1], self.size[0], 3) or frame.dtype != np.uint8:
            raise ValueError(
                f"{self.path}: frame {frame.shape} {frame.dtype} does not match the video's "
                f"{self.size[1]}x{self.size[0]} uint8 RGB"
            )
        self._writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))

    def commit(self):
        """Finishes the file and renames it to `path`."""
        try:
            self._writer.release()
            os.chmod(self._tmp, 0o666 & ~_umask())  # mkstemp's 0600 -> what open() would give
            os.replace(self._tmp, self.path)
        except BaseException:
            self.abort()
            raise

    def abort(self):
        """Closes and deletes the temporary file; `path` is left untouched."""
        if self._writer is not None:
            self._writer.release()
        if os.path.exists(self._tmp):
            os.unlink(self._tmp)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, traceback):
        if exc_type is None:
            self.commit()
        else:
            self.abort()
        return False


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask
