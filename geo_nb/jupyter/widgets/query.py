"""The search form: filter widgets -> :func:`geo_nb.asearch` keywords.

What NCBI dropped from a query is found by the search itself
(:func:`geo_nb.ncbi.translation.dropped_tags`) and arrives in
``hits.attrs["warnings"]``.

Example:
    >>> form = SearchForm("ATAC-seq")
    >>> form.keywords()["query"]
    'ATAC-seq'
"""

from __future__ import annotations

import re
from typing import Any

import ipywidgets as widgets  # type: ignore[import-untyped, unused-ignore]

from ...errors import QueryError

__all__ = ["ORGANISMS", "STUDY_TYPES", "SearchForm"]

ORGANISMS = (
    "Homo sapiens",
    "Mus musculus",
    "Rattus norvegicus",
    "Danio rerio",
    "Drosophila melanogaster",
    "Caenorhabditis elegans",
    "Saccharomyces cerevisiae",
    "Arabidopsis thaliana",
)
STUDY_TYPES = (
    "Expression profiling by high throughput sequencing",
    "Expression profiling by array",
    "Genome binding/occupancy profiling by high throughput sequencing",
    "Methylation profiling by high throughput sequencing",
    "Methylation profiling by array",
    "Non-coding RNA profiling by high throughput sequencing",
    "Genome variation profiling by high throughput sequencing",
    "Other",
)


def _split(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;,]", text) if part.strip()]


def _count(text: str, label: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    if not text.isdigit():
        raise QueryError(f"{label} must be a whole number, got {text!r}.")
    return int(text)


class SearchForm(widgets.VBox):  # type: ignore[misc, unused-ignore]
    """The query box, the common filters and the Search/Cancel buttons.

    :meth:`keywords` turns the values into keywords of :func:`geo_nb.asearch`;
    text the core cannot read (``published_from="soon"``) is passed on, so the
    core's :class:`~geo_nb.errors.QueryError` says what is wrong.

    Example:
        >>> form = SearchForm()
        >>> form.query.value, form.organism.value = "ATAC-seq", "Homo sapiens, Mus musculus"
        >>> form.keywords()["organism"]
        ['Homo sapiens', 'Mus musculus']
    """

    def __init__(self, query: str = "", max_results: int = 100) -> None:
        def text(placeholder: str, css: str, description: str = "", **kw: Any) -> widgets.Text:
            box = widgets.Text(placeholder=placeholder, description=description, **kw)
            box.add_class(css)
            return box

        style = {"description_width": "8em"}
        self.query = text(
            'e.g. ATAC-seq T cell, or "single cell" AND tumor',
            "geo-nb-query",
            "Query",
            value=query,
            style=style,
        )
        self.query.layout.width = "100%"
        self.search = widgets.Button(description="Search", button_style="primary", icon="search")
        self.search.add_class("geo-nb-search")
        self.cancel = widgets.Button(description="Cancel", icon="stop", disabled=True)
        self.cancel.add_class("geo-nb-cancel")
        self.organism = widgets.Combobox(
            placeholder="any (several: comma-separated)",
            options=ORGANISMS,
            ensure_option=False,
            description="Organism",
            style=style,
        )
        self.organism.add_class("geo-nb-organism")
        self.study_type = widgets.Dropdown(
            options=[("any", ""), *((t, t) for t in STUDY_TYPES)],
            value="",
            description="Study type",
            style=style,
        )
        self.study_type.add_class("geo-nb-study-type")
        self.published_from = text(
            "2020 or 2020-06-30", "geo-nb-from", "Published from", style=style
        )
        self.published_to = text("2024 or 2024-12", "geo-nb-to", "Published to", style=style)
        self.min_samples = text("min", "geo-nb-min-samples", "Samples from", style=style)
        self.max_samples = text("max", "geo-nb-max-samples", "Samples to", style=style)
        self.supplementary = text(
            "e.g. bed, bw, cel", "geo-nb-supplementary", "Supplementary", style=style
        )
        self.max_results = widgets.BoundedIntText(
            value=max_results, min=0, max=100_000, description="Max hits", style=style
        )
        self.max_results.add_class("geo-nb-max-results")
        filters = widgets.GridBox(
            [
                self.organism,
                self.study_type,
                self.published_from,
                self.published_to,
                self.min_samples,
                self.max_samples,
                self.supplementary,
                self.max_results,
            ],
            layout=widgets.Layout(grid_template_columns="repeat(2, minmax(0, 1fr))"),
        )
        filters.add_class("geo-nb-filters")
        buttons = widgets.HBox([self.search, self.cancel])
        super().__init__([widgets.HBox([self.query, buttons]), filters])
        self.add_class("geo-nb-search-form")

    def fill(self, **filters: Any) -> None:
        """Set the filter widgets from :func:`geo_nb.asearch` keywords (lists are joined).

        Example:
            >>> form = SearchForm()
            >>> form.fill(organism=["Homo sapiens"], published_from=2020, min_samples=4)
            >>> form.published_from.value, form.min_samples.value
            ('2020', '4')
        """
        boxes = {
            "organism": self.organism,
            "published_from": self.published_from,
            "published_to": self.published_to,
            "min_samples": self.min_samples,
            "max_samples": self.max_samples,
            "supplementary": self.supplementary,
        }
        for name, value in filters.items():
            if value is None:
                continue
            text = ", ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
            if name in boxes:
                boxes[name].value = text
            elif name == "study_type":
                if isinstance(value, list | tuple) and len(value) > 1:
                    raise ValueError("The study type filter of the explorer takes one value.")
                choices = [v for _, v in self.study_type.options]
                if text not in choices:
                    self.study_type.options = [*self.study_type.options, (text, text)]
                self.study_type.value = text
            elif name == "max_results":
                self.max_results.value = int(value)
            else:
                raise TypeError(f"SearchForm.fill() got an unknown filter {name!r}")

    def keywords(self) -> dict[str, Any]:
        """Keywords of :func:`geo_nb.asearch` for the current values (``query`` included).

        Raises :class:`~geo_nb.errors.QueryError` for a sample count that is
        not a whole number.
        """
        return {
            "query": self.query.value.strip(),
            "organism": _split(self.organism.value) or None,
            "study_type": self.study_type.value or None,
            "published_from": self.published_from.value.strip() or None,
            "published_to": self.published_to.value.strip() or None,
            "min_samples": _count(self.min_samples.value, "Samples from"),
            "max_samples": _count(self.max_samples.value, "Samples to"),
            "supplementary": _split(self.supplementary.value) or None,
            "max_results": self.max_results.value,
        }
