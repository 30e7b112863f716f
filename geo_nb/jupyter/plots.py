"""Plots of geo_nb's DataFrames: matplotlib Figures, made without pyplot.

Each helper takes a DataFrame that :func:`geo_nb.search` or :func:`geo_nb.fetch`
returns and gives back a :class:`matplotlib.figure.Figure` drawn on the
non-interactive Agg canvas. Nothing here touches pyplot's global state (no open
figure registry, no backend switch), so the helpers are safe in a kernel that
uses another backend, inside widgets, and in scripts; matplotlib itself is
imported on the first plot, so importing this module is cheap. :func:`to_png` turns a
figure into PNG bytes (what :class:`geo_nb.jupyter.widgets.GEOExplorer` shows).

In a notebook a Figure shows itself when it is the last expression of a cell.

Example:
    >>> import pandas as pd
    >>> from geo_nb import plots
    >>> hits = pd.DataFrame({"published": pd.to_datetime(["2020-01-05", "2021-03-01"])})
    >>> fig = plots.series_per_year(hits)
    >>> plots.to_png(fig)[:8]
    b'\\x89PNG\\r\\n\\x1a\\n'
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pandas as pd

from ..files.plan import human_size

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["files_by_category", "samples_per_series", "series_per_year", "to_png"]

_COLOR = "#3b6ea5"
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def _figure(width: float = 6.4, height: float = 3.2, ncols: int = 1) -> tuple[Figure, list[Axes]]:
    # Imported here: matplotlib is needed only once a plot is drawn.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, ncols, squeeze=False)[0]
    return fig, list(axes)


def _empty(ax: Axes, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])


def series_per_year(hits: pd.DataFrame, *, column: str = "published") -> Figure:
    """Bar chart: how many series (search hits) were published each year.

    ``hits`` is a :func:`geo_nb.search` frame (or ``res.series``); rows
    without a date are left out, and years without series show as gaps.

    Example:
        >>> # fig = plots.series_per_year(geo_nb.search("ATAC-seq", max_results=500))
    """
    fig, (ax,) = _figure()
    if column in hits:
        dates = pd.to_datetime(hits[column], errors="coerce")
    else:
        dates = pd.Series(dtype="datetime64[ns]")
    years = dates.dropna().dt.year.astype(int)
    if years.empty:
        _empty(ax, "no publication dates")
    else:
        counts = years.value_counts().reindex(range(years.min(), years.max() + 1), fill_value=0)
        ax.bar(counts.index, counts.to_numpy(), color=_COLOR)
        ax.set_xlabel("year published")
        ax.set_ylabel("series")
        ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
        ax.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    ax.set_title(f"Series per year ({len(years)} with a date)")
    return fig


def samples_per_series(frame: pd.DataFrame, *, top: int = 25) -> Figure:
    """Horizontal bars: samples per series, largest first (at most ``top`` bars).

    ``frame`` is either ``res.samples`` (rows are counted per
    ``series_accession``) or a frame with ``accession`` and ``n_samples``
    (search hits, ``res.series``).

    Example:
        >>> # fig = plots.samples_per_series(geo_nb.fetch(["GSE146537", "GSE150868"]).samples)
    """
    if "series_accession" in frame:
        counts = frame.groupby("series_accession", sort=False).size()
    elif {"accession", "n_samples"} <= set(frame.columns):
        counts = frame.set_index("accession")["n_samples"].dropna().astype(int)
    else:
        counts = pd.Series(dtype=int)
    counts = counts.sort_values(ascending=False, kind="stable")
    shown = counts.head(top)
    fig, (ax,) = _figure(height=max(2.4, 0.6 + 0.22 * len(shown)))
    if shown.empty:
        _empty(ax, "no samples")
    else:
        labels = [str(a) for a in shown.index][::-1]
        ax.barh(labels, shown.to_numpy()[::-1], color=_COLOR)
        ax.set_xlabel("samples")
        ax.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    more = f", top {top} of {len(counts)}" if len(counts) > top else ""
    ax.set_title(f"Samples per series ({int(counts.sum())} samples{more})")
    return fig


def files_by_category(files: pd.DataFrame) -> Figure:
    """Two bar charts of ``res.files`` by category: file count and total size.

    Sizes are summed over the files whose size is known; while no size is known
    (before a file inventory) the right panel says so.

    Example:
        >>> # fig = plots.files_by_category(geo_nb.fetch("GSE150868").files)
    """
    fig, (left, right) = _figure(width=8.0, ncols=2)
    if files.empty or "category" not in files:
        _empty(left, "no files")
        _empty(right, "no files")
        return fig
    categories = files["category"].fillna("other").astype(str)
    counts = categories.value_counts().sort_values(kind="stable")
    left.barh(list(counts.index), counts.to_numpy(), color=_COLOR)
    left.set_title(f"Files by category ({len(files)} files)")
    left.set_xlabel("files")
    left.xaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    if "size_bytes" in files:
        sizes = pd.to_numeric(files["size_bytes"], errors="coerce")
    else:
        sizes = pd.Series(float("nan"), index=files.index)
    known = sizes.notna()
    if not known.any():
        _empty(right, "sizes unknown\n(no file inventory yet)")
        right.set_title("Size by category")
        return fig
    totals = sizes[known].groupby(categories[known]).sum().reindex(counts.index, fill_value=0)
    scale = max(float(totals.max()), 1.0)
    unit_index = 0
    while scale >= 1024 and unit_index < len(_UNITS) - 1:
        scale /= 1024
        unit_index += 1
    divisor = 1024**unit_index
    right.barh(list(totals.index), (totals / divisor).to_numpy(), color="#a5673b")
    right.set_xlabel(_UNITS[unit_index])
    unknown = int((~known).sum())
    note = f", {unknown} unknown" if unknown else ""
    right.set_title(f"Size by category ({human_size(float(sizes[known].sum()))}{note})")
    return fig


def to_png(fig: Figure, *, dpi: int = 96) -> bytes:
    """Render ``fig`` to PNG bytes with the Agg canvas (no pyplot involved).

    Example:
        >>> # open("years.png", "wb").write(to_png(series_per_year(hits)))
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()
