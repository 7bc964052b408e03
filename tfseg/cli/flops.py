"""`tfseg flops`: GFLOPs, MACs and parameters of a model, as the RTSeg paper counted them.

  tfseg flops --encoder=shufflenet --decoder=skipnet --height=360 --width=640 --num_classes=20
  tfseg flops --all        # the paper's table, side by side with tfseg's counts (markdown)

The count is the TF profiler's float operations on the frozen forward graph at batch 1 with
BatchNorm folded: 2 per multiply-accumulate plus 1 per element of bias adds, residual adds and
pooling windows. One JSON object is printed on stdout.
"""

import json
import platform
import time

import keras
from absl import flags

from tfseg.cli.model_flags import (
    build_model_from_flags,
    decoder_options_from_flags,
    define_model_flags,
)
from tfseg.errors import ConfigError
from tfseg.graph import profile_model
from tfseg.paper_gflops import PAPER_GFLOPS, PAPER_NUM_CLASSES, TOLERANCE

FLAGS = flags.FLAGS
define_model_flags(require_names=False)
flags.DEFINE_bool("all", False, "Print the paper's GFLOPs table beside tfseg's counts.")


def profile(encoder, decoder, **overrides):
    model = build_model_from_flags(encoder, decoder, **overrides)
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
    """Markdown table of the paper's GFLOPs beside tfseg's; returns (text, all_within)."""
    start = time.time()
    rows, all_within = [], True
    for figure in PAPER_GFLOPS:
        result = profile(
            figure.encoder, figure.decoder,
            num_classes=PAPER_NUM_CLASSES, input_shape=(figure.height, figure.width),
        )  # fmt: skip
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


def main(argv):
    if len(argv) > 1:
        raise ConfigError(f"unexpected arguments: {' '.join(argv[1:])}")
    if FLAGS.all:
        table, all_within = paper_table()
        print(table)
        return 0 if all_within else 1
    if FLAGS.encoder is None or FLAGS.decoder is None:
        raise ConfigError("--encoder and --decoder are required (or --all for the paper table)")
    start = time.time()
    result = profile(FLAGS.encoder, FLAGS.decoder)
    result["options"] = decoder_options_from_flags()
    result["seconds"] = round(time.time() - start, 2)
    print(json.dumps(result))
    return 0
