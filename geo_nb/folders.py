"""A series' files straight from GEO's FTP tree, without its metadata.

``geo_nb.list_files("GSE125065")`` reads the series' ``suppl/`` folder listing and
its ``filelist.txt`` (two requests, cached like a fetch's) and returns the sized
file rows a fetch would list for them: the series' own files and the members of
its ``RAW.tar`` (owned by their samples, with their own URLs). No acc.cgi request
is made, so sample files that only the records name are not listed: use
:func:`geo_nb.fetch` for the full inventory with metadata.

Example:
    >>> # files = geo_nb.list_files("GSE125065")
    >>> # files.groupby("category").size_bytes.sum()
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ._aio import gather_or_cancel
from ._sync import run_sync
from .accessions import normalize_accessions
from .caches import disk_cache
from .files.inventory import FolderReader, build_inventory
from .frames import files_frame
from .ncbi.http import HttpClient
from .offline import resolve_settings
from .records import GEORecords, Series
from .settings import Settings

__all__ = ["alist_files", "list_files"]


async def alist_files(
    accessions: str | Iterable[str],
    *,
    refresh: bool = False,
    settings: Settings | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """The sized files of series' FTP folders (async); see :func:`list_files`."""
    wanted = normalize_accessions(accessions, allowed=("GSE",))
    config = resolve_settings(settings, **overrides)
    async with HttpClient(config) as http:
        reader = FolderReader(http, disk_cache(config), config)
        folders = await gather_or_cancel(reader.series_folder(a, refresh=refresh) for a in wanted)
    # Placeholders carrying only the accession: the inventory needs a series to list under.
    shells = GEORecords(requested=wanted, series=[Series(accession=a) for a in wanted])
    rows = build_inventory(shells, dict(zip(wanted, folders, strict=True)), config.ftp_url)
    return files_frame(GEORecords(requested=wanted, files=rows))


def list_files(accessions: str | Iterable[str], **keywords: Any) -> pd.DataFrame:
    """Every file of series' ``suppl/`` folders, sized from GEO's ``filelist.txt``.

    The same columns as ``GEOResult.files``; ``RAW.tar`` members are rows of level
    ``archive_member`` owned by their sample. A folder that does not exist gives
    no rows. ``refresh=True`` ignores the cache.

    Example:
        >>> # geo_nb.list_files("GSE125065").query("category == 'single_cell'")
    """
    return run_sync(alist_files(accessions, **keywords))
