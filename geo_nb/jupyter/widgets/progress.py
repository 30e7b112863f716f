"""Progress bars for geo_nb's stages, drawn from :class:`geo_nb.ProgressEvent`s.

The core only emits events (``search``, ``metadata``, ``inventory`` and
``download``, which counts bytes); :class:`ProgressPanel` is a renderer of them, like the tqdm bar
of the sync API. Pass :meth:`ProgressPanel.on_progress` as ``on_progress=`` to
:func:`geo_nb.asearch` / :func:`geo_nb.afetch` (with ``progress=False``). Each
stage gets one row: a bar, ``done/total``, rate, ETA and error count.

Example:
    >>> from geo_nb import ProgressEvent
    >>> panel = ProgressPanel()
    >>> panel.on_progress(ProgressEvent("metadata", "advance", 3, 10, 1, 1.5))
    >>> panel.stages["metadata"].summary
    '3/10 · 2.0/s · ETA 4 s · 1 error'
"""

from __future__ import annotations

import time
from typing import Literal

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]

from ... import ProgressEvent
from ._html import esc, iec_size

__all__ = ["ProgressPanel", "StageProgress", "StageState"]

StageState = Literal["running", "done", "failed", "cancelled"]

_TITLES = {
    "search": "Search",
    "metadata": "Metadata",
    "inventory": "File inventory",
    "download": "Download",
    "runs": "SRA runs",
    "publications": "Publications",
}
# Stages whose events count bytes, not items: their counts and rates are shown as sizes.
BYTE_STAGES = frozenset({"download"})
_STYLES: dict[StageState, str] = {
    "running": "info",
    "done": "success",
    "failed": "danger",
    "cancelled": "warning",
}
# At most this many redraws per second per stage; start and finish always redraw.
_MAX_REDRAWS_PER_S = 10


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def summarize(event: ProgressEvent) -> str:
    """``done/total · rate · ETA · errors`` for one event (plain text).

    Stages of :data:`BYTE_STAGES` count bytes: ``1.0 MiB/4.0 MiB · 512.0 KiB/s``.

    Example:
        >>> summarize(ProgressEvent("download", "advance", 1024**2, 4 * 1024**2, 0, 2.0))
        '1.0 MiB/4.0 MiB · 512.0 KiB/s · ETA 6 s'
    """
    scale = iec_size if event.stage in BYTE_STAGES else str
    count = f"{scale(event.done)}/{scale(event.total)}" if event.total is not None else ""
    parts = [count or scale(event.done)]
    if event.elapsed > 0 and event.done:
        rate = iec_size(event.rate) if event.stage in BYTE_STAGES else f"{event.rate:.1f}"
        parts.append(f"{rate}/s")
    if event.kind != "finish" and event.total is not None and event.rate > 0:
        parts.append(f"ETA {_duration((event.total - event.done) / event.rate)}")
    if event.errors:
        parts.append(f"{event.errors} error{'' if event.errors == 1 else 's'}")
    return " · ".join(parts)


class StageProgress(widgets.HBox):  # type: ignore[misc, unused-ignore]
    """One stage's row: title, bar and summary (count, rate, ETA, errors).

    ``event`` is the last event received, ``state`` one of ``running``,
    ``done``, ``failed``, ``cancelled``. Created by :class:`ProgressPanel`.
    """

    def __init__(self, stage: str) -> None:
        self.stage = stage
        self.event: ProgressEvent | None = None
        self.state: StageState = "running"
        self.summary = ""
        self._drawn_at = 0.0
        self.title = widgets.HTML(f"<b>{esc(_TITLES.get(stage, stage))}</b>")
        self.title.layout.width = "8em"
        self.bar = widgets.FloatProgress(value=0.0, min=0.0, max=1.0, bar_style="info")
        self.bar.layout.width = "40%"
        self.text = widgets.HTML("")
        super().__init__([self.title, self.bar, self.text])
        self.add_class("geo-nb-stage").add_class(f"geo-nb-stage-{stage}")

    def update(self, event: ProgressEvent) -> None:
        """Record ``event``; redraw unless the last redraw was very recent."""
        self.event = event
        if event.kind == "start":
            self.state = "running"
        now = time.monotonic()
        recent = now - self._drawn_at < 1 / _MAX_REDRAWS_PER_S
        complete = event.total is not None and event.done >= event.total
        if event.kind == "advance" and recent and not complete:
            return
        self._drawn_at = now
        self._draw()

    def end(self, state: StageState, note: str = "") -> None:
        """Mark the stage finished as ``state`` (e.g. ``cancelled``), with a note."""
        self.state = state
        self._draw(note)

    def _draw(self, note: str = "") -> None:
        event = self.event
        if event is None:
            self.summary = note
        else:
            self.summary = summarize(event) + (f" · {note}" if note else "")
            if event.total:
                self.bar.value = min(event.done / event.total, 1.0)
            elif event.kind == "finish" and self.state == "running":
                self.bar.value = 1.0
        if event is not None and event.kind == "finish" and self.state == "running":
            self.state = "done"
        style = _STYLES[self.state]
        if self.state == "done" and event is not None and event.errors:
            style = "warning"
        self.bar.bar_style = style
        self.text.value = f'<span class="geo-nb-stage-summary">{esc(self.summary)}</span>'


class ProgressPanel(widgets.VBox):  # type: ignore[misc, unused-ignore]
    """A column of :class:`StageProgress` rows, one per stage seen.

    ``stages`` maps stage name to its row. :meth:`start` shows a stage before its
    first event, :meth:`end` overrides the state of stages (cancelled, failed)
    and :meth:`reset` clears the rows.
    """

    def __init__(self) -> None:
        super().__init__([])
        self.stages: dict[str, StageProgress] = {}
        self.add_class("geo-nb-progress")

    def on_progress(self, event: ProgressEvent) -> None:
        """The ``on_progress=`` callback: route ``event`` to its stage's row."""
        row = self.stages.get(event.stage)
        if row is None:
            row = self.stages[event.stage] = StageProgress(event.stage)
            self.children = (*self.stages.values(),)
        row.update(event)

    def start(self, stage: str) -> StageProgress:
        """Show ``stage`` as running before its first event (a fresh row)."""
        self.stages.pop(stage, None)
        row = self.stages[stage] = StageProgress(stage)
        self.children = (*self.stages.values(),)
        row.end("running", "waiting for NCBI…")
        return row

    def end(self, stages: list[str], state: StageState, note: str = "") -> None:
        """Mark the rows of ``stages`` (those that exist) as ``state``, e.g. cancelled."""
        for stage in stages:
            row = self.stages.get(stage)
            if row is not None:
                row.end(state, note)

    def reset(self) -> None:
        """Remove every row."""
        self.stages.clear()
        self.children = ()
