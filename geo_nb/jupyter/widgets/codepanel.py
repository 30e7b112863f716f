""" "Show the code": the geo_nb and pandas lines that redo what was clicked in the explorer.

Students start by clicking and should end up writing code. :class:`ShowCode`
keeps one short script in step with the explorer: each search, series
selection, fetch, samples filter or selection, download plan and download sets
its step's lines (a new search clears the steps after it), so the script is
always the whole, runnable path to what the explorer shows. :class:`CodePanel`
shows it in a ``<pre>`` (text, never HTML) with a Copy button.

Example:
    >>> code = ShowCode()
    >>> code.searched({"query": "ATAC-seq", "organism": ["Homo sapiens"], "max_results": 20})
    >>> print(code.text)
    import geo_nb
    <BLANKLINE>
    hits = geo_nb.search("ATAC-seq", max_results=20, organism=["Homo sapiens"])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from .table import TablePanel

__all__ = ["STEPS", "CodePanel", "ShowCode", "view_code"]

STEPS = ("search", "series", "fetch", "samples", "download")
"""The script's steps, in order; setting one clears none before it."""

_ESM = r"""
function render({ model, el }) {
  const bar = document.createElement("div");
  const copy = document.createElement("button");
  copy.className = "geo-nb-code-copy jupyter-button";
  copy.textContent = "Copy";
  copy.title = "copy the code to the clipboard";
  const note = document.createElement("span");
  note.className = "geo-nb-code-note";
  note.setAttribute("role", "status");
  const pre = document.createElement("pre");
  pre.className = "geo-nb-code-text";
  pre.setAttribute("aria-label", "the code of what you did");
  pre.tabIndex = 0;
  bar.append(copy, note);
  el.append(bar, pre);
  const draw = () => { pre.textContent = model.get("code"); note.textContent = ""; };
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(model.get("code"));
      note.textContent = " copied";
    } catch (error) {
      const range = document.createRange();
      range.selectNodeContents(pre);
      const selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      note.textContent = " selected: press Ctrl+C to copy";
    }
  });
  model.on("change:code", draw);
  draw();
}
export default { render };
"""

_CSS = """
.geo-nb-code pre.geo-nb-code-text { font-size: 12px; background: #f7f7f7; padding: 6px;
  white-space: pre-wrap; word-break: break-word; margin: 4px 0; }
"""


class CodePanel(anywidget.AnyWidget):  # type: ignore[misc, unused-ignore]
    """The code, shown as text with a Copy button (clipboard, or selected when refused)."""

    _esm = _ESM
    _css = _CSS
    code = traitlets.Unicode("").tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.add_class("geo-nb-code")


def _call(function: str, *args: object, **keywords: object) -> str:
    parts = [_literal(a) for a in args]
    parts += [f"{k}={_literal(v)}" for k, v in keywords.items() if v is not None]
    return f"{function}({', '.join(parts)})"


def _literal(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_literal(v) for v in value) + "]"
    return repr(value)


def view_code(name: str, table: TablePanel) -> list[str]:
    """pandas lines that filter and sort ``name`` as ``table`` does (choice, facets, text, sort).

    Example:
        >>> import pandas as pd
        >>> panel = TablePanel("samples", ["accession", "genotype"])
        >>> panel.set_frame(pd.DataFrame({"accession": ["GSM1"], "genotype": ["WT"]}))
        >>> panel.set_facet("genotype", "WT")
        >>> view_code("samples", panel)
        ['samples = geo_nb.rows_where(samples, "genotype", "WT")']
    """
    lines = []
    # The table compares each cell as it shows it (lists joined, numbers as text, empty
    # and missing alike); ``frame[column] == level`` would not.
    for column, text in table.conditions():
        lines.append(f"{name} = geo_nb.rows_where({name}, {_literal(column)}, {_literal(text)})")
    needle = table.filter_text.value.strip()
    if needle:
        # The table searches the columns it shows, each cell as it shows it.
        columns = list(table.shown_columns)
        within = "" if columns == list(table.frame.columns) else f", columns={_literal(columns)}"
        lines.append(f"{name} = geo_nb.rows_containing({name}, {_literal(needle)}{within})")
    column = table.sort_column.value
    if column:
        lines.append(
            f"{name} = {name}.sort_values({_literal(column)}, "
            f"ascending={bool(table.sort_direction.value)})"
        )
    return lines


