"""Samples and platforms fetched alone, from E-utilities summaries (``esummary db=gds``).

There is no per-sample metadata file on GEO's FTP tree, so when acc.cgi cannot be
used a GSM or GPL asked for by accession is read from its esummary document
summary: title, platform, series, organism, release date and SRA experiment for a
sample; title, technology, organism and counts for a platform. Requests are
batched (one ``esummary`` POST for every accession that needs one within a short
window) and paced by the E-utilities limiter. The records are marked
``record_source="esummary"``; a sample's characteristics, source, molecule,
library fields, instrument, BioSample, dates other than the release date and
supplementary files are not in a summary, so those columns stay empty.

Example:
    >>> sample_from_docsum({"accession": "GSM1", "title": "liver", "gpl": "96",
    ...     "gse": "1;2", "taxon": "Homo sapiens", "pdat": "2003/11/25"}).series
    ['GSE1', 'GSE2']
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from typing import Any

from ..errors import GeoNBError, NotFoundError, UnexpectedResponseError
from ..records import Channel, Platform, RecordSource, Sample
from .eutils import eutils_json
from .http import HttpClient

__all__ = ["UID_BASE", "DocsumBatcher", "platform_from_docsum", "sample_from_docsum", "uid_of"]

#: gds UIDs: GSM = 300000000 + N, GPL = 100000000 + N (the summary's accession is checked).
UID_BASE = {"GSM": 300_000_000, "GPL": 100_000_000, "GSE": 200_000_000}
SOURCE: RecordSource = "esummary"


def uid_of(accession: str) -> str:
    """The ``db=gds`` UID of a GSM, GPL or GSE accession.

    Example:
        >>> uid_of("GSM11805"), uid_of("GPL96")
        ('300011805', '100000096')
    """
    return str(UID_BASE[accession[:3]] + int(accession[3:]))


def _split(text: Any, sep: str = ";") -> list[str]:
    return [part.strip() for part in str(text or "").split(sep) if part.strip()]


def _date(text: Any) -> dt.date | None:
    try:
        return dt.datetime.strptime(str(text or ""), "%Y/%m/%d").date()
    except ValueError:
        return None


def _sra(docsum: dict[str, Any]) -> str | None:
    for relation in docsum.get("extrelations") or []:
        if str(relation.get("relationtype", "")).upper() == "SRA":
            target = str(relation.get("targetobject") or "")
            return target or None
    return None


def sample_from_docsum(docsum: dict[str, Any]) -> Sample:
    """A :class:`~geo_nb.records.Sample` from a GSM document summary."""
    organisms = _split(docsum.get("taxon"))
    return Sample(
        accession=str(docsum["accession"]),
        title=str(docsum.get("title") or ""),
        published=_date(docsum.get("pdat")),
        platform=next((f"GPL{p}" for p in _split(docsum.get("gpl"))), ""),
        series=[f"GSE{n}" for n in _split(docsum.get("gse"))],
        channels=[Channel(organism="; ".join(organisms))] if organisms else [],
        description=str(docsum.get("summary") or ""),
        sra_experiment=_sra(docsum),
        record_source=SOURCE,
    )


def platform_from_docsum(docsum: dict[str, Any]) -> Platform:
    """A :class:`~geo_nb.records.Platform` from a GPL document summary."""
    n_samples = str(docsum.get("n_samples") or "")
    return Platform(
        accession=str(docsum["accession"]),
        title=str(docsum.get("title") or ""),
        published=_date(docsum.get("pdat")),
        technology=str(docsum.get("ptechtype") or ""),
        organisms=_split(docsum.get("taxon")),
        n_series=len(_split(docsum.get("gse"))),
        n_samples=int(n_samples) if n_samples.isdigit() else 0,
        record_source=SOURCE,
    )


class DocsumBatcher:
    """Document summaries of GSM/GPL accessions, fetched in batched ``esummary`` requests.

    :meth:`get` waits up to ``wait`` seconds for other accessions to join the
    batch (at most ``size`` per request). Call :meth:`aclose` when done: a batch
    still being fetched is cancelled.
    """

    def __init__(self, http: HttpClient, *, wait: float = 0.05, size: int = 200) -> None:
        self.http = http
        self.wait = wait
        self.size = size
        self.requests = 0
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def get(self, accession: str) -> dict[str, Any]:
        """The document summary of ``accession``; :class:`NotFoundError` if NCBI has none."""
        future = self._pending.get(accession)
        if future is None:
            future = self._pending[accession] = asyncio.get_running_loop().create_future()
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._run())
        return await asyncio.shield(future)

    async def aclose(self) -> None:
        """Cancel a batch in flight and fail its waiters."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        for future in self._pending.values():
            if not future.done():
                future.cancel()
        self._pending.clear()

    async def _run(self) -> None:
        await asyncio.sleep(self.wait)
        while self._pending:
            batch = list(self._pending.items())[: self.size]
            for accession, _ in batch:
                del self._pending[accession]
            try:
                found = await self._fetch([a for a, _ in batch])
            except (GeoNBError, OSError) as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            except BaseException:
                for _, future in batch:
                    future.cancel()
                raise
            for accession, future in batch:
                if future.done():
                    continue
                doc = found.get(accession)
                if isinstance(doc, Exception):
                    future.set_exception(doc)
                elif doc is not None:
                    future.set_result(doc)

    async def _fetch(self, accessions: list[str]) -> dict[str, dict[str, Any] | Exception]:
        self.requests += 1
        uids = {uid_of(a): a for a in accessions}
        payload = await eutils_json(
            self.http,
            "esummary.fcgi",
            {"db": "gds", "id": ",".join(uids), "retmode": "json"},
        )
        result = payload.get("result")
        if not isinstance(result, dict):
            message = payload.get("error") or payload.get("esummaryresult") or "no result"
            raise UnexpectedResponseError(f"E-utilities esummary failed: {message}")
        found: dict[str, dict[str, Any] | Exception] = {}
        for uid, accession in uids.items():
            doc = result.get(uid)
            if not isinstance(doc, dict) or "error" in doc:
                found[accession] = NotFoundError(
                    f"{accession}: E-utilities has no summary of it: it is not public at GEO "
                    "(or does not exist).",
                    accession=accession,
                )
            elif str(doc.get("accession", "")).upper() != accession:
                found[accession] = UnexpectedResponseError(
                    f"{accession}: E-utilities answered with the summary of "
                    f"{doc.get('accession')!r} for UID {uid}. Try again later.",
                    accession=accession,
                )
            else:
                found[accession] = doc
        return found
