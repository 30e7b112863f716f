"""The explorer's Runs tab, headless, against the NCBI emulator's recorded SRA/ENA data."""

from __future__ import annotations

from pathlib import Path

from geo_nb.jupyter.widgets import GEOExplorer
from geo_nb.jupyter.widgets.results import RUNS_TAB
from geo_nb.testing import NCBIEmulator

from .test_widgets import row_accessions, run

AIRWAY = "GSE52778"


async def test_runs_tab_finds_runs_and_offers_their_fastq(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    explorer = GEOExplorer()
    panel = explorer.tabs.runs_panel
    assert panel.button.disabled and explorer.fetch_runs() is None
    assert "Fetch details of some series first" in explorer.message
    task = explorer.fetch_details([AIRWAY])
    assert task is not None
    await task
    assert explorer.tabs.titles[RUNS_TAB] == "Runs" and not panel.button.disabled
    assert "Find SRA runs asks NCBI and ENA" in panel.summary.value
    before = len(geo_env.requests)
    await run(explorer, panel.button)
    res = explorer.result
    assert res is not None and len(res.runs) == 16
    # The records came from the caches: only run info and ENA were asked.
    assert {r.service for r in geo_env.requests[before:]} == {"eutils", "ena"}
    assert explorer.tabs.selected_index == RUNS_TAB
    assert explorer.tabs.titles[RUNS_TAB] == "Runs (16)"
    assert explorer.progress.stages["runs"].state == "done"
    assert explorer.message.startswith("Fetched 1 series: 16 samples, 16 SRA runs, ")
    summary = panel.summary.value
    assert 'data-runs="16" data-samples="16" data-fastq-files="2" data-fastq-bytes="4054"' in (
        summary
    )
    assert "15 without FASTQ at ENA" in summary
    table = panel.table.html.value
    assert row_accessions(table)[:2] == ["SRR1039508", "SRR1039509"]
    assert "1 run · FASTQ 4.0 KiB</th>" in table and "1 run · 1 without FASTQ at ENA" in table
    # The FASTQ files join the download panel, and download with ENA's MD5 checked.
    download = explorer.download_panel
    assert "sequencing (2 files, 4.0 KiB)" in dict(download.categories.options)
    download.categories.value = ("sequencing",)
    download.dest.value = str(tmp_path / "reads")
    await run(explorer, explorer.download_button)
    report = explorer.download_report
    assert report is not None and report.status.tolist() == ["downloaded", "downloaded"]
    assert sorted(p.name for p in (tmp_path / "reads" / AIRWAY).iterdir()) == [
        "SRR1039508_1.fastq.gz",
        "SRR1039508_2.fastq.gz",
    ]


async def test_runs_tab_of_a_series_without_sra(geo_env: NCBIEmulator) -> None:
    explorer = GEOExplorer()
    task = explorer.fetch_details(["GSE27011"])
    assert task is not None
    await task
    await run(explorer, explorer.tabs.runs_panel.button)
    assert explorer.result is not None and explorer.result.runs.empty
    assert explorer.tabs.titles[RUNS_TAB] == "Runs"
    assert "No SRA runs shown" in explorer.tabs.runs_panel.summary.value
    assert [r.service for r in geo_env.requests].count("ena") == 0
