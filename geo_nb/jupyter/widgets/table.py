"""A paged, sortable, filterable HTML table of a DataFrame, with optional row selection.

The table is an :class:`~geo_nb.jupyter.widgets.htmltable.HtmlTable` holding a real
``<table>`` (see :func:`geo_nb.jupyter.widgets._html.table_html`): selectable text for
people, screen readers and browser tests, not a canvas grid. Only one page
(``page_size`` rows, 50 by default) is rendered, so results of any size stay fast.
Sorting is a click on a column header (ascending, descending, as received);
filtering is a substring box over the shown columns, optionally a Dropdown of one
column's values (``choice``), and facets (column = level, set by
:meth:`TablePanel.set_facet`). With ``selectable=True`` rows have a checkbox and
toggle on click or Space/Enter; "Select page" takes the rows shown, "Select all
filtered" every row of the filtered view; the selection (by ``key``) survives
paging, sorting and filtering.

Example:
    >>> import pandas as pd
    >>> panel = TablePanel("series", ["accession", "title"], selectable=True)
    >>> panel.set_frame(pd.DataFrame({"accession": ["GSE1", "GSE2"], "title": ["a", "b"]}))
    >>> panel.selection = ["GSE2"]
    >>> 'data-accession="GSE2" class="geo-nb-selected"' in panel.html.value
    True
    >>> panel.html.selection = ["GSE2", "GSE1"]  # what a click in the browser does
    >>> panel.selection
    ['GSE2', 'GSE1']
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from ...cells import cell_text, rows_containing, rows_where
from ._html import TABLE_STYLE, Cell, table_html
from .htmltable import HtmlTable

__all__ = ["MISSING_LEVEL", "TablePanel"]

_ALL = "\x00all"
MISSING_LEVEL = "(missing)"
"""The facet level of an empty cell (as :data:`geo_nb.experiment.MISSING`)."""


def _sort_key(values: pd.Series) -> pd.Series:
    """Lists sort by their text; everything else as it is."""
    if values.dtype == object:
        return values.map(lambda v: cell_text(v).lower() if isinstance(v, list | str) else v)
    if isinstance(values.dtype, pd.StringDtype):
        return values.str.lower()
    return values


class TablePanel(widgets.VBox):  # type: ignore[misc, unused-ignore]
    """One results tab: controls, the HTML table of one page, and paging buttons.

    ``name`` makes the CSS classes (``geo-nb-<name>-table`` on the table
    widget, ``geo-nb-<name>-panel`` on the panel). ``columns`` are shown in
    order (missing ones are skipped); ``cells`` maps a column to an HTML
    renderer called with the value and the row. ``group_by``
    draws a header row per group, labelled by ``group_label(group_frame)``.
    ``frame`` is the full DataFrame, ``view`` the filtered, sorted one.
    """

    def __init__(
        self,
        name: str,
        columns: Sequence[str],
        *,
        page_size: int = 50,
        selectable: bool = False,
        key: str = "accession",
        cells: Mapping[str, Cell] | None = None,
        choice: str | None = None,
        group_by: str | None = None,
        group_label: Callable[[pd.DataFrame], str] | None = None,
        extra_columns: Callable[[pd.DataFrame], list[str]] | None = None,
    ) -> None:
        self.name = name
        self.columns = list(columns)
        self.page_size = page_size
        self.key = key
        self.cells = dict(cells or {})
        self.choice = choice
        self.group_by = group_by
        self.group_label = group_label
        self.extra_columns = extra_columns
        self.frame = pd.DataFrame(columns=self.columns)
        self.view = self.frame
        self.shown_columns = list(self.columns)
        self.page = 0
        self._selected: list[str] = []
        self._syncing = False  # while the browser widget is updated from Python
        self._quiet = False  # while set_frame updates the controls
        self._group_labels: dict[str, str] = {}
        self.selectable = selectable
        self.facets: dict[str, str] = {}
        self._listeners: list[Callable[[], None]] = []

        self.html = HtmlTable(selectable=selectable)
        self.html.add_class(f"geo-nb-{name}-table").add_class("geo-nb-table-html")
        # The sort's state (set by header clicks in the browser, or from Python); not shown.
        self.sort_column = widgets.Dropdown(description="Sort by", options=[("(as received)", "")])
        self.sort_column.add_class("geo-nb-sort-column")
        self.sort_direction = widgets.Dropdown(
            options=[("ascending", True), ("descending", False)], value=True
        )
        self.sort_direction.layout.width = "9em"
        self.sort_direction.add_class("geo-nb-sort-direction")
        self.filter_text = widgets.Text(
            placeholder="filter rows (text)", description="Filter", continuous_update=False
        )
        self.filter_text.add_class("geo-nb-filter")
        self.choice_filter = widgets.Dropdown(
            description=(choice or "").replace("_", " "), options=[("all", _ALL)], value=_ALL
        )
        self.choice_filter.add_class("geo-nb-choice-filter")
        self.previous = widgets.Button(description="Previous", icon="chevron-left", disabled=True)
        self.previous.add_class("geo-nb-page-previous")
        self.next = widgets.Button(description="Next", icon="chevron-right", disabled=True)
        self.next.add_class("geo-nb-page-next")
        self.page_label = widgets.HTML().add_class("geo-nb-page-label")
        self.select_page_button = widgets.Button(
            description="Select page", tooltip="add the rows of this page"
        ).add_class(f"geo-nb-{name}-select-page")
        self.select_all = widgets.Button(
            description="Select all filtered", tooltip="add every row of the filtered view"
        ).add_class(f"geo-nb-{name}-select-all")
        self.clear = widgets.Button(description="Clear selection").add_class(f"geo-nb-{name}-clear")
        self.count = widgets.HTML().add_class(f"geo-nb-{name}-count")

        controls: list[widgets.Widget] = [self.filter_text]
        if choice:
            controls.append(self.choice_filter)
        if selectable:
            controls += [self.select_page_button, self.select_all, self.clear, self.count]
        for button in (self.select_page_button, self.select_all, self.clear):
            button.layout.width = "auto"
        pager = widgets.HBox([self.previous, self.next, self.page_label])
        bar = widgets.HBox(controls, layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([bar, pager, self.html])
        self.add_class(f"geo-nb-{name}-panel")

        for control in (
            self.sort_column,
            self.sort_direction,
            self.filter_text,
            self.choice_filter,
        ):
            control.observe(self._on_control, names="value")
        self.previous.on_click(lambda _: self.go(self.page - 1))
        self.next.on_click(lambda _: self.go(self.page + 1))
        self.select_page_button.on_click(lambda _: self.select_page())
        self.select_all.on_click(lambda _: self.select_filtered())
        self.clear.on_click(lambda _: self.clear_selection())
        self.html.observe(self._on_select, names="selection")
        self.html.observe(self._on_sort, names="sort")
        self._refresh()

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call ``callback()`` after the selection or the filtered view changes."""
        self._listeners.append(callback)

    def _notify(self) -> None:
        for callback in self._listeners:
            callback()

    # ---- data --------------------------------------------------------------------------

    def set_frame(self, frame: pd.DataFrame) -> None:
        """Show ``frame`` (kept as is); the sort column list follows its columns."""
        self.frame = frame.reset_index(drop=True)
        extra = self.extra_columns(self.frame) if self.extra_columns else []
        self.shown_columns = [c for c in [*self.columns, *extra] if c in self.frame.columns]
        self._quiet = True  # one refresh at the end, not one per control
        try:
            current = self.sort_column.value
            self.sort_column.options = [
                ("(as received)", ""),
                *((c, c) for c in self.shown_columns),
            ]
            self.sort_column.value = current if current in self.shown_columns else ""
            if self.choice and self.choice in self.frame.columns:
                counts = self.frame[self.choice].map(cell_text).value_counts(sort=False)
                options: list[tuple[str, str]] = [(f"all ({len(self.frame)})", _ALL)]
                options += [(f"{v or '(none)'} ({n})", str(v)) for v, n in sorted(counts.items())]
                current = self.choice_filter.value
                self.choice_filter.options = options
                self.choice_filter.value = current if current in dict(options).values() else _ALL
        finally:
            self._quiet = False
        known = set(self.frame[self.key].map(cell_text)) if self.key in self.frame else set()
        self._selected = [k for k in self._selected if k in known]
        self._refresh(reset_page=True)

    @property
    def selection(self) -> list[str]:
        """Keys of the selected rows, in the order they were selected."""
        return list(self._selected)

    @selection.setter
    def selection(self, keys: Sequence[str]) -> None:
        known = set(self.frame[self.key].map(cell_text)) if self.key in self.frame else set()
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise KeyError(f"Not in the table: {', '.join(unknown[:5])}")
        self._selected = list(dict.fromkeys(keys))
        self._render()
        self._notify()

    def select_page(self) -> None:
        """Add every row of the current page to the selection."""
        self.selection = [*self._selected, *self._page_keys()]

    def select_filtered(self) -> None:
        """Add every row of the filtered view (all pages) to the selection."""
        keys = [cell_text(k) for k in self.view[self.key]] if self.key in self.view else []
        self.selection = [*self._selected, *keys]

    def conditions(self) -> list[tuple[str, str]]:
        """What the series choice and the facets keep: ``(column, text)``, rows whose
        ``column`` reads ``text`` (:func:`geo_nb.rows_where`; ``""``: empty cells)."""
        chosen = []
        if self.choice and self.choice_filter.value != _ALL:
            chosen.append((self.choice, str(self.choice_filter.value)))
        for column, level in self.facets.items():
            chosen.append((column, "" if level == MISSING_LEVEL else level))
        return chosen

    def set_facet(self, column: str, level: str | None) -> None:
        """Keep only rows whose ``column`` reads ``level`` (None: drop that facet).

        An empty cell reads :data:`MISSING_LEVEL`.
        """
        if level is None:
            self.facets.pop(column, None)
        else:
            self.facets[column] = level
        self._refresh(reset_page=True)

    def clear_selection(self) -> None:
        """Select nothing."""
        self.selection = []

    # ---- paging, filtering, sorting ----------------------------------------------------

    @property
    def pages(self) -> int:
        """Number of pages of the current view (at least 1)."""
        return max(1, -(-len(self.view) // self.page_size))

    def go(self, page: int) -> None:
        """Show page ``page`` (0-based, clamped)."""
        self.page = min(max(page, 0), self.pages - 1)
        self._render()

    def _filtered(self) -> pd.DataFrame:
        frame = self.frame
        for column, text in self.conditions():
            if column in frame:
                frame = rows_where(frame, column, text)
        frame = rows_containing(frame, self.filter_text.value, self.shown_columns)
        column = self.sort_column.value
        if column and column in frame:
            frame = frame.sort_values(
                column,
                ascending=self.sort_direction.value,
                na_position="last",
                kind="stable",
                key=_sort_key,
            )
        if self.group_by and self.group_by in frame:
            groups = frame[self.group_by].map(cell_text)
            order = {g: i for i, g in enumerate(sorted(groups.unique()))}
            frame = frame.iloc[groups.map(order).argsort(kind="stable")]
            label = self.group_label or (lambda g: f"{len(g)} rows")
            self._group_labels = {
                str(g): f"{g}: {label(part)}" for g, part in frame.groupby(groups, sort=False)
            }
        return frame

    def _refresh(self, reset_page: bool = False) -> None:
        self.view = self._filtered()
        if reset_page:
            self.page = 0
        self.go(self.page)
        self._notify()

    def _page_frame(self) -> pd.DataFrame:
        start = self.page * self.page_size
        return self.view.iloc[start : start + self.page_size]

    def _page_keys(self) -> list[str]:
        page = self._page_frame()
        return [cell_text(k) for k in page[self.key]] if self.key in page else []

    def _render(self) -> None:
        page = self._page_frame()
        start = self.page * self.page_size
        total, everything = len(self.view), len(self.frame)
        shown = f"rows {start + 1}–{start + len(page)} of {total}" if total else "no rows"
        if total != everything:
            shown += f" (filtered from {everything})"
        if self._selected:
            shown += f" · {len(self._selected)} selected"
        self.count.value = (
            f'<span data-selected="{len(self._selected)}" style="white-space:nowrap">'
            f"{len(self._selected)} selected</span>"
        )
        self.page_label.value = f"{shown} · page {self.page + 1}/{self.pages}"
        self.previous.disabled = self.page == 0
        self.next.disabled = self.page >= self.pages - 1
        column = self.sort_column.value
        sort = (column, bool(self.sort_direction.value)) if column else None
        self.html.value = TABLE_STYLE + table_html(
            page,
            self.shown_columns,
            css_class=f"geo-nb-{self.name}",
            cells=self.cells,
            key=self.key,
            selected=frozenset(self._selected),
            group_by=self.group_by,
            group_label=lambda g: self._group_labels.get(g, g),
            selectable=self.selectable,
            sort=sort,
            sortable=True,
        )
        self._syncing = True
        try:
            self.html.selection = list(self._selected)
            self.html.sort = [sort[0], sort[1]] if sort else []
        finally:
            self._syncing = False

    def _on_control(self, change: Mapping[str, Any]) -> None:
        if not self._quiet:
            self._refresh(reset_page=True)

    def _on_select(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        known = set(self.frame[self.key].map(cell_text)) if self.key in self.frame else set()
        self._selected = [k for k in dict.fromkeys(change["new"]) if k in known]
        self._render()
        self._notify()

    def _on_sort(self, change: Mapping[str, Any]) -> None:
        if self._syncing:
            return
        sort = list(change["new"])
        self._quiet = True
        try:
            if len(sort) == 2 and sort[0] in self.shown_columns:
                self.sort_column.value, self.sort_direction.value = str(sort[0]), bool(sort[1])
            else:
                self.sort_column.value = ""
        finally:
            self._quiet = False
        self._refresh(reset_page=True)
