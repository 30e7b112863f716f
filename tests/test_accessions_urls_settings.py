"""Accession syntax, URL rewriting and Settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from geo_nb import Settings
from geo_nb.accessions import bucket, ftp_dir, normalize_accessions
from geo_nb.errors import ConfigError, InvalidAccessionError
from geo_nb.ncbi.urls import rewrite_url

FTP = "http://127.0.0.1:9/geo"


def test_normalize_strips_uppercases_and_dedups_in_order() -> None:
    assert normalize_accessions([" gse1563", "GSM11805", "GSE1563", "gpl96 "]) == [
        "GSE1563",
        "GSM11805",
        "GPL96",
    ]
    assert normalize_accessions("GSE1") == ["GSE1"]


def test_invalid_accessions_are_all_named() -> None:
    with pytest.raises(InvalidAccessionError) as info:
        normalize_accessions(["GSE12x", "GSE1", "foo", "GSE0", "SRP1"])
    assert info.value.accessions == ["GSE12x", "foo", "GSE0", "SRP1"]
    message = str(info.value)
    for bad in ("GSE12x", "foo", "GSE0", "SRP1"):
        assert bad in message
    assert isinstance(info.value, ValueError)


def test_gds_is_refused_with_a_hint_and_non_strings_are_refused() -> None:
    with pytest.raises(InvalidAccessionError, match="series"):
        normalize_accessions(["GDS507"])
    with pytest.raises(InvalidAccessionError):
        normalize_accessions([1563])  # type: ignore[list-item]
    with pytest.raises(InvalidAccessionError, match="No accessions"):
        normalize_accessions([])


@pytest.mark.parametrize(
    ("accession", "expected"),
    [
        ("GSE1", "GSEnnn"),
        ("GSE567", "GSEnnn"),
        ("GSE1563", "GSE1nnn"),
        ("GSE123456", "GSE123nnn"),
        ("GSM4391896", "GSM4391nnn"),
        ("GPL96", "GPLnnn"),
    ],
)
def test_bucket(accession: str, expected: str) -> None:
    assert bucket(accession) == expected


def test_ftp_dir() -> None:
    assert ftp_dir("GSM11805") == "samples/GSM11nnn/GSM11805"
    assert ftp_dir("GPL570") == "platforms/GPLnnn/GPL570"
    assert ftp_dir("GDS507") == "datasets/GDSnnn/GDS507"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "ftp://ftp.ncbi.nlm.nih.gov/geo/series/GSE146nnn/GSE146537/suppl/GSE146537_RAW.tar",
            f"{FTP}/series/GSE146nnn/GSE146537/suppl/GSE146537_RAW.tar",
        ),
        (
            "https://ftp.ncbi.nlm.nih.gov/geo/samples/GSM1nnn/GSM1234/suppl/a.bw",
            f"{FTP}/samples/GSM1nnn/GSM1234/suppl/a.bw",
        ),
        (
            "ftp://ftp.ncbi.nih.gov/pub/geo/DATA/supplementary/samples/GSM11nnn/GSM11805/GSM11805.CEL.gz",
            f"{FTP}/samples/GSM11nnn/GSM11805/suppl/GSM11805.CEL.gz",
        ),
        (
            "ftp://ftp.ncbi.nih.gov/pub/geo/DATA/supplementary/series/GSE2034/GSE2034_RAW.tar",
            f"{FTP}/series/GSE2nnn/GSE2034/suppl/GSE2034_RAW.tar",
        ),
        (
            "ftp://ftp-trace.ncbi.nlm.nih.gov/sra/sra-instant/reads/ByExp/sra/SRX/SRX012/SRX012330",
            "ftp://ftp-trace.ncbi.nlm.nih.gov/sra/sra-instant/reads/ByExp/sra/SRX/SRX012/SRX012330",
        ),
        ("https://example.org/data.txt", "https://example.org/data.txt"),
    ],
)
def test_rewrite_url(url: str, expected: str) -> None:
    assert rewrite_url(url, FTP + "/") == expected


def test_settings_read_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GEO_NB_EUTILS_URL", "http://127.0.0.1:1/entrez/eutils/")
    monkeypatch.setenv("GEO_NB_ACC_URL", "http://127.0.0.1:1/geo/query/acc.cgi")
    monkeypatch.setenv("GEO_NB_FTP_URL", "http://127.0.0.1:1/geo")
    monkeypatch.setenv("NCBI_API_KEY", "sekrit-key-123")
    monkeypatch.setenv("NCBI_EMAIL", "me@example.org")
    monkeypatch.setenv("GEO_NB_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("GEO_NB_MAX_CONCURRENCY", "4")
    s = Settings()
    assert s.eutils_url == "http://127.0.0.1:1/entrez/eutils"
    assert s.api_key_value == "sekrit-key-123"
    assert s.email == "me@example.org"
    assert s.cache_dir == tmp_path
    assert s.max_concurrency == 4
    assert s.eutils_rate == 10.0
    assert "sekrit" not in repr(s) and "sekrit" not in str(s.model_dump())
    other = s.replace(max_concurrency=2)
    assert other.max_concurrency == 2 and other.api_key_value == "sekrit-key-123"


def test_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in (
        "GEO_NB_EUTILS_URL",
        "GEO_NB_ACC_URL",
        "GEO_NB_FTP_URL",
        "NCBI_API_KEY",
        "NCBI_EMAIL",
        "GEO_NB_CACHE_DIR",
        "GEO_NB_MAX_CONCURRENCY",
    ):
        monkeypatch.delenv(var, raising=False)
    s = Settings()
    assert s.eutils_url == "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    assert s.acc_url == "https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi"
    assert s.ftp_url == "https://ftp.ncbi.nlm.nih.gov/geo"
    assert s.api_key is None and s.email is None
    assert s.max_concurrency == 10 and s.eutils_rate == 3.0
    assert s.cache_dir.name == "geo_nb"


@pytest.mark.parametrize(
    ("var", "value", "field"),
    [
        ("GEO_NB_MAX_CONCURRENCY", "lots", "max_concurrency"),
        ("GEO_NB_FTP_URL", "ftp.ncbi.nlm.nih.gov/geo", "ftp_url"),
        ("NCBI_EMAIL", "not an email", "email"),
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, var: str, value: str, field: str
) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(ConfigError) as info:
        Settings()
    assert var in str(info.value) and field in str(info.value)


def test_bad_api_key_setting_is_not_echoed() -> None:
    with pytest.raises(ConfigError) as info:
        Settings(api_key="sekrit", max_concurrency=0)
    assert "sekrit" not in str(info.value)
