"""`run_benchmark`: every runtime x size x batch of one model, each runtime in its own process,
one result row per measurement appended to a JSONL file (`tfseg benchmark run`).

This process never imports TensorFlow: a `prepare` worker builds (or loads) the model, writes
the timed inputs, the Keras model's outputs on them and every artifact into the cache
(`tfseg.benchmark.prepare`); then one `runtime` worker per runtime opens, checks and times it
(`tfseg.benchmark.worker`). Power is read here, around each block of timed calls.
"""

import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time

from tfseg.benchmark.contention import CpuContention, contention_note
from tfseg.benchmark.environment import environment, load_average
from tfseg.benchmark.memory import memory_markdown
from tfseg.benchmark.power import PAPER_ENERGY_IMAGES, energy_figures, find_power_meter
from tfseg.benchmark.protocol import DEFAULT_FRAME_SIZE, DEFAULT_SIZES, RUNTIMES, BenchmarkSpec
from tfseg.benchmark.record import append_rows, make_row
from tfseg.benchmark.runtimes import runtime_problem
from tfseg.benchmark.timing import summarize_latency
from tfseg.errors import ConfigError, DataError, PlatformError

DEFAULT_RESULTS_DIR = os.path.join("benchmarks", "results")


def run_benchmark(
    *,
    model_dir=None,
    checkpoint="best",
    encoder=None,
    decoder=None,
    num_classes=19,
    decoder_options=None,
    runtimes=None,
    sizes=DEFAULT_SIZES,
    batch_sizes=(1,),
    warmup=20,
    iterations=100,
    min_seconds=0.0,
    threads=0,
    timed="model",
    frame_size=DEFAULT_FRAME_SIZE,
    rounds=1,
    results=None,
    memory=False,
    power="auto",
    power_root="/",
    energy_images=PAPER_ENERGY_IMAGES,
    cache_dir=None,
    device=None,
    seed=0,
    parity_images=50,
    data_dir=None,
    plugins=(),
    notes=None,
    timeout=3600,
    progress=print,
):
    """Benchmarks one model on every runtime x size x batch asked for (docs/benchmarking.md).

    Args:
        model_dir, checkpoint: a trained model dir and its `best` or `last` model; or
        encoder, decoder, num_classes, decoder_options: a model with random weights (speed
            only: parity on the timed inputs, no mIoU, int8 calibrated on the timed inputs).
        runtimes: names of `RUNTIMES` (default: all; those that cannot run here are skipped).
        sizes: `(height, width)` pairs or `"HxW"` strings (the network input).
        batch_sizes, warmup, iterations, min_seconds, threads, timed, frame_size, rounds: the
            protocol (`BenchmarkSpec`).
        results: a `.jsonl` file for every row, or a folder for one file per runtime
            (`<device>-<runtime>.jsonl`); default `<model_dir>/benchmarks/<device>.jsonl`, or
            the folder `benchmarks/results`.
        memory: also write the per-layer memory report (`memory-<model>-<H>x<W>-b<B>.md`)
            next to the results.
        power: `auto`, `none`, `nvml`, `rapl` or `ina3221`; `power_root` is where sysfs is.
        energy_images: N of the seed paper's energy E = N * I * P / 3.6e6 W*h.
        cache_dir: where artifacts are exported to and reused from (default
            `$XDG_CACHE_HOME/tfseg/benchmark`).
        device: the device name of rows and file names (default: from the GPU or the CPU).
        seed: of the random weights and the timed inputs.
        parity_images, data_dir: validation images for the mIoU of a model dir's artifacts.
        plugins: modules registering encoders/decoders, loaded by the workers too.
        notes: a sentence added to every row's notes.
        timeout: seconds any one worker step may take before it is killed.
        progress: called with each line of output (None: quiet).

    Returns:
        `{"rows": [...], "skipped": [(runtime, "HxW" or "all", reason)], "results": [paths],
        "memory": [paths]}`.

    Raises:
        ConfigError, DataError, PlatformError: bad input, or nothing could run (the reasons).

    Example:
        >>> run_benchmark(encoder="shufflenet", decoder="skipnet", runtimes=["onnxruntime"],
        ...               sizes=["360x640"], warmup=5, iterations=30, results="out.jsonl")
    """
    say = progress or (lambda line: None)
    explicit = runtimes is not None
    runtimes = list(RUNTIMES) if runtimes is None else list(runtimes)
    specs = BenchmarkSpec.grid(
        runtimes, sizes, batch_sizes, warmup=warmup, iterations=iterations,
        min_seconds=min_seconds, threads=threads, timed=timed, frame_size=tuple(frame_size),
        rounds=rounds,
    )  # fmt: skip
    model = _model_spec(model_dir, checkpoint, encoder, decoder, num_classes, decoder_options)
    if model_dir:
        model.update(parity_images=parity_images, data_dir=data_dir)
    env = environment()
    device = device or env["device"]
    results = _results_target(results, model_dir, device)
    meter, power_line = find_power_meter(power, power_root)
    cache_dir = cache_dir or _default_cache()
    load_before = env["load"]

    skipped, problems = [], {}
    for name in dict.fromkeys(runtimes):
        problem = runtime_problem(name)
        if problem:
            problems[name] = problem
            skipped.append((name, "all", problem))
            say(f"skipped: {name}: {problem}")
    specs = [s for s in specs if s.runtime not in problems]
    if not specs:
        _nothing_ran(skipped, explicit)

    with tempfile.TemporaryDirectory(prefix="tfseg-benchmark-") as scratch:
        prepared = _prepare(specs, model, cache_dir, seed, memory, scratch, timeout, plugins, say)
        facts = prepared["model"]
        say(
            f"{facts['name']} ({facts['num_classes']} classes), {', '.join(facts['notes'])}; "
            f"oneDNN {'on' if facts['onednn'] else 'off'}"
        )
        say(power_line)
        rows, memory_files, written = [], [], set()
        groups = {}
        for spec in specs:
            groups.setdefault((spec.size, spec.batch), []).append(spec)

        def finish(spec, result):
            size = _size_text(spec.size)
            if "error" in result:
                skipped.append((spec.runtime, size, result["error"]))
                say(f"skipped: {spec.runtime} {size}: {result['error']}")
                return
            row = _row(
                spec, result, prepared, env, device, facts, load_before, energy_images, notes
            )
            path = _results_file(results, device, spec.runtime)
            append_rows(path, [row])
            written.add(path)
            rows.append(row)
            say(_line(row))

        workers = {}
        try:
            for (size, batch), group in groups.items():
                ready = []
                for spec in group:
                    problem = prepared["problems"].get((spec.runtime, spec.size))
                    if problem:
                        finish(spec, {"error": problem})
                    else:
                        ready.append(spec)
                measured = _measure(
                    ready, prepared, workers, meter, facts, scratch, timeout, plugins, finish, say
                )
                if memory:
                    memory_files += _write_memory(
                        prepared, size, batch, measured, results, facts["name"]
                    )
        finally:
            for worker in workers.values():
                worker.stop()
    for path in sorted(written):
        say(f"rows appended to {path}")
    if not rows:
        _nothing_ran(skipped, explicit)
    return {"rows": rows, "skipped": skipped, "results": sorted(written), "memory": memory_files}


