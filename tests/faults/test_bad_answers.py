"""Answers that are not records: bot-challenge pages, withdrawn and private accessions.

The accession concerned becomes a typed row of ``errors``, the others are what a
clean run returns, and nothing of the bad answer is cached: once GEO answers
properly again, a plain fetch (no ``refresh``) gets the record.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import geo_nb
from geo_nb.accessions import ftp_dir
from geo_nb.errors import UnexpectedResponseError
from geo_nb.ncbi.acc import acc_params
from geo_nb.ncbi.cache import DiskCache, cache_key, memory_cache
from geo_nb.testing import FaultRule, NCBIEmulator
from tests.faults._support import (
    assert_cache_sound,
    assert_matches_reference,
    assert_typed_errors,
    clone_mix,
)


def disk_cache() -> DiskCache:
    return DiskCache(geo_nb.Settings().cache_dir, ttl_days=7)


def acc_entry(accession: str) -> Path:
    return disk_cache().path(cache_key("acc", geo_nb.Settings().acc_url, acc_params(accession)))


def ftp_entry(url: str) -> Path:
    return disk_cache().path(cache_key("ftp", url))


def kinds(res: geo_nb.GEOResult) -> dict[str, str]:
    return dict(zip(res.errors.accession, res.errors.kind, strict=True))


def test_a_bot_challenge_for_one_accession(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    """With acc.cgi only (``metadata_source="acc"``); the fallback to the FTP tree is
    tested in tests/test_fallback.py."""
    accessions = [*clone_mix(geo_env.store, copies=1), "GSM11805"]
    ref = geo_nb.fetch(accessions, progress=False, cache_dir=tmp_path / "reference")
    memory_cache.clear()
    challenged = accessions[1]
    geo_env.add_fault(FaultRule(match=f"acc={challenged}&", action="challenge", times=None))
    res = geo_nb.fetch(accessions, progress=False, metadata_source="acc")
    assert kinds(res) == {challenged: "unexpected_response"}
    assert "bot-challenge" in res.errors.message[0]
    assert_typed_errors(res, {"unexpected_response"})
    assert_matches_reference(res, ref)
    assert not acc_entry(challenged).exists()
    assert all(acc_entry(a).exists() for a in accessions if a != challenged)
    assert_cache_sound(Path(geo_nb.Settings().cache_dir))
    # Challenged again in the same process: still a row, never an empty record.
    again = geo_nb.fetch(challenged, progress=False, metadata_source="acc")
    assert kinds(again) == {challenged: "unexpected_response"}

    geo_env.clear_faults()
    again = geo_nb.fetch(accessions, progress=False)
    assert again.errors.empty
    assert_matches_reference(again, ref)


def test_a_bot_challenge_on_eutils(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="esummary", action="challenge", times=1))
    with pytest.raises(UnexpectedResponseError, match="HTML page instead of JSON"):
        geo_nb.search("ATAC-seq", progress=False)
    assert "GSE146537" in set(geo_nb.search("ATAC-seq", progress=False).accession)


@pytest.mark.parametrize("page", ["suppl/", "suppl/filelist.txt"])
def test_a_bot_challenge_for_a_folder_listing_is_not_cached(
    geo_env: NCBIEmulator, tmp_path: Path, page: str
) -> None:
    accessions = clone_mix(geo_env.store, copies=1)
    ref = geo_nb.fetch(accessions, progress=False, cache_dir=tmp_path / "reference")
    memory_cache.clear()
    challenged = accessions[0]  # a GSE101512 clone: a folder with a RAW.tar and filelist.txt
    url = f"{geo_nb.Settings().ftp_url}/{ftp_dir(challenged)}/{page}"
    geo_env.add_fault(FaultRule(match=f"/{challenged}/{page}$", action="challenge", times=1))
    res = geo_nb.fetch(accessions, progress=False)
    assert set(kinds(res)) == {challenged}
    assert_typed_errors(res, {"unexpected_response", "parse_error"})
    assert_matches_reference(res, ref)
    assert not ftp_entry(url).exists(), "the challenge page was cached"
    again = geo_nb.fetch(accessions, progress=False)
    assert again.errors.empty
    assert_matches_reference(again, ref)


def test_withdrawn_private_and_unapproved_accessions(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    accessions = [*clone_mix(geo_env.store, copies=2), "GSM11805", "GSM32878"]
    ref = geo_nb.fetch(accessions, progress=False, cache_dir=tmp_path / "reference")
    memory_cache.clear()
    private, withdrawn, partial = accessions[0], accessions[2], accessions[4]
    hidden_sample = ref.records.series[4].sample_ids[1]
    store = geo_env.store
    store.set_status(private, "private", release_date="Mar 03 2031")
    store.set_status(withdrawn, "withdrawn")
    store.set_status("GSM11805", "unapproved")
    store.set_status(hidden_sample, "private")
    geo_env.clear_log()

    res = geo_nb.fetch(accessions, progress=False)
    assert kinds(res) == {
        private: "private",
        withdrawn: "withdrawn",
        partial: "incomplete",
        "GSM11805": "private",
    }
    messages = dict(zip(res.errors.accession, res.errors.message, strict=True))
    assert "Mar 03 2031" in messages[private]
    assert "withdrawn" in messages[withdrawn]
    assert hidden_sample in messages[partial]
    assert_typed_errors(res, {"private", "withdrawn", "incomplete"})
    assert_matches_reference(res, ref)
    # The series that lost a sample is kept, with what GEO did send.
    assert hidden_sample not in set(res.samples.accession)
    kept = len(ref.records.series[4].sample_ids) - 1
    assert len(res.samples[res.samples.series_accession == partial]) == kept
    # No folder is listed for a record GEO would not show, and no error page is cached.
    assert not [r for r in geo_env.requests if r.service == "ftp" and private in r.path]
    assert not [r for r in geo_env.requests if r.service == "ftp" and withdrawn in r.path]
    for accession in (private, withdrawn, "GSM11805"):
        assert not acc_entry(accession).exists()
    assert_cache_sound(Path(geo_nb.Settings().cache_dir))

    for accession in (private, withdrawn, "GSM11805", hidden_sample):
        store.set_status(accession, "public")
    memory_cache.clear()
    again = geo_nb.fetch(accessions, progress=False)
    # The series answer that lacked a sample was a valid answer and is cached: its row
    # says so, and refresh=True gets the whole series.
    assert kinds(again) == {partial: "incomplete"}
    refreshed = geo_nb.fetch(accessions, progress=False, refresh=True)
    assert refreshed.errors.empty
    assert_matches_reference(refreshed, ref)
