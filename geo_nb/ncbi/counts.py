"""NCBI-computed RNA-seq counts: which series have them, their files, sizes and URLs.

For many human and mouse RNA-seq series NCBI runs its own pipeline (HISAT2 and
featureCounts on the SRA runs) and publishes three gene x sample tables through
GEO's download service::

    {download_url}/?type=rnaseq_counts&acc=GSEx&format=file&file=GSEx_raw_counts_GRCh38.p13_NCBI.tsv.gz

(``norm_counts_TPM``, ``norm_counts_FPKM``; mouse files use ``GRCm39``). A file that
does not exist answers 404.

Finding them costs little: **one** ``esearch`` for every fetched series at once
(``(GSE1[ACCN] OR GSE2[ACCN]) AND "rnaseq counts"[Filter]``, read back with one
``esummary``: accessions are read from the summaries, never derived from UIDs), then
one ``HEAD`` per file of the series that have counts, for its exact size. Only series
that can have counts are asked about: expression profiling by high-throughput
sequencing, human or mouse, not SuperSeries. The answers are cached on disk like
folder listings. The files become rows of ``res.files`` with ``level="ncbi"`` and
``category="ncbi_counts"``, so they are planned and downloaded like any other file
and never mistaken for the submitter's.

Gene symbols come from NCBI Gene's ``gene_info`` on the FTP tree
(:func:`gene_info_url`): GEO's own annotation file
(``Human.GRCh38.p13.annot.tsv.gz``) was answered with a bot-challenge page when
asked without an accession (2026-09), and its columns are not recorded here.

Example:
    >>> counts_file_name("GSE1", "tpm", "Mus musculus")
    'GSE1_norm_counts_TPM_GRCm39_NCBI.tsv.gz'
    >>> counts_url("https://www.ncbi.nlm.nih.gov/geo/download", "GSE1", "GSE1_x.tsv.gz")
    'https://www.ncbi.nlm.nih.gov/geo/download/?type=rnaseq_counts&acc=GSE1&format=file&file=GSE1_x.tsv.gz'
    >>> gene_info_url("https://ftp.ncbi.nlm.nih.gov/geo", "Homo sapiens")
    'https://ftp.ncbi.nlm.nih.gov/gene/DATA/GENE_INFO/Mammalia/Homo_sapiens.gene_info.gz'
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from typing import Literal
from urllib.parse import quote

from .._aio import gather_or_cancel
from ..errors import GeoNBError, NotFoundError, QueryError, UnexpectedResponseError
from ..progress import ProgressReporter
from ..records import FetchError, Sample, Series, SupplementaryFile
from .cache import DiskCache, cache_key
from .eutils import NCBI_COUNTS_FILTER, run_search
from .http import HttpClient, Service

__all__ = [
    "COUNTS_CATEGORY",
    "GENOMES",
    "KINDS",
    "CountsKind",
    "counts_file",
    "counts_file_name",
    "counts_rows",
    "counts_url",
    "find_counts_files",
    "gene_info_url",
    "parse_counts_name",
    "series_organisms",
]

CountsKind = Literal["raw", "tpm", "fpkm"]
#: kind -> the part of NCBI's file name that names it.
KINDS: dict[str, str] = {"raw": "raw_counts", "tpm": "norm_counts_TPM", "fpkm": "norm_counts_FPKM"}
#: organism -> (genome build in file names, NCBI Gene's file prefix).
GENOMES: dict[str, tuple[str, str]] = {
    "Homo sapiens": ("GRCh38.p13", "Homo_sapiens"),
    "Mus musculus": ("GRCm39", "Mus_musculus"),
}
COUNTS_CATEGORY = "ncbi_counts"
_TAXA = {"9606": "Homo sapiens", "10090": "Mus musculus"}
_STUDY_TYPE = "expression profiling by high throughput sequencing"
_NAME = re.compile(r"^(GSE\d+)_(raw_counts|norm_counts_TPM|norm_counts_FPKM)_(.+)_NCBI\.tsv\.gz$")


def counts_file_name(accession: str, kind: str, organism: str) -> str:
    """NCBI's name of a counts file: ``GSE1_raw_counts_GRCh38.p13_NCBI.tsv.gz``."""
    if kind not in KINDS:
        raise QueryError(f"kind={kind!r} is not a counts kind; use one of {', '.join(KINDS)}.")
    if organism not in GENOMES:
        raise QueryError(
            f"NCBI computes counts for {' and '.join(GENOMES)} only, not {organism!r}."
        )
    return f"{accession}_{KINDS[kind]}_{GENOMES[organism][0]}_NCBI.tsv.gz"


