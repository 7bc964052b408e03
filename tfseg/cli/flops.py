"""`tfseg flops`: GFLOPs, MACs and parameters of a model, as the RTSeg paper counted them.

  tfseg flops --encoder=shufflenet --decoder=skipnet --height=360 --width=640 --num_classes=20
  tfseg flops --all        # the paper's table, side by side with tfseg's counts (markdown)

The count is the TF profiler's float operations on the frozen forward graph at batch 1 with
BatchNorm folded: 2 per multiply-accumulate plus 1 per element of bias adds, residual adds and
pooling windows. One JSON object is printed on stdout.
"""

import json
import time

from absl import flags

from tfseg.benchmark import paper_table, profile
from tfseg.cli.model_flags import decoder_options_from_flags, define_model_flags
from tfseg.errors import ConfigError

FLAGS = flags.FLAGS
define_model_flags(require_names=False)
flags.DEFINE_bool("all", False, "Print the paper's GFLOPs table beside tfseg's counts.")


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
    options = decoder_options_from_flags()
    result = profile(
        FLAGS.encoder, FLAGS.decoder, FLAGS.num_classes, (FLAGS.height, FLAGS.width), **options
    )
    result["options"] = options
    result["seconds"] = round(time.time() - start, 2)
    print(json.dumps(result))
    return 0
