"""429 bursts, with and without Retry-After, on acc.cgi, E-utilities and file downloads.

The request log's timings prove the waits: ``time`` is when a request arrived,
``end_time`` when its answer went out (the client sees it after that), both on
the same monotonic clock as the test.
"""

from __future__ import annotations

import asyncio
import email.utils
import time
from pathlib import Path

import pandas as pd

import geo_nb
from geo_nb.ncbi.cache import memory_cache
from geo_nb.testing import FaultRule, NCBIEmulator, RequestRecord, max_in_window
from tests.faults._support import assert_matches_reference, clone_mix, gaps_after
from tests.helpers import downloadable_series

# asyncio may wake a timer up to a clock tick early; the log is on the same clock.
TICK = 0.01


def requests_for(emu: NCBIEmulator, accession: str) -> list[RequestRecord]:
    return [r for r in emu.requests if r.service == "acc" and r.query.get("acc") == [accession]]


def assert_everyone_waited(records: list[RequestRecord], services: set[str], wait: float) -> None:
    """After each 429, no request to ``services`` arrived before the wait was over
    (requests already on the wire when the 429 went out excepted)."""
    in_scope = [r for r in records if r.service in services]
    for answer in (r for r in in_scope if r.status == 429):
        later = [r.time for r in in_scope if r.time > answer.end_time + 0.2]
        assert all(t >= answer.end_time + wait - TICK for t in later), (
            answer.end_time,
            sorted(later)[:3],
        )


