"""Teaching mode: the offline demo set up for a workshop, with what to try first.

A workshop room has bad Wi-Fi and NCBI may answer a room full of students with
a bot-challenge page. :func:`teaching_mode` switches geo_nb to the offline demo
(real GEO records served from inside the notebook, see
:func:`geo_nb.use_offline_demo`) with a little latency per request, so the
progress bars visibly work as they would against NCBI, and shows the demo
catalogue (:func:`geo_nb.demo_catalog`) and the suggested queries
(:data:`geo_nb.offline.DEMO_QUERIES`) as the cell's output. The explorer then
opens on the first suggested query and lists the others above its tabs.

Example:
    >>> # geo_nb.teaching_mode()          # as the second cell of a workshop notebook
    >>> # geo_nb.GEOExplorer()            # opens on a suggested query
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

import pandas as pd

from .offline import DEMO_QUERIES, demo_catalog, use_offline_demo

__all__ = ["TEACHING_LATENCY", "TeachingMode", "teaching_mode"]

TEACHING_LATENCY = 0.15
"""Seconds added to each request of the demo: enough for progress bars to be seen."""


@dataclass
class TeachingMode:
    """What :func:`teaching_mode` set up: the demo's URL, its latency, catalogue and queries."""

    base_url: str
    latency: float
    catalog: pd.DataFrame = field(repr=False)
    queries: tuple[tuple[str, str], ...] = field(repr=False)

    def __repr__(self) -> str:
        tries = "; ".join(f"{query!r} ({what})" for query, what in self.queries)
        return (
            f"Teaching mode: offline demo at {self.base_url} ({len(self.catalog)} recorded GEO "
            f"series, {self.latency:g} s per request). Try: {tries}."
        )

    def _repr_html_(self) -> str:
        items = "".join(
            f"<li><code>{html.escape(q)}</code>: {html.escape(what)}</li>"
            for q, what in self.queries
        )
        table = self.catalog[["accession", "title", "study_type", "n_samples"]].to_html(
            index=False, escape=True, max_rows=60
        )
        return (
            '<div class="geo-nb-teaching"><p><b>Teaching mode</b>: geo_nb answers from '
            f"recordings of {len(self.catalog)} real GEO series served inside this notebook "
            f"(no NCBI needed), {self.latency:g} s per request so progress bars show.</p>"
            f"<p>Suggested searches:</p><ul>{items}</ul>"
            f"<details><summary>The demo catalogue</summary>{table}</details></div>"
        )


def teaching_mode(latency: float = TEACHING_LATENCY) -> TeachingMode:
    """Switch to the offline demo for teaching: latency, the catalogue, suggested queries.

    The same as :func:`geo_nb.use_offline_demo` (every URL setting points at the
    in-notebook emulator; calling again keeps it and sets the latency) plus
    ``latency`` seconds per request. The returned object shows the catalogue and
    the suggested queries as a cell's output.

    Example:
        >>> # mode = geo_nb.teaching_mode(); mode.catalog.head()
    """
    emulator = use_offline_demo(latency=latency)
    return TeachingMode(emulator.base_url, latency, demo_catalog(), DEMO_QUERIES)
