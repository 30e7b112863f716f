"""NCBI-generated files: GEO's ``/geo/download/`` counts service and NCBI Gene's FTP tree.

* ``/geo/download/?type=rnaseq_counts&acc=GSEx&format=file&file=NAME`` serves the
  RNA-seq counts NCBI computed for a series, from ``rnaseq_counts/<GSEx>/<NAME>`` of
  the data directory. A file that is not stored answers 404, as NCBI does. The
  headers (``Content-Disposition``, ``Content-Type``) are synthesized: NCBI's are not
  recorded. Ranges are honoured like the FTP tree's.
* ``/gene/...`` serves ``ftp/gene/...`` (NCBI Gene's ``gene_info`` files at their real
  paths below ``https://ftp.ncbi.nlm.nih.gov/gene/``).

Which series have counts also answers the Entrez filter ``"rnaseq counts"[Filter]``
(:meth:`DownloadFiles.filters`).

Example:
    >>> files = DownloadFiles()
    >>> sorted(files.counts_series())[:2]
    ['GSE211781', 'GSE52778']
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from . import pages
from .ftp import serve_file
from .ftpfiles import FtpFile, normalize_path
from .messages import Request, Response

__all__ = ["DownloadFiles", "handle_download", "handle_gene"]

BUNDLED_DATA = Path(__file__).parent / "data"
COUNTS_FILTER = "rnaseq counts"


class DownloadFiles:
    """Counts files by (series, name) and NCBI Gene files by path, from ``data_dir``."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None) -> None:
        root = Path(data_dir) if data_dir is not None else BUNDLED_DATA
        self._lock = threading.Lock()
        self._counts: dict[tuple[str, str], FtpFile] = {}
        self._gene: dict[str, FtpFile] = {}
        self.version = 0
        counts = root / "rnaseq_counts"
        if counts.is_dir():
            for path in sorted(counts.glob("*/*")):
                self._counts[(path.parent.name.upper(), path.name)] = _disk(path.name, path)
        gene = root / "ftp" / "gene"
        if gene.is_dir():
            for path in sorted(p for p in gene.rglob("*") if p.is_file()):
                rel = path.relative_to(gene).as_posix()
                self._gene[rel] = _disk(rel, path)

    def add_counts(self, accession: str, name: str, data: bytes) -> None:
        """Serve ``data`` as the counts file ``name`` of series ``accession``."""
        with self._lock:
            key = (accession.upper(), name)
            self._counts[key] = FtpFile(name, len(data), 0.0, data=bytes(data))
            self.version += 1

    def remove_counts(self, accession: str) -> None:
        """Forget every counts file of ``accession`` (it then answers 404)."""
        with self._lock:
            for key in [k for k in self._counts if k[0] == accession.upper()]:
                del self._counts[key]
            self.version += 1

    def counts_file(self, accession: str, name: str) -> FtpFile | None:
        """The stored counts file, or None."""
        with self._lock:
            return self._counts.get((accession.upper(), name))

    def counts_series(self) -> set[str]:
        """Series that have at least one counts file."""
        with self._lock:
            return {accession for accession, _ in self._counts}

    def filters(self, accession: str) -> frozenset[str]:
        """The Entrez ``[Filter]`` values a series' docsum answers to."""
        return (
            frozenset({COUNTS_FILTER}) if accession.upper() in self.counts_series() else frozenset()
        )

    def gene_file(self, path: str) -> FtpFile | None:
        """The file at ``/gene/<path>``, or None."""
        with self._lock:
            return self._gene.get(normalize_path(path))


def _disk(name: str, path: Path) -> FtpFile:
    stat = path.stat()
    return FtpFile(name, stat.st_size, stat.st_mtime, disk=path)


def _missing() -> Response:
    return Response.html(pages.not_found(), status=404, charset="iso-8859-1")


def handle_download(request: Request, files: DownloadFiles) -> Response:
    """Answer ``/geo/download/``: a stored counts file, or 404."""
    accession = request.param("acc").strip()
    name = request.param("file").strip()
    if request.param("format") != "file" or not accession or not name:
        return _missing()
    if request.param("type") not in ("", "rnaseq_counts"):
        return _missing()
    file = files.counts_file(accession, name)
    if file is None:
        return _missing()
    response = serve_file(request, file)
    response.headers.append(("Content-Disposition", f"attachment; filename={name}"))
    return response


def handle_gene(request: Request, files: DownloadFiles) -> Response:
    """Answer ``/gene/<path>`` from the stored NCBI Gene files."""
    file = files.gene_file(request.path.removeprefix("/gene"))
    return _missing() if file is None else serve_file(request, file)
