"""Safe downloads: streamed to ``*.part``, resumed, verified, renamed into place.

A file is written to ``<name>.part`` next to its destination. When the
connection drops, the next attempt asks for the rest with an HTTP ``Range``
and appends. The result must have the size its publisher lists (GEO's
``filelist.txt`` or a HEAD; ENA's file report for FASTQ), and the MD5 where one
is published (GEO's md5 lists; ENA's, for every FASTQ), before it is renamed to
its final name; a file that is already complete is skipped. Failed attempts are retried by
the policy every request shares (:mod:`geo_nb.ncbi.retry`). Destination paths
are built only from sanitised names below the download folder.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock
import httpx

from ..errors import (
    ChecksumError,
    NotFoundError,
    SizeMismatchError,
    UnexpectedResponseError,
    UnsafePathError,
    retry_advice,
)
from ..ncbi.http import HttpClient, Service
from ..ncbi.retry import GiveUp, Retrying, retryable

__all__ = ["DownloadJob", "download_file", "md5_of", "safe_destination"]

_CHUNK = 1 << 20
_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")
_WINDOWS_DEVICE = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\..*)?$", re.I)


def safe_destination(dest: str | Path, folder: str, name: str) -> Path:
    """``dest/folder/name``, refusing anything that is not a plain file name.

    Names with path separators, ``..``, control characters, a leading dot
    sequence only, device names or an absolute form are refused with
    :class:`UnsafePathError`, so nothing GEO (or a forged record) names can
    land outside ``dest``.

    Example:
        >>> safe_destination("/data", "GSE1", "GSE1_RAW.tar").as_posix()
        '/data/GSE1/GSE1_RAW.tar'
    """
    for part, what in ((folder, "folder"), (name, "file name")):
        problem = None
        if not part or part in (".", ".."):
            problem = "it is empty or a relative path step"
        elif "/" in part or "\\" in part or ":" in part:
            problem = "it contains a path separator or drive colon"
        elif any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in part):
            problem = "it contains control characters"
        elif part.strip(" .") == "" or part != part.strip():
            problem = "it is only dots or spaces, or has leading/trailing spaces"
        elif _WINDOWS_DEVICE.match(part):
            problem = "it is a reserved device name"
        elif len(part.encode()) > 255:
            problem = "it is longer than 255 bytes"
        if problem:
            raise UnsafePathError(
                f"Refusing to write {what} {part!r}: {problem}. Nothing was written; "
                "download this file by hand if you trust it."
            )
    root = Path(dest).expanduser().resolve()
    target = (root / folder / name).resolve()
    if not target.is_relative_to(root):
        raise UnsafePathError(f"Refusing to write {name!r}: it resolves outside {root}.")
    return target


@dataclass(frozen=True)
class DownloadJob:
    """One file to fetch: from ``url`` to ``path``, with what its ``publisher`` (GEO,
    or ENA for FASTQ files) says it must be."""

    url: str
    path: Path
    size: int | None = None
    md5: str | None = None
    accession: str = ""
    publisher: str = "GEO"


def md5_of(path: Path) -> str:
    """The MD5 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


async def _complete(path: Path, job: DownloadJob) -> bool:
    """Whether ``path`` already is the file ``job`` describes (size, then MD5).

    The MD5 of a multi-gigabyte file takes seconds: it is computed in a thread,
    so the event loop (a notebook's kernel, other downloads) keeps running.
    """
    if not path.is_file():
        return False
    if job.size is not None and path.stat().st_size != job.size:
        return False
    return job.md5 is None or await asyncio.to_thread(md5_of, path) == job.md5


class _Retry(Exception):
    """An attempt that failed in a way worth another one: a retryable answer, or a
    partial file that turned out to be wrong (discarded, so the next starts over)."""

    def __init__(self, problem: str, response: httpx.Response | None = None) -> None:
        super().__init__(problem)
        self.response = response


