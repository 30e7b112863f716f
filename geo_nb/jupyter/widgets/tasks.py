"""How the explorer runs its work: one asyncio task at a time on the kernel's loop.

Button callbacks start tasks (:meth:`TaskOwner._start`); a new task cancels the
running one and waits for it, so one task owns the UI at a time. Cancellation,
geo_nb's typed errors and unexpected failures end the progress stages and say
what happened in the message line and the activity log (``append_stdout``: a
``with output:`` block after an ``await`` shows nothing in a browser).

Example:
    >>> # explorer.task  # the running or last task; tests await it
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import traceback
from collections.abc import Awaitable, Callable

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]

from ...errors import GeoNBError
from ._html import message_html
from .progress import ProgressPanel

__all__ = ["TaskOwner"]

log = logging.getLogger("geo_nb.jupyter.widgets")


class TaskOwner:
    """The task machinery of :class:`~geo_nb.jupyter.widgets.GEOExplorer`.

    Subclasses set ``progress``, ``status`` and ``activity`` and define
    :meth:`_set_busy`.
    """

    task: asyncio.Task[None] | None
    last_error: BaseException | None
    message: str
    progress: ProgressPanel
    status: widgets.HTML
    activity: widgets.Output

    @property
    def busy(self) -> bool:
        """True while a search, fetch or download task runs."""
        return self.task is not None and not self.task.done()

    def cancel(self) -> bool:
        """Cancel the running task; False when nothing was running."""
        if not self.busy:
            return False
        assert self.task is not None
        self.task.cancel()
        return True

    def _start(
        self, label: str, stages: list[str], work: Callable[[], Awaitable[None]]
    ) -> asyncio.Task[None]:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            raise RuntimeError(
                "GEOExplorer runs its work on a running asyncio loop, as in a Jupyter kernel. "
                "Outside one, use geo_nb.search() and geo_nb.fetch()."
            ) from None
        previous = self.task if self.busy else None
        if previous is not None:
            previous.cancel()
        self.task = loop.create_task(self._guarded(label, stages, work, previous))
        return self.task

    async def _guarded(
        self,
        label: str,
        stages: list[str],
        work: Callable[[], Awaitable[None]],
        previous: asyncio.Task[None] | None,
    ) -> None:
        try:
            if previous is not None:  # let it finish first: one task owns the UI at a time
                await asyncio.wait([previous])
            self.last_error = None
            self._set_busy(True)
            await work()
        except asyncio.CancelledError:
            self.progress.end(stages, "cancelled", "cancelled")
            self._say(f"{label} cancelled.", "warning")
            raise
        except GeoNBError as exc:
            self.last_error = exc
            self.progress.end(stages, "failed", type(exc).__name__)
            self._say(f"{type(exc).__name__}: {exc}", "error")
        except Exception as exc:
            self.last_error = exc
            log.exception("GEOExplorer: %s failed", label)
            self.progress.end(stages, "failed", type(exc).__name__)
            self._say(f"{label} failed: {type(exc).__name__}: {exc}", "error")
            self.activity.append_stdout(traceback.format_exc())
        finally:
            self._set_busy(False)

    def _say(self, text: str, level: str = "info") -> None:
        self.message = text
        self.status.value = message_html(text, level)
        stamp = dt.datetime.now().strftime("%H:%M:%S")
        # append_stdout, not ``with self.activity:``: this runs in tasks after awaits.
        self.activity.append_stdout(f"{stamp} [{level}] {text}\n")
        if len(self.activity.outputs) > 200:
            self.activity.outputs = self.activity.outputs[-200:]

    def _set_busy(self, busy: bool) -> None:
        raise NotImplementedError
