"""Disk and memory caches for NCBI responses and parsed records.

Disk entries hold a one-line JSON header (URL without secrets, time fetched,
body length and SHA-256) followed by the raw body, as one gzip member; an entry
read far more often than written may be stored plain (``compress=False``:
geo_nb's digests, where inflating cost a tenth of a warm start), which a reader
tells by its first two bytes (the file keeps its ``.gz`` name, so that every
version of geo_nb counts and evicts it). Writes go to a temporary file in the
same folder that is then ``os.replace``'d into place, so a reader (in this or
another process) sees either the old entry, the new one or none, never half of
one. Reads verify the gzip CRC (if compressed), the length and the hash; a
truncated or corrupt entry is deleted and reported as a miss, so the caller
refetches instead of parsing garbage. That check is also why entries are not
fsync'ed: after a power loss a torn entry is a miss, not wrong data, and a
100-series fetch does not wait on the disk 100 times.

The disk cache is bounded (``cache_max_bytes``): reading an entry marks it as
used (its modification time), and when a write takes the folder over the bound
the least recently used entries are deleted until it is 80% full. One process
evicts at a time (a lock file; the others skip, it is the same work). Deleting
is safe for readers in other processes: an entry is read in one ``read``
call, so a reader has either all of it (POSIX keeps an open file's bytes) or
none, a miss that is refetched. Files fetched for the user (``files/``) are not
entries and do not count.

The memory cache holds parsed records for this process (an LRU, keyed by the
settings that shape them), so a repeated fetch costs no parsing at all.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import logging
import os
import tempfile
import threading
import time
import zlib
from collections import OrderedDict
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock

from ..parse import GZIP_MAGIC

__all__ = [
    "CacheInfo",
    "DiskCache",
    "MemoryCache",
    "atomic_write",
    "cache_key",
    "memory_cache",
]

log = logging.getLogger("geo_nb.cache")

_FORMAT = "geo_nb-cache-1"
_IGNORED_PARAMS = frozenset({"api_key", "tool", "email"})
_STALE_TEMP_SECONDS = 3600.0
_EVICT_TO = 0.8  # of max_bytes: room for many writes before the next eviction
_pruned: set[Path] = set()
_pruned_lock = threading.Lock()
# Bytes believed to be in each cache folder, per process: scanned once, then counted.
_estimates: dict[Path, int] = {}
_estimates_lock = threading.Lock()


@dataclass(frozen=True)
class CacheInfo:
    """What the disk cache holds: entry count, bytes, and when the least and most
    recently used entries were last used (epoch seconds; None when empty)."""

    path: Path
    entries: int
    bytes: int
    max_bytes: int
    oldest: float | None
    newest: float | None


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place.

    Readers see the old file, the new one or none, never half of one; a failed
    or interrupted write leaves no temporary file behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def cache_key(namespace: str, url: str, params: Mapping[str, str] | None = None) -> str:
    """A stable key for a request; identification and secrets are left out.

    Example:
        >>> cache_key("acc", "https://x/acc.cgi", {"acc": "GSE1", "api_key": "k"}) == \\
        ...     cache_key("acc", "https://x/acc.cgi", {"acc": "GSE1"})
        True
    """
    kept = sorted((k, v) for k, v in (params or {}).items() if k not in _IGNORED_PARAMS)
    text = json.dumps([_FORMAT, namespace, url, kept], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def _user() -> int:
    """This process's user id; 0 where the system has none (Windows, whose files say 0)."""
    getuid = getattr(os, "getuid", None)
    return 0 if getuid is None else int(getuid())