def _range_total(response: httpx.Response) -> tuple[int | None, int | None]:
    """(first byte, total size) from ``Content-Range``; None where absent or ``*``."""
    match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
    if match is None:
        unsatisfied = re.match(r"bytes\s+\*/(\d+)", response.headers.get("Content-Range", ""))
        return None, int(unsatisfied.group(1)) if unsatisfied else None
    return int(match.group(1)), None if match.group(3) == "*" else int(match.group(3))


def _validators(response: httpx.Response) -> dict[str, str]:
    return {k: response.headers[k] for k in ("ETag", "Last-Modified") if k in response.headers}


class _Partial:
    """A ``.part`` file and what we knew of the server's file when it was started.

    The ``.part.meta`` next to it records the URL, total size, ETag and
    Last-Modified of the first answer; a resume is only trusted when the server
    still describes the same file, so bytes of an older version are never
    spliced onto a newer one.
    """

    def __init__(self, final: Path) -> None:
        self.part = final.with_name(final.name + ".part")
        self.meta = final.with_name(final.name + ".part.meta")

    def offset(self, url: str) -> int:
        """Bytes to resume after (0 when there is nothing trustworthy to resume)."""
        if not self.part.exists():
            return 0
        try:
            known = json.loads(self.meta.read_text())
        except (OSError, ValueError):
            known = {}
        if known.get("url") != url:
            self.discard()
            return 0
        return self.part.stat().st_size

    def known(self) -> dict[str, Any]:
        try:
            data: dict[str, Any] = json.loads(self.meta.read_text())
        except (OSError, ValueError):
            return {}
        return data

    def start(self, url: str, total: int | None, validators: dict[str, str]) -> None:
        self.meta.write_text(json.dumps({"url": url, "total": total, **validators}))

    def discard(self) -> None:
        self.part.unlink(missing_ok=True)
        self.meta.unlink(missing_ok=True)

    def finish(self, final: Path) -> None:
        self.part.replace(final)
        self.meta.unlink(missing_ok=True)


async def _attempt(
    http: HttpClient, job: DownloadJob, partial: _Partial, on_bytes: Callable[[int], None]
) -> tuple[int | None, bool]:
    """One GET of the rest of the file into ``.part``; returns (total size, resumed)."""
    offset = partial.offset(job.url)
    known = partial.known() if offset else {}
    # Identity encoding: Range offsets count the bytes of the file itself, and a server
    # that gzip-encodes the transfer must not get a .gz file decompressed on the way.
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
        validator = known.get("ETag") or known.get("Last-Modified")
        if validator:
            headers["If-Range"] = validator
    async with http.stream(job.url, headers=headers) as response:
        status = response.status_code
        if status == 416 and offset:
            _, total = _range_total(response)
            if total == offset and total == known.get("total"):
                return total, True
            partial.discard()
            raise _Retry("the partial file does not match the server's file; starting again")
        if status == 404:
            raise NotFoundError(
                f"{job.url} does not exist on {job.publisher}'s file server.",
                accession=job.accession,
                url=job.url,
            )
        if retryable(status):
            raise _Retry(f"HTTP {status}", response)
        if status not in (200, 206):
            raise UnexpectedResponseError(
                f"{job.url} answered HTTP {status}.", accession=job.accession, url=job.url
            )
        if status == 206:
            first, total = _range_total(response)
            changed = any(
                known.get(k) not in (None, v) for k, v in _validators(response).items()
            ) or (known.get("total") is not None and total != known["total"])
            if first != offset or changed:
                partial.discard()
                raise _Retry("the file changed on the server since the partial download")
        else:
            offset = 0
            length = response.headers.get("Content-Length", "")
            total = int(length) if length.isdigit() else None
            partial.start(job.url, total, _validators(response))
        if job.size is not None and total is not None and total != job.size:
            raise SizeMismatchError(
                f"{job.path.name}: {job.publisher} lists {job.size} bytes but the server sends "
                f"{total}. "
                + retry_advice(
                    "The listing may be out of date; fetch again with refresh=True.",
                    offline=http.settings.offline_demo,
                ),
                accession=job.accession,
                url=job.url,
            )
        with partial.part.open("ab" if offset else "wb") as handle:
            # Raw chunks as they arrive: a buffered iterator would lose its buffer when the
            # connection breaks, and those bytes are what the next attempt resumes after.
            async for chunk in response.aiter_raw():
                handle.write(chunk)
                on_bytes(len(chunk))
    return total, offset > 0


