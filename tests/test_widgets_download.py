"""The explorer's download panel, headless, against the NCBI emulator."""

from __future__ import annotations

import asyncio
from pathlib import Path

from geo_nb.jupyter.widgets import GEOExplorer
from geo_nb.testing import NCBIEmulator

from .helpers import downloadable_series
from .test_widgets import all_html, cancel_soon, row_accessions, run


async def fetched(series: str) -> GEOExplorer:
    explorer = GEOExplorer()
    task = explorer.fetch_details([series])
    assert task is not None
    await task
    assert explorer.result is not None and explorer.result.errors.empty
    return explorer


async def test_download_panel_plans_and_downloads_genome_tracks(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    explorer = await fetched(series)
    res = explorer.result
    assert res is not None
    assert explorer.progress.stages["inventory"].state == "done"
    panel = explorer.download_panel
    # The categories present in the result, with their counts and sizes; none chosen yet.
    assert [v for _, v in panel.categories.options] == sorted(set(res.files.category))
    assert "genome_track (6 files, 466.4 KiB)" in dict(panel.categories.options)
    assert explorer.plan is not None and len(explorer.plan) == 0
    assert explorer.download_button.disabled and "Choose one or more" in panel.summary.value
    assert explorer.download() is None and "Choose files" in explorer.message

    panel.categories.value = ("genome_track",)
    expected = res.plan(category="genome_track")
    plan = explorer.plan
    assert plan is not None
    assert plan.total_bytes == expected.total_bytes == sum(len(d) for d in contents.values())
    assert plan.unknown_sizes == expected.unknown_sizes == 0
    assert f'data-total-bytes="{expected.total_bytes}"' in panel.summary.value
    assert f'data-files="{len(expected)}"' in panel.summary.value
    assert "<b>6 files, 466.4 KiB</b>" in panel.summary.value
    assert row_accessions(panel.table.html.value) == list(expected.files.accession)
    assert not explorer.download_button.disabled

    dest = tmp_path / "data"
    panel.dest.value = str(dest)
    await run(explorer, explorer.download_button)
    report = explorer.download_report
    assert report is not None and explorer.last_error is None
    assert report.status.tolist() == ["downloaded"] * 6
    for name, data in contents.items():
        assert (dest / series / name).read_bytes() == data
    assert sorted(p.name for p in (dest / series).iterdir()) == sorted(contents)
    assert "6 downloaded" in panel.report_html.value
    assert panel.problems_table.layout.display == "none"
    stage = explorer.progress.stages["download"]
    assert stage.state == "done" and stage.summary.startswith("466.4 KiB/466.4 KiB")
    assert explorer.message == "Download finished: 6 downloaded."
    assert not explorer.download_button.disabled and not explorer.busy

    # Again: every file is complete, so nothing is fetched.
    await run(explorer, explorer.download_button)
    assert explorer.download_report is not None
    assert explorer.download_report.status.tolist() == ["skipped"] * 6


async def test_download_panel_filters(geo_env: NCBIEmulator) -> None:
    series, _ = downloadable_series(geo_env)
    explorer = await fetched(series)
    res = explorer.result
    assert res is not None
    panel = explorer.download_panel
    panel.categories.value = ("genome_track", "raw_archive")
    panel.max_size.value = "60K"
    expected = res.plan(category=["genome_track", "raw_archive"], max_size="60K")
    assert explorer.plan is not None and len(explorer.plan) == len(expected) == 2
    assert explorer.plan.total_bytes == expected.total_bytes == 41_000 + 55_555
    panel.max_size.value = ""
    panel.pattern.value = "rescue|RAW"
    # The RAW.tar and three of its members match: the members win (a pattern narrows).
    assert explorer.plan is not None and len(explorer.plan) == 3
    assert explorer.plan.dropped.name.str.endswith("_RAW.tar").tolist() == [True]
    assert "1 file left out, the same bytes being planned once" in panel.summary.value
    # Bad filters are messages, and nothing can be downloaded.
    panel.max_size.value = "lots"
    assert explorer.plan is None and explorer.download_button.disabled
    assert "max_size='lots' is not a size" in panel.plan_error
    assert 'role="alert"' in panel.summary.value
    panel.max_size.value = ""
    panel.pattern.value = "("
    assert explorer.plan is None and "not a valid regular expression" in panel.plan_error
    panel.pattern.value = ""
    # Both categories: the six members win over the RAW.tar that holds them.
    assert explorer.plan is not None and len(explorer.plan) == 6
    assert len(explorer.plan.dropped) == 1


async def test_download_panel_counts_unknown_sizes(geo_env: NCBIEmulator) -> None:
    series, _ = downloadable_series(geo_env, with_filelist=False)  # sample files unsized
    explorer = await fetched(series)
    panel = explorer.download_panel
    assert "genome_track (6 files, 6 unsized)" in dict(panel.categories.options)
    panel.categories.value = ("genome_track",)
    assert explorer.plan is not None and explorer.plan.unknown_sizes == 6
    assert 'data-unknown-sizes="6"' in panel.summary.value
    assert "6 files, size unknown" in panel.summary.value
    assert "0 B" not in panel.summary.value
    panel.max_size.value = "1G"
    assert explorer.plan is not None and len(explorer.plan) == 0
    assert panel.plan_warnings and "unknown size were left out" in panel.summary.value


async def test_cancel_download_keeps_only_part_files(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    series, _ = downloadable_series(geo_env)
    explorer = await fetched(series)
    explorer.download_panel.categories.value = ("genome_track",)
    geo_env.bandwidth = 50_000
    dest = tmp_path / "data"
    task = explorer.download(dest)
    assert task is not None
    # Cancel once bytes are arriving (a loaded CI machine may take longer than cancel_soon's pause).
    for _ in range(200):
        if any(p.name.endswith(".part") and p.stat().st_size for p in dest.rglob("*.part")):
            break
        await asyncio.sleep(0.05)
    assert await cancel_soon(explorer) < 1
    assert task.cancelled() and explorer.message == "Download cancelled."
    assert explorer.progress.stages["download"].state == "cancelled"
    assert explorer.download_report is None
    assert ".part" in explorer.download_panel.report_html.value
    left = [p for p in dest.rglob("*") if p.is_file()]
    assert left and all(p.name.endswith((".part", ".part.meta")) for p in left)
    assert not explorer.download_button.disabled


async def test_unsafe_file_name_is_refused_and_shown(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    series, _ = downloadable_series(geo_env)
    record = geo_env.store.record(series)
    assert record is not None
    base = "ftp://ftp.ncbi.nlm.nih.gov/geo/series/x/"
    lines = "".join(
        f"!Series_supplementary_file = {base}{name}\n"
        for name in ("nul.txt", "evil%0A%3Cb%3Ename.txt")
    )
    geo_env.store.add_record(
        record.text.replace("!Series_platform_id", lines + "!Series_platform_id", 1)
    )
    explorer = await fetched(series)
    panel = explorer.download_panel
    panel.categories.value = ("processed",)
    assert explorer.plan is not None and len(explorer.plan) == 2
    assert "2 files, size unknown" in panel.summary.value
    dest = tmp_path / "data"
    task = explorer.download(dest)
    assert task is not None
    await task
    report = explorer.download_report
    assert report is not None and report.status.tolist() == ["refused", "refused"]
    assert all("Refusing to write" in e for e in report.error)
    assert explorer.message == "Download finished: 2 refused."
    assert "2 refused" in panel.report_html.value and 'role="alert"' in panel.report_html.value
    assert panel.problems_table.layout.display == ""
    problems = panel.problems_table.html.value
    assert row_accessions(problems) == [series, series] and "Refusing to write" in problems
    assert "&lt;b&gt;name.txt" in problems and "<b>name" not in all_html(explorer)
    assert not dest.exists() or [p for p in dest.rglob("*") if p.is_file()] == []
