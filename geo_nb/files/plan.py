"""Choosing files and downloading them: selections, summaries and download plans.

Example:
    >>> # res = geo_nb.fetch("GSE146537")
    >>> # plan = res.plan(category="genome_track", max_size="500M")
    >>> # plan.total_bytes, len(plan)
    >>> # plan.download("data/")            # resumable, verified, safe paths
"""

from __future__ import annotations

import asyncio
import functools
import html
import re
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from .._aio import gather_or_cancel
from .._sync import run_sync
from ..errors import GeoNBError, QueryError
from ..frames import make_frame
from ..ncbi.http import HttpClient, Service
from ..ncbi.listing import parse_md5_list, parse_size
from ..progress import ProgressCallback, ProgressReporter, TqdmRenderer
from ..settings import Settings
from .archive import ArchiveExtraction, extract_members
from .download import DownloadJob, download_file, safe_destination
from .receipt import write_receipt
from .sizes import human_size, resolve_archives, size_text, unique_size

__all__ = [
    "DownloadPlan",
    "human_size",
    "resolve_archives",
    "select_files",
    "size_text",
    "unique_size",
]

Choice = str | Sequence[str] | None
_NO_MD5 = (
    "ENA publishes no MD5 for this FASTQ file, and reads are downloaded only when they can be "
    "verified; fetch again later (ENA adds checksums when it mirrors the run)."
)
OUTCOME_COLUMNS: dict[str, Any] = {
    "series_accession": "str",
    "accession": "str",
    "name": "str",
    "status": "str",
    "path": "str",
    "size_bytes": "int",
    "seconds": "str",
    "error": "str",
}


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The rows as plain dicts, with pandas' missing values as None."""
    records = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [{str(k): v for k, v in r.items()} for r in records]


def _choice(values: Choice) -> set[str] | None:
    if values is None:
        return None
    return {values.lower()} if isinstance(values, str) else {v.lower() for v in values}


def select_files(
    files: pd.DataFrame,
    *,
    category: Choice = None,
    format: Choice = None,
    pattern: str | None = None,
    max_size: int | str | None = None,
    accessions: Choice = None,
    level: Choice = None,
) -> pd.DataFrame:
    """The rows of a files DataFrame that match every given filter, one per URL.

    ``category``/``format``/``level`` take one value or a list (any case);
    ``pattern`` is a regular expression searched in the file name (case
    insensitive); ``max_size`` is bytes or a size like ``"500M"`` (files of
    unknown size are left out, with a warning); ``accessions`` keeps rows of
    those series or samples.
    """
    keep = pd.Series(True, index=files.index)
    for column, wanted in (("category", category), ("format", format), ("level", level)):
        chosen = _choice(wanted)
        if chosen is not None:
            keep &= files[column].fillna("").str.lower().isin(chosen)
    if pattern:
        try:
            regex = re.compile(pattern, re.IGNORECASE)
        except re.error as exc:
            raise QueryError(
                f"pattern {pattern!r} is not a valid regular expression: {exc}"
            ) from None
        keep &= files["name"].fillna("").map(lambda n: regex.search(n) is not None).astype(bool)
    if accessions is not None:
        chosen_acc = {
            a.upper() for a in ([accessions] if isinstance(accessions, str) else accessions)
        }
        keep &= files["series_accession"].isin(chosen_acc) | files["accession"].isin(chosen_acc)
    if max_size is not None:
        limit = parse_size(max_size) if isinstance(max_size, str) else max_size
        if limit is None:
            raise QueryError(f"max_size={max_size!r} is not a size; use bytes or e.g. '500M'.")
        unknown = keep & files["size_bytes"].isna()
        if unknown.any():
            warnings.warn(
                f"{int(unknown.sum())} file(s) of unknown size were left out by max_size; "
                "fetch with exact_sizes=True to size them.",
                stacklevel=3,
            )
        keep &= files["size_bytes"].fillna(limit + 1) <= limit
    chosen_rows = files[keep]
    return chosen_rows[~chosen_rows["url"].duplicated() | chosen_rows["url"].isna()]


