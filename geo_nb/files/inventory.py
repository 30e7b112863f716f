"""The sized file inventory: what each series holds, before anything is downloaded.

Three sources are merged, best first:

1. ``suppl/filelist.txt``: exact sizes of ``GSEx_RAW.tar`` and of every member
   (``size_source="filelist"``);
2. the ``suppl/`` folder listing: every series-level file, with a rounded size
   such as ``375M`` (``"listing"``, approximate);
3. HEAD requests, only with ``exact_sizes=True``, for whatever is still unsized
   (``"head"``, exact).

A sample file that is also a member of the RAW.tar is one row: the sample's,
with the member's exact size and ``archive`` naming the tar. A SuperSeries
lists only its own folder; its samples' files belong to its SubSeries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import quote

from .._gcpause import paused_gc
from ..accessions import ftp_dir, is_accession
from ..errors import NotFoundError, ParseError, UnexpectedResponseError, WrongFormatError
from ..ncbi.cache import DiskCache, cache_key, memory_cache
from ..ncbi.http import HttpClient, Service
from ..ncbi.listing import ArchiveMember, ListingEntry, parse_filelist, parse_listing
from ..records import GEORecords, Level, Sample, Series, SupplementaryFile
from ..settings import Settings
from .classify import classify_file
from .folder import SeriesFolder, folder_key

__all__ = [
    "FolderReader",
    "SeriesFolder",
    "SeriesRows",
    "build_inventory",
    "folder_key",
    "present_samples",
    "rows_key",
    "series_rows",
]

_ABSENT = b""
T = TypeVar("T")


class FolderReader:
    """Reads folder listings, ``filelist.txt`` files and HEAD sizes, with caching."""

    def __init__(self, http: HttpClient, cache: DiskCache, settings: Settings) -> None:
        self.http = http
        self.cache = cache
        self.settings = settings

    async def parsed(
        self, url: str, parse: Callable[[str], T], *, expected: str, accession: str, refresh: bool
    ) -> tuple[T | None, float]:
        """``parse`` of the text at ``url`` (None when the server has none: 403/404),
        and when that answer was fetched.

        An answer is cached on disk ("none" included) only once it has parsed, so
        an error or bot-challenge page is never served from the cache later. A
        page that does not parse raises :class:`UnexpectedResponseError` when it
        is another kind of HTML page altogether, else the parser's :class:`ParseError`
        (a listing whose rows cannot be read is a ``parse_error``, never "no files").
        """
        key = cache_key("ftp", url)
        cached = None if refresh else self.cache.read(key)
        body, fetched_at = cached if cached is not None else (None, time.time())
        fetched = body is None
        if body is None:
            response = await self.http.request(Service.FTP, "GET", url, accession=accession)
            if response.status_code in (403, 404):
                body = _ABSENT
            elif response.status_code != 200:
                raise UnexpectedResponseError(
                    f"{accession}: {url} answered HTTP {response.status_code}. Try again later.",
                    accession=accession,
                    url=url,
                )
            else:
                body = response.content
            fetched_at = time.time()
        result = None
        if body != _ABSENT:
            text = body.decode("utf-8", errors="replace")
            try:
                result = parse(text)
            except ParseError as exc:
                self.cache.remove(key)
                if not isinstance(exc, WrongFormatError) or text.lstrip()[:1] != "<":
                    raise
                raise UnexpectedResponseError(
                    f"{accession}: {url} answered with an HTML page (an error or bot-challenge "
                    f"page), not {expected}. Try again later.",
                    accession=accession,
                    url=url,
                ) from exc
        if fetched:
            self.cache.put(key, body, url=url, fetched_at=fetched_at)
        return result, fetched_at

    async def series_folder(self, accession: str, *, refresh: bool) -> SeriesFolder:
        """List ``series/.../suppl/`` and read its filelist.txt if it has one."""
        memory_key = folder_key(self.settings.ftp_url, accession)
        if not refresh:
            cached: SeriesFolder | None = memory_cache.get(memory_key)
            if cached is not None:
                return cached
        url = f"{self.settings.ftp_url}/{ftp_dir(accession)}/suppl/"
        listed, fetched_at = await self.parsed(
            url,
            lambda text: parse_listing(text, url=url),
            expected="a folder listing",
            accession=accession,
            refresh=refresh,
        )
        folder = SeriesFolder(accession, url, fetched_at=fetched_at)
        if listed is not None:
            entries = [e for e in listed if not e.is_dir]
            archives: dict[str, int | None] = {}
            members: list[ArchiveMember] = []
            if any(e.name == "filelist.txt" for e in entries):
                where = url + "filelist.txt"
                found, listed_at = await self.parsed(
                    where,
                    lambda text: parse_filelist(text, url=where),
                    expected="a filelist.txt",
                    accession=accession,
                    refresh=refresh,
                )
                if found is not None:
                    archives, members = found
                fetched_at = min(fetched_at, listed_at)
            folder = SeriesFolder(accession, url, entries, archives, members, fetched_at)
        memory_cache.put(memory_key, folder)
        return folder

    async def head_size(self, url: str, *, accession: str, refresh: bool) -> int | None:
        """The exact size of the file at ``url`` from a HEAD request.

        Raises :class:`NotFoundError` when the file is missing.
        """
        key = cache_key("head", url)
        body = None if refresh else self.cache.get(key)
        if body is None:
            response = await self.http.request(Service.FTP, "HEAD", url, accession=accession)
            if response.status_code == 404:
                raise NotFoundError(
                    f"{accession}: {url.rsplit('/', 1)[-1]} is named in the record but missing "
                    "from GEO's file server.",
                    accession=accession,
                    url=url,
                )
            length = response.headers.get("Content-Length", "")
            if response.status_code != 200 or not length.isdigit():
                return None
            body = length.encode()
            self.cache.put(key, body, url=url)
        return int(body.decode())


def _row(file: SupplementaryFile, series: str | None, **sized: object) -> SupplementaryFile:
    return file.model_copy(update={"series_accession": series, **sized})


def _sized(name: str, folder: SeriesFolder, listing: dict[str, ListingEntry]) -> dict[str, object]:
    if name in folder.archives and folder.archives[name] is not None:
        return {"size_bytes": folder.archives[name], "size_source": "filelist"}
    entry = listing.get(name)
    if entry is not None and entry.size is not None:
        return {"size_bytes": entry.size, "size_source": "listing"}
    return {}


def _member_owner(name: str, series: str) -> str:
    head = name.split("_", 1)[0].split(".", 1)[0]
    return head if head.startswith("GSM") and is_accession(head) else series


def _new_row(
    owner: str, level: Level, name: str, url: str, series: str, **sized: Any
) -> SupplementaryFile:
    """A file only the folder listing or filelist.txt names (no record lists it)."""
    kind = classify_file(name)
    return SupplementaryFile(
        owner=owner,
        level=level,
        name=name,
        url=url,
        source_url=url,
        category=kind.category,
        format=kind.format,
        compression=kind.compression,
        series_accession=series,
        **sized,
    )


def _member_row(member: ArchiveMember, series: str, ftp_url: str) -> SupplementaryFile:
    owner = _member_owner(member.name, series)
    # GEO's RAW.tar bundles the samples' files, which also sit in each sample's folder.
    url = f"{ftp_url}/{ftp_dir(owner)}/suppl/{quote(member.name)}" if owner != series else ""
    return _new_row(
        owner,
        "archive_member",
        member.name,
        url,
        series,
        size_bytes=member.size,
        size_source="filelist",
        archive=member.archive,
    )


@dataclass(frozen=True)
class SeriesRows:
    """One series' inventory rows and the objects they were built from.

    A new process reads them from the series' digest (validated in one pydantic
    call instead of built row by row); :func:`build_inventory` uses them only
    when its series record, folder and sample records are these very objects,
    so they can never describe other inputs.
    """

    series: Series
    folder: SeriesFolder
    samples: tuple[Sample, ...]
    rows: list[SupplementaryFile]

    def built_from(self, series: Series, folder: SeriesFolder, samples: tuple[Sample, ...]) -> bool:
        """Whether these rows were built from exactly these objects."""
        return (
            self.series is series
            and self.folder is folder
            and len(self.samples) == len(samples)
            and all(a is b for a, b in zip(self.samples, samples, strict=True))
        )


def rows_key(ftp_url: str, accession: str) -> tuple[str, str, str]:
    """The memory-cache key of a series' :class:`SeriesRows` below ``ftp_url``."""
    return ("inventory", ftp_url, accession)


