"""What a fetch adds to the catalog besides its records: runs and publications as
``extras`` rows, and inventories merged with what is stored (see
:meth:`geo_nb.catalog_db.Catalog.record`).

Example:
    >>> reads_extras(GEORecords())
    {}
"""

from __future__ import annotations

import sqlite3

from .catalog_read import parse_inventory, select_in
from .records import GEORecords, SupplementaryFile

__all__ = ["merged_inventories", "reads_extras"]


def merged_inventories(
    connection: sqlite3.Connection, by_series: dict[str, list[SupplementaryFile]]
) -> dict[str, list[SupplementaryFile]]:
    """What to store for a fetch without an inventory: where a series' inventory is
    stored, its rows but those of runs, plus this fetch's run rows; else this fetch's."""
    query = "SELECT series_accession, json FROM inventories WHERE series_accession IN ({marks})"
    stored: dict[str, str] = dict(select_in(connection, query, list(by_series)))
    out: dict[str, list[SupplementaryFile]] = {}
    for series, rows in by_series.items():
        runs = [r for r in rows if r.level == "run"]
        if series not in stored:
            out[series] = rows
        elif runs:
            kept = [r for r in parse_inventory(stored[series]) if r.level != "run"]
            out[series] = kept + runs
    return out


def reads_extras(records: GEORecords) -> dict[str, dict[str, str]]:
    """The records' runs by sample and publications by series, as the JSON of ``extras``
    rows (pydantic writes each item; the lists are joined as text)."""
    items: dict[str, dict[str, list[str]]] = {}
    for run in records.runs:
        owner = run.sample_accession or run.series_accession or run.run
        items.setdefault(owner, {}).setdefault("runs", []).append(run.model_dump_json())
    for article in records.publications:
        body = article.model_dump_json()
        for series in article.series_accessions:
            items.setdefault(series, {}).setdefault("publications", []).append(body)
    return {
        owner: {name: "[" + ",".join(parts) + "]" for name, parts in named.items()}
        for owner, named in items.items()
    }
