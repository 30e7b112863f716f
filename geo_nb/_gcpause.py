"""Pausing Python's cyclic garbage collector while records are built in bulk.

Reading 100 cached series builds some 100,000 lists, dicts and pydantic models
in a few tens of milliseconds. Each 700 new container objects start a young-
generation collection, and every tenth of those an older one, which walks the
objects already alive (pandas, numpy, the records built so far). Measured on
a warm start of 100 series in a fresh process: 0.24 s with the collector on,
0.11 s with it paused (bench/RESULTS.md). Nothing built there forms a cycle
that needs the collector (pydantic models, lists, dicts of strings), so the
collector is paused for the bulk step only and resumes as it was; reference
counting frees garbage as usual meanwhile.

The pause is process-wide (``gc.disable`` is): a depth counter keeps nested or
concurrent pauses (the catalog is read in a worker thread) from resuming the
collector while another is still running, and a collector the user turned off
stays off.

Example:
    >>> import gc
    >>> with paused_gc():
    ...     gc.isenabled()
    False
    >>> gc.isenabled()
    True
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic collector for the block (also a decorator: ``@paused_gc()``)."""
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