def present_samples(series: Series, samples: Mapping[str, Sample]) -> tuple[Sample, ...]:
    """The records of the samples of ``series`` at hand, in its order (none for a
    SuperSeries, whose samples' files belong to its SubSeries)."""
    if series.is_superseries:
        return ()
    return tuple(samples[a] for a in series.sample_ids if a in samples)


def series_rows(
    series: Series, samples: Mapping[str, Sample], folder: SeriesFolder, ftp_url: str
) -> list[SupplementaryFile]:
    """The inventory rows of one series: its files, its folder's and its samples'."""
    listing = {e.name: e for e in folder.entries}
    named = {f.name for f in series.supplementary_files}
    rows = [
        _row(f, series.accession, **_sized(f.name, folder, listing))
        for f in series.supplementary_files
    ]
    for entry in folder.entries:
        if entry.name not in named:
            exact = folder.archives.get(entry.name)
            rows.append(_listing_row(entry, series.accession, folder.url, exact))
    if series.is_superseries:
        return rows
    members = {m.name: m for m in folder.members}
    for accession in series.sample_ids:
        sample = samples.get(accession)
        if sample is None:
            continue
        for f in sample.supplementary_files:
            member = members.pop(f.name, None)
            sized = (
                {}
                if member is None
                else {
                    "size_bytes": member.size,
                    "size_source": "filelist",
                    "archive": member.archive,
                }
            )
            rows.append(_row(f, series.accession, **sized))
    rows.extend(_member_row(m, series.accession, ftp_url) for m in members.values())
    return rows


