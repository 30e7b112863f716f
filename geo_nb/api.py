"""Module-level functions: ``search``/``fetch`` (sync) and ``asearch``/``afetch`` (async).

Each call opens a :class:`~geo_nb.GEOClient` for its duration; the caches and
rate limits are shared by the whole process, so repeated calls stay fast and
polite. The sync functions also work inside a Jupyter cell. Keywords that name
a :class:`~geo_nb.Settings` field override it for that call
(``geo_nb.fetch(accs, max_concurrency=4)``).

Example:
    >>> import geo_nb
    >>> # hits = geo_nb.search("ATAC-seq T cell", organism="Homo sapiens", max_results=200)
    >>> # res = geo_nb.fetch(hits.accession[:20])
    >>> # res.series, res.samples, res.files, res.errors
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ._sync import run_sync
from .accessions import normalize_accessions
from .catalog_db import CATALOG_NAME, Catalog
from .client import GEOClient
from .ncbi.eutils import SEARCH_FILTERS, SearchFilters
from .offline import resolve_settings
from .progress import ProgressCallback
from .result import GEOResult
from .settings import Settings

__all__ = ["afetch", "asearch", "fetch", "search"]


def _split_keywords(
    function: str, keywords: dict[str, Any], *, filters: frozenset[str] = frozenset()
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Separate search filters from settings overrides; refuse anything else."""
    fields = set(Settings.model_fields)
    unknown = sorted(k for k in keywords if k not in filters and k not in fields)
    if unknown:
        allowed = [*sorted(filters), "any Settings field (" + ", ".join(sorted(fields)) + ")"]
        raise TypeError(
            f"{function}() got unexpected keyword argument(s) {', '.join(unknown)}; "
            f"it accepts {', '.join(allowed)}."
        )
    chosen = {k: v for k, v in keywords.items() if k in filters}
    overrides = {k: v for k, v in keywords.items() if k not in filters}
    return chosen, overrides


async def asearch(
    query: str = "",
    *,
    max_results: int | None = 100,
    progress: bool = True,
    on_progress: ProgressCallback | None = None,
    settings: Settings | None = None,
    **keywords: Any,
) -> pd.DataFrame:
    """Search GEO (async); see :func:`search`."""
    chosen, overrides = _split_keywords("search", keywords, filters=SEARCH_FILTERS)
    filters: SearchFilters = chosen  # type: ignore[assignment]
    async with GEOClient(settings, **overrides) as client:
        return await client.search(
            query, max_results=max_results, progress=progress, on_progress=on_progress, **filters
        )


async def afetch(
    accessions: str | Iterable[str],
    *,
    refresh: bool = False,
    files: bool = True,
    exact_sizes: bool = False,
    expand_superseries: bool = False,
    progress: bool = True,
    on_progress: ProgressCallback | None = None,
    settings: Settings | None = None,
    runs: bool = False,
    publications: bool = False,
    offline: bool = False,
    **overrides: Any,
) -> GEOResult:
    """Fetch metadata and the file inventory (async); see :func:`fetch`."""
    _split_keywords("fetch", overrides)
    if offline:
        if refresh:
            raise ValueError(
                "offline=True answers from the catalog and refresh=True asks NCBI again: "
                "choose one."
            )
        return await asyncio.to_thread(_from_catalog, accessions, settings, overrides)
    async with GEOClient(settings, **overrides) as client:
        return await client.fetch(
            accessions,
            refresh=refresh,
            files=files,
            exact_sizes=exact_sizes,
            expand_superseries=expand_superseries,
            progress=progress,
            on_progress=on_progress,
            runs=runs,
            publications=publications,
        )


def search(query: str = "", **keywords: Any) -> pd.DataFrame:
    """Search GEO DataSets and return one row per series (sync).

    Filters (see :class:`~geo_nb.ncbi.eutils.SearchFilters`): ``organism``,
    ``study_type``, ``published_from``, ``published_to``, ``min_samples``,
    ``max_samples``, ``supplementary``, ``entry_type`` (default ``"gse"``).
    Also ``max_results`` (default 100, None = all), ``progress``,
    ``on_progress``, ``settings`` and any Settings field.

    Example:
        >>> # hits = geo_nb.search("ATAC-seq", organism="Homo sapiens", published_from=2020)
        >>> # hits.attrs["query_translation"], hits.attrs["count"]
    """
    return run_sync(asearch(query, **keywords))


def fetch(accessions: str | Iterable[str], **keywords: Any) -> GEOResult:
    """Fetch metadata and the sized file inventory; return a GEOResult (sync).

    Keywords: ``refresh``, ``files`` (default True: list and size every
    supplementary file), ``exact_sizes`` (HEAD the files still unsized),
    ``expand_superseries`` (also fetch SubSeries), ``runs`` (the samples'
    SRA runs and their FASTQ files, from NCBI and ENA), ``publications`` (the
    series' PubMed articles), ``offline`` (answer from the catalog of earlier
    fetches, with no network: see :func:`geo_nb.catalog`; accessions it does not
    hold are ``not_in_catalog`` rows in ``res.errors``), ``progress``,
    ``on_progress``, ``settings`` and any Settings field.

    Example:
        >>> # res = geo_nb.fetch(["GSE146537", "GSM11805"])
        >>> # res.samples.filter(like="ch1.")
        >>> # res = geo_nb.fetch("GSE52778", runs=True, publications=True)
        >>> # res.runs, res.publications
        >>> # res = geo_nb.fetch("GSE100494", offline=True)   # from the catalog, no network
    """
    return run_sync(afetch(accessions, **keywords))


def _from_catalog(
    accessions: str | Iterable[str], settings: Settings | None, overrides: dict[str, Any]
) -> GEOResult:
    """What the catalog of these settings holds about ``accessions``."""
    resolved = resolve_settings(settings, **overrides)
    wanted = normalize_accessions(accessions)
    return Catalog(resolved.cache_dir / CATALOG_NAME).result(wanted, settings=resolved)
