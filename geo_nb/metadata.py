"""A fetch's metadata sources: acc.cgi, then GEO's FTP tree and E-utilities summaries.

:class:`MetadataSources` gets one accession's records for
:meth:`GEOClient.fetch <geo_nb.GEOClient.fetch>`, in the order
``metadata_source`` asks for (see :mod:`geo_nb.ncbi.sources`):

* acc.cgi (``targ=all&view=brief``), through the client's caches;
* for a series, its series-matrix headers (all platforms, merged) or, when it has
  no matrix, its family SOFT, from the FTP tree;
* for a sample or platform fetched alone, its E-utilities document summary.

Every source ends in the same records (:data:`~geo_nb.parse.convert.Converted`),
so frames, inventory and digests do not care where they came from; each record
says it in ``record_source``. A record read from an esummary summary is thinner
than the others, so it is never cached: the next fetch asks again.

Example:
    >>> # sources = MetadataSources(client, reporter)
    >>> # converted, fetched_at = await sources.record("GSE211781", refresh=False)
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .accessions import accession_prefix
from .errors import (
    GeoNBError,
    NCBIError,
    NotFoundError,
    ParseError,
    UnexpectedResponseError,
    not_recorded,
)
from .ncbi.cache import memory_cache
from .ncbi.esummary import DocsumBatcher, platform_from_docsum, sample_from_docsum
from .ncbi.ftpmeta import family_entities_from_ftp, series_matrix_headers
from .ncbi.sources import AccBreaker, AccTicket, switch_worthy
from .ncbi.urls import rewrite_url
from .parse.convert import Converted, convert_entities
from .parse.family import complete_series, family_entities
from .parse.matrix_header import merge_matrices, parse_matrix_header
from .progress import ProgressReporter
from .records import RecordSource

if TYPE_CHECKING:
    from .client import GEOClient

__all__ = ["MetadataSources", "durable", "mark_source"]


def mark_source(converted: Converted, source: RecordSource) -> Converted:
    """``converted`` with every record's ``record_source`` set to ``source``."""
    series, samples, platforms = converted
    update = {"record_source": source}
    return (
        [s.model_copy(update=update) for s in series],
        [s.model_copy(update=update) for s in samples],
        [p.model_copy(update=update) for p in platforms],
    )


def durable(converted: Converted) -> bool:
    """False for records from an esummary summary (thin: never cached)."""
    return not any(r.record_source == "esummary" for group in converted for r in group)


def _why(acc: GeoNBError) -> str:
    if isinstance(acc, UnexpectedResponseError):
        return "it answered with a bot-challenge page or HTTP 403"
    return "it kept failing"


def _combined(other: GeoNBError, acc: GeoNBError, accession: str, *, demo: bool) -> GeoNBError:
    """The error of the last source tried, saying why acc.cgi was not the answer (``demo``:
    the sources are the offline demo's recordings)."""
    if isinstance(other, NotFoundError) and demo:
        return NotFoundError(not_recorded(accession), accession=accession)
    if isinstance(other, NotFoundError) and accession_prefix(accession) == "GSE":
        return NotFoundError(
            f"{accession}: acc.cgi could not be used ({_why(acc)}), and GEO's FTP tree has "
            "neither a series matrix nor a family SOFT for it: it is not public (or does not "
            "exist).",
            accession=accession,
        )
    message = f"acc.cgi could not be used ({_why(acc)}); the fallback failed too: {other}"
    if isinstance(other, NCBIError):
        return type(other)(message, accession=accession, url=other.url)
    if isinstance(other, ParseError):
        return type(other)(message, accession=accession)
    return other


class MetadataSources:
    """The metadata sources of one batch (one ``fetch``): the order, the breaker, the
    esummary batcher. ``reporter`` gets a note when acc.cgi is given up."""

    def __init__(self, client: GEOClient, reporter: ProgressReporter) -> None:
        self.client = client
        self.settings = client.settings
        self.mode = self.settings.metadata_source
        self.breaker = AccBreaker(
            self.settings.acc_url, in_flight=self.settings.max_concurrency, on_open=reporter.note
        )
        self.docsums = DocsumBatcher(client.http)

    async def aclose(self) -> None:
        """Cancel what is still pending (an esummary batch)."""
        await self.docsums.aclose()

    async def record(self, accession: str, *, refresh: bool) -> tuple[Converted, float]:
        """The accession's records and when they were fetched, from the first source
        that has them; raises the typed error of the last source tried."""
        if self.mode == "acc":
            return await self.client._record(accession, refresh=refresh)
        key = self.client._memory_keys(accession)[0]
        if not refresh:
            cached: tuple[Converted, float] | None = memory_cache.get(key)
            if cached is not None:
                return cached
        if self.mode == "ftp":
            try:
                return await self._other(accession)
            except GeoNBError as exc:
                first = exc
            try:
                return await self._acc(accession, refresh)
            except GeoNBError as exc:
                if switch_worthy(exc):
                    raise _combined(first, exc, accession, demo=self.client.demo) from None
                raise
        try:
            return await self._acc(accession, refresh)
        except GeoNBError as exc:
            if not switch_worthy(exc):
                raise
            acc_failure = exc
        try:
            return await self._other(accession)
        except GeoNBError as exc:
            raise _combined(exc, acc_failure, accession, demo=self.client.demo) from None

    async def _acc(self, accession: str, refresh: bool) -> tuple[Converted, float]:
        ticket = AccTicket(self.breaker, accession)
        try:
            found = await self.client._record(accession, refresh=refresh, ticket=ticket)
        except BaseException as exc:
            await ticket.settle(exc)
            raise
        await ticket.settle(None)
        return found

    async def _other(self, accession: str) -> tuple[Converted, float]:
        """The records from the FTP tree (series) or an esummary summary (GSM, GPL)."""
        if accession_prefix(accession) == "GSE":
            converted = await self._ftp_series(accession)
            memory_cache.put(self.client._memory_keys(accession)[0], (converted, time.time()))
            return converted, time.time()
        doc = await self.docsums.get(accession)
        if accession_prefix(accession) == "GSM":
            return ([], [sample_from_docsum(doc)], []), time.time()
        return ([], [], [platform_from_docsum(doc)]), time.time()

    async def _ftp_series(self, accession: str) -> Converted:
        http = self.client.http
        ftp_url = self.settings.ftp_url
        headers = await series_matrix_headers(http, accession)
        source: RecordSource
        if headers:
            parts = [parse_matrix_header(h.text, source=h.name) for h in headers]
            entities = complete_series(merge_matrices(parts))
            source = "series_matrix"
        else:
            family = await family_entities_from_ftp(http, accession)
            if family is None:
                raise NotFoundError(
                    f"{accession}: GEO's FTP tree has neither a series matrix nor a family "
                    "SOFT for it.",
                    accession=accession,
                )
            entities = family_entities(family)
            source = "family_soft"
        converted = convert_entities(entities, lambda u: rewrite_url(u, ftp_url))
        if not any(s.accession == accession for s in converted[0]):
            raise UnexpectedResponseError(
                f"{accession}: GEO's FTP tree answered with another series' {source} "
                f"({', '.join(s.accession for s in converted[0]) or 'no series'}). "
                "Try again later.",
                accession=accession,
            )
        return mark_source(converted, source)
