"""GEOExplorer, headless, against the NCBI emulator: drive the widgets, await explorer.task.

Button callbacks create tasks on the running loop, so these tests are ``async def``.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from typing import Any

import ipywidgets as widgets
import pandas as pd
import pytest

import geo_nb
from geo_nb.errors import QueryError, UnexpectedResponseError
from geo_nb.jupyter import plots
from geo_nb.jupyter.widgets import GEOExplorer, ProgressPanel
from geo_nb.jupyter.widgets.htmltable import HtmlTable
from geo_nb.ncbi.translation import dropped_tags
from geo_nb.progress import ProgressEvent
from geo_nb.testing import FaultRule, NCBIEmulator

PNG = b"\x89PNG\r\n\x1a\n"

EVIL_SOFT = """^SERIES = GSE990001
!Series_title = Evil <script>alert(1)</script> and <img src=x onerror=alert(2)>
!Series_geo_accession = GSE990001
!Series_status = Public on Jan 05 2022
!Series_submission_date = Jan 01 2022
!Series_last_update_date = Jan 05 2022
!Series_summary = A summary with <b>markup</b> & ampersands
!Series_type = Other
!Series_sample_id = GSM990001
!Series_platform_id = GPL16791
!Series_supplementary_file = ftp://ftp.ncbi.nlm.nih.gov/geo/series/GSE990nnn/GSE990001/suppl/GSE990001_<script>.txt.gz
^SAMPLE = GSM990001
!Sample_title = sample <script>alert(3)</script>
!Sample_geo_accession = GSM990001
!Sample_status = Public on Jan 05 2022
!Sample_source_name_ch1 = <img src=y onerror=alert(4)>
!Sample_organism_ch1 = Homo sapiens
!Sample_characteristics_ch1 = cell type: <script>x</script>
!Sample_platform_id = GPL16791
!Sample_series_id = GSE990001
!Sample_supplementary_file_1 = javascript:alert(5)
"""


def walk(widget: Any) -> Iterator[Any]:
    """Every widget under ``widget`` (children of boxes and tabs)."""
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


def all_html(explorer: GEOExplorer) -> str:
    kinds = (widgets.HTML, HtmlTable)
    return "\n".join(w.value for w in walk(explorer.widget) if isinstance(w, kinds))


def html_count(table: Any) -> str:
    """The "N selected" text beside a selectable table."""
    return str(table.count.value)


def row_accessions(html: str) -> list[str]:
    return re.findall(r'<tr data-accession="([^"]+)"', html)


async def run(explorer: GEOExplorer, button: widgets.Button) -> None:
    """Click ``button`` and wait for the task it started."""
    button.click()
    assert explorer.task is not None
    await explorer.task


async def searched(
    query: str = "", organism: str = "Homo sapiens, Mus musculus", **kw: Any
) -> GEOExplorer:
    explorer = GEOExplorer(**kw)
    explorer.form.query.value = query
    explorer.form.organism.value = organism
    await run(explorer, explorer.form.search)
    return explorer


async def test_search_shows_translation_hits_and_progress(geo_env: NCBIEmulator) -> None:
    explorer = await searched("ATAC-seq", organism="Homo sapiens")
    hits = explorer.hits
    assert hits is not None and "GSE146537" in set(hits.accession)
    assert explorer.translation.value.count('"Homo sapiens"[Organism]') == 0  # escaped quotes
    assert "&quot;Homo sapiens&quot;[Organism]" in explorer.translation.value
    assert f"{len(hits)} hits" in explorer.translation.value
    assert explorer.search_warnings == [] and explorer.warnings.value == ""
    assert set(row_accessions(explorer.series_table.html.value)) == set(hits.accession)
    assert explorer.tabs.titles[0] == f"Series ({len(hits)})"
    stage = explorer.progress.stages["search"]
    assert stage.state == "done" and stage.summary.startswith(f"{len(hits)}/{len(hits)}")
    assert explorer.message.startswith(f"Found {len(hits)} series")
    assert not explorer.busy and explorer.form.cancel.disabled and not explorer.form.search.disabled
    # Written after awaits, so through Output.append_stdout: it must be in the outputs.
    assert any("Found" in o["text"] for o in explorer.activity.outputs)
    # The explorer sends the filters the form shows.
    esearch = [r for r in geo_env.requests if r.path.endswith("esearch.fcgi")]
    assert len(esearch) == 1


async def test_dropped_field_tag_is_a_visible_warning(geo_env: NCBIEmulator) -> None:
    explorer = await searched("ATAC-seq AND foo[NOTAFIELD]", organism="Homo sapiens")
    assert "NOTAFIELD" not in explorer.translation.value
    assert len(explorer.search_warnings) == 1 and "[NOTAFIELD]" in explorer.search_warnings[0]
    assert 'role="alert"' in explorer.warnings.value and "NOTAFIELD" in explorer.warnings.value
    assert "warning" in explorer.status.value


def test_dropped_tags_knows_short_and_full_names() -> None:
    term = '(a[TITL] AND b[zzz]) AND "Homo sapiens"[ORGN] AND 1:5[NSAM] AND gse[ETYP]'
    translation = (
        'a[Title] AND "Homo sapiens"[Organism] AND 1[Number of Samples] AND gse[Entry Type]'
    )
    assert dropped_tags(term, translation) == ["zzz"]
    assert dropped_tags("x[ORGANISM]", "x[Organism]") == []


async def test_select_then_fetch_details_fills_the_tabs(geo_env: NCBIEmulator) -> None:
    explorer = await searched()
    # What a click on two rows of the Series tab does in the browser: the widget's selection.
    explorer.series_table.html.selection = ["GSE146537", "GSE150868"]
    assert explorer.selection == ["GSE146537", "GSE150868"]
    html = explorer.series_table.html.value
    assert '<tr data-accession="GSE146537" class="geo-nb-selected" aria-selected="true"' in html
    assert 'aria-label="select GSE146537" checked>' in html and "2 selected" in html_count(
        explorer.series_table
    )
    await run(explorer, explorer.fetch_button)
    res = explorer.result
    assert res is not None and list(res.series.accession) == ["GSE146537", "GSE150868"]
    assert len(res.samples) == 41 and res.errors.empty
    assert explorer.tabs.titles[1:4] == ("Samples (41)", "Files (45)", "Errors")
    assert "GSM4391896" in row_accessions(explorer.samples_table.html.value)
    # The design view: what varies is a column, what every sample shares is one line.
    assert 'data-column="genotype"' in explorer.samples_table.html.value
    assert "<b>cell line</b>: JHRCC12" in explorer.samples_panel.constant.value
    assert "ch1.cell line" not in explorer.samples_table.html.value
    files_html = explorer.files_table.html.value
    assert 'class="geo-nb-group"' in files_html and "raw_archive: 2 files" in files_html
    assert "GSE150868_RAW.tar</a>" in files_html
    assert explorer.progress.stages["metadata"].summary.startswith("2/2")
    assert explorer.message == "Fetched 2 series: 41 samples, 45 files, 0 errors."
    assert explorer.tabs.selected_index == 1
    # The file table is filterable by category and by text.
    explorer.files_table.choice_filter.value = "raw_archive"
    assert len(row_accessions(explorer.files_table.html.value)) == 2
    explorer.files_table.filter_text.value = "GSE150868"
    assert row_accessions(explorer.files_table.html.value) == ["GSE150868"]
    assert "filtered from 45" in explorer.files_table.page_label.value
    assert explorer.download_panel._dom_classes == ("geo-nb-download",)
    # Sizes per category, over both series, with a total row.
    summary = explorer.tabs.files_summary.value
    assert 'class="geo-nb-table geo-nb-files-by-category"' in summary
    categories = re.findall(r'<tr data-category="([^"]+)">', summary)
    assert categories == [*sorted(set(res.files.category)), "all"]
    assert f"<td>{len(res.files)}</td>" in summary


async def test_fetch_failures_fill_the_errors_tab(geo_env: NCBIEmulator) -> None:
    geo_env.store.set_status("GSE146537", "withdrawn")
    explorer = await searched()
    task = explorer.fetch_details(["GSE146537", "GSE150868"])
    assert task is not None
    await task
    assert explorer.tabs.titles[3] == "Errors (1)" and explorer.tabs.selected_index == 3
    assert row_accessions(explorer.errors_table.html.value) == ["GSE146537"]
    assert "withdrawn" in explorer.errors_table.html.value
    assert (
        "1 error" in explorer.message and "1 error" in explorer.progress.stages["metadata"].summary
    )


async def test_sorting_paging_and_selection_across_pages(geo_env: NCBIEmulator) -> None:
    explorer = await searched(page_size=5)
    table = explorer.series_table
    n = len(table.frame)
    assert n > 10 and table.pages == -(-n // 5) and len(row_accessions(table.html.value)) == 5
    assert table.previous.disabled and not table.next.disabled
    # A click on the header, twice (what the browser sends): descending.
    table.html.sort = ["n_samples", True]
    table.html.sort = ["n_samples", False]
    assert (table.sort_column.value, table.sort_direction.value) == ("n_samples", False)
    assert 'data-column="n_samples" aria-sort="descending"' in table.html.value
    first = row_accessions(table.html.value)[0]
    assert first == explorer.hits.sort_values("n_samples", ascending=False).accession.iloc[0]
    table.html.selection = [first]
    table.next.click()
    assert table.page == 1 and "page 2/" in table.page_label.value
    second = row_accessions(table.html.value)[0]
    table.html.selection = [*table.html.selection, second]
    assert explorer.selection == [first, second]
    table.previous.click()
    assert f'<tr data-accession="{first}" class="geo-nb-selected"' in table.html.value
    assert table.html.selection == [first, second]
    table.html.sort = []  # the third click: as received
    assert table.sort_column.value == "" and 'aria-sort="descending"' not in table.html.value
    table.next.click()
    table.select_page_button.click()  # "Select page": the five rows shown join the two selected
    shown = row_accessions(table.html.value)
    assert explorer.selection == list(dict.fromkeys([first, second, *shown]))
    assert len(explorer.selection) == 5 + len({first, second} - set(shown))
    assert f"{len(explorer.selection)} selected" in table.count.value
    explorer.selection = []
    assert table.selection == [] and 'aria-selected="true"' not in table.html.value
    with pytest.raises(KeyError):
        explorer.selection = ["GSE1"]


async def test_bad_date_is_a_query_error_in_the_message_area(geo_env: NCBIEmulator) -> None:
    explorer = GEOExplorer("ATAC-seq")
    explorer.form.published_from.value = "soon"
    await run(explorer, explorer.form.search)
    assert isinstance(explorer.last_error, QueryError)
    assert explorer.message.startswith("QueryError: published_from='soon' is not a date")
    assert 'role="alert"' in explorer.status.value and "QueryError" in explorer.status.value
    assert geo_env.requests == []
    explorer.form.published_from.value = ""
    explorer.form.min_samples.value = "ten"
    await run(explorer, explorer.form.search)
    assert explorer.message == "QueryError: Samples from must be a whole number, got 'ten'."


async def test_ncbi_failure_is_shown_not_raised(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="esearch", action="challenge"))
    explorer = GEOExplorer("ATAC-seq")
    await run(explorer, explorer.form.search)
    assert isinstance(explorer.last_error, UnexpectedResponseError)
    assert explorer.message.startswith("UnexpectedResponseError:")
    assert explorer.progress.stages["search"].state == "failed"


async def test_fetch_without_selection_asks_for_one(geo_env: NCBIEmulator) -> None:
    explorer = GEOExplorer()
    explorer.fetch_button.click()
    assert explorer.task is None and "Select one or more series" in explorer.message


async def cancel_soon(explorer: GEOExplorer) -> float:
    """Click Cancel once the task waits on the emulator; return how long the task took to end."""
    await asyncio.sleep(0.3)
    assert explorer.busy and not explorer.form.cancel.disabled
    clicked = time.monotonic()
    explorer.form.cancel.click()
    assert explorer.task is not None
    done, _ = await asyncio.wait([explorer.task], timeout=1)
    assert explorer.task in done
    return time.monotonic() - clicked


async def test_cancel_search(geo_env: NCBIEmulator) -> None:
    geo_env.latency = 3
    explorer = GEOExplorer("ATAC-seq")
    explorer.form.search.click()
    assert await cancel_soon(explorer) < 1
    assert explorer.task is not None and explorer.task.cancelled()
    assert explorer.message == "Search cancelled."
    assert explorer.progress.stages["search"].state == "cancelled"
    assert explorer.form.cancel.disabled and not explorer.form.search.disabled
    assert explorer.cancel() is False


async def test_cancel_fetch(geo_env: NCBIEmulator) -> None:
    explorer = await searched()
    explorer.selection = ["GSE150868"]
    geo_env.latency = 3
    explorer.fetch_button.click()
    assert await cancel_soon(explorer) < 1
    assert explorer.task is not None and explorer.task.cancelled()
    assert explorer.message == "Fetch cancelled." and explorer.result is None
    assert explorer.progress.stages["metadata"].state == "cancelled"
    assert "cancelled" in explorer.progress.stages["metadata"].text.value


async def test_a_new_search_cancels_the_running_one(geo_env: NCBIEmulator) -> None:
    geo_env.latency = 3
    explorer = GEOExplorer("ATAC-seq")
    first = explorer.search()
    await asyncio.sleep(0.3)
    geo_env.latency = 0
    second = explorer.search()
    await asyncio.wait_for(second, timeout=5)
    assert first.cancelled() and explorer.task is second and not second.cancelled()
    assert explorer.hits is not None and explorer.message.startswith("Found")
    assert explorer.progress.stages["search"].state == "done"


def test_big_frames_render_one_page() -> None:
    n = 5000
    frame = pd.DataFrame(
        {
            "accession": [f"GSE{900000 + i}" for i in range(n)],
            "title": [f"series {i} " + "x" * 300 for i in range(n)],
            "organism": [["Homo sapiens"]] * n,
            "n_samples": pd.array(range(n), dtype="Int64"),
        }
    )
    explorer = GEOExplorer(page_size=50)
    started = time.monotonic()
    explorer.set_hits(frame)
    table = explorer.series_table
    table.sort_column.value = "n_samples"
    table.sort_direction.value = False
    table.filter_text.value = "series 49"
    assert time.monotonic() - started < 5
    assert row_accessions(table.html.value)[0] == "GSE904999"
    assert (
        len(row_accessions(table.html.value)) == 50 and table.pages == 3
    )  # 49, 490-499, 4900-4999
    assert "…" in table.html.value  # long titles are shortened (the full text is in a tooltip)
    assert table.html.value.count('<input type="checkbox"') == 50


async def test_ncbi_text_is_escaped_everywhere(geo_env: NCBIEmulator) -> None:
    geo_env.store.add_record(EVIL_SOFT)
    explorer = await searched("GSE990001[ACCN]", organism="")
    explorer.selection = ["GSE990001"]
    await run(explorer, explorer.fetch_button)
    assert explorer.result is not None and len(explorer.result.samples) == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in explorer.series_table.html.value
    assert "&lt;img src=x onerror=alert(2)&gt;" in explorer.series_table.html.value
    assert "&lt;script&gt;alert(3)&lt;/script&gt;" in explorer.samples_table.html.value
    assert "GSE990001_&lt;script&gt;.txt.gz" in explorer.files_table.html.value
    html = all_html(explorer)
    for tag in ("<script", "<img", "<iframe"):
        assert tag not in html.lower()
    # A file "URL" of javascript:alert(5) shows as text, never as a link.
    assert "javascript:alert(5)" in html and 'href="javascript' not in html


async def test_plots_render_to_png_in_the_plots_tab(geo_env: NCBIEmulator) -> None:
    explorer = await searched()
    explorer.selection = ["GSE146537", "GSE150868"]
    await run(explorer, explorer.fetch_button)
    explorer.tabs.selected_index = 4  # rendering is lazy: on showing the tab
    for name in ("years", "samples", "files"):
        assert bytes(explorer.plot_images[name].value).startswith(PNG), name
        # ipywidgets 8's front end cannot render an Image with a tooltip ("Click to
        # show javascript error" in JupyterLab): captions carry the titles instead.
        assert explorer.plot_images[name].tooltip is None, name
        assert explorer.tabs.plot_captions[name].value


def test_plot_helpers_work_without_widgets() -> None:
    hits = pd.DataFrame(
        {
            "accession": ["GSE1", "GSE2", "GSE3"],
            "n_samples": pd.array([3, None, 12], dtype="Int64"),
            "published": pd.to_datetime(["2019-05-01", None, "2022-01-01"]),
        }
    )
    files = pd.DataFrame(
        {
            "category": ["raw_archive", "regions", "regions"],
            "size_bytes": pd.array([2048, None, 10], dtype="Int64"),
        }
    )
    figures = [
        plots.series_per_year(hits),
        plots.samples_per_series(hits),
        plots.samples_per_series(pd.DataFrame({"series_accession": ["GSE1", "GSE1", "GSE2"]})),
        plots.files_by_category(files),
        plots.files_by_category(files.assign(size_bytes=pd.NA)),
        plots.series_per_year(hits.iloc[0:0]),
        plots.files_by_category(files.iloc[0:0]),
    ]
    for figure in figures:
        assert plots.to_png(figure).startswith(PNG)
    assert figures[3].axes[1].get_title() == "Size by category (2.0 KiB, 1 unknown)"
    assert figures[3].axes[1].get_xlabel() == "KiB"


def test_explorer_from_existing_frames_without_a_loop() -> None:
    hits = pd.DataFrame({"accession": ["GSE1"], "title": ["<b>x</b>"], "n_samples": [2]})
    hits.attrs.update(query_translation="x[All Fields]", term="x", count=1, warnings=["w <i>"])
    explorer = GEOExplorer("x", hits=hits)
    assert explorer.hits is hits and explorer.search_warnings == ["w <i>"]
    assert "w &lt;i&gt;" in explorer.warnings.value and "&lt;b&gt;x&lt;/b&gt;" in all_html(explorer)
    bundle = explorer._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    assert bundle["text/plain"].startswith("GEOExplorer(query='x', hits=1 rows")
    # Outside a running loop (a script), starting work says what to do instead.
    with pytest.raises(RuntimeError, match="running asyncio loop"):
        explorer.search()


def test_progress_panel_renders_every_stage() -> None:
    panel = ProgressPanel()
    events = [
        ProgressEvent("inventory", "start", 0, 4, 0, 0.0),
        ProgressEvent("inventory", "advance", 1, 4, 0, 0.5),
        ProgressEvent("inventory", "advance", 2, 4, 1, 1.0),
        ProgressEvent("inventory", "advance", 4, 4, 1, 2.0),
        ProgressEvent("inventory", "finish", 4, 4, 1, 2.0),
    ]
    for event in events:
        panel.on_progress(event)
    row = panel.stages["inventory"]
    assert row.state == "done" and row.bar.value == 1.0 and row.bar.bar_style == "warning"
    assert row.summary == "4/4 · 2.0/s · 1 error"
    panel.on_progress(ProgressEvent("search", "advance", 10, None, 0, 2.0))
    assert panel.stages["search"].summary == "10 · 5.0/s"
    # The download stage counts bytes.
    panel.on_progress(ProgressEvent("download", "advance", 3 * 1024**2, 4 * 1024**2, 1, 2.0))
    assert panel.stages["download"].summary == "3.0 MiB/4.0 MiB · 1.5 MiB/s · ETA 1 s · 1 error"
    assert [type(c) for c in panel.children] == [type(row)] * 3


async def test_files_tab_loads_ncbi_counts_into_data(geo_env: NCBIEmulator) -> None:
    explorer = GEOExplorer(result=await geo_nb.afetch(["GSE211781", "GSE146540"], progress=False))
    panel = explorer.ncbi_panel
    assert panel.layout.display is None  # shown: the result has NCBI counts
    labels = [label for label, _ in panel.files.options]
    assert len(labels) == 3 and all(label.startswith("GSE211781 · ") for label in labels)
    assert "NCBI-computed RNA-seq counts" in all_html(explorer)
    # The files table shows them as their own group, apart from the submitter's files.
    assert "ncbi_counts: 3 files" in explorer.files_table.html.value
    panel.files.value = ("GSE211781", "tpm")
    await run(explorer, panel.button)
    assert explorer.last_error is None, explorer.message
    assert explorer.data is not None and explorer.data.attrs["kind"] == "tpm"
    assert explorer.data.shape == (39376, 17)
    assert "explorer.data" in explorer.message and "39,376 genes" in panel.note.value
    explorer.set_result(await geo_nb.afetch("GSE146540", progress=False))
    assert panel.layout.display == "none" and panel.files.options == ()
