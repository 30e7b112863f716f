"""The issue-13 data: GSE211781's records are its family SOFT split byte for byte, and
every added file has a provenance line."""

from __future__ import annotations

import gzip
from pathlib import Path

import geo_nb.testing

DATA = Path(geo_nb.testing.__file__).parent / "data"
FAMILY = DATA / "ftp/geo/series/GSE211nnn/GSE211781/soft/GSE211781_family.soft.gz"
ORDER = ["GSE211781", "GPL16791", *(f"GSM{n}" for n in range(6500910, 6500926))]


def test_gse211781_records_are_the_family_soft_split_byte_for_byte() -> None:
    family = gzip.decompress(FAMILY.read_bytes())
    database = b"".join(family.splitlines(keepends=True)[:5])
    assert database.startswith(b"^DATABASE = GeoMiame\n")
    records = b"".join((DATA / "records" / f"{a}.soft").read_bytes() for a in ORDER)
    assert database + records == family


def test_every_added_file_has_a_provenance_line() -> None:
    listed = {line.split("\t", 1)[0] for line in (DATA / "PROVENANCE.tsv").read_text().splitlines()}
    added = [
        *(f"records/{a}.soft" for a in ORDER),
        *(p.relative_to(DATA).as_posix() for p in (DATA / "rnaseq_counts").rglob("*.gz")),
        *(p.relative_to(DATA).as_posix() for p in (DATA / "ftp/gene").rglob("*.gz")),
        "ftp/geo/series/GSE125nnn/GSE125065/suppl/filelist.txt",
        "ftp/geo/series/GSE52nnn/GSE52778/matrix/GSE52778_series_matrix.txt.gz",
    ]
    assert [f for f in added if f not in listed] == []
    synthetic = [
        line
        for line in (DATA / "PROVENANCE.tsv").read_text().splitlines()
        if "GSE99709_raw" in line
    ]
    assert len(synthetic) == 1 and "SYNTHETIC VALUES" in synthetic[0]
