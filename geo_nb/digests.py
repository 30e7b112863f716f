"""Digested records on disk: a new process starts warm.

The disk cache holds NCBI's raw answers; turning them back into records costs a
parse per series (about 4 ms for a 35-sample series). A digest is the result:
one series' (or sample's, or platform's) records and, for a series, its
parsed ``suppl/`` folder and inventory rows, read back without parsing SOFT.
Digests live in the same bounded disk cache, expire with the oldest
answer they were built from, and are keyed by a fingerprint of geo_nb's
version and of the code that shapes them (the record models, the converter,
the inventory), so an upgrade never reads a stale shape: it misses, and
rebuilds from the raw answers.

They are stored as plain data (lists, dicts, strings, dates) in a pickle whose
reader refuses every other class and every function (each distinct list of
strings stored once, read back as one read-only list the records share), and
the records are rebuilt without being validated a second time
(:mod:`geo_nb._plain`: pydantic's JSON validation of the same digests took
twice as long). A cache folder can be shared (``GEO_NB_CACHE_DIR`` on a lab
drive), so only digests this user wrote are read; another user's are rebuilt
from the raw answers. A digest that cannot be read, whatever the error, is a
miss: it is deleted and rebuilt.

Example:
    >>> fingerprint() == fingerprint()
    True
"""

from __future__ import annotations

import functools
import hashlib
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from ._gcpause import paused_gc
from ._plain import dumps, loads, rebuild, share_lists
from ._version import __version__
from .files.inventory import SeriesFolder, SeriesRows, present_samples, rows_key, series_rows
from .ncbi.cache import DiskCache, cache_key, memory_cache
from .parse.convert import Converted
from .records import Platform, Sample, Series, SupplementaryFile
from .settings import Settings

__all__ = ["DigestStore", "fingerprint", "forget_known"]

log = logging.getLogger("geo_nb.cache")

#: Bump when what a digest means changes without the shaping code changing.
SCHEMA = 5  # 2: stored plain, not gzip; 3: a pickle of plain data (geo_nb._plain);
# 4: of model_dump() (dates as dates, one string per dict key); 5: shared lists of strings
_SHAPERS = (
    "digests.py",
    "_plain.py",
    "records.py",
    "accessions.py",
    "parse/soft.py",
    "parse/family.py",
    "parse/matrix.py",
    "parse/matrix_header.py",
    "metadata.py",
    "parse/convert.py",
    "files/inventory.py",
    "files/folder.py",
    "files/classify.py",
    "ncbi/listing.py",
)
# Digests this process wrote or read, and whether they hold the folder: a warm fetch from
# the memory cache must not write them again, nor replace one with a folder by one without.
_known: dict[tuple[str, str], bool] = {}  # (cache folder, key)
_known_lock = threading.Lock()

#: What :meth:`DigestStore.load` returns: records, when fetched, folder, inventory rows.
Loaded = tuple[Converted, float, SeriesFolder | None, list[SupplementaryFile] | None]


@functools.cache
def fingerprint() -> str:
    """A short hash of geo_nb's version, :data:`SCHEMA` and the code that shapes digests."""
    digest = hashlib.sha256(f"{__version__}\n{SCHEMA}\n".encode())
    root = Path(__file__).parent
    for name in _SHAPERS:
        try:
            digest.update((root / name).read_bytes())
        except OSError:  # installed without sources: the version alone decides
            digest.update(name.encode())
    return digest.hexdigest()[:16]


def forget_known() -> None:
    """Forget which digests are on disk (after the cache was cleared)."""
    with _known_lock:
        _known.clear()


class _Digest(BaseModel):
    series: list[Series]
    samples: list[Sample]
    platforms: list[Platform]
    folder_url: str | None = None  # the series' folder (its accession is the digest's)
    # Its entries, archives and members, a pickle of their own: only read when used.
    folder_lists: bytes | None = None
    # The series' inventory rows (files.inventory.series_rows), built from the records
    # and folder above: reading them back costs a fraction of building them again.
    rows: list[SupplementaryFile] | None = None


def _folder(accession: str, digest: _Digest, fetched_at: float) -> SeriesFolder | None:
    """The digest's folder, if it holds one, whose lists are read when first used."""
    if digest.folder_url is None or digest.folder_lists is None:
        return None
    body = digest.folder_lists
    return SeriesFolder.later(accession, digest.folder_url, fetched_at, lambda: loads(body))


