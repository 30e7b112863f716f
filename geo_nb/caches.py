"""The caches, for people: what they hold, and emptying them.

geo_nb keeps NCBI's answers (and the records digested from them) in a disk
cache below ``cache_dir``, bounded by ``cache_max_bytes`` (least recently used
entries go first), and parsed records in memory for the running process.
Files fetched for you (``load_geoparse``, ``load_series_matrix``: ``files/``
below the cache dir) and downloads into your own folders are not cache entries:
they neither count towards the bound nor are removed here.

Example:
    >>> import geo_nb
    >>> # geo_nb.cache_info()                     # entries, bytes, oldest use
    >>> # geo_nb.clear_cache(older_than="30d")    # what was not used for a month
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from .catalog_db import CATALOG_NAME
from .digests import forget_known
from .errors import ConfigError
from .ncbi.cache import CacheInfo, DiskCache, memory_cache
from .settings import Settings

__all__ = ["CacheInfo", "cache_info", "clear_cache", "disk_cache"]

_AGE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*$", re.I)
_SECONDS = {"": 86400.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def disk_cache(settings: Settings) -> DiskCache:
    """The disk cache ``settings`` describe (folder, time to live, size bound)."""
    return DiskCache(
        settings.cache_dir, ttl_days=settings.cache_ttl_days, max_bytes=settings.cache_max_bytes
    )


def _age_seconds(older_than: dt.timedelta | float | str) -> float:
    if isinstance(older_than, dt.timedelta):
        return older_than.total_seconds()
    if isinstance(older_than, int | float):
        return float(older_than) * 86400.0
    match = _AGE.match(older_than)
    if match is None:
        raise ConfigError(
            f"older_than={older_than!r} is not an age; use days (7), a timedelta or e.g. '12h', "
            "'30d', '2w'."
        )
    return float(match.group(1)) * _SECONDS[match.group(2).lower()]


def cache_info(**overrides: Any) -> CacheInfo:
    """What the disk cache holds: ``entries``, ``bytes``, ``max_bytes``, ``oldest``/``newest``
    use (epoch seconds), and its ``path``.

    Example:
        >>> # info = geo_nb.cache_info(); info.bytes / info.max_bytes
    """
    return disk_cache(Settings(**overrides)).info()


def clear_cache(
    older_than: dt.timedelta | float | str | None = None,
    *,
    catalog: bool = False,
    **overrides: Any,
) -> int:
    """Empty the caches; returns how many disk entries were deleted.

    Without ``older_than`` every disk entry goes, and the memory cache of this
    process is emptied. With it (days as a number, a ``timedelta``, or text like
    ``"12h"``, ``"30d"``), only entries not used for that long are deleted. The
    catalog (:mod:`geo_nb.catalog`), a record rather than a cache, is kept unless
    ``catalog=True``.

    Example:
        >>> # geo_nb.clear_cache(older_than=30)   # entries unused for 30 days
    """
    seconds = None if older_than is None else _age_seconds(older_than)
    settings = Settings(**overrides)
    removed = disk_cache(settings).clear(seconds)
    if catalog:
        for suffix in ("", "-wal", "-shm"):
            (Path(settings.cache_dir) / f"{CATALOG_NAME}{suffix}").unlink(missing_ok=True)
    forget_known()
    if older_than is None:
        memory_cache.clear()
    return removed
