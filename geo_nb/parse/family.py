"""Records read from GEO's FTP tree, completed to match what acc.cgi answers.

A family SOFT (``soft/GSEx_family.soft.gz``) holds the series, its platforms and its
samples as acc.cgi shows them, with one difference: its ``^SERIES`` block has no
``!Series_platform_organism`` / ``!Series_sample_organism`` lines (only their
``_taxid`` twins; the real GSE211781 and Gemma family files show it), and neither
has a series matrix. :func:`complete_series` fills them from the samples and
platforms that came along, so a series read from the FTP tree has the same
``organism`` as one read from acc.cgi.

Example:
    >>> from geo_nb.parse.soft import parse_soft
    >>> family = parse_soft(
    ...     "^SERIES = GSE1\\n!Series_sample_id = GSM1\\n"
    ...     "^SAMPLE = GSM1\\n!Sample_organism_ch1 = Homo sapiens\\n"
    ... )
    >>> complete_series(family)[0].attributes["sample_organism"]
    ['Homo sapiens']
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .soft import SoftEntity

__all__ = ["complete_series", "family_entities"]

# Records of 2001-2002 name one organism for all channels, without a channel suffix.
_ORGANISM = re.compile(r"^organism(?:_ch\d{1,2})?$")
RECORD_KINDS = frozenset({"SERIES", "SAMPLE", "PLATFORM"})


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def complete_series(entities: list[SoftEntity]) -> list[SoftEntity]:
    """Give each ``SERIES`` without organism lines the organisms of its samples and
    platforms among ``entities`` (in order of appearance); returns ``entities``.

    A series that lists none of the samples or platforms present keeps no organism,
    as acc.cgi would show none for it either.
    """
    samples = {e.accession: e for e in entities if e.kind == "SAMPLE"}
    platforms = {e.accession: e for e in entities if e.kind == "PLATFORM"}
    for series in entities:
        attributes = series.attributes
        if series.kind != "SERIES" or "sample_organism" in attributes:
            continue
        if "platform_organism" in attributes:
            continue
        mine = [samples[a] for a in series.values("sample_id") if a in samples]
        organisms = _distinct(
            value
            for sample in mine
            for label, values in sample.attributes.items()
            if _ORGANISM.match(label)
            for value in values
        )
        on_platforms = _distinct(
            value
            for accession in series.values("platform_id")
            if accession in platforms
            for value in platforms[accession].values("organism")
        )
        if on_platforms:
            attributes["platform_organism"] = on_platforms
        if organisms:
            attributes["sample_organism"] = organisms
    return entities


def family_entities(entities: Iterable[SoftEntity]) -> list[SoftEntity]:
    """The series, platforms and samples of a family SOFT, completed (see
    :func:`complete_series`); ``^DATABASE`` and other blocks are dropped."""
    return complete_series([e for e in entities if e.kind in RECORD_KINDS])