class DigestStore:
    """Reads and writes digests in ``cache`` for the NCBI addresses of ``settings``."""

    def __init__(self, cache: DiskCache, settings: Settings) -> None:
        self.cache = cache
        self.settings = settings
        self._keys: dict[str, str] = {}
        self._root = str(cache.root)

    def _mark(self, accession: str, with_folder: bool | None) -> bool:
        """Remember what this digest holds (None: it is gone); False when nothing new."""
        path = (self._root, self.key(accession))
        with _known_lock:
            known = _known.get(path)
            if with_folder is None:
                _known.pop(path, None)
                return True
            if known is True or known == with_folder:
                return False
            _known[path] = with_folder
            return True

    def key(self, accession: str) -> str:
        """The cache key of ``accession``'s digest."""
        key = self._keys.get(accession)
        if key is None:
            params = {"acc": accession, "ftp": self.settings.ftp_url, "shape": fingerprint()}
            key = self._keys[accession] = cache_key("digest", self.settings.acc_url, params)
        return key

    def load(self, accession: str) -> Loaded | None:
        """The records, their time, the folder and the series' inventory rows (the last
        two if digested with them); None on a miss."""
        # Only this user's digests: their records are rebuilt without validation.
        entry = self.cache.read(self.key(accession), mine=True)
        if entry is None:
            return None
        body, fetched_at = entry
        try:
            with paused_gc():
                digest = rebuild(_Digest, loads(body))
                folder = _folder(accession, digest, fetched_at)
        except Exception as exc:  # anything a malformed pickle raises: a miss, never a failure
            log.warning("ignoring an unreadable digest of %s (%s)", accession, exc)
            self.cache.remove(self.key(accession))
            self._mark(accession, None)
            return None
        self._mark(accession, folder is not None)
        converted = (digest.series, digest.samples, digest.platforms)
        return converted, fetched_at, folder, digest.rows

    def remember_rows(
        self,
        accession: str,
        converted: Converted,
        folder: SeriesFolder,
        rows: list[SupplementaryFile],
    ) -> None:
        """Offer ``rows`` to :func:`~geo_nb.files.inventory.build_inventory` (memory cache) as
        the rows of the series ``accession`` in ``converted`` with ``folder``."""
        series = [s for s in converted[0] if s.accession == accession]
        if len(series) == 1:
            self._offer(series[0], {s.accession: s for s in converted[1]}, folder, rows)

    def _offer(
        self,
        series: Series,
        samples: Mapping[str, Sample],
        folder: SeriesFolder,
        rows: list[SupplementaryFile],
    ) -> None:
        known = SeriesRows(series, folder, present_samples(series, samples), rows)
        memory_cache.put(rows_key(self.settings.ftp_url, series.accession), known)

    def save(
        self,
        accession: str,
        converted: Converted,
        fetched_at: float,
        folder: SeriesFolder | None,
        *,
        force: bool = False,
    ) -> None:
        """Store the digest, unless this process already stored or read the same one or a
        fuller one (``force``: store it anyway, e.g. after a refresh)."""
        if not self._mark(accession, folder is not None) and not force:
            return
        series, samples, platforms = converted
        when = min(fetched_at, folder.fetched_at) if folder is not None else fetched_at
        rows = None
        wanted = [s for s in series if s.accession == accession]
        if folder is not None and len(wanted) == 1:
            by_accession = {s.accession: s for s in samples}
            rows = series_rows(wanted[0], by_accession, folder, self.settings.ftp_url)
            # The same fetch's inventory uses them rather than building them again.
            self._offer(wanted[0], by_accession, folder, rows)
        stored: dict[str, Any] = {}
        if folder is not None:
            listed = folder.to_json()
            del listed["accession"]  # (the digest's own)
            stored = {"folder_url": listed.pop("url"), "folder_lists": dumps(listed)}
        digest = _Digest(series=series, samples=samples, platforms=platforms, rows=rows, **stored)
        body = dumps(share_lists(digest.model_dump()))
        url = f"{self.settings.acc_url}?acc={accession}#digest"
        # Plain, not gzip: inflating 100 series' digests took a tenth of a warm start.
        self.cache.put(self.key(accession), body, url=url, fetched_at=when, compress=False)
