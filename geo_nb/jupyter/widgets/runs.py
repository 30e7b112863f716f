"""The explorer's Runs tab: the SRA runs of the fetched samples, per sample, with FASTQ sizes.

:class:`RunsPanel` shows :attr:`geo_nb.GEOResult.runs` grouped by sample (each
group's header says how many runs and how much FASTQ), a summary line (runs,
samples, FASTQ files and their total size, runs without FASTQ at ENA) and a
``button`` that the explorer wires to :meth:`~geo_nb.jupyter.widgets.GEOExplorer.fetch_runs`.
The FASTQ files also join the Files tab's download panel (category
``sequencing``), where they are planned and downloaded with ENA's MD5.

Example:
    >>> import pandas as pd
    >>> runs_table_frame(pd.DataFrame({"run": ["SRR1"], "fastq_urls": [["a", "b"]],
    ...                                "fastq_bytes": [[10, 20]]})).fastq_size.tolist()
    [30]
"""

from __future__ import annotations

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from ... import GEOResult
from ._html import accession_cell, iec_size, message_html, size_cell
from .table import TablePanel

__all__ = ["RUN_TABLE_COLUMNS", "RunsPanel", "runs_summary_html", "runs_table_frame"]

RUN_TABLE_COLUMNS = (
    *("sample_accession", "run", "library_layout", "spots", "size_bytes", "fastq_files"),
    *("fastq_size", "source", "library_strategy", "instrument", "series_accession"),
)
_CELLS = {
    "series_accession": accession_cell,
    "sample_accession": accession_cell,
    "size_bytes": size_cell,
    "fastq_size": size_cell,
}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def runs_table_frame(runs: pd.DataFrame) -> pd.DataFrame:
    """``runs`` plus ``fastq_files`` (how many) and ``fastq_size`` (their known bytes, or NA)."""
    totals: list[int | None] = []
    for sizes in runs["fastq_bytes"]:
        known = [int(b) for b in sizes if b is not None]
        totals.append(sum(known) if known else None)
    return runs.assign(
        fastq_files=pd.array([len(u) for u in runs["fastq_urls"]], dtype="Int64"),
        fastq_size=pd.array(totals, dtype="Int64"),
    )


def _group_label(frame: pd.DataFrame) -> str:
    fastq = frame["fastq_size"].dropna()
    text = _plural(len(frame), "run")
    if len(fastq):
        text += f" · FASTQ {iec_size(fastq.sum())}"
    if len(fastq) < len(frame):
        text += f" · {len(frame) - len(fastq)} without FASTQ at ENA"
    return text


def runs_summary_html(result: GEOResult | None) -> str:
    """One line: runs, samples, FASTQ files and total size, runs without FASTQ (escaped)."""
    if result is None:
        return message_html("Fetch details of some series, then find their SRA runs here.")
    runs = result.runs
    if runs.empty:
        return message_html(
            "No SRA runs shown. Find SRA runs asks NCBI and ENA for the runs of the fetched "
            "samples (series without SRA data have none)."
        )
    table = runs_table_frame(runs)
    files = int(table["fastq_files"].sum())
    total = int(table["fastq_size"].fillna(0).sum())
    missing = int((runs["source"] == "ncbi").sum())
    samples = runs["sample_accession"].dropna().nunique()
    text = (
        f"{_plural(len(runs), 'run')} of {_plural(samples, 'sample')} · "
        f"{_plural(files, 'FASTQ file')}, {iec_size(total)}"
    )
    if missing:
        text += f" · {missing} without FASTQ at ENA (see Errors)"
    note = message_html(
        "The FASTQ files are in the Files tab's download panel (category sequencing), "
        "downloaded with ENA's MD5 checked."
    )
    return (
        f'<div class="geo-nb-runs-line" data-runs="{len(runs)}" data-samples="{samples}" '
        f'data-fastq-files="{files}" data-fastq-bytes="{total}">{message_html(text)}</div>'
        + (note if files else "")
    )


class RunsPanel(widgets.VBox):  # type: ignore[misc, unused-ignore]
    """The Runs tab: a Find SRA runs ``button``, a summary line and the runs per sample."""

    def __init__(self, page_size: int = 50) -> None:
        self.button = widgets.Button(
            description="Find SRA runs",
            icon="search",
            tooltip="the runs of the fetched samples and their FASTQ files, from NCBI and ENA",
        ).add_class("geo-nb-find-runs")
        self.summary = widgets.HTML().add_class("geo-nb-runs-summary")
        self.table = TablePanel(
            "runs",
            RUN_TABLE_COLUMNS,
            page_size=page_size,
            key="run",
            cells=_CELLS,
            choice="source",
            group_by="sample_accession",
            group_label=_group_label,
        )
        super().__init__([widgets.HBox([self.button, self.summary]), self.table])
        self.add_class("geo-nb-runs")
        self.set_result(None)

    def set_result(self, result: GEOResult | None) -> None:
        """Show the runs of ``result`` (None: nothing fetched yet)."""
        self.button.disabled = result is None
        self.summary.value = runs_summary_html(result)
        frame = runs_table_frame(result.runs) if result is not None else None
        self.table.set_frame(frame if frame is not None else self.table.frame.iloc[0:0])
