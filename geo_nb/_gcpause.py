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

When the pause ends, what it built would all be young: the next allocation
would start a young collection that walks every one of those objects (some 10
ms after a warm start of 100 series), only to find them alive, as records
kept in a cache are. So the pause ends by moving everything tracked to the
oldest generation (``gc.freeze()`` then ``gc.unfreeze()``, documented to do
exactly that, without walking anything). The cost is only a delay: a cycle
that became garbage meanwhile, or one of the user's young objects, is
collected by the next full collection instead of a young one. A process that
froze objects itself (``gc.get_freeze_count()``) keeps them frozen: then the
young collection runs as usual.

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
                if gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                gc.enable()
