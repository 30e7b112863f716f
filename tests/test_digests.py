"""Digested records on disk: a new process answers a repeated fetch without parsing SOFT."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import geo_nb
from geo_nb import digests
from geo_nb._plain import SharedList, loads
from geo_nb.errors import ParseError
from geo_nb.files import inventory
from geo_nb.files.inventory import (
    SeriesFolder,
    SeriesRows,
    build_inventory,
    folder_key,
    rows_key,
    series_rows,
)
from geo_nb.ncbi import cache as cache_module
from geo_nb.ncbi.cache import memory_cache
from geo_nb.ncbi.listing import ArchiveMember, ListingEntry
from geo_nb.records import Series, SupplementaryFile
from geo_nb.testing import NCBIEmulator
from tests.helpers import cache_entries

ACCESSIONS = ["GSE100494", "GSE146537", "GSM11805", "GPL4133"]
FETCH = textwrap.dedent(
    """
    import sys, geo_nb
    res = geo_nb.fetch(sys.argv[1].split(","), progress=False)
    print(res.records.model_dump_json())
    """
)


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


def fetch_in_a_new_process(accessions: list[str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", FETCH, ",".join(accessions)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout


def test_a_new_process_needs_only_the_digests(geo_env: NCBIEmulator) -> None:
    first = fetch_in_a_new_process(ACCESSIONS)
    asked = len(geo_env.requests)
    cache_dir = Path(geo_nb.Settings().cache_dir)
    answers, digested = cache_entries(cache_dir), cache_entries(cache_dir, digests=True)
    assert len(digested) == len(ACCESSIONS)
    # Digests are stored plain (read at every start), NCBI's answers as gzip.
    assert {e.read_bytes()[:1] for e in digested} == {b"{"}
    assert {e.read_bytes()[:2] for e in answers} == {b"\x1f\x8b"}
    for entry in answers:  # without NCBI's raw answers, only the digests can answer
        entry.unlink()
    second = fetch_in_a_new_process(ACCESSIONS)
    assert len(geo_env.requests) == asked
    assert second == first


def test_a_stale_shape_is_a_miss_and_is_rebuilt(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = geo_nb.fetch(ACCESSIONS, progress=False)
    cache_dir = Path(geo_nb.Settings().cache_dir)
    old = set(cache_entries(cache_dir, digests=True))
    memory_cache.clear()
    digests.forget_known()
    monkeypatch.setattr(digests, "fingerprint", lambda: "another-version")
    again = geo_nb.fetch(ACCESSIONS, progress=False)
    assert again.records == first.records
    new = set(cache_entries(cache_dir, digests=True)) - old
    assert len(new) == len(ACCESSIONS)  # rebuilt from the raw answers, under the new shape


def test_an_unreadable_digest_falls_back_to_the_answers(
    geo_env: NCBIEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    first = geo_nb.fetch("GSE100494", progress=False)
    cache_dir = Path(geo_nb.Settings().cache_dir)
    (entry,) = cache_entries(cache_dir, digests=True)
    store = digests.DigestStore(geo_nb.GEOClient().cache, geo_nb.GEOClient().settings)
    store.cache.put(store.key("GSE100494"), b'{"series": "not a list"}', url="x#digest")
    memory_cache.clear()
    asked = len(geo_env.requests)
    with caplog.at_level(logging.WARNING, logger="geo_nb.cache"):
        again = geo_nb.fetch("GSE100494", progress=False)
    assert again.records == first.records and len(geo_env.requests) == asked
    assert any("unreadable digest of GSE100494" in r.getMessage() for r in caplog.records)
    assert entry.exists()  # written again, from the answers


def test_a_digest_expires_with_the_oldest_answer_it_was_built_from(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    geo_nb.fetch("GSE100494", progress=False)
    client = geo_nb.GEOClient()
    entry = client.cache.read(client.digests.key("GSE100494"))
    assert entry is not None
    answers = [client.cache.read(p.name[:-3]) for p in cache_entries(client.settings.cache_dir)]
    assert entry[1] == min(e[1] for e in answers if e is not None)


def test_a_digest_without_the_folder_is_completed_later(geo_env: NCBIEmulator) -> None:
    geo_nb.fetch("GSE100494", progress=False, files=False)
    memory_cache.clear()
    digests.forget_known()
    res = geo_nb.fetch("GSE100494", progress=False)  # the folder is read, the record is not
    assert len(res.files) == 4
    assert [r.service for r in geo_env.requests].count("acc") == 1
    memory_cache.clear()
    digests.forget_known()
    before = len(geo_env.requests)
    assert len(geo_nb.fetch("GSE100494", progress=False).files) == 4
    assert len(geo_env.requests) == before


def test_a_fetch_without_files_keeps_the_digest_with_the_folder(geo_env: NCBIEmulator) -> None:
    geo_nb.fetch("GSE100494", progress=False)
    geo_nb.fetch("GSE100494", progress=False, files=False)
    memory_cache.clear()
    digests.forget_known()
    before = len(geo_env.requests)
    assert len(geo_nb.fetch("GSE100494", progress=False).files) == 4
    assert len(geo_env.requests) == before


def test_a_warm_start_reads_the_inventory_rows_from_the_digest(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = geo_nb.fetch(["GSE100494", "GSE146537"], progress=False)
    cold_folder = memory_cache.get(folder_key(geo_nb.Settings().ftp_url, "GSE100494"))
    memory_cache.clear()
    digests.forget_known()
    built: list[str] = []

    def counted(series: Series, *args: Any) -> list[SupplementaryFile]:
        built.append(series.accession)
        return series_rows(series, *args)

    monkeypatch.setattr(inventory, "series_rows", counted)
    again = geo_nb.fetch(["GSE100494", "GSE146537"], progress=False)
    assert built == []  # every row came from the digests
    assert again.records == first.records
    settings = geo_nb.Settings()
    known = memory_cache.get(rows_key(settings.ftp_url, "GSE100494"))
    assert isinstance(known, SeriesRows)  # put there from the digest, not built
    # ...and so the folder's own lists were never read back from the digest.
    assert not {"entries", "archives", "members"} & vars(known.folder).keys()
    assert isinstance(cold_folder, SeriesFolder)
    assert (known.folder.accession, known.folder.url) == (cold_folder.accession, cold_folder.url)
    assert known.folder.accession == "GSE100494"
    series = next(s for s in again.records.series if s.accession == "GSE100494")
    samples = {s.accession: s for s in again.records.samples}
    assert known.series is series
    assert known.rows == series_rows(series, samples, known.folder, settings.ftp_url)
    assert [s.accession for s in known.samples] == series.sample_ids
    assert all(s is samples[s.accession] for s in known.samples)


def test_inventory_rows_of_other_inputs_are_never_used(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE100494", progress=False)
    settings = geo_nb.Settings()
    key = rows_key(settings.ftp_url, "GSE100494")
    known = memory_cache.get(key)
    assert isinstance(known, SeriesRows)
    bogus = [known.rows[0].model_copy(update={"name": "not-from-these-inputs.txt"})]
    folders = {"GSE100494": known.folder}
    for stale in (
        SeriesRows(known.series.model_copy(), known.folder, known.samples, bogus),  # another record
        SeriesRows(known.series, dataclasses.replace(known.folder), known.samples, bogus),
        SeriesRows(known.series, known.folder, (), bogus),  # other samples at hand
        SeriesRows(known.series, known.folder, tuple(s.model_copy() for s in known.samples), bogus),
    ):
        memory_cache.put(key, stale)
        rows = build_inventory(res.records, folders, settings.ftp_url)
        assert "not-from-these-inputs.txt" not in {r.name for r in rows}
        assert rows == list(res.records.files or [])
    memory_cache.put(key, SeriesRows(known.series, known.folder, known.samples, bogus))
    rows = build_inventory(res.records, folders, settings.ftp_url)
    assert [r.name for r in rows] == ["not-from-these-inputs.txt"]  # the very same inputs


def test_a_cold_fetch_builds_each_series_rows_once(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    built: list[str] = []

    def counted(series: Series, *args: Any) -> list[SupplementaryFile]:
        built.append(series.accession)
        return series_rows(series, *args)

    monkeypatch.setattr(inventory, "series_rows", counted)
    monkeypatch.setattr(digests, "series_rows", counted)
    res = geo_nb.fetch(["GSE100494", "GSE146537"], progress=False)
    assert sorted(built) == ["GSE100494", "GSE146537"]  # for the digest; the inventory reuses them
    assert len(res.files) > 0 and res.files.size_bytes.notna().any()


@pytest.mark.parametrize(
    "body",
    [
        b"\x80\x02]}b.",  # BUILD onto a list: AttributeError
        b"\x80\x02}]a.",  # APPEND onto a dict: AttributeError
        b"\x80\x02]K\x05K\x01s.",  # SETITEM on a list: IndexError
        b"\x80\x05\x95",  # cut short
        b"\x80\x05K\x01.",  # a number, not a digest
        b'{"series": "not a list"}',  # the JSON digests of geo_nb before SCHEMA 3
        b"\x80\x05cdatetime\ndate\nK\x01K\x0dK\x01\x87R.",  # the 13th month: ValueError
        b"\x80\x05cdatetime\ndate\n)R.",  # a date of nothing: TypeError
    ],
)
def test_a_malformed_digest_with_a_valid_hash_is_a_miss(
    geo_env: NCBIEmulator, caplog: pytest.LogCaptureFixture, body: bytes
) -> None:
    """The cache's SHA-256 catches damage, not a body written that way: whatever reading it
    raises, the digest is a miss, is deleted, and the answers rebuild it."""
    first = geo_nb.fetch("GSE100494", progress=False)
    client = geo_nb.GEOClient()
    key = client.digests.key("GSE100494")
    client.cache.put(key, body, url="x#digest", compress=False)
    memory_cache.clear()
    digests.forget_known()
    with caplog.at_level(logging.WARNING, logger="geo_nb.cache"):
        assert client.digests.load("GSE100494") is None
    assert any("unreadable digest of GSE100494" in r.getMessage() for r in caplog.records)
    assert client.cache.read(key) is None  # deleted
    asked = len(geo_env.requests)
    assert geo_nb.fetch("GSE100494", progress=False).records == first.records
    assert len(geo_env.requests) == asked
    assert client.digests.load("GSE100494") is not None  # written again, from the answers


def test_a_digest_another_user_wrote_is_not_read(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In a shared cache folder another user's digest could hold anything the unpickler
    builds (wrong types, a memory bomb); it is rebuilt from the answers instead."""
    first = geo_nb.fetch("GSE100494", progress=False)
    client = geo_nb.GEOClient()
    assert client.digests.load("GSE100494") is not None
    real = cache_module._user()
    monkeypatch.setattr(cache_module, "_user", lambda: real + 1)
    assert client.digests.load("GSE100494") is None
    assert client.cache.read(client.digests.key("GSE100494")) is not None  # still there
    memory_cache.clear()
    digests.forget_known()
    asked = len(geo_env.requests)
    assert geo_nb.fetch("GSE100494", progress=False).records == first.records
    assert len(geo_env.requests) == asked  # from the raw answers, read as usual


