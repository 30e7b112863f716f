"""Checking NCBI's query translation: which field tags it silently dropped.

NCBI silently drops a term whose field tag it does not know
(``foo[NOTAFIELD]``), which widens the search. :func:`dropped_tags` compares
the field tags of the term geo_nb sent with those in the translation NCBI
applied, knowing that NCBI writes ``[ORGN]`` back as ``[Organism]``;
:func:`dropped_warning` says it in a sentence for ``hits.attrs["warnings"]``.

Example:
    >>> dropped_tags('(x AND foo[NOTAFIELD]) AND "Homo sapiens"[ORGN]',
    ...              'x[All Fields] AND "Homo sapiens"[Organism]')
    ['NOTAFIELD']
"""

from __future__ import annotations

import re

__all__ = ["FIELD_NAMES", "dropped_tags", "dropped_warning"]

# Entrez field tags of db=gds and the names NCBI writes in translations.
FIELD_NAMES: dict[str, str] = {
    "ALL": "All Fields",
    "ACCN": "GEO Accession",
    "AUTH": "Author",
    "DESC": "Description",
    "ETYP": "Entry Type",
    "FILT": "Filter",
    "GTYP": "DataSet Type",
    "MESH": "MeSH Terms",
    "NSAM": "Number of Samples",
    "ORGN": "Organism",
    "PDAT": "Publication Date",
    "PTYP": "Platform Technology Type",
    "SFIL": "Supplementary Files",
    "SSTP": "Subset Variable Type",
    "TITL": "Title",
    "UID": "UID",
    "VTYP": "Value Type",
}
_TAG = re.compile(r"\[([^\[\]]+)\]")


def _canonical(tag: str) -> str:
    tag = " ".join(tag.split()).lower()
    for short, name in FIELD_NAMES.items():
        if tag in (short.lower(), name.lower()):
            return name.lower()
    return tag


def dropped_tags(term: str, translation: str) -> list[str]:
    """Field tags of ``term`` that the ``translation`` no longer contains, in order.

    Tags are compared case-insensitively, short tags (``ORGN``) as their full
    names (``Organism``).
    """
    kept = {_canonical(t) for t in _TAG.findall(translation)}
    dropped: list[str] = []
    for tag in _TAG.findall(term):
        if _canonical(tag) not in kept and tag.strip() not in dropped:
            dropped.append(tag.strip())
    return dropped


def dropped_warning(term: str, translation: str) -> str | None:
    """A warning naming the field tags NCBI dropped, or None when it kept them all."""
    if term and not translation:
        return "NCBI sent no translation of the query; check the term."
    dropped = dropped_tags(term, translation)
    if not dropped:
        return None
    tags = ", ".join(f"[{t}]" for t in dropped)
    return (
        f"NCBI dropped the term(s) tagged {tags}: it does not know that field, so the "
        "search is wider than asked. Check the query translation."
    )
