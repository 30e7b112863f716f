"""The explorer in a real browser: JupyterLab 4, Notebook 7 and Voila, driven by Chromium.

Each test starts its own server on 127.0.0.1 (with a token) whose kernels talk
to the NCBI emulator of this process, opens the notebook made at run time,
runs it, and uses the explorer as a person would: type a query, click Search,
pick a series, fetch its details. Waits are explicit (on CSS classes the
explorer sets) and bounded. ``tests/artifacts/`` gets screenshots.
"""

from __future__ import annotations

import io
import re
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import ConsoleMessage, Error, Locator, Page, expect

from geo_nb.accessions import ftp_dir
from geo_nb.testing import NCBIEmulator

from .conftest import JupyterServer, ServerKind

pytestmark = pytest.mark.browser

QUERY = "ATAC-seq"
SERIES = "GSE146537"  # 6 samples in the recordings; one of the 7 hits of QUERY
SERIES_HITS = 7
KERNEL_TIMEOUT_MS = 90_000  # a cold kernel import of geo_nb, pandas and ipywidgets
NCBI_TIMEOUT_MS = 30_000
BODY = b"synthetic bigWig bytes for the browser test\n" * 100

APP_READY = """async () => {
  await window.jupyterapp.started;
  await window.jupyterapp.restored;
}"""
KERNEL_IDLE = """() => {
  const widget = window.jupyterapp.shell.currentWidget;
  const context = widget && widget.sessionContext;
  const kernel = context && context.session && context.session.kernel;
  return !!kernel && kernel.connectionStatus === 'connected' && kernel.status === 'idle'
    && !!widget.content && widget.content.widgets.length > 0;
}"""
RUN_ALL = "() => window.jupyterapp.commands.execute('notebook:run-all-cells')"


def choose(select: Locator, prefix: str) -> None:
    """Select the option of a widget's ``<select>`` whose label starts with ``prefix``.

    ipywidgets' options carry their index as value, so options are found by label.
    """
    expect(select.locator("option").first).to_be_attached(timeout=NCBI_TIMEOUT_MS)
    labels = select.locator("option").all_inner_texts()
    matches = [i for i, label in enumerate(labels) if label.startswith(prefix)]
    assert matches, f"no option starting with {prefix!r} in {labels}"
    select.select_option(index=matches[0])


TABS = ("Series", "Samples", "Files", "Errors", "Plots", "Runs")
RUNS_SERIES = "GSE52778"  # the airway study: 16 samples, one paired-end run each
# What ipywidgets shows where a view failed to render ("Click to show javascript error").
WIDGET_ERROR_TEXT = re.compile(r"javascript error", re.IGNORECASE)
WIDGET_CONSOLE = re.compile(r"widget|jupyter-widgets|ipywidgets|Could not create (a )?view", re.I)


def watch_console(page: Page) -> list[str]:
    """Collect the page's widget errors: console and uncaught errors that name widgets."""
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and WIDGET_CONSOLE.search(message.text):
            problems.append(f"console: {message.text}")

    page.on("console", on_console)

    def on_page_error(error: Error) -> None:
        # Uncaught errors of the widget code; Notebook 7's own settings loader throws one
        # for the plugins the test server disables, which is not the explorer's concern.
        text = f"{error} {error.stack or ''}"
        if WIDGET_CONSOLE.search(text):
            problems.append(f"page error: {text}")

    page.on("pageerror", on_page_error)
    return problems


def assert_no_widget_errors(page: Page, problems: list[str]) -> None:
    """No console/page widget error so far, and no failed-view placeholder on the page."""
    shown = page.locator(".geo-nb-explorer").filter(has_text=WIDGET_ERROR_TEXT)
    assert shown.count() == 0, "a widget view failed to render in the explorer"
    body = page.locator("body").inner_text()
    assert not WIDGET_ERROR_TEXT.search(body), "a widget shows 'javascript error'"
    assert problems == [], "\n".join(problems)


