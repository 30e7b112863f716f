"""GEO accession syntax: validation, normalisation and FTP locations.

Example:
    >>> from geo_nb.accessions import normalize_accessions, ftp_dir
    >>> normalize_accessions([" gse1563", "GSM11805", "GSE1563"])
    ['GSE1563', 'GSM11805']
    >>> ftp_dir("GSE1563")
    'series/GSE1nnn/GSE1563'
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from .errors import InvalidAccessionError

__all__ = [
    "FETCHABLE_PREFIXES",
    "accession_prefix",
    "bucket",
    "ftp_dir",
    "is_accession",
    "normalize_accessions",
]

Prefix = Literal["GSE", "GSM", "GPL", "GDS"]
FETCHABLE_PREFIXES: tuple[Prefix, ...] = ("GSE", "GSM", "GPL")

_ACCESSION = re.compile(r"(GSE|GSM|GPL|GDS)([1-9][0-9]{0,9})")
_FOLDER = {"GSE": "series", "GSM": "samples", "GPL": "platforms", "GDS": "datasets"}


def is_accession(text: str) -> bool:
    """True if ``text`` is a syntactically valid GEO accession (GSE, GSM, GPL or GDS)."""
    return _ACCESSION.fullmatch(text) is not None


def accession_prefix(accession: str) -> Prefix:
    """The three-letter type of a valid accession (``"GSE"``, ``"GSM"``, ...)."""
    match = _ACCESSION.fullmatch(accession)
    if match is None:
        raise InvalidAccessionError([accession])
    prefix: Prefix = match.group(1)  # type: ignore[assignment]
    return prefix


def bucket(accession: str) -> str:
    """The FTP bucket folder: the accession with its last three digits as ``nnn``.

    Example:
        >>> bucket("GSE567"), bucket("GSE1563"), bucket("GSM4391896")
        ('GSEnnn', 'GSE1nnn', 'GSM4391nnn')
    """
    prefix = accession_prefix(accession)
    digits = accession[3:]
    return f"{prefix}{digits[:-3]}nnn"


def ftp_dir(accession: str) -> str:
    """The record's folder below the GEO FTP root, e.g. ``series/GSE1nnn/GSE1563``."""
    return f"{_FOLDER[accession_prefix(accession)]}/{bucket(accession)}/{accession}"


def normalize_accessions(
    accessions: str | Iterable[str], *, allowed: tuple[str, ...] = FETCHABLE_PREFIXES
) -> list[str]:
    """Validate accessions and return them upper-cased, stripped and de-duplicated.

    Accepts one string or any iterable of strings (a list, a pandas Series...).
    Raises :class:`InvalidAccessionError` naming every bad entry, before any
    request is made.
    """
    items = [accessions] if isinstance(accessions, str) else list(accessions)
    seen: dict[str, None] = {}
    bad: list[str] = []
    wrong_type: list[str] = []
    for item in items:
        if not isinstance(item, str):
            bad.append(repr(item))
            continue
        candidate = item.strip().upper()
        match = _ACCESSION.fullmatch(candidate)
        if match is None:
            bad.append(item)
        elif match.group(1) not in allowed:
            wrong_type.append(item)
        else:
            seen.setdefault(candidate, None)
    if bad:
        raise InvalidAccessionError(bad)
    if wrong_type:
        raise InvalidAccessionError(
            wrong_type,
            f"Only {', '.join(allowed)} accessions can be used here; "
            "for a GEO DataSet (GDS), use the series (GSE) it was built from",
        )
    if not seen:
        raise InvalidAccessionError([], "No accessions were given")
    return list(seen)
