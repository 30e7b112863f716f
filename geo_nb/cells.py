"""DataFrame cells as the explorer shows them, the rows whose text contains a word, and
the rows whose cell reads a value.

One definition for the explorer's table filters (text, facets, series choice) and for
the code its "Show the code" panel writes, so that the pasted script keeps exactly the
rows the table kept: lists are joined with ``"; "``, dates are ISO, and missing values are
empty (``astype(str)`` would turn them into ``"<NA>"`` or ``"nan"``, which a
filter for "na" would match).

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"accession": ["GSM1", "GSM2"], "tags": [["a", "b"], None]})
    >>> list(rows_containing(frame, "A; B").accession)
    ['GSM1']
    >>> list(rows_containing(frame, "none").accession)
    []
    >>> list(rows_where(frame, "tags", "").accession)
    ['GSM2']
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import pandas as pd

__all__ = ["cell_text", "rows_containing", "rows_where"]


def cell_text(value: object) -> str:
    """A value as plain text: lists joined with ``"; "``, dates as ISO, NA empty."""
    if isinstance(value, list | tuple):
        return "; ".join(cell_text(v) for v in value)
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)


def rows_containing(
    frame: pd.DataFrame, text: str, columns: Sequence[str] | None = None
) -> pd.DataFrame:
    """The rows of ``frame`` where ``text`` occurs (ignoring case) in one of ``columns``
    (all by default), each cell read as :func:`cell_text` shows it.

    Example:
        >>> # samples = rows_containing(res.samples, "rescue", columns=["title"])
    """
    needle = text.strip().lower()
    if not needle or frame.empty:
        return frame
    shown = frame[list(columns) if columns is not None else list(frame.columns)]
    joined = shown.map(cell_text).agg(" ".join, axis=1).str.lower()
    return frame[joined.str.contains(needle, regex=False)]


def rows_where(frame: pd.DataFrame, column: str, text: str) -> pd.DataFrame:
    """The rows of ``frame`` whose ``column`` reads ``text`` as :func:`cell_text` shows it
    (``""``: the empty cells, missing or empty strings alike).

    ``frame[column] == value`` differs for numbers ("5" is not 5), lists and missing cells.

    Example:
        >>> # samples = rows_where(res.samples, "ch1.genotype", "SETD2-deficient")
    """
    return frame[frame[column].map(cell_text) == text]
