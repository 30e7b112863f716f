"""Metadata requests, downloads and archive extraction retry through one policy.

They used to have three retry loops, which differed: only metadata requests held
every GEO request back after a 429 or logged their retries; extraction retried a
403 five times, reported a 404 or a 429 as "unavailable", and never said that a
``Retry-After`` was too long to wait for. These tests pin the one behaviour.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

import geo_nb
from geo_nb.accessions import ftp_dir
from geo_nb.errors import (
    GeoNBError,
    NotFoundError,
    RateLimitedError,
    UnavailableError,
    UnexpectedResponseError,
)
from geo_nb.files.archive import ArchiveExtraction, extract_members
from geo_nb.files.download import DownloadJob, download_file
from geo_nb.ncbi.http import HttpClient, Service
from geo_nb.testing import FaultRule, NCBIEmulator
from tests.faults.test_rate_limits import TICK, requests_for
from tests.helpers import downloadable_series


def test_every_path_retries_through_the_one_policy(
    geo_env: NCBIEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    waits: list[tuple[int, float | None, int | None]] = []

    def no_wait(
        attempt: int, *, retry_after: float | None = None, status: int | None = None
    ) -> float:
        waits.append((attempt, retry_after, status))
        return 0.0

    monkeypatch.setattr("geo_nb.ncbi.retry.retry_delay", no_wait)
    caplog.set_level(logging.INFO, logger="geo_nb")
    series, contents = downloadable_series(geo_env)
    name = next(n for n in contents if "mut_rep1" in n)
    res = geo_nb.fetch(series, progress=False)
    geo_env.add_fault(FaultRule(match="acc=GSM11805&", status=503, retry_after="7", times=1))
    geo_env.add_fault(FaultRule(match=f"{name}$", status=503, retry_after="8", times=1))
    geo_env.add_fault(FaultRule(match="_RAW.tar$", status=503, retry_after="9", times=1))

    assert geo_nb.fetch("GSM11805", progress=False).errors.empty
    downloaded = res.plan(pattern=name).download(tmp_path / "files", progress=False)
    extracted = res.plan(pattern="rescue").download(tmp_path / "tar", progress=False, extract=True)

    assert downloaded.status.tolist() == ["downloaded"]
    assert extracted.status.tolist() == ["extracted"] * 3
    # One delay function decided all three waits (and was told each Retry-After)...
    assert waits == [(1, 7.0, 503), (1, 8.0, 503), (1, 9.0, 503)]
    # ...and one log line reported each retry.
    retried = [r.getMessage() for r in caplog.records if r.getMessage().startswith("retrying ")]
    assert len(retried) == 3, retried
    for line, target in zip(retried, ("acc.cgi", name, "_RAW.tar"), strict=True):
        assert target in line and "(attempt 2/5): HTTP 503 Service Unavailable" in line


@pytest.mark.parametrize("path", ["download", "extract"])
async def test_a_429_on_a_file_holds_back_every_geo_request(
    geo_env: NCBIEmulator, tmp_path: Path, path: str
) -> None:
    series, contents = downloadable_series(geo_env)
    name = next(n for n in contents if "mut_rep1" in n)
    res = await geo_nb.afetch(series, progress=False)
    geo_env.clear_log()
    target = f"{name}$" if path == "download" else "_RAW.tar$"
    geo_env.add_fault(FaultRule(match=target, status=429, retry_after="2", times=1))
    plan = res.plan(pattern=name if path == "download" else "rescue")

    async def fetch_once_the_429_is_read() -> geo_nb.GEOResult:
        # Polling: the emulator's server thread fills the log, no event to wait on.
        while not any(r.status == 429 for r in geo_env.requests):  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        # Time for the downloader to read the answer (as in assert_everyone_waited).
        await asyncio.sleep(0.2)
        return await geo_nb.afetch("GSM11805", progress=False)

    report, other = await asyncio.gather(
        plan.adownload(tmp_path / "dest", progress=False, extract=path == "extract"),
        fetch_once_the_429_is_read(),
    )
    assert report.status.isin(["downloaded", "extracted"]).all()
    assert other.errors.empty
    (limited,) = [r for r in geo_env.requests if r.status == 429]
    # The metadata request waited what the file server asked, as after an acc.cgi 429.
    first = requests_for(geo_env, "GSM11805")[0]
    assert first.time >= limited.end_time + 2.0 - TICK, first.time - limited.end_time


@pytest.mark.parametrize(
    ("status", "retry_after", "error", "requests"),
    [
        (429, "0", RateLimitedError, 2),
        (503, None, UnavailableError, 2),
        (503, "3600", UnavailableError, 1),
        (403, None, UnexpectedResponseError, 1),
        (404, None, NotFoundError, 1),
    ],
)
async def test_a_download_and_an_extraction_give_up_alike(
    geo_env: NCBIEmulator,
    tmp_path: Path,
    status: int,
    retry_after: str | None,
    error: type[GeoNBError],
    requests: int,
) -> None:
    series, contents = downloadable_series(geo_env)
    settings = geo_nb.Settings(max_attempts=2)
    url = f"{settings.ftp_url}/{ftp_dir(series)}/suppl/{series}_RAW.tar"
    # No body: the emulator logs a request before its last byte goes out, and a client
    # that reads only the status could otherwise finish before the log has its answer.
    geo_env.add_fault(
        FaultRule(match="_RAW.tar$", status=status, retry_after=retry_after, body=b"", times=None)
    )
    async with HttpClient(settings) as http:
        with pytest.raises(error) as downloading:
            await download_file(http, DownloadJob(url, tmp_path / "whole" / "RAW.tar"))
        name = next(iter(contents))
        job = ArchiveExtraction(url, {name: (tmp_path / "members" / name, None, None)})
        await asyncio.to_thread(extract_members, settings, http.limiter(Service.FTP), job, print)
    assert job.status == {name: "failed"}
    assert type(job.errors[name]) is error
    tries = [r for r in geo_env.requests if r.path.endswith("_RAW.tar")]
    assert len(tries) == 2 * requests
    if error in (RateLimitedError, UnavailableError):
        counted = f"failed after {requests} attempt{'s' if requests > 1 else ''}"
        assert counted in str(downloading.value) and counted in str(job.errors[name])
    if retry_after == "3600":
        for message in (str(downloading.value), str(job.errors[name])):
            assert "the server asked to wait 3600 s" in message


async def test_metadata_requests_say_when_retry_after_was_too_long(
    geo_env: NCBIEmulator,
) -> None:
    geo_env.add_fault(FaultRule(match="acc=GSM11805&", status=429, retry_after="600", times=1))
    res = await geo_nb.afetch("GSM11805", progress=False)
    assert res.errors.kind.tolist() == ["rate_limited"]
    assert "(1 attempt; the server asked to wait 600 s)" in res.errors.message[0]