def _model_spec(model_dir, checkpoint, encoder, decoder, num_classes, decoder_options):
    if model_dir and (encoder or decoder):
        raise ConfigError("give either --model_dir or --encoder/--decoder, not both")
    if model_dir:
        config = os.path.join(model_dir, "config.json")
        if not os.path.isfile(config):
            raise DataError(f"--model_dir={model_dir}: no config.json; is it a tfseg model dir?")
        return {"model_dir": os.path.abspath(model_dir), "checkpoint": checkpoint}
    if not encoder or not decoder:
        raise ConfigError("give --model_dir, or --encoder and --decoder (random weights)")
    return {
        "encoder": encoder,
        "decoder": decoder,
        "num_classes": num_classes,
        "decoder_options": dict(decoder_options or {}),
    }


def _results_target(results, model_dir, device):
    """The results file or folder, checked writable before anything is measured."""
    if results is None:
        results = (
            os.path.join(model_dir, "benchmarks", f"{device}.jsonl")
            if model_dir
            else DEFAULT_RESULTS_DIR
        )
    path = os.path.abspath(results)
    folder = path if not path.endswith(".jsonl") else os.path.dirname(path)
    existing = folder
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if (
        not os.path.isdir(existing)
        or not os.access(existing, os.W_OK | os.X_OK)
        or (os.path.isdir(path) and path.endswith(".jsonl"))
    ):
        raise ConfigError(f"--results={results}: cannot write there")
    if path.endswith(".jsonl") and os.path.exists(path):
        from tfseg.benchmark.record import read_rows

        read_rows(path)  # a file that is not JSONL rows is refused now, not after measuring
    return path


