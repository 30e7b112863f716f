"""A methods-section paragraph for the data of a result: what, from where, when.

GEO asks users to cite the series accessions and the submitters' publications
(https://www.ncbi.nlm.nih.gov/geo/info/citations.html) and the GEO database
paper. The paragraph names every fetched series (and samples fetched alone),
each series' PubMed articles (full references when fetched with
``publications=True``, else the PMIDs the series lists), the SRA studies and
run count when runs were fetched, the retrieval date(s) and the geo_nb version.
It is plain text: paste it, then edit it.

Example:
    >>> from geo_nb.records import GEORecords, Series
    >>> records = GEORecords(series=[Series(accession="GSE1", title="t", pubmed_ids=["11"])],
    ...                      fetched_at={"GSE1": 1764547200.0})
    >>> print(citation_text(records, version="1.0"))  # doctest: +NORMALIZE_WHITESPACE
    Data were obtained from NCBI's Gene Expression Omnibus (GEO; Barrett et al., Nucleic
    Acids Res 2013, PMID 23193258) under accession GSE1 (PMID 11). The records were
    retrieved from GEO on 2025-12-01 with geo_nb 1.0.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable

from .records import GEORecords, Publication

__all__ = ["GEO_REFERENCE", "citation_text"]

#: The GEO database paper GEO asks users to cite.
GEO_REFERENCE = "Barrett et al., Nucleic Acids Res 2013, PMID 23193258"


def _join(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + ", and " + items[-1]


def _reference(article: Publication) -> str:
    author = article.first_author.split(" ")[0] if article.first_author else ""
    parts = [f"{author} et al." if author else "", article.journal, str(article.year or "")]
    head = ", ".join(p for p in parts[:2] if p)
    head = f"{head} {parts[2]}".strip()
    tail = f"PMID {article.pmid}" + (f", doi:{article.doi}" if article.doi else "")
    return f"{head}, {tail}" if head else tail


def _dates(stamps: Iterable[float]) -> str:
    days = sorted({dt.datetime.fromtimestamp(s, dt.UTC).date().isoformat() for s in stamps})
    if not days:
        return dt.datetime.fromtimestamp(time.time(), dt.UTC).date().isoformat()
    return days[0] if len(days) == 1 else f"between {days[0]} and {days[-1]}"


def citation_text(records: GEORecords, *, version: str) -> str:
    """The paragraph for ``records`` (see the module documentation).

    Raises ValueError when ``records`` holds no record to cite.
    """
    articles = {a.pmid: a for a in records.publications}
    cited: list[str] = []
    for series in records.series:
        refs = [
            _reference(articles[p]) if p in articles else f"PMID {p}" for p in series.pubmed_ids
        ]
        cited.append(f"{series.accession} ({'; '.join(refs)})" if refs else series.accession)
    in_series = {s for series in records.series for s in series.sample_ids}
    alone = [s.accession for s in records.samples if s.accession not in in_series]
    alone = [a for a in alone if a in records.requested]
    cited += alone
    if not cited:
        raise ValueError("there is nothing to cite: the result holds no series or samples.")
    noun = "accession" if len(cited) == 1 else "accessions"
    text = (
        f"Data were obtained from NCBI's Gene Expression Omnibus (GEO; {GEO_REFERENCE}) "
        f"under {noun} {_join(cited)}."
    )
    if records.runs:
        studies = sorted({r.study for r in records.runs if r.study})
        where = f" (SRA {'studies' if len(studies) > 1 else 'study'} {_join(studies)})"
        text += (
            f" Raw reads of {len(records.runs)} sequencing runs were taken from the Sequence "
            f"Read Archive{where if studies else ''} and ENA."
        )
    stamps = [records.fetched_at[a] for a in records.requested if a in records.fetched_at]
    stamps = stamps or list(records.fetched_at.values())
    text += f" The records were retrieved from GEO on {_dates(stamps)} with geo_nb {version}."
    return text
