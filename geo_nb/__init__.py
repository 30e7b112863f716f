"""geo_nb: NCBI GEO from a notebook.

Search GEO, fetch series/sample/platform metadata and the list of
supplementary files, and get pandas DataFrames back.

Example:
    >>> import geo_nb
    >>> # hits = geo_nb.search("ATAC-seq T cell", organism="Homo sapiens", max_results=200)
    >>> # res = geo_nb.fetch(hits.accession[:20])
    >>> # res.series, res.samples, res.files, res.errors
"""

from __future__ import annotations

from typing import Any

from . import errors
from ._version import __version__
from .analysis import load_ncbi_counts
from .api import afetch, asearch, fetch, search
from .caches import cache_info, clear_cache
from .catalog_db import Catalog
from .cells import rows_containing, rows_where
from .client import GEOClient
from .errors import FetchFailedError, GeoNBError, InvalidAccessionError
from .experiment import Design, design
from .files.classify import FileKind, classify_file
from .files.plan import DownloadPlan
from .files.receipt import verify
from .folders import list_files
from .loaders import load_geoparse, load_series_matrices, load_series_matrix
from .offline import check_connection, demo_catalog, use_offline_demo
from .parse.matrix import SeriesMatrix
from .progress import ProgressEvent
from .recording import catalog
from .records import GEORecords, Platform, Publication, Run, Sample, Series, SupplementaryFile
from .result import GEOResult
from .settings import Settings
from .teaching import teaching_mode

__all__ = [
    "Catalog",
    "Design",
    "DownloadPlan",
    "FetchFailedError",
    "FileKind",
    "GEOClient",
    "GEOExplorer",
    "GEORecords",
    "GEOResult",
    "GeoNBError",
    "InvalidAccessionError",
    "Platform",
    "ProgressEvent",
    "Publication",
    "Run",
    "Sample",
    "Series",
    "SeriesMatrix",
    "Settings",
    "SupplementaryFile",
    "__version__",
    "afetch",
    "asearch",
    "cache_info",
    "catalog",
    "check_connection",
    "classify_file",
    "clear_cache",
    "demo_catalog",
    "design",
    "errors",
    "fetch",
    "list_files",
    "load_geoparse",
    "load_ncbi_counts",
    "load_series_matrices",
    "load_series_matrix",
    "rows_containing",
    "rows_where",
    "search",
    "teaching_mode",
    "use_offline_demo",
    "verify",
]


def __getattr__(name: str) -> Any:
    """``geo_nb.GEOExplorer``, imported on first use so ``import geo_nb`` stays Jupyter-free."""
    if name == "GEOExplorer":
        from .jupyter.widgets import GEOExplorer

        return GEOExplorer
    raise AttributeError(f"module 'geo_nb' has no attribute {name!r}")


def load_ipython_extension(ipython: Any) -> None:
    """Register the ``%geo`` magic: ``%load_ext geo_nb``.

    IPython is imported only here, so ``import geo_nb`` stays free of Jupyter.
    """
    from .jupyter.magics import load_ipython_extension as load

    load(ipython)