@paused_gc()
def build_inventory(
    records: GEORecords, folders: dict[str, SeriesFolder], ftp_url: str
) -> list[SupplementaryFile]:
    """Merge record files, folder listings and filelists into one sized inventory."""
    samples = {s.accession: s for s in records.samples}
    rows: list[SupplementaryFile] = []
    placed_samples: set[str] = set()
    for series in records.series:
        folder = folders.get(series.accession)
        present = present_samples(series, samples)
        placed_samples.update(s.accession for s in present)
        if folder is None:
            rows.extend(series_rows(series, samples, SeriesFolder(series.accession, ""), ftp_url))
            continue
        key = rows_key(ftp_url, series.accession)
        known: SeriesRows | None = memory_cache.get(key)
        if known is None or not known.built_from(series, folder, present):
            known = SeriesRows(
                series, folder, present, series_rows(series, samples, folder, ftp_url)
            )
            memory_cache.put(key, known)
        rows.extend(known.rows)
    for sample in records.samples:
        if sample.accession not in placed_samples and sample.accession in records.requested:
            series_accession = sample.series[0] if sample.series else None
            rows.extend(_row(f, series_accession) for f in sample.supplementary_files)
    requested = set(records.requested)
    for platform in records.platforms:
        if platform.accession in requested:
            rows.extend(_row(f, None) for f in platform.supplementary_files)
    return rows


def _listing_row(
    entry: ListingEntry, series: str, folder_url: str, exact: int | None = None
) -> SupplementaryFile:
    """A file only the folder lists; an archive's exact size comes from filelist.txt."""
    if exact is not None:
        sized: dict[str, Any] = {"size_bytes": exact, "size_source": "filelist"}
    else:
        sized = {
            "size_bytes": entry.size,
            "size_source": "listing" if entry.size is not None else None,
        }
    return _new_row(series, "series", entry.name, folder_url + quote(entry.name), series, **sized)


def unsized(files: Iterable[SupplementaryFile], ftp_url: str) -> dict[str, str]:
    """URL -> owner of the files an exact-size pass should HEAD (GEO files only)."""
    wanted: dict[str, str] = {}
    for f in files:
        if f.size_bytes is None and f.url.startswith(ftp_url) and f.format != "SRA":
            wanted.setdefault(f.url, f.owner)
    return wanted
