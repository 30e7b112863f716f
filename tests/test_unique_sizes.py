"""Totals count every byte once, and unknown sizes are never shown as 0 B.

GSE100494's inventory holds ``GSE100494_RAW.tar`` (394,301,440 bytes) and its two
members (225,573,272 + 168,725,278 bytes). The data is 376 MiB, not 752.
"""

from __future__ import annotations

import pandas as pd
import pytest

import geo_nb
from geo_nb.files.sizes import resolve_archives, size_text, unique_size
from geo_nb.ncbi.cache import memory_cache
from geo_nb.testing import NCBIEmulator

TAR = 394_301_440
MEMBERS = 225_573_272 + 168_725_278
LISTING = 269  # filelist.txt, sized by the folder listing


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


@pytest.fixture
def res(geo_env: NCBIEmulator) -> geo_nb.GEOResult:
    return geo_nb.fetch("GSE100494", progress=False)


def test_default_plan_takes_the_archive_and_says_what_it_dropped(res: geo_nb.GEOResult) -> None:
    plan = res.plan()
    assert plan.files.name.tolist() == ["GSE100494_RAW.tar", "filelist.txt"]
    assert plan.total_bytes == TAR + LISTING
    assert res.download_size() == TAR + LISTING
    assert repr(plan) == "DownloadPlan(2 files, 376.0 MiB, 2 dropped (see .dropped))"
    assert sorted(plan.dropped.accession) == ["GSM2684979", "GSM2684980"]
    assert all("inside GSE100494_RAW.tar" in r for r in plan.dropped.reason)
    assert "Left out" in plan._repr_html_()


@pytest.mark.parametrize(
    "filters",
    [
        {"category": "genome_track"},
        {"format": "BIGWIG"},
        {"pattern": "peaks_macs2"},
        {"level": "sample"},
        {"category": ["genome_track", "raw_archive"]},
        {"pattern": "RAW|macs2"},
    ],
)
def test_members_win_when_the_choice_is_narrowed(
    res: geo_nb.GEOResult, filters: dict[str, object]
) -> None:
    plan = res.plan(**filters)
    assert sorted(plan.files.accession) == ["GSM2684979", "GSM2684980"]
    assert plan.total_bytes == MEMBERS
    assert res.download_size(**filters) == MEMBERS
    if "raw_archive" in str(filters) or "RAW" in str(filters):
        assert plan.dropped.name.tolist() == ["GSE100494_RAW.tar"]
        assert "2 chosen member(s) are planned on their own" in plan.dropped.reason[0]


def test_the_archive_alone_when_asked_for(res: geo_nb.GEOResult) -> None:
    plan = res.plan(category="raw_archive")
    assert plan.files.name.tolist() == ["GSE100494_RAW.tar"] and plan.dropped.empty


def test_accessions_filter_keeps_the_archive_rule(res: geo_nb.GEOResult) -> None:
    assert res.plan(accessions="GSE100494").total_bytes == TAR + LISTING
    # A sample alone: its member only, the tar is not part of the choice.
    plan = res.plan(accessions="GSM2684979")
    assert plan.files.name.tolist() == ["GSM2684979_ATAC_CN30_70M.peaks_macs2.bigWig"]


def test_files_summary_unique_bytes_add_up(res: geo_nb.GEOResult) -> None:
    summary = res.files_summary().set_index("category")
    assert summary.loc["genome_track", "total_bytes"] == MEMBERS
    assert summary.loc["genome_track", "unique_bytes"] == 0
    assert summary.loc["raw_archive", "unique_bytes"] == TAR
    assert summary["unique_bytes"].sum() == TAR + LISTING
    assert unique_size(res.files) == (TAR + LISTING, 0)


def test_repr_html_total_counts_once(res: geo_nb.GEOResult) -> None:
    page = res._repr_html_()
    assert "All files: 376.0 MiB" in page
    assert "752" not in page


def test_explorer_all_row_counts_once(res: geo_nb.GEOResult) -> None:
    from geo_nb.jupyter.widgets.results import files_summary_html

    page = files_summary_html(res)
    row = page.split('data-category="all"')[1].split("</tr>")[0]
    assert f"{TAR + LISTING:,} bytes" in row


def test_unknown_sizes_are_never_zero_bytes(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE146537", progress=False)  # no filelist, no listing: all unsized
    assert res.files.size_bytes.isna().all()
    page = res._repr_html_()
    assert "0 B" not in page and "size unknown" in page
    plan = res.plan(category="genome_track")
    assert repr(plan) == "DownloadPlan(6 files, size unknown)"


def test_size_text() -> None:
    assert size_text(0, 0, 0) == "0 B"
    assert size_text(2048, 1, 3) == "2.0 KiB + 1 of unknown size"
    assert size_text(0, 3, 3) == "size unknown"


def test_resolve_archives_keeps_members_of_unlisted_archives() -> None:
    frame = pd.DataFrame(
        {
            "series_accession": ["GSE1", "GSE2"],
            "name": ["a.bed", "GSE1_RAW.tar"],  # the tar of GSE1 listed under GSE2: not it
            "archive": ["GSE1_RAW.tar", None],
        }
    )
    kept, dropped = resolve_archives(frame, narrowed=False)
    assert len(kept) == 2 and dropped.empty