class DiskCache:
    """Raw responses on disk, written atomically, verified on every read, bounded in size."""

    def __init__(self, root: Path, *, ttl_days: float, max_bytes: int = 2 * 1024**3) -> None:
        self.root = Path(root) / "responses-v1"
        self.ttl_seconds = ttl_days * 86400.0
        self.max_bytes = max_bytes

    def path(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self.root / f"{key[:2]}/{key}.gz"  # one join: a warm start asks for hundreds

    def get(self, key: str) -> bytes | None:
        """The cached body for ``key``, or None if absent, expired or corrupt."""
        entry = self.read(key)
        return None if entry is None else entry[0]

    def read(self, key: str, *, mine: bool = False) -> tuple[bytes, float] | None:
        """The cached body for ``key`` and when it was fetched (epoch seconds), or None.

        A hit marks the entry as recently used, for the size bound's eviction.
        ``mine``: only an entry this user's process wrote (where the system has
        owners) is a hit; one another user wrote in a shared folder is not read.
        """
        if self.ttl_seconds <= 0:
            return None
        path = self.path(key)
        try:
            with open(path, "rb") as handle:
                if mine and os.fstat(handle.fileno()).st_uid != _user():
                    log.debug("not reading %s: another user wrote it", path)
                    return None
                blob = handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            log.warning("cannot read cache entry %s: %s", path, exc)
            return None
        try:
            raw = gzip.decompress(blob) if blob[:2] == GZIP_MAGIC else blob
            header_line, _, body = raw.partition(b"\n")
            header = json.loads(header_line)
            if not isinstance(header, dict):
                raise ValueError("no header")
            if header.get("format") != _FORMAT:
                raise ValueError("unknown format")
            if header.get("length") != len(body):
                raise ValueError("length mismatch")
            if header.get("sha256") != hashlib.sha256(body).hexdigest():
                raise ValueError("hash mismatch")
        except (OSError, EOFError, zlib.error, ValueError) as exc:
            log.warning("discarding corrupt cache entry %s (%s); it will be refetched", path, exc)
            with contextlib.suppress(OSError):
                path.unlink()
            return None
        fetched_at = float(header.get("fetched_at", 0))
        if time.time() - fetched_at > self.ttl_seconds:
            return None
        with contextlib.suppress(OSError):
            os.utime(path)
        return body, fetched_at

    def put(
        self,
        key: str,
        body: bytes,
        *,
        url: str,
        fetched_at: float | None = None,
        sha256: str | None = None,
        compress: bool = True,
    ) -> None:
        """Store ``body`` for ``key`` atomically. ``url`` must carry no secrets.

        ``fetched_at`` is when the data was fetched (default: now); an entry
        derived from older answers passes theirs, so it expires with them.
        ``sha256`` is the body's hash when the caller already computed it.
        ``compress=False`` stores it plain: faster to read, larger on disk.
        """
        header = {
            "format": _FORMAT,
            "url": url,
            "fetched_at": time.time() if fetched_at is None else fetched_at,
            "length": len(body),
            "sha256": sha256 or hashlib.sha256(body).hexdigest(),
        }
        blob = json.dumps(header).encode() + b"\n" + body
        if compress:
            blob = gzip.compress(blob, compresslevel=5, mtime=0)
        # Temporary files of writers that were killed are harmless (reads skip them), but
        # should not pile up: the first write of a process clears the old ones.
        self.prune_once()
        atomic_write(self.path(key), blob)
        self._count(len(blob))

    def remove(self, key: str) -> None:
        """Forget ``key`` (no error if it is not cached)."""
        with contextlib.suppress(FileNotFoundError):
            self.path(key).unlink()

    # ---- the size bound --------------------------------------------------------------

    def _entries(self) -> list[tuple[float, int, Path]]:
        """(last used, size, path) of every entry; entries deleted meanwhile are skipped."""
        found: list[tuple[float, int, Path]] = []
        if not self.root.is_dir():
            return found
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for entry in folder.glob("*.gz"):
                with contextlib.suppress(FileNotFoundError):
                    stat = entry.stat()
                    found.append((stat.st_mtime, stat.st_size, entry))
        return found

    def _count(self, added: int) -> None:
        with _estimates_lock:
            known = _estimates.get(self.root)
        if known is None:
            known = sum(size for _, size, _ in self._entries())
        else:
            known += added
        with _estimates_lock:
            _estimates[self.root] = known
        if known > self.max_bytes:
            self.evict()

    def evict(self, max_bytes: int | None = None) -> int:
        """Delete least recently used entries until the cache is within 80% of its bound.

        Returns how many were deleted (0 when another process is evicting).
        """
        limit = self.max_bytes if max_bytes is None else max_bytes
        self.root.mkdir(parents=True, exist_ok=True)
        try:
            with filelock.FileLock(self.root / ".evict.lock", timeout=0):
                entries = sorted(self._entries())
                total = sum(size for _, size, _ in entries)
                removed = 0
                target = int(limit * _EVICT_TO)
                for _, size, path in entries:
                    if total <= target:
                        break
                    with contextlib.suppress(FileNotFoundError):
                        path.unlink()
                        removed += 1
                    total -= size
        except filelock.Timeout:
            return 0
        with _estimates_lock:
            _estimates[self.root] = total
        if removed:
            log.info("cache: evicted %d least recently used entries from %s", removed, self.root)
        return removed

    def clear(self, older_than: float | None = None) -> int:
        """Delete every entry, or those unused for more than ``older_than`` seconds."""
        cutoff = None if older_than is None else time.time() - older_than
        removed = 0
        for used, _, path in self._entries():
            if cutoff is None or used < cutoff:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed += 1
        with _estimates_lock:
            _estimates.pop(self.root, None)
        return removed

    def info(self) -> CacheInfo:
        """Entries, bytes and last-use times of what the cache holds now."""
        entries = self._entries()
        used = [u for u, _, _ in entries]
        return CacheInfo(
            path=self.root,
            entries=len(entries),
            bytes=sum(size for _, size, _ in entries),
            max_bytes=self.max_bytes,
            oldest=min(used) if used else None,
            newest=max(used) if used else None,
        )

    def prune_once(self) -> None:
        """:meth:`prune_temp_files`, at most once per process for this cache dir."""
        with _pruned_lock:
            if self.root in _pruned:
                return
            _pruned.add(self.root)
        try:
            self.prune_temp_files()
        except OSError as exc:
            log.warning("could not prune temporary files in %s: %s", self.root, exc)

    def prune_temp_files(self, older_than: float = _STALE_TEMP_SECONDS) -> int:
        """Delete temporary files left by killed processes; return how many."""
        removed = 0
        if not self.root.is_dir():
            return 0
        cutoff = time.time() - older_than
        for folder in self.root.iterdir():
            if not folder.is_dir():
                continue
            for entry in folder.glob(".tmp-*.part"):
                with contextlib.suppress(OSError):
                    if entry.stat().st_mtime < cutoff:
                        entry.unlink()
                        removed += 1
        return removed


class MemoryCache:
    """A thread-safe LRU of parsed objects for this process."""

    def __init__(self, max_entries: int = 4096) -> None:
        self.max_entries = max_entries
        self._data: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        """The cached object, or None."""
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        """Remember ``value`` under ``key``, evicting the least recently used."""
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


memory_cache = MemoryCache()
