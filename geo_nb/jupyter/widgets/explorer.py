"""GEOExplorer: search GEO, pick series, fetch their metadata and files, download some.

All network work runs as asyncio tasks on the kernel's running loop, created
from the button callbacks, so the kernel stays responsive and Cancel really
cancels the task (and with it every request in flight). The explorer only
uses geo_nb's public API (:func:`geo_nb.asearch`, :func:`geo_nb.afetch`,
:class:`geo_nb.GEOResult`, :class:`geo_nb.ProgressEvent`, :mod:`geo_nb.errors`).
Text written after an ``await`` goes through ``Output.append_stdout`` or into
widget values: a ``with output:`` block there would show nothing in a browser.

Example:
    >>> from geo_nb.jupyter.widgets import GEOExplorer
    >>> explorer = GEOExplorer("ATAC-seq")  # the last expression of a cell shows it
    >>> # explorer.form.organism.value = "Homo sapiens"; await explorer.search()
    >>> # explorer.selection = list(explorer.hits.accession[:3]); await explorer.fetch_details()
    >>> # explorer.result.samples; explorer.samples_panel.chips  # the design view's facets
    >>> # explorer.samples_table.selection = ["GSM4391896", "GSM4391897"]
    >>> # explorer.download_panel.scope.value = "selected"  # files of the selected samples
    >>> # explorer.download_panel.categories.value = ("genome_track",); explorer.plan
    >>> # await explorer.download("data/"); explorer.download_report
    >>> # await explorer.fetch_runs(); explorer.result.runs  # the Runs tab
    >>> # print(explorer.code)  # the geo_nb/pandas code of all that ("Show the code")

The download panel and the code panel sit beside the tabs, so both follow the
Samples and Files tabs.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from ... import GEOResult, Settings, afetch, asearch
from ...analysis import acounts
from ...files.plan import DownloadPlan
from ...offline import DEMO_QUERIES, demo_catalog, resolve_settings
from ._html import esc, message_html
from .codepanel import ShowCode
from .download import plan_summary
from .progress import ProgressPanel
from .query import SearchForm
from .results import ERRORS_TAB, RUNS_TAB, SAMPLES_TAB, SERIES_TAB, ResultTabs
from .tasks import TaskOwner

__all__ = ["GEOExplorer"]

log = logging.getLogger("geo_nb.jupyter.widgets")


def demo_note_html() -> str:
    """The offline demo's note: how many series it holds and what to search for."""
    tries = "; ".join(f"{query} ({what})" for query, what in DEMO_QUERIES)
    return message_html(
        f"Offline demo: {len(demo_catalog())} recorded GEO series. Try {tries}. "
        "geo_nb.demo_catalog() lists them all."
    )


