"""Safe downloads: streamed to ``*.part``, resumed, verified, renamed into place.

A file is written to ``<name>.part`` next to its destination. When the
connection drops, the next attempt asks for the rest with an HTTP ``Range``
and appends. The result must have the size GEO lists (``filelist.txt`` or a
HEAD), and the MD5 where GEO publishes one, before it is renamed to its final
name; a file that is already complete is skipped. Destination paths are built
only from sanitised names below the download folder.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from ._http import HttpClient, retry_after, retry_delay
from .errors import (
    ChecksumError,
    NotFoundError,
    SizeMismatchError,
    UnavailableError,
    UnexpectedResponseError,
    UnsafePathError,
)

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
    """One file to fetch: from ``url`` to ``path``, with what GEO says it must be."""

    url: str
    path: Path
    size: int | None = None
    md5: str | None = None
    accession: str = ""


def md5_of(path: Path) -> str:
    """The MD5 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _complete(path: Path, job: DownloadJob) -> bool:
    if not path.is_file():
        return False
    if job.size is not None and path.stat().st_size != job.size:
        return False
    return job.md5 is None or md5_of(path) == job.md5


class _Retry(Exception):
    def __init__(self, problem: str, wait: float | None = None, status: int | None = None):
        super().__init__(problem)
        self.wait = wait
        self.status = status


def _total(response: httpx.Response, offset: int) -> int | None:
    if response.status_code == 206:
        match = _CONTENT_RANGE.match(response.headers.get("Content-Range", ""))
        if match is None or int(match.group(1)) != offset:
            raise _Retry("the server answered a range that was not asked for")
        return None if match.group(3) == "*" else int(match.group(3))
    length = response.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None


async def _attempt(
    http: HttpClient, job: DownloadJob, part: Path, on_bytes: Callable[[int], None]
) -> tuple[int | None, bool]:
    """One GET of the rest of the file into ``part``; returns (total size, resumed)."""
    offset = part.stat().st_size if part.exists() else 0
    if job.size is not None and offset > job.size:
        part.unlink()
        offset = 0
    # Identity encoding: Range offsets count the bytes of the file itself, and a server
    # that gzip-encodes the transfer must not get a .gz file decompressed on the way.
    headers = {"Accept-Encoding": "identity"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    async with http.stream(job.url, headers=headers) as response:
        status = response.status_code
        if status == 416 and offset and offset == job.size:
            return job.size, True
        if status == 404:
            raise NotFoundError(
                f"{job.url} does not exist on GEO's file server.",
                accession=job.accession,
                url=job.url,
            )
        if status == 429 or status >= 500:
            raise _Retry(f"HTTP {status}", retry_after(response), status)
        if status not in (200, 206):
            raise UnexpectedResponseError(
                f"{job.url} answered HTTP {status}.", accession=job.accession, url=job.url
            )
        if status == 200:
            offset = 0
        total = _total(response, offset)
        if job.size is not None and total is not None and total != job.size:
            raise SizeMismatchError(
                f"{job.path.name}: GEO lists {job.size} bytes but the server sends {total}. "
                "The listing may be out of date; fetch again with refresh=True.",
                accession=job.accession,
                url=job.url,
            )
        with part.open("ab" if offset else "wb") as handle:
            # Raw chunks as they arrive: a buffered iterator would lose its buffer when the
            # connection breaks, and those bytes are what the next attempt resumes after.
            async for chunk in response.aiter_raw():
                handle.write(chunk)
                on_bytes(len(chunk))
    return total, offset > 0


async def download_file(
    http: HttpClient, job: DownloadJob, *, on_bytes: Callable[[int], None] = lambda n: None
) -> str:
    """Download one file safely; return ``"skipped"``, ``"downloaded"`` or ``"resumed"``.

    Raises a typed error (size or checksum mismatch, not found, unavailable
    after every attempt) and leaves no final file behind on failure; a
    partial ``.part`` is kept for the next run to resume unless it is known
    to be wrong.
    """
    final = job.path
    if _complete(final, job):
        return "skipped"
    final.parent.mkdir(parents=True, exist_ok=True)
    part = final.with_name(final.name + ".part")
    attempts = http.settings.max_attempts
    resumed = False
    for attempt in range(1, attempts + 1):
        try:
            total, again = await _attempt(http, job, part, on_bytes)
        except SizeMismatchError:
            part.unlink(missing_ok=True)
            raise
        except (httpx.TransportError, _Retry) as exc:
            problem = f"{type(exc).__name__}: {exc}"
            if attempt == attempts:
                raise UnavailableError(
                    f"{job.path.name}: download failed after {attempts} attempts ({problem}). "
                    "Run the download again to resume where it stopped.",
                    accession=job.accession,
                    url=job.url,
                ) from None
            wait = exc.wait if isinstance(exc, _Retry) else None
            status = exc.status if isinstance(exc, _Retry) else None
            await asyncio.sleep(retry_delay(attempt, retry_after=wait, status=status))
            resumed = True
            continue
        resumed = resumed or again
        expected = job.size if job.size is not None else total
        size = part.stat().st_size
        if expected is not None and size != expected:
            part.unlink()
            raise SizeMismatchError(
                f"{job.path.name}: received {size} bytes, expected {expected}; the partial file "
                "was discarded.",
                accession=job.accession,
                url=job.url,
            )
        break
    if job.md5 is not None:
        actual = await asyncio.to_thread(md5_of, part)
        if actual != job.md5:
            part.unlink()
            raise ChecksumError(
                f"{job.path.name}: MD5 {actual} differs from GEO's {job.md5}; the file was "
                "discarded. Download it again.",
                accession=job.accession,
                url=job.url,
            )
    part.replace(final)
    return "resumed" if resumed else "downloaded"


def elapsed_since(started: float) -> float:
    """Seconds since ``started`` (a ``time.monotonic()`` value), rounded to ms."""
    return round(time.monotonic() - started, 3)
