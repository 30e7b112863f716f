"""The explorer's result tabs: Series, Samples, Files, Errors, Plots, Runs.

:class:`ResultTabs` shows a search frame and a :class:`~geo_nb.GEOResult` as
paged HTML tables (:class:`~geo_nb.jupyter.widgets.TablePanel`); the Samples tab is a
design view (:class:`~geo_nb.jupyter.widgets.design_view.SamplesPanel`), the Files tab
adds the sizes per category. The :class:`~geo_nb.jupyter.widgets.DownloadPanel` is made
here but shown by the explorer beside the tabs, so it stays in sight of both the
Samples and the Files tab. It draws the plots of
:mod:`geo_nb.jupyter.plots` into ``widgets.Image``s, lazily: only when the Plots tab is
shown (or :meth:`ResultTabs.render_plots` is called), so a search never waits
for matplotlib.

Example:
    >>> import pandas as pd
    >>> tabs = ResultTabs()
    >>> tabs.show_hits(pd.DataFrame({"accession": ["GSE1"], "title": ["a"]}))
    >>> tabs.titles[0]
    'Series (1)'
"""

from __future__ import annotations

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from ... import GEOResult
from ...files.plan import unique_size
from .. import plots
from ._html import TABLE_STYLE, accession_cell, esc, iec_size, link_cell, message_html, size_cell
from .design_view import SamplesPanel
from .download import DownloadPanel
from .ncbi import NcbiCountsPanel
from .runs import RunsPanel
from .table import TablePanel

__all__ = ["FILES_TAB", "PLOTS_TAB", "RUNS_TAB", "ResultTabs", "files_summary_html"]

SERIES_COLUMNS = (
    *("accession", "title", "organism", "study_type", "n_samples", "published"),
    *("platforms", "supplementary_types", "sra_study"),
)
SAMPLE_COLUMNS = (
    *("series_accession", "accession", "title", "source", "organism", "library_strategy"),
    *("molecule", "platform", "instrument"),
)
FILE_COLUMNS = (
    *("series_accession", "accession", "level", "name", "format", "compression"),
    "size_bytes",
)
ERROR_COLUMNS = ("accession", "kind", "message")
SERIES_TAB, SAMPLES_TAB, FILES_TAB, ERRORS_TAB, PLOTS_TAB, RUNS_TAB = range(6)
_ACCESSION_CELLS = {"accession": accession_cell, "series_accession": accession_cell}
_PLOTS = (
    ("years", "Series published per year (search hits)"),
    ("samples", "Samples per series"),
    ("files", "Files by category: count and size"),
)


def _files_label(group: pd.DataFrame) -> str:
    sizes = pd.to_numeric(group["size_bytes"], errors="coerce")
    known = int(sizes.notna().sum())
    n = len(group)
    text = f"{n} file{'' if n == 1 else 's'}"
    if known:
        text += f" · {iec_size(sizes.sum())}"
    if known < n:
        text += f" · {n - known} size{'' if n - known == 1 else 's'} unknown"
    return text


