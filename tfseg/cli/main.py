"""Entry point of the `tfseg` console script: `tfseg <command> --flag=value ...`.

Each command is a module under `tfseg.cli` that defines its absl flags at import time and a
`main(argv)` function. Only the chosen command's module is imported, so `--helpfull` lists exactly
the flags of that command and start-up stays fast. Commands that build models first load the
encoders and decoders of installed plugins and of `--plugin=module` (before their flags are
defined, so `--encoder` accepts the plugins' names).
"""

import importlib
import os
import signal
import sys
import traceback

# Before anything imports TensorFlow: hide its C++ start-up chatter (CUDA probes on a CPU machine).
# Export TF_CPP_MIN_LOG_LEVEL=0 to see it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from absl import app, flags  # noqa: E402

from tfseg.errors import (  # noqa: E402
    EXIT_INTERRUPTED,
    EXIT_TERMINATED,
    DataError,
    Interrupted,
    ResourceError,
    Terminated,
    TfsegError,
)
from tfseg.platform import platform_error_from, prefer_onednn  # noqa: E402

flags.DEFINE_multi_string(
    "plugin", [], "A module (dotted name, or a .py file) that registers encoders or decoders "
    "with tfseg.register_encoder / register_decoder; repeatable. See docs/extending.md."
)  # fmt: skip

# Commands that never build a model in their own process, so need no plugins (`benchmark`'s
# workers load them).
WITHOUT_MODELS = {"data", "benchmark"}
# command -> (module, one-line summary)
COMMANDS = {
    "flops": ("tfseg.cli.flops", "GFLOPs, MACs and parameters, counted as the paper did"),
    "data": ("tfseg.cli.data", "Cityscapes-format data: synth, weights, check"),
    "train": ("tfseg.cli.train", "train or resume a model with the paper's recipe"),
    "evaluate": ("tfseg.cli.evaluate", "Cityscapes metrics (IoU, category IoU, iIoU) of a model"),
    "predict": ("tfseg.cli.predict", "segment images, folders or videos"),
    "export": ("tfseg.cli.export", "SavedModel, frozen graph, TFLite, ONNX, TF-TRT + export.json"),
    "benchmark": ("tfseg.cli.benchmark", "latency, FPS, memory and power per runtime; leaderboard"),
}


