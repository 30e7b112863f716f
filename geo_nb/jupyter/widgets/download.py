"""The Files tab's download panel: choose files, see the plan, read the download report.

:class:`DownloadPanel` turns its controls (categories, a name pattern, a
maximum size) into a :class:`~geo_nb.files.plan.DownloadPlan` with
:meth:`geo_nb.GEOResult.plan`, and shows the plan's summary ("6 files,
466.4 KiB") and its files as a :class:`~geo_nb.jupyter.widgets.TablePanel`. It never
downloads by itself: the explorer's :meth:`~geo_nb.jupyter.widgets.GEOExplorer.download`
runs :meth:`DownloadPlan.adownload <geo_nb.files.plan.DownloadPlan.adownload>` as one
of its tasks (so Cancel, the progress bars and error messages work as for a
search) and hands the per-file report to :meth:`DownloadPanel.show_report`.

Example:
    >>> panel = DownloadPanel()
    >>> panel.plan is None, panel.button.disabled
    (True, True)
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from ... import GEOResult
from ...errors import GeoNBError
from ...files.plan import DownloadPlan
from ._html import accession_cell, esc, iec_size, link_cell, message_html, size_cell
from .table import TablePanel
from .toggles import ToggleChips

__all__ = ["DEFAULT_DEST", "SCOPES", "DownloadPanel", "plan_summary"]

DEFAULT_DEST = "./geo_data"
PLAN_COLUMNS = (
    *("series_accession", "accession", "level", "name", "category", "format"),
    *("size_bytes", "archive"),
)
REPORT_COLUMNS = ("series_accession", "accession", "name", "status", "error", "path")
PROBLEMS = ("failed", "refused")
SCOPES = (
    ("all series", "all"),
    ("selected samples", "selected"),
    ("filtered samples", "filtered"),
)
"""Whose files the panel plans: everything fetched, or the samples chosen in the Samples tab."""
_CELLS = {"accession": accession_cell, "series_accession": accession_cell}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def plan_summary(plan: DownloadPlan) -> str:
    """``"6 files, 466.4 KiB"``; ``"6 files, 1.2 MiB + 2 of unknown size"`` when some have
    no size, ``"6 files, size unknown"`` when none has (never ``0 B``).

    Example:
        >>> empty = pd.DataFrame({"size_bytes": pd.array([], dtype="Int64")})
        >>> plan_summary(DownloadPlan(empty, inventory=empty))
        '0 files, 0 B'
    """
    return f"{_plural(len(plan), 'file')}, {plan.size_text}"


def _size_option(text: str) -> int | str | None:
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


class DownloadPanel(widgets.VBox):  # type: ignore[misc, unused-ignore]
    """Controls, summary and table of a download plan, and the last download's report.

    ``result`` is the :class:`~geo_nb.GEOResult` whose files are offered
    (:meth:`set_result`), ``plan`` the current plan (None without a result or
    with invalid filters, whose message is ``plan_error``), ``plan_warnings``
    what making the plan warned about, ``report`` the last download's frame.
    The ``button`` is wired by the explorer.
    """

    def __init__(self, page_size: int = 50) -> None:
        self.result: GEOResult | None = None
        self.plan: DownloadPlan | None = None
        self.plan_error = ""
        self.plan_warnings: list[str] = []
        self.report: pd.DataFrame | None = None
        self.plan_keywords: dict[str, Any] | None = None
        self._listeners: list[Callable[[], None]] = []
        self._busy = False
        self._quiet = False  # while set_result updates the category options
        style = {"description_width": "7em"}

        self.samples: dict[str, list[str]] = {"selected": [], "filtered": []}
        self.scope = widgets.ToggleButtons(
            options=SCOPES, value="all", description="Files of", style=style
        ).add_class("geo-nb-download-scope")
        self.scope.style.button_width = "auto"
        self.categories = ToggleChips().add_class("geo-nb-download-categories")
        self.runs_line = widgets.HTML().add_class("geo-nb-download-runs")
        self.pattern = widgets.Text(
            placeholder="regex in the file name, e.g. rescue|mut",
            description="Name pattern",
            continuous_update=False,
            style=style,
        ).add_class("geo-nb-download-pattern")
        self.max_size = widgets.Text(
            placeholder="any; e.g. 500M or 2G",
            description="Max size",
            continuous_update=False,
            style=style,
        ).add_class("geo-nb-download-max-size")
        self.dest = widgets.Text(
            value=DEFAULT_DEST,
            description="Folder",
            tooltip="files land in <folder>/<series>/<name>",
            continuous_update=False,
            style=style,
        ).add_class("geo-nb-download-dest")
        self.extract = widgets.Checkbox(
            value=False,
            description="extract from RAW.tar",
            tooltip="take files that are inside a RAW.tar from one streamed pass over it",
            indent=False,
        ).add_class("geo-nb-download-extract")
        self.button = widgets.Button(
            description="Download", button_style="success", icon="download", disabled=True
        ).add_class("geo-nb-download-button")
        self.summary = widgets.HTML().add_class("geo-nb-download-summary")
        self.table = TablePanel(
            "plan",
            PLAN_COLUMNS,
            page_size=page_size,
            cells={**_CELLS, "name": link_cell("url"), "size_bytes": size_cell},
            choice="category",
        )
        self.report_html = widgets.HTML().add_class("geo-nb-download-report")
        self.problems_table = TablePanel(
            "download-problems", REPORT_COLUMNS, page_size=page_size, cells=_CELLS, choice="status"
        )
        self.problems_table.layout.display = "none"
        plan_files = widgets.Accordion([self.table], titles=("Files in the plan",))
        plan_files.selected_index = None
        super().__init__(
            [
                widgets.HTML("<b>Download files</b>").add_class("geo-nb-download-title"),
                self.scope,
                widgets.HTML("Categories (click to choose):"),
                self.categories,
                self.runs_line,
                self.pattern,
                self.max_size,
                self.dest,
                self.extract,
                self.button,
                self.summary,
                self.report_html,
                plan_files,
                self.problems_table,
            ]
        )
        self.add_class("geo-nb-download")
        for control in (self.scope, self.categories, self.pattern, self.max_size, self.dest):
            control.observe(self._on_filter, names="value")
        self.update_plan()

    # ---- plan --------------------------------------------------------------------------

    def set_result(self, result: GEOResult | None) -> None:
        """Offer ``result``'s files (None: nothing); chosen categories still offered stay."""
        self.result = result
        files = result.files if result is not None else None
        options: list[tuple[str, str]] = []
        if files is not None and len(files):
            sizes = pd.to_numeric(files["size_bytes"], errors="coerce")
            for category, group in sizes.groupby(files["category"].fillna("other"), sort=True):
                unknown = int(group.isna().sum())
                parts = [_plural(len(group), "file")]
                if unknown < len(group):
                    parts.append(iec_size(group.sum()))
                if unknown:
                    parts.append(f"{unknown} unsized")
                options.append((f"{category} ({', '.join(parts)})", str(category)))
        kept = tuple(v for v in self.categories.value if v in {v for _, v in options})
        self._quiet = True
        try:
            self.categories.options = options
            self.categories.value = kept
        finally:
            self._quiet = False
        self.runs_line.value = _runs_html(result)
        self.update_plan()

    def set_samples(self, selected: list[str], filtered: list[str]) -> None:
        """The samples selected and filtered in the Samples tab (for the "Files of" choice)."""
        self.samples = {"selected": list(selected), "filtered": list(filtered)}
        if self.scope.value != "all":
            self.update_plan()

    def accessions(self) -> list[str] | None:
        """The sample accessions the plan is limited to (None: every file)."""
        scope = str(self.scope.value)
        return None if scope == "all" else list(self.samples.get(scope, []))

    def update_plan(self) -> DownloadPlan | None:
        """Recompute :attr:`plan` from the controls and redraw the summary and table."""
        self.plan, self.plan_error, self.plan_warnings = None, "", []
        self.plan_keywords = None
        try:
            return self._update_plan()
        finally:
            for callback in self._listeners:
                callback()

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after every new plan (or failed one)."""
        self._listeners.append(callback)

    def _update_plan(self) -> DownloadPlan | None:
        result = self.result
        if result is None:
            self._show_summary(message_html("Fetch details of some series to download files."))
            return None
        keywords = {
            "category": list(self.categories.value),
            "pattern": self.pattern.value.strip() or None,
            "max_size": _size_option(self.max_size.value),
            "accessions": self.accessions(),
        }
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                plan = result.plan(**keywords)
        except GeoNBError as exc:
            self.plan_error = str(exc)
            self._show_summary(message_html(self.plan_error, "error"))
            return None
        self.plan = plan
        self.plan_keywords = keywords if self.categories.value else None
        self.plan_warnings = [str(w.message) for w in caught]
        self._show_summary(self._summary_html(plan))
        return plan

    def _summary_html(self, plan: DownloadPlan) -> str:
        if self.accessions() == []:
            return message_html(f"No {self.scope.value} samples: choose some in the Samples tab.")
        if not self.categories.value:
            return message_html("Choose one or more categories to download.")
        notes = [message_html(w, "warning") for w in self.plan_warnings]
        unlinked = int(plan.files["url"].isna().sum()) if len(plan) else 0
        if unlinked:
            notes.append(
                message_html(
                    f"{_plural(unlinked, 'file')} exist only inside an archive: tick extract "
                    "to take them from it.",
                    "warning",
                )
            )
        if len(plan.dropped):
            reasons = plan.dropped["reason"].astype(str).unique()
            notes.append(
                message_html(
                    f"{_plural(len(plan.dropped), 'file')} left out, the same bytes being "
                    f"planned once: {reasons[0]}"
                    + (f" (and {len(reasons) - 1} more reasons)" if len(reasons) > 1 else ""),
                    "info",
                )
            )
        text = plan_summary(plan)
        return (
            f'<div class="geo-nb-plan-summary" data-files="{len(plan)}" '
            f'data-total-bytes="{plan.total_bytes}" data-unknown-sizes="{plan.unknown_sizes}" '
            f'title="{plan.total_bytes:,} unique bytes known (each byte counted once)">'
            f"<b>{esc(text)}</b> → "
            f"<code>{esc(self.destination().resolve())}</code></div>" + "".join(notes)
        )

    def _show_summary(self, html: str) -> None:
        self.summary.value = html
        self.table.set_frame(
            self.plan.files if self.plan is not None else self.table.frame.iloc[0:0]
        )
        self.set_busy(self._busy)

    def _on_filter(self, change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self.update_plan()

    def destination(self) -> Path:
        """The folder typed in the panel (``~`` expanded); files go to ``<it>/<series>/``."""
        return Path(self.dest.value.strip() or DEFAULT_DEST).expanduser()

    def set_busy(self, busy: bool) -> None:
        """Disable the Download button while a task runs or when there is nothing to get."""
        self._busy = busy
        self.button.disabled = busy or self.plan is None or len(self.plan) == 0

    # ---- report ------------------------------------------------------------------------

    def started(self, plan: DownloadPlan, dest: Path) -> None:
        """Say that ``plan`` is being downloaded into ``dest``; hide the last report."""
        self.report = None
        self.problems_table.layout.display = "none"
        self.report_html.value = message_html(f"Downloading {plan_summary(plan)} into {dest}…")

    def cancelled(self, dest: Path) -> None:
        """Say that the download was cancelled and what is left in ``dest``."""
        self.report_html.value = message_html(
            f"Download cancelled. Partly downloaded files are kept in {dest} as *.part and "
            "resumed by the next download.",
            "warning",
        )

    def show_report(self, report: pd.DataFrame, dest: Path) -> str:
        """Show a download report: status counts and the failed or refused rows.

        Returns the one-line summary (also shown), e.g. ``"6 downloaded"``.
        """
        self.report = report
        counts = report["status"].fillna("unknown").value_counts()
        line = ", ".join(f"{n} {status}" for status, n in counts.items()) or "nothing to do"
        problems = report[report["status"].isin(PROBLEMS)]
        level = "success" if problems.empty else "warning"
        if len(problems) == len(report) and len(report):
            level = "error"
        self.report_html.value = (
            f'<div class="geo-nb-report-summary" data-statuses="{esc(line)}">'
            f"{message_html(f'{line} · into {dest.resolve()}', level)}</div>"
        )
        self.problems_table.set_frame(problems)
        self.problems_table.layout.display = "" if len(problems) else "none"
        return line


def _runs_html(result: GEOResult | None) -> str:
    """One line on SRA runs: their FASTQ files are the ``sequencing`` category."""
    if result is None:
        return ""
    runs = result.runs
    if runs.empty:
        return message_html("Reads: find SRA runs in the Runs tab to add their FASTQ files here.")
    fastq = result.files[result.files["category"] == "sequencing"]
    sizes = pd.to_numeric(fastq["size_bytes"], errors="coerce")
    return message_html(
        f"Reads: {_plural(len(runs), 'SRA run')}, {_plural(len(fastq), 'FASTQ file')} "
        f"({iec_size(sizes.sum()) or 'size unknown'}) in the sequencing category."
    )