async def _locked(job: DownloadJob, lock_dir: Path) -> filelock.BaseFileLock:
    """Hold the cross-process lock of ``job.path`` (polling, so waiting can be cancelled)."""
    lock_dir.mkdir(parents=True, exist_ok=True)
    name = hashlib.sha256(str(job.path.resolve()).encode()).hexdigest()
    lock = filelock.FileLock(lock_dir / f"{name}.lock")
    while True:
        try:
            lock.acquire(timeout=0)
            return lock
        except filelock.Timeout:
            await asyncio.sleep(0.2)


async def download_file(
    http: HttpClient, job: DownloadJob, *, on_bytes: Callable[[int], None] = lambda n: None
) -> str:
    """Download one file safely; return ``"skipped"``, ``"downloaded"`` or ``"resumed"``.

    Raises a typed error (size or checksum mismatch, not found, unavailable
    after every attempt) and leaves no final file behind on failure; a
    partial ``.part`` is kept for the next run to resume unless it is known
    to be wrong. Two processes (or tasks) downloading to the same path take
    turns: the second finds the file complete and skips it.
    """
    final = job.path
    if await _complete(final, job):
        return "skipped"
    lock = await _locked(job, Path(http.settings.cache_dir) / "locks")
    try:
        if await _complete(final, job):
            return "skipped"
        final.parent.mkdir(parents=True, exist_ok=True)
        return await _fetch(http, job, _Partial(final), on_bytes)
    finally:
        lock.release()


def _failure(job: DownloadJob, give_up: GiveUp) -> str:
    return (
        f"{job.path.name}: download failed after {give_up.tries} ({give_up.problem}"
        f"{give_up.asked_note}). Run the download again later to resume where it stopped."
    )


async def _fetch(
    http: HttpClient, job: DownloadJob, partial: _Partial, on_bytes: Callable[[int], None]
) -> str:
    retrying = Retrying(
        http.settings,
        what=job.url,
        message=functools.partial(_failure, job),
        accession=job.accession,
        url=job.url,
        limiter=http.limiter(Service.FTP),
    )
    resumed = False
    while True:
        try:
            total, again = await _attempt(http, job, partial, on_bytes)
        except SizeMismatchError:
            partial.discard()
            raise
        except httpx.TransportError as exc:
            await asyncio.sleep(retrying.failed_transport(exc))
            continue
        except _Retry as exc:
            if exc.response is not None:
                await asyncio.sleep(retrying.failed_response(exc.response))
            else:
                await asyncio.sleep(retrying.failed(str(exc)))
            continue
        resumed = resumed or again
        expected = job.size if job.size is not None else total
        size = partial.part.stat().st_size
        if expected is not None and size != expected:
            partial.discard()
            raise SizeMismatchError(
                f"{job.path.name}: received {size} bytes, expected {expected}; the partial file "
                "was discarded.",
                accession=job.accession,
                url=job.url,
            )
        break
    if job.md5 is not None:
        actual = await asyncio.to_thread(md5_of, partial.part)
        if actual != job.md5:
            partial.discard()
            raise ChecksumError(
                f"{job.path.name}: MD5 {actual} differs from {job.publisher}'s {job.md5}; the "
                "file was discarded. Download it again.",
                accession=job.accession,
                url=job.url,
            )
    partial.finish(job.path)
    return "resumed" if resumed else "downloaded"
