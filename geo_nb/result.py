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
import warnings
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd

from . import analysis, exports
from ._sync import run_sync
from ._version import __version__
from .citation import citation_text
from .errors import FetchFailedError
from .experiment import Design, design
from .files.plan import DownloadPlan, select_files
from .files.sizes import NARROWING_FILTERS, resolve_archives, size_text, unique_size
from .files.summary import summarize_files
from .frames import (
    errors_frame,
    file_rows,
    files_frame,
    make_frame,
    platforms_frame,
    sample_memberships,
    samples_frame,
    series_frame,
)
from .records import GEORecords
from .runframes import publications_frame, runs_frame
from .settings import Settings

RAW_CATEGORIES = ("sequencing", "microarray")
SOURCE_COLUMNS: dict[str, Any] = {
    "record_source": "str",
    "series": "int",
    "samples": "int",
    "platforms": "int",
}

_SOURCE_WORDS = (("series", "series"), ("samples", "sample"), ("platforms", "platform"))

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

    def __init__(self, records: GEORecords, *, settings: Settings | None = None) -> None:
        self._records = records
        self._settings = settings

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
    def runs(self) -> pd.DataFrame:
        """One row per SRA run of the fetched samples (``fetch(..., runs=True)``)."""
        return runs_frame(self._records.runs)

    @cached_property
    def publications(self) -> pd.DataFrame:
        """One row per PubMed article of the fetched series (``fetch(..., publications=True)``)."""
        return publications_frame(self._records.publications)

    @cached_property
    def errors(self) -> pd.DataFrame:
        """One row per accession that failed: accession, kind, message."""
        return errors_frame(self._records)

    def design(self, series: str | list[str] | None = None) -> Design:
        """The experimental design of each series (or of ``series``): what varies.

        ``.factors`` has one row per sample with only the characteristics that
        vary, ``.groups`` the combinations that occur with their replicate
        counts, ``.summary`` the levels of each factor, ``.constant`` what every
        sample shares. Tag spellings are merged and packed values split; the
        rules are in :mod:`geo_nb.experiment`. :attr:`samples` is unchanged.

        Example:
            >>> # res.design().groups      # e.g. genotype x treatment, n_samples
        """
        return design(self.samples, series)

    def to_csv(self, directory: str | Path) -> list[Path]:
        """Write every frame as ``<frame>.csv`` (lists as JSON); see :mod:`geo_nb.exports`."""
        return exports.to_csv(self, directory)

    def to_parquet(self, directory: str | Path) -> list[Path]:
        """Write every frame as ``<frame>.parquet``; lists stay lists (``[export]`` extra)."""
        return exports.to_parquet(self, directory)

    def to_excel(self, path: str | Path) -> Path:
        """Write one workbook, a sheet per frame (``[export]`` extra)."""
        return exports.to_excel(self, path)

    def to_pep(self, directory: str | Path, **keywords: Any) -> Path:
        """Write a PEP 2.1 project (and an nf-core ``samplesheet.csv`` with runs); see
        :func:`geo_nb.exports.to_pep`."""
        return exports.to_pep(self, directory, **keywords)

    def to_samplesheet(self, path: str | Path, **keywords: Any) -> Path:
        """Write an nf-core/rnaseq sample sheet of the runs; see
        :func:`geo_nb.exports.to_samplesheet`."""
        return exports.to_samplesheet(self, path, **keywords)

    def citation(self) -> str:
        """A methods-section paragraph: the accessions, their publications, the SRA
        studies of fetched runs, the retrieval date and the geo_nb version.

        Example:
            >>> # print(geo_nb.fetch("GSE52778", publications=True).citation())
        """
        return citation_text(self._records, version=__version__)

    def raise_for_errors(self) -> GEOResult:
        """Raise :class:`~geo_nb.errors.FetchFailedError` if any accession failed.

        Returns the result itself otherwise, so it can be chained:
        ``res = geo_nb.fetch(accs).raise_for_errors()``.
        """
        if self._records.errors:
            raise FetchFailedError([(e.accession, e.kind, e.message) for e in self._records.errors])
        return self

    def files_summary(self) -> pd.DataFrame:
        """Per series and category: file count, total bytes, unsized files, formats.

        ``total_bytes`` sums the known sizes (``approximate`` counts how many of
        them come from a rounded folder listing, ``unsized`` how many have no
        size). ``unique_bytes`` leaves out files that are also inside a listed
        ``RAW.tar`` (the archive's row counts their bytes), so summing it over
        rows gives the bytes of the data, each counted once; ``total_bytes``
        does not add up across categories. ``subseries`` names, for a
        SuperSeries, the SubSeries that hold its samples' files.

        Example:
            >>> # res.files_summary().query("category == 'raw_archive'")
        """
        return summarize_files(self.files)

    def has_raw_data(self, accession: str | None = None) -> bool | pd.Series:
        """Whether a series offers raw data: reads (SRA, fastq...) or raw array files.

        Raw data are sequencing reads (linked SRA experiments or read files)
        and raw microarray files (CEL, IDAT, GPR...), also inside RAW.tar. With
        an ``accession`` (series or sample), a bool; without, a boolean Series
        indexed by series accession.
        """
        files = self.files
        raw_files = files[files["category"].isin(RAW_CATEGORIES)]
        with_files = set(raw_files["series_accession"].dropna()) | set(raw_files["accession"])
        sra = {m.accession for m in self._records.samples if m.sra_experiment}
        answer: dict[str, bool] = {}
        for series in self._records.series:
            samples = set(series.sample_ids)
            answer[series.accession] = bool(
                series.accession in with_files
                or series.sra_study
                or samples & sra
                or samples & with_files
            )
        if accession is None:
            return pd.Series(answer, dtype=bool, name="has_raw_data").rename_axis("accession")
        key = accession.strip().upper()
        if key in answer:
            return answer[key]
        if key in {m.accession for m in self._records.samples}:
            return key in sra or key in with_files
        raise KeyError(f"{accession} is not a series or sample of this result.")

    def download_size(self, **filters: Any) -> int:
        """Bytes the files matching ``filters`` would take (see :meth:`plan`).

        Each byte counts once (a ``RAW.tar`` and its members are never both
        planned). Files of unknown size count as 0 and a warning says how many
        there are.
        """
        plan = self.plan(**filters)
        if plan.unknown_sizes:
            warnings.warn(
                f"{plan.unknown_sizes} matching file(s) have no known size and count as 0; "
                "fetch with exact_sizes=True to size them.",
                stacklevel=2,
            )
        return plan.total_bytes

    def links(self, **filters: Any) -> list[str]:
        """URLs of the files matching ``filters`` (see :meth:`plan`), one per file."""
        return [str(u) for u in self.plan(**filters).files["url"].dropna()]

    def plan(self, **filters: Any) -> DownloadPlan:
        """A :class:`~geo_nb.files.plan.DownloadPlan` of the files matching every filter.

        Filters: ``category``, ``format``, ``level`` (a value or a list),
        ``pattern`` (a regex searched in the name), ``max_size`` (bytes or
        ``"500M"``), ``accessions`` (series or samples).

        A ``RAW.tar`` and files inside it are never planned together: the
        members win when ``category``, ``format``, ``level`` or ``pattern``
        narrowed the choice, the archive wins otherwise. ``plan.dropped`` lists
        what was left out and why.

        Example:
            >>> # res.plan(category="genome_track", max_size="1G").download("data/")
        """
        chosen = select_files(self.files, **filters)
        narrowed = any(filters.get(name) for name in NARROWING_FILTERS)
        kept, dropped = resolve_archives(chosen, narrowed=narrowed)
        return DownloadPlan(kept, inventory=self.files, settings=self._settings, dropped=dropped)

    def sources(self) -> pd.DataFrame:
        """Where the records came from: per ``record_source``, how many series, samples and
        platforms it gave.

        ``acc`` is acc.cgi; ``series_matrix`` and ``family_soft`` are GEO's FTP tree
        (read when acc.cgi answers with a bot-challenge page, a 403 or not at all, or
        first with ``metadata_source="ftp"``); ``esummary`` is E-utilities summaries of
        samples and platforms fetched alone (no characteristics). The same is in the
        ``record_source`` column of :attr:`series`, :attr:`samples` and :attr:`platforms`.

        Example:
            >>> GEOResult(GEORecords()).sources().columns.tolist()
            ['record_source', 'series', 'samples', 'platforms']
        """
        rows = [{"record_source": source, **row} for source, row in self._source_counts().items()]
        return make_frame(rows, SOURCE_COLUMNS)

    def _source_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        records = self._records
        for kind, group in (
            ("series", records.series),
            ("samples", records.samples),
            ("platforms", records.platforms),
        ):
            for record in group:
                row = counts.setdefault(
                    record.record_source, {"series": 0, "samples": 0, "platforms": 0}
                )
                row[kind] += 1
        return counts

    def _source_line(self) -> str:
        """``sources: series_matrix (2 series, 8 samples), ...``; "" when all came from acc.cgi.

        Counted from the records, without pandas: the repr must stay cheap."""
        counts = self._source_counts()
        if set(counts) <= {"acc"}:
            return ""
        parts = []
        for source, row in counts.items():
            found = [
                _plural(row[kind], word).replace("seriess", "series")
                for kind, word in (
                    ("series", "series"),
                    ("samples", "sample"),
                    ("platforms", "platform"),
                )
                if row[kind]
            ]
            parts.append(f"{source} ({', '.join(found)})")
        return "sources: " + ", ".join(parts) + "; see .sources()"

    def has_ncbi_counts(self, accession: str | None = None) -> bool | pd.Series:
        """Whether NCBI computed RNA-seq counts for a series (human and mouse RNA-seq).

        With an ``accession``, a bool; without, a boolean Series indexed by
        series accession. The files are rows of :attr:`files` with level ``ncbi``.
        """
        answer = analysis.has_ncbi_counts(self.files, [s.accession for s in self._records.series])
        if accession is None:
            return answer
        key = accession.strip().upper()
        if key not in answer.index:
            raise KeyError(f"{accession} is not a series of this result.")
        return bool(answer[key])

    def counts(self, accession: str, kind: str = "raw", **keywords: Any) -> pd.DataFrame:
        """NCBI's RNA-seq counts of a series: GeneID index, ``symbol``, one column per GSM.

        ``kind`` is ``"raw"`` (``Int64``), ``"tpm"`` or ``"fpkm"``; keywords of
        :func:`geo_nb.analysis.acounts` (``symbols``, ``refresh``, ``progress``,
        ``organism``). Downloaded through a DownloadPlan into the cache.

        Example:
            >>> # res.counts("GSE211781").filter(like="GSM").sum()
        """
        return analysis.counts(self.files, accession, self._settings, kind=kind, **keywords)

    def to_anndata(self, accession: str, source: str = "counts", **keywords: Any) -> Any:
        """An ``anndata.AnnData`` of a series, ``obs`` aligned with :attr:`samples`.

        ``source`` is ``"counts"`` (NCBI's; ``kind=``), ``"series_matrix"``
        (``platform=``) or ``"10x"``; see :mod:`geo_nb.anndata_io`. Needs the
        ``analysis`` extra.

        Example:
            >>> # adata = res.to_anndata("GSE211781")
        """
        from .anndata_io import ato_anndata
        from .offline import resolve_settings

        series = [s.accession for s in self._records.series]
        coroutine = ato_anndata(
            self.files,
            self.samples,
            series,
            accession,
            resolve_settings(self._settings),
            source=source,
            **keywords,
        )
        return run_sync(coroutine)

    def _counts(self) -> list[str]:
        # Counted from the records: a repr must stay cheap (asyncio formats the repr of
        # a finished task's result), so it never builds the DataFrames.
        records = self._records
        return [
            _plural(len(records.series), "series").replace("seriess", "series"),
            _plural(len(sample_memberships(records)), "sample"),
            _plural(len(records.platforms), "platform"),
            _plural(len(file_rows(records)), "file"),
            _plural(len(records.errors), "error"),
            *([_plural(len(records.runs), "run")] if records.runs else []),
            *([_plural(len(records.publications), "publication")] if records.publications else []),
        ]

    def __repr__(self) -> str:
        line = self._source_line()
        return f"GEOResult({', '.join(self._counts())})" + (f"\n{line}" if line else "")

    def _repr_mimebundle_(self, include: object = None, exclude: object = None) -> dict[str, str]:
        """Plain text and escaped HTML, for Jupyter and other rich displays."""
        return {"text/plain": repr(self), "text/html": self._repr_html_()}

    def _repr_html_(self) -> str:
        parts = [f"<div><strong>GEOResult</strong>: {html.escape(', '.join(self._counts()))}</div>"]
        if line := self._source_line():
            parts.append(f"<div>{html.escape(line)}</div>")
        if len(self.series):
            shown = self.series[["accession", "title", "n_samples"]].head(20)
            parts.append(shown.to_html(index=False, escape=True))
        if len(self.files):
            files = self.files
            by_category = files.groupby("category").agg(
                files=("name", "size"),
                bytes=("size_bytes", "sum"),
                unsized=("size_bytes", lambda s: int(s.isna().sum())),
            )
            by_category["size"] = [
                size_text(int(b), int(u), int(n))
                for b, u, n in zip(
                    by_category["bytes"], by_category["unsized"], by_category["files"], strict=True
                )
            ]
            total, unsized = unique_size(files)
            parts.append("<div><strong>Files by category</strong></div>")
            parts.append(by_category[["files", "size"]].to_html(escape=True))
            parts.append(
                f"<div>All files: {html.escape(size_text(total, unsized, len(files)))} "
                "(files inside a listed RAW.tar counted once)</div>"
            )
        supers = self.files.attrs.get("superseries", {})
        for series, subs in supers.items():
            parts.append(
                f"<div>{html.escape(series)} is a SuperSeries: its samples' files are listed "
                f"under its SubSeries {html.escape(', '.join(subs))} "
                "(fetch with expand_superseries=True).</div>"
            )
        if len(self.errors):
            parts.append("<div><strong>Errors</strong></div>")
            parts.append(self.errors.to_html(index=False, escape=True))
        return "\n".join(parts)
