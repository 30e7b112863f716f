"""NCBI's run info for SRA studies and experiments, in batches.

A GEO series names its SRA study (``SRP...``) and each sample its SRA
experiment (``SRX...``). Their runs are asked for in bulk, never one request
per sample: ``esearch db=sra`` with up to 200 accessions OR'ed per request
(``usehistory=y``, every batch in one WebEnv), one more ``esearch`` joining the
batches' query keys (``#1 OR #2``) when there are several, then ``efetch
rettype=runinfo`` from the history: ``ceil(n/200) + 2`` E-utilities requests
at most for up to 10,000 experiments, paced by the shared E-utilities limiter.
The run info is CSV, read with the :mod:`csv` module (quoted fields hold commas,
and the body ends with a blank line); column names are matched loosely, so the
older layout (``Subject ID``, no ``LoadDate``) reads the same.

Example:
    >>> text = "Run,Experiment,SRAStudy,spots,LibraryLayout\\nSRR1,SRX1,SRP1,12,PAIRED\\n\\n"
    >>> [(r.run, r.experiment, r.spots) for r in parse_runinfo(text)]
    [('SRR1', 'SRX1', 12)]
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..errors import ParseError, QueryError, UnexpectedResponseError
from .cache import DiskCache, cache_key
from .eutils import eutils_json, eutils_text
from .http import HttpClient

__all__ = ["BATCH", "RunInfo", "fetch_run_info", "parse_runinfo", "terms"]

BATCH = 200
PAGE = 10_000
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%b %d, %Y", "%b %d, %Y %H:%M:%S")


@dataclass(frozen=True)
class RunInfo:
    """The facts geo_nb keeps from one row of NCBI's run info."""

    run: str
    experiment: str
    study: str = ""
    bioproject: str = ""
    sample: str = ""
    biosample: str = ""
    sample_name: str = ""
    library_layout: str = ""
    library_strategy: str = ""
    library_source: str = ""
    instrument: str = ""
    spots: int | None = None
    bases: int | None = None
    size_mb: int | None = None
    download_path: str = ""
    released: dt.datetime | None = None


def _key(name: str) -> str:
    return re.sub(r"[\s_]", "", name).lower()


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _date(text: str) -> dt.datetime | None:
    text = text.strip()
    if text[:1].isdigit():
        try:  # today's "2014-01-02 09:16:11", quickly
            return dt.datetime.fromisoformat(text)
        except ValueError:
            pass
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None


def _row(cells: dict[str, str]) -> RunInfo | None:
    def get(name: str) -> str:
        return cells.get(name, "").strip()

    if not get("run") or not get("experiment"):
        return None
    return RunInfo(
        run=get("run"),
        experiment=get("experiment"),
        study=get("srastudy"),
        bioproject=get("bioproject") if get("bioproject").startswith("PRJ") else "",
        sample=get("sample"),
        biosample=get("biosample"),
        sample_name=get("samplename"),
        library_layout=get("librarylayout").upper(),
        library_strategy=get("librarystrategy"),
        library_source=get("librarysource"),
        instrument=get("model"),
        spots=_int(get("spots")),
        bases=_int(get("bases")),
        size_mb=_int(get("sizemb")),
        download_path=get("downloadpath"),
        released=_date(get("releasedate")),
    )


