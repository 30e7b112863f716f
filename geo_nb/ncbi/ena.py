"""ENA's portal API: the FASTQ files of every run of an SRA study, with bytes and MD5.

One ``GET {ena_url}/filereport?accession=SRP...&result=read_run&fields=...``
returns every run of a study as TSV; ``fastq_ftp``, ``fastq_bytes`` and
``fastq_md5`` hold one ``;``-separated value per file (two for paired runs,
sometimes three). The paths come without a scheme
(``ftp.sra.ebi.ac.uk/vol1/fastq/...``) and are served over https: they are
rewritten onto ``Settings.ena_files_url``. Requests go through the shared
retry policy and ENA's own process-wide limiter (:class:`~geo_nb.ncbi.http.Service`
``ENA``, 20 requests/s, ENA asks for at most 50). An HTML page, even with status
200, is an :class:`~geo_nb.errors.UnexpectedResponseError`, never data; an empty
answer is a study without runs at ENA.

Example:
    >>> text = ("run_accession\\tfastq_ftp\\tfastq_md5\\tfastq_bytes\\n"
    ...         "SRR1\\tftp.sra.ebi.ac.uk/vol1/fastq/SRR1_1.fq.gz\\tab12\\t10\\n")
    >>> [(r.run, r.fastq_urls, r.fastq_bytes) for r in parse_filereport(text, "SRR1")]
    [('SRR1', ('https://ftp.sra.ebi.ac.uk/vol1/fastq/SRR1_1.fq.gz',), (10,))]
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..errors import ParseError, UnexpectedResponseError, WrongFormatError
from .cache import DiskCache, cache_key
from .http import HttpClient, Service

__all__ = ["FIELDS", "EnaRun", "fastq_url", "fetch_filereport", "parse_filereport"]

FIELDS = (
    *("run_accession", "experiment_accession", "sample_accession"),
    *("secondary_sample_accession", "study_accession", "secondary_study_accession"),
    *("library_layout", "read_count", "base_count", "fastq_ftp", "fastq_bytes", "fastq_md5"),
)
ENA_FILES_HOST = "ftp.sra.ebi.ac.uk"


@dataclass(frozen=True)
class EnaRun:
    """One run of an ENA file report; ``fastq_*`` are aligned, one entry per file."""

    run: str
    experiment: str = ""
    study: str = ""
    bioproject: str = ""
    biosample: str = ""
    library_layout: str = ""
    read_count: int | None = None
    base_count: int | None = None
    fastq_urls: tuple[str, ...] = ()
    fastq_bytes: tuple[int | None, ...] = ()
    fastq_md5: tuple[str, ...] = ()


def fastq_url(path: str, files_url: str = f"https://{ENA_FILES_HOST}") -> str:
    """An https URL for a ``fastq_ftp`` path; ENA's own host is rewritten onto ``files_url``.

    Example:
        >>> fastq_url("ftp.sra.ebi.ac.uk/vol1/fastq/SRR103/008/SRR1039508/SRR1039508_1.fastq.gz")
        'https://ftp.sra.ebi.ac.uk/vol1/fastq/SRR103/008/SRR1039508/SRR1039508_1.fastq.gz'
    """
    path = path.strip()
    for scheme in ("ftp://", "https://", "http://"):
        path = path.removeprefix(scheme)
    host, _, rest = path.partition("/")
    if host.lower() == ENA_FILES_HOST:
        return f"{files_url.rstrip('/')}/{rest}"
    return f"https://{path}"


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(";")] if value.strip() else []


def _unterminated(items: list[str], files: int) -> list[str]:
    """``items`` without the empty slot a final ";" leaves (older reports end their lists
    with one: "a;b;"), when it is one slot more than there are ``files``."""
    return items[:-1] if len(items) == files + 1 and items[-1] == "" else items


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def parse_filereport(
    text: str, accession: str, files_url: str = f"https://{ENA_FILES_HOST}"
) -> list[EnaRun]:
    """The runs of a ``filereport result=read_run`` TSV (an empty text: no runs).

    Raises :class:`~geo_nb.errors.UnexpectedResponseError` for an HTML page and
    :class:`~geo_nb.errors.ParseError` for text without a ``run_accession``
    column or with misaligned ``fastq_*`` lists.
    """
    text = text.lstrip("\ufeff")
    if not text.strip():
        return []
    if text.lstrip()[:1] == "<":
        raise UnexpectedResponseError(
            f"{accession}: ENA answered with an HTML page instead of a file report "
            "(an error or maintenance page). Try again in a few minutes.",
            accession=accession,
        )
    lines = [line.rstrip("\r") for line in text.split("\n") if line.strip()]
    names = lines[0].split("\t")
    if "run_accession" not in names:
        raise WrongFormatError(
            f"{accession}: ENA's answer is not a file report (it starts {lines[0][:60]!r}).",
            accession=accession,
        )
    runs = []
    for line in lines[1:]:
        row = dict(zip(names, line.split("\t"), strict=False))
        paths = _split(row.get("fastq_ftp", ""))
        if paths and paths[-1] == "":
            paths.pop()
        sizes = [_int(b) for b in _unterminated(_split(row.get("fastq_bytes", "")), len(paths))]
        sums = _unterminated(_split(row.get("fastq_md5", "")), len(paths))
        if paths and (len(sizes) not in (0, len(paths)) or len(sums) not in (0, len(paths))):
            raise ParseError(
                f"{accession}: ENA lists {len(paths)} FASTQ file(s) for {row['run_accession']} "
                f"but {len(sizes)} size(s) and {len(sums)} MD5(s).",
                accession=accession,
            )
        named = [i for i, path in enumerate(paths) if path]  # an empty slot names no file
        urls = [fastq_url(paths[i], files_url) for i in named]
        sizes = [sizes[i] for i in named] if sizes else []
        sums = [sums[i] for i in named] if sums else []
        runs.append(
            EnaRun(
                run=row["run_accession"].strip(),
                experiment=row.get("experiment_accession", "").strip(),
                study=(
                    row.get("secondary_study_accession") or row.get("study_accession") or ""
                ).strip(),
                bioproject=row.get("study_accession", "").strip(),
                biosample=row.get("sample_accession", "").strip(),
                library_layout=row.get("library_layout", "").strip().upper(),
                read_count=_int(row.get("read_count", "")),
                base_count=_int(row.get("base_count", "")),
                fastq_urls=tuple(urls),
                fastq_bytes=tuple(sizes) if sizes else (None,) * len(urls),
                fastq_md5=tuple(sums),
            )
        )
    return [run for run in runs if run.run]


async def fetch_filereport(
    http: HttpClient, cache: DiskCache | None, accession: str, *, refresh: bool = False
) -> list[EnaRun]:
    """Every run ENA holds for ``accession`` (a study, experiment or run), cached on disk."""
    settings = http.settings
    url = f"{settings.ena_url}/filereport"
    params = {
        "accession": accession,
        "result": "read_run",
        "fields": ",".join(FIELDS),
        "format": "tsv",
    }
    key = cache_key("ena", url, params)
    entry = None if refresh or cache is None else cache.read(key)
    if entry is not None:
        return parse_filereport(entry[0].decode("utf-8"), accession, settings.ena_files_url)
    response = await http.request(Service.ENA, "GET", url, params=params, accession=accession)
    if response.status_code == 204:
        text = ""
    elif response.status_code == 200:
        text = response.text
        if "html" in response.headers.get("Content-Type", "").lower():
            raise UnexpectedResponseError(
                f"{accession}: ENA answered with an HTML page instead of a file report "
                "(an error or maintenance page). Try again in a few minutes.",
                accession=accession,
                url=str(response.url),
            )
    else:
        shown = " ".join(response.text.split())[:160]
        raise UnexpectedResponseError(
            f"{accession}: ENA's filereport answered HTTP {response.status_code} ({shown}). "
            "If it names invalid fields, ENA changed its field list: please report it.",
            accession=accession,
            url=str(response.url),
        )
    runs = parse_filereport(text, accession, settings.ena_files_url)
    if cache is not None:
        cache.put(key, text.encode("utf-8"), url=str(response.url), fetched_at=time.time())
    return runs
