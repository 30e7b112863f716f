"""Run geo_nb's coroutines from synchronous code, also inside a running loop.

In a plain script there is no running event loop: the coroutine runs in a new
one (``asyncio.run``). In a Jupyter cell the kernel's loop is already running;
the first sync call there applies ``nest_asyncio2`` to that loop (never at
import) and runs the coroutine on it, so progress widgets keep updating.
``nest_asyncio2`` is the maintained fork that ipykernel itself depends on; the
unmaintained ``nest_asyncio`` 1.6 hangs the cells queued behind a sync call
on "Run All" under ipykernel 7.

Interrupting (Ctrl-C, the kernel's stop button) cancels the coroutine and
waits for its clean-up before the interrupt is re-raised.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["run_sync"]

T = TypeVar("T")

_patched: set[int] = set()
_patch_lock = threading.Lock()


def _allow_nesting(loop: asyncio.AbstractEventLoop) -> None:
    with _patch_lock:
        if id(loop) in _patched:
            return
        import nest_asyncio2

        nest_asyncio2.apply(loop)
        _patched.add(id(loop))


class _Box:
    """Carries a result out of the event loop.

    ``asyncio.run`` formats ``repr(task)`` (result included) when it restores
    the SIGINT handler; a DataFrame's or GEOResult's repr is work nobody asked
    for, so the task's result is this box, whose repr costs nothing.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "<result>"


async def _boxed(coro: Coroutine[Any, Any, T]) -> _Box:
    return _Box(await coro)


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion from synchronous code and return its result.

    Example:
        >>> async def answer() -> int:
        ...     return 42
        >>> run_sync(answer())
        42
    """
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        value: T = asyncio.run(_boxed(coro)).value
        return value
    _allow_nesting(loop)
    task = loop.create_task(_boxed(coro))
    try:
        result: T = loop.run_until_complete(task).value
        return result
    except BaseException:
        if not task.done():
            task.cancel()
            # A second interrupt while waiting gives up waiting.
            with contextlib.suppress(BaseException):
                loop.run_until_complete(asyncio.wait([task], timeout=10))
        raise
