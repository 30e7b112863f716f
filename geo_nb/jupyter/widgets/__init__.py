"""Jupyter widgets for geo_nb (ipywidgets 8): the :class:`GEOExplorer` and its parts.

Import this module only where widgets can be shown; ``import geo_nb`` never
imports ipywidgets. The parts are reusable: :class:`ProgressPanel` renders
:class:`geo_nb.ProgressEvent`s of any stage, :class:`TablePanel` shows a
DataFrame as a paged, sortable, filterable HTML table with row selection, and
:class:`SearchForm` turns the common filters into :func:`geo_nb.asearch`
keywords; :class:`DownloadPanel` (in the Files tab) plans and reports downloads.

Example:
    >>> from geo_nb.jupyter.widgets import GEOExplorer
    >>> explorer = GEOExplorer("ATAC-seq")  # shows itself as a cell's last expression
    >>> # await explorer.search(); explorer.hits
"""

from __future__ import annotations

from .download import DownloadPanel
from .explorer import GEOExplorer
from .progress import ProgressPanel, StageProgress
from .query import SearchForm
from .results import ResultTabs
from .table import TablePanel

__all__ = [
    "DownloadPanel",
    "GEOExplorer",
    "ProgressPanel",
    "ResultTabs",
    "SearchForm",
    "StageProgress",
    "TablePanel",
]
