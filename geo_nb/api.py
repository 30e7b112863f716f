"""Module-level functions: ``search``/``fetch`` (sync) and ``asearch``/``afetch`` (async).

Each call opens a :class:`~geo_nb.GEOClient` for its duration; the caches and
rate limits are shared by the whole process, so repeated calls stay fast and
polite. The sync functions also work inside a Jupyter cell.

Example:
    >>> import geo_nb
    >>> # hits = geo_nb.search("ATAC-seq T cell", organism="Homo sapiens", max_results=200)
    >>> # res = geo_nb.fetch(hits.accession[:20])
    >>> # res.series, res.samples, res.files, res.errors
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ._sync import run_sync
from .client import GEOClient
from .progress import ProgressCallback
from .result import GEOResult
from .settings import Settings

__all__ = ["afetch", "asearch", "fetch", "search"]


async def asearch(
    query: str = "",
    *,
    organism: str | Sequence[str] | None = None,
    study_type: str | Sequence[str] | None = None,
    published_from: str | dt.date | None = None,
    published_to: str | dt.date | None = None,
    min_samples: int | None = None,
    max_samples: int | None = None,
    supplementary: str | Sequence[str] | None = None,
    entry_type: str | None = "gse",
    max_results: int | None = 100,
    progress: bool = True,
    on_progress: ProgressCallback | None = None,
    settings: Settings | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """Search GEO; see :meth:`GEOClient.search`. Extra keywords override settings."""
    async with GEOClient(settings, **overrides) as client:
        return await client.search(
            query,
            organism=organism,
            study_type=study_type,
            published_from=published_from,
            published_to=published_to,
            min_samples=min_samples,
            max_samples=max_samples,
            supplementary=supplementary,
            entry_type=entry_type,
            max_results=max_results,
            progress=progress,
            on_progress=on_progress,
        )


async def afetch(
    accessions: str | Iterable[str],
    *,
    refresh: bool = False,
    progress: bool = True,
    on_progress: ProgressCallback | None = None,
    settings: Settings | None = None,
    **overrides: Any,
) -> GEOResult:
    """Fetch metadata; see :meth:`GEOClient.fetch`. Extra keywords override settings."""
    async with GEOClient(settings, **overrides) as client:
        return await client.fetch(
            accessions, refresh=refresh, progress=progress, on_progress=on_progress
        )


def search(query: str = "", **kwargs: Any) -> pd.DataFrame:
    """Search GEO DataSets and return one row per series (sync).

    Keywords: ``organism``, ``study_type``, ``published_from``,
    ``published_to``, ``min_samples``, ``max_samples``, ``supplementary``,
    ``entry_type`` (default ``"gse"``), ``max_results`` (default 100, None = all),
    ``progress``, ``on_progress``, ``settings`` and any Settings field.

    Example:
        >>> # hits = geo_nb.search("ATAC-seq", organism="Homo sapiens", published_from=2020)
        >>> # hits.attrs["query_translation"], hits.attrs["count"]
    """
    return run_sync(asearch(query, **kwargs))


def fetch(accessions: str | Iterable[str], **kwargs: Any) -> GEOResult:
    """Fetch metadata for GSE/GSM/GPL accessions and return a GEOResult (sync).

    Keywords: ``refresh``, ``progress``, ``on_progress``, ``settings`` and any
    Settings field.

    Example:
        >>> # res = geo_nb.fetch(["GSE146537", "GSM11805"])
        >>> # res.samples.filter(like="ch1.")
    """
    return run_sync(afetch(accessions, **kwargs))
