"""Progress events and their renderers.

The fetcher only emits :class:`ProgressEvent` objects; a terminal bar, a
notebook bar (both :class:`TqdmRenderer`, via ``tqdm.auto``) or the explorer
widget are renderers of the same events, and none of them is known to the core.

Example:
    >>> events = []
    >>> reporter = ProgressReporter("metadata", 2, [events.append])
    >>> reporter.start(); reporter.advance("GSE1"); reporter.advance("GSE2", ok=False)
    >>> reporter.finish()
    >>> [(e.kind, e.done, e.errors) for e in events]
    [('start', 0, 0), ('advance', 1, 0), ('advance', 2, 1), ('finish', 2, 1)]
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["ProgressCallback", "ProgressEvent", "ProgressReporter", "TqdmRenderer"]

log = logging.getLogger("geo_nb.progress")

EventKind = Literal["start", "advance", "finish"]


@dataclass(frozen=True, slots=True)
class ProgressEvent:
    """One step of a long operation.

    ``stage`` names the operation (``"search"``, ``"metadata"``...), ``done`` of
    ``total`` items are finished, ``errors`` of them failed, ``elapsed`` seconds
    have passed since the start, and ``accession`` is the item just finished.
    """

    stage: str
    kind: EventKind
    done: int
    total: int | None
    errors: int
    elapsed: float
    accession: str | None = None
    ok: bool = True
    message: str = ""

    @property
    def rate(self) -> float:
        """Items finished per second so far."""
        return self.done / self.elapsed if self.elapsed > 0 else 0.0


ProgressCallback = Callable[[ProgressEvent], Any]


class ProgressReporter:
    """Counts one stage's progress and sends events to every callback.

    A callback that raises is logged and dropped: a broken progress display
    must never break a fetch.
    """

    def __init__(self, stage: str, total: int | None, callbacks: Sequence[ProgressCallback]):
        self.stage = stage
        self.total = total
        self.done = 0
        self.errors = 0
        self._callbacks = list(callbacks)
        self._started = time.monotonic()

    def _emit(
        self, kind: EventKind, accession: str | None = None, ok: bool = True, message: str = ""
    ) -> None:
        event = ProgressEvent(
            stage=self.stage,
            kind=kind,
            done=self.done,
            total=self.total,
            errors=self.errors,
            elapsed=time.monotonic() - self._started,
            accession=accession,
            ok=ok,
            message=message,
        )
        for callback in list(self._callbacks):
            try:
                callback(event)
            except Exception:
                log.exception("progress callback %r failed; it is disabled", callback)
                self._callbacks.remove(callback)

    def start(self, message: str = "") -> None:
        """Announce the stage."""
        self._started = time.monotonic()
        self._emit("start", message=message)

    def advance(self, accession: str | None = None, *, ok: bool = True, count: int = 1) -> None:
        """Record ``count`` finished items (failed ones with ``ok=False``)."""
        self.done += count
        if not ok:
            self.errors += count
        self._emit("advance", accession, ok)

    def fail(self, accession: str | None = None, message: str = "") -> None:
        """Record one failed item without counting progress (e.g. a failed download)."""
        self.errors += 1
        self._emit("advance", accession, False, message)

    def note(self, message: str) -> None:
        """Say something about the stage without counting progress (e.g. a source switch)."""
        self._emit("advance", message=message)

    def finish(self, message: str = "") -> None:
        """Announce the end of the stage (also after a failure or cancellation)."""
        self._emit("finish", message=message)


_DESCRIPTIONS = {
    "search": "Searching GEO",
    "metadata": "Fetching metadata",
    "inventory": "Listing files",
    "sizes": "Sizing files",
    "download": "Downloading",
    "runs": "Finding SRA runs",
    "publications": "Fetching publications",
}
_UNITS = {
    "search": "hits",
    "inventory": "series",
    "sizes": "files",
    "download": "B",
    "runs": "requests",
    "publications": "requests",
}


class TqdmRenderer:
    """Show events as a ``tqdm.auto`` bar: a widget in Jupyter, text in a terminal.

    The bar shows count, rate and, as a postfix, the number of errors.
    """

    def __init__(self, **tqdm_kwargs: Any) -> None:
        self._kwargs = tqdm_kwargs
        self._bars: dict[str, Any] = {}

    def __call__(self, event: ProgressEvent) -> None:
        from tqdm.auto import tqdm

        bar = self._bars.get(event.stage)
        if event.kind == "start" or bar is None:
            if bar is not None:
                bar.close()
            unit = _UNITS.get(event.stage, "records")
            scaled = unit == "B"
            bar = tqdm(
                total=event.total,
                desc=_DESCRIPTIONS.get(event.stage, event.stage),
                unit=unit if scaled else f" {unit}",
                unit_scale=scaled,
                unit_divisor=1024 if scaled else 1000,
                leave=True,
                **self._kwargs,
            )
            self._bars[event.stage] = bar
        if event.kind in ("advance", "finish"):
            if event.total != bar.total:
                bar.total = event.total
            bar.update(event.done - bar.n)
            if event.stage != "search":
                bar.set_postfix(errors=event.errors, refresh=False)
            if event.message and event.ok and event.kind == "advance":
                bar.set_description_str(
                    f"{_DESCRIPTIONS.get(event.stage, event.stage)} ({event.message})",
                    refresh=False,
                )
        if event.kind == "finish":
            bar.refresh()
            bar.close()
            del self._bars[event.stage]
