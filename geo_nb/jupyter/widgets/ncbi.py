"""The Files tab's NCBI counts panel: NCBI-computed counts, apart from the submitter's files.

Lists the ``level="ncbi"`` rows of a result (one option per series and kind, with
its size) and a "Load as DataFrame" button; the explorer wires the button to
:meth:`geo_nb.GEOResult.counts` and puts the frame in ``explorer.data``.

Example:
    >>> panel = NcbiCountsPanel()
    >>> panel.layout.display
    'none'
"""

from __future__ import annotations

from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]

from ...files.plan import human_size
from ...ncbi.counts import COUNTS_CATEGORY, parse_counts_name
from ._html import esc

__all__ = ["NcbiCountsPanel"]

INTRO = (
    "<b>NCBI-computed RNA-seq counts</b>: tables NCBI made from the SRA runs with one "
    "pipeline (not the submitter's files). Load one as a DataFrame (GeneID x GSM, with "
    "gene symbols); it lands in <code>explorer.data</code>."
)


class NcbiCountsPanel(widgets.VBox):  # type: ignore[misc, unused-ignore]
    """A chooser of NCBI counts files and a "Load as DataFrame" button (hidden when none)."""

    def __init__(self) -> None:
        self.files = widgets.Dropdown(options=[], description="Counts").add_class(
            "geo-nb-ncbi-files"
        )
        self.button = widgets.Button(
            description="Load as DataFrame", icon="table", button_style="info"
        ).add_class("geo-nb-ncbi-load")
        self.note = widgets.HTML().add_class("geo-nb-ncbi-note")
        super().__init__([widgets.HTML(INTRO), widgets.HBox([self.files, self.button]), self.note])
        self.add_class("geo-nb-ncbi-counts")
        self.layout.display = "none"

    def set_result(self, result: Any) -> None:
        """Offer the NCBI counts files of ``result`` (a GEOResult, or None)."""
        options: list[tuple[str, tuple[str, str]]] = []
        if result is not None:
            files = result.files
            for row in files[files["category"] == COUNTS_CATEGORY].itertuples():
                parsed = parse_counts_name(str(row.name))
                if parsed is None:
                    continue
                series, kind, organism = parsed
                size = human_size(row.size_bytes) if row.size_bytes is not None else "?"
                options.append((f"{series} · {kind} · {organism} · {size}", (series, kind)))
        self.files.options = options
        self.note.value = ""
        self.layout.display = None if options else "none"

    @property
    def chosen(self) -> tuple[str, str] | None:
        """(series, kind) of the chosen file, or None."""
        value = self.files.value
        return (str(value[0]), str(value[1])) if value else None

    def loaded(self, shape: tuple[int, int], series: str, kind: str) -> None:
        """Say what was loaded."""
        self.note.value = esc(
            f"Loaded {series} {kind}: {shape[0]:,} genes x {shape[1] - 1} samples (explorer.data)."
        )
