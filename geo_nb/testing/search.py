"""Evaluating parsed Entrez terms against docsums.

Field semantics (all comparisons case-insensitive): ACCN accession equals (a
GSE also finds the GSM docsums that list it in ``gse``); ETYP entry type
equals; ORGN equals one of the ``taxon`` names; GTYP substring of ``gdstype``;
PDAT date range (``2020`` and ``2020/06`` mean the whole year/month); NSAM
``n_samples`` range; SFIL one of the ``suppfile`` types; TITL/DESC substring of
title/summary; FILT one of the filters the series answers to (``"rnaseq counts"`` when
NCBI computed counts for it, ``"gds sra"`` when it links SRA data); ALL substring of
accession, title, summary, taxon and gdstype.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .query import BinOp, Leaf, Node, Range

__all__ = ["SearchDoc", "count", "evaluate"]

Date = tuple[int, int, int]
_DATE = re.compile(r"(\d{4})(?:[/.-](\d{1,2}))?(?:[/.-](\d{1,2}))?")


@dataclass(frozen=True)
class SearchDoc:
    """The searchable fields of one docsum, pre-normalised."""

    uid: int
    accession: str
    entrytype: str
    taxa: frozenset[str]
    gdstype: str
    pdat: Date | None
    n_samples: int | None
    suppfiles: frozenset[str]
    series: frozenset[str]
    title: str
    summary: str
    all_fields: str
    filters: frozenset[str] = frozenset()

    @classmethod
    def from_docsum(cls, doc: dict[str, Any], filters: frozenset[str] | None = None) -> SearchDoc:
        """Index one docsum; ``filters`` are the ``[Filter]`` values it answers to."""
        taxon = str(doc.get("taxon", ""))
        n_samples = doc.get("n_samples")
        parts = [doc.get(k, "") for k in ("accession", "title", "summary", "taxon", "gdstype")]
        return cls(
            uid=int(doc["uid"]),
            accession=str(doc.get("accession", "")).upper(),
            entrytype=str(doc.get("entrytype", "")).lower(),
            taxa=frozenset(t.strip().lower() for t in taxon.split(";") if t.strip()),
            gdstype=str(doc.get("gdstype", "")).lower(),
            pdat=_bounds(str(doc.get("pdat", "")))[0],
            n_samples=n_samples if isinstance(n_samples, int) else _int(str(n_samples)),
            suppfiles=frozenset(
                s.strip().lower() for s in str(doc.get("suppfile", "")).split(",") if s.strip()
            ),
            series=frozenset(s.strip() for s in str(doc.get("gse", "")).split(";") if s.strip()),
            title=str(doc.get("title", "")).lower(),
            summary=str(doc.get("summary", "")).lower(),
            all_fields="\n".join(str(p) for p in parts).lower(),
            filters=frozenset(f.lower() for f in filters or ()) | _sra_filter(doc),
        )


def _sra_filter(doc: dict[str, Any]) -> frozenset[str]:
    """``"gds sra"``: the series links SRA data (an ``SRA`` extrelation)."""
    relations = doc.get("extrelations") or []
    linked = any(str(r.get("relationtype", "")).upper() == "SRA" for r in relations)
    return frozenset({"gds sra"}) if linked else frozenset()


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _bounds(text: str) -> tuple[Date | None, Date | None]:
    """First and last day of a (partial) date: ``2020/06`` -> 2020-06-01 .. 2020-06-30."""
    match = _DATE.fullmatch(text.strip())
    if match is None:
        return None, None
    year = int(match.group(1))
    if match.group(2) is None:
        return (year, 1, 1), (year, 12, 31)
    month = int(match.group(2))
    if not 1 <= month <= 12:
        return None, None
    if match.group(3) is None:
        return (year, month, 1), (year, month, calendar.monthrange(year, month)[1])
    day = (year, month, int(match.group(3)))
    return day, day


def _leaf_matches(leaf: Leaf, doc: SearchDoc) -> bool:
    value = leaf.text.lower().rstrip("*")
    field = leaf.field
    if field == "ACCN":
        upper = value.upper()
        if doc.accession == upper:
            return True
        return upper.startswith("GSE") and doc.entrytype == "gsm" and upper[3:] in doc.series
    if field == "ETYP":
        return doc.entrytype == value
    if field == "ORGN":
        return value in doc.taxa
    if field == "GTYP":
        return value in doc.gdstype
    if field == "SFIL":
        return value in doc.suppfiles
    if field == "FILT":
        return value in doc.filters
    if field == "TITL":
        return value in doc.title
    if field == "DESC":
        return value in doc.summary
    if field in ("PDAT", "NSAM"):
        return _range_matches(Range(leaf.text, leaf.text, field), doc)
    return value in doc.all_fields


def _range_matches(node: Range, doc: SearchDoc) -> bool:
    if node.field == "NSAM":
        lo, hi = _int(node.lo), _int(node.hi)
        if doc.n_samples is None or lo is None or hi is None:
            return False
        return lo <= doc.n_samples <= hi
    start, end = _bounds(node.lo)[0], _bounds(node.hi)[1]
    if doc.pdat is None or start is None or end is None:
        return False
    return start <= doc.pdat <= end


def matches(node: Leaf | Range, doc: SearchDoc) -> bool:
    """Whether a single term matches a document."""
    if isinstance(node, Range):
        return _range_matches(node, doc)
    return _leaf_matches(node, doc)


def evaluate(node: Node, docs: Sequence[SearchDoc]) -> set[int]:
    """UIDs of the documents matching ``node``."""
    if isinstance(node, BinOp):
        left = evaluate(node.left, docs)
        right = evaluate(node.right, docs)
        if node.op == "AND":
            return left & right
        if node.op == "OR":
            return left | right
        return left - right
    return {doc.uid for doc in docs if matches(node, doc)}


def count(node: Leaf | Range, docs: Sequence[SearchDoc]) -> int:
    """How many documents one term matches (for the translation stack)."""
    return sum(1 for doc in docs if matches(node, doc))
