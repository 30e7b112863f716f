"""geo_nb.fetch against the NCBI emulator over real sockets."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import logging
import time
from pathlib import Path

import pytest

import geo_nb
from geo_nb import GEOClient, Settings
from geo_nb.errors import FetchFailedError, InvalidAccessionError
from geo_nb.ncbi.cache import memory_cache
from geo_nb.progress import ProgressEvent
from geo_nb.testing import FaultRule, NCBIEmulator
from tests.helpers import cache_entries


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


def cache_files(root: Path) -> tuple[list[Path], list[Path]]:
    """(temporary files, entries) under a cache dir."""
    return list(Path(root).rglob(".tmp-*")), cache_entries(root)


def acc_requests(emu: NCBIEmulator, accession: str | None = None) -> list:  # type: ignore[type-arg]
    return [
        r
        for r in emu.requests
        if r.service == "acc" and (accession is None or r.query.get("acc") == [accession])
    ]


def test_fetch_several_real_series(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch(["GSE146537", "GSE146583", "GSE150868", "GSM11805"], progress=False)
    assert res.errors.empty, res.errors.to_dict("records")
    series = res.series.set_index("accession")
    assert list(series.index) == ["GSE146537", "GSE146583", "GSE150868"]
    assert series.loc["GSE146583", "superseries_of"][0] == "GSE146537"
    assert series.loc["GSE146537", "subseries_of"] == ["GSE146583"]
    assert series.loc["GSE150868", "n_samples"] == 35
    per_series = res.samples.groupby("series_accession").size().to_dict()
    assert per_series["GSE150868"] == 35
    assert per_series["GSE146537"] == 6
    # A SuperSeries lists its SubSeries' samples; those GEO sent appear under it too
    # (the recordings hold all 50 of GSE146583's samples).
    assert series.loc["GSE146583", "n_samples"] == 50
    assert per_series["GSE146583"] == 50
    assert per_series["GSE781"] == 1
    assert res.samples["ch1.cell line"].notna().sum() >= 12
    assert set(res.files.level) == {"series", "sample"}
    assert res.files.url.str.startswith(geo_env.ftp_url).all()
    requests = acc_requests(geo_env)
    assert len(requests) == 4
    for r in requests:
        expected_targ = "self" if r.query["acc"][0].startswith("GSM") else "all"
        assert r.query["targ"] == [expected_targ]
        assert r.query["form"] == ["text"] and r.query["view"] == ["brief"]


def test_invalid_accessions_raise_before_any_request(geo_env: NCBIEmulator) -> None:
    with pytest.raises(InvalidAccessionError) as info:
        geo_nb.fetch(["GSE146537", "GSE12x", "foo"], progress=False)
    assert info.value.accessions == ["GSE12x", "foo"]
    assert geo_env.requests == []


def test_every_error_kind_becomes_a_row(geo_env: NCBIEmulator) -> None:
    store = geo_env.store
    store.set_status("GSE146537", "private", release_date="Jan 01 2030")
    store.set_status("GSE150868", "withdrawn")
    store.set_status("GSM4391896", "unapproved")
    geo_env.add_fault(FaultRule(match="acc=GSE99709", action="challenge", times=None))
    geo_env.add_fault(
        FaultRule(match="acc=GSM4391897", action="status", status=429, retry_after="0", times=None)
    )
    geo_env.add_fault(FaultRule(match="acc=GSM4391898", action="status", status=503, times=None))
    geo_env.add_fault(
        FaultRule(
            match="acc=GSM4391899",
            action="status",
            status=200,
            body=b"^SAMPLE = \n!Sample_title = x\n",
            times=None,
        )
    )
    accessions = [
        "GSE999999999",
        "GSE146537",
        "GSE150868",
        "GSM4391896",
        "GSE99709",
        "GSM4391897",
        "GSM4391898",
        "GSM4391899",
        "GSM4391900",
    ]
    # acc.cgi only: with "auto", the challenged and the unavailable records come from the
    # FTP tree and E-utilities instead (tests/test_fallback.py).
    res = geo_nb.fetch(accessions, progress=False, max_attempts=2, metadata_source="acc")
    kinds = dict(zip(res.errors.accession, res.errors.kind, strict=True))
    assert kinds == {
        "GSE999999999": "not_found",
        "GSE146537": "private",
        "GSE150868": "withdrawn",
        "GSM4391896": "private",
        "GSE99709": "unexpected_response",
        "GSM4391897": "rate_limited",
        "GSM4391898": "unavailable",
        "GSM4391899": "parse_error",
    }
    messages = dict(zip(res.errors.accession, res.errors.message, strict=True))
    assert "Jan 01 2030" in messages["GSE146537"]
    assert "bot-challenge" in messages["GSE99709"]
    assert "429" in messages["GSM4391897"] and "NCBI_API_KEY" in messages["GSM4391897"]
    assert res.samples.accession.tolist() == ["GSM4391900"]
    with pytest.raises(FetchFailedError) as info:
        res.raise_for_errors()
    assert "8 accession(s)" in str(info.value)


def test_missing_samples_are_reported_not_hidden(geo_env: NCBIEmulator) -> None:
    # The recordings hold GSE99709's series record but none of its 12 samples.
    res = geo_nb.fetch("GSE99709", progress=False)
    assert res.series.accession.tolist() == ["GSE99709"]
    (row,) = res.errors.itertuples()
    assert row.kind == "incomplete" and "lists 12 samples but sent 0" in row.message


def test_retry_after_is_honoured(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(
        FaultRule(match="acc=GSE146537", action="status", status=429, retry_after="1", times=2)
    )
    res = geo_nb.fetch("GSE146537", progress=False)
    assert res.errors.empty
    tries = acc_requests(geo_env, "GSE146537")
    assert [r.status for r in tries] == [429, 429, 200]
    gaps = [b.time - a.time for a, b in itertools.pairwise(tries)]
    assert all(gap >= 1.0 for gap in gaps), gaps


def test_503_and_dropped_connections_are_retried(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="acc=GSE146537", action="status", status=503, times=1))
    geo_env.add_fault(FaultRule(match="acc=GSE146537", action="drop", times=1))
    geo_env.add_fault(FaultRule(match="acc=GSE146537", action="truncate", after_bytes=200, times=1))
    res = geo_nb.fetch("GSE146537", progress=False)
    assert res.errors.empty and len(res.samples) == 6
    assert len(acc_requests(geo_env, "GSE146537")) == 4


def test_timeouts_become_unavailable(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="acc=GSE146537", action="hang", delay=3, times=None))
    started = time.monotonic()
    res = geo_nb.fetch(
        "GSE146537", progress=False, timeout=0.5, max_attempts=2, metadata_source="acc"
    )
    assert time.monotonic() - started < 5
    assert res.errors.kind.tolist() == ["unavailable"]
    assert "no answer within 0.5 s" in res.errors.message[0]


def test_disk_cache_serves_repeats_and_refresh_bypasses(geo_env: NCBIEmulator) -> None:
    first = geo_nb.fetch(["GSE146537", "GSM11805"], progress=False)
    memory_cache.clear()
    second = geo_nb.fetch(["GSE146537", "GSM11805"], progress=False)
    assert len(acc_requests(geo_env)) == 2
    assert second.records == first.records
    third = geo_nb.fetch(["GSE146537"], progress=False, refresh=True)
    assert len(acc_requests(geo_env)) == 3
    assert third.records.series == first.records.series


def test_memory_cache_needs_no_disk(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    geo_nb.fetch("GSE146537", progress=False)
    cache_dir = Path(Settings().cache_dir)
    for entry in cache_dir.rglob("*.gz"):
        entry.unlink()
    res = geo_nb.fetch("GSE146537", progress=False)
    assert len(res.samples) == 6
    assert len(acc_requests(geo_env)) == 1


def test_corrupt_cache_entry_is_refetched(geo_env: NCBIEmulator) -> None:
    first = geo_nb.fetch("GSE150868", progress=False, files=False)
    for digest in cache_entries(Settings().cache_dir, digests=True):
        digest.unlink()  # or the digest answers without reading the entry
    (entry,) = cache_entries(Settings().cache_dir)
    blob = entry.read_bytes()
    entry.write_bytes(blob[: len(blob) // 3])
    memory_cache.clear()
    second = geo_nb.fetch("GSE150868", progress=False, files=False)
    assert second.records == first.records
    assert len(acc_requests(geo_env)) == 2
    (again,) = cache_entries(Settings().cache_dir)
    assert again.read_bytes() != blob[: len(blob) // 3]


def test_error_pages_are_never_cached(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="acc=GSE146537", action="challenge", times=1))
    challenged = geo_nb.fetch("GSE146537", progress=False, metadata_source="acc")
    assert challenged.errors.kind.tolist() == ["unexpected_response"]
    assert not list(Path(Settings().cache_dir).rglob("*.gz"))
    assert geo_nb.fetch("GSE146537", progress=False).errors.empty


def test_progress_events(geo_env: NCBIEmulator) -> None:
    events: list[ProgressEvent] = []
    geo_nb.fetch(
        ["GSE146537", "GSE999999999", "GSM11805"], progress=False, on_progress=events.append
    )
    assert {e.stage for e in events} == {"metadata", "inventory"}
    listed = [e for e in events if e.stage == "inventory"]
    assert [e.kind for e in listed] == ["start", "advance", "advance", "finish"]
    assert listed[-1].total == 2 and listed[-1].errors == 0
    events = [e for e in events if e.stage == "metadata"]
    assert [e.kind for e in events] == ["start", "advance", "advance", "advance", "finish"]
    assert events[-1].done == 3 and events[-1].errors == 1 and events[-1].total == 3
    assert {e.accession for e in events if e.kind == "advance"} == {
        "GSE146537",
        "GSE999999999",
        "GSM11805",
    }


def test_progress_bar_renders(geo_env: NCBIEmulator, capsys: pytest.CaptureFixture[str]) -> None:
    geo_nb.fetch(["GSE146537", "GSM11805"])
    err = capsys.readouterr().err
    assert "Fetching metadata" in err and "2/2" in err and "errors=0" in err


async def test_cancellation_stops_promptly_and_leaves_cache_consistent(
    geo_env: NCBIEmulator,
) -> None:
    geo_env.latency = 10.0
    accessions = ["GSE146537", "GSE150868", "GSM11805", "GSM32878", "GSM2795971"]
    task = asyncio.create_task(geo_nb.afetch(accessions, progress=False))
    await asyncio.sleep(0.5)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 3.0  # well before the 10 s answers
    assert cache_files(Settings().cache_dir) == ([], [])
    geo_env.latency = 0.0
    res = await geo_nb.afetch(accessions, progress=False)
    assert res.errors.empty


async def test_sync_fetch_inside_a_running_loop(geo_env: NCBIEmulator) -> None:
    asyncio.get_running_loop()
    res = geo_nb.fetch("GSE146537", progress=False)
    assert len(res.samples) == 6
    res2 = geo_nb.fetch("GSM11805", progress=False)
    assert len(res2.samples) == 1


async def test_explicit_client_and_overrides(geo_env: NCBIEmulator) -> None:
    async with GEOClient(max_concurrency=2, timeout=5) as client:
        assert client.settings.max_concurrency == 2
        res = await client.fetch(["GSE146537", "GSE150868"], progress=False)
        hits = await client.search("ATAC-seq", organism="Homo sapiens", progress=False)
    assert len(res.samples) == 41
    assert "GSE146537" in set(hits.accession)


def test_concurrency_is_bounded(geo_env: NCBIEmulator) -> None:
    geo_env.latency = 0.3
    accessions = [f"GSM45599{n}" for n in range(21, 41)]
    started = time.monotonic()
    res = geo_nb.fetch(accessions, progress=False, max_concurrency=5)
    elapsed = time.monotonic() - started
    assert res.errors.empty and len(res.samples) == 20
    # 20 requests, 5 at a time, 0.3 s each: at least 4 rounds.
    assert elapsed >= 1.15
    spans = [(r.time, r.end_time) for r in acc_requests(geo_env)]
    most = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert most <= 5


def test_api_key_never_leaks(
    geo_env: NCBIEmulator, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "SEKRIT0123456789abcdef"
    monkeypatch.setenv("NCBI_API_KEY", key)
    geo_env.add_fault(
        FaultRule(match="esearch", action="status", status=429, retry_after="0", times=None)
    )
    geo_env.add_fault(FaultRule(match="acc=GSE146537", action="status", status=503, times=None))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(geo_nb.errors.RateLimitedError) as info:
        geo_nb.search("ATAC-seq", progress=False, max_attempts=2)
    res = geo_nb.fetch("GSE146537", progress=False, max_attempts=2)
    texts = [
        str(info.value),
        repr(info.value),
        info.value.url or "",
        caplog.text,
        res.errors.to_string(),
        repr(res),
        res._repr_html_(),
        repr(GEOClient()),
        repr(Settings()),
    ]
    for path in Path(Settings().cache_dir).rglob("*"):
        texts.append(path.name)
        if path.is_file():  # cache entries are gzip members; the catalog is SQLite
            data = path.read_bytes()
            data = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
            texts.append(data.decode("utf-8", "replace"))
    assert any(p.name.startswith("catalog.sqlite3") for p in Path(Settings().cache_dir).iterdir())
    assert all(key not in text for text in texts)
    sent = [r for r in geo_env.requests if r.service == "eutils"]
    assert sent and all(r.query.get("api_key") == [key] for r in sent)
    assert all(key not in r.path for r in geo_env.requests)


class _ReprCounter:
    calls = 0

    def __repr__(self) -> str:
        _ReprCounter.calls += 1
        return "costly"


def test_sync_calls_never_format_the_result() -> None:
    from geo_nb._sync import run_sync

    async def produce() -> _ReprCounter:
        return _ReprCounter()

    value = run_sync(produce())
    assert isinstance(value, _ReprCounter) and _ReprCounter.calls == 0


async def test_sync_calls_inside_a_loop_never_format_the_result() -> None:
    from geo_nb._sync import run_sync

    async def produce() -> _ReprCounter:
        return _ReprCounter()

    before = _ReprCounter.calls
    assert isinstance(run_sync(produce()), _ReprCounter) and _ReprCounter.calls == before
