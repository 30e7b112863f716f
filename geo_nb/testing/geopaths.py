"""GEO accessions and where GEO's FTP tree keeps them, as the emulator knows them.

The emulator is an independent implementation of NCBI: it never imports the
client's code (``geo_nb.accessions`` and friends), so a mistake there cannot be
mirrored here and hidden from the tests. These few lines are written from GEO's
documented layout of ``https://ftp.ncbi.nlm.nih.gov/geo/`` (the "GEO FTP tree"
section of the project's NCBI notes):

* an accession is a type prefix (``GSE`` series, ``GSM`` sample, ``GPL`` platform,
  ``GDS`` dataset) followed by a positive number written without leading zeros;
* a record lives in ``<folder>/<bucket>/<accession>``, the folder named after its
  type (``series``, ``samples``, ``platforms``, ``datasets``);
* the bucket is the prefix, the number divided by 1000 (left out when it is 0)
  and ``nnn``: GSE567 -> ``GSEnnn``, GSE1563 -> ``GSE1nnn``,
  GSE123456 -> ``GSE123nnn``.

Example:
    >>> from geo_nb.testing.geopaths import bucket, ftp_dir, is_accession
    >>> bucket("GSE567"), bucket("GSE1563"), bucket("GSE123456")
    ('GSEnnn', 'GSE1nnn', 'GSE123nnn')
    >>> ftp_dir("GPL96")
    'platforms/GPLnnn/GPL96'
    >>> is_accession("GSM11805"), is_accession("GSE0"), is_accession("SRP1")
    (True, False, False)
"""

from __future__ import annotations

__all__ = ["FOLDERS", "bucket", "ftp_dir", "is_accession"]

FOLDERS = {"GSE": "series", "GSM": "samples", "GPL": "platforms", "GDS": "datasets"}


def _split(accession: str) -> tuple[str, int]:
    """The prefix and number of an accession; ValueError if it is not one."""
    prefix, digits = accession[:3], accession[3:]
    if (
        prefix not in FOLDERS
        or not digits.isascii()
        or not digits.isdigit()
        or digits.startswith("0")
    ):
        raise ValueError(f"Not a GEO accession: {accession!r}")
    return prefix, int(digits)


def is_accession(text: str) -> bool:
    """True if ``text`` is a GSE, GSM, GPL or GDS accession (upper case, as GEO writes them)."""
    try:
        _split(text)
    except ValueError:
        return False
    return True


def bucket(accession: str) -> str:
    """The FTP bucket folder of ``accession``: GSE1563 -> ``GSE1nnn``, GSE567 -> ``GSEnnn``."""
    prefix, number = _split(accession)
    thousands = number // 1000
    return f"{prefix}{thousands or ''}nnn"


def ftp_dir(accession: str) -> str:
    """The record's folder below ``/geo/``, e.g. ``series/GSE1nnn/GSE1563``."""
    prefix, _ = _split(accession)
    return f"{FOLDERS[prefix]}/{bucket(accession)}/{accession}"
