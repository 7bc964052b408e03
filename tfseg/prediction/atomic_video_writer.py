"""Writes a video under a temporary name and renames it when complete."""

import os
import tempfile

import cv2
import numpy as np

from tfseg.errors import DataError


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
