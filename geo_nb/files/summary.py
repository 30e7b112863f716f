"""What a file inventory weighs, per series and category (``GEOResult.files_summary``).

Example:
    >>> # summarize_files(res.files).query("category == 'raw_archive'")
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..frames import make_frame
from .sizes import inside_listed_archive

__all__ = ["SUMMARY_COLUMNS", "summarize_files"]

SUMMARY_COLUMNS: dict[str, Any] = {
    "series_accession": "str",
    "category": "str",
    "n_files": "int",
    "total_bytes": "int",
    "unique_bytes": "int",
    "approximate": "int",
    "unsized": "int",
    "formats": "list",
    "subseries": "list",
}


def summarize_files(files: pd.DataFrame) -> pd.DataFrame:
    """One row per series and category of ``files`` (a ``GEOResult.files`` frame); see
    :meth:`geo_nb.GEOResult.files_summary` for the columns."""
    supers = files.attrs.get("superseries", {})
    inside = inside_listed_archive(files)
    rows = []
    for (series, category), group in files.groupby(
        [files["series_accession"].fillna(""), "category"], sort=False
    ):
        rows.append(
            {
                "series_accession": series or None,
                "category": category,
                "n_files": len(group),
                "total_bytes": int(group["size_bytes"].fillna(0).sum()),
                "unique_bytes": int(group["size_bytes"][~inside[group.index]].fillna(0).sum()),
                "approximate": int((group["size_source"] == "listing").sum()),
                "unsized": int(group["size_bytes"].isna().sum()),
                "formats": sorted({f for f in group["format"].dropna() if f}),
                "subseries": list(supers.get(series, [])),
            }
        )
    return make_frame(rows, SUMMARY_COLUMNS)