def parse_counts_name(name: str) -> tuple[str, str, str] | None:
    """``(series, kind, organism)`` of an NCBI counts file name, or None.

    Example:
        >>> parse_counts_name("GSE1_norm_counts_FPKM_GRCh38.p13_NCBI.tsv.gz")
        ('GSE1', 'fpkm', 'Homo sapiens')
    """
    match = _NAME.match(name)
    if match is None:
        return None
    kind = next(k for k, part in KINDS.items() if part == match.group(2))
    organism = next((o for o, (build, _) in GENOMES.items() if build == match.group(3)), None)
    return None if organism is None else (match.group(1), kind, organism)


def counts_url(download_url: str, accession: str, name: str) -> str:
    """The address of one counts file on GEO's download service."""
    return (
        f"{download_url}/?type=rnaseq_counts&acc={quote(accession)}&format=file&file={quote(name)}"
    )


def gene_info_url(ftp_url: str, organism: str) -> str:
    """NCBI Gene's ``gene_info`` of ``organism``: beside ``/geo`` on the FTP tree."""
    if organism not in GENOMES:
        raise QueryError(f"No gene_info file is known for {organism!r}.")
    parent = ftp_url.rstrip("/").rsplit("/", 1)[0]
    return f"{parent}/gene/DATA/GENE_INFO/Mammalia/{GENOMES[organism][1]}.gene_info.gz"


def series_organisms(series: Series, samples: Iterable[Sample] = ()) -> list[str]:
    """The organisms NCBI computes counts for that a series (or its samples) names.

    Reads the series' organism lines, its taxonomy ids (some records have only
    those) and its samples' organisms.
    """
    found = set(series.organisms)
    for label in ("sample_taxid", "platform_taxid"):
        found.update(_TAXA[t] for t in series.attributes.get(label, []) if t in _TAXA)
    for sample in samples:
        found.update(c.organism for c in sample.channels)
    return [o for o in GENOMES if o in found]


def _eligible(series: Series, samples: Sequence[Sample]) -> list[str]:
    if series.is_superseries:
        return []
    if not any(t.lower() == _STUDY_TYPE for t in series.study_types):
        return []
    return series_organisms(series, samples)


async def _with_counts(http: HttpClient, accessions: Sequence[str]) -> set[str]:
    """Which of ``accessions`` answer ``"rnaseq counts"[Filter]``: one esearch, one esummary."""
    term = (
        "(" + " OR ".join(f"{a}[ACCN]" for a in accessions) + ") AND gse[ETYP] AND "
        f'"{NCBI_COUNTS_FILTER}"[Filter]'
    )
    reporter = ProgressReporter("ncbi counts", None, [])
    hits = await run_search(http, term, max_results=len(accessions), reporter=reporter)
    return {str(a) for a in hits["accession"].dropna()} & set(accessions)


async def _head_size(http: HttpClient, url: str, accession: str) -> int | None:
    """The size of one counts file; NotFoundError when NCBI has no such file."""
    response = await http.request(Service.ACC, "HEAD", url, accession=accession)
    if response.status_code == 404:
        raise NotFoundError(f"{accession}: NCBI has no file at {url}.", accession=accession)
    if response.status_code != 200:
        raise UnexpectedResponseError(
            f"{accession}: GEO's download service answered HTTP {response.status_code} for "
            f"{url}. Try again later.",
            accession=accession,
            url=url,
        )
    if "text/html" in response.headers.get("Content-Type", ""):
        raise UnexpectedResponseError(
            f"{accession}: GEO's download service answered with an HTML page (an error or "
            "bot-challenge page) instead of a counts file. Try again later.",
            accession=accession,
            url=url,
        )
    length = response.headers.get("Content-Length", "")
    return int(length) if length.isdigit() else None