def visit_every_tab(page: Page, problems: list[str], artifacts: Path, name: str) -> None:
    """Open each result tab in turn; the Plots tab must show its three images."""
    for tab in TABS:
        page.locator(".geo-nb-tabs .lm-TabBar-tab", has_text=tab).first.click()
        if tab == "Plots":
            for plot in ("years", "samples", "files"):
                image = page.locator(f"img.geo-nb-plot-{plot}")
                expect(image).to_be_visible(timeout=NCBI_TIMEOUT_MS)
                page.wait_for_function(
                    "(img) => img.complete && img.naturalWidth > 0",
                    arg=image.element_handle(),
                    timeout=NCBI_TIMEOUT_MS,
                )
            page.locator(".geo-nb-explorer").screenshot(path=str(artifacts / f"{name}-plots.png"))
        assert_no_widget_errors(page, problems)


def run_notebook(page: Page, server: JupyterServer) -> None:
    """Open the notebook in Lab or Notebook 7, wait for its kernel, run every cell."""
    page.goto(server.page_url())
    page.wait_for_function("() => window.jupyterapp !== undefined", timeout=KERNEL_TIMEOUT_MS)
    page.evaluate(APP_READY)
    page.wait_for_function(KERNEL_IDLE, timeout=KERNEL_TIMEOUT_MS)
    page.evaluate(RUN_ALL)
    # The first cell prints where geo_nb sends its requests: the emulator, not NCBI.
    expect(
        page.locator(".jp-OutputArea-output").filter(has_text="asks http://127.0.0.1:")
    ).to_be_visible(timeout=KERNEL_TIMEOUT_MS)


def search(page: Page) -> None:
    """Type the query, click Search, wait for the table of hits."""
    query = page.locator(".geo-nb-query input")
    expect(query).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    query.fill(QUERY)
    page.locator("button.geo-nb-search").click()
    rows = page.locator(".geo-nb-series-table tr[data-accession]")
    expect(rows).to_have_count(SERIES_HITS, timeout=NCBI_TIMEOUT_MS)
    for index in range(SERIES_HITS):
        expect(rows.nth(index)).to_be_visible()
    expect(page.locator(".geo-nb-translation")).to_contain_text(f"{SERIES_HITS} hits")
    expect(page.locator(".geo-nb-message")).to_contain_text(f"Found {SERIES_HITS} series")


def click_row(page: Page, table: str, accession: str) -> None:
    """Click a row's title cell (the accession cell is a link to GEO)."""
    row = page.locator(f'.geo-nb-{table}-table tr[data-accession="{accession}"]')
    row.locator("td").nth(2).click()


def column_values(page: Page, table: str, column: str) -> list[str]:
    """The text of one column of a table's rows, in the order shown."""
    headers = page.locator(f".geo-nb-{table}-table thead th").all_inner_texts()
    index = [h.rstrip(" ▲▼") for h in headers].index(column)
    rows = page.locator(f".geo-nb-{table}-table tbody tr[data-accession]")
    return list(rows.evaluate_all(f"rows => rows.map(r => r.cells[{index}].innerText)"))


def sort_and_select_series(page: Page, artifacts: Path, name: str) -> None:
    """Sort by clicking a header; select with the keyboard and by clicking a row."""
    header = page.locator('.geo-nb-series-table th[data-column="n_samples"]')
    header.click()
    expect(header).to_have_attribute("aria-sort", "ascending", timeout=NCBI_TIMEOUT_MS)
    counts = [int(v) for v in column_values(page, "series", "n_samples")]
    assert counts == sorted(counts) and len(counts) == SERIES_HITS
    header.click()
    expect(header).to_have_attribute("aria-sort", "descending", timeout=NCBI_TIMEOUT_MS)
    counts = [int(v) for v in column_values(page, "series", "n_samples")]
    assert counts == sorted(counts, reverse=True)
    # Keyboard: focus the first row, Down to the second, Space selects it, Space again not.
    rows = page.locator(".geo-nb-series-table tbody tr[data-accession]")
    second = rows.nth(1).get_attribute("data-accession")
    rows.first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Space")
    chosen = page.locator(f'.geo-nb-series-table tr[data-accession="{second}"]')
    expect(chosen).to_have_attribute("aria-selected", "true", timeout=NCBI_TIMEOUT_MS)
    expect(page.locator(".geo-nb-series-count")).to_have_text("1 selected")
    expect(chosen).to_be_focused()
    page.keyboard.press("Enter")
    expect(chosen).to_have_attribute("aria-selected", "false", timeout=NCBI_TIMEOUT_MS)
    expect(page.locator(".geo-nb-series-count")).to_have_text("0 selected")
    # A click on a row selects it; its checkbox is ticked.
    click_row(page, "series", SERIES)
    selected = page.locator(f'.geo-nb-series-table tr[data-accession="{SERIES}"]')
    expect(selected).to_have_attribute("aria-selected", "true", timeout=NCBI_TIMEOUT_MS)
    expect(selected.locator("input[type=checkbox]")).to_be_checked()
    expect(page.locator(".geo-nb-series-count")).to_have_text("1 selected")
    page.locator(".geo-nb-explorer").screenshot(path=str(artifacts / f"{name}-series.png"))


