"""Docsums derived from SOFT records, for records that have no recorded esummary object.

NCBI's esummary docsum is built from the same submission as the SOFT record, so
most fields map directly (``title``, ``gdstype`` from ``Series_type``, ``pdat``
from ``Public on Nov 15 2021``...). Derived docsums follow the shape of the
recorded GSE93374 docsum; GSM and GPL docsums follow NCBI's shape for those
entry types (``n_samples`` is ``""`` for a GSM, ``ftplink`` is ``""`` for a GSM,
``ptechtype`` is the platform technology for a GPL). Relations other than SRA
and BioProject, ``seriestitle`` and similar cross-record fields are left empty.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .geopaths import ftp_dir
from .soft import SoftRecord

__all__ = ["derive_docsum", "file_type", "pdat", "uid_for"]

UID_BASE = {"GSE": 200_000_000, "GSM": 300_000_000, "GPL": 100_000_000, "GDS": 0}
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_PUBLIC = re.compile(r"Public on ([A-Z][a-z]{2}) (\d{1,2}) (\d{4})")
_SRA = re.compile(r"term=([SDE]R[PXSR]\d+)")
_BIOPROJECT = re.compile(r"(PRJ[A-Z]{1,2}\d+)")
_COMPRESSION = {"gz", "bz2", "zip"}


def uid_for(accession: str) -> str:
    """The gds UID: GSE = 200000000 + N, GSM = 300000000 + N, GPL = 100000000 + N."""
    return str(UID_BASE[accession[:3].upper()] + int(accession[3:]))


def pdat(status: str) -> str:
    """``Public on Nov 15 2021`` -> ``2021/11/15``; ``""`` when not public."""
    match = _PUBLIC.search(status)
    if match is None or match.group(1) not in _MONTHS:
        return ""
    month, day, year = _MONTHS[match.group(1)], int(match.group(2)), match.group(3)
    return f"{year}/{month:02d}/{day:02d}"


def file_type(url: str) -> str | None:
    """GEO's type label of a supplementary file: last extension after gz/bz2/zip, upper-cased."""
    name = url.rstrip("/").rsplit("/", 1)[-1]
    if not name or name.upper() == "NONE":
        return None
    parts = name.split(".")
    while len(parts) > 2 and parts[-1].lower() in _COMPRESSION:
        parts.pop()
    return parts[-1].upper() if len(parts) > 1 else None


def _numbers(accessions: list[str]) -> str:
    return ";".join(acc[3:] for acc in accessions if len(acc) > 3)


def _distinct(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _suppfile_types(records: list[SoftRecord]) -> str:
    types: set[str] = set()
    for record in records:
        for _, url in record.matching(f"{record.prefix}_supplementary_file"):
            kind = file_type(url)
            if kind:
                types.add(kind)
    return ", ".join(sorted(types))


def _extrelations(record: SoftRecord) -> list[dict[str, str]]:
    found = []
    for relation in record.values(f"{record.prefix}_relation"):
        match = _SRA.search(relation) if relation.startswith("SRA:") else None
        if match:
            found.append(
                {"relationtype": "SRA", "targetobject": match.group(1), "targetftplink": ""}
            )
    return found


def _bioproject(record: SoftRecord) -> str:
    for relation in record.values(f"{record.prefix}_relation"):
        if relation.startswith("BioProject:"):
            match = _BIOPROJECT.search(relation)
            if match:
                return match.group(1)
    return ""


def _base(record: SoftRecord) -> dict[str, Any]:
    prefix = record.prefix
    return {
        "uid": uid_for(record.accession),
        "accession": record.accession,
        "gds": "",
        "title": record.first(f"{prefix}_title"),
        "summary": "",
        "gpl": "",
        "gse": "",
        "taxon": "",
        "entrytype": record.accession[:3].upper(),
        "gdstype": "",
        "ptechtype": "",
        "valtype": "",
        "ssinfo": "",
        "subsetinfo": "",
        "pdat": pdat(record.first(f"{prefix}_status")),
        "suppfile": _suppfile_types([record]),
        "samples": [],
        "relations": [],
        "extrelations": _extrelations(record),
        "n_samples": "",
        "seriestitle": "",
        "platformtitle": "",
        "platformtaxa": "",
        "samplestaxa": "",
        "pubmedids": record.values(f"{prefix}_pubmed_id"),
        "projects": [],
        "ftplink": "",
        "geo2r": "",
        "bioproject": _bioproject(record),
    }


def _series(record: SoftRecord, records: Mapping[str, SoftRecord]) -> dict[str, Any]:
    doc = _base(record)
    sample_ids = record.values("Series_sample_id")
    samples = [records[s] for s in sample_ids if s in records]
    taxa = record.values("Series_sample_organism") or record.values("Series_platform_organism")
    doc.update(
        summary=" ".join(v for v in record.values("Series_summary") if v),
        gpl=_numbers(record.values("Series_platform_id")),
        gse=record.accession[3:],
        taxon="; ".join(_distinct(taxa)),
        gdstype="; ".join(record.values("Series_type")),
        suppfile=_suppfile_types([record, *samples]),
        samples=[
            {"accession": s, "title": records[s].first("Sample_title") if s in records else ""}
            for s in sample_ids
        ],
        n_samples=len(sample_ids),
        ftplink=f"ftp://ftp.ncbi.nlm.nih.gov/geo/{ftp_dir(record.accession)}/",
        geo2r="no",
    )
    return doc


def _sample(record: SoftRecord) -> dict[str, Any]:
    doc = _base(record)
    taxa = record.values("Sample_organism_ch1") + record.values("Sample_organism_ch2")
    doc.update(
        summary=" ".join(v for v in record.values("Sample_description") if v),
        gpl=_numbers(record.values("Sample_platform_id")),
        gse=_numbers(record.values("Sample_series_id")),
        taxon="; ".join(_distinct(taxa)),
    )
    return doc


def _platform(record: SoftRecord) -> dict[str, Any]:
    doc = _base(record)
    doc.update(
        summary=" ".join(v for v in record.values("Platform_description") if v),
        gpl=record.accession[3:],
        gse=_numbers(record.values("Platform_series_id")),
        taxon="; ".join(_distinct(record.values("Platform_organism"))),
        ptechtype=record.first("Platform_technology"),
        n_samples=len(record.values("Platform_sample_id")),
        ftplink=f"ftp://ftp.ncbi.nlm.nih.gov/geo/{ftp_dir(record.accession)}/",
    )
    return doc


def derive_docsum(record: SoftRecord, records: Mapping[str, SoftRecord]) -> dict[str, Any]:
    """The esummary docsum NCBI would serve for ``record``; ``records`` supplies its samples."""
    if record.kind == "SERIES":
        return _series(record, records)
    if record.kind == "SAMPLE":
        return _sample(record)
    return _platform(record)
