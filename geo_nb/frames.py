"""Records -> pandas DataFrames with proper dtypes.

Counts are ``Int64`` (missing stays NA), dates ``datetime64``, lists stay
Python lists, text columns use pandas' string dtype. Every frame has its
columns in a fixed order even when it has no rows, so code written against a
full result also runs against an empty one.

Example:
    >>> from geo_nb.frames import make_frame
    >>> df = make_frame([{"accession": "GSE1", "n_samples": 3}],
    ...                 {"accession": "str", "n_samples": "int", "published": "date"})
    >>> [str(t) for t in df.dtypes]
    ['string', 'Int64', 'datetime64[ns]']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

import pandas as pd

from ._gcpause import paused_gc
from .records import GEORecords, Platform, Sample, Series, SupplementaryFile

__all__ = [
    "ERROR_COLUMNS",
    "FILE_COLUMNS",
    "PLATFORM_COLUMNS",
    "SAMPLE_COLUMNS",
    "SERIES_COLUMNS",
    "errors_frame",
    "file_rows",
    "files_frame",
    "make_frame",
    "platforms_frame",
    "samples_frame",
    "series_frame",
]

ColumnKind = Literal["str", "int", "date", "list", "bool"]

SERIES_COLUMNS: dict[str, ColumnKind] = {
    "accession": "str",
    "title": "str",
    "summary": "str",
    "overall_design": "str",
    "study_type": "list",
    "organism": "list",
    "platforms": "list",
    "n_samples": "int",
    "submitted": "date",
    "last_updated": "date",
    "published": "date",
    "pubmed_ids": "list",
    "superseries_of": "list",
    "subseries_of": "list",
    "sra_study": "str",
    "bioproject": "str",
    "contact_name": "str",
    "contributors": "list",
    "record_source": "str",
}
SAMPLE_COLUMNS: dict[str, ColumnKind] = {
    "series_accession": "str",
    "accession": "str",
    "title": "str",
    "organism": "str",
    "source": "str",
    "molecule": "str",
    "type": "str",
    "library_strategy": "str",
    "library_source": "str",
    "library_selection": "str",
    "instrument": "str",
    "platform": "str",
    "sra_experiment": "str",
    "biosample": "str",
    "record_source": "str",
}
FILE_COLUMNS: dict[str, ColumnKind] = {
    "series_accession": "str",
    "accession": "str",
    "level": "str",
    "name": "str",
    "url": "str",
    "category": "str",
    "format": "str",
    "compression": "str",
    "size_bytes": "int",
    "size_source": "str",
    "size_exact": "bool",
    "archive": "str",
    "md5": "str",
}
PLATFORM_COLUMNS: dict[str, ColumnKind] = {
    "accession": "str",
    "title": "str",
    "technology": "str",
    "organism": "list",
    "manufacturer": "str",
    "distribution": "str",
    "n_series": "int",
    "n_samples": "int",
    "data_row_count": "int",
    "submitted": "date",
    "last_updated": "date",
    "record_source": "str",
}
ERROR_COLUMNS: dict[str, ColumnKind] = {"accession": "str", "kind": "str", "message": "str"}


def _column(values: list[Any], kind: ColumnKind) -> pd.Series:
    if kind == "int":
        return pd.Series(values, dtype="Int64")
    if kind == "date":
        return pd.Series(
            pd.to_datetime(pd.Series(values, dtype=object), errors="coerce"), dtype="datetime64[ns]"
        )
    if kind == "bool":
        return pd.Series(values, dtype="boolean")
    if kind == "list":
        return pd.Series([list(v) if v is not None else [] for v in values], dtype=object)
    return pd.Series([v if v not in ("", None) else None for v in values], dtype="string")


def make_frame(
    rows: Iterable[Mapping[str, Any]], columns: Mapping[str, ColumnKind]
) -> pd.DataFrame:
    """Build a DataFrame with the given columns (in order) and dtypes.

    Columns that are not listed are appended as text, in order of appearance.
    Empty strings become NA in text columns.
    """
    rows = list(rows)
    names = list(columns)
    extra: dict[str, None] = {}
    for row in rows:
        for key in row:
            if key not in columns:
                extra.setdefault(key, None)
    data = {}
    for name in [*names, *extra]:
        kind = columns.get(name, "str")
        data[name] = _column([row.get(name) for row in rows], kind)
    return pd.DataFrame(data, index=pd.RangeIndex(len(rows)))


@paused_gc()
def series_frame(series: Iterable[Series]) -> pd.DataFrame:
    """One row per series."""
    rows = [
        {
            "accession": s.accession,
            "title": s.title,
            "summary": s.summary,
            "overall_design": s.overall_design,
            "study_type": s.study_types,
            "organism": s.organisms,
            "platforms": s.platforms,
            "n_samples": len(s.sample_ids),
            "submitted": s.submitted,
            "last_updated": s.last_updated,
            "published": s.published,
            "pubmed_ids": s.pubmed_ids,
            "superseries_of": s.superseries_of,
            "subseries_of": s.subseries_of,
            "sra_study": s.sra_study,
            "bioproject": s.bioproject,
            "contact_name": s.contact_name,
            "contributors": s.contributors,
            "record_source": s.record_source,
        }
        for s in series
    ]
    return make_frame(rows, SERIES_COLUMNS)


def sample_memberships(records: GEORecords) -> list[tuple[str | None, Sample]]:
    """(series accession, sample) pairs: each fetched series with its samples.

    A sample listed by two fetched series appears once for each; a sample
    fetched on its own appears once, under the first series it belongs to.
    """
    by_accession = {s.accession: s for s in records.samples}
    pairs: list[tuple[str | None, Sample]] = []
    placed: set[str] = set()
    for series in records.series:
        for accession in series.sample_ids:
            sample = by_accession.get(accession)
            if sample is not None:
                pairs.append((series.accession, sample))
                placed.add(accession)
    for sample in records.samples:
        if sample.accession not in placed:
            pairs.append((sample.series[0] if sample.series else None, sample))
    return pairs


def _sample_row(series_accession: str | None, sample: Sample) -> dict[str, Any]:
    ch1 = sample.channels[0] if sample.channels else None
    row: dict[str, Any] = {
        "series_accession": series_accession,
        "accession": sample.accession,
        "title": sample.title,
        "organism": ch1.organism if ch1 else "",
        "source": ch1.source if ch1 else "",
        "molecule": ch1.molecule if ch1 else "",
        "type": sample.type,
        "library_strategy": sample.library_strategy,
        "library_source": sample.library_source,
        "library_selection": sample.library_selection,
        "instrument": sample.instrument,
        "platform": sample.platform,
        "sra_experiment": sample.sra_experiment,
        "biosample": sample.biosample,
        "record_source": sample.record_source,
    }
    for number, channel in enumerate(sample.channels, 1):
        for tag, values in channel.characteristics.items():
            row[f"ch{number}.{tag}"] = "; ".join(values)
    return row


@paused_gc()
def samples_frame(records: GEORecords) -> pd.DataFrame:
    """One row per (series, sample), one ``chN.<tag>`` column per characteristic.

    A characteristic that a sample lists several times (two ``treatment:``
    lines) is joined with ``"; "``; the record keeps the separate values.
    """
    rows = [_sample_row(series, sample) for series, sample in sample_memberships(records)]
    return make_frame(rows, SAMPLE_COLUMNS)


def _file_row(series_accession: str | None, f: SupplementaryFile) -> dict[str, Any]:
    return {
        "series_accession": series_accession,
        "accession": f.owner,
        "level": f.level,
        "name": f.name,
        "url": f.url or None,
        "category": f.category,
        "format": f.format,
        "compression": f.compression,
        "size_bytes": f.size_bytes,
        "size_source": f.size_source,
        "size_exact": None if f.size_bytes is None else f.size_source != "listing",
        "archive": f.archive,
        "md5": f.md5,
    }


def file_rows(records: GEORecords) -> list[tuple[str | None, SupplementaryFile]]:
    """(series accession, file) pairs: the rows of :func:`files_frame`, without pandas.

    With an inventory (``fetch(..., files=True)``): every file it found, sized.
    Without: the files named in the records. Either way a SuperSeries lists
    only its own files (its samples' files belong to its SubSeries), and a
    platform's files appear only when the platform was asked for by accession.
    """
    if records.files is not None:
        return [(f.series_accession, f) for f in records.files]
    rows: list[tuple[str | None, SupplementaryFile]] = []
    supers = {s.accession for s in records.series if s.is_superseries}
    requested = set(records.requested)
    for series in records.series:
        rows.extend((series.accession, f) for f in series.supplementary_files)
    for series_accession, sample in sample_memberships(records):
        if series_accession not in supers:
            rows.extend((series_accession, f) for f in sample.supplementary_files)
    for platform in records.platforms:
        if platform.accession in requested:
            rows.extend((None, f) for f in platform.supplementary_files)
    return rows


@paused_gc()
def files_frame(records: GEORecords) -> pd.DataFrame:
    """One row per supplementary file (see :func:`file_rows` for which).

    ``attrs["superseries"]`` maps each SuperSeries to its SubSeries.
    """
    frame = make_frame((_file_row(series, f) for series, f in file_rows(records)), FILE_COLUMNS)
    frame.attrs["superseries"] = {
        s.accession: list(s.superseries_of) for s in records.series if s.is_superseries
    }
    return frame


@paused_gc()
def platforms_frame(platforms: Iterable[Platform]) -> pd.DataFrame:
    """One row per platform."""
    rows = [
        {
            "accession": p.accession,
            "title": p.title,
            "technology": p.technology,
            "organism": p.organisms,
            "manufacturer": p.manufacturer,
            "distribution": p.distribution,
            "n_series": p.n_series,
            "n_samples": p.n_samples,
            "data_row_count": p.data_row_count,
            "submitted": p.submitted,
            "last_updated": p.last_updated,
            "record_source": p.record_source,
        }
        for p in platforms
    ]
    return make_frame(rows, PLATFORM_COLUMNS)


def errors_frame(records: GEORecords) -> pd.DataFrame:
    """One row per accession that failed: accession, kind, message."""
    return make_frame((e.model_dump() for e in records.errors), ERROR_COLUMNS)
