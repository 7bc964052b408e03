"""Holds SIGINT and SIGTERM back while a few files are written that must change together."""

import contextlib
import signal
import threading

_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def deferred_signals():
    """Inside the block, SIGINT and SIGTERM are recorded instead of acted on; after it, the
    first one received is delivered to the handler that was in place (Ctrl-C raises
    `KeyboardInterrupt`, the CLI's SIGTERM handler raises `Terminated`).

    The end of an epoch writes the best model, the history and the checkpoint; an interruption
    between them would leave them disagreeing, to be repaired by the next run. SIGKILL cannot be
    held back, which is why the next run checks them anyway (tfseg/training/resumption.py).
    Outside the main thread (where Python delivers signals) it does nothing.

    Example:
        >>> with deferred_signals():
        ...     save_checkpoint()
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received = []
    previous = {number: signal.getsignal(number) for number in _SIGNALS}
    for number in _SIGNALS:
        signal.signal(number, lambda number, frame: received.append(number))
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    if received and callable(previous[received[0]]):
        previous[received[0]](received[0], None)