def test_acc_429_burst_with_retry_after_holds_every_geo_request(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    accessions = [*clone_mix(geo_env.store, copies=1), "GSM11805"]
    ref = geo_nb.fetch(accessions, progress=False, cache_dir=tmp_path / "reference")
    memory_cache.clear()
    geo_env.clear_log()
    geo_env.add_fault(FaultRule(match="acc.cgi", status=429, retry_after="2", times=3))
    started = time.monotonic()
    res = geo_nb.fetch(accessions, progress=False)
    assert time.monotonic() - started < 6.0
    assert res.errors.empty
    assert_matches_reference(res, ref)
    limited = [r for r in geo_env.requests if r.status == 429]
    assert len(limited) == 3
    for answer in limited:
        (accession,) = answer.query["acc"]
        tries = requests_for(geo_env, accession)
        assert [r.status for r in tries] == [429, 200]
        assert gaps_after(tries)[0] >= 2.0 - TICK
    # acc.cgi and the FTP tree share one limiter: the listings waited too.
    assert_everyone_waited(geo_env.requests, {"acc", "ftp"}, 2.0)


def test_acc_429_without_retry_after_or_with_an_http_date(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    accessions = ["GSE146537", "GSM11805"]
    ref = geo_nb.fetch(accessions, progress=False, cache_dir=tmp_path / "reference")
    memory_cache.clear()
    geo_env.clear_log()
    # No Retry-After: at least 1 s after each 429.
    geo_env.add_fault(FaultRule(match="acc=GSE146537&", status=429, times=2))
    # An HTTP date 3 s ahead, with 1 s resolution: 2 to 3 s when the client reads it.
    when = email.utils.formatdate(time.time() + 3, usegmt=True)
    geo_env.add_fault(FaultRule(match="acc=GSM11805&", status=429, retry_after=when, times=1))
    res = geo_nb.fetch(accessions, progress=False)
    assert res.errors.empty
    assert_matches_reference(res, ref)
    tries = requests_for(geo_env, "GSE146537")
    assert [r.status for r in tries] == [429, 429, 200]
    assert all(gap >= 1.0 - TICK for gap in gaps_after(tries)), gaps_after(tries)
    tries = requests_for(geo_env, "GSM11805")
    assert [r.status for r in tries] == [429, 200]
    assert gaps_after(tries)[0] >= 1.8


def test_eutils_429_bursts_with_and_without_retry_after(geo_env: NCBIEmulator) -> None:
    ref = geo_nb.search("ATAC-seq", max_results=None, progress=False)
    geo_env.clear_log()
    geo_env.add_fault(FaultRule(match="esearch", status=429, retry_after="2", times=1))
    geo_env.add_fault(FaultRule(match="esummary", status=429, times=1))
    hits = geo_nb.search("ATAC-seq", max_results=None, progress=False)
    pd.testing.assert_frame_equal(hits, ref)
    assert hits.attrs == ref.attrs
    sent = [r for r in geo_env.requests if r.service == "eutils"]
    assert [(r.path.rsplit("/", 1)[-1], r.status) for r in sent] == [
        ("esearch.fcgi", 429),
        ("esearch.fcgi", 200),
        ("esummary.fcgi", 429),
        ("esummary.fcgi", 200),
    ]
    gaps = gaps_after(sent)
    assert gaps[0] >= 2.0 - TICK and gaps[2] >= 1.0 - TICK, gaps
    # The 429s were injected; the pacing itself never went over NCBI's limit.
    assert geo_env.rate_limit_violations == 0
    assert max_in_window([r.time for r in sent]) <= 3


def test_download_waits_what_retry_after_asks(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    series, contents = downloadable_series(geo_env)
    name = next(n for n in contents if "mut_rep1" in n)
    res = geo_nb.fetch(series, progress=False)
    geo_env.add_fault(FaultRule(match=f"{name}$", status=503, retry_after="1", times=1))
    geo_env.add_fault(FaultRule(match=f"{name}$", status=429, times=1))
    report = res.plan(pattern=name).download(tmp_path / "dest", progress=False)
    assert report.status.isin(["downloaded", "resumed"]).all()
    assert Path(report.path[0]).read_bytes() == contents[name]
    tries = [r for r in geo_env.requests if r.path.endswith(name)]
    assert [r.status for r in tries] == [503, 429, 200]
    gaps = gaps_after(tries)
    # Retry-After on the 503, and the 1 s floor after a 429 that names no wait.
    assert gaps[0] >= 1.0 - TICK and gaps[1] >= 1.0 - TICK, gaps


def test_archive_extraction_waits_what_retry_after_asks(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, _ = downloadable_series(geo_env)
    res = geo_nb.fetch(series, progress=False)
    geo_env.add_fault(FaultRule(match="_RAW.tar$", status=429, retry_after="2", times=1))
    report = res.plan(pattern="rescue").download(tmp_path / "dest", progress=False, extract=True)
    assert report.status.tolist() == ["extracted"] * 3
    tries = [r for r in geo_env.requests if r.path.endswith("_RAW.tar")]
    assert [r.status for r in tries] == [429, 200]
    assert gaps_after(tries)[0] >= 2.0 - TICK


async def test_a_retry_after_too_long_to_wait_for_does_not_stall_later_requests(
    geo_env: NCBIEmulator,
) -> None:
    geo_env.add_fault(FaultRule(match="acc=GSM11805&", status=429, retry_after="600", times=1))
    started = time.monotonic()
    res = await geo_nb.afetch("GSM11805", progress=False)
    assert time.monotonic() - started < 10.0  # not the 600 s asked for
    assert res.errors.kind.tolist() == ["rate_limited"]
    other = await asyncio.wait_for(geo_nb.afetch("GSM32878", progress=False), timeout=1.5)
    assert other.errors.empty


async def test_a_download_does_not_wait_an_hour_for_retry_after(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    name = next(iter(contents))
    res = await geo_nb.afetch(series, progress=False)
    geo_env.add_fault(FaultRule(match=f"{name}$", status=503, retry_after="3600", times=1))
    plan = res.plan(pattern=name)
    report = await asyncio.wait_for(plan.adownload(tmp_path / "dest", progress=False), timeout=1.5)
    assert report.status.tolist()[0] in ("failed", "downloaded")
