"""The RTSeg paper's GFLOPs table, reproduced: its figures, and tfseg's counts beside them.

The paper's labels are corrected where the original code shows them wrong (each `note`).
"""

import platform
import time
from typing import NamedTuple

import keras

from tfseg.graph import profile_model
from tfseg.model_builder import build_model


class PaperFigure(NamedTuple):
    """One GFLOPs figure of the paper, the figure tfseg must match, and the original's params.

    `printed` is what the paper printed; `gflops` is the figure for the layers that feed the
    output at the true input size (equal to `printed` except where `note` explains).
    `reference_params` is the original model's trainable parameter count (kernels, biases, BN
    gamma/beta) for the same layers as tfseg's model, counted layer by layer from the original
    code's layer definitions.
    """

    encoder: str
    decoder: str
    height: int
    width: int
    printed: float
    gflops: float
    reference_params: int
    note: str = ""


# num_classes = 20 (19 + the original's void class) throughout, as in the paper.
PAPER_GFLOPS = [
    PaperFigure("mobilenet", "skipnet", 512, 1024, 13.8, 13.8, 3369240),
    PaperFigure("shufflenet", "skipnet", 512, 1024, 4.63, 4.63, 1014682),
    PaperFigure(
        "mobilenet", "unet", 512, 1024, 55.9, 55.9, 9930632,
        "includes conv_ds_14, built but unused by the original and counted by the paper",
    ),  # fmt: skip
    PaperFigure("shufflenet", "unet", 512, 1024, 17.9, 17.9, 6380870),
    PaperFigure("resnet18", "unet", 512, 1024, 43.9, 43.9, 11539828),
    PaperFigure(
        "mobilenet", "dilation", 512, 1024, 150.0, 142.1, 8574544,
        "the paper's 150 also counted encoder layers that do not feed the output",
    ),  # fmt: skip
    PaperFigure(
        "shufflenet", "dilation", 512, 1024, 71.6, 15.8, 987242,
        "the paper's 71.6 matches only 1024x2048 with the dead layers counted",
    ),  # fmt: skip
    PaperFigure("mobilenet", "skipnet", 360, 640, 6.2, 6.2, 3369240),
    PaperFigure("shufflenet", "skipnet", 360, 640, 2.0, 2.0, 1014682),
    PaperFigure(
        "vgg16", "skipnet", 512, 1024, 445.9, 445.9, 134473144,
        "the paper labels it 360x640, but it is the 512x1024 count",
    ),  # fmt: skip
]

PAPER_NUM_CLASSES = 20
TOLERANCE = 0.03


def profile(encoder, decoder, num_classes=19, input_shape=(512, 1024), **options):
    """GFLOPs, MACs and parameters of one model, as the paper counted them.

    Args:
        encoder, decoder, num_classes, input_shape, **options: as for `tfseg.build_model`.

    Returns:
        `{"model", "encoder", "decoder", "input", "num_classes"}` plus `profile_model`'s counts.

    Example:
        >>> profile("shufflenet", "skipnet", 20, (360, 640))["gflops"]
        2.0305...
    """
    model = build_model(encoder, decoder, num_classes, input_shape, **options)
    result = {
        "model": model.name,
        "encoder": encoder,
        "decoder": decoder,
        "input": [1, *model.input_shape[1:]],
        "num_classes": model.output_shape[-1],
        **profile_model(model),
    }
    keras.backend.clear_session()  # free the weights before the next model (VGG16: 0.5 GB)
    return result


def paper_table():
    """The paper's GFLOPs beside tfseg's, as a markdown table (each model with its paper options).

    Returns:
        `(markdown, all_within)`: the table with a footer, and whether every row is within
        `TOLERANCE` in both GFLOPs and parameters.
    """
    start = time.time()
    rows, all_within = [], True
    for figure in PAPER_GFLOPS:
        result = profile(
            figure.encoder, figure.decoder, PAPER_NUM_CLASSES, (figure.height, figure.width)
        )
        flops_error = result["gflops"] / figure.gflops - 1
        params_error = result["params"] / figure.reference_params - 1
        within = abs(flops_error) <= TOLERANCE and abs(params_error) <= TOLERANCE
        all_within &= within
        printed = f"{figure.printed:g}" + ("" if figure.printed == figure.gflops else " *")
        rows.append(
            f"| {result['model']} | {figure.height}x{figure.width} | {printed} "
            f"| {figure.gflops:g} | {result['gflops']:.2f} | {flops_error:+.1%} "
            f"| {result['params'] / 1e6:.3f} | {figure.reference_params / 1e6:.3f} "
            f"| {params_error:+.1%} | {'yes' if within else '**no**'} | {figure.note} |"
        )
    header = [
        "| model | input | paper GFLOPs | target | tfseg GFLOPs | diff | tfseg params (M) "
        "| original params (M) | diff | within 3% | note |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    footer = (
        f"\n{PAPER_NUM_CLASSES} classes, batch 1. * = the printed figure is not the model's "
        f"(see note). Measured by `tfseg flops --all` in {time.time() - start:.0f} s "
        f"({platform.processor() or platform.machine()}, TF profiler on the CPU)."
    )
    return "\n".join(header + rows) + "\n" + footer, all_within