class GEOExplorer(TaskOwner):
    """A notebook UI for GEO: search, filters, progress, results in tabs, plots.

    ``query`` pre-fills the query box; ``hits`` (a :func:`geo_nb.search`
    frame) and ``result`` (a :class:`~geo_nb.GEOResult`) pre-fill the tabs.
    ``settings`` and keyword overrides (any :class:`~geo_nb.Settings` field)
    are passed to every call. Show it as the last expression of a cell, or put
    :attr:`widget` into another layout.

    Everything shown is reachable from Python: :attr:`hits`, :attr:`result`,
    :attr:`selection`, :attr:`plan` (the download plan of the Files tab),
    :attr:`data` (NCBI counts loaded from the Files tab's "Load as DataFrame"),
    :attr:`download_report`, :attr:`message`, :attr:`search_warnings`,
    :attr:`last_error` and :attr:`task` (the running or last asyncio task;
    tests ``await`` it).

    Example:
        >>> explorer = GEOExplorer("ATAC-seq", max_results=50)
        >>> explorer.form.query.value
        'ATAC-seq'
    """

    def __init__(
        self,
        query: str = "",
        *,
        hits: pd.DataFrame | None = None,
        result: GEOResult | None = None,
        max_results: int = 100,
        page_size: int = 50,
        settings: Settings | None = None,
        **overrides: Any,
    ) -> None:
        self.settings = settings
        self.overrides = overrides
        self.task: asyncio.Task[None] | None = None
        self.last_error: BaseException | None = None
        self.message = ""
        self.search_warnings: list[str] = []
        self.data: pd.DataFrame | None = None

        offline = (settings or Settings()).offline_demo
        if offline and not query:
            query = DEMO_QUERIES[0][0]
        self.form = SearchForm(query, max_results)
        self.demo_note = widgets.HTML(demo_note_html() if offline else "").add_class(
            "geo-nb-demo-note"
        )
        self.translation = widgets.HTML().add_class("geo-nb-translation")
        self.warnings = widgets.HTML().add_class("geo-nb-warnings")
        self.status = widgets.HTML().add_class("geo-nb-message")
        self.progress = ProgressPanel()
        self.tabs = ResultTabs(page_size)
        self.series_table = self.tabs.series_table
        self.samples_table = self.tabs.samples_table
        self.files_table = self.tabs.files_table
        self.errors_table = self.tabs.errors_table
        self.fetch_button = self.tabs.fetch_button
        self.download_panel = self.tabs.download_panel
        self.download_button = self.download_panel.button
        self.plot_images = self.tabs.plot_images
        self.ncbi_panel = self.tabs.ncbi_panel
        self.samples_panel = self.tabs.samples_panel
        self.show_code = ShowCode()
        self.activity = widgets.Output().add_class("geo-nb-activity")
        log_box = widgets.Accordion([self.activity], titles=("Activity log",))
        code_box = widgets.Accordion([self.show_code.panel], titles=("Show the code",))
        side = widgets.VBox([self.download_panel, code_box]).add_class("geo-nb-side")
        side.layout = widgets.Layout(width="34%", min_width="22em", flex="0 0 auto")
        self.tabs.layout = widgets.Layout(flex="1 1 0%", min_width="0")
        self.widget = widgets.VBox(
            [
                self.form,
                self.demo_note,
                self.translation,
                self.warnings,
                self.status,
                self.progress,
                widgets.HBox([self.tabs, side], layout=widgets.Layout(width="100%")),
                log_box,
            ]
        ).add_class("geo-nb-explorer")
        self.series_table.on_change(
            lambda: self.show_code.selected_series(self.selection, self.series_table)
        )
        self.samples_table.on_change(self._samples_changed)
        self.download_panel.on_change(
            lambda: self.show_code.planned(
                self.download_panel.plan_keywords, str(self.download_panel.scope.value)
            )
        )

        self.form.search.on_click(lambda _: self.search())
        self.form.cancel.on_click(lambda _: self.cancel())
        self.fetch_button.on_click(lambda _: self.fetch_details())
        self.download_button.on_click(lambda _: self.download())
        self.ncbi_panel.button.on_click(lambda _: self.load_counts())
        self.tabs.runs_panel.button.on_click(lambda _: self.fetch_runs())
        if hits is not None:
            self.set_hits(hits)
        if result is not None:
            self.set_result(result)

    def __repr__(self) -> str:
        hits = "None" if self.hits is None else f"{len(self.hits)} rows"
        return (
            f"GEOExplorer(query={self.form.query.value!r}, hits={hits}, result={self.result!r}, "
            f"selection={self.selection!r})"
        )

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle: dict[str, Any] = dict(self.widget._repr_mimebundle_(**kwargs) or {})
        bundle["text/plain"] = repr(self)
        return bundle

    # ---- state reachable from Python ---------------------------------------------------

    @property
    def hits(self) -> pd.DataFrame | None:
        """The search frame shown in the Series tab (``attrs`` hold the translation)."""
        return self.tabs.hits

    @property
    def result(self) -> GEOResult | None:
        """The last fetch result, shown in the Samples, Files and Errors tabs."""
        return self.tabs.result

    @property
    def selection(self) -> list[str]:
        """Accessions of the selected series (Series tab), in selection order."""
        return self.series_table.selection

    @selection.setter
    def selection(self, accessions: Sequence[str]) -> None:
        self.series_table.selection = list(accessions)

    @property
    def plan(self) -> DownloadPlan | None:
        """The download plan the Files tab shows (None before a fetch or with bad filters)."""
        return self.download_panel.plan

    @property
    def download_report(self) -> pd.DataFrame | None:
        """The last download's report: ``status``, ``path`` and ``error`` per file."""
        return self.download_panel.report

    @property
    def code(self) -> str:
        """The geo_nb/pandas code of what was done so far (the "Show the code" panel)."""
        return self.show_code.text

    # ---- actions -----------------------------------------------------------------------

    def search(self) -> asyncio.Task[None]:
        """Start a search with the form's values; returns the task (await it to wait).

        Example:
            >>> # explorer.form.query.value = "ATAC-seq"; await explorer.search()
            >>> # explorer.hits.attrs["query_translation"]
        """
        return self._start("Search", ["search"], self._search)

    def fetch_details(self, accessions: Sequence[str] | None = None) -> asyncio.Task[None] | None:
        """Fetch metadata for ``accessions`` (default: the selection); returns the task.

        Returns None, with a message, when nothing is selected.

        Example:
            >>> # explorer.selection = ["GSE146537"]; await explorer.fetch_details()
            >>> # explorer.result.files
        """
        wanted = list(accessions) if accessions is not None else self.selection
        if not wanted:
            self._say("Select one or more series in the Series tab first.", "warning")
            return None
        return self._start("Fetch", ["metadata", "inventory"], lambda: self._fetch(wanted))

    def download(self, dest: str | Path | None = None) -> asyncio.Task[None] | None:
        """Download :attr:`plan` into ``dest`` (default: the panel's folder); returns the task.

        Returns None, with a message, when the plan is empty. The report lands
        in :attr:`download_report` and the Files tab; Cancel keeps partial files
        as ``*.part`` for the next download to resume.

        Example:
            >>> # explorer.download_panel.categories.value = ("genome_track",)
            >>> # await explorer.download("data/"); explorer.download_report.status
        """
        plan = self.plan
        if plan is None or len(plan) == 0:
            self._say("Choose files to download in the Files tab first.", "warning")
            return None
        target = Path(dest).expanduser() if dest is not None else self.download_panel.destination()
        extract = bool(self.download_panel.extract.value)
        return self._start("Download", ["download"], lambda: self._download(plan, target, extract))

    def load_counts(
        self, accession: str | None = None, kind: str | None = None
    ) -> asyncio.Task[None] | None:
        """Load NCBI-computed counts as a DataFrame into :attr:`data` (a task).

        Without arguments, the file chosen in the Files tab's NCBI counts panel.

        Example:
            >>> # await explorer.load_counts("GSE211781", "raw"); explorer.data.head()
        """
        chosen = self.ncbi_panel.chosen
        if accession is None and chosen is not None:
            accession, kind = chosen
        if self.result is None or accession is None:
            self._say("Fetch a series with NCBI-computed counts first.", "warning")
            return None
        series, what = accession, kind or "raw"
        return self._start("Loading counts", ["download"], lambda: self._load(series, what))

    async def _load(self, accession: str, kind: str) -> None:
        assert self.result is not None
        self.progress.start("download")
        self._say(f"Loading NCBI's {kind} counts of {accession}…")
        settings = resolve_settings(self.settings, **self.overrides)
        frame = await acounts(self.result.files, accession, settings, kind=kind, progress=False)
        self.data = frame
        self.ncbi_panel.loaded(frame.shape, accession, kind)
        self.progress.end(["download"], "done", "done")
        self._say(
            f"Loaded NCBI's {kind} counts of {accession}: {frame.shape[0]:,} genes x "
            f"{frame.shape[1] - 1} samples, in explorer.data.",
            "success",
        )

    def fetch_runs(self) -> asyncio.Task[None] | None:
        """Fetch the result again with ``runs=True`` (records from the caches); the Runs tab
        shows the runs, the Files tab their FASTQ files. Returns the task, or None."""
        if self.result is None:
            self._say("Fetch details of some series first.", "warning")
            return None
        wanted = list(self.result.records.requested)
        return self._start("Runs", ["metadata", "runs"], lambda: self._fetch(wanted, runs=True))

    def set_hits(self, hits: pd.DataFrame) -> None:
        """Show a search frame: Series tab, translation and warnings."""
        self.tabs.show_hits(hits)
        translation = str(hits.attrs.get("query_translation", ""))
        count = hits.attrs.get("count", len(hits))
        self.translation.value = (
            '<div class="geo-nb-translation-text">NCBI searched: '
            f"<code>{esc(translation) or '(no translation)'}</code> · "
            f"{esc(count)} hits, {len(hits)} shown</div>"
        )
        warnings = [str(w) for w in hits.attrs.get("warnings", [])]
        self.search_warnings = warnings
        self.warnings.value = "".join(message_html(w, "warning") for w in warnings)

    def set_result(self, result: GEOResult) -> None:
        """Show a fetch result in the Samples, Files and Errors tabs."""
        self.tabs.show_result(result)

    def render_plots(self) -> dict[str, bytes]:
        """Draw the plots for the current data into the Plots tab; returns the PNGs."""
        return self.tabs.render_plots()

    async def _search(self) -> None:
        keywords = self.form.keywords()
        query, max_results = keywords.pop("query"), keywords.pop("max_results")
        filters = {k: v for k, v in keywords.items() if v is not None}
        self.progress.reset()
        self.progress.start("search")
        self._say("Searching GEO…")
        hits = await asearch(
            query,
            max_results=max_results,
            progress=False,
            on_progress=self.progress.on_progress,
            settings=self.settings,
            **filters,
            **self.overrides,
        )
        self.set_hits(hits)
        self.show_code.searched(self.form.keywords())
        self.tabs.selected_index = SERIES_TAB
        count = hits.attrs.get("count", len(hits))
        level = "warning" if self.search_warnings else "success"
        self._say(f"Found {count} series; showing {len(hits)}.", level)

    async def _fetch(self, accessions: list[str], runs: bool = False) -> None:
        self.progress.start("metadata")
        self._say(f"Fetching metadata for {len(accessions)} accession(s)…")
        result = await afetch(
            accessions,
            files=True,
            runs=runs,
            progress=False,
            on_progress=self.progress.on_progress,
            settings=self.settings,
            **self.overrides,
        )
        self.show_code.fetched(accessions, runs)
        self.set_result(result)
        self.tabs.selected_index = SAMPLES_TAB if result.errors.empty else ERRORS_TAB
        if runs:
            self.tabs.selected_index = RUNS_TAB
        n_errors = len(result.errors)
        self._say(
            f"Fetched {len(result.series)} series: {len(result.samples)} samples, "
            + (f"{len(result.runs)} SRA runs, " if runs else "")
            + f"{len(result.files)} files, {n_errors} error{'' if n_errors == 1 else 's'}.",
            "warning" if n_errors else "success",
        )

    async def _download(self, plan: DownloadPlan, dest: Path, extract: bool) -> None:
        self.progress.start("download")
        self.download_panel.started(plan, dest)
        self._say(f"Downloading {plan_summary(plan)} into {dest}…")
        try:
            report = await plan.adownload(
                dest,
                extract=extract,
                progress=False,
                on_progress=self.progress.on_progress,
                settings=self.settings,
                **self.overrides,
            )
        except asyncio.CancelledError:
            self.download_panel.cancelled(dest)
            raise
        self.show_code.downloaded(dest, extract)
        line = self.download_panel.show_report(report, dest)
        problems = int(report["status"].isin(["failed", "refused"]).sum())
        self._say(f"Download finished: {line}.", "warning" if problems else "success")

    # ---- display helpers ---------------------------------------------------------------

    def _samples_changed(self) -> None:
        table = self.samples_table
        filtered = [str(a) for a in table.view["accession"]] if "accession" in table.view else []
        self.download_panel.set_samples(table.selection, filtered)
        self.show_code.samples(table)

    def _set_busy(self, busy: bool) -> None:
        self.form.cancel.disabled = not busy
        self.form.search.disabled = busy
        self.fetch_button.disabled = busy
        self.download_panel.set_busy(busy)
