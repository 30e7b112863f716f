"""When acc.cgi is challenged or down: records from GEO's FTP tree and E-utilities.

``metadata_source="auto"`` (the default) asks acc.cgi first and, for an accession
acc.cgi refuses (a bot-challenge page, a 403, 5xx/timeouts after every retry),
reads the series' matrix headers or family SOFT from the FTP tree, or a sample's or
platform's esummary summary. A batch's circuit breaker stops asking acc.cgi after
three challenges in a row. The frames are the same as from acc.cgi (the
differential test is tests/test_sources_agree.py); ``record_source`` says where
each row came from.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import tempfile
from pathlib import Path

import httpx
import pytest

import geo_nb
from geo_nb import GEOClient, ProgressEvent
from geo_nb.ncbi import sources
from geo_nb.ncbi.ftpmeta import family_entities_from_ftp, read_matrix_header
from geo_nb.ncbi.http import HttpClient
from geo_nb.testing import FaultRule, NCBIEmulator
from geo_nb.testing.counting import CountingTransport
from geo_nb.testing.seriesfiles import large_matrix
from tests.faults._support import clone_mix
from tests.helpers import emulator_urls

COMPLETE = ["GSE100494", "GSE101512", "GSE146537", "GSE146539", "GSE146540", "GSE150868"]
MATRIX_OF_GSE10288 = "series/GSE10nnn/GSE10288/matrix/GSE10288_series_matrix.txt.gz"


def acc_requests(emu: NCBIEmulator) -> list[str]:
    return [r.query["acc"][0] for r in emu.requests if r.service == "acc"]


def shared(frame: object) -> object:
    return frame.drop(columns="record_source")  # type: ignore[attr-defined]


def test_challenged_acc_gives_the_same_frames_from_the_ftp_tree(geo_env: NCBIEmulator) -> None:
    up = geo_nb.fetch(COMPLETE, progress=False)
    assert set(up.series.record_source) == {"acc"}
    geo_env.acc_mode = "challenge"
    geo_env.clear_log()
    sources.forget()  # a new process: nothing known about acc.cgi
    down = geo_nb.fetch(COMPLETE, progress=False, refresh=True)
    assert down.errors.empty
    assert set(down.series.record_source) == set(down.samples.record_source) == {"series_matrix"}
    assert shared(down.series).equals(shared(up.series))
    assert shared(down.samples).equals(shared(up.samples))
    # The file inventory comes from the same folders: equal too.
    assert down.files.equals(up.files)
    assert len(acc_requests(geo_env)) == 3
    assert "series_matrix (6 series, 89 samples)" in repr(down)
    assert down.sources().set_index("record_source").loc["series_matrix"].tolist() == [6, 89, 0]


def test_acc_cgi_failing_after_answering_costs_at_most_the_requests_in_flight(
    geo_env: NCBIEmulator,
) -> None:
    accessions = clone_mix(geo_env.store, copies=10)
    geo_nb.fetch(accessions[:2], progress=False, files=False)  # acc.cgi answers: remembered
    geo_env.acc_mode = "challenge"
    geo_env.clear_log()
    res = geo_nb.fetch(accessions[2:], progress=False, files=False, max_concurrency=4)
    assert res.errors.empty
    assert 3 <= len(acc_requests(geo_env)) <= 4


def test_the_circuit_breaker_asks_acc_cgi_at_most_three_times(
    geo_env: NCBIEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    accessions = clone_mix(geo_env.store, copies=10)
    geo_env.acc_mode = "challenge"
    events: list[ProgressEvent] = []
    with caplog.at_level(logging.WARNING, logger="geo_nb"):
        res = geo_nb.fetch(
            accessions, progress=False, files=False, on_progress=events.append, max_concurrency=10
        )
    assert res.errors.empty and len(res.series) == len(accessions)
    assert len(acc_requests(geo_env)) == 3
    notes = [e.message for e in events if e.stage == "metadata" and e.message]
    assert notes == ["acc.cgi refused 3 requests in a row: reading GEO's FTP tree"]
    assert "challenged 3 requests in a row" in caplog.text
    # The next batch remembers: acc.cgi is not asked at all.
    geo_env.clear_log()
    geo_nb.fetch(accessions[:4], progress=False, files=False, refresh=True)
    assert acc_requests(geo_env) == []
    # Once acc.cgi answers again and the memory has expired, it is asked again.
    geo_env.acc_mode = "ok"
    sources.forget()
    again = geo_nb.fetch(accessions[:4], progress=False, files=False, refresh=True)
    assert set(again.series.record_source) == {"acc"}


def test_acc_cgi_503s_and_timeouts_switch_too(geo_env: NCBIEmulator) -> None:
    geo_env.acc_mode = "unavailable"
    res = geo_nb.fetch(["GSE146537", "GSE150868"], progress=False, max_attempts=2)
    assert res.errors.empty and set(res.series.record_source) == {"series_matrix"}
    assert len(acc_requests(geo_env)) == 4  # two accessions, two attempts each
    geo_env.acc_mode = "ok"
    sources.forget()
    geo_env.add_fault(FaultRule(match="acc=GSE100494&", action="hang", delay=3, times=None))
    res = geo_nb.fetch("GSE100494", progress=False, timeout=0.5, max_attempts=2)
    assert res.errors.empty and res.series.record_source.tolist() == ["series_matrix"]


def test_a_403_switches_and_other_answers_do_not(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="acc=GSE146537&", status=403, times=None))
    geo_env.store.set_status("GSE150868", "private", release_date="Jan 01 2030")
    res = geo_nb.fetch(["GSE146537", "GSE150868", "GSE999999999"], progress=False)
    assert res.series.record_source.tolist() == ["series_matrix"]
    # A private or missing record is acc.cgi's proper answer: no second source is asked.
    assert dict(zip(res.errors.accession, res.errors.kind, strict=True)) == {
        "GSE150868": "private",
        "GSE999999999": "not_found",
    }
    assert not any("/GSE150868/" in r.path for r in geo_env.requests)


def test_challenged_and_not_on_the_ftp_tree_is_a_typed_error(geo_env: NCBIEmulator) -> None:
    geo_env.acc_mode = "challenge"
    geo_env.store.set_status("GSE150868", "private", release_date="Jan 01 2030")
    res = geo_nb.fetch(["GSE150868", "GSE999999999", "GSM999999999"], progress=False)
    kinds = dict(zip(res.errors.accession, res.errors.kind, strict=True))
    assert kinds == dict.fromkeys(["GSE150868", "GSE999999999", "GSM999999999"], "not_found")
    message = res.errors.message[0]
    assert "acc.cgi could not be used" in message and "not public" in message


def test_samples_and_platforms_alone_come_from_esummary(geo_env: NCBIEmulator) -> None:
    geo_env.acc_mode = "challenge"
    res = geo_nb.fetch(["GSM11805", "GPL4133", "GSM4391896"], progress=False)
    assert res.errors.empty
    sample = res.samples.set_index("accession").loc["GSM11805"]
    assert sample.record_source == "esummary" and sample.platform == "GPL96"
    assert sample.series_accession == "GSE781" and sample.organism == "Homo sapiens"
    assert sample.title == "N035 Normal Human Kidney U133A"
    platform = res.platforms.set_index("accession").loc["GPL4133"]
    assert platform.record_source == "esummary" and platform.technology
    esummary = [r for r in geo_env.requests if r.path.endswith("esummary.fcgi")]
    assert len(esummary) == 1  # one batched request for the three
    assert sorted(esummary[0].query["id"][0].split(",")) == ["100004133", "300011805", "304391896"]
    # Thin records are never cached: once acc.cgi answers, the full record comes back.
    geo_env.acc_mode = "ok"
    sources.forget()
    again = geo_nb.fetch("GSM4391896", progress=False)
    assert again.samples.record_source.tolist() == ["acc"]
    assert "ch1.genotype" in again.samples.columns


def test_the_series_record_wins_over_a_sample_summary(geo_env: NCBIEmulator) -> None:
    geo_env.acc_mode = "challenge"
    res = geo_nb.fetch(["GSM4391896", "GSE146537"], progress=False, files=False)
    row = res.samples.set_index("accession").loc["GSM4391896"]
    assert row.record_source == "series_matrix" and row["ch1.genotype"] == "SETD2-deficient"
    assert len(res.samples) == 6


def test_ftp_first_never_asks_acc_cgi_when_the_ftp_tree_has_the_record(
    geo_env: NCBIEmulator,
) -> None:
    res = geo_nb.fetch(COMPLETE[:2], progress=False, metadata_source="ftp")
    assert acc_requests(geo_env) == [] and set(res.series.record_source) == {"series_matrix"}
    # Nothing on the FTP tree: acc.cgi is asked.
    geo_env.add_fault(FaultRule(match="/GSE146537/(matrix|soft)/", status=404, times=None))
    res = geo_nb.fetch("GSE146537", progress=False, files=False, metadata_source="ftp")
    assert res.series.record_source.tolist() == ["acc"] and acc_requests(geo_env) == ["GSE146537"]


def test_acc_only_keeps_the_error_rows(geo_env: NCBIEmulator) -> None:
    geo_env.acc_mode = "challenge"
    res = geo_nb.fetch(["GSE146537", "GSE150868"], progress=False, metadata_source="acc")
    assert res.errors.kind.tolist() == ["unexpected_response"] * 2
    assert not any("/matrix/" in r.path for r in geo_env.requests)


def test_a_family_soft_when_a_series_has_no_matrix(geo_env: NCBIEmulator) -> None:
    geo_env.acc_mode = "challenge"
    res = geo_nb.fetch(["GSE105845"], progress=False, files=False)
    assert set(res.series.record_source) == {"family_soft"}
    platform = res.platforms.set_index("accession").loc["GPL13112"]
    assert platform.record_source == "family_soft"
    # The recordings hold none of their samples: "incomplete", as from acc.cgi.
    assert set(res.errors.kind) == {"incomplete"}


def test_multi_platform_matrices_are_merged(geo_env: NCBIEmulator) -> None:
    geo_env.acc_mode = "challenge"
    res = geo_nb.fetch("GSE146583", progress=False, files=False)
    series = res.series.iloc[0]
    assert series.record_source == "series_matrix"
    assert series.platforms == ["GPL16791", "GPL17021", "GPL20301"]
    assert series.n_samples == 50 and len(res.samples) == 50
    read = [r.path.rsplit("/", 1)[-1] for r in geo_env.requests if r.path.endswith(".txt.gz")]
    assert sorted(read) == [
        "GSE146583-GPL16791_series_matrix.txt.gz",
        "GSE146583-GPL17021_series_matrix.txt.gz",
        "GSE146583-GPL20301_series_matrix.txt.gz",
        "GSE146583_series_matrix.txt.gz",  # tried first, 404
    ]


def test_warm_fetches_reuse_ftp_records_but_not_summaries(geo_env: NCBIEmulator) -> None:
    geo_env.acc_mode = "challenge"
    first = geo_nb.fetch(["GSE146537", "GSM11805"], progress=False, files=False)
    geo_env.clear_log()
    second = geo_nb.fetch(["GSE146537", "GSM11805"], progress=False, files=False)
    assert second.series.equals(first.series) and second.samples.equals(first.samples)
    paths = [r.path for r in geo_env.requests]
    assert not any("GSE146537" in p for p in paths)
    assert any(p.endswith("esummary.fcgi") for p in paths)


def test_check_connection_seeds_the_breaker(
    ncbi_emulator: NCBIEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("GEO_NB_OFFLINE", raising=False)
    ncbi_emulator.acc_mode = "challenge"
    urls = emulator_urls(ncbi_emulator)
    assert geo_nb.check_connection(**urls).metadata_from == "the FTP tree"
    ncbi_emulator.clear_log()
    res = geo_nb.fetch(COMPLETE, progress=False, cache_dir=tmp_path, **urls)
    assert res.errors.empty and acc_requests(ncbi_emulator) == []


def test_a_50_mb_matrix_costs_under_1_mb(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    """GSE10288's real header on 50 MB of synthetic value rows: only the header is read."""
    real = gzip.decompress(b"".join(geo_env.store.ftp_file(MATRIX_OF_GSE10288).read()))  # type: ignore[union-attr]
    header = real[: real.index(b"!series_matrix_table_begin")]
    big = large_matrix(header, 50 * 2**20)
    assert len(big) > 50 * 2**20
    geo_env.store.add_ftp_file(MATRIX_OF_GSE10288, big)
    geo_env.acc_mode = "challenge"
    counting = CountingTransport()

    async def fetch() -> geo_nb.GEOResult:
        async with GEOClient(cache_dir=tmp_path) as client:
            client.http = HttpClient(client.settings, transport=counting)
            return await client.fetch("GSE10288", progress=False, files=False)

    res = asyncio.run(fetch())
    assert res.errors.empty and res.series.n_samples.tolist() == [46] and len(res.samples) == 46
    read = counting.received[f"/geo/{MATRIX_OF_GSE10288}"]
    assert 0 < read < 2**20, read
    # The server saw the connection closed long before the end of the file.
    (served,) = [r for r in geo_env.requests if r.path.endswith(MATRIX_OF_GSE10288)]
    assert served.bytes_sent < len(big) // 4


