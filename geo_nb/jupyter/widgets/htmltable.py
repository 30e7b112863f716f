"""The explorer's table widget: escaped HTML drawn by Python, clicks and keys sent back.

Why anywidget and not itables (DataTables): the explorer's tables must stay
plain ``<table>`` elements whose every piece of NCBI text is escaped by
:mod:`geo_nb.jupyter.widgets._html` (XSS tests), with ``data-accession`` rows,
links, captions, group rows and text a screen reader and a browser test can
read; and the selection must live in Python (``explorer.selection`` is the
source of truth, paging and filtering happen in pandas so results of any size
stay fast). itables renders its own DOM from the data in the browser and keeps
selection and sorting there. :class:`HtmlTable` is an ``anywidget`` (a
maintained way to write a widget front end as one small ES module, no build
step, working in JupyterLab 4, Notebook 7 and Voila): Python renders the HTML
of one page into :attr:`HtmlTable.value`; the browser module only shows it and
turns clicks and keys into trait changes:

* click a row, or its checkbox, to toggle it in :attr:`HtmlTable.selection`
  (links in a row still open);
* arrow keys (Up, Down, Home, End) move between rows, Space or Enter toggles
  the focused row; rows are ``role="row"`` with ``aria-selected``;
* click a column header (or Enter on it) to sort: ascending, descending, then
  as received; :attr:`HtmlTable.sort` is ``[column, ascending]`` or ``[]``.

Example:
    >>> table = HtmlTable(value="<table></table>")
    >>> table.selection, table.sort
    ([], [])
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

__all__ = ["HtmlTable"]

_ESM = r"""
function rows(el) { return Array.from(el.querySelectorAll("tbody tr[data-accession]")); }

function render({ model, el }) {
  // Jupyter's command-mode shortcuts (Space, arrows) must not take the table's keys.
  el.setAttribute("data-lm-suppress-shortcuts", "true");
  let focusKey = null;
  const draw = () => {
    el.innerHTML = model.get("value");
    if (focusKey !== null) {
      const row = rows(el).find((r) => r.dataset.accession === focusKey);
      if (row) row.focus({ preventScroll: true });
    }
  };
  const toggle = (key) => {
    if (!model.get("selectable")) return;
    const chosen = model.get("selection").slice();
    const at = chosen.indexOf(key);
    if (at >= 0) chosen.splice(at, 1); else chosen.push(key);
    model.set("selection", chosen);
    model.save_changes();
  };
  const sortBy = (column) => {
    const [current, ascending] = model.get("sort");
    let next = [column, true];
    if (current === column) next = ascending ? [column, false] : [];
    model.set("sort", next);
    model.save_changes();
  };
  el.addEventListener("click", (event) => {
    const target = event.target;
    if (target.closest("a")) return;
    const header = target.closest("th[data-column]");
    if (header) { sortBy(header.dataset.column); return; }
    const row = target.closest("tbody tr[data-accession]");
    if (row) {
      if (target.matches("input[type=checkbox]")) event.preventDefault();
      focusKey = row.dataset.accession;
      toggle(row.dataset.accession);
    }
  });
  // Keys are taken on the window, in the capture phase, before the notebook's command
  // mode (Notebook 7 listens on the document in that phase) turns arrows and Space into
  // cell moves; only keys aimed at this table, and handled here, are stopped.
  const onKey = (event) => {
    if (!(event.target instanceof Element) || !el.contains(event.target)) return;
    const handled = () => { event.preventDefault(); event.stopPropagation(); };
    const header = event.target.closest("th[data-column]");
    if (header && (event.key === "Enter" || event.key === " ")) {
      handled();
      sortBy(header.dataset.column);
      return;
    }
    const row = event.target.closest("tbody tr[data-accession]");
    if (!row) return;
    const all = rows(el);
    const at = all.indexOf(row);
    let next = null;
    if (event.key === "ArrowDown") next = all[Math.min(at + 1, all.length - 1)];
    else if (event.key === "ArrowUp") next = all[Math.max(at - 1, 0)];
    else if (event.key === "Home") next = all[0];
    else if (event.key === "End") next = all[all.length - 1];
    else if (event.key === " " || event.key === "Enter") {
      handled();
      focusKey = row.dataset.accession;
      toggle(row.dataset.accession);
      return;
    } else return;
    handled();
    if (next) { focusKey = next.dataset.accession; next.focus(); }
  };
  window.addEventListener("keydown", onKey, true);
  model.on("change:value", draw);
  draw();
  return () => window.removeEventListener("keydown", onKey, true);
}
export default { render };
"""

_CSS = """
.geo-nb-table-host { display: block; overflow-x: auto; max-width: 100%; }
.geo-nb-table-host tbody tr[data-accession] { cursor: pointer; }
.geo-nb-table-host tbody tr[data-accession]:focus { outline: 2px solid #1a73e8;
  outline-offset: -2px; }
.geo-nb-table-host th[data-column] { cursor: pointer; user-select: none; }
.geo-nb-table-host th[data-column]:focus { outline: 2px solid #1a73e8; }
"""


class HtmlTable(anywidget.AnyWidget):  # type: ignore[misc, unused-ignore]
    """A table drawn from escaped HTML (``value``) with selection and sorting from the browser.

    ``selectable`` allows toggling rows; ``selection`` holds the keys
    (``data-accession`` values) in the order they were chosen, across pages;
    ``sort`` is ``[column, ascending]`` or ``[]``. The Python side owns the
    data: it re-renders ``value`` when these change.
    """

    _esm = _ESM
    _css = _CSS
    value = traitlets.Unicode("").tag(sync=True)
    selection = traitlets.List(traitlets.Unicode()).tag(sync=True)
    sort: traitlets.List[Any] = traitlets.List().tag(sync=True)
    selectable = traitlets.Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("geo-nb-table-host")