def test_a_stored_folder_builds_its_lists_when_first_used() -> None:
    when = dt.datetime(2020, 1, 2, 3, 4)
    folder = SeriesFolder(
        "GSE1",
        "https://x/GSE1/suppl/",
        [ListingEntry("GSE1_RAW.tar", False, when, 2_000_000)],
        {"GSE1_RAW.tar": 1_990_000},
        [ArchiveMember("GSE1_RAW.tar", "GSM1.CEL.gz", 1_000, "CEL", when)],
        fetched_at=5.0,
    )
    asked: list[int] = []

    def lists() -> dict[str, Any]:
        asked.append(1)
        listed = folder.to_json()
        return {k: listed[k] for k in ("entries", "archives", "members")}

    stored = SeriesFolder.later("GSE1", folder.url, 5.0, lists)
    assert stored.accession == "GSE1" and asked == []
    assert stored == folder and repr(stored) == repr(folder) and asked == [1]
    assert stored.members is stored.members and asked == [1]  # built once
    with pytest.raises(AttributeError):
        stored.nothing  # noqa: B018
    broken = SeriesFolder.later("GSE2", "u", 5.0, lambda: {"entries": [["only a name"]]})
    with pytest.raises(ParseError, match=r"cached folder listing of GSE2.*clear_cache"):
        broken.entries  # noqa: B018


