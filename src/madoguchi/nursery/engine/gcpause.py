"""Pause Python's cyclic garbage collector while a round is computed.

The engine builds hundreds of thousands of small, long-lived objects and frees them all at the end; the
cyclic collector would scan them again and again (a third of the run time at 20,000 children).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