def _results_file(results, device, runtime):
    if results.endswith(".jsonl"):
        return results
    return os.path.join(results, f"{device}-{runtime}.jsonl")


def _default_cache():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "tfseg", "benchmark")


def _nothing_ran(skipped, explicit):
    reasons = "; ".join(f"{name} {size}: {reason}" for name, size, reason in skipped)
    if explicit and len({name for name, _, _ in skipped}) == 1:
        raise PlatformError(f"{skipped[0][0]} cannot run here: {skipped[0][2]}")
    raise PlatformError(f"no runtime could run ({reasons or 'nothing asked for'})")


# ---- the prepare worker ---------------------------------------------------------------------


def _prepare(specs, model, cache_dir, seed, memory, scratch, timeout, plugins, say):
    """Runs the prepare worker until it finished (restarting it after a crash, without the
    step that crashed it); returns `{"model", "sizes", "artifacts", "problems"}`."""
    sizes = list(dict.fromkeys(s.size for s in specs))
    wanted = dict.fromkeys(
        (s.runtime, s.size) for s in specs if RUNTIMES[s.runtime].export_format is not None
    )
    artifacts = [{"runtime": runtime, "size": list(size)} for runtime, size in wanted]
    job = {
        "cache": os.path.abspath(cache_dir),
        "model": model,
        "sizes": [list(s) for s in sizes],
        "batch_sizes": list(dict.fromkeys(s.batch for s in specs)),
        "timed": specs[0].timed,
        "frame_size": list(specs[0].frame_size),
        "seed": seed,
        "artifacts": artifacts,
        "memory": memory,
        "skip": [],
        "plugins": list(plugins),
    }
    prepared = {"model": None, "sizes": {}, "artifacts": {}, "problems": {}}
    for _attempt in range(len(artifacts) + 1):
        worker = _Worker("prepare", job, scratch, log_dir=os.path.join(job["cache"], "logs"))
        step = None
        try:
            while True:
                event = worker.receive(timeout)
                kind = event.get("event")
                if kind == "error":
                    worker.stop()
                    raise _user_error(event, worker.log_path)
                if kind == "done":
                    worker.stop()
                    return prepared
                if kind == "step":
                    step = event["step"]
                    say(f"prepare: {step} ...")
                elif kind == "model":
                    prepared["model"] = event
                elif kind == "size":
                    prepared["sizes"][tuple(event["size"])] = event
                elif kind == "artifact":
                    key = (event["runtime"], tuple(event["size"]))
                    prepared["artifacts"][key] = event
                    if event["error"]:
                        prepared["problems"][key] = f"export failed: {event['error']}"
                    step = None
        except _WorkerDied as died:
            if step is None or prepared["model"] is None:
                raise PlatformError(f"the benchmark's prepare worker {died}") from None
            runtime, size = step.split(" ")[1], step.split(" ")[2]
            key = (runtime, tuple(int(v) for v in size.split("x")))
            prepared["problems"][key] = f"export crashed the process ({died})"
            job["skip"].append(step)
            say(f"prepare: {step} {died}; going on without it")
    return prepared


def _user_error(event, log_path):
    """The worker's error as the same kind of `TfsegError` (a crash's: a `PlatformError`)."""
    kinds = {"ConfigError": ConfigError, "DataError": DataError, "PlatformError": PlatformError}
    message = event["error"]
    if event.get("kind") not in kinds:
        message = f"the benchmark's prepare worker failed: {message} (log: {log_path})"
    return kinds.get(event.get("kind"), PlatformError)(message)


# ---- the runtime workers --------------------------------------------------------------------


