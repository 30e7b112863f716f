"""GEOResult: what a fetch returns, as DataFrames built on first access.

Example:
    >>> from geo_nb.records import GEORecords, FetchError
    >>> res = GEOResult(GEORecords(requested=["GSE1"],
    ...     errors=[FetchError(accession="GSE1", kind="not_found", message="not found")]))
    >>> res
    GEOResult(0 series, 0 samples, 0 platforms, 0 files, 1 error)
    >>> res.errors.kind.tolist()
    ['not_found']
"""

from __future__ import annotations

import html
from functools import cached_property

import pandas as pd

from .errors import FetchFailedError
from .frames import errors_frame, files_frame, platforms_frame, samples_frame, series_frame
from .records import GEORecords

__all__ = ["GEOResult"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class GEOResult:
    """Series, samples, platforms, files and errors of one fetch.

    Attributes are pandas DataFrames (built once, on first access); the
    pydantic records are in :attr:`records`. Failed accessions are rows of
    :attr:`errors`, never empty records; :meth:`raise_for_errors` turns them
    into an exception for scripts that want all-or-nothing.
    """

    def __init__(self, records: GEORecords) -> None:
        self._records = records

    @property
    def records(self) -> GEORecords:
        """The pydantic records (JSON-serialisable with ``.model_dump_json()``)."""
        return self._records

    @cached_property
    def series(self) -> pd.DataFrame:
        """One row per series."""
        return series_frame(self._records.series)

    @cached_property
    def samples(self) -> pd.DataFrame:
        """One row per (series, sample), one ``ch1.<tag>`` column per characteristic."""
        return samples_frame(self._records)

    @cached_property
    def platforms(self) -> pd.DataFrame:
        """One row per platform that came with the fetched records."""
        return platforms_frame(self._records.platforms)

    @cached_property
    def files(self) -> pd.DataFrame:
        """One row per supplementary file named in the records."""
        return files_frame(self._records)

    @cached_property
    def errors(self) -> pd.DataFrame:
        """One row per accession that failed: accession, kind, message."""
        return errors_frame(self._records)

    def raise_for_errors(self) -> GEOResult:
        """Raise :class:`~geo_nb.errors.FetchFailedError` if any accession failed.

        Returns the result itself otherwise, so it can be chained:
        ``res = geo_nb.fetch(accs).raise_for_errors()``.
        """
        if self._records.errors:
            raise FetchFailedError([(e.accession, e.kind, e.message) for e in self._records.errors])
        return self

    def _counts(self) -> list[str]:
        return [
            _plural(len(self._records.series), "series").replace("seriess", "series"),
            _plural(len(self.samples), "sample"),
            _plural(len(self._records.platforms), "platform"),
            _plural(len(self.files), "file"),
            _plural(len(self._records.errors), "error"),
        ]

    def __repr__(self) -> str:
        return f"GEOResult({', '.join(self._counts())})"

    def _repr_html_(self) -> str:
        parts = [f"<div><strong>GEOResult</strong>: {html.escape(', '.join(self._counts()))}</div>"]
        if len(self.series):
            shown = self.series[["accession", "title", "n_samples"]].head(20)
            parts.append(shown.to_html(index=False, escape=True))
        if len(self.errors):
            parts.append("<div><strong>Errors</strong></div>")
            parts.append(self.errors.to_html(index=False, escape=True))
        return "\n".join(parts)
