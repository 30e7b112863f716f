"""Analysis-ready data: NCBI's RNA-seq counts as DataFrames, aligned with the samples.

``res.counts("GSE1")`` downloads (through a :class:`~geo_nb.files.plan.DownloadPlan`:
cache dir, verified, resumable) the counts table NCBI computed for a series and
returns genes x samples: ``GeneID`` index, a ``symbol`` column from NCBI Gene's
``gene_info`` (downloaded once into the cache, the same way), then one ``Int64``
column per GSM (``float64`` for TPM/FPKM). ``frame.attrs`` says which files were used.
:func:`load_ncbi_counts` does the same for a series that was not fetched.

Matching matrix columns to samples never guesses: :func:`align_samples` returns
the sample rows in the matrix's column order, or raises
:class:`~geo_nb.errors.AlignmentError` naming the columns that match no sample and
the samples that have no column. AnnData objects are built in :mod:`geo_nb.anndata_io`.

Example:
    >>> # res = geo_nb.fetch("GSE211781")
    >>> # res.has_ncbi_counts()                     # per series
    >>> # counts = res.counts("GSE211781")          # GeneID x GSM, Int64, with symbol
    >>> # tpm = res.counts("GSE211781", kind="tpm")
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pandas as pd

from ._sync import run_sync
from .accessions import normalize_accessions
from .errors import AlignmentError, DownloadFailedError, NotFoundError, QueryError
from .files.plan import DownloadPlan
from .frames import files_frame
from .ncbi.counts import (
    COUNTS_CATEGORY,
    GENOMES,
    KINDS,
    counts_file,
    find_counts_files,
    gene_info_url,
    parse_counts_name,
)
from .ncbi.http import HttpClient
from .offline import resolve_settings
from .parse.counts import read_counts, read_gene_symbols
from .records import GEORecords, SupplementaryFile
from .settings import Settings

__all__ = [
    "acounts",
    "align_samples",
    "aload_ncbi_counts",
    "counts",
    "download_rows",
    "has_ncbi_counts",
    "load_ncbi_counts",
]

_DONE = ("downloaded", "resumed", "skipped", "extracted")
_SYMBOLS: dict[tuple[str, float], pd.Series] = {}


def has_ncbi_counts(files: pd.DataFrame, series: list[str]) -> pd.Series:
    """Per series: whether NCBI-computed counts are listed among ``files``."""
    found = set(files.loc[files["category"] == COUNTS_CATEGORY, "series_accession"].dropna())
    return pd.Series(
        {s: s in found for s in series}, dtype=bool, name="has_ncbi_counts"
    ).rename_axis("accession")


async def download_rows(
    rows: pd.DataFrame,
    settings: Settings,
    folder: str,
    *,
    refresh: bool = False,
    progress: bool = True,
    extract: bool = False,
) -> dict[str, Path]:
    """Download ``rows`` of a files frame through a DownloadPlan into the cache.

    Files land in ``<cache_dir>/files/<folder>/<series>/<name>`` and are reused
    (a complete file is skipped); ``refresh=True`` downloads them again. Returns
    name -> local path; raises :class:`DownloadFailedError` naming each failure.
    """
    dest = Path(settings.cache_dir) / "files" / folder
    plan = DownloadPlan(rows, inventory=rows, settings=settings)
    if refresh:
        for row in plan.files.itertuples():
            owner = row.series_accession if isinstance(row.series_accession, str) else row.accession
            (dest / str(owner) / str(row.name)).unlink(missing_ok=True)
    report = await plan.adownload(dest, progress=progress, extract=extract)
    failed = report[~report["status"].isin(_DONE)]
    if len(failed):
        problems = "; ".join(f"{r.name}: {r.error}" for r in failed.itertuples())
        raise DownloadFailedError(
            f"{len(failed)} file(s) could not be downloaded: {problems}",
            accession=str(failed["accession"].iloc[0]),
        )
    return {str(r.name): Path(str(r.path)) for r in report.itertuples()}


def _frame(rows: list[SupplementaryFile]) -> pd.DataFrame:
    return files_frame(GEORecords(files=rows))


async def gene_symbols(
    settings: Settings, organism: str, *, refresh: bool = False, progress: bool = True
) -> tuple[pd.Series, str]:
    """GeneID -> symbol of ``organism`` from NCBI Gene's ``gene_info``, and its URL.

    The file is downloaded once into ``<cache_dir>/files/ncbi_gene/`` (resumable)
    and reused; ``refresh=True`` fetches it again.
    """
    url = gene_info_url(settings.ftp_url, organism)
    name = url.rsplit("/", 1)[-1]
    row = SupplementaryFile(
        owner="gene_info",
        level="ncbi",
        name=name,
        url=url,
        source_url=url,
        category="metadata",
        format="TSV",
        compression="gz",
    )
    paths = await download_rows(
        _frame([row]), settings, "ncbi_gene", refresh=refresh, progress=progress
    )
    path = paths[name]
    key = (str(path), path.stat().st_mtime)
    if key not in _SYMBOLS:
        _SYMBOLS[key] = read_gene_symbols(path)
    return _SYMBOLS[key], url


async def _counts_from_row(
    row: pd.DataFrame,
    settings: Settings,
    *,
    symbols: bool,
    refresh: bool,
    progress: bool,
) -> pd.DataFrame:
    name = str(row["name"].iloc[0])
    parsed = parse_counts_name(name)
    if parsed is None:
        raise QueryError(f"{name} is not the name of an NCBI counts file.")
    accession, kind, organism = parsed
    paths = await download_rows(row, settings, "ncbi_counts", refresh=refresh, progress=progress)
    frame = read_counts(paths[name], kind=kind)
    source = None
    if symbols:
        table, source = await gene_symbols(settings, organism, refresh=refresh, progress=progress)
        frame.insert(0, "symbol", table.reindex(frame.index).array)
    frame.attrs.update(
        accession=accession,
        kind=kind,
        organism=organism,
        genome=GENOMES[organism][0],
        file=name,
        url=str(row["url"].iloc[0]),
        symbol_source=source,
        loaded_at=time.time(),
    )
    return frame


def _kind(kind: str) -> str:
    key = kind.lower()
    if key not in KINDS:
        raise QueryError(f"kind={kind!r} is not a counts kind; use one of {', '.join(KINDS)}.")
    return key


async def acounts(
    files: pd.DataFrame,
    accession: str,
    settings: Settings,
    *,
    kind: str = "raw",
    organism: str | None = None,
    symbols: bool = True,
    refresh: bool = False,
    progress: bool = True,
) -> pd.DataFrame:
    """NCBI's counts of ``accession`` as listed in a result's ``files`` (async)."""
    (accession,) = normalize_accessions([accession], allowed=("GSE",))
    kind = _kind(kind)
    listed = files[
        (files["category"] == COUNTS_CATEGORY) & (files["series_accession"] == accession)
    ]
    wanted = [
        i
        for i, name in zip(listed.index, listed["name"], strict=True)
        if (p := parse_counts_name(str(name))) is not None
        and p[1] == kind
        and (organism is None or p[2] == organism)
    ]
    if not wanted:
        have = sorted({p[1] for n in listed["name"] if (p := parse_counts_name(str(n)))})
        raise NotFoundError(
            f"{accession} has no NCBI-computed {kind} counts in this result"
            + (f" (it has: {', '.join(have)})" if have else "")
            + ". NCBI computes counts for many human and mouse RNA-seq series only; "
            "res.has_ncbi_counts() says which fetched series have them.",
            accession=accession,
        )
    if len(wanted) > 1:
        raise QueryError(
            f"{accession} has counts for several organisms; pass organism= "
            f"({', '.join(sorted(GENOMES))})."
        )
    row = listed.loc[wanted]
    return await _counts_from_row(
        row, settings, symbols=symbols, refresh=refresh, progress=progress
    )


def counts(
    files: pd.DataFrame, accession: str, settings: Settings | None = None, **keywords: Any
) -> pd.DataFrame:
    """Sync :func:`acounts` (``GEOResult.counts`` calls this)."""
    return run_sync(acounts(files, accession, resolve_settings(settings), **keywords))


async def aload_ncbi_counts(
    accession: str,
    kind: str = "raw",
    *,
    organism: str | None = None,
    symbols: bool = True,
    refresh: bool = False,
    progress: bool = True,
    settings: Settings | None = None,
    **overrides: Any,
) -> pd.DataFrame:
    """NCBI's counts of a series without fetching it first (async); see :func:`load_ncbi_counts`."""
    (accession,) = normalize_accessions([accession], allowed=("GSE",))
    kind = _kind(kind)
    config = resolve_settings(settings, **overrides)
    organisms = [organism] if organism else list(GENOMES)
    async with HttpClient(config) as http:
        found = await find_counts_files(http, accession, organisms)
    rows = [
        counts_file(config.download_url, accession, name, size)
        for name, size in found
        if (p := parse_counts_name(name)) is not None and p[1] == kind
    ]
    if not rows:
        raise NotFoundError(
            f"NCBI has no {kind} counts for {accession} "
            f"({' or '.join(organisms)}): it computes them for many human and mouse "
            "RNA-seq series only (search with ncbi_counts=True to find them).",
            accession=accession,
        )
    return await _counts_from_row(
        _frame(rows[:1]), config, symbols=symbols, refresh=refresh, progress=progress
    )


