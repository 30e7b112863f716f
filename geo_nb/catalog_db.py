"""The catalog: a local, queryable record of everything fetched, and when.

Every ``fetch`` writes its records into a SQLite database in the cache folder
(``<cache_dir>/catalog.sqlite3``; stdlib ``sqlite3`` in WAL mode, so two kernels
can write at once and readers never wait for writers): series, samples and
platforms (each with when it was fetched, the URL it came from and the SHA-256
of the raw answer), their files, runs and publications, and the errors. The
catalog answers without NCBI: ``geo_nb.catalog().result(["GSE..."])`` rebuilds a
:class:`~geo_nb.GEOResult`, and ``geo_nb.fetch(accs, offline=True)`` answers from
it. Unlike the cache, it is kept by ``clear_cache()`` (``clear_cache(catalog=True)``
removes it too). It has a schema version (``PRAGMA user_version``) and migrates
forward on open.

Tables, for :meth:`Catalog.query`: ``fetches`` (one row per fetch), ``records``
(``accession, kind, title, fetched_at, url, sha256, fetch_id, json``: the record as
JSON), ``memberships`` (``series_accession, sample_accession``), ``inventories``
and ``extras`` (a series' files, runs and publications as JSON), ``errors``.

Example:
    >>> # cat = geo_nb.catalog()
    >>> # cat.history()                                  # what was fetched, when
    >>> # cat.query("SELECT accession, fetched_at FROM records WHERE kind = 'series'")
    >>> # cat.result(["GSE100494"]).samples             # no network
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ._gcpause import paused_gc
from ._version import __version__
from .catalog_read import (
    holds_all,
    load_fetched_at,
    load_files,
    load_publications,
    load_records,
    load_runs,
    select_in,
    unique,
)
from .catalog_schema import MIGRATIONS, SCHEMA_VERSION
from .catalog_write import merged_inventories, reads_extras
from .records import FetchError, GEORecords, Platform, Sample, Series, SupplementaryFile
from .settings import Settings

if TYPE_CHECKING:
    from .result import GEOResult

__all__ = ["CATALOG_NAME", "SCHEMA_VERSION", "Catalog", "Provenance"]

log = logging.getLogger("geo_nb")

CATALOG_NAME = "catalog.sqlite3"
_BUSY_MS = 30_000


@dataclass(frozen=True)
class Provenance:
    """Where a record came from: when, the URL (no secrets) and the raw answer's SHA-256."""

    fetched_at: float
    url: str
    sha256: str


def _iso(seconds: float | None = None) -> str:
    moment = dt.datetime.fromtimestamp(time.time() if seconds is None else seconds, dt.UTC)
    return moment.isoformat(timespec="seconds")


