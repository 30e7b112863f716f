"""The ``geo-nb`` command line in subprocesses: output formats, exit statuses, errors."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from geo_nb.testing import NCBIEmulator
from tests.helpers import downloadable_series


def geo_nb_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``python -m geo_nb ARGS`` with stdout piped (so not a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "geo_nb", "-q", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env=env or dict(os.environ),
        check=False,
    )


def test_search_as_csv_when_piped_and_json_when_asked(geo_env: NCBIEmulator) -> None:
    done = geo_nb_cli("search", "ATAC-seq", "--organism", "Homo sapiens")
    assert done.returncode == 0, done.stderr
    hits = pd.read_csv(io.StringIO(done.stdout))
    assert "GSE146537" in set(hits.accession) and "NCBI searched:" in done.stderr
    as_json = json.loads(geo_nb_cli("search", "ATAC-seq", "--format", "json").stdout)
    assert isinstance(as_json, list) and {"accession", "title"} <= set(as_json[0])


def test_fetch_frames_and_the_exit_status_of_a_partial_failure(geo_env: NCBIEmulator) -> None:
    done = geo_nb_cli("fetch", "GSE100494", "--frame", "samples", "--format", "tsv")
    assert done.returncode == 0, done.stderr
    samples = pd.read_csv(io.StringIO(done.stdout), sep="\t")
    assert list(samples.accession) == ["GSM2684979", "GSM2684980"]
    partial = geo_nb_cli("fetch", "GSE100494", "GSE1")
    assert partial.returncode == 1
    assert "GSE1: not_found" in partial.stderr
    assert pd.read_csv(io.StringIO(partial.stdout)).accession.tolist() == ["GSE100494"]


def test_usage_errors_are_one_line_with_status_2(geo_env: NCBIEmulator) -> None:
    for args in (
        ("fetch", "GSE12x"),
        ("fetch",),
        ("nonsense",),
        ("files", "GSE1", "--pattern", "("),
    ):
        done = geo_nb_cli(*args)
        assert done.returncode == 2, (args, done.stderr)
        assert "Traceback" not in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_files_download_and_verify(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    series, contents = downloadable_series(geo_env)
    listed = geo_nb_cli("files", series, "--category", "genome_track", "--format", "json")
    assert listed.returncode == 0 and len(json.loads(listed.stdout)) == len(contents)
    dest = tmp_path / "data"
    done = geo_nb_cli("download", series, str(dest), "--category", "genome_track")
    assert done.returncode == 0, done.stderr
    report = pd.read_csv(io.StringIO(done.stdout))
    assert set(report.status) == {"downloaded"}
    checked = geo_nb_cli("verify", str(dest))
    assert checked.returncode == 0 and set(pd.read_csv(io.StringIO(checked.stdout)).status) == {
        "ok"
    }
    (dest / series / sorted(contents)[0]).write_bytes(b"changed")
    broken = geo_nb_cli("verify", str(dest))
    assert broken.returncode == 1 and "changed" in broken.stderr
    assert geo_nb_cli("verify", str(tmp_path / "empty")).returncode == 1


def test_export_writes_parquet_and_pep(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    done = geo_nb_cli("export", "GSE100494", str(tmp_path / "pq"))
    assert done.returncode == 0, done.stderr
    assert pd.read_parquet(tmp_path / "pq" / "samples.parquet").accession.tolist() == [
        "GSM2684979",
        "GSM2684980",
    ]
    pep = geo_nb_cli("export", "GSE100494", str(tmp_path / "pep"), "--to", "pep")
    assert pep.returncode == 0 and (tmp_path / "pep" / "project_config.yaml").exists()


def test_explore_writes_the_notebook_and_the_command(tmp_path: Path) -> None:
    done = geo_nb_cli("explore", "ATAC-seq", "--dir", str(tmp_path), "--dry-run")
    assert done.returncode == 0, done.stderr
    notebook = json.loads((tmp_path / "geo_nb_explorer.ipynb").read_text())
    assert 'GEOExplorer("ATAC-seq")' in "".join(notebook["cells"][0]["source"])
    assert done.stdout.strip().endswith(f"lab {tmp_path / 'geo_nb_explorer.ipynb'}")


def test_offline_demo_needs_no_network(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEO_NB_", "NCBI_"))}
    env["GEO_NB_CACHE_DIR"] = str(tmp_path)
    done = geo_nb_cli("--offline", "fetch", "GSE100494", "--format", "json", env=env)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["accession"] == "GSE100494"
    demo = geo_nb_cli("demo", env=env)
    assert demo.returncode == 0 and "raw_archive" in demo.stdout


def test_a_closed_pipe_is_not_an_error(geo_env: NCBIEmulator) -> None:
    command = f"{sys.executable} -m geo_nb -q search ATAC-seq --format csv | head -1"
    done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120)
    assert done.stdout.startswith("accession,") and "Traceback" not in done.stderr


@pytest.mark.parametrize("flag", ["--version", "--help"])
def test_version_and_help(flag: str) -> None:
    done = geo_nb_cli(flag)
    assert done.returncode == 0 and ("geo_nb" in done.stdout or "usage" in done.stdout)


def test_runs_as_json(geo_env: NCBIEmulator) -> None:
    done = geo_nb_cli("runs", "GSE52778", "--format", "json")
    assert done.returncode == 1, done.stderr  # ENA lacks 15 of the 16 runs: listed on stderr
    assert "GSE52778: runs_incomplete" in done.stderr
    runs = json.loads(done.stdout)
    assert len(runs) == 16 and runs[0]["run"].startswith("SRR")
    assert {"sample_accession", "fastq_urls", "fastq_md5"} <= set(runs[0])


def test_catalog_commands_and_fetch_from_the_catalog(geo_env: NCBIEmulator) -> None:
    assert geo_nb_cli("fetch", "GSE100494").returncode == 0
    history = pd.read_csv(io.StringIO(geo_nb_cli("catalog").stdout))
    assert history.requested.tolist() == ["GSE100494"] and history.n_samples.tolist() == [2]
    info = json.loads(geo_nb_cli("catalog", "info", "--format", "json").stdout)[0]
    assert info["path"].endswith("catalog.sqlite3") and info["series"] == 1 and info["bytes"] > 0
    samples = pd.read_csv(io.StringIO(geo_nb_cli("catalog", "samples").stdout))
    assert samples.accession.tolist() == ["GSM2684979", "GSM2684980"]
    sql = geo_nb_cli("catalog", "sql", "SELECT kind, COUNT(*) AS n FROM records GROUP BY kind")
    assert dict(pd.read_csv(io.StringIO(sql.stdout)).values.tolist()) == {"sample": 2, "series": 1}
    bad = geo_nb_cli("catalog", "sql", "DELETE FROM records")
    assert bad.returncode == 2 and "Traceback" not in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    # NCBI unreachable: --from-catalog still answers, and says what it does not hold.
    env = {**os.environ, "GEO_NB_ACC_URL": "http://127.0.0.1:9/acc.cgi"}
    env["GEO_NB_FTP_URL"] = "http://127.0.0.1:9/geo"
    done = geo_nb_cli("files", "GSE100494", "GSE1", "--from-catalog", env=env)
    assert done.returncode == 1 and "GSE1: not_in_catalog" in done.stderr
    assert "GSE100494_RAW.tar" in set(pd.read_csv(io.StringIO(done.stdout)).name)
