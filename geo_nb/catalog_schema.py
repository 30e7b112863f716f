"""The catalog's SQLite schema, as forward migrations (see :mod:`geo_nb.catalog_db`).

``MIGRATIONS[i]`` takes a database from version ``i`` to ``i + 1``; the version
lives in ``PRAGMA user_version``. Append, never edit: a catalog written by an
older geo_nb is migrated forward on open.

Example:
    >>> SCHEMA_VERSION == len(MIGRATIONS)
    True
"""

from __future__ import annotations

__all__ = ["MIGRATIONS", "SCHEMA_VERSION"]

#: Migrations, in order: ``MIGRATIONS[i]`` takes a database from version i to i + 1.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE fetches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        requested TEXT NOT NULL,
        n_series INTEGER, n_samples INTEGER, n_errors INTEGER,
        geo_nb_version TEXT
    );
    CREATE TABLE records (
        accession TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        title TEXT,
        fetched_at TEXT,
        url TEXT,
        sha256 TEXT,
        fetch_id INTEGER REFERENCES fetches(id),
        json TEXT NOT NULL
    );
    CREATE TABLE memberships (
        series_accession TEXT NOT NULL,
        sample_accession TEXT NOT NULL,
        PRIMARY KEY (series_accession, sample_accession)
    );
    CREATE TABLE inventories (
        series_accession TEXT PRIMARY KEY,
        fetched_at TEXT,
        fetch_id INTEGER REFERENCES fetches(id),
        json TEXT NOT NULL
    );
    CREATE TABLE errors (
        fetch_id INTEGER REFERENCES fetches(id),
        accession TEXT NOT NULL,
        kind TEXT NOT NULL,
        message TEXT
    );
    CREATE INDEX records_kind ON records(kind);
    CREATE INDEX errors_accession ON errors(accession);
    """,
    """
    CREATE TABLE extras (
        accession TEXT NOT NULL,
        name TEXT NOT NULL,
        fetched_at TEXT,
        fetch_id INTEGER REFERENCES fetches(id),
        json TEXT NOT NULL,
        PRIMARY KEY (accession, name)
    );
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)
