"""ENA's portal API ``filereport`` and its FASTQ file server, from recorded reports.

Data: every ``data/ena/filereport/*.tsv`` is a recorded ``filereport
result=read_run`` body (TSV, a header of field names, one run per line,
``;`` between the values of a run's files). The rows are kept with the fields
their recording has. ``data/ena/files/`` holds files at their paths below
``ftp.sra.ebi.ac.uk`` (``vol1/fastq/SRR103/008/SRR1039508/...``).

What the emulator generates, by code (ENA's exact behaviour is not recorded):

* ``GET {ena}/filereport?accession=A&result=read_run&fields=f1,f2``: the rows
  whose run, experiment, sample, secondary sample, study or secondary study
  accession is ``A``; ``run_accession`` first, then the fields asked for (a
  field the recording lacks is empty). No matching row: HTTP 200 with an empty
  body (as reported in enaBrowserTools#76). A field name ENA does not know:
  HTTP 400 ``Invalid fieldName(s) supplied: ...`` (the wording quoted in
  fastq-dl#15 and fetchngs#372). Only ``result=read_run`` and ``format=tsv``.
* Files below ``/vol1/`` are served with byte ranges, like the GEO FTP tree.

Example:
    >>> from geo_nb.testing.store import BUNDLED_DATA
    >>> store = EnaStore(BUNDLED_DATA)
    >>> [row["run_accession"] for row in store.find("SRP033351")]
    ['SRR1039508']
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .ftp import serve_file
from .ftpfiles import FtpFile
from .messages import Request, Response

__all__ = [
    "ERROR_PAGE",
    "FIELDS",
    "MATCH_FIELDS",
    "EnaStore",
    "handle_ena",
    "handle_ena_files",
]

MATCH_FIELDS = (
    *("run_accession", "experiment_accession", "sample_accession"),
    *("secondary_sample_accession", "study_accession", "secondary_study_accession"),
)
#: Field names the emulator accepts for ``result=read_run`` (a subset of ENA's).
FIELDS = frozenset(
    {
        *MATCH_FIELDS,
        *("submission_accession", "run_alias", "experiment_alias", "sample_alias"),
        *("study_alias", "library_layout", "library_selection", "library_source"),
        *("library_strategy", "library_name", "instrument_model", "instrument_platform"),
        *("base_count", "read_count", "tax_id", "scientific_name", "sample_title"),
        *("experiment_title", "study_title", "sample_description", "center_name"),
        *("first_public", "last_updated", "nominal_length", "nominal_sdev"),
        *(f"{kind}_{part}" for kind in ("fastq", "submitted", "sra", "bam")
          for part in ("ftp", "md5", "bytes", "aspera", "galaxy")),
        "submitted_format",
    }
)  # fmt: skip
DEFAULT_FIELDS = ("run_accession", "fastq_ftp", "fastq_bytes", "fastq_md5")
#: An EBI-style maintenance page, for ``FaultRule(status=200, body=ERROR_PAGE)``: the HTML
#: a proxy or maintenance window puts where TSV was asked for. Synthesized (not recorded).
ERROR_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en"><head><title>EMBL-EBI: service unavailable</title>'
    b"</head>\n<body><!-- synthesized by the geo_nb emulator -->\n<h1>We'll be back soon"
    b"</h1>\n<p>The ENA Portal API is undergoing maintenance. Please try again later.</p>"
    b"\n</body></html>\n"
)


class EnaStore:
    """Recorded read_run rows and FASTQ files; thread-safe, extendable by tests."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, str]] = {}  # run -> row
        self._files: dict[str, FtpFile] = {}
        root = data_dir / "ena" if data_dir is not None else None
        if root is None:
            return
        for path in sorted((root / "filereport").glob("*.tsv")):
            self.add_filereport(path.read_text(encoding="utf-8"))
        files = root / "files"
        for disk in sorted(files.rglob("*")) if files.is_dir() else []:
            if disk.is_file():
                rel = disk.relative_to(files).as_posix()
                stat = disk.stat()
                self._files[rel] = FtpFile(rel, stat.st_size, stat.st_mtime, disk=disk)

    def add_filereport(self, text: str) -> list[str]:
        """Add the rows of a filereport TSV; a run already stored gets the new fields added."""
        lines = [line for line in text.split("\n") if line.strip()]
        if not lines:
            return []
        names = lines[0].rstrip("\r").split("\t")
        added = []
        with self._lock:
            for line in lines[1:]:
                row = dict(zip(names, line.rstrip("\r").split("\t"), strict=False))
                run = row.get("run_accession", "")
                if run:
                    self._rows[run] = {**self._rows.get(run, {}), **row}
                    added.append(run)
        return added

    def remove_run(self, run: str) -> None:
        """Forget a run (ENA "not yet mirrored")."""
        with self._lock:
            self._rows.pop(run, None)

    def add_file(self, path: str, data: bytes) -> None:
        """Serve ``data`` at ``/<path>`` (``vol1/fastq/...``)."""
        path = path.strip("/")
        with self._lock:
            self._files[path] = FtpFile(path, len(data), time.time(), data=bytes(data))

    def file(self, path: str) -> FtpFile | None:
        """The file at ``/<path>``, or None."""
        with self._lock:
            return self._files.get(path.strip("/"))

    def find(self, accession: str) -> list[dict[str, str]]:
        """The rows an accession names (run, experiment, sample or study), in load order."""
        wanted = accession.strip().upper()
        with self._lock:
            return [
                row
                for row in self._rows.values()
                if any(row.get(f, "").upper() == wanted for f in MATCH_FIELDS)
            ]

    def clone(self, rename: Callable[[str], str], runs: Iterable[str]) -> None:
        """Add copies of the rows of ``runs`` with every value passed through ``rename``."""
        with self._lock:
            rows = [dict(self._rows[r]) for r in runs if r in self._rows]
        for row in rows:
            copy = {k: rename(v) for k, v in row.items()}
            with self._lock:
                self._rows[copy["run_accession"]] = copy


def handle_ena(request: Request, store: EnaStore) -> Response:
    """Answer ``/ena/portal/api/<endpoint>``: ``filereport`` only."""
    endpoint = request.path.rstrip("/").rsplit("/", 1)[-1]
    if endpoint != "filereport":
        return Response.text(f"The emulator serves ENA's filereport, not {endpoint}.\n", status=404)
    accession = request.param("accession").strip()
    result = request.param("result").strip()
    if not accession or result != "read_run":
        return Response.text(
            "The emulator's filereport needs accession= and result=read_run.\n", status=400
        )
    if request.param("format", "tsv").strip().lower() != "tsv":
        return Response.text("The emulator's filereport serves format=tsv only.\n", status=400)
    asked = [f.strip() for f in request.param("fields").split(",") if f.strip()]
    unknown = [f for f in asked if f not in FIELDS]
    if unknown:
        return Response.text(f"Invalid fieldName(s) supplied: {','.join(unknown)}", status=400)
    fields = list(dict.fromkeys(["run_accession", *(asked or DEFAULT_FIELDS)]))
    rows = store.find(accession)
    if not rows:
        return Response.text("")
    lines = ["\t".join(fields), *("\t".join(r.get(f, "") for f in fields) for r in rows)]
    return Response.text("\n".join(lines) + "\n")


def handle_ena_files(request: Request, store: EnaStore) -> Response:
    """Serve a file below ``/vol1/`` (byte ranges allowed), or 404."""
    file = store.file(request.path)
    if file is None:
        return Response.text("Not Found\n", status=404)
    return serve_file(request, file)
