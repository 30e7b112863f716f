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

from . import errors
from ._version import __version__
from .api import afetch, asearch, fetch, search
from .client import GEOClient
from .errors import FetchFailedError, GeoNBError, InvalidAccessionError
from .files import FileKind, classify_file
from .loaders import load_geoparse, load_series_matrices, load_series_matrix
from .matrix import SeriesMatrix
from .plan import DownloadPlan
from .progress import ProgressEvent
from .records import GEORecords, Platform, Sample, Series, SupplementaryFile
from .result import GEOResult
from .settings import Settings

__all__ = [
    "DownloadPlan",
    "FetchFailedError",
    "FileKind",
    "GEOClient",
    "GEORecords",
    "GEOResult",
    "GeoNBError",
    "InvalidAccessionError",
    "Platform",
    "ProgressEvent",
    "Sample",
    "Series",
    "SeriesMatrix",
    "Settings",
    "SupplementaryFile",
    "__version__",
    "afetch",
    "asearch",
    "classify_file",
    "errors",
    "fetch",
    "load_geoparse",
    "load_series_matrices",
    "load_series_matrix",
    "search",
]
