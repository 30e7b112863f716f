"""AnnData from a fetch: NCBI counts, series matrices and 10x matrices, with aligned obs.

``res.to_anndata(accession, source=...)`` builds an ``anndata.AnnData`` whose
``obs`` is the result's sample table (characteristics as columns) in the matrix's
order, indexed by GSM (see :func:`geo_nb.analysis.align_samples`: a column that
matches no sample, or a sample without a column, raises
:class:`~geo_nb.errors.AlignmentError`):

* ``"counts"``: NCBI's counts (``kind="raw"``, ``"tpm"``, ``"fpkm"``); ``var`` has
  ``GeneID`` and ``symbol``, ``uns["geo_nb"]`` the files and the symbol source.
* ``"series_matrix"``: the series matrix's value table (arrays); ``var`` is indexed by
  ``ID_REF``. For a series the result does not hold, ``obs`` is the matrix's own
  sample annotation.
* ``"10x"``: every sample's 10x files (MEX triple, CellRanger ``.h5`` or ``.h5ad``)
  downloaded through a DownloadPlan and read; one ``obs`` row per cell named
  ``<GSM>_<barcode>`` (unique across samples), with the sample's metadata and a
  ``sample`` column; ``var`` is the features file (``gene_ids`` index).

anndata, scipy and h5py come with the ``analysis`` extra
(``pip install "geo_nb[analysis]"``); without them this raises an ImportError that
says so.

Example:
    >>> # adata = res.to_anndata("GSE211781")                   # NCBI raw counts
    >>> # cells = res.to_anndata("GSE125065", source="10x")
"""

from __future__ import annotations

import importlib
from typing import Any

import pandas as pd

from .analysis import acounts, align_samples, download_rows
from .errors import AlignmentError, NotFoundError, QueryError
from .loaders import aload_series_matrices
from .parse.tenx import TenX, as_counts, classify_10x, read_10x_h5, read_mex
from .settings import Settings

__all__ = ["ANALYSIS_EXTRA", "SOURCES", "ato_anndata", "require_anndata"]

ANALYSIS_EXTRA = 'pip install "geo_nb[analysis]"'
SOURCES = ("counts", "series_matrix", "10x")


def require_anndata() -> Any:
    """The ``anndata`` module, or an ImportError naming the ``analysis`` extra."""
    try:
        importlib.import_module("scipy.sparse")
        return importlib.import_module("anndata")
    except ImportError as exc:
        raise ImportError(
            f"to_anndata needs anndata and scipy (missing: {exc.name or exc}). They come with "
            f"geo_nb's optional 'analysis' extra: {ANALYSIS_EXTRA}"
        ) from exc


def _obs(frame: pd.DataFrame) -> pd.DataFrame:
    """A sample table AnnData can store: string index, no empty object columns."""
    frame = frame.copy()
    frame.index = frame.index.astype(str)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = frame[column].astype("string")
    return frame


async def _from_counts(
    files: pd.DataFrame, samples: pd.DataFrame, accession: str, settings: Settings, **options: Any
) -> Any:
    anndata = require_anndata()
    table = await acounts(files, accession, settings, **options)
    values = table.drop(columns="symbol", errors="ignore")
    obs = align_samples(samples, list(values.columns), accession, what="NCBI's counts")
    dtype = "int64" if table.attrs["kind"] == "raw" else "float64"
    var = pd.DataFrame({"GeneID": values.index.to_numpy()}, index=values.index.astype(str))
    if "symbol" in table:
        var["symbol"] = table["symbol"].to_numpy()
    adata = anndata.AnnData(
        X=values.to_numpy(dtype=dtype, na_value=0).T, obs=_obs(obs), var=var.rename_axis(None)
    )
    adata.uns["geo_nb"] = {"source": "counts", **{k: v for k, v in table.attrs.items() if v}}
    adata.var.attrs["symbol_source"] = table.attrs.get("symbol_source")
    return adata


async def _from_series_matrix(
    samples: pd.DataFrame,
    accession: str,
    settings: Settings,
    *,
    platform: str | None = None,
    refresh: bool = False,
    in_result: bool = True,
) -> Any:
    anndata = require_anndata()
    matrices = await aload_series_matrices(accession, refresh=refresh, settings=settings)
    if platform is None and len(matrices) > 1:
        raise QueryError(
            f"{accession} has one series matrix per platform ({', '.join(matrices)}); "
            "pass platform=."
        )
    key = (platform or next(iter(matrices))).upper()
    if key not in matrices:
        raise QueryError(f"{accession} has no series matrix for {platform}.")
    matrix = matrices[key]
    expression = matrix.expression
    if expression.empty:
        raise NotFoundError(
            f"{accession}'s series matrix has no value table (sequencing series keep their "
            "values in supplementary files; try source='counts' or source='10x').",
            accession=accession,
        )
    numeric = [c for c in expression.columns if pd.api.types.is_numeric_dtype(expression[c])]
    if len(numeric) != len(expression.columns):
        bad = [c for c in expression.columns if c not in numeric]
        raise QueryError(f"{accession}: the series matrix has non-numeric columns {bad[:5]}.")
    columns = [str(c) for c in expression.columns]
    if in_result:
        obs = align_samples(samples, columns, accession, what="the series matrix")
        obs_source = "result"
    else:
        obs, obs_source = matrix.samples.reindex(columns), "series_matrix"
    var = pd.DataFrame({"ID_REF": expression.index.astype(str)}, index=expression.index.astype(str))
    adata = anndata.AnnData(
        X=expression.to_numpy(dtype="float64").T, obs=_obs(obs), var=var.rename_axis(None)
    )
    adata.uns["geo_nb"] = {"source": "series_matrix", "platform": key, "obs_source": obs_source}
    return adata


