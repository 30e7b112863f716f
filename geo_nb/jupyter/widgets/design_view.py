"""The Samples tab as a design view: what varies first, what is shared in one line, facets.

Biologists open a series to find its design: which samples are treated, which
are controls, how many replicates. :class:`SamplesPanel` shows
:meth:`geo_nb.GEOResult.design` (rules in :mod:`geo_nb.experiment`):

* one line above the table lists what every sample of a series shares
  (``Design.constant``), so those columns do not crowd the table;
* the table has the sample's accession and title, then every varying factor
  (merged spellings, split packed values), then the descriptive columns that
  are not constant; nothing is capped: wide tables scroll sideways;
* a row of facet chips per factor (its levels with sample counts): clicking a
  level keeps the samples that have it, "all" drops that facet. Identifiers and
  covariates (one value per sample) get no chips.

The rows are selectable, as in the Series tab: the download panel can take the
files of the selected or of the filtered samples.

Example:
    >>> panel = SamplesPanel()
    >>> panel.table.name, panel.chips
    ('samples', {})
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from ... import GEOResult
from ...cells import cell_text
from ._html import Cell, esc
from .table import MISSING_LEVEL, TablePanel

__all__ = ["MAX_CHIPS", "SamplesPanel", "design_frame"]

MAX_CHIPS = 24
"""A factor with more levels than this gets no chips (the text filter still finds them)."""
_IDS = ["series_accession", "accession", "title"]


def design_frame(result: GEOResult, descriptive: Sequence[str]) -> tuple[pd.DataFrame, list[str]]:
    """The Samples tab's frame and its column order: ids, factors, non-constant descriptive.

    Example:
        >>> # frame, columns = design_frame(geo_nb.fetch("GSE211781"), ["source"])
    """
    samples = result.samples
    design = result.design()
    factors = design.factor_names
    constant = set(design.constant["factor"]) if len(design.constant) else set()
    rest = [c for c in descriptive if c in samples and c not in factors and c not in constant]
    rest = [c for c in rest if c not in _IDS]
    keep = [c for c in [*_IDS, *rest] if c in samples]
    frame = design.factors.merge(
        samples[keep].drop_duplicates(["series_accession", "accession"]),
        on=["series_accession", "accession"],
        how="left",
    )
    columns = [c for c in [*_IDS, *factors, *rest] if c in frame]
    return frame[columns], columns


class SamplesPanel(widgets.VBox):  # type: ignore[misc, unused-ignore]
    """The Samples tab: the shared characteristics, facet chips and the samples table.

    ``table`` is the :class:`TablePanel` (``table.facets`` the chosen levels),
    ``chips`` the facet ToggleButtons by factor, ``constant`` the HTML line of
    shared values, ``design`` the :class:`geo_nb.experiment.Design` shown.
    """

    def __init__(
        self,
        page_size: int = 50,
        descriptive: Sequence[str] = (),
        cells: Mapping[str, Cell] | None = None,
    ) -> None:
        self.descriptive = list(descriptive)
        self.design: Any = None
        self.chips: dict[str, widgets.ToggleButtons] = {}
        self.constant = widgets.HTML().add_class("geo-nb-constant")
        self.facet_box = widgets.VBox().add_class("geo-nb-facets")
        self.table = TablePanel(
            "samples",
            _IDS,
            page_size=page_size,
            selectable=True,
            cells=cells,
            choice="series_accession",
        )
        super().__init__([self.constant, self.facet_box, self.table])
        self.add_class("geo-nb-samples-panel-design")

    def set_result(self, result: GEOResult | None) -> None:
        """Show ``result``'s samples as a design view (None empties the tab)."""
        self.table.facets.clear()
        self.chips = {}
        if result is None or result.samples.empty:
            self.design = None
            self.constant.value = ""
            self.facet_box.children = ()
            self.table.columns = list(_IDS)
            self.table.set_frame(self.table.frame.iloc[0:0])
            return
        frame, columns = design_frame(result, self.descriptive)
        self.design = design = result.design()
        self.table.columns = columns
        self.table.set_frame(frame)
        self.constant.value = _constant_html(design.constant)
        solo = {
            n
            for names in (*design.identifiers.values(), *design.covariates.values())
            for n in names
        }
        rows = []
        for factor in design.factor_names:
            if factor in solo:
                continue
            # Levels as the table reads them: empty and missing cells are one level.
            counts = frame[factor].map(cell_text).replace("", MISSING_LEVEL).value_counts()
            if len(counts) > MAX_CHIPS or len(counts) < 2:
                continue
            options = [(f"all ({len(frame)})", "")]
            options += [(f"{level} ({n})", str(level)) for level, n in sorted(counts.items())]
            chips = widgets.ToggleButtons(options=options, value="", description=factor)
            chips.style.button_width = "auto"
            chips.style.description_width = "initial"
            chips.add_class("geo-nb-facet")
            chips.observe(lambda change, f=factor: self._on_chip(f, change), names="value")
            self.chips[factor] = chips
            rows.append(chips)
        self.facet_box.children = tuple(rows)

    def _on_chip(self, factor: str, change: Mapping[str, Any]) -> None:
        self.table.set_facet(factor, change["new"] or None)


def _constant_html(constant: pd.DataFrame) -> str:
    if constant.empty:
        return ""
    parts = []
    for series, group in constant.groupby("series_accession", sort=False):
        shared = " · ".join(
            f"<b>{esc(f)}</b>: {esc(v)}"
            for f, v in zip(group["factor"], group["value"], strict=True)
        )
        parts.append(
            f'<div data-series="{esc(series)}">{esc(series)}, every sample: {shared}</div>'
        )
    return (
        '<div class="geo-nb-constant-line" title="the same for every sample of the series">'
        + "".join(parts)
        + "</div>"
    )
