"""Recording fetches in the catalog, and opening the catalog the settings name.

:func:`record_fetch` is what :meth:`GEOClient.fetch <geo_nb.GEOClient.fetch>`
calls after every fetch (in a worker thread); :func:`catalog` is the public
way in. The catalog itself is :mod:`geo_nb.catalog_db`.

Example:
    >>> # geo_nb.catalog().history()
"""

from __future__ import annotations

import logging
import sqlite3
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .catalog_db import CATALOG_NAME, Catalog, Provenance
from .records import GEORecords
from .settings import Settings

__all__ = ["catalog", "record_fetch"]

log = logging.getLogger("geo_nb")


def record_fetch(
    settings: Settings,
    records: GEORecords,
    provenance: Mapping[str, Provenance],
    *,
    inventory: bool = True,
) -> int | None:
    """Store a fetch in the catalog of ``settings`` (unless ``settings.catalog`` is off).

    A catalog that cannot be written (a read-only cache folder, a full disk, a
    database another program holds locked for longer than 30 s) costs the
    user nothing but this record: it becomes a :class:`RuntimeWarning` and a log
    line, never a failed fetch. Returns the fetch's id, or None. ``inventory=False``:
    the fetch read no folders (see :meth:`Catalog.record`).
    """
    if not settings.catalog:
        return None
    try:
        catalog = Catalog(Path(settings.cache_dir) / CATALOG_NAME)
        return catalog.record(records, provenance, inventory=inventory)
    except (sqlite3.Error, OSError, RuntimeError) as exc:
        message = (
            f"geo_nb could not record this fetch in its catalog ({type(exc).__name__}: {exc}); "
            "the result is complete, only the record is missing. Set GEO_NB_CATALOG=0 to stop "
            "recording."
        )
        log.warning(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)
        return None


def catalog(**overrides: Any) -> Catalog:
    """The catalog of the cache folder the settings name (``<cache_dir>/catalog.sqlite3``).

    In the offline demo it is the demo's temporary cache folder's catalog.

    Example:
        >>> # geo_nb.catalog().history()
    """
    from .offline import resolve_settings

    settings = resolve_settings(**overrides)
    return Catalog(Path(settings.cache_dir) / CATALOG_NAME)