class ShowCode:
    """Keeps the script of the explorer's steps; :attr:`panel` shows it, :attr:`text` is it."""

    def __init__(self) -> None:
        self.steps: dict[str, list[str]] = {}
        self.series: list[str] = []
        self.panel = CodePanel()
        self._render()

    @property
    def text(self) -> str:
        """The whole script: ``import geo_nb`` and every step set, in order."""
        body = ["\n".join(self.steps[s]) for s in STEPS if self.steps.get(s)]
        return "\n\n".join(["import geo_nb", *body])

    def set_step(self, step: str, lines: Sequence[str] | None) -> None:
        """Set (or with None clear) one step's lines."""
        if lines:
            self.steps[step] = list(lines)
        else:
            self.steps.pop(step, None)
        self._render()

    def searched(self, keywords: Mapping[str, Any]) -> None:
        """A search ran with :meth:`SearchForm.keywords`; later steps start over."""
        words = dict(keywords)
        query = words.pop("query")
        call = _call("geo_nb.search", query, max_results=words.pop("max_results"), **words)
        self.steps.clear()
        self.set_step("search", [f"hits = {call}"])

    def selected_series(self, selection: Sequence[str], table: TablePanel | None = None) -> None:
        """The series chosen in the Series tab (and its filters and sort, as ``shown``)."""
        self.series = list(selection)
        view = view_code("shown", table) if table is not None else []
        lines = (
            ["shown = hits  # the Series tab's rows, as filtered and sorted", *view] if view else []
        )
        if selection:
            lines.append(f"selection = {_literal(self.series)}")
        self.set_step("series", lines)

    def fetched(self, accessions: Sequence[str], runs: bool) -> None:
        """Details were fetched for ``accessions`` (with SRA runs when ``runs``)."""
        wanted = "selection" if list(accessions) == self.series else _literal(list(accessions))
        call = f"geo_nb.fetch({wanted}, runs=True)" if runs else f"geo_nb.fetch({wanted})"
        self.steps.pop("samples", None)
        self.steps.pop("download", None)
        self.set_step("fetch", [f"res = {call}"])

    def samples(self, table: TablePanel) -> None:
        """The Samples tab's facets, filters, sort and selection."""
        if "fetch" not in self.steps or table.frame.empty:
            self.set_step("samples", None)
            return
        lines = ["design = res.design()  # what varies between samples", "samples = design.factors"]
        lines += view_code("samples", table)
        if table.selection:
            lines.append(f"chosen_samples = {_literal(table.selection)}")
        self.set_step("samples", lines)

    def planned(self, keywords: Mapping[str, Any] | None, scope: str) -> None:
        """The download panel's plan (None: no plan); ``scope`` is whose files."""
        if keywords is None or "fetch" not in self.steps:
            self.set_step("download", None)
            return
        words = {k: v for k, v in keywords.items() if v not in (None, [], ())}
        accessions = words.pop("accessions", None)
        call = _call("res.plan", **words)
        if accessions is not None:
            target = "chosen_samples" if scope == "selected" else "list(samples.accession)"
            call = call[:-1] + (", " if words else "") + f"accessions={target})"
        self.set_step("download", [f"plan = {call}", "plan  # files and their unique size"])

    def downloaded(self, dest: Path, extract: bool) -> None:
        """The plan was downloaded into ``dest``."""
        lines = [line for line in self.steps.get("download", []) if line.startswith("plan = ")]
        call = _call("plan.download", str(dest), extract=True if extract else None)
        self.set_step("download", [*lines, f"report = {call}", "report.status.value_counts()"])

    def _render(self) -> None:
        self.panel.code = self.text