def test_a_truncated_or_foreign_matrix_is_an_error(geo_env: NCBIEmulator) -> None:
    async def header(data: bytes) -> object:
        geo_env.store.add_ftp_file(MATRIX_OF_GSE10288, data)
        async with HttpClient(geo_nb.Settings()) as http:
            return await read_matrix_header(http, f"{geo_env.ftp_url}/{MATRIX_OF_GSE10288}")

    with pytest.raises(geo_nb.errors.ParseError, match="truncated"):
        asyncio.run(header(gzip.compress(b'!Series_title\t"x"\n!Sample_title\t"y"\n')))
    with pytest.raises(geo_nb.errors.UnexpectedResponseError, match="HTML page"):
        asyncio.run(header(b"<html>challenge</html>"))
    geo_env.acc_mode = "challenge"
    res = geo_nb.fetch("GSE10288", progress=False, files=False)
    assert res.errors.kind.tolist() == ["unexpected_response"]
    assert "acc.cgi could not be used" in res.errors.message[0]


def test_a_family_is_read_only_up_to_its_last_listed_sample(geo_env: NCBIEmulator) -> None:
    table = "".join(f"ID{n}\t{n}.5\n" for n in range(300_000))
    family = (
        "^DATABASE = GeoMiame\n^SERIES = GSE1\n!Series_sample_id = GSM1\n"
        "^SAMPLE = GSM1\n!Sample_title = one\n"
        f"^SAMPLE = GSM2\n!Sample_title = other\n!sample_table_begin\nID\tVALUE\n{table}"
        "!sample_table_end\n"
    ).encode()
    data = gzip.compress(family, compresslevel=0)
    path = "series/GSEnnn/GSE1/soft/GSE1_family.soft.gz"
    geo_env.store.add_ftp_file(path, data)
    counting = CountingTransport()

    async def read() -> list[str]:
        async with HttpClient(geo_nb.Settings(), transport=counting) as http:
            found = await family_entities_from_ftp(http, "GSE1")
            return [e.accession for e in found or []]

    assert asyncio.run(read()) == ["GeoMiame", "GSE1", "GSM1"]
    assert len(data) > 4 * 2**20 and counting.received[f"/geo/{path}"] < 2**20


