"""Selective extraction of ``GSEx_RAW.tar`` members, streamed, never stored whole.

The tar is read as it arrives (``tarfile`` in stream mode) and only the wanted
members are written, each to ``<name>.part`` then renamed once its size (and
MD5, where known) checks out; the archive itself is never kept on disk. If the
connection drops, the stream is re-requested with an HTTP ``Range`` starting at
the header of the first member not yet finished, which is itself a valid tar
stream, so finished members are not fetched twice.

``tarfile`` is synchronous, so extraction runs in a worker thread with a
blocking HTTP client that observes the same process-wide FTP rate limit and
retries by the same policy (:mod:`geo_nb.ncbi.retry`) as every other request.
"""

from __future__ import annotations

import hashlib
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..errors import (
    ChecksumError,
    GeoNBError,
    NotFoundError,
    RateLimitedError,
    SizeMismatchError,
    UnavailableError,
    UnexpectedResponseError,
)
from ..ncbi.http import USER_AGENT, ssl_context
from ..ncbi.ratelimit import Limiter
from ..ncbi.retry import GiveUp, Retrying, retryable
from ..settings import Settings

__all__ = ["ArchiveExtraction", "extract_members"]

_BLOCK = 512


class _Stream:
    """A read-only file object over an iterator of byte chunks, counting bytes."""

    def __init__(self, chunks: Iterator[bytes], on_bytes: Callable[[int], None]) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._on_bytes = on_bytes

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, b"")
            if not chunk:
                break
            self._on_bytes(len(chunk))
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data


@dataclass
class ArchiveExtraction:
    """What to take out of one archive, and what happened to each member."""

    url: str
    wanted: dict[str, tuple[Path, int | None, str | None]]
    status: dict[str, str] = field(default_factory=dict)
    errors: dict[str, GeoNBError] = field(default_factory=dict)


def _write_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path, size: int | None, md5: str | None
) -> None:
    name = member.name.rsplit("/", 1)[-1]
    if size is not None and member.size != size:
        raise SizeMismatchError(f"{name}: GEO lists {size} bytes, the archive holds {member.size}.")
    source = tar.extractfile(member)
    if source is None:
        raise SizeMismatchError(f"{name}: not a regular file in the archive.")
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    digest = hashlib.md5(usedforsecurity=False)
    with part.open("wb") as handle:
        while chunk := source.read(1 << 20):
            handle.write(chunk)
            digest.update(chunk)
    if part.stat().st_size != member.size:
        part.unlink()
        raise SizeMismatchError(f"{name}: the archive stream ended inside this member.")
    if md5 is not None and digest.hexdigest() != md5:
        part.unlink()
        raise ChecksumError(f"{name}: MD5 {digest.hexdigest()} differs from GEO's {md5}.")
    part.replace(target)


class _Retry(Exception):
    """A pass that failed in a way worth another one (see :func:`retryable`)."""

    def __init__(self, problem: str, response: httpx.Response | None = None) -> None:
        super().__init__(problem)
        self.response = response


def extract_members(
    settings: Settings, limiter: Limiter, job: ArchiveExtraction, on_bytes: Callable[[int], None]
) -> ArchiveExtraction:
    """Stream ``job.url`` and extract ``job.wanted``; resume after dropped connections."""
    archive = job.url.rsplit("/", 1)[-1]

    def failure(give_up: GiveUp) -> str:
        return (
            f"extracting from {archive} failed after {give_up.tries} ({give_up.problem}"
            f"{give_up.asked_note})."
        )

    retrying = Retrying(settings, what=job.url, message=failure, url=job.url, limiter=limiter)
    progress = _Progress(0)
    try:
        with httpx.Client(
            timeout=httpx.Timeout(settings.timeout),
            verify=ssl_context(),
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT},
        ) as client:
            while True:
                try:
                    _pass_resumable(client, job, progress, limiter, on_bytes)
                    break
                except httpx.TransportError as exc:
                    time.sleep(retrying.failed_transport(exc))
                except _Retry as exc:
                    if exc.response is not None:
                        time.sleep(retrying.failed_response(exc.response))
                    else:
                        time.sleep(retrying.failed(str(exc)))
                except tarfile.ReadError as exc:
                    time.sleep(retrying.failed(f"the archive stream broke off ({exc})"))
    except (RateLimitedError, UnavailableError, NotFoundError, UnexpectedResponseError) as exc:
        for name in job.wanted:
            if name not in job.status:
                job.status[name] = "failed"
                job.errors[name] = type(exc)(f"{name}: {exc}", url=job.url)
    for name in job.wanted:
        if name not in job.status:
            job.status[name] = "failed"
            job.errors[name] = SizeMismatchError(
                f"{name}: not found in {archive}, although filelist.txt lists it.",
                url=job.url,
            )
    return job


@dataclass
class _Progress:
    resume: int


def _pass_resumable(
    client: httpx.Client,
    job: ArchiveExtraction,
    progress: _Progress,
    limiter: Limiter,
    on_bytes: Callable[[int], None],
) -> None:
    start = progress.resume
    limiter.acquire_blocking()
    headers = {"Accept-Encoding": "identity"}
    if start:
        headers["Range"] = f"bytes={start}-"
    with client.stream("GET", job.url, headers=headers) as response:
        status = response.status_code
        if retryable(status):
            raise _Retry(f"HTTP {status}", response)
        if status == 404:
            raise NotFoundError(f"{job.url} does not exist on GEO's file server.", url=job.url)
        if status not in (200, 206):
            raise UnexpectedResponseError(f"{job.url} answered HTTP {status}.", url=job.url)
        if start and status != 206:
            # The server ignored the Range: the next attempt asks again.
            raise _Retry(f"HTTP {status} to a request for bytes {start}-")
        stream = _Stream(response.iter_raw(), on_bytes)
        with tarfile.open(fileobj=stream, mode="r|") as tar:  # type: ignore[call-overload]
            for member in tar:
                name = member.name.rsplit("/", 1)[-1]
                if name in job.wanted and name not in job.status and member.isfile():
                    target, size, md5 = job.wanted[name]
                    try:
                        _write_member(tar, member, target, size, md5)
                        job.status[name] = "extracted"
                    except GeoNBError as exc:
                        job.status[name] = "failed"
                        job.errors[name] = exc
                progress.resume = start + member.offset_data + -(-member.size // _BLOCK) * _BLOCK
                if len(job.status) == len(job.wanted):
                    return
