"""The pieces of a fetch that need no network: error rows, SuperSeries expansion,
the checks on an answer and the assembly of one :class:`~geo_nb.records.GEORecords`.

Example:
    >>> series_count(["GSE1", "GSM2", "GSE3"])
    2
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence

from .errors import GeoNBError, UnexpectedResponseError
from .parse.convert import Converted
from .records import FetchError, GEORecords, Platform, Sample, Series

__all__ = [
    "assemble",
    "check_requested",
    "failure_row",
    "missing_samples",
    "new_subseries",
    "series_count",
]

log = logging.getLogger("geo_nb")


def series_count(accessions: Iterable[str]) -> int:
    return sum(1 for a in accessions if a.startswith("GSE"))


def failure_row(accession: str, exc: Exception) -> FetchError:
    """A FetchError row for ``exc``; unexpected exceptions are logged as bugs."""
    if isinstance(exc, GeoNBError):
        return FetchError(accession=accession, kind=exc.kind, message=str(exc))
    log.error("unexpected error while fetching %s", accession, exc_info=exc)
    return FetchError(
        accession=accession,
        kind="internal_error",
        message=f"{accession}: unexpected {type(exc).__name__}: {exc}. "
        "This is a geo_nb bug; please report it.",
    )


def new_subseries(outcomes: Iterable[Converted | FetchError], requested: list[str]) -> list[str]:
    """SubSeries of the fetched SuperSeries that were not asked for yet."""
    found: dict[str, None] = {}
    for outcome in outcomes:
        if isinstance(outcome, tuple):
            for series in outcome[0]:
                for sub in series.superseries_of:
                    if sub not in requested:
                        found.setdefault(sub, None)
    return list(found)


def check_requested(accession: str, converted: Converted, url: str) -> None:
    found = {r.accession for group in converted for r in group}
    if accession not in found:
        raise UnexpectedResponseError(
            f"{accession}: GEO's answer does not contain {accession} "
            f"(it holds {', '.join(sorted(found)[:5]) or 'no records'}). Try again later.",
            accession=accession,
            url=url,
        )


def missing_samples(
    accession: str, converted: Converted, *, offline: bool = False
) -> FetchError | None:
    """An ``incomplete`` error when a series' answer lacks samples it lists.

    The records are kept (they are right as far as they go); the row says
    what is missing. SuperSeries are exempt: their samples belong to their
    SubSeries, and GEO need not send them.
    """
    series, samples, _ = converted
    main = next((s for s in series if s.accession == accession), None)
    if main is None or main.is_superseries:
        return None
    have = {s.accession for s in samples}
    missing = [s for s in main.sample_ids if s not in have]
    if not missing:
        return None
    return FetchError(
        accession=accession,
        kind="incomplete",
        message=(
            f"{accession}: GEO lists {len(main.sample_ids)} samples but sent "
            f"{len(main.sample_ids) - len(missing)} (missing: {', '.join(missing[:5])}"
            f"{' ...' if len(missing) > 5 else ''}). The series is shown; its missing samples "
            "are not. "
            + (
                "The offline demo recorded only some of its samples (geo_nb.demo_catalog() "
                "shows which series are complete); refresh=True cannot add them."
                if offline
                else "Retry with refresh=True, or fetch the missing samples by accession."
            )
        ),
    )


def assemble(wanted: list[str], outcomes: Sequence[Converted | FetchError]) -> GEORecords:
    series: dict[str, Series] = {}
    samples: dict[str, Sample] = {}
    platforms: dict[str, Platform] = {}
    errors: list[FetchError] = []
    for outcome in outcomes:
        if isinstance(outcome, FetchError):
            errors.append(outcome)
            continue
        got_series, got_samples, got_platforms = outcome
        for s in got_series:
            series.setdefault(s.accession, s)
        # A sample or platform fetched alone from a thin esummary summary gives way to
        # the same record read with a series.
        for m in got_samples:
            if m.accession not in samples or samples[m.accession].record_source == "esummary":
                samples[m.accession] = m
        for p in got_platforms:
            if p.accession not in platforms or platforms[p.accession].record_source == "esummary":
                platforms[p.accession] = p
    return GEORecords(
        requested=wanted,
        series=list(series.values()),
        samples=list(samples.values()),
        platforms=list(platforms.values()),
        errors=errors,
    )