def counts_file(
    download_url: str, accession: str, name: str, size: int | None
) -> SupplementaryFile:
    """The inventory row of one NCBI counts file (level ``ncbi``)."""
    url = counts_url(download_url, accession, name)
    return SupplementaryFile(
        owner=accession,
        level="ncbi",
        name=name,
        url=url,
        source_url=url,
        category=COUNTS_CATEGORY,
        format="TSV",
        compression="gz",
        size_bytes=size,
        size_source="head" if size is not None else None,
        series_accession=accession,
    )


async def find_counts_files(
    http: HttpClient, accession: str, organisms: list[str]
) -> list[tuple[str, int | None]]:
    """(name, size) of every counts file the series has for ``organisms`` (404s left out)."""
    download_url = http.settings.download_url
    names = [counts_file_name(accession, k, o) for o in organisms for k in KINDS]

    async def one(name: str) -> tuple[str, int | None] | None:
        try:
            return name, await _head_size(
                http, counts_url(download_url, accession, name), accession
            )
        except NotFoundError:
            return None

    found = await gather_or_cancel(one(n) for n in names)
    return [f for f in found if f is not None]


async def counts_rows(
    http: HttpClient,
    cache: DiskCache,
    series: Sequence[Series],
    samples: Sequence[Sample],
    *,
    refresh: bool = False,
) -> tuple[list[SupplementaryFile], list[FetchError]]:
    """The NCBI counts files of ``series`` as inventory rows, and errors as rows.

    A failure (E-utilities or the download service unavailable, a challenge
    page) becomes a :class:`FetchError` of the series concerned; it never
    hides the series' other files.
    """
    by_accession = {s.accession: s for s in samples}
    wanted: dict[str, list[str]] = {}
    for s in series:
        organisms = _eligible(s, [by_accession[a] for a in s.sample_ids if a in by_accession])
        if organisms:
            wanted[s.accession] = organisms
    if not wanted:
        return [], []
    download_url = http.settings.download_url
    keys = {a: cache_key("ncbi_counts", download_url, {"acc": a}) for a in wanted}
    known: dict[str, list[tuple[str, int | None]]] = {}
    for accession, key in keys.items():
        body = None if refresh else cache.get(key)
        if body is not None:
            known[accession] = [(n, s) for n, s in json.loads(body)]
    errors: list[FetchError] = []
    pending = [a for a in wanted if a not in known]
    if pending:
        try:
            have = await _with_counts(http, pending)
        except GeoNBError as exc:
            errors += [_failure(a, exc) for a in pending]
            pending, have = [], set()
        for accession in pending:
            if accession not in have:
                known[accession] = []
                cache.put(keys[accession], b"[]", url=download_url)

        async def size(accession: str) -> None:
            try:
                files = await find_counts_files(http, accession, wanted[accession])
            except GeoNBError as exc:
                errors.append(_failure(accession, exc))
                return
            known[accession] = files
            cache.put(keys[accession], json.dumps(files).encode(), url=download_url)

        await gather_or_cancel(size(a) for a in pending if a in have)
    rows = [
        counts_file(download_url, accession, name, size)
        for accession in wanted
        for name, size in known.get(accession, [])
    ]
    return rows, errors


def _failure(accession: str, exc: GeoNBError) -> FetchError:
    return FetchError(
        accession=accession,
        kind=exc.kind,
        message=f"{accession}: could not check for NCBI-computed RNA-seq counts ({exc}). The "
        "submitter's files are listed; fetch again later to look for NCBI's.",
    )