def test_read_stream_retries_through_the_one_policy(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="GSE10288_series_matrix", status=503, times=1))
    geo_env.add_fault(FaultRule(match="GSE10288_series_matrix", action="drop", times=1))

    async def header() -> object:
        async with HttpClient(geo_nb.Settings()) as http:
            found = await read_matrix_header(http, f"{geo_env.ftp_url}/{MATRIX_OF_GSE10288}")
            return found, http.retries

    found, retries = asyncio.run(header())
    assert found is not None and retries == 2


def test_the_offline_demo_reads_the_challenge_knob(monkeypatch: pytest.MonkeyPatch) -> None:
    from geo_nb import offline

    emulator = NCBIEmulator().start()
    try:
        monkeypatch.setattr(offline, "_emulator", emulator)
        monkeypatch.setenv("GEO_NB_DEMO_ACC", "challenge")
        assert geo_nb.use_offline_demo() is emulator and emulator.acc_mode == "challenge"
        monkeypatch.setenv("GEO_NB_DEMO_ACC", "sometimes")
        with pytest.raises(geo_nb.errors.ConfigError, match="GEO_NB_DEMO_ACC"):
            geo_nb.use_offline_demo()
    finally:
        emulator.stop()


def test_metadata_source_setting() -> None:
    assert geo_nb.Settings().metadata_source == "auto"
    assert geo_nb.Settings(metadata_source=" FTP ").metadata_source == "ftp"
    with pytest.raises(geo_nb.errors.ConfigError, match="GEO_NB_METADATA_SOURCE"):
        geo_nb.Settings(metadata_source="both")


def test_the_emulator_cli_has_the_acc_knob(tmp_path: Path) -> None:
    import subprocess
    import sys

    with tempfile.TemporaryFile("w+") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "geo_nb.testing", "--port", "0", "--acc", "challenge"],
            stdout=out,
            text=True,
        )
        try:
            for _ in range(100):
                out.seek(0)
                text = out.read()
                if "GEO_NB_ACC_URL" in text:
                    break
                asyncio.run(asyncio.sleep(0.1))
            acc_url = text.split("GEO_NB_ACC_URL=")[1].split()[0]
            page = httpx.get(acc_url, params={"acc": "GSE146537", "targ": "all", "form": "text"})
            assert page.status_code == 200 and "captcha" in page.text.lower()
        finally:
            process.terminate()
            process.wait()
