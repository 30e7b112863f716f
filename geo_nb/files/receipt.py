"""Download receipts: what a folder should hold, and checking that it still does.

``plan.download(dest)`` writes ``dest/geo_nb-receipt.json``: every file it
handled with its URL, size, the MD5 GEO (or ENA) published where there is one,
the SHA-256 of the bytes on disk, its status and when. Downloading again into
the same folder updates the entries of the files it handles and keeps the
others. :func:`verify` re-reads every file against the receipt, so a changed,
truncated or missing file is named, months later, before an analysis trusts it.

Hashing reads every file once, in a worker thread; a file whose size and
modification time match its entry is not hashed again.

Example:
    >>> # plan.download("data/")              # writes data/geo_nb-receipt.json
    >>> # geo_nb.verify("data/")              # one row per file: ok, changed, missing
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from .._version import __version__
from ..errors import ParseError
from ..ncbi.cache import atomic_write

__all__ = ["RECEIPT_NAME", "read_receipt", "sha256_of", "verify", "write_receipt"]

RECEIPT_NAME = "geo_nb-receipt.json"
_FORMAT = "geo_nb-receipt-1"
_CHUNK = 1 << 20
_ON_DISK = ("downloaded", "resumed", "extracted", "skipped")
VERIFY_COLUMNS = ["path", "status", "expected_bytes", "actual_bytes", "detail"]


def sha256_of(path: Path) -> str:
    """The SHA-256 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def read_receipt(dest: str | Path) -> dict[str, Any]:
    """The receipt in ``dest`` (an empty one if there is none)."""
    path = Path(dest) / RECEIPT_NAME
    if not path.exists():
        return {"format": _FORMAT, "files": {}}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ParseError(f"{path} is not a readable geo_nb receipt: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        raise ParseError(f"{path} is not a geo_nb receipt (format {_FORMAT!r} expected).")
    return data


def write_receipt(dest: str | Path, outcomes: Iterable[Mapping[str, Any]]) -> Path | None:
    """Record ``outcomes`` (rows of a download report, with ``url`` and ``md5``) in the
    receipt of ``dest``; files not on disk are recorded with their status, unhashed.

    Nothing is written when no file got a place in ``dest`` (every name refused).
    """
    folder = Path(dest)
    handled = [row for row in outcomes if row.get("path")]
    if not handled:
        return None
    receipt = read_receipt(folder)
    entries: dict[str, Any] = receipt["files"]
    now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    for row in handled:
        path = Path(str(row["path"]))
        try:
            key = path.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            key = str(path)
        entry: dict[str, Any] = {
            "url": row.get("url"),
            "series_accession": row.get("series_accession"),
            "accession": row.get("accession"),
            "status": row.get("status"),
            "md5": row.get("md5"),
            "time": now,
        }
        old = entries.get(key, {})
        if row.get("status") in _ON_DISK and path.is_file():
            stat = path.stat()
            entry["size_bytes"] = stat.st_size
            entry["mtime_ns"] = stat.st_mtime_ns
            same = old.get("size_bytes") == stat.st_size and old.get("mtime_ns") == stat.st_mtime_ns
            entry["sha256"] = old["sha256"] if same and old.get("sha256") else sha256_of(path)
        elif old.get("sha256"):
            # A failed retry of a file already on disk keeps what is known of it.
            entry = {**old, "status": old.get("status"), "last_attempt": row.get("status")}
        entries[key] = entry
    receipt.update(format=_FORMAT, geo_nb_version=__version__, updated=now, files=entries)
    path = folder / RECEIPT_NAME
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write(path, (json.dumps(receipt, indent=1, sort_keys=True) + "\n").encode())
    return path


def verify(dest: str | Path) -> pd.DataFrame:
    """Check every file of ``dest``'s receipt: ``ok``, ``changed`` or ``missing``.

    A file is ``changed`` when its size or SHA-256 differs from the receipt's
    (the ``detail`` says which). Files the receipt lists as failed are
    ``not_downloaded``. Raises :class:`FileNotFoundError` when ``dest`` has no
    receipt.

    Example:
        >>> # report = geo_nb.verify("data/"); report.query("status != 'ok'")
    """
    folder = Path(dest)
    if not (folder / RECEIPT_NAME).exists():
        raise FileNotFoundError(f"{folder} has no {RECEIPT_NAME}: nothing to verify against.")
    rows = []
    for key, entry in sorted(read_receipt(folder)["files"].items()):
        path = folder / key
        expected = entry.get("size_bytes")
        row = {"path": key, "expected_bytes": expected, "actual_bytes": None, "detail": ""}
        if entry.get("sha256") is None:
            row.update(status="not_downloaded", detail=str(entry.get("status") or ""))
        elif not path.is_file():
            row.update(status="missing", detail="the file is gone")
        else:
            size = os.path.getsize(path)
            row["actual_bytes"] = size
            if size != expected:
                row.update(status="changed", detail=f"{size} bytes, the receipt says {expected}")
            elif sha256_of(path) != entry["sha256"]:
                row.update(status="changed", detail="same size, different SHA-256")
            else:
                row.update(status="ok")
        rows.append(row)
    frame = pd.DataFrame(rows, columns=VERIFY_COLUMNS)
    for column in ("expected_bytes", "actual_bytes"):
        frame[column] = frame[column].astype("Int64")
    return frame
