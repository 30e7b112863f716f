"""Pydantic models of GEO records: series, samples, platforms, files, errors.

Records keep the fields people filter on as typed attributes, and everything
GEO wrote in ``attributes`` (label -> values, prefix dropped) so nothing is
lost. They are immutable and JSON-serialisable.

Example:
    >>> from geo_nb.records import FetchError
    >>> FetchError(accession="GSE1", kind="not_found", message="no such series").model_dump()
    {'accession': 'GSE1', 'kind': 'not_found', 'message': 'no such series'}
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Channel",
    "FetchError",
    "GEORecords",
    "Platform",
    "Publication",
    "RecordSource",
    "Run",
    "Sample",
    "Series",
    "SupplementaryFile",
]

#: ``ncbi``: a file NCBI computed (RNA-seq counts), not one the submitter deposited.
#: ``run``: a FASTQ file of an SRA run (from ENA), for samples fetched with ``runs=True``.
Level = Literal["series", "sample", "platform", "archive_member", "ncbi", "run"]
RecordSource = Literal["acc", "series_matrix", "family_soft", "esummary"]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SupplementaryFile(_Record):
    """A supplementary file named in a record (or found in its FTP folder).

    ``url`` points at the configured FTP base; ``source_url`` is the address as
    GEO wrote it (or the folder listing's, for files only the listing names).
    ``size_source`` says where ``size_bytes`` came from: ``"filelist"`` (exact,
    GEO's ``filelist.txt``), ``"head"`` (exact, the server's Content-Length) or
    ``"listing"`` (approximate: the folder listing rounds to e.g. ``375M``).
    ``archive`` names the ``RAW.tar`` that also holds the file. In an
    inventory, ``series_accession`` is the series the row was listed for.
    ``md5`` is the checksum published with the file itself (ENA's, for the
    FASTQ files of a run: level ``"run"``, ``size_source`` ``"ena"``).
    """

    owner: str
    level: Level
    name: str
    url: str
    source_url: str
    category: str
    format: str
    compression: str
    size_bytes: int | None = None
    size_source: str | None = None
    archive: str | None = None
    series_accession: str | None = None
    md5: str | None = None


class Channel(_Record):
    """One labelled channel of a sample (arrays can have two)."""

    source: str = ""
    organism: str = ""
    taxid: str = ""
    molecule: str = ""
    label: str = ""
    characteristics: dict[str, list[str]] = Field(default_factory=dict)


class _Entity(_Record):
    """Fields every GEO record has: identity, dates, files, raw attributes."""

    accession: str
    title: str = ""
    status: str = ""
    submitted: dt.date | None = None
    last_updated: dt.date | None = None
    published: dt.date | None = None
    supplementary_files: list[SupplementaryFile] = Field(default_factory=list)
    attributes: dict[str, list[str]] = Field(default_factory=dict)
    record_source: RecordSource = "acc"
    """Where the record came from: ``acc`` (acc.cgi), ``series_matrix`` or
    ``family_soft`` (GEO's FTP tree) or ``esummary`` (E-utilities)."""


class Sample(_Entity):
    """A GEO sample (GSM)."""

    type: str = ""
    platform: str = ""
    series: list[str] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    description: str = ""
    data_processing: list[str] = Field(default_factory=list)
    library_strategy: str = ""
    library_source: str = ""
    library_selection: str = ""
    instrument: str = ""
    sra_experiment: str | None = None
    biosample: str | None = None
    relations: list[str] = Field(default_factory=list)
    data_row_count: int | None = None


class Platform(_Entity):
    """A GEO platform (GPL): an array design or a sequencer."""

    technology: str = ""
    distribution: str = ""
    organisms: list[str] = Field(default_factory=list)
    manufacturer: str = ""
    n_series: int = 0
    n_samples: int = 0
    data_row_count: int | None = None


class Series(_Entity):
    """A GEO series (GSE), possibly a SuperSeries of other series."""

    summary: str = ""
    overall_design: str = ""
    study_types: list[str] = Field(default_factory=list)
    organisms: list[str] = Field(default_factory=list)
    platforms: list[str] = Field(default_factory=list)
    sample_ids: list[str] = Field(default_factory=list)
    pubmed_ids: list[str] = Field(default_factory=list)
    superseries_of: list[str] = Field(default_factory=list)
    subseries_of: list[str] = Field(default_factory=list)
    sra_study: str | None = None
    bioproject: str | None = None
    contact_name: str = ""
    contributors: list[str] = Field(default_factory=list)
    relations: list[str] = Field(default_factory=list)

    @property
    def is_superseries(self) -> bool:
        """True when this series groups other series (its SubSeries)."""
        return bool(self.superseries_of)


class FetchError(_Record):
    """Why one accession could not be fetched (a row of ``GEOResult.errors``)."""

    accession: str
    kind: str
    message: str


class Run(_Record):
    """One SRA run behind a GEO sample, and where its reads can be fetched.

    NCBI's run info gives the run's identity, library, counts and its SRA
    file (``size_bytes``, from run info's ``size_MB`` in MiB, so approximate;
    ``sra_url``); ENA's file report gives the FASTQ files (https URLs, exact
    bytes, MD5). ``source`` says where the FASTQ facts came from: ``"ena"``,
    or ``"ncbi"`` when ENA has no FASTQ for the run (then ``fastq_*`` are
    empty). ``sample_accession`` is None for a run of the series' SRA study
    that no fetched sample names.
    """

    series_accession: str | None = None
    sample_accession: str | None = None
    experiment: str = ""
    run: str
    study: str = ""
    bioproject: str = ""
    biosample: str = ""
    library_layout: str = ""
    library_strategy: str = ""
    library_source: str = ""
    instrument: str = ""
    spots: int | None = None
    bases: int | None = None
    size_bytes: int | None = None
    fastq_urls: list[str] = Field(default_factory=list)
    fastq_bytes: list[int | None] = Field(default_factory=list)
    fastq_md5: list[str] = Field(default_factory=list)
    sra_url: str | None = None
    published: dt.datetime | None = None
    source: Literal["ena", "ncbi"] = "ncbi"


class Publication(_Record):
    """A PubMed article cited by fetched series (from ``esummary db=pubmed``)."""

    pmid: str
    series_accessions: list[str] = Field(default_factory=list)
    title: str = ""
    journal: str = ""
    year: int | None = None
    doi: str | None = None
    first_author: str = ""
    last_author: str = ""


class GEORecords(_Record):
    """Everything one fetch produced, in the order the accessions were asked for."""

    requested: list[str] = Field(default_factory=list)
    series: list[Series] = Field(default_factory=list)
    samples: list[Sample] = Field(default_factory=list)
    platforms: list[Platform] = Field(default_factory=list)
    errors: list[FetchError] = Field(default_factory=list)
    files: list[SupplementaryFile] | None = None
    """The sized file inventory, when the fetch built one (``files=True``)."""
    runs: list[Run] = Field(default_factory=list)
    """SRA runs of the fetched samples, when the fetch asked for them (``runs=True``)."""
    publications: list[Publication] = Field(default_factory=list)
    """PubMed articles of the fetched series (``publications=True``)."""
    fetched_at: dict[str, float] = Field(default_factory=dict, exclude=True)
    """When each requested accession's answer was fetched from NCBI (epoch seconds; a
    cached answer keeps the time it was first fetched). Not part of the content: two
    fetches of the same records are equal, and dumps leave it out."""

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GEORecords):
            return NotImplemented
        return self.model_dump() == other.model_dump()

    __hash__ = None  # type: ignore[assignment]