class Catalog:
    """The SQLite catalog at ``path``; see the module documentation."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect():
            pass  # creates or migrates the schema
        # The whole catalog's records, and the state they were read in (see _everything).
        self._whole: tuple[tuple[Any, ...], GEORecords] | None = None

    def __repr__(self) -> str:
        return f"Catalog({str(self.path)!r})"

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        connection = sqlite3.connect(self.path, timeout=_BUSY_MS / 1000, isolation_level=None)
        try:
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            # Every time: a catalog removed meanwhile (clear_cache(catalog=True)) comes
            # back empty rather than as "no such table" (one PRAGMA when it is current).
            self._migrate(connection)
            yield connection
        finally:
            connection.close()

    @staticmethod
    def _migrate(connection: sqlite3.Connection) -> None:
        """Bring the schema to :data:`SCHEMA_VERSION`, one migration at a time."""
        if int(connection.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
            return  # the usual case, without taking the write lock
        connection.execute("BEGIN IMMEDIATE")
        try:
            version = int(connection.execute("PRAGMA user_version").fetchone()[0])
            if version > SCHEMA_VERSION:
                raise RuntimeError(
                    f"the catalog was written by a newer geo_nb (schema {version}, this one "
                    f"knows {SCHEMA_VERSION}); upgrade geo_nb."
                )
            for step in range(version, SCHEMA_VERSION):
                for statement in MIGRATIONS[step].split(";"):
                    if statement.strip():
                        connection.execute(statement)
                connection.execute(f"PRAGMA user_version = {step + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise

    @property
    def schema_version(self) -> int:
        """The schema version of the database file."""
        with self._connect() as connection:
            return int(connection.execute("PRAGMA user_version").fetchone()[0])

    # ---- writing -------------------------------------------------------------------------

    def record(
        self,
        records: GEORecords,
        provenance: Mapping[str, Provenance] | None = None,
        *,
        extras: Mapping[str, Mapping[str, Any]] | None = None,
        inventory: bool = True,
    ) -> int:
        """Store one fetch's records (one transaction); returns the fetch's id.

        ``provenance`` maps accessions to where their answer came from;
        ``extras`` maps an accession to more named JSON-ready data. The
        records' runs are stored per sample and their publications per series.
        A record already stored is not rewritten when its answer is the same
        (same SHA-256) and reads the same (a newer geo_nb may read it differently),
        or when this fetch read it from geo_nb's own caches without its raw answer
        (no provenance: the stored one stays).
        ``inventory=False`` says the fetch read no folders (``files=False``): its
        files are those the records name, unsized, and its runs' FASTQ files, so a
        stored inventory keeps its rows and only its run rows are replaced.
        """
        provenance = provenance or {}
        now = _iso()
        with self._connect() as connection, paused_gc():
            connection.execute("BEGIN IMMEDIATE")
            try:
                cursor = connection.execute(
                    "INSERT INTO fetches (started_at, requested, n_series, n_samples, n_errors,"
                    " geo_nb_version) VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        now,
                        json.dumps(records.requested),
                        len(records.series),
                        len(records.samples),
                        len(records.errors),
                        __version__,
                    ),
                )
                fetch_id = int(cursor.lastrowid or 0)
                # A fetch served from geo_nb's caches brings nothing new: its line in
                # the history is enough (this keeps a warm fetch a few milliseconds).
                fresh = bool(provenance or extras) or not holds_all(connection, records)
                if fresh:
                    self._write_records(connection, records, provenance, fetch_id, now)
                    self._write_files(connection, records, fetch_id, now, inventory)
                named_data = reads_extras(records) if fresh else {}
                for accession, named in (extras or {}).items():
                    for name, data in named.items():
                        named_data.setdefault(accession, {})[name] = json.dumps(data, default=str)
                connection.executemany(
                    "INSERT OR REPLACE INTO extras VALUES (?, ?, ?, ?, ?)",
                    [
                        (accession, name, now, fetch_id, body)
                        for accession, named in named_data.items()
                        for name, body in named.items()
                    ],
                )
                connection.executemany(
                    "INSERT INTO errors VALUES (?, ?, ?, ?)",
                    [(fetch_id, e.accession, e.kind, e.message) for e in records.errors],
                )
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return fetch_id

    @staticmethod
    def _write_records(
        connection: sqlite3.Connection,
        records: GEORecords,
        provenance: Mapping[str, Provenance],
        fetch_id: int,
        now: str,
    ) -> None:
        entities: list[tuple[str, Series | Sample | Platform]] = [
            *(("series", s) for s in records.series),
            *(("sample", s) for s in records.samples),
            *(("platform", p) for p in records.platforms),
        ]
        ids = [entity.accession for _, entity in entities]
        query = "SELECT accession, sha256, json FROM records WHERE accession IN ({marks})"
        known = {a: (sha, body) for a, sha, body in select_in(connection, query, ids)}

        def stamp(accession: str) -> str:
            seconds = records.fetched_at.get(accession)
            return now if seconds is None else _iso(seconds)

        rows = []
        for kind, entity in entities:
            origin = provenance.get(entity.accession)
            sha = origin.sha256 if origin else None
            stored = known.get(entity.accession)
            if stored is not None and sha is None:
                continue  # read from geo_nb's caches: the stored record stays
            body = entity.model_dump_json()
            # The same answer read the same way; an answer read anew by a newer geo_nb
            # (a parser fix) is rewritten even though NCBI's bytes did not change.
            if stored is not None and stored == (sha, body):
                continue
            rows.append(
                (
                    entity.accession,
                    kind,
                    entity.title,
                    _iso(origin.fetched_at) if origin else stamp(entity.accession),
                    origin.url if origin else None,
                    sha,
                    fetch_id,
                    body,
                )
            )
        connection.executemany(
            "INSERT OR REPLACE INTO records VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
        )
        connection.executemany(
            "INSERT OR IGNORE INTO memberships VALUES (?, ?)",
            [
                (series.accession, sample)
                for series in records.series
                for sample in series.sample_ids
            ],
        )

    @staticmethod
    def _write_files(
        connection: sqlite3.Connection,
        records: GEORecords,
        fetch_id: int,
        now: str,
        inventory: bool,
    ) -> None:
        if records.files is None:
            return
        by_series: dict[str, list[SupplementaryFile]] = {}
        for row in records.files:
            by_series.setdefault(row.series_accession or row.owner, []).append(row)
        if not inventory:
            by_series = merged_inventories(connection, by_series)
        connection.executemany(
            "INSERT OR REPLACE INTO inventories VALUES (?, ?, ?, ?)",
            [
                (series, now, fetch_id, "[" + ",".join(r.model_dump_json() for r in rows) + "]")
                for series, rows in by_series.items()
            ],
        )

    # ---- reading -------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
        """The answer of a read-only SQL query, as a DataFrame.

        Example:
            >>> # cat.query("SELECT kind, COUNT(*) AS n FROM records GROUP BY kind")
        """
        with self._connect() as connection:
            connection.execute("PRAGMA query_only = ON")
            return pd.read_sql_query(sql, connection, params=list(params))

    def history(self) -> pd.DataFrame:
        """One row per fetch: when, what was asked, how many series, samples and errors."""
        frame = self.query(
            "SELECT id, started_at, requested, n_series, n_samples, n_errors, geo_nb_version "
            "FROM fetches ORDER BY id"
        )
        frame["started_at"] = pd.to_datetime(frame["started_at"])
        frame["requested"] = frame["requested"].map(json.loads)
        return frame

    def accessions(self, kind: str | None = None) -> list[str]:
        """The accessions the catalog holds (of one ``kind``: series, sample, platform)."""
        where, params = ("WHERE kind = ?", (kind,)) if kind else ("", ())
        rows = self.query(f"SELECT accession FROM records {where} ORDER BY accession", params)
        return list(rows["accession"])

    def records(self, accessions: Iterable[str] | None = None) -> GEORecords:
        """The stored records of ``accessions`` (all series when None), with their samples,
        platforms and files; accessions it does not hold are ``not_in_catalog`` errors."""
        wanted = list(accessions) if accessions is not None else self.accessions("series")
        # The records read are kept (a result, the frames' cache): see geo_nb._gcpause.
        with self._connect() as connection, paused_gc(promote=True):
            found = load_records(connection, wanted)
            samples_of = {series.accession: series.sample_ids for series in found.get("series", [])}
            extra = [s for ids in samples_of.values() for s in ids if s not in found["ids"]]
            platforms = [p for s in found.get("series", []) for p in s.platforms]
            more = load_records(connection, [*extra, *platforms])
            alone = {s.accession: s.series[0] for s in found.get("sample", []) if s.series}
            series_ids = [s.accession for s in found.get("series", [])]
            files = load_files(connection, series_ids, alone)
            samples = unique(found.get("sample", []) + more.get("sample", []))
            # Runs are stored per sample; a run GEO's samples do not claim, per series.
            runs = load_runs(connection, [*(s.accession for s in samples), *series_ids])
            fetched_at = load_fetched_at(connection, wanted)
            publications = load_publications(
                connection, [*series_ids, *(s for s in alone.values() if s not in series_ids)]
            )
        errors = [
            FetchError(
                accession=a,
                kind="not_in_catalog",
                message=f"{a} is not in the catalog: fetch it once with NCBI reachable.",
            )
            for a in wanted
            if a not in found["ids"]
        ]
        return GEORecords(
            fetched_at=fetched_at,
            requested=wanted,
            series=found.get("series", []),
            samples=samples,
            platforms=unique(found.get("platform", []) + more.get("platform", [])),
            errors=errors,
            files=files,
            runs=runs,
            publications=publications,
        )

    def result(
        self, accessions: Iterable[str] | None = None, *, settings: Settings | None = None
    ) -> GEOResult:
        """A :class:`~geo_nb.GEOResult` rebuilt from the catalog, with no network.

        Example:
            >>> # geo_nb.catalog().result(["GSE100494"]).files
        """
        from .result import GEOResult

        return GEOResult(self.records(accessions), settings=settings)

    def _state(self) -> tuple[Any, ...]:
        """What changes whenever the catalog does: every write records a fetch (a new last
        fetch id) and touches the database or its write-ahead log (a recreated file too)."""
        with self._connect() as connection:
            last = connection.execute("SELECT max(id) FROM fetches").fetchone()[0]
        files = (self.path, self.path.with_name(self.path.name + "-wal"))
        stats = [path.stat() if path.exists() else None for path in files]
        return (last, *((s.st_ino, s.st_mtime_ns, s.st_size) if s else None for s in stats))

    def _everything(self) -> GEOResult:
        """The whole catalog as a new result, its records read again only when the catalog
        changed since (by this process or another): ``cat.samples`` then ``cat.files`` read
        the database once. Each result builds its own frames, so changing one (a column, a
        list in a cell) never changes what the next access returns."""
        from .result import GEOResult

        state = self._state()
        if self._whole is None or self._whole[0] != state:
            self._whole = (state, self.records())
        return GEOResult(self._whole[1])

    @property
    def series(self) -> pd.DataFrame:
        """Every stored series, as ``GEOResult.series``."""
        return self._everything().series

    @property
    def samples(self) -> pd.DataFrame:
        """The samples of every stored series, as ``GEOResult.samples``."""
        return self._everything().samples

    @property
    def files(self) -> pd.DataFrame:
        """The files of every stored series, as ``GEOResult.files``."""
        return self._everything().files

    @property
    def runs(self) -> pd.DataFrame:
        """The SRA runs of every stored series, as ``GEOResult.runs``."""
        return self._everything().runs

    @property
    def publications(self) -> pd.DataFrame:
        """The PubMed articles of every stored series, as ``GEOResult.publications``."""
        return self._everything().publications

    def extras(self, name: str) -> dict[str, Any]:
        """Named data stored per accession (e.g. ``"runs"``), as loaded JSON."""
        rows = self.query("SELECT accession, json FROM extras WHERE name = ?", (name,))
        return {a: json.loads(j) for a, j in zip(rows["accession"], rows["json"], strict=True)}
