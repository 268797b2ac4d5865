"""Work a web process hands to a background thread when there is no Celery broker (`madoguchi serve` alone).

The upload's request stores the file and returns; the re-rendering for staff runs here, in a thread of the
same process that only waits for the rendering process (`cases.sandbox`: the CPU work is there, niced and
limited). One thread per process: renderings queue behind each other, and the machine-wide slots of the
sandbox bound them across processes. The pool is made lazily in the process that uses it (a process forked
afterwards makes its own), and Python waits for it at exit, so a command such as `madoguchi demo` finishes
its renderings before it ends. What a killed process leaves pending, `cases.services.render_pending` takes up
again (the case page, Celery beat, `madoguchi attachments render`).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait

from django.db import OperationalError, connections

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_owner_pid: int | None = None
_futures: set[Future] = set()


def submit(function: Callable[..., object], *args: object) -> Future:
    """Run `function(*args)` in this process's background thread; its errors are logged, never raised."""
    global _executor, _owner_pid
    with _lock:
        if _executor is None or _owner_pid != os.getpid():
            _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="madoguchi-background")
            _owner_pid = os.getpid()
            _futures.clear()
        future = _executor.submit(_run, function, *args)
        _futures.add(future)
    future.add_done_callback(_futures.discard)
    return future


# SQLite (the embedded default) answers "database is locked" / "database table is locked" when another
# connection of the same process holds the lock past the busy timeout (or at once, for an in-memory shared
# cache); the job's own transaction has rolled back, so it is simply tried again a little later.
LOCKED_RETRIES = 8


def _run(function: Callable[..., object], *args: object) -> object:
    name = getattr(function, "__name__", function)
    try:
        for attempt in range(LOCKED_RETRIES + 1):
            try:
                return function(*args)
            except OperationalError as exc:
                if "locked" not in str(exc) or attempt == LOCKED_RETRIES:
                    raise
                logger.info("background work %s%r: database locked, trying again", name, args)
                connections.close_all()
                time.sleep(0.1 * (attempt + 1))
    except Exception:
        logger.exception("background work %s%r failed", name, args)
    finally:
        connections.close_all()  # this thread's own connections: none is left open between jobs
    return None


def drain(timeout: float | None = None) -> bool:
    """Wait until everything submitted so far has finished; False if `timeout` passed first."""
    with _lock:
        pending = set(_futures)
    _done, not_done = wait(pending, timeout=timeout)
    return not not_done
