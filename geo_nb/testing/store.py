"""The emulator's data: SOFT records, docsums, record status and the FTP tree.

A :class:`DataStore` is loaded from a data directory (layout in
``data/README.md``) and can be extended at run time by tests. Every method is
thread-safe; docsums derived from SOFT records are rebuilt lazily after a change.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .docsums import derive_docsum, uid_for
from .ftpfiles import FtpFile, Mtime, normalize_path, parse_mtime
from .geopaths import is_accession
from .soft import SoftRecord, split_entities

__all__ = ["BUNDLED_DATA", "DataStore", "DirEntry", "Status"]

BUNDLED_DATA = Path(__file__).parent / "data"
Status = Literal["private", "withdrawn", "unapproved", "public"]
DEFAULT_RELEASE_DATE = "Jan 01 2030"


_PARSED: dict[tuple[str, int, int], list[SoftRecord]] = {}
_PARSED_LOCK = threading.Lock()


def _parse(soft_text: str) -> list[SoftRecord]:
    records = split_entities(soft_text)
    if not records:
        raise ValueError("No ^SERIES, ^SAMPLE or ^PLATFORM entity found in the SOFT text")
    for record in records:
        if not is_accession(record.accession) or record.accession.startswith("GDS"):
            raise ValueError(f"Not a GSE/GSM/GPL accession: {record.accession!r}")
    return records


def _parse_file(path: Path) -> list[SoftRecord]:
    """Records of one file; parsed once per process (records are immutable, so shareable)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    with _PARSED_LOCK:
        cached = _PARSED.get(key)
    if cached is None:
        raw = path.read_bytes()
        raw = gzip.decompress(raw) if path.suffix == ".gz" else raw
        try:
            cached = _parse(raw.decode("utf-8", errors="surrogateescape"))
        except ValueError as exc:
            raise ValueError(f"{path}: {exc}") from None
        with _PARSED_LOCK:
            _PARSED[key] = cached
    return cached


@dataclass(frozen=True)
class DirEntry:
    """One row of a directory listing."""

    name: str
    is_dir: bool
    size: int
    mtime: float