def parse_runinfo(text: str, *, source: str = "run info") -> list[RunInfo]:
    """Rows of a run info CSV (any header vintage); blank lines are skipped.

    Raises :class:`~geo_nb.errors.UnexpectedResponseError` for an HTML or XML
    page (an error or challenge page) and :class:`~geo_nb.errors.ParseError`
    for text without a ``Run`` and an ``Experiment`` column.
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        return []
    if text.lstrip().startswith("<"):
        raise UnexpectedResponseError(
            f"{source}: NCBI answered with an HTML or XML page instead of run info "
            f"({' '.join(text.split())[:80]}...). Try again in a few minutes."
        )
    try:  # newline=None: lines may end in \n, \r\n or a bare \r
        reader = csv.reader(io.StringIO(text, newline=None))
        rows = [cells for cells in reader if any(c.strip() for c in cells)]
    except csv.Error as exc:
        raise ParseError(f"{source}: NCBI's run info is not readable CSV ({exc}).") from exc
    if not rows:
        return []  # only empty cells: no runs
    header = [_key(name) for name in rows[0]]
    if "run" not in header or "experiment" not in header:
        raise ParseError(
            f"{source}: NCBI's answer is not run info (no Run and Experiment columns; it "
            f"starts {text.strip()[:60]!r})."
        )
    found = (_row(dict(zip(header, cells, strict=False))) for cells in rows[1:])
    return [run for run in found if run is not None and run.run != "Run"]


def terms(accessions: Sequence[str]) -> list[str]:
    """The esearch terms for ``accessions``: up to :data:`BATCH` ``ACC[accn]`` OR'ed in each.

    Example:
        >>> terms(["SRP1", "SRX2"])
        ['SRP1[accn] OR SRX2[accn]']
    """
    unique = list(dict.fromkeys(a.strip().upper() for a in accessions if a.strip()))
    return [
        " OR ".join(f"{a}[accn]" for a in unique[i : i + BATCH])
        for i in range(0, len(unique), BATCH)
    ]


async def _esearch(http: HttpClient, term: str, webenv: str) -> tuple[int, str, str]:
    """(count, query key, WebEnv) of one ``esearch db=sra`` kept in the history."""
    params = {"db": "sra", "term": term, "retmode": "json", "usehistory": "y", "retmax": "0"}
    if webenv:
        params["WebEnv"] = webenv
    payload: dict[str, Any] = await eutils_json(http, "esearch.fcgi", params)
    result = payload.get("esearchresult")
    if not isinstance(result, dict):
        raise UnexpectedResponseError("E-utilities esearch db=sra answered without a result.")
    if result.get("ERROR"):
        raise QueryError(f"NCBI rejected the SRA search: {result['ERROR']}")
    count = str(result.get("count", "0"))
    return (
        int(count) if count.isdigit() else 0,
        str(result.get("querykey", "")),
        str(result.get("webenv", webenv)),
    )


async def fetch_run_info(
    http: HttpClient,
    cache: DiskCache | None,
    accessions: Sequence[str],
    *,
    refresh: bool = False,
) -> list[RunInfo]:
    """The runs of every SRA study or experiment in ``accessions`` (see the module doc).

    The run info of the whole set is cached on disk under the sorted accessions.
    """
    batches = terms(accessions)
    if not batches:
        return []
    key = cache_key("sra-runinfo", http.settings.eutils_url, {"terms": json.dumps(batches)})
    source = f"run info of {len(accessions)} SRA accession(s)"
    entry = None if refresh or cache is None else cache.read(key)
    if entry is not None:
        return parse_runinfo(entry[0].decode("utf-8"), source=source)
    webenv, keys, total = "", [], 0
    for term in batches:  # one after the other: each joins the WebEnv of the first
        count, query_key, webenv = await _esearch(http, term, webenv)
        if count:
            keys.append(query_key)
            total = count
    if not keys:
        body = ""
    else:
        if len(keys) > 1:
            total, query_key, webenv = await _esearch(
                http, " OR ".join(f"#{k}" for k in keys), webenv
            )
        else:
            query_key = keys[0]
        pages = []
        for start in range(0, total, PAGE):
            pages.append(
                await eutils_text(
                    http,
                    "efetch.fcgi",
                    {
                        "db": "sra",
                        "rettype": "runinfo",
                        "retmode": "text",
                        "query_key": query_key,
                        "WebEnv": webenv,
                        "retstart": str(start),
                        "retmax": str(PAGE),
                    },
                )
            )
        # Later pages repeat the header line, which the parser skips as a row.
        body = "".join(pages)
    runs = parse_runinfo(body, source=source)
    if cache is not None:
        url = f"{http.settings.eutils_url}/efetch.fcgi?db=sra&rettype=runinfo"
        cache.put(key, body.encode("utf-8"), url=url, fetched_at=time.time())
    return runs
