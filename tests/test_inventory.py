"""The sized file inventory against the emulator: listings, filelists, HEAD, SuperSeries."""

from __future__ import annotations

import pandas as pd
import pytest

import geo_nb
from geo_nb.ncbi.cache import memory_cache
from geo_nb.testing import FaultRule, NCBIEmulator
from tests.helpers import downloadable_series


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


def served(emu: NCBIEmulator, method: str = "GET", contains: str = "") -> list:  # type: ignore[type-arg]
    return [r for r in emu.requests if r.method == method and contains in r.path]


def test_three_sources_merge_into_one_sized_inventory(geo_env: NCBIEmulator) -> None:
    for number in range(2692559, 2692577):  # GEO's answer for GSE100750 lacks its samples
        geo_env.store.remove_record(f"GSM{number}")
    res = geo_nb.fetch(["GSE100494", "GSE100750"], progress=False)
    files = res.files.set_index("name")
    raw = files.loc["GSE100494_RAW.tar"]
    assert (raw.size_bytes, raw.size_source, raw.size_exact) == (394301440, "filelist", True)
    listing = files.loc["filelist.txt"].query("series_accession == 'GSE100494'").iloc[0]
    assert (listing.size_source, listing.size_exact, listing.category) == (
        "listing",
        False,
        "metadata",
    )
    bigwig = files.loc["GSM2684979_ATAC_CN30_70M.peaks_macs2.bigWig"]
    assert (bigwig.level, bigwig.accession, bigwig.size_bytes) == (
        "sample",
        "GSM2684979",
        225573272,
    )
    assert bigwig.archive == "GSE100494_RAW.tar" and bigwig.size_source == "filelist"
    # GSE100750's samples were not sent: its tar members are listed as archive members,
    # each under its sample, with the sample-folder URL GEO serves it from.
    members = res.files.query("series_accession == 'GSE100750' and level == 'archive_member'")
    assert len(members) == 36 and members.size_bytes.notna().all()
    assert set(members.category) == {"genome_track", "regions"}
    assert members.accession.str.startswith("GSM").all()
    assert members.url.str.contains("/samples/GSM2692nnn/").all()
    # One row per file: the sample rows of GSE100494 are not repeated as members.
    assert not res.files.query("series_accession == 'GSE100494'").name.duplicated().any()
    assert len(served(geo_env, "HEAD")) == 0