def test_a_digest_holds_one_string_per_repeated_label(geo_env: NCBIEmulator) -> None:
    """Every sample repeats its labels and characteristic tags: a digest reads each once."""
    geo_nb.fetch("GSE146537", progress=False)
    client = geo_nb.GEOClient()
    entry = client.cache.read(client.digests.key("GSE146537"))
    assert entry is not None
    first, second = loads(entry[0])["samples"][:2]
    for a, b in (
        (first["attributes"], second["attributes"]),
        (first["channels"][0]["characteristics"], second["channels"][0]["characteristics"]),
    ):
        shared = a.keys() & b.keys()
        assert shared and all(
            next(k for k in a if k == key) is next(k for k in b if k == key) for key in shared
        )


def test_a_warm_start_shares_the_lists_its_samples_repeat(geo_env: NCBIEmulator) -> None:
    """Samples of a series repeat most values (contact, dates, protocols): records read
    from a digest share one read-only list per distinct value, and equal the cold ones."""
    first = geo_nb.fetch("GSE146537", progress=False)
    memory_cache.clear()
    again = geo_nb.fetch("GSE146537", progress=False)
    assert again.records == first.records
    one, two = again.records.samples[:2]
    repeated = [
        k
        for k in one.attributes.keys() & two.attributes.keys()
        if one.attributes[k] == two.attributes[k]
    ]
    assert len(repeated) >= 5
    assert all(one.attributes[k] is two.attributes[k] for k in repeated)
    assert one.series is two.series and type(one.series) is SharedList
    with pytest.raises(TypeError, match="shared by the records"):
        one.attributes[repeated[0]].append("changed")
    assert two.attributes[repeated[0]] == first.records.samples[1].attributes[repeated[0]]
    cold = first.records.samples[0]
    assert type(cold.series) is list and cold.series is not first.records.samples[1].series
