"""Addresses of GEO files: rewriting record URLs onto the configured FTP base.

Records write file addresses as ``ftp://ftp.ncbi.nlm.nih.gov/geo/...``; the
same paths are served over HTTPS below ``Settings.ftp_url``. Records from
before ~2008 use the retired ``/pub/geo/DATA/supplementary/`` layout, which
maps onto today's ``<kind>/<bucket>/<accession>/suppl/`` folders. SRA folder
links (``ftp-trace``) are not GEO files and are left as they are.

Example:
    >>> from geo_nb.ncbi.urls import rewrite_url
    >>> rewrite_url("ftp://ftp.ncbi.nlm.nih.gov/geo/series/GSE1nnn/GSE1563/suppl/GSE1563_RAW.tar",
    ...             "http://127.0.0.1:8000/geo")
    'http://127.0.0.1:8000/geo/series/GSE1nnn/GSE1563/suppl/GSE1563_RAW.tar'
    >>> rewrite_url("ftp://ftp.ncbi.nih.gov/pub/geo/DATA/supplementary/samples/GSM11nnn/"
    ...             "GSM11805/GSM11805.CEL.gz", "https://ftp.ncbi.nlm.nih.gov/geo")
    'https://ftp.ncbi.nlm.nih.gov/geo/samples/GSM11nnn/GSM11805/suppl/GSM11805.CEL.gz'
"""

from __future__ import annotations

import re

from ..accessions import ftp_dir

__all__ = ["rewrite_url"]

_NCBI_GEO = re.compile(
    r"^(?:ftp|https?)://ftp\.ncbi\.(?:nlm\.)?nih\.gov/(?:pub/)?geo/(.*)$", re.I | re.S
)
_OLD_SUPPL = re.compile(
    r"^DATA/supplementary/(?:series|samples|platforms)/(?:[A-Z]{3}\d*nnn/)?"
    r"(G(?:SE|SM|PL)[1-9][0-9]{0,9})/(.+)$",
    re.I | re.ASCII,
)


def rewrite_url(url: str, ftp_url: str) -> str:
    """Point a GEO FTP address at ``ftp_url``; return other addresses unchanged."""
    match = _NCBI_GEO.match(url.strip())
    if match is None:
        return url.strip()
    rest = match.group(1)
    old = _OLD_SUPPL.match(rest)
    if old is not None:
        accession, name = old.group(1).upper(), old.group(2)
        rest = f"{ftp_dir(accession)}/suppl/{name}"
    return f"{ftp_url.rstrip('/')}/{rest}"
