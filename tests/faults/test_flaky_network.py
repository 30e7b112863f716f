"""A flaky NCBI: random 503s and dropped connections, and a server that stops answering.

Whatever happens, accessions without an error row are exactly what a fault-free
run returns, the failed ones are typed rows, the cache holds only whole, verified
entries, and no download leaves a partial final file.
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

import geo_nb
from geo_nb.accessions import ftp_dir
from geo_nb.errors import UnavailableError
from geo_nb.ncbi.acc import acc_params
from geo_nb.ncbi.cache import DiskCache, cache_key, memory_cache
from geo_nb.testing import FaultRule, NCBIEmulator
from tests.faults._support import (
    assert_cache_sound,
    assert_matches_reference,
    assert_no_half_files,
    assert_typed_errors,
    cache_entries,
    clone_mix,
    failed_accessions,
    temp_leftovers,
)
from tests.helpers import downloadable_series

FLAKY = (
    FaultRule(action="status", status=503, probability=0.1, times=None),
    FaultRule(action="drop", probability=0.1, times=None),
)


def add_flaky_faults(emu: NCBIEmulator, match: str = "") -> None:
    for rule in FLAKY:
        emu.add_fault(
            FaultRule(
                match=match,
                action=rule.action,
                status=rule.status,
                probability=rule.probability,
                times=None,
            )
        )


def cached_bodies(cache_dir: Path) -> dict[str, bytes | None]:
    cache = DiskCache(cache_dir, ttl_days=7)
    return {p.name: cache.get(p.name.removesuffix(".gz")) for p in cache_entries(cache_dir)}


def sorted_hits(hits: pd.DataFrame) -> pd.DataFrame:
    return hits.sort_values("accession").reset_index(drop=True)


def test_random_503s_and_drops_on_30_series_and_a_search(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    accessions = clone_mix(geo_env.store)
    ref_cache = tmp_path / "reference"
    ref = geo_nb.fetch(accessions, progress=False, cache_dir=ref_cache)
    ref_hits = geo_nb.search("ATAC-seq", max_results=None, progress=False)
    assert ref.errors.empty and len(ref.series) == 30 and len(ref.files) > 100
    assert len(ref_hits) > 20
    memory_cache.clear()
    geo_env.clear_log()

    add_flaky_faults(geo_env)
    res = geo_nb.fetch(accessions, progress=False)
    hits = geo_nb.search("ATAC-seq", max_results=None, progress=False)

    applied = Counter(r.fault for r in geo_env.requests)
    assert applied["status"] >= 2 and applied["drop"] >= 2, applied
    assert_typed_errors(res)
    assert_matches_reference(res, ref)
    pd.testing.assert_frame_equal(sorted_hits(hits), sorted_hits(ref_hits))
    for name in ("query_translation", "count", "warnings"):
        assert hits.attrs[name] == ref_hits.attrs[name]
    assert geo_env.rate_limit_violations == 0

    # The cache holds the same verified bodies a fault-free run stored: no error page,
    # nothing cut short, no temporary file.
    cache_dir = Path(geo_nb.Settings().cache_dir)
    assert assert_cache_sound(cache_dir) > 0 and temp_leftovers(cache_dir) == []
    mine, theirs = cached_bodies(cache_dir), cached_bodies(ref_cache)
    bad = failed_accessions(res)
    if not bad:
        assert mine == theirs
    else:
        assert all(theirs[name] == body for name, body in mine.items())

    # A second run answers from that cache alone, and identically.
    memory_cache.clear()
    served = len(geo_env.requests)
    again = geo_nb.fetch(accessions, progress=False)
    assert_matches_reference(again, ref)
    if not bad:
        assert len(geo_env.requests) == served


def test_downloads_under_random_503s_drops_and_cut_bodies(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env, with_md5=True)
    res = geo_nb.fetch(series, progress=False)
    # One certain cut in the middle of a file and one in the archive, then random faults.
    geo_env.add_fault(FaultRule(match=r"rep1\.bw$", action="truncate", after_bytes=20_000))
    geo_env.add_fault(FaultRule(match=r"\.tar$", action="truncate", after_bytes=150_000))
    add_flaky_faults(geo_env, match=r"\.(bw|tar)$")
    plan = res.plan(category="genome_track")
    one_by_one = plan.download(tmp_path / "files", progress=False)
    extracted = plan.download(tmp_path / "tar", progress=False, extract=True)

    assert Counter(r.fault for r in geo_env.requests if r.fault)["truncate"] == 2
    for report, ok in ((one_by_one, {"downloaded", "resumed"}), (extracted, {"extracted"})):
        failed = report[report.status == "failed"]
        assert set(report.status) <= ok | {"failed"}, report
        assert all("failed after" in e for e in failed.error), failed.error.tolist()
        done = report[report.status != "failed"]
        for name, path in zip(done.name, done.path, strict=True):
            assert Path(path).read_bytes() == contents[name]
    assert_no_half_files(
        tmp_path / "files",
        contents,
        resumable=one_by_one.loc[one_by_one.status == "failed", "name"],
    )
    assert_no_half_files(tmp_path / "tar", contents)


def test_a_server_that_stops_answering_gives_unavailable_rows_in_bounded_time(
    geo_env: NCBIEmulator,
) -> None:
    geo_env.add_fault(FaultRule(action="hang", delay=10, times=None))
    accessions = ["GSE146537", "GSE150868", "GSM11805", "GPL4133"]
    started = time.monotonic()
    res = geo_nb.fetch(accessions, progress=False, timeout=0.5, max_attempts=2)
    assert time.monotonic() - started < 6.0
    assert res.series.empty and res.samples.empty
    assert dict(zip(res.errors.accession, res.errors.kind, strict=True)) == dict.fromkeys(
        accessions, "unavailable"
    )
    assert all("no answer within 0.5 s (2 attempts)" in m for m in res.errors.message)
    assert cache_entries(Path(geo_nb.Settings().cache_dir)) == []

    started = time.monotonic()
    with pytest.raises(UnavailableError, match=r"no answer within 0\.5 s"):
        geo_nb.search("ATAC-seq", progress=False, timeout=0.5, max_attempts=2)
    assert time.monotonic() - started < 5.0


def test_one_hanging_record_does_not_hold_the_others(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    accessions = clone_mix(geo_env.store, copies=2)
    ref = geo_nb.fetch(accessions, progress=False, cache_dir=tmp_path / "reference")
    memory_cache.clear()
    stuck, listing_stuck = accessions[0], accessions[2]
    geo_env.add_fault(FaultRule(match=f"acc={stuck}&", action="hang", delay=10, times=None))
    geo_env.add_fault(
        FaultRule(match=f"/{listing_stuck}/suppl/$", action="hang", delay=10, times=None)
    )
    started = time.monotonic()
    # acc.cgi only: with the default "auto", the stuck record comes from the FTP tree
    # (tests/test_fallback.py).
    res = geo_nb.fetch(
        accessions, progress=False, timeout=0.5, max_attempts=2, metadata_source="acc"
    )
    assert time.monotonic() - started < 6.0
    assert res.errors[["accession", "kind"]].values.tolist() == [
        [stuck, "unavailable"],
        [listing_stuck, "unavailable"],
    ]
    # The series whose folder did not answer keeps its metadata; its files are only
    # those its records name, none sized from a listing or filelist.txt.
    assert listing_stuck in set(res.series.accession)
    unsized = res.files[res.files.series_accession == listing_stuck]
    assert len(unsized) and unsized.size_bytes.isna().all()
    assert_matches_reference(res, ref)
    cache_dir = Path(geo_nb.Settings().cache_dir)
    assert_cache_sound(cache_dir)
    settings = geo_nb.Settings()
    assert (
        DiskCache(cache_dir, ttl_days=7).get(cache_key("acc", settings.acc_url, acc_params(stuck)))
        is None
    )
    listing_url = f"{settings.ftp_url}/{ftp_dir(listing_stuck)}/suppl/"
    assert not DiskCache(cache_dir, ttl_days=7).path(cache_key("ftp", listing_url)).exists()


def test_a_hanging_download_fails_in_bounded_time_and_resumes_later(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    stuck = next(n for n in contents if "rescue_rep2" in n)
    res = geo_nb.fetch(series, progress=False)
    geo_env.add_fault(FaultRule(match=f"{stuck}$", action="hang", delay=10, times=None))
    plan = res.plan(category="genome_track")
    dest = tmp_path / "downloads"
    started = time.monotonic()
    report = plan.download(dest, progress=False, timeout=0.5, max_attempts=2)
    assert time.monotonic() - started < 6.0
    statuses = dict(zip(report.name, report.status, strict=True))
    assert statuses.pop(stuck) == "failed"
    assert set(statuses.values()) == {"downloaded"}
    assert "failed after 2 attempts" in str(report.set_index("name").loc[stuck, "error"])
    assert_no_half_files(dest, contents, resumable=[stuck])
    geo_env.clear_faults()
    again = plan.download(dest, progress=False)
    assert dict(zip(again.name, again.status, strict=True))[stuck] in ("downloaded", "resumed")
    assert_no_half_files(dest, contents)
    assert {p.name for p in (dest / series).iterdir()} == set(contents)