class DownloadPlan:
    """Files chosen for download, with their total size; ``download()`` fetches them.

    ``files`` is the chosen rows of ``GEOResult.files``; ``total_bytes`` the sum
    of the sizes known, ``unknown_sizes`` how many have none. ``dropped`` holds
    the rows that matched but were left out, with a ``reason`` (a ``RAW.tar``
    and its members are never planned together: see :func:`resolve_archives`).
    """

    def __init__(
        self,
        files: pd.DataFrame,
        *,
        inventory: pd.DataFrame,
        settings: Settings | None = None,
        dropped: pd.DataFrame | None = None,
    ) -> None:
        self.files = files.reset_index(drop=True)
        self.dropped = (
            dropped.reset_index(drop=True)
            if dropped is not None
            else files.iloc[0:0].assign(reason=pd.Series(dtype="string"))
        )
        self._inventory = inventory
        self._settings = settings

    @property
    def total_bytes(self) -> int:
        """Sum of the known sizes, each byte once."""
        return unique_size(self.files)[0]

    @property
    def unknown_sizes(self) -> int:
        """How many chosen files have no known size."""
        return unique_size(self.files)[1]

    @property
    def size_text(self) -> str:
        """The total for people: ``'376.0 MiB'``, ``'1.2 GiB + 2 of unknown size'``."""
        return size_text(self.total_bytes, self.unknown_sizes, len(self))

    def __len__(self) -> int:
        return len(self.files)

    def __repr__(self) -> str:
        dropped = f", {len(self.dropped)} dropped (see .dropped)" if len(self.dropped) else ""
        return f"DownloadPlan({len(self)} files, {self.size_text}{dropped})"

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """Plain text and escaped HTML, for Jupyter and other rich displays."""
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def _repr_html_(self) -> str:
        shown = self.files[["series_accession", "accession", "name", "category", "size_bytes"]]
        shown = shown.assign(size=shown["size_bytes"].map(human_size)).drop(columns="size_bytes")
        parts = [
            f"<div><strong>DownloadPlan</strong>: {html.escape(repr(self)[13:-1])}</div>",
            shown.head(50).to_html(index=False, escape=True),
        ]
        if len(self.dropped):
            parts.append("<div><strong>Left out</strong></div>")
            parts.append(
                self.dropped[["series_accession", "name", "reason"]]
                .head(50)
                .to_html(index=False, escape=True)
            )
        return "\n".join(parts)

    @functools.cached_property
    def _archives(self) -> dict[tuple[str, str], tuple[str, int | None]]:
        """(series, archive name) -> (URL, size), from the inventory's series-level files.

        Built once: a plan of a thousand tar members looks each one up here.
        """
        series_files = self._inventory[self._inventory["level"] == "series"]
        return {
            (str(r["series_accession"]), str(r["name"])): (str(r["url"]), r["size_bytes"])
            for r in _rows(series_files)
            if r["url"] is not None
        }

    async def _checksums(self, http: HttpClient) -> dict[tuple[str, str], str]:
        series = set(self.files["series_accession"].dropna())
        lists = self._inventory[
            self._inventory["series_accession"].isin(series)
            & self._inventory["name"].str.contains("md5", case=False, na=False)
            & (self._inventory["category"] == "metadata")
        ]
        sums: dict[tuple[str, str], str] = {}
        for row in _rows(lists):
            response = await http.request(Service.FTP, "GET", str(row["url"]))
            if response.status_code == 200:
                for name, digest in parse_md5_list(response.text).items():
                    sums[(str(row["series_accession"]), name)] = digest
        return sums

    def download(self, dest: str | Path, **keywords: Any) -> pd.DataFrame:
        """Download the plan into ``dest`` (sync); see :meth:`adownload`."""
        return run_sync(self.adownload(dest, **keywords))

    async def adownload(
        self,
        dest: str | Path,
        *,
        extract: bool = False,
        progress: bool = True,
        on_progress: ProgressCallback | None = None,
        settings: Settings | None = None,
        **overrides: Any,
    ) -> pd.DataFrame:
        """Download every planned file into ``dest/<series>/<name>``.

        Files are streamed to ``.part``, resumed after an interruption, checked
        against their known size (and MD5 where GEO publishes one; always, for
        the FASTQ files of runs, with ENA's MD5) and renamed into place;
        complete files are skipped. With ``extract=True``, files
        that are members of a ``RAW.tar`` are taken from one streamed pass over
        the archive instead of one request each. Returns one row per file:
        ``status`` is ``downloaded``, ``resumed``, ``extracted``, ``skipped``,
        ``failed`` or ``refused`` (an unsafe name), with the error if any.
        """
        base = settings or self._settings or Settings()
        config = base.replace(**overrides) if overrides else base
        callbacks: list[ProgressCallback] = [TqdmRenderer()] if progress else []
        if on_progress is not None:
            callbacks.append(on_progress)
        reporter = ProgressReporter("download", self.total_bytes or None, callbacks)
        outcomes: list[dict[str, Any]] = []
        jobs: list[tuple[dict[str, Any], DownloadJob]] = []
        archives: dict[str, ArchiveExtraction] = {}
        archive_sizes: dict[str, int] = {}
        http = HttpClient(config)
        try:
            sums = await self._checksums(http)
            for row in _rows(self.files):
                series: str | None = row["series_accession"]
                name = str(row["name"])
                record: dict[str, Any] = {
                    "series_accession": series,
                    "accession": row["accession"],
                    "name": name,
                    "size_bytes": row["size_bytes"],
                    "url": row["url"],
                }
                outcomes.append(record)
                try:
                    path = safe_destination(dest, series or str(row["accession"]), name)
                except GeoNBError as exc:
                    record.update(status="refused", error=str(exc))
                    continue
                record["path"] = str(path)
                exact = row["size_bytes"] if row["size_exact"] else None
                md5 = record["md5"] = row.get("md5") or sums.get((series or "", name))
                publisher = "ENA" if row.get("level") == "run" else "GEO"
                if md5 is None and publisher == "ENA":
                    record.update(status="failed", error=f"{name}: {_NO_MD5}")
                    continue
                archive: str | None = row["archive"]
                located = (
                    self._archives.get((series, archive))
                    if extract and series and archive
                    else None
                )
                if located is not None:
                    archive_sizes[located[0]] = located[1] or 0
                    job = archives.setdefault(located[0], ArchiveExtraction(located[0], {}))
                    job.wanted[name] = (path, exact, md5)
                    record["_archive"] = located[0]
                elif row["url"] is None:
                    record.update(
                        status="failed",
                        error=f"{name} has no URL of its own; use extract=True to take it from "
                        f"{archive or 'its archive'}.",
                    )
                else:
                    owner = str(row["accession"])
                    jobs.append(
                        (record, DownloadJob(row["url"], path, exact, md5, owner, publisher))
                    )
            # Extraction streams whole archives, so their sizes are what the bar counts.
            reporter.total = (
                sum(job.size or 0 for _, job in jobs) + sum(archive_sizes.values()) or None
            )
            reporter.start()
            await gather_or_cancel(
                [self._one(http, record, job, reporter) for record, job in jobs]
                + [
                    self._extract(http, config, job, outcomes, reporter)
                    for job in archives.values()
                ]
            )
        finally:
            reporter.finish()
            await http.aclose()
        await asyncio.to_thread(write_receipt, dest, outcomes)
        for record in outcomes:
            for internal in ("_archive", "url", "md5"):
                record.pop(internal, None)
        return make_frame(outcomes, OUTCOME_COLUMNS)

    @staticmethod
    async def _one(
        http: HttpClient, record: dict[str, Any], job: DownloadJob, reporter: ProgressReporter
    ) -> None:
        started = time.monotonic()
        try:
            status = await download_file(http, job, on_bytes=lambda n: reporter.advance(count=n))
            record.update(status=status)
        except GeoNBError as exc:
            reporter.fail(job.accession)
            record.update(status="failed", error=str(exc))
        record["seconds"] = f"{time.monotonic() - started:.2f}"

    @staticmethod
    async def _extract(
        http: HttpClient,
        config: Settings,
        job: ArchiveExtraction,
        outcomes: list[dict[str, Any]],
        reporter: ProgressReporter,
    ) -> None:
        loop = asyncio.get_running_loop()
        started = time.monotonic()

        def on_bytes(n: int) -> None:
            loop.call_soon_threadsafe(lambda: reporter.advance(count=n))

        async with http.slot():
            await asyncio.to_thread(
                extract_members, config, http.limiter(Service.FTP), job, on_bytes
            )
        for record in outcomes:
            if record.get("_archive") == job.url:
                name = str(record["name"])
                record["status"] = job.status.get(name, "failed")
                if name in job.errors:
                    reporter.fail(str(record["accession"]))
                    record["error"] = str(job.errors[name])
                record["seconds"] = f"{time.monotonic() - started:.2f}"