def _measure(specs, prepared, workers, meter, facts, scratch, timeout, plugins, finish, say):
    """Opens, times and closes each spec's runtime (interleaved when `rounds > 1`), calling
    `finish(spec, result)` as each is done; returns `[(spec, result)]`."""
    if not specs:
        return []
    results = {}
    context = (prepared, workers, facts, scratch, timeout, plugins, results, say)
    if specs[0].rounds == 1:
        for spec in specs:
            if _open(spec, *context):
                _time_block(spec, workers, meter, timeout, results, 0, 1)
                _close(spec, workers, timeout, results)
            finish(spec, results[spec])
        return [(spec, results[spec]) for spec in specs]
    opened = [spec for spec in specs if _open(spec, *context)]
    for round_index in range(specs[0].rounds):
        for spec in opened:
            if "error" not in results[spec]:
                _time_block(spec, workers, meter, timeout, results, round_index, spec.rounds)
    for spec in opened:
        if "error" not in results[spec]:
            _close(spec, workers, timeout, results)
    for spec in specs:
        finish(spec, results[spec])
    return [(spec, results[spec]) for spec in specs]


def _open(spec, prepared, workers, facts, scratch, timeout, plugins, results, say):
    size_event = prepared["sizes"][spec.size]
    batch = size_event["batches"][str(spec.batch)]
    artifact = prepared["artifacts"].get((spec.runtime, spec.size))
    request = {
        "op": "open",
        "size": list(spec.size),
        "batch": spec.batch,
        "artifact": artifact["path"] if artifact else None,
        "inputs": batch["inputs"],
        "reference": batch["reference"],
        "warmup": spec.warmup,
    }
    worker = _worker_for(spec, workers, facts, scratch, plugins)
    try:
        reply = worker.request(request, timeout)
    except _WorkerDied as died:
        workers.pop(spec.runtime, None)
        results[spec] = {"error": f"the {spec.runtime} worker {died}"}
        return False
    if not reply.get("ok"):
        results[spec] = {"error": reply.get("error", "?")}
        return False
    results[spec] = {
        "open": reply, "times_ms": [], "energy_j": 0.0, "power_seconds": 0.0,
        "contention": CpuContention(),
    }  # fmt: skip
    return True


def _time_block(spec, workers, meter, timeout, results, round_index, rounds):
    """One block of timed calls: iterations / rounds of them (the remainder in the first)."""
    share, extra = divmod(spec.iterations, rounds)
    iterations = share + (1 if round_index < extra else 0)
    request = {
        "op": "time",
        "iterations": max(1, iterations),
        "min_seconds": spec.min_seconds / rounds,
        "warmup": 1 if rounds > 1 else 0,  # caches refilled after the other runtimes' blocks
    }
    contention = results[spec]["contention"]
    contention.start(workers[spec.runtime].process.pid)
    if meter is not None:
        meter.start()
    try:
        reply = workers[spec.runtime].request(request, timeout)
    except _WorkerDied as died:
        workers.pop(spec.runtime, None)
        results[spec] = {"error": f"the {spec.runtime} worker {died}"}
        return
    finally:
        reading = meter.stop() if meter is not None else None
        contention.stop()
    if not reply.get("ok"):
        results[spec] = {"error": reply.get("error", "?")}
        return
    results[spec]["times_ms"] += reply["times_ms"]
    if reading and reading["energy_j"] is not None:
        results[spec]["energy_j"] += reading["energy_j"]
        results[spec]["power_seconds"] += reading["seconds"]
        results[spec]["power_source"] = meter.source


def _close(spec, workers, timeout, results):
    try:
        reply = workers[spec.runtime].request({"op": "close"}, timeout)
    except _WorkerDied as died:
        workers.pop(spec.runtime, None)
        results[spec] = {"error": f"the {spec.runtime} worker {died}"}
        return
    results[spec]["close"] = reply


def _worker_for(spec, workers, facts, scratch, plugins):
    worker = workers.get(spec.runtime)
    if worker is None or not worker.alive():
        job = {
            "runtime": spec.runtime,
            "threads": spec.threads,
            "timed": spec.timed,
            "model": {
                key: facts[key]
                for key in ("encoder", "decoder", "num_classes", "decoder_options", "weights")
            },
            "plugins": list(plugins),
        }
        log_dir = os.path.join(os.path.dirname(facts["cache"]), "logs")
        worker = workers[spec.runtime] = _Worker("runtime", job, scratch, log_dir=log_dir)
    return worker


class _WorkerDied(Exception):
    """The worker exited (or was killed after a timeout); the message says how."""


