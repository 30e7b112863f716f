"""SOFT entities -> pydantic records.

GEO's attribute vocabulary is wide and old records use it loosely; this module
maps it onto :mod:`geo_nb.records` and keeps every raw attribute besides.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from typing import Any

from ..files.classify import classify_file, file_name
from ..records import Channel, Level, Platform, Sample, Series, SupplementaryFile
from .soft import SoftEntity

__all__ = ["Converted", "convert_entities", "parse_characteristic"]

Converted = tuple[list[Series], list[Sample], list[Platform]]
UrlRewriter = Callable[[str], str]

_PUBLIC_ON = re.compile(r"public on (\w{3} \d{1,2} \d{4})", re.I)
_GSE = re.compile(r"\bGSE[1-9]\d*\b")
_SRA_TERM = re.compile(r"\b([SDE]R[PXS]\d+)\b")
_BIOPROJECT = re.compile(r"\b(PRJ[A-Z]{1,2}\d+)\b")
_BIOSAMPLE = re.compile(r"\b(SAM[NDE][A-Z]?\d+)\b")
_TAG = re.compile(r"^\s*([^:]{1,80}?)\s*:(?!//)\s*(.*)$", re.S)
_CHANNEL = re.compile(r"_ch(\d{1,2})$")
_LEGACY_SOURCE = re.compile(r"target_source(\d{1,2})")
_NO_FILE = {"", "none", "n/a", "na"}


def parse_date(text: str) -> dt.date | None:
    """GEO's ``Mar 06 2020`` dates; None when empty or unparseable."""
    text = text.strip()
    for fmt in ("%b %d %Y", "%B %d %Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _published(status: str) -> dt.date | None:
    match = _PUBLIC_ON.search(status)
    return parse_date(match.group(1)) if match else None


def _person(raw: str) -> str:
    """GEO writes names as ``First,Middle,Last``; show ``First Middle Last``."""
    return " ".join(part.strip() for part in raw.split(",") if part.strip())


def parse_characteristic(value: str) -> tuple[str, str]:
    """Split ``"cell line: HeLa"`` into ``("cell line", "HeLa")``.

    Tags are lower-cased with whitespace collapsed so that ``Cell Line`` and
    ``cell  line`` meet in one column. A value without a tag (or one whose
    colon belongs to a URL) gets the tag ``"characteristics"``.

    Example:
        >>> parse_characteristic("Cell  Line: HeLa")
        ('cell line', 'HeLa')
        >>> parse_characteristic("see http://example.org")
        ('characteristics', 'see http://example.org')
    """
    match = _TAG.match(value)
    if match is None or not match.group(1).strip():
        return "characteristics", value.strip()
    return _tag(match.group(1)), match.group(2).strip()


@functools.lru_cache(maxsize=4096)
def _tag(raw: str) -> str:
    # Cached: every sample of a series repeats its tags, and one string each keeps the
    # records small in memory and their digests quick to read.
    return " ".join(raw.lower().split())


def _first_match(pattern: re.Pattern[str], values: Iterable[str]) -> str | None:
    for value in values:
        found = pattern.search(value)
        if found:
            return found.group(1)
    return None


def _relations(values: list[str], prefix: str) -> list[str]:
    prefix = prefix.lower()
    found: list[str] = []
    for value in values:
        if value.lower().startswith(prefix):
            found.extend(m for m in _GSE.findall(value) if m not in found)
    return found


def _files(entity: SoftEntity, level: Level, rewrite: UrlRewriter) -> list[SupplementaryFile]:
    urls: list[str] = []
    for label, values in entity.attributes.items():
        if label == "supplementary_file" or label.startswith("supplementary_file_"):
            urls.extend(v for v in values if v.strip().lower() not in _NO_FILE)
    files: list[SupplementaryFile] = []
    seen: set[str] = set()
    for source in urls:
        source = source.strip()
        if source in seen:
            continue
        seen.add(source)
        kind = classify_file(source)
        files.append(
            SupplementaryFile(
                owner=entity.accession,
                level=level,
                name=file_name(source),
                url=rewrite(source),
                source_url=source,
                category=kind.category,
                format=kind.format,
                compression=kind.compression,
            )
        )
    return files


def _common(entity: SoftEntity, level: Level, rewrite: UrlRewriter) -> dict[str, Any]:
    """The fields of :class:`~geo_nb.records._Entity`, shared by every record."""
    status = entity.first("status")
    return {
        "accession": entity.accession,
        "title": entity.first("title"),
        "status": status,
        "submitted": parse_date(entity.first("submission_date")),
        "last_updated": parse_date(entity.first("last_update_date")),
        "published": _published(status),
        "supplementary_files": _files(entity, level, rewrite),
        "attributes": entity.attributes,
    }


def _int(text: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        return None


def _series(entity: SoftEntity, rewrite: UrlRewriter) -> Series:
    first = entity.first
    relations = entity.values("relation")
    organisms = entity.values("sample_organism") or entity.values("platform_organism")
    return Series(
        **_common(entity, "series", rewrite),
        summary="\n".join(v for v in entity.values("summary") if v),
        overall_design="\n".join(v for v in entity.values("overall_design") if v),
        study_types=entity.values("type"),
        organisms=list(dict.fromkeys(organisms)),
        platforms=list(dict.fromkeys(entity.values("platform_id"))),
        sample_ids=list(dict.fromkeys(entity.values("sample_id"))),
        pubmed_ids=entity.values("pubmed_id"),
        superseries_of=_relations(relations, "SuperSeries of"),
        subseries_of=_relations(relations, "SubSeries of"),
        sra_study=_first_match(_SRA_TERM, (r for r in relations if r.lower().startswith("sra"))),
        bioproject=_first_match(_BIOPROJECT, relations),
        contact_name=_person(first("contact_name")),
        contributors=[_person(v) for v in entity.values("contributor")],
        relations=relations,
    )


def _channels(entity: SoftEntity) -> list[Channel]:
    # Some records omit channel_count; the _chN labels present are the truth.
    count = _int(entity.first("channel_count", "1")) or 1
    for label in entity.attributes:
        found = _CHANNEL.search(label) or _LEGACY_SOURCE.fullmatch(label)
        if found:
            count = max(count, int(found.group(1)))
    # Records of 2001-2002 (as served then) name one organism for all channels and their
    # sources target_source, target_source1, target_source2...
    legacy_organism = entity.values("organism")
    channels = []
    for n in range(1, count + 1):
        suffix = f"_ch{n}"
        source = entity.first("source_name" + suffix) or entity.first(f"target_source{n}")
        if not source and count == 1:
            source = entity.first("target_source")
        characteristics: dict[str, list[str]] = {}
        for raw in entity.values("characteristics" + suffix):
            if raw.strip():
                tag, value = parse_characteristic(raw)
                characteristics.setdefault(tag, []).append(value)
        channels.append(
            Channel(
                source=source,
                organism="; ".join(entity.values("organism" + suffix) or legacy_organism),
                taxid="; ".join(entity.values("taxid" + suffix)),
                molecule=entity.first("molecule" + suffix),
                label=entity.first("label" + suffix),
                characteristics=characteristics,
            )
        )
    return channels


def _sample(entity: SoftEntity, rewrite: UrlRewriter) -> Sample:
    first = entity.first
    relations = entity.values("relation")
    rows = first("data_row_count")
    return Sample(
        **_common(entity, "sample", rewrite),
        type=first("type"),
        platform=first("platform_id"),
        series=list(dict.fromkeys(entity.values("series_id"))),
        channels=_channels(entity),
        description="\n".join(v for v in entity.values("description") if v),
        data_processing=entity.values("data_processing"),
        library_strategy=first("library_strategy"),
        library_source=first("library_source"),
        library_selection=first("library_selection"),
        instrument=first("instrument_model"),
        sra_experiment=_first_match(
            _SRA_TERM, (r for r in relations if r.lower().startswith("sra"))
        ),
        biosample=_first_match(_BIOSAMPLE, relations),
        relations=relations,
        data_row_count=_int(rows) if rows else None,
    )


def _platform(entity: SoftEntity, rewrite: UrlRewriter) -> Platform:
    first = entity.first
    rows = first("data_row_count")
    return Platform(
        **_common(entity, "platform", rewrite),
        technology=first("technology"),
        distribution=first("distribution"),
        organisms=list(dict.fromkeys(entity.values("organism"))),
        manufacturer=first("manufacturer"),
        n_series=len(entity.values("series_id")),
        n_samples=len(entity.values("sample_id")),
        data_row_count=_int(rows) if rows else None,
    )


def convert_entities(entities: Iterable[SoftEntity], rewrite: UrlRewriter) -> Converted:
    """Turn parsed SOFT entities into series, samples and platforms.

    Other entity kinds (``DATABASE``, ``DATASET``...) are skipped.
    """
    series: list[Series] = []
    samples: list[Sample] = []
    platforms: list[Platform] = []
    for entity in entities:
        if entity.kind == "SERIES":
            series.append(_series(entity, rewrite))
        elif entity.kind == "SAMPLE":
            samples.append(_sample(entity, rewrite))
        elif entity.kind == "PLATFORM":
            platforms.append(_platform(entity, rewrite))
    return series, samples, platforms