def fetch_details(page: Page) -> None:
    """Fetch the selected :data:`SERIES`, wait for its samples."""
    page.locator("button.geo-nb-fetch").click()
    samples = page.locator(".geo-nb-samples-table tr[data-accession]")
    expect(samples).to_have_count(6, timeout=NCBI_TIMEOUT_MS)
    expect(samples.first).to_be_visible()
    expect(samples.first).to_have_attribute("data-accession", re.compile(r"^GSM\d+$"))
    expect(page.locator(".geo-nb-tabs .lm-TabBar-tab", has_text="Samples (6)")).to_be_visible()
    expect(page.locator(".geo-nb-message")).to_contain_text("Fetched 1 series: 6 samples")


def runs_tab(page: Page, problems: list[str], artifacts: Path, name: str) -> None:
    """Search the airway study, fetch it, find its SRA runs in the Runs tab."""
    page.locator(".geo-nb-query input").fill("airway")
    page.locator("button.geo-nb-search").click()
    expect(page.locator(".geo-nb-message")).to_contain_text(
        "Found 1 series", timeout=NCBI_TIMEOUT_MS
    )
    click_row(page, "series", RUNS_SERIES)
    page.locator("button.geo-nb-fetch").click()
    expect(page.locator(".geo-nb-message")).to_contain_text(
        "Fetched 1 series: 16 samples", timeout=NCBI_TIMEOUT_MS
    )
    page.locator(".geo-nb-tabs .lm-TabBar-tab", has_text="Runs").first.click()
    page.locator("button.geo-nb-find-runs").click()
    rows = page.locator(".geo-nb-runs-table tr[data-accession]")
    expect(rows).to_have_count(16, timeout=NCBI_TIMEOUT_MS)
    expect(rows.first).to_have_attribute("data-accession", "SRR1039508")
    expect(rows.first).to_be_visible()
    line = page.locator(".geo-nb-runs-summary .geo-nb-runs-line")
    expect(line).to_have_attribute("data-fastq-files", "2")
    expect(page.locator(".geo-nb-tabs .lm-TabBar-tab", has_text="Runs (16)")).to_be_visible()
    page.locator(".geo-nb-explorer").screenshot(path=str(artifacts / f"{name}-runs.png"))
    # The FASTQ files are offered by the Files tab's download panel.
    page.locator(".geo-nb-tabs .lm-TabBar-tab", has_text="Files").first.click()
    page.locator(".geo-nb-download-scope button", has_text="all series").click()
    page.locator(".geo-nb-download-categories button", has_text="sequencing").click()
    summary = page.locator(".geo-nb-download-summary .geo-nb-plan-summary")
    expect(summary).to_have_attribute("data-files", "2", timeout=NCBI_TIMEOUT_MS)
    assert_no_widget_errors(page, problems)


