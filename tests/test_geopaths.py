"""The emulator's own accession and FTP-path rules, and their agreement with the client's.

The emulator never imports the client (import-linter, "the emulator never imports the
client"), so each side has its own copy of GEO's bucket rule. Tests may import both:
the table below checks that the two copies agree, and each one against GEO's layout.
"""

from __future__ import annotations

import pytest

from geo_nb import accessions as client
from geo_nb.testing import geopaths as emulator

# accession -> its folder below https://ftp.ncbi.nlm.nih.gov/geo/ (GEO's documented layout)
FOLDERS = {
    "GSE1": "series/GSEnnn/GSE1",
    "GSE567": "series/GSEnnn/GSE567",
    "GSE999": "series/GSEnnn/GSE999",
    "GSE1000": "series/GSE1nnn/GSE1000",
    "GSE1563": "series/GSE1nnn/GSE1563",
    "GSE10000": "series/GSE10nnn/GSE10000",
    "GSE93374": "series/GSE93nnn/GSE93374",
    "GSE123456": "series/GSE123nnn/GSE123456",
    "GSE9000001": "series/GSE9000nnn/GSE9000001",
    "GSM11805": "samples/GSM11nnn/GSM11805",
    "GSM4391896": "samples/GSM4391nnn/GSM4391896",
    "GPL96": "platforms/GPLnnn/GPL96",
    "GPL570": "platforms/GPLnnn/GPL570",
    "GPL24676": "platforms/GPL24nnn/GPL24676",
    "GDS507": "datasets/GDSnnn/GDS507",
    "GDS4879": "datasets/GDS4nnn/GDS4879",
}
NOT_ACCESSIONS = [
    "",
    "GSE",
    "GSE0",
    "GSE01563",
    "gse1563",
    "GSE1563 ",
    " GSE1563",
    "GSE15a",
    "GSE-1",
    "GSE１５",  # full-width digits: str.isdigit() says yes, GEO says no
    "GSX1",
    "SRP096361",
    "GSE1563/suppl",
]


@pytest.mark.parametrize(("accession", "folder"), FOLDERS.items())
def test_the_emulator_places_records_where_geo_does(accession: str, folder: str) -> None:
    assert emulator.is_accession(accession)
    assert emulator.ftp_dir(accession) == folder
    assert emulator.bucket(accession) == folder.split("/")[1]


@pytest.mark.parametrize("text", NOT_ACCESSIONS)
def test_the_emulator_rejects_what_is_not_an_accession(text: str) -> None:
    assert not emulator.is_accession(text)
    with pytest.raises(ValueError, match="Not a GEO accession"):
        emulator.bucket(text)
    with pytest.raises(ValueError, match="Not a GEO accession"):
        emulator.ftp_dir(text)


@pytest.mark.parametrize("accession", FOLDERS)
def test_the_emulator_and_the_client_agree_on_folders(accession: str) -> None:
    assert emulator.bucket(accession) == client.bucket(accession)
    assert emulator.ftp_dir(accession) == client.ftp_dir(accession)


@pytest.mark.parametrize("text", [*FOLDERS, *NOT_ACCESSIONS])
def test_the_emulator_and_the_client_agree_on_what_an_accession_is(text: str) -> None:
    assert emulator.is_accession(text) == client.is_accession(text)
