"""Reads an image file's size and pixel format from its header, without decoding it."""

import dataclasses
import os
import struct

from tfseg.errors import DataError

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The IEND chunk that closes every complete PNG: length 0, type, CRC.
PNG_TRAILER = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # colour type -> channels as stored
_PNG_COLOR_NAMES = {0: "grayscale", 2: "RGB", 3: "palette", 4: "grayscale+alpha", 6: "RGBA"}
_JPEG_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}
_JPEG_HEAD_BYTES = 1 << 18  # EXIF blocks come before the frame header
# The end-of-image marker that closes every complete JPEG, looked for in its last bytes (some
# writers pad after it). Scan data cannot contain it: an 0xFF there is followed by 0x00.
JPEG_END = b"\xff\xd9"
_JPEG_TAIL_BYTES = 4096


@dataclasses.dataclass(frozen=True)
class ImageHeader:
    """What an image header says.

    Attributes:
        format: "png" or "jpeg".
        height, width: in pixels.
        channels: as stored (palette PNGs: 1).
        bit_depth: bits per sample.
        color: "grayscale", "RGB", "palette", "grayscale+alpha", "RGBA" (PNG colour type) or the
            JPEG equivalent.
    """

    format: str
    height: int
    width: int
    channels: int
    bit_depth: int
    color: str


def image_header(path):
    """Reads the header (and the closing chunk or marker) of `path`.

    Only the first bytes and the last ones (12 for PNG, 4 kB for JPEG) are read, so this is
    cheap enough to run on every file before training. It catches files that are not images,
    truncated files (a PNG without its IEND chunk, a JPEG without its end-of-image marker) and
    wrong pixel formats; a file damaged in the middle is only found by decoding it (the checker,
    `tfseg data check`, does).

    Args:
        path: a PNG or JPEG file.

    Returns:
        An `ImageHeader`.

    Raises:
        DataError: unreadable, not PNG/JPEG, a bad header or a truncated PNG; names the file.

    Example:
        >>> image_header("x_gtFine_labelIds.png")
        ImageHeader(format='png', height=1024, width=2048, channels=1, bit_depth=8,
                    color='grayscale')
    """
    try:
        with open(path, "rb") as f:
            head = f.read(_JPEG_HEAD_BYTES)
            size = os.fstat(f.fileno()).st_size
            if head.startswith(PNG_SIGNATURE):
                f.seek(max(size - len(PNG_TRAILER), 0))
                tail = f.read()
                return _png_header(path, head, tail)
            f.seek(max(size - _JPEG_TAIL_BYTES, 0))
            tail = f.read()
    except OSError as error:
        raise DataError(f"{path}: cannot read file ({error.strerror or error})") from None
    if head.startswith(b"\xff\xd8"):
        header = _jpeg_header(path, head)
        if JPEG_END not in tail:
            # OpenCV decodes such a file with a warning; TensorFlow refuses it.
            raise DataError(f"{path}: truncated JPEG (no end-of-image marker)")
        return header
    if not head:
        raise DataError(f"{path}: empty file")
    raise DataError(f"{path}: not a PNG or JPEG file")


def _png_header(path, head, tail):
    if len(head) < 33 or head[12:16] != b"IHDR":
        raise DataError(f"{path}: corrupt PNG (no IHDR header)")
    width, height, bit_depth, color_type = struct.unpack(">IIBB", head[16:26])
    if color_type not in _PNG_CHANNELS or width == 0 or height == 0:
        raise DataError(f"{path}: corrupt PNG header")
    if tail != PNG_TRAILER:
        raise DataError(f"{path}: truncated or corrupt PNG (it does not end with an IEND chunk)")
    return ImageHeader(
        "png", height, width, _PNG_CHANNELS[color_type], bit_depth, _PNG_COLOR_NAMES[color_type]
    )


def _jpeg_header(path, head):
    offset = 2
    while offset + 4 <= len(head):
        if head[offset] != 0xFF:
            break
        marker = head[offset + 1]
        if marker == 0xFF:  # fill byte
            offset += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            offset += 2
            continue
        (length,) = struct.unpack(">H", head[offset + 2 : offset + 4])
        if marker in _JPEG_SOF and offset + 10 <= len(head):
            bit_depth, height, width, channels = struct.unpack(
                ">BHHB", head[offset + 4 : offset + 10]
            )
            color = {1: "grayscale", 3: "RGB", 4: "CMYK"}.get(channels, f"{channels} channels")
            return ImageHeader("jpeg", height, width, channels, bit_depth, color)
        offset += 2 + length
    raise DataError(f"{path}: corrupt JPEG (no frame header found)")