def facet_and_download(page: Page, server: JupyterServer, artifacts: Path, name: str) -> list[str]:
    """Filter samples by a facet chip, select two, download their files from the side panel.

    Returns the two samples' accessions.
    """
    chip = page.locator(".geo-nb-facet button", has_text="SETD2-deficient (3)")
    chip.click()
    rows = page.locator(".geo-nb-samples-table tbody tr[data-accession]")
    expect(rows).to_have_count(3, timeout=NCBI_TIMEOUT_MS)
    assert set(column_values(page, "samples", "genotype")) == {"SETD2-deficient"}
    expect(page.locator(".geo-nb-constant")).to_contain_text("cell line: JHRCC12")
    two = [str(rows.nth(i).get_attribute("data-accession")) for i in range(2)]
    for accession in two:
        checkbox = page.locator(f'.geo-nb-samples-table tr[data-accession="{accession}"] input')
        checkbox.click()
        expect(checkbox).to_be_checked(timeout=NCBI_TIMEOUT_MS)
    expect(page.locator(".geo-nb-samples-count")).to_have_text("2 selected")
    page.locator(".geo-nb-explorer").screenshot(path=str(artifacts / f"{name}-samples.png"))
    page.locator(".geo-nb-download-scope button", has_text="selected samples").click()
    page.locator(".geo-nb-download-categories button", has_text="genome_track").click()
    summary = page.locator(".geo-nb-download-summary .geo-nb-plan-summary")
    expect(summary).to_have_attribute("data-files", "2", timeout=NCBI_TIMEOUT_MS)
    # Sized before downloading: the series' filelist.txt names each file of its RAW.tar.
    expect(summary).to_have_attribute("data-unknown-sizes", "0")
    expect(summary).to_have_attribute("data-total-bytes", str(2 * len(BODY)))
    button = page.locator("button.geo-nb-download-button")
    expect(button).to_be_enabled()
    button.click()
    report = page.locator(".geo-nb-report-summary")
    expect(report).to_have_attribute("data-statuses", "2 downloaded", timeout=NCBI_TIMEOUT_MS)
    folder = server.root / "geo_data" / SERIES
    assert sorted(p.name.split("_")[0] for p in folder.iterdir()) == sorted(two)
    page.locator(".geo-nb-side").screenshot(path=str(artifacts / f"{name}-download.png"))
    return two


def check_code_panel(
    page: Page, server: JupyterServer, tmp_path: Path, artifacts: Path, name: str, two: list[str]
) -> None:
    """The code panel's text runs in a fresh kernel and gives the frames shown."""
    page.locator(".geo-nb-side").get_by_text("Show the code").click()
    code = page.locator(".geo-nb-code pre")
    expect(code).to_be_visible(timeout=NCBI_TIMEOUT_MS)
    expect(code).to_contain_text("report = plan.download(")
    text = code.text_content() or ""
    assert 'rows_where(samples, "genotype", "SETD2-deficient")' in text
    assert "chosen_samples = " in text
    page.locator(".geo-nb-side").screenshot(path=str(artifacts / f"{name}-code.png"))
    printed = run_in_kernel(
        text
        + "\nprint('SAMPLES', list(samples.accession))"
        + "\nprint('PLAN', sorted(plan.files.accession))"
        + "\nprint('REPORT', report.status.tolist())",
        server.env,
        tmp_path,
    )
    shown = column_values(page, "samples", "accession")
    assert f"SAMPLES {shown}" in printed, printed
    assert f"PLAN {sorted(two)}" in printed, printed
    assert "REPORT ['downloaded', 'downloaded']" in printed, printed


def run_in_kernel(code: str, env: dict[str, str], cwd: Path) -> str:
    """Run ``code`` in a new IPython kernel (the servers' environment); its output and errors."""
    manager = pytest.importorskip("jupyter_client.manager")
    km, kc = manager.start_new_kernel(kernel_name="python3", env=env, cwd=str(cwd))
    out: list[str] = []

    def hook(message: dict[str, Any]) -> None:
        content = message["content"]
        if message["msg_type"] == "stream":
            out.append(content["text"])
        elif message["msg_type"] == "error":
            out.append(f"{content['ename']}: {content['evalue']}")

    try:
        kc.execute_interactive(code, timeout=KERNEL_TIMEOUT_MS / 1000, output_hook=hook)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    return "".join(out)


