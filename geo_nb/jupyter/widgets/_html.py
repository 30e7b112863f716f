"""HTML for the explorer: tables and messages, with every piece of NCBI text escaped.

Everything GEO sends (titles, summaries, characteristics, file names, error
messages) is untrusted: a title may contain ``<script>``. Cells, attributes and
messages go through :func:`html.escape` (quotes included); links are made only
for ``http``, ``https`` and ``ftp`` URLs. Tables are plain ``<table>`` elements
so their text can be selected, read by screen readers and found by browser
tests; rows carry ``data-accession``.

Example:
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"accession": ["GSE1"], "title": ["<script>x</script>"]})
    >>> "&lt;script&gt;" in table_html(frame, ["accession", "title"])
    True
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import pandas as pd

from ...accessions import is_accession
from ...cells import cell_text
from ...files.plan import human_size

__all__ = ["Cell", "cell_text", "iec_size", "message_html", "table_html"]

Cell = Callable[[Any, Mapping[str, Any]], str]
"""Turns a value (and its row) into escaped HTML for a cell."""

_GEO_PAGE = "https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi?acc="
_LINK_SCHEMES = {"http", "https", "ftp"}
MAX_CELL_CHARS = 160


def esc(value: object) -> str:
    """Escape text for HTML content and attribute values."""
    return html.escape(str(value), quote=True)


def text_cell(value: object, row: Mapping[str, Any] | None = None) -> str:
    """Escaped text, shortened to :data:`MAX_CELL_CHARS` (the full text in a tooltip)."""
    text = cell_text(value)
    if len(text) <= MAX_CELL_CHARS:
        return esc(text)
    return f'<span title="{esc(text)}">{esc(text[: MAX_CELL_CHARS - 1])}…</span>'


def accession_cell(value: object, row: Mapping[str, Any] | None = None) -> str:
    """An accession, linked to its GEO page when it looks like one."""
    text = cell_text(value)
    parts = [p.strip() for p in text.split(";")]
    if parts and all(is_accession(p) for p in parts):
        return "; ".join(
            f'<a href="{esc(_GEO_PAGE + quote(p))}" target="_blank" rel="noopener noreferrer">'
            f"{esc(p)}</a>"
            for p in parts
        )
    return esc(text)


def iec_size(n_bytes: object) -> str:
    """A size in bytes as text, in powers of 1024 (``1536`` -> ``"1.5 KiB"``); unknown: ``""``.

    The same units as :class:`geo_nb.files.plan.DownloadPlan`'s ``repr``.

    Example:
        >>> iec_size(3 * 1024**3), iec_size(None), iec_size("x")
        ('3.0 GiB', '', '')
    """
    try:
        value = float(n_bytes)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    return "" if math.isnan(value) else human_size(value)


def size_cell(value: object, row: Mapping[str, Any] | None = None) -> str:
    """A size in bytes as ``1.5 MiB`` (exact bytes in a tooltip); unknown as an em dash."""
    text = iec_size(value)
    if not text:
        return '<span title="size not known yet">—</span>'
    exact = int(float(value))  # type: ignore[arg-type]  # iec_size accepted it
    return f'<span title="{exact:,} bytes">{esc(text)}</span>'


def link_cell(url_column: str) -> Cell:
    """A cell that links its text to the URL in ``url_column`` (http/https/ftp only)."""

    def render(value: object, row: Mapping[str, Any]) -> str:
        url = cell_text(row.get(url_column))
        text = text_cell(value)
        if url and urlsplit(url).scheme.lower() in _LINK_SCHEMES:
            return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{text}</a>'
        return text

    return render


def table_html(
    frame: pd.DataFrame,
    columns: Sequence[str],
    *,
    css_class: str = "",
    cells: Mapping[str, Cell] | None = None,
    key: str = "accession",
    selected: frozenset[str] = frozenset(),
    group_by: str | None = None,
    group_label: Callable[[str], str] | None = None,
    caption: str = "",
    selectable: bool = False,
    sort: tuple[str, bool] | None = None,
    sortable: bool = False,
) -> str:
    """An HTML ``<table>`` of ``frame[columns]``; one ``<tr data-accession=...>`` per row.

    ``cells`` maps a column to a renderer of escaped HTML, called with the
    value and the row; other columns use :func:`text_cell`.
    Rows whose ``key`` is in ``selected`` get ``aria-selected="true"``. With
    ``group_by``, a header row (``group_label(value)``, escaped) starts each run
    of equal values. ``selectable`` adds a checkbox column and makes the rows
    focusable (a multi-selectable ARIA grid); ``sortable`` makes the headers
    focusable sort buttons (``data-column``), ``sort`` marks the sorted column
    with ``aria-sort`` and an arrow.
    """
    cells = cells or {}
    shown = [c for c in columns if c in frame.columns]
    head = "".join(_header(c, sort, sortable) for c in shown)
    width = len(shown) + (1 if selectable else 0)
    if selectable:
        head = (
            '<th scope="col" class="geo-nb-check"><span class="geo-nb-sr">selected</span></th>'
            + head
        )
    body: list[str] = []
    current_group: object = object()
    focusable_seen = False  # one row is in the tab order; arrow keys reach the others
    records: list[dict[str, Any]] = frame.to_dict("records")  # type: ignore[assignment]
    for row in records:
        if group_by is not None and row.get(group_by) != current_group:
            current_group = row.get(group_by)
            label = group_label(cell_text(current_group)) if group_label else str(current_group)
            body.append(
                f'<tr class="geo-nb-group"><th scope="rowgroup" colspan="{width}">'
                f"{esc(label)}</th></tr>"
            )
        accession = cell_text(row.get(key))
        attrs = f' data-accession="{esc(accession)}"'
        chosen = accession in selected
        if chosen:
            attrs += ' class="geo-nb-selected" aria-selected="true"'
        tds = []
        if selectable:
            attrs += "" if chosen else ' aria-selected="false"'
            attrs += f' tabindex="{-1 if focusable_seen else 0}"'
            focusable_seen = True
            tds.append(
                f'<td class="geo-nb-check"><input type="checkbox" tabindex="-1" '
                f'aria-label="select {esc(accession)}"{" checked" if chosen else ""}></td>'
            )
        for column in shown:
            render: Cell = cells.get(column) or text_cell
            tds.append(f"<td>{render(row.get(column), row)}</td>")
        body.append(f"<tr{attrs}>{''.join(tds)}</tr>")
    if not records:
        body.append(f'<tr><td colspan="{max(width, 1)}"><em>no rows</em></td></tr>')
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    grid = ' role="grid" aria-multiselectable="true"' if selectable else ""
    return (
        f'<table class="geo-nb-table {esc(css_class)}"{grid}>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _header(column: str, sort: tuple[str, bool] | None, sortable: bool) -> str:
    """A column header; sortable ones are focusable and say how they are sorted."""
    if not sortable:
        return f'<th scope="col">{esc(column)}</th>'
    state, arrow = "none", ""
    if sort is not None and sort[0] == column:
        state, arrow = ("ascending", " ▲") if sort[1] else ("descending", " ▼")
    return (
        f'<th scope="col" data-column="{esc(column)}" aria-sort="{state}" tabindex="0" '
        f'title="sort by {esc(column)}">{esc(column)}{arrow}</th>'
    )


_LEVELS = {"info": "status", "success": "status", "warning": "alert", "error": "alert"}
_COLORS = {"info": "#444", "success": "#22663a", "warning": "#8a5300", "error": "#a4161a"}


def message_html(text: str, level: str = "info") -> str:
    """One escaped message line; warnings and errors are ARIA alerts."""
    if not text:
        return ""
    role = _LEVELS.get(level, "status")
    color = _COLORS.get(level, "#444")
    return (
        f'<div class="geo-nb-msg geo-nb-msg-{esc(level)}" role="{role}" '
        f'style="color:{color}">{esc(text)}</div>'
    )


TABLE_STYLE = """<style>
.geo-nb-table-html{min-width:0;overflow-x:auto}
.geo-nb-table{border-collapse:collapse;font-size:12px;line-height:1.4;width:100%}
.geo-nb-table th,.geo-nb-table td{border-bottom:1px solid #ddd;padding:2px 6px;text-align:left;
vertical-align:top}
.geo-nb-table thead th{position:sticky;top:0;background:#f5f5f5}
.geo-nb-table tr.geo-nb-group th{background:#eef3f8;font-weight:600}
.geo-nb-table tr.geo-nb-selected td{background:#fff7d6}
.geo-nb-table .geo-nb-check{width:1.6em}
.geo-nb-sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
</style>"""
