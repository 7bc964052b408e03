"""`predict_inputs`: images, folders and videos -> colour-coded PNGs, overlays and videos.

It checks the options and every input (`list_inputs`), wraps the model in the one inference
contract (`tfseg.inference.Segmenter`, compiled once; an exported artifact's `Runtime` has the
same contract), then hands runs of consecutive images to `predict_images` and each video to
`predict_video`.
"""

from tfseg.errors import ConfigError, check_int
from tfseg.inference import Segmenter
from tfseg.prediction.blend import check_alpha
from tfseg.prediction.images import predict_images
from tfseg.prediction.inputs import IMAGE, list_inputs
from tfseg.prediction.palette import palette_array
from tfseg.prediction.video import predict_video
from tfseg.runtimes.runtime import Runtime


def predict_inputs(
    model,
    inputs,
    output_dir,
    *,
    colors,
    alpha=0.5,
    batch_size=1,
    progress=True,
    every_nth_frame=0,
):
    """Segments image files, folders of images and video files, writing colour-coded results.

    Every image is resized (bilinear) to the model's input size, and the logits are resized
    (bilinear) back to the image's own size before the argmax. For an image `x.png` it writes
    `x_color.png` (the prediction in the class colours) and `x_overlay.png` (the colours blended
    over the image); a folder's images keep their relative subfolders inside `output_dir`. A
    video `v.mp4` gives `v_overlay.mp4` at the same size and frame rate. Folders and videos show
    a `keras.utils.Progbar` on stdout.

    All inputs are checked first (existence, extension, image headers, video decodability and
    output-name collisions), so a bad input fails before anything is written. Every file is
    written under a temporary name and renamed when complete, so an interrupted run leaves only
    whole files.

    Args:
        model: Keras segmentation model (RGB 0..255 in, logits out), e.g. from `build_model`,
            or an exported artifact's `Runtime` (`tfseg.runtimes.load_runtime`).
        inputs: a path or list of paths: PNG/JPEG files, folders (searched recursively) and
            video files (mp4, avi, mov, mkv).
        output_dir: output folder, created if needed.
        colors: RGB colour per class, e.g. `dataset_info(data_dir).colors`.
        alpha: weight of the colours in the overlays, 0..1.
        batch_size: images or frames per forward pass (consecutive images of one size batch).
        progress: show progress bars.
        every_nth_frame: for videos, also write the PNG pair of every n-th frame into
            `<stem>_frames/` (0: none).

    Returns:
        The list of paths written, in order.

    Raises:
        DataError: a missing, unsupported, corrupt or unreadable input, a folder without images,
            or two inputs that would write the same file; the message names the file.
        ConfigError: bad option values, or fewer colours than the model has classes.

    Example:
        >>> model = tfseg.build_model("shufflenet", "skipnet", num_classes=19,
        ...                           input_shape=(360, 640))
        >>> predict_inputs(model, ["street.jpg", "drive.mp4"], "out",
        ...                colors=dataset_info("data/cityscapes").colors)
        ['out/street_color.png', 'out/street_overlay.png', 'out/drive_overlay.mp4']
    """
    segment = model if isinstance(model, Runtime) else Segmenter(model)
    _check_options(segment.num_classes, colors, alpha, batch_size, every_nth_frame)
    items = list_inputs(inputs, output_dir)
    options = dict(colors=colors, alpha=alpha, batch_size=batch_size, progress=progress)
    written, images = [], []
    # Consecutive images (a folder, or many files from a shell glob) are one run: one progress
    # bar, and batches may span files of the same size.
    for item in items + [None]:
        if item is not None and item.kind == IMAGE:
            images.append(item)
            continue
        if images:
            written += predict_images(segment, images, **options)
            images = []
        if item is not None:
            written += predict_video(segment, item, every_nth_frame=every_nth_frame, **options)
    return written


def _check_options(num_classes, colors, alpha, batch_size, every_nth_frame):
    palette = palette_array(colors)
    if len(palette) < num_classes:
        raise ConfigError(
            f"{len(palette)} colours for a model with {num_classes} classes; pass one per class"
        )
    check_alpha(alpha)
    check_int("batch_size", batch_size, minimum=1)
    check_int("every_nth_frame", every_nth_frame, minimum=0)
