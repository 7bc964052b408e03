"""The RTSeg paper's GFLOPs, with the labels corrected where the original code shows them wrong."""

from typing import NamedTuple


class PaperFigure(NamedTuple):
    """One GFLOPs figure of the paper, the figure tfseg must match, and the original's params.

    `printed` is what the paper printed; `gflops` is the figure for the layers that feed the
    output at the true input size (equal to `printed` except where `note` explains).
    `reference_params` is the original model's trainable parameter count (kernels, biases, BN
    gamma/beta) from `flops_estimate.py` (original-tfsegmentation.md §10) for the same layers as
    tfseg's model.
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