class _Worker:
    """A worker process and its JSON-lines pipes; its stderr is appended to a log file in
    `log_dir` (`prepare.log`, `runtime-<name>.log`), which failure messages name."""

    def __init__(self, role, job, scratch, log_dir):
        self.role = role
        fd, job_path = tempfile.mkstemp(prefix=f"{role}-", suffix=".json", dir=scratch)
        with os.fdopen(fd, "w") as f:
            json.dump(job, f)
        os.makedirs(log_dir, exist_ok=True)
        name = role if role == "prepare" else f"{role}-{job['runtime']}"
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.log = open(self.log_path, "ab")
        self.log.write(f"---- {_now()} {role} {job_path}\n".encode())
        self.log.flush()
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": os.environ.get("TF_CPP_MIN_LOG_LEVEL", "3")}
        env["PYTHONUNBUFFERED"] = "1"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tfseg.benchmark.worker", role, job_path],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, env=env,
        )  # fmt: skip
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.process.stdout, selectors.EVENT_READ)
        self.buffer = b""

    def alive(self):
        return self.process.poll() is None

    def request(self, message, timeout):
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode())
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            raise _WorkerDied(self._how()) from None
        return self.receive(timeout)

    def receive(self, timeout):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not self.selector.select(left):
                self.kill()
                raise _WorkerDied(f"took more than {timeout:g} s and was stopped")
            chunk = os.read(self.process.stdout.fileno(), 1 << 16)
            if not chunk:
                self.process.wait()
                raise _WorkerDied(self._how())
            self.buffer += chunk
        line, self.buffer = self.buffer.split(b"\n", 1)
        return json.loads(line)

    def stop(self):
        if self.alive():
            try:
                self.process.stdin.write(b'{"op": "exit"}\n')
                self.process.stdin.flush()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.kill()
        self.log.close()

    def kill(self):
        if self.alive():
            self.process.kill()
            self.process.wait()

    def _how(self):
        code = self.process.poll()
        if code is not None and code < 0:
            try:
                how = f"was killed by {signal.Signals(-code).name}"
            except ValueError:
                how = f"was killed by signal {-code}"
        else:
            how = f"exited with code {code}"
        self.log.flush()
        return f"{how}{_last_log_line(self.log_path)}; log: {self.log_path}"


def _last_log_line(path):
    try:
        with open(path, "rb") as f:
            lines = f.read()[-20000:].decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    noise = ("W0000", "I0000", "WARNING: All log messages", "  ", "---- ")
    lines = [line for line in lines if line.strip() and not line.startswith(noise)]
    return f" ({lines[-1].strip()[:300]})" if lines else ""


# ---- rows and reports -----------------------------------------------------------------------