class DataStore:
    """Records, docsums, statuses and FTP files, loaded from ``data_dir`` (default: bundled)."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else BUNDLED_DATA
        self._lock = threading.RLock()
        self._records: dict[str, SoftRecord] = {}
        self._recorded: dict[str, dict[str, Any]] = {}
        self._status: dict[str, tuple[Status, str | None]] = {}
        self._files: dict[str, FtpFile] = {}
        self._dirs: dict[str, float] = {}
        self._noindex: set[str] = set()
        self._version = 0
        self._derived: tuple[int, list[dict[str, Any]]] | None = None
        if data_dir is not None and not self.data_dir.is_dir():
            raise FileNotFoundError(f"Emulator data directory not found: {self.data_dir}")
        self._load()

    # ---- loading -------------------------------------------------------------------------

    def _load(self) -> None:
        root = self.data_dir
        for path in sorted((root / "records").glob("*.soft*")):
            self._add_records(_parse_file(path))
        for path in sorted((root / "docsums").glob("*.json")):
            loaded = json.loads(path.read_text(encoding="utf-8"))
            result = loaded.get("result") if isinstance(loaded, dict) else None
            if isinstance(result, dict):
                for uid in result.get("uids", []):
                    self.add_docsum(result[uid])
            else:
                self.add_docsum(loaded)
        self._load_status(root / "status.json")
        self._load_ftp(root / "ftp" / "geo")
        virtual = root / "ftp_virtual.tsv"
        if virtual.is_file():
            for line in virtual.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#"):
                    name, size, mtime = [*line.split("\t"), "", ""][:3]
                    self.add_virtual_file(name, int(size), mtime or None)

    def _load_status(self, path: Path) -> None:
        if not path.is_file():
            return
        status = json.loads(path.read_text(encoding="utf-8"))
        for accession, date in status.get("private", {}).items():
            self.set_status(accession, "private", date)
        for accession in status.get("withdrawn", []):
            self.set_status(accession, "withdrawn")
        for accession in status.get("unapproved", []):
            self.set_status(accession, "unapproved")
        for directory in status.get("noindex", []):
            self.add_noindex(directory)

    def _load_ftp(self, root: Path) -> None:
        if not root.is_dir():
            return
        for dirpath, _, filenames in os.walk(root):
            directory = Path(dirpath)
            rel = directory.relative_to(root).as_posix()
            with self._lock:
                self._dirs[normalize_path("" if rel == "." else rel)] = directory.stat().st_mtime
            for name in filenames:
                disk = directory / name
                stat = disk.stat()
                path = normalize_path(disk.relative_to(root).as_posix())
                with self._lock:
                    self._files[path] = FtpFile(path, stat.st_size, stat.st_mtime, disk=disk)

    # ---- adding data -------------------------------------------------------------------

    def add_record(self, soft_text: str | bytes) -> list[str]:
        """Add every SERIES/SAMPLE/PLATFORM entity in ``soft_text``; returns their accessions."""
        if isinstance(soft_text, bytes):
            soft_text = soft_text.decode("utf-8", errors="surrogateescape")
        return self._add_records(_parse(soft_text))

    def _add_records(self, records: list[SoftRecord]) -> list[str]:
        with self._lock:
            for record in records:
                self._records[record.accession.upper()] = record
            self._version += 1
        return [record.accession for record in records]

    def remove_record(self, accession: str) -> None:
        """Forget a SOFT record, so acc.cgi no longer knows it (e.g. to make a series'
        answer lack samples, as GEO's sometimes does)."""
        with self._lock:
            self._records.pop(accession.strip().upper(), None)
            self._version += 1

    def add_docsum(self, docsum: dict[str, Any]) -> None:
        """Add a recorded esummary docsum (the object under ``result[uid]``); it wins over SOFT."""
        accession = str(docsum.get("accession", "")).upper()
        if not accession:
            raise ValueError("A docsum needs an 'accession' field")
        docsum = dict(docsum)
        docsum.setdefault("uid", uid_for(accession))
        with self._lock:
            self._recorded[accession] = docsum
            self._version += 1

    def add_ftp_file(self, path: str, data: bytes, mtime: Mtime = None) -> None:
        """Serve ``data`` at ``/geo/<path>``; ``mtime`` is epoch seconds, a datetime or text."""
        path = normalize_path(path)
        with self._lock:
            self._files[path] = FtpFile(path, len(data), parse_mtime(mtime), data=bytes(data))

    def add_ftp_parts(self, path: str, parts: Sequence[bytes], mtime: Mtime = None) -> None:
        """Serve ``parts`` one after the other at ``/geo/<path>`` (parts may be shared by
        several files, so big generated files cost their memory once)."""
        path = normalize_path(path)
        size = sum(len(part) for part in parts)
        with self._lock:
            self._files[path] = FtpFile(path, size, parse_mtime(mtime), parts=tuple(parts))

    def remove_ftp_file(self, path: str) -> None:
        """Stop serving the file at ``/geo/<path>`` (no error if there is none)."""
        with self._lock:
            self._files.pop(normalize_path(path), None)

    def add_virtual_file(self, path: str, size: int, mtime: Mtime = None) -> None:
        """Serve ``size`` bytes of generated content at ``/geo/<path>``."""
        path = normalize_path(path)
        if size < 0:
            raise ValueError("size must be >= 0")
        with self._lock:
            self._files[path] = FtpFile(path, size, parse_mtime(mtime), virtual=True)

    def set_status(self, accession: str, status: Status, release_date: str | None = None) -> None:
        """Make an accession private (with a release date), withdrawn, unapproved or public."""
        if status not in ("private", "withdrawn", "unapproved", "public"):
            raise ValueError(f"Unknown status {status!r}")
        key = accession.strip().upper()
        with self._lock:
            if status == "public":
                self._status.pop(key, None)
            else:
                date = (release_date or DEFAULT_RELEASE_DATE) if status == "private" else None
                self._status[key] = (status, date)
            self._version += 1

    def add_noindex(self, dirpath: str) -> None:
        """Make a directory answer 403 (no index), as NCBI does for e.g. an empty ``suppl/``."""
        with self._lock:
            self._noindex.add(normalize_path(dirpath))

    # ---- reading -----------------------------------------------------------------------

    @property
    def version(self) -> int:
        """Increases whenever records, docsums or statuses change (for caches)."""
        return self._version

    def record(self, accession: str) -> SoftRecord | None:
        """The SOFT record of an accession (case-insensitive), or None."""
        with self._lock:
            return self._records.get(accession.strip().upper())

    def status(self, accession: str) -> tuple[Status, str | None]:
        """``(status, release_date)``; ``("public", None)`` unless set otherwise."""
        with self._lock:
            return self._status.get(accession.strip().upper(), ("public", None))

    def accessions(self) -> list[str]:
        """Accessions of every stored SOFT record."""
        with self._lock:
            return [record.accession for record in self._records.values()]

    def docsums(self) -> list[dict[str, Any]]:
        """Every docsum: recorded ones, plus ones derived from records that have none.

        The dicts are shared with the store's cache: read them, do not modify them.
        """
        with self._lock:
            if self._derived is None or self._derived[0] != self._version:
                docs = {acc: dict(doc) for acc, doc in self._recorded.items()}
                for acc, record in self._records.items():
                    if acc not in docs:
                        docs[acc] = derive_docsum(record, self._records)
                self._derived = (self._version, list(docs.values()))
            return list(self._derived[1])

    def ftp_file(self, path: str) -> FtpFile | None:
        """The file at ``/geo/<path>``, or None."""
        with self._lock:
            return self._files.get(normalize_path(path))

    def is_noindex(self, path: str) -> bool:
        """True for directories marked as having no index."""
        with self._lock:
            return normalize_path(path) in self._noindex

    def listing(self, path: str) -> list[DirEntry] | None:
        """The entries of directory ``/geo/<path>/``, or None if it is not a directory."""
        base = normalize_path(path)
        prefix = f"{base}/" if base else ""
        with self._lock:
            files: Iterable[FtpFile] = list(self._files.values())
            dirs = set(self._dirs) | self._noindex
            exists = base in dirs or any(f.path.startswith(prefix) for f in files)
            exists = exists or any(d.startswith(prefix) for d in dirs)
            if not exists:
                return None
            entries: dict[str, DirEntry] = {}
            for file in files:
                if not file.path.startswith(prefix):
                    continue
                name, sep, _ = file.path[len(prefix) :].partition("/")
                if not sep:
                    entries[name] = DirEntry(name, False, file.size, file.mtime)
                else:
                    old = entries.get(name)
                    mtime = max(file.mtime, old.mtime if old else 0.0)
                    entries[name] = DirEntry(name, True, -1, mtime)
            for directory in dirs:
                if directory.startswith(prefix) and directory != base:
                    name = directory[len(prefix) :].partition("/")[0]
                    if name not in entries:
                        entries[name] = DirEntry(name, True, -1, self._dirs.get(directory, 0.0))
            return sorted(entries.values(), key=lambda entry: entry.name)