def usage():
    lines = ["usage: tfseg <command> [--flag=value ...] [--flagfile=FILE]", "", "commands:"]
    width = max(len(name) for name in COMMANDS)
    lines += [f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += ["", "`tfseg <command> --helpfull` lists every flag of a command."]
    return "\n".join(lines)


def _guarded(main, command):
    """Runs a command's main: every anticipated failure ends in one line and an exit code.

    This is the one place that decides what the user sees when a command fails
    (docs/reliability.md):

    * `TfsegError` (bad input, refused or damaged files, a locked model dir), `OSError`s of the
      known kinds (permission, not a folder, no space, read-only file system, ...), TensorFlow's
      platform and file errors, running out of memory: `tfseg <command>: error: <one line>`,
      exit code 2 (the user's input) or 3 (the machine's environment), no traceback.
    * Ctrl-C (SIGINT) and SIGTERM: one line (for `train`, from which epoch the same command
      resumes), exit code 130 / 143.
    * Anything else is a bug: its traceback, then a line saying so; exit code 1.
    """

    def wrapped(argv):
        previous = signal.signal(signal.SIGTERM, _raise_terminated)
        try:
            return _run_guarded(main, argv, command)
        finally:
            signal.signal(signal.SIGTERM, previous)

    return wrapped


def _run_guarded(main, argv, command):
    """`main(argv)`, with what `_guarded` describes done to its failures."""
    try:
        return main(argv)
    except KeyboardInterrupt:
        print(f"tfseg {command}: interrupted (SIGINT)", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Terminated:
        print(f"tfseg {command}: interrupted (SIGTERM)", file=sys.stderr)
        return EXIT_TERMINATED
    except Exception as error:  # sorted into anticipated failures and bugs
        anticipated = anticipated_error(error)
        if anticipated is None:
            traceback.print_exc()
            print(
                f"tfseg {command}: this is a bug in tfseg, not a problem with your input: "
                "please report it on the project's issue tracker, with the command and the "
                "traceback above",
                file=sys.stderr,
            )
            return 1
        kind = "" if isinstance(anticipated, Interrupted) else "error: "
        print(f"tfseg {command}: {kind}{_one_line(anticipated)}", file=sys.stderr)
        return anticipated.exit_code


def _raise_terminated(signum, frame):
    raise Terminated()


def anticipated_error(error):
    """The `TfsegError` an anticipated failure stands for, or None for a bug.

    Args:
        error: an exception that reached the CLI.

    Returns:
        `error` itself for a `TfsegError`; a `DataError` / `ResourceError` / `PlatformError`
        for the known kinds of `OSError`, `MemoryError` and TensorFlow errors; else None.
    """
    # Imported here: tfseg.io imports OpenCV, which `tfseg --help` need not wait for.
    from tfseg.io.os_errors import error_from_message, error_from_os_error

    if isinstance(error, TfsegError):
        return error
    if isinstance(error, OSError):
        # Some libraries (h5py, zipfile) raise OSErrors without an errno, the OS's reason only
        # in their text.
        return error_from_os_error(error) or error_from_message(
            error.filename or "a file operation", str(error)
        )
    if isinstance(error, MemoryError):
        return ResourceError(f"out of memory; {_LESS_MEMORY}")
    tf = sys.modules.get("tensorflow")
    if tf is None or not isinstance(error, tf.errors.OpError):
        return None
    # A TensorFlow op with no kernel on this machine is the platform's doing, not a bug.
    platform_error = platform_error_from(error)
    if platform_error is not None:
        return platform_error
    message = _one_line(getattr(error, "message", str(error)))
    if isinstance(error, tf.errors.ResourceExhaustedError) and "OOM" in message:
        return ResourceError(f"out of memory ({message[:120]}); {_LESS_MEMORY}")
    file_errors = (
        tf.errors.NotFoundError,
        tf.errors.PermissionDeniedError,
        tf.errors.DataLossError,
        tf.errors.ResourceExhaustedError,
        tf.errors.FailedPreconditionError,
    )
    if not isinstance(error, file_errors):
        return None
    # TensorFlow's file errors: the message holds the path and the OS's reason, no errno.
    found = error_from_message("?", message)
    if found is not None:
        return type(found)(message)
    if isinstance(error, tf.errors.DataLossError):
        return DataError(f"{message}: a file is damaged or truncated")
    return None


_LESS_MEMORY = "lower --batch_size or the image size, or close other programs"


def _one_line(error):
    return " ".join(str(error).split())


def plugin_modules(args):
    """The values of every `--plugin` in `args` and in the flagfiles they name.

    absl parses flags only after the command's module has defined its own, but the plugins must
    be registered before that (the `--encoder` flag lists the valid names), so they are read here.
    """
    modules, args, seen = [], list(args), set()
    while args:
        arg = args.pop(0)
        for name in ("plugin", "flagfile"):
            if arg == f"--{name}" and args:
                value = args.pop(0)
            elif arg.startswith(f"--{name}="):
                value = arg.split("=", 1)[1]
            else:
                continue
            if name == "plugin":
                modules.append(value)
            elif os.path.isfile(value) and os.path.abspath(value) not in seen:
                seen.add(os.path.abspath(value))
                with open(value) as f:
                    args += [line.strip() for line in f if line.strip().startswith("--")]
    return modules


def _load_plugins(command, args):
    from tfseg.registry import load_entry_points, load_plugins

    try:
        load_entry_points()
        load_plugins(plugin_modules(args))
    except TfsegError as error:
        print(f"tfseg {command}: error: {error}", file=sys.stderr)
        sys.exit(2)


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
    if command not in WITHOUT_MODELS:
        _load_plugins(command, argv[2:])
    module = importlib.import_module(COMMANDS[command][0])
    # absl logs INFO lines (e.g. from checkpoint saving) unless told otherwise; a later
    # --verbosity given by the user wins.
    app.run(
        _guarded(module.main, command),
        argv=[f"tfseg {command}", "--verbosity=-1"] + argv[2:],
        flags_parser=_parse_flags,
    )


def _parse_flags(argv):
    """absl's flag parsing, with a bad flag being the user's input: one line, exit code 2."""
    from absl import flags

    try:
        return flags.FLAGS(argv)
    except flags.Error as error:
        print(f"{argv[0]}: error: {error} (--helpshort lists the flags)", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    run()
