"""Reading records back out of the catalog's tables (see :mod:`geo_nb.catalog_db`).

Records are stored as their pydantic JSON, so reading one back is
``model_validate_json``: the same models, the same frames, no NCBI.
Runs are stored per sample and publications per series, as ``extras`` rows
named ``runs`` and ``publications``.

Example:
    >>> # with catalog._connect() as connection: found = load_records(connection, ["GSE1"])
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from pydantic import TypeAdapter

from .files.classify import classify_file
from .records import GEORecords, Platform, Publication, Run, Sample, Series, SupplementaryFile

__all__ = [
    "holds_all",
    "load_extras",
    "load_fetched_at",
    "load_files",
    "load_publications",
    "load_records",
    "load_runs",
    "parse_inventory",
    "select_in",
    "unique",
]

_CHUNK = 500
# One validation per kind and per inventory, in pydantic's Rust core: a JSON array of the
# stored bodies costs about half of validating each body alone and far less than
# json.loads followed by model_validate per item.
_LISTS: dict[str, TypeAdapter[list[Any]]] = {
    "series": TypeAdapter(list[Series]),
    "sample": TypeAdapter(list[Sample]),
    "platform": TypeAdapter(list[Platform]),
}
_FILES = TypeAdapter(list[SupplementaryFile])


def select_in(
    connection: sqlite3.Connection, query: str, items: Sequence[str], *before: Any
) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query`` (whose ``{marks}`` stands for the ``IN`` list of ``items``,
    after the parameters ``before``), asked in chunks under SQLite's variable limit.

    Example:
        >>> # select_in(c, "SELECT accession FROM records WHERE accession IN ({marks})", ids)
    """
    for start in range(0, len(items), _CHUNK):
        chunk = list(items[start : start + _CHUNK])
        yield from connection.execute(
            query.format(marks=",".join("?" * len(chunk))), [*before, *chunk]
        )


def _count(connection: sqlite3.Connection, query: str, items: Sequence[str], *before: Any) -> int:
    return sum(int(row[0]) for row in select_in(connection, query, items, *before))


def holds_all(connection: sqlite3.Connection, records: GEORecords) -> bool:
    """True when the catalog already holds every record, inventory, run list and
    publication list of ``records`` (then a fetch from the caches adds nothing)."""
    ids = list(
        dict.fromkeys(
            [*(s.accession for s in records.series), *(s.accession for s in records.samples)]
            + [p.accession for p in records.platforms]
        )
    )
    query = "SELECT COUNT(*) FROM records WHERE accession IN ({marks})"
    if _count(connection, query, ids) < len(ids):
        return False
    series = [s.accession for s in records.series]
    if records.files is not None and series:
        query = "SELECT COUNT(*) FROM inventories WHERE series_accession IN ({marks})"
        if _count(connection, query, series) < len(series):
            return False
    for name, owners in (
        ("runs", {r.sample_accession or r.series_accession or r.run for r in records.runs}),
        ("publications", {s for a in records.publications for s in a.series_accessions}),
    ):
        query = "SELECT COUNT(*) FROM extras WHERE name = ? AND accession IN ({marks})"
        if owners and _count(connection, query, sorted(owners), name) < len(owners):
            return False
    return True


def load_records(connection: sqlite3.Connection, accessions: Sequence[str]) -> dict[str, Any]:
    """Stored records of ``accessions`` by kind (and the set of ``ids`` found), in the
    order asked."""
    out: dict[str, Any] = {"ids": set()}
    bodies: dict[str, list[tuple[str, str]]] = {}
    query = "SELECT accession, kind, json FROM records WHERE accession IN ({marks})"
    for accession, kind, body in select_in(connection, query, accessions):
        bodies.setdefault(kind, []).append((accession, body))
        out["ids"].add(accession)
    order = {a: i for i, a in enumerate(accessions)}
    for kind, found in bodies.items():
        found.sort(key=lambda item: order.get(item[0], 0))
        out[kind] = _LISTS[kind].validate_json("[" + ",".join(body for _, body in found) + "]")
    return out


def load_fetched_at(connection: sqlite3.Connection, accessions: Sequence[str]) -> dict[str, float]:
    """When each stored accession's answer was fetched (epoch seconds)."""
    out: dict[str, float] = {}
    query = "SELECT accession, fetched_at FROM records WHERE accession IN ({marks})"
    for accession, stamp in select_in(connection, query, accessions):
        if stamp:
            out[accession] = dt.datetime.fromisoformat(stamp).timestamp()
    return out


def load_files(
    connection: sqlite3.Connection, series: Sequence[str], alone: Mapping[str, str]
) -> list[SupplementaryFile] | None:
    """The stored files of ``series``, and of samples asked for alone (``alone``: sample ->
    its series, under which its files are stored); None when none was stored."""
    wanted = list(dict.fromkeys([*series, *alone.values()]))
    if not wanted:
        return None
    query = "SELECT series_accession, json FROM inventories WHERE series_accession IN ({marks})"
    rows: dict[str, str] = dict(select_in(connection, query, wanted))
    if not rows:
        return None
    out: list[SupplementaryFile] = []
    for accession in series:
        if accession in rows:
            out.extend(parse_inventory(rows[accession]))
    for sample, owner in alone.items():
        if owner in rows and owner not in series:
            out.extend(
                SupplementaryFile.model_validate(i)
                for i in json.loads(rows[owner])
                if i.get("owner") == sample
            )
    return [_classified(row) for row in out]


def _classified(row: SupplementaryFile) -> SupplementaryFile:
    """``row`` as this geo_nb classifies it: rows stored by an older one keep their old
    kinds, which a fix to :func:`~geo_nb.classify_file` must not leave behind."""
    if row.level not in ("series", "sample"):
        return row  # NCBI's counts and FASTQ rows are not classified by name
    kind = classify_file(row.name)
    if tuple(kind) == (row.category, row.format, row.compression):
        return row
    return row.model_copy(update=kind._asdict())


def parse_inventory(text: str) -> list[SupplementaryFile]:
    """A stored inventory (the JSON list of a series' files) as records."""
    return _FILES.validate_json(text)


def load_extras(
    connection: sqlite3.Connection, name: str, accessions: Sequence[str]
) -> list[dict[str, Any]]:
    """The stored ``name`` items (a list per accession) of ``accessions``, in order."""
    found: dict[str, list[dict[str, Any]]] = {}
    query = "SELECT accession, json FROM extras WHERE name = ? AND accession IN ({marks})"
    for accession, body in select_in(connection, query, accessions, name):
        data = json.loads(body)
        found[accession] = data if isinstance(data, list) else []
    return [item for accession in accessions for item in found.get(accession, [])]


def load_runs(connection: sqlite3.Connection, samples: Sequence[str]) -> list[Run]:
    """The stored SRA runs of ``samples`` (``fetch(..., runs=True)`` stored them)."""
    return [Run.model_validate(item) for item in load_extras(connection, "runs", samples)]


def load_publications(connection: sqlite3.Connection, series: Sequence[str]) -> list[Publication]:
    """The stored PubMed articles of ``series``, each once."""
    items = load_extras(connection, "publications", series)
    return unique([Publication.model_validate(item) for item in items], key="pmid")


def unique(items: list[Any], key: str = "accession") -> list[Any]:
    """``items`` without repeats of the same ``key`` attribute (the first one wins)."""
    seen: dict[str, Any] = {}
    for item in items:
        seen.setdefault(getattr(item, key), item)
    return list(seen.values())