def files_summary_html(result: GEOResult | None) -> str:
    """Per category, over all series: files, total size, approximate and unknown sizes.

    Built from :meth:`geo_nb.GEOResult.files_summary`; a last row, "all",
    counts every byte once (files inside a listed ``RAW.tar`` are not added to
    the archive's size again), and SuperSeries are named with the SubSeries that hold their
    samples' files.
    """
    if result is None or result.files.empty:
        return ""
    summary = result.files_summary()
    by_category = summary.groupby("category", sort=True)[
        ["n_files", "total_bytes", "approximate", "unsized"]
    ].sum()
    counts: list[tuple[str, list[int]]] = [
        (str(c), [int(v) for v in values]) for c, values in by_category.iterrows()
    ]
    # Files inside a listed RAW.tar are also counted by the archive's row: "all"
    # counts each byte once.
    total, unsized = unique_size(result.files)
    counts.append(
        ("all", [len(result.files), total, int(by_category["approximate"].sum()), unsized])
    )
    body = "".join(
        f'<tr data-category="{esc(c)}"><th scope="row">{esc(c)}</th><td>{n}</td>'
        f"<td>{size_cell(total if unsized < n else None)}</td>"
        f"<td>{approx or ''}</td><td>{unsized or ''}</td></tr>"
        for c, (n, total, approx, unsized) in counts
    )
    head = "".join(
        f'<th scope="col">{h}</th>'
        for h in ("category", "files", "size", "approximate sizes", "unknown sizes")
    )
    table = (
        '<table class="geo-nb-table geo-nb-files-by-category"><caption>Files by category '
        "(sizes known before downloading)</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )
    supers = result.files.attrs.get("superseries", {})
    notes = [
        message_html(
            f"{series} is a SuperSeries: its samples' files are listed under its SubSeries "
            f"{', '.join(subs)} (fetch those to see them)."
        )
        for series, subs in supers.items()
    ]
    return TABLE_STYLE + table + "".join(notes)


class ResultTabs(widgets.Tab):  # type: ignore[misc, unused-ignore]
    """Series, Samples, Files, Errors, Plots and Runs tabs; titles carry row counts.

    The Series tab has the selectable table and the ``fetch_button``, the Runs
    tab the ``runs_panel`` and its button (the explorer wires both); ``hits``
    and ``result`` are what the tabs show.
    """

    def __init__(self, page_size: int = 50) -> None:
        self.hits: pd.DataFrame | None = None
        self.result: GEOResult | None = None
        self.series_table = TablePanel(
            "series", SERIES_COLUMNS, page_size=page_size, selectable=True, cells=_ACCESSION_CELLS
        )
        self.fetch_button = widgets.Button(
            description="Fetch details", button_style="primary", icon="download"
        ).add_class("geo-nb-fetch")
        self.samples_panel = SamplesPanel(page_size, SAMPLE_COLUMNS, _ACCESSION_CELLS)
        self.samples_table = self.samples_panel.table
        self.files_table = TablePanel(
            "files",
            FILE_COLUMNS,
            page_size=page_size,
            cells={**_ACCESSION_CELLS, "name": link_cell("url"), "size_bytes": size_cell},
            choice="category",
            group_by="category",
            group_label=_files_label,
        )
        self.files_summary = widgets.HTML().add_class("geo-nb-files-summary")
        self.download_panel = DownloadPanel(page_size)
        self.ncbi_panel = NcbiCountsPanel()
        self.errors_table = TablePanel(
            "errors", ERROR_COLUMNS, page_size=page_size, cells=_ACCESSION_CELLS, choice="kind"
        )
        # No tooltip on an Image: ipywidgets 8's front end fails to render an Image
        # that has one ("Click to show javascript error"). Each plot gets a caption.
        self.plot_images = {
            name: widgets.Image(format="png").add_class(f"geo-nb-plot-{name}") for name, _ in _PLOTS
        }
        self.plot_captions = {
            name: widgets.HTML(f"<b>{esc(caption)}</b>").add_class("geo-nb-plot-caption")
            for name, caption in _PLOTS
        }
        self.plot_note = widgets.HTML().add_class("geo-nb-plot-note")
        self.runs_panel = RunsPanel(page_size)
        self._plots_stale = True
        series_box = widgets.VBox([self.fetch_button, self.series_table])
        super().__init__(
            [
                series_box,
                self.samples_panel,
                widgets.VBox([self.files_summary, self.ncbi_panel, self.files_table]),
                self.errors_table,
                widgets.VBox(
                    [
                        self.plot_note,
                        *(
                            widgets.VBox([self.plot_captions[name], self.plot_images[name]])
                            for name, _ in _PLOTS
                        ),
                    ]
                ),
                self.runs_panel,
            ]
        )
        self.add_class("geo-nb-tabs")
        self.observe(lambda _: self._maybe_render_plots(), names="selected_index")
        self._changed()

    def show_hits(self, hits: pd.DataFrame) -> None:
        """Show search hits in the Series tab; the fetched tabs are emptied."""
        self.hits = hits
        self.series_table.set_frame(hits)
        self.show_result(None)

    def show_result(self, result: GEOResult | None) -> None:
        """Show a fetch result in the Samples, Files and Errors tabs (None empties them)."""
        self.result = result
        if result is None:
            for table in (self.files_table, self.errors_table):
                table.set_frame(table.frame.iloc[0:0])
        else:
            if self.hits is None:
                self.series_table.set_frame(result.series)
            self.files_table.set_frame(result.files)
            self.errors_table.set_frame(result.errors)
        self.samples_panel.set_result(result)
        self.files_summary.value = files_summary_html(result)
        self.download_panel.set_result(result)
        self.ncbi_panel.set_result(result)
        self.runs_panel.set_result(result)
        self._changed()

    def render_plots(self) -> dict[str, bytes]:
        """Draw the plots of the data shown into the Plots tab; returns the PNGs by name."""
        self._plots_stale = False
        images: dict[str, bytes] = {}
        try:
            if self.hits is not None:
                images["years"] = plots.to_png(plots.series_per_year(self.hits))
            samples = self.result.samples if self.result is not None else self.hits
            if samples is not None:
                images["samples"] = plots.to_png(plots.samples_per_series(samples))
            if self.result is not None:
                images["files"] = plots.to_png(plots.files_by_category(self.result.files))
        except ImportError:
            self.plot_note.value = message_html("Plots need matplotlib: pip install matplotlib")
            return images
        for name, image in self.plot_images.items():
            image.value = images.get(name, b"")
            shown = "" if name in images else "none"
            image.layout.display = self.plot_captions[name].layout.display = shown
        self.plot_note.value = "" if images else message_html("Search or fetch to see plots.")
        return images

    def _changed(self) -> None:
        def title(name: str, table: TablePanel) -> str:
            return f"{name} ({len(table.frame)})" if len(table.frame) else name

        self.titles = (
            title("Series", self.series_table),
            title("Samples", self.samples_table),
            title("Files", self.files_table),
            title("Errors", self.errors_table),
            "Plots",
            title("Runs", self.runs_panel.table),
        )
        self._plots_stale = True
        self._maybe_render_plots()

    def _maybe_render_plots(self) -> None:
        if self._plots_stale and self.selected_index == PLOTS_TAB:
            self.render_plots()
