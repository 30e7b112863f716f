"""Full records with tables: GEOparse objects and series matrices.

geo_nb's own metadata skips data tables. When the tables are wanted, these
loaders fetch the files GEO publishes (the family SOFT, a GSM/GPL record's
full text, the series matrix) through geo_nb's fetcher (rate limits,
retries, resumable verified downloads, atomic writes) into
``<cache_dir>/files/``, and hand them to GEOparse or the series-matrix reader,
so users keep GEOparse's analysis API (``gse.gsms[...].table``,
``gse.pivot_samples(...)``).

Example:
    >>> # gse = geo_nb.load_geoparse("GSE1563")
    >>> # samples, expression = geo_nb.load_series_matrix("GSE1563")
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ._sync import run_sync
from .accessions import accession_prefix, ftp_dir, normalize_accessions
from .errors import NotFoundError, QueryError, UnexpectedResponseError
from .files.download import DownloadJob, download_file
from .ncbi.acc import check_soft
from .ncbi.cache import atomic_write
from .ncbi.http import HttpClient, Service
from .ncbi.listing import parse_listing
from .offline import resolve_settings
from .parse.matrix import SeriesMatrix, read_series_matrix
from .settings import Settings

__all__ = [
    "aload_geoparse",
    "aload_series_matrices",
    "load_geoparse",
    "load_series_matrices",
    "load_series_matrix",
]


def _fresh(path: Path, settings: Settings) -> bool:
    age = time.time() - path.stat().st_mtime if path.exists() else float("inf")
    return age < settings.cache_ttl_days * 86400


def _one(accession: str, allowed: tuple[str, ...]) -> str:
    (only,) = normalize_accessions([accession], allowed=allowed)
    return only


async def _ftp_file(http: HttpClient, path: str, refresh: bool, accession: str) -> Path:
    settings = http.settings
    local = Path(settings.cache_dir) / "files" / path
    if refresh or not _fresh(local, settings):
        local.unlink(missing_ok=True)
        await download_file(
            http, DownloadJob(f"{settings.ftp_url}/{path}", local, None, None, accession)
        )
    return local


async def _acc_text(http: HttpClient, accession: str, refresh: bool) -> Path:
    settings = http.settings
    local = Path(settings.cache_dir) / "files" / "acc" / f"{accession}.txt"
    if refresh or not _fresh(local, settings):
        params = {"acc": accession, "targ": "self", "form": "text", "view": "full"}
        response = await http.request(
            Service.ACC, "GET", settings.acc_url, params=params, accession=accession
        )
        check_soft(response.text, accession, f"{settings.acc_url}?acc={accession}")
        atomic_write(local, response.content)
    return local


async def aload_geoparse(
    accession: str,
    *,
    refresh: bool = False,
    settings: Settings | None = None,
    **overrides: Any,
) -> Any:
    """Fetch a full record and parse it with GEOparse (async); see :func:`load_geoparse`."""
    import GEOparse  # imported here: it is heavy, and only needed when asked for

    accession = _one(accession, ("GSE", "GSM", "GPL"))
    config = resolve_settings(settings, **overrides)
    async with HttpClient(config) as http:
        if accession_prefix(accession) == "GSE":
            path = f"{ftp_dir(accession)}/soft/{accession}_family.soft.gz"
            local = await _ftp_file(http, path, refresh, accession)
        else:
            local = await _acc_text(http, accession, refresh)
    return GEOparse.get_GEO(filepath=str(local), silent=True)


def load_geoparse(accession: str, **keywords: Any) -> Any:
    """The GEOparse object of a GSE (its family SOFT, with every table) or a GSM/GPL.

    The file is fetched through geo_nb (cached under ``<cache_dir>/files/``,
    reused for ``cache_ttl_days``; ``refresh=True`` refetches) and parsed by
    ``GEOparse.get_GEO(filepath=...)``. A family SOFT holds every sample's
    table and can be gigabytes for large array series.

    Example:
        >>> # gse = geo_nb.load_geoparse("GSE1563")
        >>> # gse.pivot_samples("VALUE").head()
    """
    return run_sync(aload_geoparse(accession, **keywords))


async def aload_series_matrices(
    accession: str,
    *,
    refresh: bool = False,
    settings: Settings | None = None,
    **overrides: Any,
) -> dict[str, SeriesMatrix]:
    """Every series matrix of a GSE, by platform (async); see :func:`load_series_matrices`."""
    accession = _one(accession, ("GSE",))
    config = resolve_settings(settings, **overrides)
    folder = f"{ftp_dir(accession)}/matrix/"
    async with HttpClient(config) as http:
        response = await http.request(
            Service.FTP, "GET", f"{config.ftp_url}/{folder}", accession=accession
        )
        if response.status_code in (403, 404):
            raise NotFoundError(
                f"{accession} has no series matrix on GEO (SuperSeries and some sequencing "
                "series have none); use load_geoparse for the family SOFT.",
                accession=accession,
            )
        if response.status_code != 200:
            raise UnexpectedResponseError(
                f"{accession}: the matrix folder answered HTTP {response.status_code}.",
                accession=accession,
            )
        names = sorted(
            e.name
            for e in parse_listing(response.text, url=folder)
            if e.name.endswith("_series_matrix.txt.gz")
        )
        if not names:
            raise NotFoundError(f"{accession} has no series matrix file.", accession=accession)
        matrices: dict[str, SeriesMatrix] = {}
        for name in names:
            local = await _ftp_file(http, folder + name, refresh, accession)
            header, matrix = read_series_matrix(local)
            platform = (header.get("platform_id") or [""])[0] or name.split("_")[0]
            matrices[platform] = matrix
    return matrices


def load_series_matrices(accession: str, **keywords: Any) -> dict[str, SeriesMatrix]:
    """Every series matrix of a GSE as ``{platform: SeriesMatrix(samples, expression)}``.

    Example:
        >>> # for platform, (samples, expr) in geo_nb.load_series_matrices("GSE2").items(): ...
    """
    return run_sync(aload_series_matrices(accession, **keywords))


def load_series_matrix(
    accession: str, *, platform: str | None = None, **keywords: Any
) -> SeriesMatrix:
    """A GSE's series matrix as ``(samples, expression)`` DataFrames.

    ``samples`` has one row per sample (characteristics as ``ch1.<tag>``
    columns); ``expression`` is indexed by ``ID_REF`` with one column per
    sample. A series on several platforms has one matrix per platform: pass
    ``platform=`` or use :func:`load_series_matrices`.

    Example:
        >>> # samples, expression = geo_nb.load_series_matrix("GSE1563")
    """
    matrices = load_series_matrices(accession, **keywords)
    if platform is not None:
        if platform.upper() not in matrices:
            raise QueryError(
                f"{accession} has no matrix for {platform}; it has {', '.join(matrices)}."
            )
        return matrices[platform.upper()]
    if len(matrices) > 1:
        raise QueryError(
            f"{accession} has one matrix per platform ({', '.join(matrices)}); pass platform= "
            "or use load_series_matrices()."
        )
    return next(iter(matrices.values()))
