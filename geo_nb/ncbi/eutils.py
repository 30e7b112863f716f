"""E-utilities on ``db=gds``: turning a question into a term, and hits into rows.

A search is one ``esearch`` with ``usehistory=y`` (NCBI keeps the hit list)
followed by ``esummary`` pages of 500 read from that history, all paced by the
shared E-utilities limiter. Filters become field-tagged terms; the translation
NCBI applied is kept, because NCBI silently drops terms it does not know.

Example:
    >>> build_term("ATAC-seq", organism="Homo sapiens", published_from="2020")
    '(ATAC-seq) AND "Homo sapiens"[ORGN] AND 2020/01/01:3000/12/31[PDAT] AND gse[ETYP]'
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

import pandas as pd

from .._aio import gather_or_cancel
from ..errors import QueryError, UnexpectedResponseError, redact
from ..frames import make_frame
from ..progress import ProgressReporter
from .http import HttpClient, Service
from .translation import dropped_warning
from .urls import rewrite_url

__all__ = [
    "ENTRY_TYPES",
    "SEARCH_COLUMNS",
    "SEARCH_FILTERS",
    "SearchFilters",
    "build_term",
    "docsum_row",
    "eutils_json",
    "eutils_text",
    "run_search",
]

ENTRY_TYPES = ("gse", "gsm", "gpl", "gds")
#: The Entrez filter of series with NCBI-computed RNA-seq counts.
NCBI_COUNTS_FILTER = "rnaseq counts"
PAGE_SIZE = 500
_DATE = re.compile(r"^(\d{4})(?:[-/.](\d{1,2}))?(?:[-/.](\d{1,2}))?$")

SEARCH_COLUMNS: dict[str, Any] = {
    "accession": "str",
    "title": "str",
    "summary": "str",
    "organism": "list",
    "study_type": "list",
    "platforms": "list",
    "n_samples": "int",
    "published": "date",
    "supplementary_types": "list",
    "sra_study": "str",
    "pubmed_ids": "list",
    "bioproject": "str",
    "ftp_url": "str",
    "entry_type": "str",
}


def _as_list(value: str | Sequence[str] | None) -> list[str]:
    if value is None:
        return []
    items = [value] if isinstance(value, str) else list(value)
    return [item.strip() for item in items if item and item.strip()]


def _quote(value: str) -> str:
    return '"' + value.replace('"', " ").strip() + '"'


def _any_of(values: list[str], tag: str, *, quote: bool = True) -> str:
    terms = [f"{_quote(v) if quote else v}[{tag}]" for v in values]
    return terms[0] if len(terms) == 1 else "(" + " OR ".join(terms) + ")"


def _date(value: str | int | dt.date | None, *, end: bool, name: str) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.strftime("%Y/%m/%d")
    match = _DATE.match(str(value).strip())
    if match is None:
        raise QueryError(f"{name}={value!r} is not a date; use 2020, 2020-06 or 2020-06-30.")
    year, month, day = match.group(1), match.group(2), match.group(3)
    if month is None:
        return f"{year}/12/31" if end else f"{year}/01/01"
    if day is None:
        if end:
            last = dt.date(int(year) + int(month) // 12, int(month) % 12 + 1, 1) - dt.timedelta(
                days=1
            )
            return last.strftime("%Y/%m/%d")
        return f"{year}/{int(month):02d}/01"
    try:
        return dt.date(int(year), int(month), int(day)).strftime("%Y/%m/%d")
    except ValueError as exc:
        raise QueryError(f"{name}={value!r} is not a valid date ({exc}).") from None


class SearchFilters(TypedDict, total=False):
    """The filters a search accepts; each becomes a field-tagged Entrez term.

    ``organism`` -> ``[ORGN]`` and ``study_type`` -> ``[GTYP]`` (one value or a
    list, OR'ed), ``published_from``/``published_to`` -> ``[PDAT]`` (``2020``,
    ``"2020-06"``, ``"2020-06-30"`` or a date; partial dates cover the whole
    year or month), ``min_samples``/``max_samples`` -> ``[NSAM]``,
    ``supplementary`` -> ``[SFIL]`` (file types such as ``"cel"`` or
    ``["bed", "bw"]``), ``entry_type`` -> ``[ETYP]`` (``"gse"`` by default,
    ``None`` for every entry type), ``ncbi_counts=True`` -> ``"rnaseq counts"[Filter]``
    (series for which NCBI computed RNA-seq counts).
    """

    organism: str | Sequence[str] | None
    study_type: str | Sequence[str] | None
    published_from: str | int | dt.date | None
    published_to: str | int | dt.date | None
    min_samples: int | None
    max_samples: int | None
    supplementary: str | Sequence[str] | None
    entry_type: str | None
    ncbi_counts: bool | None


SEARCH_FILTERS = frozenset(SearchFilters.__annotations__)


def build_term(query: str = "", **filters: Unpack[SearchFilters]) -> str:
    """Combine free text and filters (see :class:`SearchFilters`) into one term.

    Several values of one filter are OR'ed (``organism=["Homo sapiens",
    "Mus musculus"]``); filters are AND'ed with the query.
    """
    unknown = sorted(set(filters) - SEARCH_FILTERS)
    if unknown:
        raise QueryError(
            f"Unknown search filter(s): {', '.join(unknown)}. "
            f"Filters are: {', '.join(sorted(SEARCH_FILTERS))}."
        )
    organism = filters.get("organism")
    study_type = filters.get("study_type")
    published_from = filters.get("published_from")
    published_to = filters.get("published_to")
    min_samples = filters.get("min_samples")
    max_samples = filters.get("max_samples")
    supplementary = filters.get("supplementary")
    entry_type = filters.get("entry_type", "gse")
    parts: list[str] = []
    if query and query.strip():
        parts.append(f"({query.strip()})")
    if organisms := _as_list(organism):
        parts.append(_any_of(organisms, "ORGN"))
    if study_types := _as_list(study_type):
        parts.append(_any_of(study_types, "GTYP"))
    start = _date(published_from, end=False, name="published_from")
    stop = _date(published_to, end=True, name="published_to")
    if start and stop and start > stop:
        raise QueryError(f"published_from ({start}) is after published_to ({stop}).")
    if start or stop:
        parts.append(f"{start or '1900/01/01'}:{stop or '3000/12/31'}[PDAT]")
    for name, count in (("min_samples", min_samples), ("max_samples", max_samples)):
        if count is not None and (not isinstance(count, int) or count < 0):
            raise QueryError(f"{name} must be a non-negative whole number, got {count!r}.")
    if min_samples is not None and max_samples is not None and min_samples > max_samples:
        raise QueryError(f"min_samples ({min_samples}) is larger than max_samples ({max_samples}).")
    if min_samples is not None or max_samples is not None:
        parts.append(
            f"{min_samples or 0}:{max_samples if max_samples is not None else 1000000}[NSAM]"
        )
    if kinds := _as_list(supplementary):
        parts.append(_any_of([k.lower().lstrip(".") for k in kinds], "SFIL", quote=False))
    ncbi_counts = filters.get("ncbi_counts")
    if ncbi_counts:
        parts.append(f'"{NCBI_COUNTS_FILTER}"[Filter]')
    if entry_type is not None:
        if entry_type.lower() not in ENTRY_TYPES:
            raise QueryError(
                f"entry_type must be one of {', '.join(ENTRY_TYPES)} or None, got {entry_type!r}."
            )
        parts.append(f"{entry_type.lower()}[ETYP]")
    if not parts:
        raise QueryError("Nothing to search for: give a query or at least one filter.")
    return " AND ".join(parts)


def _split(text: str, sep: str) -> list[str]:
    return [part.strip() for part in text.split(sep) if part.strip()]


def docsum_row(docsum: dict[str, Any], ftp_url: str) -> dict[str, Any]:
    """One esummary document summary -> one row of the search DataFrame."""
    sra = next(
        (
            r.get("targetobject")
            for r in docsum.get("extrelations") or []
            if str(r.get("relationtype", "")).upper() == "SRA"
        ),
        None,
    )
    try:
        published = dt.datetime.strptime(str(docsum.get("pdat") or ""), "%Y/%m/%d").date()
    except ValueError:
        published = None
    n_samples = str(docsum.get("n_samples") or "")
    ftplink = str(docsum.get("ftplink") or "")
    return {
        "accession": docsum.get("accession", ""),
        "title": docsum.get("title", ""),
        "summary": docsum.get("summary", ""),
        "organism": _split(str(docsum.get("taxon") or ""), ";"),
        "study_type": _split(str(docsum.get("gdstype") or ""), ";"),
        "platforms": [f"GPL{p}" for p in _split(str(docsum.get("gpl") or ""), ";")],
        "n_samples": int(n_samples) if n_samples.isdigit() else None,
        "published": published,
        "supplementary_types": _split(str(docsum.get("suppfile") or ""), ","),
        "sra_study": sra or None,
        "pubmed_ids": [str(p) for p in docsum.get("pubmedids") or []],
        "bioproject": docsum.get("bioproject") or None,
        "ftp_url": rewrite_url(ftplink, ftp_url) if ftplink else None,
        "entry_type": str(docsum.get("entrytype") or "").upper() or None,
    }


async def eutils_text(http: HttpClient, endpoint: str, params: dict[str, str]) -> str:
    """POST one E-utilities request (shared limiter, retries); return the answer's text.

    An HTTP error status is a :class:`~geo_nb.errors.QueryError` quoting the answer.
    """
    url = f"{http.settings.eutils_url}/{endpoint}"
    # A form POST keeps the API key out of every URL (and so out of httpx's own log
    # lines and exception texts), and long terms cannot overflow a URL.
    response = await http.request(Service.EUTILS, "POST", url, data=http.eutils_params(params))
    text = response.text
    if response.status_code >= 400:
        shown = redact(" ".join(text.split()), [http.settings.api_key_value])[:200]
        raise QueryError(f"E-utilities {endpoint} answered HTTP {response.status_code}: {shown}")
    return text


async def eutils_json(http: HttpClient, endpoint: str, params: dict[str, str]) -> dict[str, Any]:
    """:func:`eutils_text` for a ``retmode=json`` answer: the parsed JSON object.

    Anything that is not a JSON object (an error or bot-challenge page) is an
    :class:`~geo_nb.errors.UnexpectedResponseError`.
    """
    text = await eutils_text(http, endpoint, params)
    try:
        payload = json.loads(text)
    except json.JSONDecodeError:
        kind = "an HTML page" if text.lstrip()[:1] == "<" else "something that is not JSON"
        raise UnexpectedResponseError(
            f"E-utilities {endpoint} answered with {kind} instead of JSON "
            "(an error or bot-challenge page). Try again in a few minutes."
        ) from None
    if not isinstance(payload, dict):
        raise UnexpectedResponseError(f"E-utilities {endpoint} answered with unexpected JSON.")
    return payload


async def _esearch(http: HttpClient, term: str) -> dict[str, Any]:
    payload = await eutils_json(
        http,
        "esearch.fcgi",
        {
            "db": "gds",
            "term": term,
            "retmode": "json",
            "usehistory": "y",
            "retmax": "0",
        },
    )
    result = payload.get("esearchresult")
    if not isinstance(result, dict):
        raise UnexpectedResponseError("E-utilities esearch answered without an esearchresult.")
    if result.get("ERROR"):
        raise QueryError(f"NCBI rejected the search {term!r}: {result['ERROR']}")
    return result


def _warnings(result: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for section in ("errorlist", "warninglist"):
        for name, values in (result.get(section) or {}).items():
            for value in values or []:
                found.append(f"{name}: {value}")
    return found


async def run_search(
    http: HttpClient, term: str, *, max_results: int | None, reporter: ProgressReporter
) -> pd.DataFrame:
    """Search ``db=gds`` and return one row per hit (at most ``max_results``)."""
    if max_results is not None and max_results < 0:
        raise QueryError(f"max_results must be >= 0 or None, got {max_results!r}.")
    result = await _esearch(http, term)
    count = int(result.get("count") or 0)
    wanted = count if max_results is None else min(count, max_results)
    reporter.total = wanted
    reporter.start()
    history = {
        "query_key": str(result.get("querykey", "")),
        "WebEnv": str(result.get("webenv", "")),
    }

    async def page(start: int) -> list[dict[str, Any]]:
        size = min(PAGE_SIZE, wanted - start)
        payload = await eutils_json(
            http,
            "esummary.fcgi",
            {
                "db": "gds",
                "retmode": "json",
                "retstart": str(start),
                "retmax": str(size),
                **history,
            },
        )
        body = payload.get("result")
        if not isinstance(body, dict):
            message = payload.get("error") or payload.get("esummaryresult") or "no result"
            raise UnexpectedResponseError(f"E-utilities esummary failed: {message}")
        docs = [body[uid] for uid in body.get("uids", []) if isinstance(body.get(uid), dict)]
        reporter.advance(count=len(docs))
        return [d for d in docs if "error" not in d]

    try:
        pages = await gather_or_cancel(page(s) for s in range(0, wanted, PAGE_SIZE))
    finally:
        reporter.finish()
    rows = [docsum_row(d, http.settings.ftp_url) for docs in pages for d in docs]
    frame = make_frame(rows, SEARCH_COLUMNS)
    translation = str(result.get("querytranslation", ""))
    dropped = dropped_warning(term, translation)
    frame.attrs.update(
        query_translation=translation,
        count=count,
        term=term,
        warnings=([dropped] if dropped else []) + _warnings(result),
    )
    return frame
