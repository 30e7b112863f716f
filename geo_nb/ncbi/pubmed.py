"""PubMed summaries of the articles GEO series cite: ``esummary db=pubmed``, 200 ids a request.

Each batch is one E-utilities request through the shared limiter and retry
policy, cached on disk. A PMID PubMed has no summary for becomes an error row
(``publications_incomplete``) of every series citing it, never an empty article.

Example:
    >>> doc = {"uid": "1", "title": "A study.", "fulljournalname": "J", "pubdate": "2017 Aug",
    ...        "authors": [{"name": "Doe J", "authtype": "Author"}], "lastauthor": "Doe J",
    ...        "articleids": [{"idtype": "doi", "value": "10.1/x"}]}
    >>> p = publication(doc, ["GSE1"])
    >>> p.pmid, p.year, p.doi, p.first_author
    ('1', 2017, '10.1/x', 'Doe J')
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .._aio import gather_or_cancel
from ..errors import GeoNBError, UnexpectedResponseError
from ..records import FetchError, Publication
from .cache import DiskCache, cache_key
from .eutils import eutils_text
from .http import HttpClient

__all__ = ["BATCH", "fetch_publications", "publication"]

BATCH = 200


def publication(doc: Mapping[str, Any], series: Sequence[str]) -> Publication:
    """One esummary document as a :class:`~geo_nb.records.Publication`."""
    authors = [
        str(a.get("name", ""))
        for a in doc.get("authors") or []
        if isinstance(a, dict) and a.get("authtype", "Author") == "Author"
    ]
    year = re.match(r"\s*(\d{4})", str(doc.get("pubdate") or doc.get("sortpubdate") or ""))
    doi = next(
        (
            str(a.get("value"))
            for a in doc.get("articleids") or []
            if isinstance(a, dict) and a.get("idtype") == "doi" and a.get("value")
        ),
        None,
    )
    return Publication(
        pmid=str(doc.get("uid", "")),
        series_accessions=list(series),
        title=str(doc.get("title") or ""),
        journal=str(doc.get("fulljournalname") or doc.get("source") or ""),
        year=int(year.group(1)) if year else None,
        doi=doi,
        first_author=authors[0] if authors else "",
        last_author=str(doc.get("lastauthor") or (authors[-1] if authors else "")),
    )


async def _batch(
    http: HttpClient, cache: DiskCache | None, pmids: list[str], refresh: bool
) -> dict[str, Any]:
    params = {"db": "pubmed", "id": ",".join(pmids), "retmode": "json"}
    key = cache_key("pubmed", http.settings.eutils_url, params)
    entry = None if refresh or cache is None else cache.read(key)
    text = entry[0].decode("utf-8") if entry is not None else None
    if text is None:
        text = await eutils_text(http, "esummary.fcgi", params)
    try:
        payload = json.loads(text)
    except ValueError:
        payload = None
    result = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(result, dict):
        kind = "an HTML page" if text.lstrip()[:1] == "<" else "an answer without a result"
        raise UnexpectedResponseError(
            f"PubMed esummary answered with {kind} for {len(pmids)} PMID(s). Try again later."
        )
    if entry is None and cache is not None:
        url = f"{http.settings.eutils_url}/esummary.fcgi?db=pubmed"
        cache.put(key, text.encode("utf-8"), url=url, fetched_at=time.time())
    return result


async def fetch_publications(
    http: HttpClient,
    cache: DiskCache | None,
    cited: Mapping[str, Sequence[str]],
    *,
    refresh: bool = False,
) -> tuple[list[Publication], list[FetchError]]:
    """Summaries of the PMIDs in ``cited`` (PMID -> series citing it), and error rows.

    An error row names a series and the PMIDs it cites that could not be summarised.
    """
    pmids = [p for p in cited if p.strip().isdigit()]
    batches = [pmids[i : i + BATCH] for i in range(0, len(pmids), BATCH)]

    async def one(batch: list[str]) -> tuple[list[str], dict[str, Any] | GeoNBError]:
        try:
            return batch, await _batch(http, cache, batch, refresh)
        except GeoNBError as exc:
            return batch, exc

    found: list[Publication] = []
    missing: dict[str, list[tuple[str, str]]] = {}  # series -> (pmid, why)
    for batch, result in await gather_or_cancel(one(b) for b in batches):
        for pmid in batch:
            doc = result.get(pmid) if isinstance(result, dict) else None
            if isinstance(doc, dict) and "error" not in doc and doc.get("uid"):
                found.append(publication(doc, cited[pmid]))
                continue
            why = str(result) if isinstance(result, GeoNBError) else "PubMed has no summary"
            for series in cited[pmid]:
                missing.setdefault(series, []).append((pmid, why))
    errors = [
        FetchError(
            accession=series,
            kind="publications_incomplete",
            message=f"{series}: no PubMed summary for PMID {', '.join(p for p, _ in gaps)} "
            f"({gaps[0][1]}); {'they are' if len(gaps) > 1 else 'it is'} not in "
            "res.publications.",
        )
        for series, gaps in missing.items()
    ]
    return found, errors
