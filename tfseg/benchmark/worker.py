"""A benchmark worker process: `python -m tfseg.benchmark.worker prepare|runtime JOB.json`.

`tfseg.benchmark.runner` starts one `prepare` worker (the model, inputs, references, artifacts)
and one `runtime` worker per runtime, so each runtime's peak memory is its own and a crash
(a converter's abort, a segfault in a runtime) ends only that worker. A worker talks JSON lines:
it reads requests on stdin and writes replies on the file descriptor that was its stdout, which
it then points at stderr, so that libraries printing to stdout cannot garble the replies.

`runtime` requests: `{"op": "open", "size", "batch", "artifact", "inputs", "reference",
"warmup"}` (opens the runtime, compares its output on the timed inputs with the Keras model's,
then runs the warm-up calls); `{"op": "time", "iterations", "min_seconds", "warmup"}` (timed
calls; `tfseg.benchmark.timing.measure_latency`); `{"op": "close"}` (peak memory since `open`);
`{"op": "exit"}`.
"""

import gc
import json
import os
import sys
import traceback


def main(argv):
    """Runs one worker; returns its exit code (0, 2 for a user error, 1 for a crash)."""
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(event):
        from tfseg.io import plain_json

        replies.write(json.dumps(plain_json(event), allow_nan=False) + "\n")
        replies.flush()

    role, job_path = argv[1], argv[2]
    with open(job_path) as f:
        job = json.load(f)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    from tfseg.errors import TfsegError

    try:
        _configure_threads(job.get("threads", 0))
        for module in job.get("plugins", ()):
            from tfseg.registry import load_plugins

            load_plugins([module])
        if role == "prepare":
            from tfseg.benchmark.prepare import prepare

            prepare(job, emit)
            emit({"event": "done"})
            return 0
        return _serve(job, emit)
    except TfsegError as error:
        emit({"event": "error", "error": str(error), "kind": type(error).__name__})
        return 2
    except Exception as error:  # reported to the parent in one line; the traceback to the log
        traceback.print_exc()
        emit({"event": "error", "error": _describe(error)})
        return 1


def _configure_threads(threads):
    """TensorFlow's thread pools, before any op runs (0: TensorFlow's defaults)."""
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(1)


def _serve(job, emit):
    from tfseg.benchmark.memory import (
        peak_gpu_memory_mb,
        peak_host_memory_mb,
        reset_peak_host_memory,
    )
    from tfseg.benchmark.timing import measure_latency
    from tfseg.errors import TfsegError

    state = None
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "exit":
            return 0
        try:
            if op == "open":
                state = None
                gc.collect()
                reset_peak_host_memory()
                state = _open(job, request)
                measure_latency(state["step"], warmup=request.get("warmup", 0), iterations=0)
                emit({"ok": True, **state["report"]})
            elif op == "time":
                times = measure_latency(
                    state["step"], warmup=request.get("warmup", 0),
                    iterations=request["iterations"], min_seconds=request.get("min_seconds", 0),
                )  # fmt: skip
                emit({"ok": True, "times_ms": times})
            elif op == "close":
                emit(
                    {
                        "ok": True,
                        "peak_host_memory_mb": peak_host_memory_mb(),
                        "peak_gpu_memory_mb": peak_gpu_memory_mb(),
                    }
                )
                state = None
            else:
                emit({"ok": False, "error": f"unknown request {op!r}"})
        except TfsegError as error:
            emit({"ok": False, "error": str(error)})
        except Exception as error:
            traceback.print_exc()
            emit({"ok": False, "error": _describe(error)})
    return 0


def _open(job, request):
    import numpy as np

    from tfseg.benchmark.runtimes import open_runtime

    model = job["model"]

    def build(size):
        from tfseg.model_builder import build_model

        built = build_model(
            model["encoder"], model["decoder"], model["num_classes"], size,
            **model.get("decoder_options", {}),
        )  # fmt: skip
        built.load_weights(model["weights"])
        return built

    runtime, threads = open_runtime(
        job["runtime"], size=request["size"], build_model=build,
        artifact=request.get("artifact"), threads=job.get("threads", 0),
    )  # fmt: skip
    inputs = np.load(request["inputs"])
    wanted = np.load(request["reference"])
    if job["timed"] == "model":

        def step():
            return runtime.logits(inputs)

        got = np.asarray(step(), np.float32)
        if got.shape != wanted.shape:
            raise ValueError(f"logits of shape {got.shape}, the Keras model's are {wanted.shape}")
        report = {
            "argmax_agreement": float(np.mean(got.argmax(-1) == wanted.argmax(-1))),
            "max_abs_logit_diff": float(np.abs(got - wanted).max()),
        }
    else:

        def step():
            return runtime.segment(inputs)

        got = np.asarray(step())
        if got.shape != wanted.shape:
            raise ValueError(f"class ids of shape {got.shape}, the Keras model's {wanted.shape}")
        report = {"argmax_agreement": float(np.mean(got == wanted)), "max_abs_logit_diff": None}
    return {"step": step, "runtime": runtime, "report": {**report, "threads": threads}}


def _describe(error):
    tf = sys.modules.get("tensorflow")
    if tf is not None and isinstance(error, tf.errors.OpError):
        from tfseg.platform import platform_error_from

        platform = platform_error_from(error)
        if platform is not None:
            return str(platform)
    text = str(error).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(error).__name__}: {first[:300]}" if first else type(error).__name__


if __name__ == "__main__":
    sys.exit(main(sys.argv))