def test_listing_sizes_are_approximate_and_say_so(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE100494", progress=False)
    approx = res.files[res.files.size_source == "listing"]
    assert not approx.empty and (~approx.size_exact.astype(bool)).all()
    summary = res.files_summary().set_index("category")
    assert summary.loc["metadata", "approximate"] == 1


def test_exact_sizes_by_head_without_downloading(geo_env: NCBIEmulator) -> None:
    series, contents = downloadable_series(geo_env, with_filelist=False)
    plain = geo_nb.fetch(series, progress=False)
    tracks = plain.files[plain.files.category == "genome_track"]
    assert tracks.size_bytes.isna().all()
    memory_cache.clear()
    exact = geo_nb.fetch(series, progress=False, exact_sizes=True)
    tracks = exact.files[exact.files.category == "genome_track"].set_index("name")
    assert tracks.size_source.eq("head").all()
    assert {n: int(s) for n, s in tracks.size_bytes.items()} == {
        n: len(b) for n, b in contents.items()
    }
    assert len(served(geo_env, "HEAD")) == len(contents)
    assert not served(geo_env, "GET", "/samples/")
    assert all(r.bytes_sent == 0 for r in served(geo_env, "HEAD"))


def test_missing_file_found_by_head_is_an_error_row(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE146537", progress=False, exact_sizes=True)
    missing = res.errors[res.errors.kind == "not_found"]
    assert len(missing) == 7
    assert "missing from GEO's file server" in missing.message.iloc[0]


@pytest.mark.parametrize("status", [403, 404])
def test_forbidden_or_missing_folder_means_no_files(geo_env: NCBIEmulator, status: int) -> None:
    if status == 403:
        geo_env.store.add_noindex("series/GSE100nnn/GSE100494/suppl")
    else:
        geo_env.add_fault(FaultRule(match="GSE100494/suppl/$", action="status", status=404))
    res = geo_nb.fetch("GSE100494", progress=False)
    assert res.errors.empty
    assert res.files[res.files.level == "series"].name.tolist() == ["GSE100494_RAW.tar"]
    assert res.files.size_bytes.isna().all()


def test_a_challenge_page_instead_of_a_listing_is_an_error(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="GSE100494/suppl/$", action="challenge", times=None))
    res = geo_nb.fetch("GSE100494", progress=False)
    assert res.errors.kind.tolist() == ["unexpected_response"]
    assert "not a folder listing" in res.errors.message[0]
    assert res.series.accession.tolist() == ["GSE100494"]
    assert len(res.samples) == 2


def test_superseries_lists_its_own_files_and_names_its_subseries(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE146583", progress=False)
    assert res.files.series_accession.unique().tolist() == ["GSE146583"]
    assert set(res.files.level) == {"series"}
    subs = ["GSE146537", "GSE146538", "GSE146539", "GSE146540", "GSE146541"]
    summary = res.files_summary()
    assert summary.subseries.tolist() == [subs]
    assert res.files.attrs["superseries"] == {"GSE146583": subs}
    assert "SubSeries GSE146537" in res._repr_html_()


def test_expand_superseries_fetches_the_subseries(geo_env: NCBIEmulator) -> None:
    events: list[geo_nb.ProgressEvent] = []
    res = geo_nb.fetch(
        "GSE146583", progress=False, expand_superseries=True, on_progress=events.append
    )
    assert set(res.series.accession) == {"GSE146583", "GSE146537", "GSE146539", "GSE146540"}
    assert dict(zip(res.errors.accession, res.errors.kind, strict=True)) == {
        "GSE146538": "not_found",
        "GSE146541": "not_found",
    }
    tracks = res.files[res.files.category == "genome_track"]
    assert set(tracks.series_accession) == {"GSE146537", "GSE146539"}
    assert res.records.requested[0] == "GSE146583" and len(res.records.requested) == 6
    last = [e for e in events if e.stage == "metadata"][-1]
    assert (last.total, last.done) == (6, 6)


def test_sample_fetched_alone_lists_its_files(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSM2684979", progress=False)
    assert res.files.name.tolist() == ["GSM2684979_ATAC_CN30_70M.peaks_macs2.bigWig"]
    assert res.files.series_accession.tolist() == ["GSE100494"]


def test_files_false_skips_the_inventory(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE100494", progress=False, files=False)
    assert res.files.size_bytes.isna().all()
    assert not served(geo_env, "GET", "/suppl/")


def test_inventory_is_cached(geo_env: NCBIEmulator) -> None:
    geo_nb.fetch(["GSE100494", "GSE146583"], progress=False)
    before = len(geo_env.requests)
    memory_cache.clear()
    again = geo_nb.fetch(["GSE100494", "GSE146583"], progress=False)
    assert len(geo_env.requests) == before
    assert again.files.size_bytes.notna().sum() == 4


def test_summaries_links_and_raw_data(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch(["GSE100494", "GSE101512", "GSE146540"], progress=False)
    summary = res.files_summary()
    row = summary.set_index(["series_accession", "category"]).loc[("GSE101512", "regions")]
    assert (row.n_files, row.unsized, row.formats) == (18, 0, ["BED"])
    assert (
        row.total_bytes
        == res.files.query(
            "series_accession == 'GSE101512' and category == 'regions'"
        ).size_bytes.sum()
    )
    assert str(summary.total_bytes.dtype) == "Int64"
    assert res.download_size(category="raw_archive", accessions="GSE100494") == 394301440
    links = res.links(category="genome_track")
    assert len(links) == 2 and all(u.startswith(geo_env.ftp_url) for u in links)
    raw = res.has_raw_data()
    assert raw.to_dict() == {"GSE100494": True, "GSE101512": True, "GSE146540": True}
    assert res.has_raw_data("GSM2684979") is True
    with pytest.raises(KeyError):
        res.has_raw_data("GSE1")


def test_plan_filters(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch(["GSE100750", "GSE101512"], progress=False)
    plan = res.plan(category="regions", max_size="1M", pattern=r"peaks")
    assert len(plan) > 0
    assert (plan.files.size_bytes <= 1024**2).all()
    assert plan.files.name.str.contains("peaks", case=False).all()
    assert plan.total_bytes == int(plan.files.size_bytes.sum())
    by_format = res.plan(format=["bed"], accessions=["GSE101512"])
    assert set(by_format.files.series_accession) == {"GSE101512"}
    assert repr(by_format).startswith("DownloadPlan(18 files")
    with pytest.raises(geo_nb.errors.QueryError):
        res.plan(pattern="(")
    with pytest.raises(geo_nb.errors.QueryError):
        res.plan(max_size="huge")


def test_max_size_warns_about_unsized_files(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE146537", progress=False)
    with pytest.warns(UserWarning, match="unknown size"):
        plan = res.plan(max_size="1G")
    assert len(plan) == 0


def test_html_repr_escapes_ncbi_text(geo_env: NCBIEmulator) -> None:
    text = geo_env.store.record("GSE100494").text.replace(  # type: ignore[union-attr]
        "!Series_title = ", "!Series_title = <script>alert(1)</script><img src=x onerror=alert(2)> "
    )
    geo_env.store.add_record(text)
    res = geo_nb.fetch("GSE100494", progress=False)
    plan = res.plan(category="raw_archive")
    page = res._repr_html_() + plan._repr_html_()
    for shown in (res, plan):
        bundle = shown._repr_mimebundle_()
        assert bundle["text/plain"] == repr(shown) and bundle["text/html"] == shown._repr_html_()
    assert "<script>" not in page and "<img" not in page
    assert "&lt;script&gt;" in page
    assert isinstance(res.files_summary(), pd.DataFrame)


def test_an_unreadable_folder_listing_is_a_parse_error_row(geo_env: NCBIEmulator) -> None:
    page = (
        b"<html><head><title>Index of /geo/series/GSE100nnn/GSE100494/suppl</title></head>"
        b'<body><ul><li><a href="GSE100494_RAW.tar">GSE100494_RAW.tar</a> (376M)</li>'
        b"</ul></body></html>"
    )
    geo_env.add_fault(
        FaultRule(match=r"GSE100494/suppl/$", action="status", status=200, body=page, times=None)
    )
    res = geo_nb.fetch("GSE100494", progress=False)
    rows = res.errors[res.errors.kind == "parse_error"]
    assert len(rows) == 1 and "cannot read" in rows.message.iloc[0]
    assert len(res.series) == 1  # the metadata is kept
