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

A pause around a bulk build of records that are kept (a warm start's
digests, a catalog read: ``paused_gc(promote=True)``) ends by moving
everything tracked to the oldest generation (``gc.freeze()`` then
``gc.unfreeze()``, documented to do exactly that). Otherwise the next
allocation would start a young collection that walks every one of those
objects only to find them alive (10-16 ms after a warm start of 100 series).
The cost: a cycle that became garbage meanwhile, or a young object of the
user's, waits for a full collection, and the counts that start collections
restart from zero. That is why only a bulk build asks for it: done at the end
of every pause (every parse, every frame), those counts would keep restarting
and garbage cycles would pile up. It is skipped where it would walk the heap
instead (Python 3.14's incremental collector, free-threaded builds) and in a
process that froze objects itself (``gc.get_freeze_count()``), whose objects
stay frozen (unless it freezes them in another thread at the very moment a
pause ends).

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
import sys
import sysconfig
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["paused_gc"]

_lock = threading.Lock()
_depth = 0
_resume = False
_promote = False  # a pause asked for it; done when the last one ends
#: Where gc.freeze() + gc.unfreeze() move the young generation without walking it.
PROMOTES = sys.version_info < (3, 14) and not sysconfig.get_config_var("Py_GIL_DISABLED")


@contextmanager
def paused_gc(*, promote: bool = False) -> Iterator[None]:
    """Pause the cyclic collector for the block (also a decorator: ``@paused_gc()``).

    ``promote``: what the block built is kept (records for a cache); when the
    last pause ends, move it to the oldest generation rather than have a young
    collection walk it.
    """
    global _depth, _resume, _promote
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
            _promote = _promote or promote
            if _depth == 0:
                if _resume and _promote and PROMOTES and gc.get_freeze_count() == 0:
                    gc.freeze()
                    gc.unfreeze()
                _promote = False
                if _resume:
                    gc.enable()
