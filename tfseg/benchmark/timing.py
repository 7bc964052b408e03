"""The timing loop and its statistics: latency percentiles, mean and FPS.

Percentiles use linear interpolation between closest ranks (numpy's default `linear` method,
Hyndman & Fan type 7: the rank of the p-th percentile is p/100 * (n - 1) over the sorted
times), as the Jetson runner `tfseg/deploy/jetson/segment_trt.py` computes them, so its rows and
these compare. FPS is images per second over the timed calls: `batch * 1000 / mean latency`
(the mean, not the median, because a camera loop's throughput is total images over total
time).
"""

import time

import numpy as np


def measure_latency(step, *, warmup=0, iterations=1, min_seconds=0.0, clock=time.perf_counter):
    """Calls `step()` `warmup` times untimed, then times calls until both limits are reached.

    Each timed call is measured alone (`clock()` before and after), so a slow call is seen as
    such, not averaged away; `step` must return only when its output is on the host (a numpy
    array), so asynchronous runtimes are timed to completion.

    Args:
        step: a function of no arguments, one inference.
        warmup: untimed calls first (graph tracing, allocation, caches).
        iterations: timed calls, at least.
        min_seconds: seconds of timed calls, at least (0: `iterations` alone decides).
        clock: seconds as a float (tests pass a fake one).

    Returns:
        The timed calls' latencies in milliseconds, in call order.

    Example:
        >>> times = measure_latency(lambda: runtime.logits(x), warmup=20, iterations=100)
        >>> summarize_latency(times)["p50"]
    """
    for _ in range(warmup):
        step()
    times, total = [], 0.0
    while len(times) < iterations or total < min_seconds:
        start = clock()
        step()
        elapsed = clock() - start
        times.append(elapsed * 1000.0)
        total += elapsed
    return times


def summarize_latency(times_ms, batch=1):
    """Mean, p50/p90/p99 (linear interpolation, see the module doc) and FPS of timed calls.

    Args:
        times_ms: latencies of the timed calls in ms (of one batch each).
        batch: images per call.

    Returns:
        `{"iterations", "mean", "p50", "p90", "p99", "fps"}` (ms; FPS = batch * 1000 / mean);
        None values for no times.

    Example:
        >>> summarize_latency([10.0, 20.0, 30.0, 40.0])["p90"]
        37.0
    """
    if not len(times_ms):
        return {"iterations": 0, "mean": None, "p50": None, "p90": None, "p99": None, "fps": None}
    times = np.asarray(times_ms, np.float64)
    mean = float(times.mean())
    p50, p90, p99 = (float(v) for v in np.percentile(times, [50, 90, 99], method="linear"))
    return {
        "iterations": int(times.size),
        "mean": mean,
        "p50": p50,
        "p90": p90,
        "p99": p99,
        "fps": batch * 1000.0 / mean if mean > 0 else None,
    }
