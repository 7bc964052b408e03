"""Entry point of the `tfseg` console script: `tfseg <command> --flag=value ...`.

Each command is a module under `tfseg.cli` that defines its absl flags at import time and a
`main(argv)` function. Only the chosen command's module is imported, so `--helpfull` lists exactly
the flags of that command and start-up stays fast.
"""

import importlib
import os
import sys

# Before anything imports TensorFlow: hide its C++ start-up chatter (CUDA probes on a CPU machine).
# Export TF_CPP_MIN_LOG_LEVEL=0 to see it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app  # noqa: E402

from tfseg.errors import TfsegError  # noqa: E402
from tfseg.platform import platform_error_from, prefer_onednn  # noqa: E402

# command -> (module, one-line summary)
COMMANDS = {
    "flops": ("tfseg.cli.flops", "GFLOPs, MACs and parameters, counted as the paper did"),
    "data": ("tfseg.cli.data", "Cityscapes-format data: synth, weights, check"),
    "train": ("tfseg.cli.train", "train or resume a model with the paper's recipe"),
    "evaluate": ("tfseg.cli.evaluate", "Cityscapes metrics (IoU, category IoU, iIoU) of a model"),
    "predict": ("tfseg.cli.predict", "segment images, folders or videos"),
}


def usage():
    lines = ["usage: tfseg <command> [--flag=value ...] [--flagfile=FILE]", "", "commands:"]
    width = max(len(name) for name in COMMANDS)
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += ["", "`tfseg <command> --helpfull` lists every flag of a command."]
    return "\n".join(lines)


def _guarded(main, command):
    """Runs a command's main, turning user and platform errors into one line and exit code 2."""

    def wrapped(argv):
        try:
            return main(argv)
        except TfsegError as error:
            print(f"tfseg {command}: error: {error}", file=sys.stderr)
            return 2
        except Exception as error:
            # A TensorFlow op with no kernel on this machine is the platform's doing, not a bug
            # of the user's; any other error keeps its traceback.
            platform_error = _platform_error(error)
            if platform_error is None:
                raise
            print(f"tfseg {command}: error: {platform_error}", file=sys.stderr)
            return 2

    return wrapped


def _platform_error(error):
    tf = sys.modules.get("tensorflow")
    if tf is None or not isinstance(error, tf.errors.OpError):
        return None
    return platform_error_from(error)


def run(argv=None):
    argv = list(sys.argv if argv is None else argv)
    # Before the command's module imports TensorFlow: oneDNN on where TensorFlow would leave it
    # off (CPUs without AVX-512), unless the user set TF_ENABLE_ONEDNN_OPTS (README, "CPU
    # requirements": it is faster there).
    prefer_onednn()
    if len(argv) < 2 or argv[1] in ("-h", "--help", "help"):
        print(usage())
        return 0
    command = argv[1]
    if command not in COMMANDS:
        print(f"tfseg: error: unknown command {command!r}\n\n{usage()}", file=sys.stderr)
        sys.exit(2)
    module = importlib.import_module(COMMANDS[command][0])
    # absl logs INFO lines (e.g. from checkpoint saving) unless told otherwise; a later
    # --verbosity given by the user wins.
    app.run(_guarded(module.main, command), argv=[f"tfseg {command}", "--verbosity=-1"] + argv[2:])


if __name__ == "__main__":
    run()