def _row(spec, result, prepared, env, device, facts, load_before, energy_images, notes):
    stats = summarize_latency(result["times_ms"], spec.batch)
    size_event = prepared["sizes"][spec.size]
    artifact = prepared["artifacts"].get((spec.runtime, spec.size)) or {}
    gflops = size_event["gflops"]
    power_w = result["energy_j"] / result["power_seconds"] if result.get("power_seconds") else None
    energy = energy_figures(power_w, stats["mean"], spec.batch, energy_images)
    load_after = load_average()
    threads = {"requested": spec.threads or "default", **result["open"]["threads"]}
    versions = {**env["versions"], "tensorflow_onednn": "on" if facts["onednn"] else "off"}
    miou = artifact.get("miou")
    if miou is None and RUNTIMES[spec.runtime].export_format is None:
        miou = size_event.get("keras_miou")
    items = [f"params={size_event['params']}"]
    if miou is not None:
        items.append(f"miou={miou:.4f}")
    peak = facts.get("conv_peak_gflops_per_s")
    if peak:
        items.append(f"conv_peak={peak:.1f} GFLOP/s (3x3 conv 64->64 at 360x640, tf.function)")
    items += list(facts["notes"]) + list(artifact.get("notes", []))
    classes, share = size_event["batches"][str(spec.batch)]["classes"]
    items.append(
        f"Keras argmax on the timed inputs: {classes} classes, the largest {100 * share:.0f}% "
        "of the pixels"
    )
    items.append(_protocol_note(spec))
    share = result["contention"].share()
    items.append(contention_note(share, result["contention"].uncertainty()))
    items.append(_load_note(load_before, load_after, env["cpu_cores"], busy_test=share is None))
    if spec.rounds > 1:
        items.append(f"interleaved with the other runtimes in {spec.rounds} rounds")
    if notes:
        items.append(notes)
    return make_row(
        date=_now(),
        git_commit=env["git_commit"],
        device=device,
        cpu=env["cpu"],
        gpu=facts.get("gpu") or env["gpu"],
        runtime=spec.runtime,
        precision=RUNTIMES[spec.runtime].precision,
        model=facts["name"],
        encoder=facts["encoder"],
        decoder=facts["decoder"],
        num_classes=facts["num_classes"],
        height=spec.size[0],
        width=spec.size[1],
        batch_size=spec.batch,
        timed=spec.timed,
        warmup=spec.warmup,
        iterations=stats["iterations"],
        latency_ms_mean=stats["mean"],
        latency_ms_p50=stats["p50"],
        latency_ms_p90=stats["p90"],
        latency_ms_p99=stats["p99"],
        fps=stats["fps"],
        gflops=gflops,
        gflops_per_s=gflops * stats["fps"] if stats["fps"] else None,
        peak_host_memory_mb=result["close"]["peak_host_memory_mb"],
        peak_gpu_memory_mb=result["close"]["peak_gpu_memory_mb"],
        power_source=result.get("power_source") if power_w is not None else None,
        power_w_mean=power_w,
        **energy,
        argmax_agreement=result["open"]["argmax_agreement"],
        max_abs_logit_diff=result["open"]["max_abs_logit_diff"],
        threads=threads,
        versions=versions,
        notes="; ".join(items),
    )


def _protocol_note(spec):
    if spec.timed == "model":
        what = f"timed=model: float32 [{spec.batch}, {spec.size[0]}, {spec.size[1]}, 3] -> logits"
    else:
        frame = f"{spec.frame_size[0]}x{spec.frame_size[1]}"
        what = f"timed=end_to_end: uint8 {frame} frames -> class ids at {frame}"
    limit = f", >= {spec.min_seconds:g} s" if spec.min_seconds else ""
    return (
        f"{what}; inputs: random smooth images; 1 parity + {spec.warmup} warm-up calls "
        f"untimed, then >= {spec.iterations} timed calls{limit}; percentiles linear (numpy)"
    )


def _load_note(before, after, cores, busy_test=True):
    """The load averages; they judge "busy" only where /proc could not (`busy_test`): they count
    the benchmark's own threads too."""
    if not before or not after:
        return "load average unknown"
    text = f"load average {before[0]:.2f} before, {after[0]:.2f} after (1 min, {cores} cores)"
    if busy_test and max(before[0], after[0]) > 0.75 * cores:
        text += ": the machine was busy with other work, so latencies are upper bounds"
    return text


def _now():
    import datetime

    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def _size_text(size):
    return f"{size[0]}x{size[1]}"


def _line(row):
    agreement = row["argmax_agreement"]
    return (
        f"{row['runtime']} {row['height']}x{row['width']} b{row['batch_size']}: "
        f"p50 {row['latency_ms_p50']:.1f} ms, p90 {row['latency_ms_p90']:.1f}, "
        f"p99 {row['latency_ms_p99']:.1f}, {row['fps']:.2f} FPS, "
        f"{row['gflops_per_s']:.1f} GFLOP/s, agreement {100 * agreement:.4f}%, "
        f"peak {row['peak_host_memory_mb']:.0f} MiB"
    )


def _write_memory(prepared, size, batch, measured, results, model_name):
    path = prepared["sizes"][size]["batches"][str(batch)].get("memory")
    if not path:
        return []
    with open(path) as f:
        report = json.load(f)
    peaks = {
        spec.runtime: result["close"]["peak_host_memory_mb"]
        for spec, result in measured
        if "close" in result
    }
    folder = results if not results.endswith(".jsonl") else os.path.dirname(results)
    os.makedirs(folder, exist_ok=True)
    from tfseg.io import atomic_write

    target = os.path.join(folder, f"memory-{model_name}-{_size_text(size)}-b{batch}.md")
    atomic_write(target, memory_markdown(report, peaks))
    return [target]