def give_bodies(emulator: NCBIEmulator) -> None:
    """Synthetic bytes for the six bigWigs of :data:`SERIES`, so they can be downloaded,
    and the series' ``RAW.tar`` with its ``filelist.txt`` (GEO has both for it; the
    recordings do not), so the explorer shows their sizes before downloading."""
    record = emulator.store.record(SERIES)
    assert record is not None
    buffer = io.BytesIO()
    members: list[str] = []
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for sample_id in record.values("Series_sample_id"):
            sample = emulator.store.record(sample_id)
            assert sample is not None
            for _, url in sample.matching("Sample_supplementary_file"):
                name = url.rsplit("/", 1)[-1]
                emulator.store.add_ftp_file(f"{ftp_dir(sample_id)}/suppl/{name}", BODY)
                info = tarfile.TarInfo(name)
                info.size = len(BODY)
                tar.addfile(info, io.BytesIO(BODY))
                members.append(name)
    folder, tar_name = f"{ftp_dir(SERIES)}/suppl", f"{SERIES}_RAW.tar"
    emulator.store.add_ftp_file(f"{folder}/{tar_name}", buffer.getvalue())
    lines = ["#Archive/File\tName\tTime\tSize\tType"]
    lines.append(f"Archive\t{tar_name}\t03/10/2020 12:00:01\t{len(buffer.getvalue())}\tTAR")
    lines += [f"File\t{name}\t03/09/2020 18:30:00\t{len(BODY)}\tBW" for name in members]
    emulator.store.add_ftp_file(f"{folder}/filelist.txt", ("\n".join(lines) + "\n").encode())


@pytest.mark.parametrize("kind", ["lab", "notebook"])
def test_explorer_search_and_fetch(
    kind: ServerKind,
    start_server: Callable[[ServerKind], JupyterServer],
    emulator: NCBIEmulator,
    page: Page,
    artifacts: Path,
    tmp_path: Path,
) -> None:
    give_bodies(emulator)
    server = start_server(kind)
    problems = watch_console(page)
    run_notebook(page, server)
    search(page)
    name = "explorer" if kind == "lab" else f"explorer-{kind}"
    sort_and_select_series(page, artifacts, name)
    fetch_details(page)
    assert any(r.path.endswith("esearch.fcgi") for r in emulator.requests)
    two = facet_and_download(page, server, artifacts, name)
    check_code_panel(page, server, tmp_path, artifacts, name, two)
    # The whole explorer: design view, download report and code side by side (docs/explorer.png).
    # In a window tall enough for all of it: else Lab's and Notebook's sticky toolbar
    # covers the top of the scrolled explorer.
    size = page.viewport_size
    assert size is not None
    page.set_viewport_size({"width": size["width"], "height": 2400})
    design = artifacts / f"{name}-design.png"
    page.locator(".geo-nb-explorer").screenshot(path=str(design))
    page.set_viewport_size(size)
    # The Files tab: sizes by category; the side panel plans the files of every series.
    page.locator(".geo-nb-tabs .lm-TabBar-tab", has_text="Files").click()
    expect(page.locator(".geo-nb-files-by-category tr[data-category='all']")).to_be_visible()
    page.locator(".geo-nb-download-scope button", has_text="all series").click()
    summary = page.locator(".geo-nb-download-summary .geo-nb-plan-summary")
    expect(summary).to_have_attribute("data-files", "6", timeout=NCBI_TIMEOUT_MS)
    expect(page.locator(".geo-nb-plan-table tr[data-accession]")).to_have_count(6)
    page.locator(".geo-nb-explorer").screenshot(path=str(artifacts / f"{name}-files.png"))
    page.locator(".geo-nb-tabs .lm-TabBar-tab", has_text="Samples").click()
    page.locator(".geo-nb-explorer").screenshot(path=str(artifacts / f"{name}.png"))
    visit_every_tab(page, problems, artifacts, name)
    if kind == "lab":
        runs_tab(page, problems, artifacts, name)


def test_voila_renders_the_explorer(
    start_server: Callable[[ServerKind], JupyterServer], page: Page, artifacts: Path
) -> None:
    server = start_server("voila")
    page.goto(server.page_url(), timeout=KERNEL_TIMEOUT_MS)
    expect(page.locator(".geo-nb-query input")).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    expect(page.locator("button.geo-nb-search")).to_be_visible()
    expect(page.locator(".geo-nb-tabs")).to_be_visible()
    # The kernel behind the page answers the widgets: a search fills the table.
    search(page)
    page.locator(".geo-nb-explorer").screenshot(path=str(artifacts / "explorer-voila.png"))
