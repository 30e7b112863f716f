"""From GEO samples to their SRA runs and FASTQ files, and from series to their articles.

``fetch(..., runs=True)`` calls :func:`fetch_runs` once the records are in:

1. what to ask NCBI: each fetched series' SRA study (``SRP``), and the SRA
   experiment (``SRX``) of each sample whose series names no study (a GSM
   fetched alone, the samples of a SuperSeries), all in one batched run-info
   query (:mod:`geo_nb.ncbi.sra`);
2. ENA's file report of every study found, one request per study, concurrently
   (:mod:`geo_nb.ncbi.ena`);
3. the join: a run belongs to a sample when the sample names the run's
   experiment and, for a series with an SRA study, the run is of that study.
   A sample whose experiment has no run there (a reanalysis of another study's
   reads, or runs that are not public) is flagged (``runs_unmatched``), never
   joined; runs of the series' study that no fetched sample names are kept with
   no sample.

Where ENA has no FASTQ for a run, or could not be asked, the run keeps NCBI's
facts (``source="ncbi"``, empty ``fastq_*``) and its series gets a
``runs_incomplete`` row naming the runs; runs ENA lists but NCBI does not are
kept with ENA's facts and named the same way. A series without SRA data costs
no request and gets no row.

Example:
    >>> # res = geo_nb.fetch("GSE52778", runs=True)
    >>> # res.runs[["sample_accession", "run", "library_layout", "source"]]
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ._aio import gather_or_cancel
from .errors import GeoNBError
from .files.classify import FileKind, classify_file
from .frames import file_rows, sample_memberships
from .ncbi.cache import DiskCache
from .ncbi.ena import EnaRun, fetch_filereport
from .ncbi.http import HttpClient
from .ncbi.pubmed import fetch_publications
from .ncbi.sra import RunInfo, fetch_run_info
from .progress import ProgressCallback, ProgressReporter
from .records import FetchError, GEORecords, Publication, Run, Sample, SupplementaryFile

__all__ = ["add_reads", "fastq_files", "fetch_runs", "fetch_series_publications"]

_MIB = 1024 * 1024
_SHOWN = 5


@dataclass
class _Context:
    """Where runs are listed: a fetched series (with its SRA study, if it names one), or
    a sample fetched alone (``accession`` is the GSM, ``series`` its first series)."""

    accession: str
    series: str | None
    study: str | None
    samples: list[Sample] = field(default_factory=list)


def _contexts(records: GEORecords) -> list[_Context]:
    contexts: dict[str, _Context] = {
        s.accession: _Context(s.accession, s.accession, s.sra_study) for s in records.series
    }
    for series, sample in sample_memberships(records):
        where = series if series in contexts else sample.accession
        contexts.setdefault(where, _Context(where, series, None)).samples.append(sample)
    return [c for c in contexts.values() if c.study or any(s.sra_experiment for s in c.samples)]


def _queries(contexts: list[_Context]) -> list[str]:
    """Studies of the contexts, then experiments of samples no study covers."""
    covered = {s.accession for c in contexts if c.study for s in c.samples}
    studies = [c.study for c in contexts if c.study]
    experiments = [
        s.sra_experiment
        for c in contexts
        if not c.study
        for s in c.samples
        if s.sra_experiment and s.accession not in covered
    ]
    return list(dict.fromkeys([*studies, *experiments]))


def _shown(items: list[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more


def _run(
    context: _Context,
    sample: Sample | None,
    ncbi: RunInfo | None,
    ena: EnaRun | None,
) -> Run:
    ena_files = ena is not None and bool(ena.fastq_urls)
    accession = ncbi.run if ncbi is not None else ena.run if ena is not None else ""
    return Run(
        series_accession=context.series,
        sample_accession=sample.accession if sample is not None else None,
        experiment=(ncbi.experiment if ncbi else "") or (ena.experiment if ena else ""),
        run=accession,
        study=(ncbi.study if ncbi else "") or (ena.study if ena else ""),
        bioproject=(ncbi.bioproject if ncbi else "") or (ena.bioproject if ena else ""),
        biosample=(ncbi.biosample if ncbi else "") or (ena.biosample if ena else ""),
        library_layout=(ncbi.library_layout if ncbi else "") or (ena.library_layout if ena else ""),
        library_strategy=(ncbi.library_strategy if ncbi else "")
        or (sample.library_strategy if sample else ""),
        library_source=(ncbi.library_source if ncbi else "")
        or (sample.library_source if sample else ""),
        instrument=(ncbi.instrument if ncbi else "") or (sample.instrument if sample else ""),
        spots=ncbi.spots if ncbi and ncbi.spots is not None else ena.read_count if ena else None,
        bases=ncbi.bases if ncbi and ncbi.bases is not None else ena.base_count if ena else None,
        size_bytes=ncbi.size_mb * _MIB if ncbi and ncbi.size_mb is not None else None,
        fastq_urls=list(ena.fastq_urls) if ena else [],
        fastq_bytes=list(ena.fastq_bytes) if ena else [],
        fastq_md5=list(ena.fastq_md5) if ena else [],
        sra_url=(ncbi.download_path or None) if ncbi else None,
        published=ncbi.released if ncbi else None,
        source="ena" if ena_files else "ncbi",
    )


class _Merged:
    """NCBI's and ENA's runs by accession, and why ENA may lack some."""

    def __init__(
        self, ncbi: list[RunInfo], ena: dict[str, EnaRun], failed: dict[str, GeoNBError]
    ) -> None:
        self.ncbi = {r.run: r for r in ncbi}
        self.ena = ena
        self.failed = failed
        self.by_study: dict[str, list[str]] = {}
        self.by_experiment: dict[str, list[str]] = {}
        self.experiment: dict[str, str] = {}
        for run in dict.fromkeys([*self.ncbi, *ena]):
            info, report = self.ncbi.get(run), ena.get(run)
            study = (info.study if info else "") or (report.study if report else "")
            experiment = (info.experiment if info else "") or (report.experiment if report else "")
            self.by_study.setdefault(study, []).append(run)
            self.by_experiment.setdefault(experiment, []).append(run)
            self.experiment[run] = experiment


def _join(
    context: _Context, merged: _Merged, ncbi_failed: bool
) -> tuple[list[Run], list[FetchError]]:
    by_experiment = {s.sra_experiment: s for s in context.samples if s.sra_experiment}
    if context.study:
        mine = merged.by_study.get(context.study, [])
    else:
        mine = [r for x in by_experiment for r in merged.by_experiment.get(x, [])]
    runs = [
        _run(context, by_experiment.get(merged.experiment[r]), merged.ncbi.get(r), ena)
        for r in mine
        for ena in [merged.ena.get(r)]
    ]
    # GEO's sample order, then the runs of each sample in accession order.
    position = {s.accession: i for i, s in enumerate(context.samples)}
    runs.sort(
        key=lambda r: (position.get(r.sample_accession or "", len(position)), len(r.run), r.run)
    )
    errors: list[FetchError] = []
    joined = {r.sample_accession for r in runs}
    unmatched = [
        f"{s.accession} ({s.sra_experiment})"
        for s in context.samples
        if s.sra_experiment and s.accession not in joined
    ]
    where = f"SRA study {context.study}" if context.study else "SRA"
    if unmatched and not ncbi_failed:
        errors.append(
            FetchError(
                accession=context.accession,
                kind="runs_unmatched",
                message=f"{context.accession}: {len(unmatched)} sample(s) name an SRA experiment "
                f"with no run in {where}: {_shown(unmatched)}. A reanalysis of another study's "
                "reads, or runs that are not public: they have no rows in res.runs.",
            )
        )
    studies = dict.fromkeys([context.study or "", *(r.study for r in runs)])
    for study in (s for s in studies if s in merged.failed):
        problem = merged.failed[study]
        errors.append(
            FetchError(
                accession=context.accession,
                kind=problem.kind,
                message=f"{context.accession}: ENA's file report of {study} could not be read: "
                f"{problem}",
            )
        )
    no_fastq = [r.run for r in runs if r.source == "ncbi" and r.run in merged.ncbi]
    if no_fastq:
        why = " (ENA could not be asked)" if any(r.study in merged.failed for r in runs) else ""
        errors.append(
            FetchError(
                accession=context.accession,
                kind="runs_incomplete",
                message=f"{context.accession}: ENA has no FASTQ files for {len(no_fastq)} of "
                f"{len(runs)} runs{why}: {_shown(no_fastq)}. They are listed with NCBI's facts "
                "(source 'ncbi', sra_url) and no fastq_urls.",
            )
        )
    ena_only = [r.run for r in runs if r.run not in merged.ncbi]
    if ena_only and not ncbi_failed:
        errors.append(
            FetchError(
                accession=context.accession,
                kind="runs_incomplete",
                message=f"{context.accession}: NCBI's run info lacks {len(ena_only)} run(s) that "
                f"ENA lists: {_shown(ena_only)}. They are listed with ENA's facts only.",
            )
        )
    return runs, errors


async def fetch_runs(
    http: HttpClient,
    cache: DiskCache | None,
    records: GEORecords,
    *,
    refresh: bool = False,
    reporter: ProgressReporter | None = None,
) -> tuple[list[Run], list[FetchError]]:
    """The runs of the fetched samples and the error rows about them (see the module doc).

    ENA is asked for the series' own studies while NCBI's run info is on its way (the
    two are independent), and afterwards for studies only the run info names.
    """
    contexts = _contexts(records)
    queries = _queries(contexts)
    if not queries:
        return [], []
    known = [s for s in dict.fromkeys(c.study for c in contexts) if s]
    if reporter is not None:
        reporter.total = len(known) + 1

    async def ena(study: str) -> tuple[str, list[EnaRun], GeoNBError | None]:
        try:
            found = await fetch_filereport(http, cache, study, refresh=refresh)
        except GeoNBError as exc:
            if reporter is not None:
                reporter.advance(study, ok=False)
            return study, [], exc
        if reporter is not None:
            reporter.advance(study)
        return study, found, None

    async def ncbi() -> tuple[list[RunInfo], GeoNBError | None]:
        try:
            found = await fetch_run_info(http, cache, queries, refresh=refresh)
        except GeoNBError as exc:
            return [], exc
        finally:
            if reporter is not None:
                reporter.advance()
        return found, None

    ncbi_task = asyncio.ensure_future(ncbi())
    try:
        reports = await gather_or_cancel(ena(s) for s in known)
        infos, ncbi_error = await ncbi_task
    finally:
        if not ncbi_task.done():
            ncbi_task.cancel()
            await asyncio.gather(ncbi_task, return_exceptions=True)
    more = [s for s in dict.fromkeys(i.study for i in infos) if s and s not in known]
    if more:
        if reporter is not None:
            reporter.total = len(known) + len(more) + 1
        reports += await gather_or_cancel(ena(s) for s in more)
    errors: list[FetchError] = []
    if ncbi_error is not None:
        errors += [
            FetchError(
                accession=c.accession,
                kind=ncbi_error.kind,
                message=f"{c.accession}: NCBI's SRA run info could not be read: {ncbi_error}",
            )
            for c in contexts
        ]
    ena_runs: dict[str, EnaRun] = {}
    failed: dict[str, GeoNBError] = {}
    for study, found, problem in reports:
        if problem is not None:
            failed[study] = problem
        for run in found:  # a report answers for the study asked, also where rows omit it
            ena_runs.setdefault(run.run, run if run.study else replace(run, study=study))
    merged = _Merged(infos, ena_runs, failed)
    runs: list[Run] = []
    for context in contexts:
        got, problems = _join(context, merged, ncbi_error is not None)
        runs += got
        errors += problems
    return runs, errors


@functools.lru_cache(maxsize=64)
def _kind(suffix: str) -> FileKind:
    return classify_file(f"x{suffix}")


def fastq_files(runs: Iterable[Run]) -> list[SupplementaryFile]:
    """The FASTQ files of ``runs`` as rows of ``res.files`` (level ``run``, with ENA's MD5)."""
    rows = []
    for run in runs:
        sums = [*run.fastq_md5, *[""] * len(run.fastq_urls)]
        for url, size, md5 in zip(run.fastq_urls, run.fastq_bytes, sums, strict=False):
            name = url.rsplit("/", 1)[-1]
            kind = _kind(name[name.find(".") :] if "." in name else "")
            rows.append(
                SupplementaryFile(
                    owner=run.sample_accession or run.run,
                    level="run",
                    name=name,
                    url=url,
                    source_url=url,
                    category="sequencing",
                    format=kind.format or "FASTQ",
                    compression=kind.compression,
                    size_bytes=size,
                    size_source="ena" if size is not None else None,
                    series_accession=run.series_accession,
                    md5=md5 or None,
                )
            )
    return rows


async def fetch_series_publications(
    http: HttpClient, cache: DiskCache | None, records: GEORecords, *, refresh: bool = False
) -> tuple[list[Publication], list[FetchError]]:
    """The PubMed articles the fetched series cite (one request per 200 PMIDs)."""
    cited: dict[str, list[str]] = {}
    for series in records.series:
        for pmid in series.pubmed_ids:
            cited.setdefault(pmid.strip(), []).append(series.accession)
    if not cited:
        return [], []
    return await fetch_publications(http, cache, cited, refresh=refresh)


async def add_reads(
    http: HttpClient,
    cache: DiskCache | None,
    records: GEORecords,
    *,
    runs: bool,
    publications: bool,
    refresh: bool = False,
    callbacks: Sequence[ProgressCallback] = (),
) -> GEORecords:
    """``records`` with their runs (and FASTQ files in ``files``) and publications added.

    Each part is a progress stage of its own (``"runs"``, ``"publications"``);
    what could not be had becomes rows of ``errors``.
    """
    update: dict[str, Any] = {}
    errors = list(records.errors)
    if runs:
        reporter = ProgressReporter("runs", None, callbacks)
        reporter.start()
        try:
            found, problems = await fetch_runs(
                http, cache, records, refresh=refresh, reporter=reporter
            )
        finally:
            reporter.finish()
        update["runs"] = found
        errors += problems
        if files := fastq_files(found):
            have = records.files
            if have is None:  # no inventory: the files the records name, as files_frame has them
                have = [f.model_copy(update={"series_accession": s}) for s, f in file_rows(records)]
            update["files"] = [*have, *files]
    if publications:
        reporter = ProgressReporter("publications", None, callbacks)
        reporter.start()
        try:
            found_pubs, problems = await fetch_series_publications(
                http, cache, records, refresh=refresh
            )
        finally:
            reporter.finish()
        update["publications"] = found_pubs
        errors += problems
    return records.model_copy(update={**update, "errors": errors})
