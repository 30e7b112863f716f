"""A series matrix's header as SOFT entities: the metadata of a series without acc.cgi.

The header of ``GSEx[-GPLy]_series_matrix.txt.gz`` (everything before
``!series_matrix_table_begin``) holds the series' ``!Series_*`` lines and one
``!Sample_*`` line per sample field, with one column per sample (characteristics,
relations and supplementary files included): what acc.cgi's ``targ=all&view=brief``
gives, laid out by field instead of by record. :func:`matrix_entities` turns it into
the ``SERIES`` and ``SAMPLE`` entities acc.cgi's answer parses to, so the converter
and everything after it cannot tell the sources apart.

Where the layouts differ: the matrix writes ``!Series_sample_id`` as one
space-separated value, pads a sample's missing repeats of a field (a third
characteristic the other samples have) with ``""``, has no ``!Sample_series_id``
(the matrix's series is used) and no organism lines for the series (see
:func:`geo_nb.parse.family.complete_series`). A multi-platform series has one matrix
per platform; :func:`merge_matrices` joins their entities.

Example:
    >>> lines = [
    ...     '!Series_geo_accession\\t"GSE1"',
    ...     '!Series_sample_id\\t"GSM1 GSM2 "',
    ...     '!Sample_geo_accession\\t"GSM1"\\t"GSM2"',
    ...     '!Sample_characteristics_ch1\\t"cell type: T"\\t""',
    ...     "!series_matrix_table_begin",
    ... ]
    >>> series, first, second = matrix_entities(lines)
    >>> series.attributes["sample_id"], first.attributes["characteristics_ch1"]
    (['GSM1', 'GSM2'], ['cell type: T'])
    >>> "characteristics_ch1" in second.attributes, second.attributes["series_id"]
    (False, ['GSE1'])
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from ..errors import ParseError
from .matrix import _read_header
from .soft import SoftEntity, decode_lines

__all__ = ["MERGED_LABELS", "matrix_entities", "merge_matrices", "parse_matrix_header"]

#: Series labels whose values are joined across the matrices of a multi-platform series.
MERGED_LABELS = frozenset(
    {
        "platform_id",
        "platform_taxid",
        "platform_organism",
        "sample_id",
        "sample_taxid",
        "sample_organism",
        "relation",
        "supplementary_file",
    }
)


def matrix_entities(lines: Iterable[str], *, source: str = "series matrix") -> list[SoftEntity]:
    """The ``SERIES`` entity and one ``SAMPLE`` entity per column of a matrix header.

    Reading stops at ``!series_matrix_table_begin`` (a header alone is enough).
    Raises :class:`~geo_nb.errors.ParseError` when the lines are not a series
    matrix: no series or sample accession, blank or repeated sample accessions, or
    a field with more values than there are samples.
    """
    series_lines, rows, first, _ = _read_header(iter(lines))
    accession = next((v.strip() for v in series_lines.get("geo_accession", []) if v.strip()), "")
    if not accession:
        raise ParseError(
            f"{source}: not a GEO series matrix (no !Series_geo_accession line; "
            f"it starts with {first[:60]!r})"
        )
    attributes: dict[str, list[str]] = {}
    for label, values in series_lines.items():
        stripped = [v.strip() for v in values]
        if label == "sample_id":
            stripped = [a for value in stripped for a in value.split()]
        attributes[label] = stripped
    series = SoftEntity("SERIES", accession, attributes)
    return [series, *_samples(rows, accession, source)]


def _samples(rows: list[tuple[str, list[str]]], series: str, source: str) -> list[SoftEntity]:
    names = next((values for label, values in rows if label == "geo_accession"), None)
    if names is None:
        if rows:
            raise ParseError(f"{source}: !Sample_ lines without a !Sample_geo_accession line")
        return []
    accessions = [a.strip() for a in names]
    while accessions and not accessions[-1]:
        accessions.pop()
    n = len(accessions)
    if not all(accessions) or len(set(accessions)) != n:
        raise ParseError(f"{source}: !Sample_geo_accession lists blank or repeated accessions")
    samples = [SoftEntity("SAMPLE", a) for a in accessions]
    for label, values in rows:
        values = [v.strip() for v in values]
        if any(values[n:]):
            raise ParseError(f"{source}: !Sample_{label} has {len(values)} values for {n} samples")
        for sample, value in zip(samples, values, strict=False):
            if value:
                sample.attributes.setdefault(label, []).append(value)
    for sample in samples:
        sample.attributes.setdefault("series_id", [series])
    return samples


def parse_matrix_header(raw: bytes, *, source: str = "series matrix") -> list[SoftEntity]:
    """:func:`matrix_entities` of a header given as bytes (UTF-8, or cp1252 for old files)."""
    return matrix_entities(decode_lines(io.BytesIO(raw)), source=source)


def merge_matrices(parts: Sequence[list[SoftEntity]]) -> list[SoftEntity]:
    """The entities of a multi-platform series' matrices as one answer.

    The first matrix's series entity is kept; the values of :data:`MERGED_LABELS`
    found in the others are appended (each value once). Samples keep their order,
    each once.
    """
    if not parts:
        return []
    first = parts[0]
    series = next(e for e in first if e.kind == "SERIES")
    merged = SoftEntity(
        "SERIES", series.accession, {k: list(v) for k, v in series.attributes.items()}
    )
    samples: dict[str, SoftEntity] = {}
    for part in parts:
        for entity in part:
            if entity.kind == "SAMPLE":
                samples.setdefault(entity.accession, entity)
            elif entity.kind == "SERIES" and entity is not series:
                for label in MERGED_LABELS & entity.attributes.keys():
                    have = merged.attributes.setdefault(label, [])
                    have += [v for v in entity.attributes[label] if v not in have]
    return [merged, *samples.values()]
