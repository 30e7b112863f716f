"""The offline demo mode and the connection check."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import geo_nb
from geo_nb import offline
from geo_nb.testing import FaultRule, NCBIEmulator

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
        "import geo_nb\n"
        "s = geo_nb.Settings()\n"
        "print(s.acc_url.startswith('http://127.0.0.1:'), 'geo_nb-offline-' in str(s.cache_dir))\n"
        "hits = geo_nb.search('SETD2', organism='Homo sapiens', progress=False)\n"
        "res = geo_nb.fetch(hits.accession, progress=False)\n"
        "print(len(hits), len(res.series), len(res.errors))\n"
        "print(geo_nb.check_connection().message)\n",
        {**clean_env(), "GEO_NB_OFFLINE": "1"},
    )
    lines = out.splitlines()
    assert lines[0] == "True True"
    assert lines[1] == "4 4 0"
    assert lines[2].startswith("Offline demo mode")


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
        eutils_url=ncbi_emulator.eutils_url, acc_url=ncbi_emulator.acc_url
    )
    assert report.ok and not report.offline
    assert report.message == "NCBI is reachable: geo_nb answers from NCBI."


def test_check_connection_says_how_to_go_offline(
    ncbi_emulator: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEO_NB_OFFLINE", raising=False)
    ncbi_emulator.add_fault(FaultRule(match="acc.cgi", action="challenge", times=None))
    report = geo_nb.check_connection(
        eutils_url="http://127.0.0.1:9/entrez/eutils", acc_url=ncbi_emulator.acc_url, timeout=2
    )
    assert not report.ok and len(report.details) == 2
    assert "bot-challenge" in report.message
    assert report.message.endswith(f"run: {offline.SWITCH}")
    assert f"<code>{offline.SWITCH}</code>" in report._repr_html_()