def load_ncbi_counts(accession: str, kind: str = "raw", **keywords: Any) -> pd.DataFrame:
    """The RNA-seq counts NCBI computed for a series, genes x samples.

    ``kind`` is ``"raw"`` (``Int64``), ``"tpm"`` or ``"fpkm"`` (``float64``). The
    index is NCBI's ``GeneID``; the ``symbol`` column comes from NCBI Gene
    (``symbols=False`` skips it). Two HEAD requests find the file (human or
    mouse; pass ``organism=`` to ask for one); it is downloaded through a
    DownloadPlan into the cache and reused.

    Example:
        >>> # airway = geo_nb.load_ncbi_counts("GSE52778")
        >>> # airway.attrs["genome"], airway.shape
    """
    return run_sync(aload_ncbi_counts(accession, kind, **keywords))


def align_samples(
    samples: pd.DataFrame, columns: list[str], series: str, *, what: str
) -> pd.DataFrame:
    """The rows of ``samples`` (a result's sample table) for ``series``, in ``columns`` order.

    Indexed by GSM. Raises :class:`AlignmentError` naming the columns that
    match no sample of the series and the samples that have no column.

    Example:
        >>> table = pd.DataFrame({"series_accession": ["GSE1", "GSE1"],
        ...                       "accession": ["GSM1", "GSM2"], "title": ["a", "b"]})
        >>> align_samples(table, ["GSM2", "GSM1"], "GSE1", what="counts").title.tolist()
        ['b', 'a']
    """
    own = samples[samples["series_accession"] == series].drop_duplicates("accession")
    own = own.set_index(own["accession"].astype(str)).drop(columns=["accession"])
    wanted = [str(c).strip().upper() for c in columns]
    extra = [c for c in wanted if c not in own.index]
    missing = [s for s in own.index if s not in set(wanted)]
    if extra or missing:
        parts = []
        if extra:
            parts.append(
                f"{len(extra)} column(s) of {what} match no sample of {series} in this result "
                f"({_some(extra)})"
            )
        if missing:
            parts.append(f"{len(missing)} sample(s) of {series} have no column ({_some(missing)})")
        hint = (
            " Fetch the series with all its samples (res.errors says if some are missing)."
            if extra
            else ""
        )
        raise AlignmentError("; ".join(parts) + ". Nothing was aligned." + hint)
    if len(set(wanted)) != len(wanted):
        raise AlignmentError(f"{what} has a column for the same sample twice.")
    return own.loc[wanted].rename_axis("accession")


def _some(names: list[str]) -> str:
    return ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