def _tenx_sets(rows: pd.DataFrame, accession: str) -> dict[str, dict[str, int]]:
    """owner -> part (matrix/features/barcodes/h5/h5ad) -> row index, per 10x dataset."""
    sets: dict[str, dict[str, int]] = {}
    for index, owner, name in zip(rows.index, rows["accession"], rows["name"], strict=True):
        name = str(name)
        part = "h5ad" if name.lower().endswith(".h5ad") else classify_10x(name)
        if part is not None:
            sets.setdefault(str(owner or accession), {})[part] = index
    chosen: dict[str, dict[str, int]] = {}
    for owner, parts in sets.items():
        for single in ("h5", "h5ad"):
            if single in parts:
                chosen[owner] = {single: parts[single]}
                break
        else:
            lacking = [p for p in ("matrix", "features", "barcodes") if p not in parts]
            if lacking:
                raise NotFoundError(
                    f"{owner}: its 10x files lack a {', '.join(lacking)} file "
                    f"(found {', '.join(sorted(parts))}).",
                    accession=owner,
                )
            chosen[owner] = parts
    return chosen


def _read(parts: dict[str, int], paths: dict[str, Any], names: pd.Series, anndata: Any) -> Any:
    def local(part: str) -> Any:
        return paths[str(names[parts[part]])]

    if "h5ad" in parts:
        return anndata.read_h5ad(local("h5ad"))
    tenx: TenX = (
        read_10x_h5(local("h5"))
        if "h5" in parts
        else read_mex(local("matrix"), local("features"), local("barcodes"))
    )
    var = tenx.features.set_index("gene_ids").rename_axis(None)
    obs = pd.DataFrame({"barcode": tenx.barcodes}, index=tenx.barcodes)
    return anndata.AnnData(X=as_counts(tenx.matrix), obs=obs, var=var)


async def _from_10x(
    files: pd.DataFrame,
    samples: pd.DataFrame,
    accession: str,
    settings: Settings,
    *,
    refresh: bool = False,
    progress: bool = True,
) -> Any:
    anndata = require_anndata()
    rows = files[(files["series_accession"] == accession) & (files["category"] == "single_cell")]
    sets = _tenx_sets(rows, accession)
    if not sets:
        raise NotFoundError(
            f"{accession} lists no 10x files (matrix.mtx + features + barcodes, .h5 or .h5ad).",
            accession=accession,
        )
    own = samples[samples["series_accession"] == accession]
    known = set(own["accession"].astype(str))
    strangers = [o for o in sets if o != accession and o not in known]
    if strangers:
        raise AlignmentError(
            f"{accession}: 10x files belong to {', '.join(strangers)}, which are not samples of "
            f"{accession} in this result. Nothing was aligned."
        )
    needed = rows.loc[[i for parts in sets.values() for i in parts.values()]]
    paths = await download_rows(
        needed,
        settings,
        "10x",
        refresh=refresh,
        progress=progress,
        extract=bool(needed["url"].isna().any()),
    )
    parts_read = []
    for owner, parts in sets.items():
        adata = _read(parts, paths, rows["name"], anndata)
        adata.obs["sample"] = owner
        adata.obs_names = [f"{owner}_{name}" for name in adata.obs_names]
        parts_read.append(adata)
    cells = (
        anndata.concat(parts_read, join="outer", merge="same")
        if len(parts_read) > 1
        else parts_read[0]
    )
    meta = own.drop_duplicates("accession").set_index("accession").drop(columns="series_accession")
    joined = cells.obs.join(meta, on="sample")
    cells.obs = _obs(joined)
    cells.uns["geo_nb"] = {
        "source": "10x",
        "samples": list(sets),
        "samples_without_10x_files": sorted(known - set(sets)),
    }
    return cells


async def ato_anndata(
    files: pd.DataFrame,
    samples: pd.DataFrame,
    series: list[str],
    accession: str,
    settings: Settings,
    *,
    source: str = "counts",
    **options: Any,
) -> Any:
    """An AnnData of one series (async); ``GEOResult.to_anndata`` calls this."""
    require_anndata()
    accession = accession.strip().upper()
    if source == "counts":
        return await _from_counts(files, samples, accession, settings, **options)
    if source == "series_matrix":
        return await _from_series_matrix(
            samples, accession, settings, in_result=accession in series, **options
        )
    if source == "10x":
        return await _from_10x(files, samples, accession, settings, **options)
    raise QueryError(f"source={source!r} is not one of {', '.join(SOURCES)}.")
