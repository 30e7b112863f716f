"""GEOClient: search and fetch, orchestrated over one pooled HTTP client.

Example:
    >>> import asyncio, geo_nb
    >>> async def main():
    ...     async with geo_nb.GEOClient(max_concurrency=5) as client:
    ...         hits = await client.search("ATAC-seq", organism="Homo sapiens")
    ...         return await client.fetch(hits.accession[:10])
    >>> # res = asyncio.run(main())
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterable
from typing import Any, Unpack
from urllib.parse import urlencode

import pandas as pd

from ._aio import gather_or_cancel
from ._gcpause import paused_gc
from .accessions import normalize_accessions
from .assembly import (
    assemble,
    check_requested,
    failure_row,
    missing_samples,
    new_subseries,
    series_count,
)
from .caches import disk_cache
from .catalog_db import Provenance
from .digests import DigestStore, Loaded
from .errors import BlockedError, UnexpectedResponseError
from .files.inventory import (
    FolderReader,
    SeriesFolder,
    build_inventory,
    folder_key,
    unsized,
)
from .metadata import MetadataSources, durable
from .ncbi.acc import acc_params, check_soft
from .ncbi.cache import cache_key, memory_cache
from .ncbi.counts import counts_rows
from .ncbi.eutils import SearchFilters, build_term, run_search
from .ncbi.http import HttpClient, Service
from .ncbi.sources import AccTicket
from .ncbi.urls import rewrite_url
from .offline import resolve_settings, serves_demo
from .parse.convert import Converted, convert_entities
from .parse.family import complete_series
from .parse.soft import parse_soft
from .progress import ProgressCallback, ProgressReporter, TqdmRenderer
from .reads import add_reads
from .recording import record_fetch
from .records import FetchError, SupplementaryFile
from .result import GEOResult
from .settings import Settings

__all__ = ["GEOClient"]

log = logging.getLogger("geo_nb")

# Answers bigger than this (a series with hundreds of samples) are parsed in a
# worker thread so the event loop (progress bars, widgets) stays responsive;
# smaller ones are parsed on the loop, which avoids GIL contention with it.
_DIGEST_IN_THREAD = 512 * 1024


def _callbacks(progress: bool, on_progress: ProgressCallback | None) -> list[ProgressCallback]:
    callbacks: list[ProgressCallback] = []
    if progress:
        callbacks.append(TqdmRenderer())
    if on_progress is not None:
        callbacks.append(on_progress)
    return callbacks


class GEOClient:
    """An async client for GEO: one connection pool, NCBI's limits, caches.

    Use it as ``async with GEOClient(...) as client:``. Any
    :class:`~geo_nb.Settings` field can be overridden by keyword
    (``GEOClient(api_key="...", max_concurrency=4)``), or pass ``settings=``.
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        self.settings = resolve_settings(settings, **overrides)
        #: Whether records come from the offline demo's recordings (its acc.cgi, not a URL
        #: the user set): its answers never change, and what it lacks is not "not at GEO".
        self.demo = self.settings.offline_demo and serves_demo(self.settings.acc_url)
        self.http = HttpClient(self.settings)
        self.cache = disk_cache(self.settings)
        self.digests = DigestStore(self.cache, self.settings)
        #: Where the records read from a raw answer came from (the catalog's url and sha256
        #: columns), until the fetch that read them records them.
        self.provenance: dict[str, Provenance] = {}

    def __repr__(self) -> str:
        s = self.settings
        return f"GEOClient(acc_url={s.acc_url!r}, cache_dir={str(s.cache_dir)!r})"

    async def __aenter__(self) -> GEOClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self.http.aclose()

    async def search(
        self,
        query: str = "",
        *,
        max_results: int | None = 100,
        progress: bool = True,
        on_progress: ProgressCallback | None = None,
        **filters: Unpack[SearchFilters],
    ) -> pd.DataFrame:
        """Search GEO DataSets (``db=gds``); one row per hit.

        ``filters`` are those of :class:`~geo_nb.ncbi.eutils.SearchFilters`
        (organism, study_type, published_from, published_to, min_samples,
        max_samples, supplementary, entry_type). ``attrs["query_translation"]``
        holds the query as NCBI understood it, ``attrs["count"]`` the total
        number of hits (``max_results`` caps how many are summarised; ``None``
        = all) and ``attrs["warnings"]`` what NCBI ignored or could not find.
        """
        term = build_term(query, **filters)
        reporter = ProgressReporter("search", None, _callbacks(progress, on_progress))
        hits = await run_search(self.http, term, max_results=max_results, reporter=reporter)
        if self.settings.offline_demo and serves_demo(self.settings.eutils_url):
            from .offline import offline_search_hint, unrecorded_hits

            hint = offline_search_hint(query) if hits.empty else unrecorded_hits(hits.accession)
            if hint is not None:
                hits.attrs["warnings"] = [*hits.attrs.get("warnings", []), hint]
        return hits

    async def fetch(
        self,
        accessions: str | Iterable[str],
        *,
        refresh: bool = False,
        files: bool = True,
        exact_sizes: bool = False,
        expand_superseries: bool = False,
        progress: bool = True,
        on_progress: ProgressCallback | None = None,
        runs: bool = False,
        publications: bool = False,
    ) -> GEOResult:
        """Fetch metadata (and the sized file inventory) for GSE, GSM and GPL accessions.

        Invalid accessions raise :class:`~geo_nb.errors.InvalidAccessionError`
        before any request. Accessions that fail become rows of
        ``result.errors``; the others are complete.

        ``files=True`` also reads each series' ``suppl/`` folder and its
        ``filelist.txt``, so ``result.files`` lists every file with its size;
        ``exact_sizes=True`` sends HEAD requests for the files still unsized.
        RNA-seq series (human, mouse) are also checked for NCBI-computed counts
        (one E-utilities search for all of them, a HEAD per file found): they
        are rows of level ``ncbi``. No file body is downloaded.
        ``expand_superseries=True`` also fetches the SubSeries of every
        SuperSeries. ``refresh=True`` ignores both caches (and refreshes them).
        ``runs=True`` adds the samples' SRA runs (``result.runs``, and their
        FASTQ files to ``result.files``) and ``publications=True`` the series'
        PubMed articles (:mod:`geo_nb.reads`).
        """
        wanted = normalize_accessions(accessions)
        callbacks = _callbacks(progress, on_progress)
        metadata = ProgressReporter("metadata", len(wanted), callbacks)
        listings = ProgressReporter("inventory", series_count(wanted), callbacks if files else [])
        reader = FolderReader(self.http, self.cache, self.settings)
        folders: dict[str, SeriesFolder] = {}
        sources = MetadataSources(self, metadata)
        when: dict[str, float] = {}

        async def one(accession: str) -> list[Converted | FetchError]:
            with_folder = files and accession.startswith("GSE")
            try:
                converted, fetched_at = await sources.record(accession, refresh=refresh)
                when[accession] = fetched_at
            except Exception as exc:
                metadata.advance(accession, ok=False)
                if with_folder:
                    listings.advance(accession)
                return [failure_row(accession, exc)]
            gap = missing_samples(accession, converted, offline=self.demo)
            metadata.advance(accession, ok=gap is None)
            outcome: list[Converted | FetchError] = [converted] if gap is None else [converted, gap]
            folder = None
            if with_folder:
                try:
                    folder = folders[accession] = await reader.series_folder(
                        accession, refresh=refresh
                    )
                    listings.advance(accession)
                except Exception as exc:
                    listings.advance(accession, ok=False)
                    outcome.append(failure_row(accession, exc))
            if (folder is not None or not with_folder) and durable(converted):
                self.digests.save(accession, converted, fetched_at, folder, force=refresh)
            return outcome

        requested = list(wanted)
        outcomes: list[Converted | FetchError] = []
        metadata.start()
        listings.start()
        try:
            pending = wanted
            while pending:
                if not refresh:
                    self._warm(pending, files)
                groups = await gather_or_cancel(one(a) for a in pending)
                outcomes += [o for group in groups for o in group]
                pending = new_subseries(outcomes, requested) if expand_superseries else []
                requested += pending
                metadata.total = len(requested)
                listings.total = series_count(requested)
        finally:
            metadata.finish()
            listings.finish()
            await sources.aclose()
        records = assemble(requested, outcomes).model_copy(update={"fetched_at": when})
        if files:
            rows = build_inventory(records, folders, self.settings.ftp_url)
            errors: list[FetchError] = []
            if exact_sizes:
                rows, errors = await self._exact_sizes(reader, rows, refresh, callbacks)
            ncbi, ncbi_errors = await counts_rows(
                self.http, self.cache, records.series, records.samples, refresh=refresh
            )
            records = records.model_copy(
                update={"files": rows + ncbi, "errors": records.errors + errors + ncbi_errors}
            )
        if runs or publications:
            records = await add_reads(
                self.http, self.cache, records, runs=runs, publications=publications,
                refresh=refresh, callbacks=callbacks,
            )  # fmt: skip
        ids = [r.accession for group in (records.series, records.samples) for r in group]
        ids += [p.accession for p in records.platforms]
        fresh = {a: self.provenance.pop(a) for a in ids if a in self.provenance}
        await asyncio.to_thread(record_fetch, self.settings, records, fresh, inventory=files)
        return GEOResult(records, settings=self.settings)

    async def _exact_sizes(
        self,
        reader: FolderReader,
        rows: list[SupplementaryFile],
        refresh: bool,
        callbacks: list[ProgressCallback],
    ) -> tuple[list[SupplementaryFile], list[FetchError]]:
        targets = unsized(rows, self.settings.ftp_url)
        reporter = ProgressReporter("sizes", len(targets), callbacks)
        reporter.start()

        async def head(url: str, owner: str) -> tuple[str, int | None, FetchError | None]:
            try:
                size = await reader.head_size(url, accession=owner, refresh=refresh)
            except Exception as exc:
                reporter.advance(owner, ok=False)
                return url, None, failure_row(owner, exc)
            reporter.advance(owner)
            return url, size, None

        try:
            results = await gather_or_cancel(head(u, o) for u, o in targets.items())
        finally:
            reporter.finish()
        sizes = {url: size for url, size, _ in results if size is not None}
        sized = [
            r.model_copy(update={"size_bytes": sizes[r.url], "size_source": "head"})
            if r.size_bytes is None and r.url in sizes
            else r
            for r in rows
        ]
        return sized, [error for _, _, error in results if error is not None]

    def _memory_keys(self, accession: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Memory-cache keys of an accession's records and of its series folder."""
        s = self.settings
        return ("acc", s.acc_url, s.ftp_url, accession), folder_key(s.ftp_url, accession)

    def _warm(self, accessions: list[str], files: bool) -> None:
        """Fill the memory cache from the accessions' digests on disk, where it helps
        (``files``: the series' folders are wanted too)."""
        needs: dict[str, tuple[bool, bool]] = {}
        for accession in accessions:
            record_key, folder_key = self._memory_keys(accession)
            need_record = memory_cache.get(record_key) is None
            need_folder = files and accession.startswith("GSE")
            need_folder = need_folder and memory_cache.get(folder_key) is None
            if need_record or need_folder:
                needs[accession] = (need_record, need_folder)
        if not needs:
            return
        # One pause of the collector for all of them, ending with the records promoted
        # to the oldest generation: they go to the memory cache (see geo_nb._gcpause).
        with paused_gc(promote=True):
            for accession, (need_record, need_folder) in needs.items():
                found = self.digests.load(accession)
                if found is not None:
                    self._remember(accession, found, need_record, need_folder)

    def _remember(
        self, accession: str, found: Loaded, need_record: bool, need_folder: bool
    ) -> None:
        record_key, folder_key = self._memory_keys(accession)
        converted, fetched_at, folder, rows = found
        if need_record:
            memory_cache.put(record_key, (converted, fetched_at))
        if need_folder and folder is not None:
            memory_cache.put(folder_key, folder)
            if need_record and rows is not None:
                self.digests.remember_rows(accession, converted, folder, rows)

    async def _record(
        self, accession: str, *, refresh: bool, ticket: AccTicket | None = None
    ) -> tuple[Converted, float]:
        """The accession's acc.cgi records and when their answer was fetched; ``ticket``
        is taken before a request is sent (see :class:`~geo_nb.ncbi.sources.AccBreaker`)."""
        settings = self.settings
        memory_key = self._memory_keys(accession)[0]
        if not refresh:
            cached: tuple[Converted, float] | None = memory_cache.get(memory_key)
            if cached is not None:
                return cached
        params = acc_params(accession)
        key = cache_key("acc", settings.acc_url, params)
        entry = None if refresh else self.cache.read(key)
        body, fetched_at = entry if entry is not None else (None, time.time())
        fetched = body is None
        if body is None:
            if ticket is not None:
                await ticket.take()
            response = await self.http.request(
                Service.ACC, "GET", settings.acc_url, params=params, accession=accession
            )
            if response.status_code != 200:
                refused = BlockedError if response.status_code == 403 else UnexpectedResponseError
                raise refused(
                    f"{accession}: acc.cgi answered HTTP {response.status_code}. Try again later.",
                    accession=accession,
                    url=str(response.url),
                )
            body, fetched_at = response.content, time.time()
            # Answers arrive in waves; let the requests queued behind this one go out
            # before spending CPU on it.
            await asyncio.sleep(0)
        cache_as = (key, fetched_at) if fetched else None
        if len(body) > _DIGEST_IN_THREAD:
            converted, sha = await asyncio.to_thread(self._digest, accession, body, cache_as)
        else:
            converted, sha = self._digest(accession, body, cache_as)
        origin = Provenance(fetched_at, f"{settings.acc_url}?{urlencode(params)}", sha)
        self.provenance.update((r.accession, origin) for group in converted for r in group)
        memory_cache.put(memory_key, (converted, fetched_at))
        return converted, fetched_at

    def _digest(
        self, accession: str, body: bytes, cache_as: tuple[str, float] | None
    ) -> tuple[Converted, str]:
        """Check, parse and convert one acc.cgi answer; cache it as ``cache_as`` (key, time).
        Returns the records and the answer's SHA-256 (hashed here, off the loop for big
        answers, once for both the catalog and the cache entry)."""
        ftp_url = self.settings.ftp_url
        url = f"{self.settings.acc_url}?acc={accession}"
        text = body.decode("utf-8", errors="replace")
        check_soft(text, accession, url, offline=self.demo)
        with paused_gc():
            entities = complete_series(parse_soft(body, source=f"acc.cgi response for {accession}"))
            converted = convert_entities(entities, lambda u: rewrite_url(u, ftp_url))
        check_requested(accession, converted, url)
        sha = hashlib.sha256(body).hexdigest()
        if cache_as is not None:
            self.cache.put(cache_as[0], body, url=url, fetched_at=cache_as[1], sha256=sha)
        return converted, sha
