"""Jupyter widgets for geo_nb (ipywidgets 8): the :class:`GEOExplorer` and its parts.

Import this module only where widgets can be shown; ``import geo_nb`` never
imports ipywidgets. The parts are reusable: :class:`ProgressPanel` renders
:class:`geo_nb.ProgressEvent`s of any stage, :class:`TablePanel` shows a
DataFrame as a paged, sortable, filterable HTML table with row selection, and
:class:`SearchForm` turns the common filters into :func:`geo_nb.asearch`
keywords; :class:`DownloadPanel` (beside the tabs) plans and reports downloads,
:class:`SamplesPanel` is the Samples tab's design view, :class:`HtmlTable` the
anywidget that turns clicks and keys on an escaped HTML table into a selection and
a sort, :class:`ToggleChips` a multiple choice as toggle buttons and
:class:`ShowCode` the "Show the code" panel.

Example:
    >>> from geo_nb.jupyter.widgets import GEOExplorer
    >>> explorer = GEOExplorer("ATAC-seq")  # shows itself as a cell's last expression
    >>> # await explorer.search(); explorer.hits
"""

from __future__ import annotations

from .codepanel import ShowCode
from .design_view import SamplesPanel
from .download import DownloadPanel
from .explorer import GEOExplorer
from .htmltable import HtmlTable
from .progress import ProgressPanel, StageProgress
from .query import SearchForm
from .results import ResultTabs
from .table import TablePanel
from .toggles import ToggleChips

__all__ = [
    "DownloadPanel",
    "GEOExplorer",
    "HtmlTable",
    "ProgressPanel",
    "ResultTabs",
    "SamplesPanel",
    "SearchForm",
    "ShowCode",
    "StageProgress",
    "TablePanel",
    "ToggleChips",
]
