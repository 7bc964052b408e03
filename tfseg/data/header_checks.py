"""The problems that the headers of a split's files reveal (cheap: nothing is decoded)."""

from concurrent.futures import ThreadPoolExecutor

from tfseg.errors import DataError
from tfseg.io import image_header

# Header reads wait on the disk, not the CPU, so more threads than cores help.
_THREADS = 8


def header_problems(examples, *, png_images=True):
    """Lists the problems that the headers of `examples` reveal.

    For each `(image, label, instance)`: each file is a complete image (PNG: signature and closing
    chunk; images may be JPEG if not `png_images`); the label is an 8-bit single-channel PNG; the
    image, label and instance sizes agree.

    Args:
        examples: from `list_examples`.
        png_images: images must be PNG (`DatasetInfo.png_images`).

    Returns:
        list of (path, message); empty when every file looks right.
    """
    with ThreadPoolExecutor(_THREADS) as pool:
        return [
            p
            for problems in pool.map(lambda e: pair_problems(e, png_images), examples)
            for p in problems
        ]


def pair_problems(example, png_images=True):
    """The header problems of one `(image, label, instance)`, as a list of (path, message)."""
    image_path, label_path, instance_path = example
    problems, headers = [], {}
    for kind, path in (("image", image_path), ("label", label_path), ("instance", instance_path)):
        if path is None:
            continue
        try:
            headers[kind] = image_header(path)
        except DataError as error:
            problems.append((path, str(error).removeprefix(f"{path}: ")))
    image, label, instance = (headers.get(k) for k in ("image", "label", "instance"))
    if image is not None and png_images and image.format != "png":
        problems.append((image_path, f"image must be a PNG, found {image.format.upper()}"))
    if label is not None and (label.format, label.channels, label.bit_depth, label.color) != (
        "png",
        1,
        8,
        "grayscale",
    ):
        problems.append((label_path, _label_format_message(label)))
    if instance is not None and (instance.format, instance.channels) != ("png", 1):
        problems.append(
            (instance_path, f"instance image must be a 1-channel PNG, found {_describe(instance)}")
        )
    for kind, other, path in (("image", image, image_path), ("instance", instance, instance_path)):
        if (
            other is not None
            and label is not None
            and (other.height, other.width) != (label.height, label.width)
        ):
            problems.append(
                (
                    path,
                    f"{kind} is {other.height}x{other.width} but its label {label_path} is "
                    f"{label.height}x{label.width}",
                )
            )
    return problems


def _describe(header):
    return f"{header.bit_depth}-bit {header.color} {header.format.upper()}"


def _label_format_message(header):
    message = (
        f"label must be an 8-bit single-channel PNG of label values, found {_describe(header)}"
    )
    if header.color == "palette":
        message += " (save the palette indices as a grayscale PNG)"
    elif header.color in ("RGB", "RGBA"):
        message += " (map colours to class values first)"
    return message
