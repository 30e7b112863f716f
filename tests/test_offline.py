"""The offline demo mode and the connection check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import geo_nb
from geo_nb import offline
from geo_nb.testing import FaultRule, NCBIEmulator
from tests.helpers import emulator_urls

NCBI_VARS = (
    "GEO_NB_EUTILS_URL",
    "GEO_NB_ACC_URL",
    "GEO_NB_FTP_URL",
    "GEO_NB_CACHE_DIR",
    "GEO_NB_OFFLINE",
    "NCBI_API_KEY",
)


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k not in NCBI_VARS}


def run(code: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_environment_variable_switches_everything_to_the_recordings() -> None:
    out = run(
        "import geo_nb, threading\n"
        "s = geo_nb.Settings()  # only reads the environment: no server yet\n"
        "ncbi = s.acc_url.startswith('https://www.ncbi')\n"
        "print(s.offline_demo, ncbi, threading.active_count())\n"
        "c = geo_nb.GEOClient()  # making a client starts the demo and points at it\n"
        "s = c.settings\n"
        "print(s.acc_url.startswith('http://127.0.0.1:'), 'geo_nb-offline-' in str(s.cache_dir))\n"
        "hits = geo_nb.search('SETD2', organism='Homo sapiens', progress=False)\n"
        "res = geo_nb.fetch(hits.accession, progress=False)\n"
        "print(len(hits), len(res.series), len(res.errors))\n"
        "print(geo_nb.check_connection().message)\n",
        {**clean_env(), "GEO_NB_OFFLINE": "1"},
    )
    lines = out.splitlines()
    assert lines[0] == "True True 1"
    assert lines[1] == "True True"
    assert lines[2] == "4 4 0"
    assert lines[3].startswith("Offline demo mode")


def test_demo_latency_is_kept_by_later_clients() -> None:
    out = run(
        "import geo_nb\n"
        "emu = geo_nb.use_offline_demo(latency=0.2)\n"
        "geo_nb.Settings(); geo_nb.GEOClient(); geo_nb.use_offline_demo()\n"
        "print(emu.latency, geo_nb.use_offline_demo() is emu)\n",
        clean_env(),
    )
    assert out.split() == ["0.2", "True"]


def test_use_offline_demo_is_idempotent_and_keeps_a_chosen_cache(tmp_path: object) -> None:
    out = run(
        "import geo_nb, os\n"
        "a = geo_nb.use_offline_demo(); b = geo_nb.use_offline_demo(latency=0.05)\n"
        "print(a is b, b.latency, os.environ['GEO_NB_CACHE_DIR'])\n"
        "print(len(geo_nb.fetch('GSE146537', progress=False).samples))\n",
        {**clean_env(), "GEO_NB_CACHE_DIR": str(tmp_path)},
    )
    first, second = out.splitlines()
    assert first == f"True 0.05 {tmp_path}"
    assert second == "6"


def test_check_connection_when_ncbi_answers(
    ncbi_emulator: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEO_NB_OFFLINE", raising=False)
    report = geo_nb.check_connection(
        eutils_url=ncbi_emulator.eutils_url,
        acc_url=ncbi_emulator.acc_url,
        ftp_url=ncbi_emulator.ftp_url,
    )
    assert report.ok and not report.offline
    assert report.message == (
        "NCBI is reachable: geo_nb answers from NCBI. E-utilities answers, acc.cgi answers, "
        "the FTP tree answers; records come from acc.cgi."
    )
    assert report.metadata_from == "acc.cgi" and not report.details


def test_check_connection_says_the_ftp_tree_is_used_when_acc_is_challenged(
    ncbi_emulator: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEO_NB_OFFLINE", raising=False)
    ncbi_emulator.acc_mode = "challenge"
    urls = emulator_urls(ncbi_emulator)
    report = geo_nb.check_connection(**urls)
    assert report.ok and report.metadata_from == "the FTP tree"
    assert dict(report.sources) == {
        "E-utilities": "answers",
        "acc.cgi": "answers with a bot-challenge page",
        "the FTP tree": "answers",
    }
    assert "records come from the FTP tree (series matrices, family SOFT)" in report.message
    assert len(report.details) == 1 and "bot-challenge" in report.details[0]
    # acc.cgi only: nothing to read records from, so the report says how to go offline.
    only_acc = geo_nb.check_connection(**urls, metadata_source="acc")
    assert not only_acc.ok and only_acc.metadata_from == ""
    assert only_acc.message.endswith(f"run: {offline.SWITCH}")
    # The FTP tree first: it is what will be used, whatever acc.cgi does.
    ncbi_emulator.acc_mode = "ok"
    assert geo_nb.check_connection(**urls, metadata_source="ftp").metadata_from == "the FTP tree"


def test_check_connection_says_how_to_go_offline(
    ncbi_emulator: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEO_NB_OFFLINE", raising=False)
    ncbi_emulator.add_fault(FaultRule(match="acc.cgi", action="challenge", times=None))
    report = geo_nb.check_connection(
        eutils_url="http://127.0.0.1:9/entrez/eutils",
        acc_url=ncbi_emulator.acc_url,
        ftp_url="http://127.0.0.1:9/geo",
        timeout=2,
    )
    assert not report.ok and len(report.details) == 3
    assert "bot-challenge" in report.message
    assert report.message.endswith(f"run: {offline.SWITCH}")
    assert f"<code>{offline.SWITCH}</code>" in report._repr_html_()


def test_demo_catalog_lists_the_recorded_series() -> None:
    catalog = geo_nb.demo_catalog()
    assert len(catalog) >= 15 and catalog.accession.is_unique
    sized = set(catalog[catalog.files_sized].accession)
    assert {"GSE100494", "GSE101512", "GSE101426", "GSE100750", "GSE27011"} <= sized
    complete = catalog.set_index("accession")
    assert complete.loc["GSE100494", "samples_recorded"] == 2
    assert complete.loc["GSE101426", "samples_recorded"] == 8
    assert complete.loc["GSE101966", "samples_recorded"] == 17  # of its 52


def test_every_suggested_demo_query_finds_series(geo_env: NCBIEmulator) -> None:
    for query, _ in offline.DEMO_QUERIES:
        hits = geo_nb.search(query, progress=False)
        assert len(hits), query
    # The first suggestion finds series whose files are all sized.
    first = geo_nb.search(offline.DEMO_QUERIES[0][0], progress=False)
    catalog = geo_nb.demo_catalog().set_index("accession")
    assert catalog.loc[list(first.accession), "files_sized"].all()


def test_empty_offline_search_says_what_the_demo_holds(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEO_NB_OFFLINE", "1")
    monkeypatch.setattr(offline, "use_offline_demo", lambda **_: geo_env)
    hits = geo_nb.search("bigWig", progress=False)
    assert hits.empty
    hint = hits.attrs["warnings"][-1]
    assert "Offline demo: nothing among its" in hint and "geo_nb.demo_catalog()" in hint
    assert "'SLFN11'" in hint
    # Online, an empty search carries only what NCBI said.
    monkeypatch.delenv("GEO_NB_OFFLINE")
    online = geo_nb.search("bigWig", progress=False)
    assert not any("Offline demo" in w for w in online.attrs["warnings"])


def test_offline_search_names_hits_the_demo_cannot_fetch(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GSE93374's summary is recorded (its docsum), its record is not.
    assert "GSE93374" not in set(geo_nb.demo_catalog().accession)
    query = "Drop-seq and single cell"
    assert geo_nb.search(query, progress=False).accession.tolist() == ["GSE93374"]
    monkeypatch.setenv("GEO_NB_OFFLINE", "1")
    monkeypatch.setattr(offline, "use_offline_demo", lambda **_: geo_env)
    hits = geo_nb.search(query, progress=False)
    hint = hits.attrs["warnings"][-1]
    assert "GSE93374 has a recorded summary but no recorded record" in hint
    res = geo_nb.fetch("GSE93374", progress=False)
    assert res.errors.kind.tolist() == ["not_found"]
    message = res.errors.message[0]
    assert "not among the offline demo's recorded records" in message
    assert "geo_nb.demo_catalog()" in message and "was not found at GEO" not in message
    # A search whose hits are all recorded carries no such warning, samples' included.
    recorded = geo_nb.search(offline.DEMO_QUERIES[0][0], progress=False)
    assert not any("no recorded record" in w for w in recorded.attrs.get("warnings", []))
    assert offline.unrecorded_hits(["GSM11805", "GPL16791", "GSE100494", "GDS507"]) is None
    # The same when acc.cgi is challenged and the records come from the FTP tree.
    geo_env.acc_mode = "challenge"
    fallback = geo_nb.fetch("GSE93374", progress=False, refresh=True)
    assert fallback.errors.kind.tolist() == ["not_found"]
    assert "not among the offline demo's recorded records" in fallback.errors.message[0]
    geo_env.acc_mode = "ok"
    # Offline, but with acc.cgi and E-utilities at addresses the user set (here another
    # emulator standing in for a mirror): its answers are not the demo's.
    with NCBIEmulator() as mirror:
        urls = {"acc_url": mirror.acc_url, "eutils_url": mirror.eutils_url}
        elsewhere = geo_nb.fetch("GSE93374", progress=False, refresh=True, **urls)
        assert "was not found at GEO" in elsewhere.errors.message[0]
        searched = geo_nb.search(query, progress=False, **urls)
        assert not any("no recorded record" in w for w in searched.attrs.get("warnings", []))
    # Online, the same answer is GEO's "not found".
    monkeypatch.delenv("GEO_NB_OFFLINE")
    online = geo_nb.fetch("GSE93374", progress=False, refresh=True)
    assert "was not found at GEO" in online.errors.message[0]


def test_offline_messages_do_not_advise_refresh(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = geo_nb.fetch("GSE101966", progress=False)  # 17 of its 52 samples recorded
    assert "Retry with refresh=True" in res.errors.message[0]
    monkeypatch.setenv("GEO_NB_OFFLINE", "1")
    monkeypatch.setattr(offline, "use_offline_demo", lambda **_: geo_env)
    res = geo_nb.fetch("GSE101966", progress=False, refresh=True)
    message = res.errors.message[0]
    assert res.errors.kind[0] == "incomplete"
    assert "refresh=True cannot add them" in message and "Retry with" not in message
    geo_env.add_fault(FaultRule(match="acc.cgi", action="challenge"))
    res = geo_nb.fetch(
        "GSE100494", progress=False, refresh=True, files=False, metadata_source="acc"
    )
    assert res.errors.kind.tolist() == ["unexpected_response"]
    assert "offline demo, whose recordings never change" in res.errors.message[0]
    assert "refresh=True, or lower" not in res.errors.message[0]
