"""``fetch(..., runs=True, publications=True)`` against the emulator's recorded SRA/ENA/PubMed data.

The airway study GSE52778 has real NCBI run info for all 16 of its PAIRED runs;
ENA's report of it is the one synthetic row (SRR1039508, whose two small FASTQ
files the emulator serves), so its other 15 runs are "known to NCBI, not to ENA".
"""

from __future__ import annotations

import asyncio
import math
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import geo_nb
import geo_nb.testing.store
from geo_nb import GEOClient, Settings
from geo_nb.ncbi.cache import memory_cache
from geo_nb.ncbi.http import HttpClient
from geo_nb.ncbi.sra import fetch_run_info
from geo_nb.progress import ProgressEvent
from geo_nb.testing import FaultRule, NCBIEmulator

AIRWAY = "GSE52778"
AIRWAY_SAMPLES = [f"GSM{n}" for n in range(1275862, 1275878)]
THYROID = "GSE64912"
SUPER = "GSE9990001"
FASTQ_1 = "SRR1039508_1.fastq.gz"


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


def requests_of(emu: NCBIEmulator, service: str) -> list:  # type: ignore[type-arg]
    return [r for r in emu.requests if r.service == service]


def sra_requests(emu: NCBIEmulator) -> list:  # type: ignore[type-arg]
    return [r for r in requests_of(emu, "eutils") if r.query.get("db") == ["sra"]]


def test_bulk_rna_seq_series_with_paired_end_runs(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch(AIRWAY, runs=True, progress=False)
    runs = res.runs
    assert len(runs) == 16 and list(runs.sample_accession) == AIRWAY_SAMPLES
    assert list(runs.run) == [f"SRR{n}" for n in range(1039508, 1039524)]
    assert set(runs.series_accession) == {AIRWAY} and set(runs.study) == {"SRP033351"}
    assert set(runs.library_layout) == {"PAIRED"} and set(runs.library_strategy) == {"RNA-Seq"}
    assert set(runs.bioproject) == {"PRJNA229998"} and runs.biosample.str.startswith("SAMN").all()
    dtypes = runs.dtypes.astype(str).to_dict()
    assert dtypes["spots"] == dtypes["bases"] == dtypes["size_bytes"] == "Int64"
    assert dtypes["published"] == "datetime64[ns]"
    first = runs.iloc[0]
    assert (first.spots, first.bases, first.size_bytes) == (22935521, 2889875646, 1588 * 2**20)
    assert first.published == pd.Timestamp("2014-01-02 09:16:11")
    assert first.source == "ena" and first.instrument == "Illumina HiSeq 2000"
    assert [u.rsplit("/", 1)[-1] for u in first.fastq_urls] == [FASTQ_1, "SRR1039508_2.fastq.gz"]
    assert all(u.startswith(geo_env.ena_files_url + "/vol1/fastq/") for u in first.fastq_urls)
    assert first.fastq_bytes == [2030, 2024] and len(first.fastq_md5) == 2
    assert first.sra_url.endswith("/SRR1039508/SRR1039508.1")
    # The other 15 runs are known to NCBI and not to ENA: NCBI's facts, and a row saying so.
    rest = runs.iloc[1:]
    assert set(rest.source) == {"ncbi"} and all(u == [] for u in rest.fastq_urls)
    assert rest.sra_url.notna().all() and rest.size_bytes.notna().all()
    errors = res.errors
    assert list(errors.kind) == ["runs_incomplete"] and list(errors.accession) == [AIRWAY]
    assert "15 of 16 runs" in errors.message[0] and "SRR1039509" in errors.message[0]
    # The FASTQ files are rows of res.files, with ENA's size and MD5.
    reads = res.files[res.files.level == "run"]
    assert list(reads.name) == [FASTQ_1, "SRR1039508_2.fastq.gz"]
    assert set(reads.category) == {"sequencing"} and set(reads.format) == {"FASTQ"}
    assert list(reads.size_bytes) == [2030, 2024] and reads.size_exact.all()
    assert list(reads.md5) == first.fastq_md5 and set(reads.accession) == {"GSM1275862"}
    # Requests: one esearch and one efetch, and one ENA report for the study.
    assert [r.path.rsplit("/", 1)[-1] for r in sra_requests(geo_env)] == [
        "esearch.fcgi",
        "efetch.fcgi",
    ]
    assert [r.query["accession"] for r in requests_of(geo_env, "ena")] == [["SRP033351"]]


def test_a_series_without_sra_has_no_runs_and_no_error(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE27011", runs=True, progress=False)
    assert res.runs.empty and list(res.runs.columns)[:4] == [
        "series_accession",
        "sample_accession",
        "experiment",
        "run",
    ]
    assert res.errors.empty
    assert sra_requests(geo_env) == [] and requests_of(geo_env, "ena") == []


def test_a_superseries_gets_the_runs_of_its_subseries_samples(geo_env: NCBIEmulator) -> None:
    # A SuperSeries of the two recorded SRA series, made by this test (no bundled
    # SuperSeries has SubSeries with recorded runs): GEO lists the SubSeries' samples
    # in a SuperSeries, and names no SRA study of its own.
    thyroid = [f"GSM{n}" for n in range(1583160, 1583182)]
    lines = [
        f"^SERIES = {SUPER}",
        "!Series_title = A SuperSeries made by a test",
        f"!Series_geo_accession = {SUPER}",
        "!Series_type = Expression profiling by high throughput sequencing",
        *(f"!Series_sample_id = {gsm}" for gsm in AIRWAY_SAMPLES + thyroid),
        f"!Series_relation = SuperSeries of: {AIRWAY}",
        f"!Series_relation = SuperSeries of: {THYROID}",
    ]
    geo_env.store.add_record("\n".join(lines) + "\n")
    res = geo_nb.fetch(SUPER, runs=True, files=False, progress=False)
    runs = res.runs
    assert len(runs) == 38 and set(runs.series_accession) == {SUPER}
    assert list(runs.sample_accession) == AIRWAY_SAMPLES + thyroid
    assert set(runs.study) == {"SRP033351", "SRP052056"}
    esearch = sra_requests(geo_env)[0]
    assert esearch.query["term"][0].count("[accn]") == 38  # the samples' experiments, batched
    assert len(sra_requests(geo_env)) == 2
    assert sorted(r.query["accession"][0] for r in requests_of(geo_env, "ena")) == [
        "SRP033351",
        "SRP052056",
    ]
    # With its SubSeries fetched too, each lists its own runs (from its SRA study).
    memory_cache.clear()
    both = geo_nb.fetch(SUPER, runs=True, files=False, expand_superseries=True, progress=False)
    assert both.runs.groupby("series_accession").size().to_dict() == {
        AIRWAY: 16,
        THYROID: 22,
        SUPER: 38,
    }


def test_a_sample_fetched_alone(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSM1275862", runs=True, progress=False)
    (run,) = res.runs.itertuples()
    assert (run.series_accession, run.sample_accession, run.run) == (
        AIRWAY,
        "GSM1275862",
        "SRR1039508",
    )
    assert run.source == "ena" and len(run.fastq_urls) == 2
    assert res.errors.empty
    assert sra_requests(geo_env)[0].query["term"] == ["SRX384345[accn]"]
    alone = geo_nb.fetch("GSM1583161", runs=True, progress=False)
    assert list(alone.runs.run) == ["SRR1754118"] and alone.runs.source[0] == "ncbi"
    assert list(alone.errors.kind) == ["runs_incomplete"]
    assert alone.errors.accession[0] == "GSM1583161"


def test_runs_ncbi_and_ena_disagree_on_are_reported_not_dropped(geo_env: NCBIEmulator) -> None:
    geo_env.ena.add_filereport(
        "run_accession\texperiment_accession\tsecondary_study_accession\tfastq_ftp\n"
        "SRR1039999\tSRX384345\tSRP033351\tftp.sra.ebi.ac.uk/vol1/fastq/x/SRR1039999.fastq.gz\n"
    )
    geo_env.sra.remove_run("SRR1039523")
    res = geo_nb.fetch(AIRWAY, runs=True, progress=False)
    runs = res.runs.set_index("run")
    assert "SRR1039523" not in runs.index  # known to neither source any more
    assert runs.loc["SRR1039999", "source"] == "ena"
    assert runs.loc["SRR1039999", "sample_accession"] == "GSM1275862"
    assert pd.isna(runs.loc["SRR1039999", "sra_url"])
    messages = " ".join(res.errors.message)
    assert "NCBI's run info lacks 1 run(s) that ENA lists: SRR1039999" in messages
    assert "ENA has no FASTQ files for 14 of 16 runs" in messages
    # GSM1275877 names SRX384360, whose only run is gone: flagged, not joined.
    unmatched = res.errors[res.errors.kind == "runs_unmatched"].message.tolist()
    assert len(unmatched) == 1 and "GSM1275877 (SRX384360)" in unmatched[0]


def test_a_sample_of_another_study_is_flagged_not_joined(geo_env: NCBIEmulator) -> None:
    """A reanalysis: a GSM of the airway series names an experiment of another study."""
    record = geo_env.store.record("GSM1275863")
    assert record is not None
    geo_env.store.add_record(record.text.replace("SRX384346", "SRX839530"))
    res = geo_nb.fetch(AIRWAY, runs=True, progress=False)
    assert "GSM1275863" not in set(res.runs.sample_accession)
    assert "SRR1754122" not in set(res.runs.run)  # the other study's run is not joined
    # The study's run of SRX384346 stays, under no sample.
    orphan = res.runs[res.runs.run == "SRR1039509"]
    assert len(orphan) == 1 and orphan.sample_accession.isna().all()
    flagged = res.errors[res.errors.kind == "runs_unmatched"]
    assert list(flagged.accession) == [AIRWAY]
    assert "GSM1275863 (SRX839530)" in flagged.message.iloc[0]


def test_publications(geo_env: NCBIEmulator) -> None:
    geo_env.store.add_record(
        "^SERIES = GSE9990002\n!Series_title = A series made by a test\n"
        "!Series_geo_accession = GSE9990002\n!Series_pubmed_id = 28806736\n"
        "!Series_pubmed_id = 27933103\n!Series_pubmed_id = 1\n"
    )
    res = geo_nb.fetch(["GSE9990002", AIRWAY], publications=True, progress=False)
    pubs = res.publications.set_index("pmid")
    assert list(pubs.index) == ["28806736", "27933103"]
    article = pubs.loc["28806736"]
    assert article.title.startswith("Unravelling the interplay of sphingolipids")
    assert article.journal == "PloS one" and article.year == 2017
    assert article.doi == "10.1371/journal.pone.0182390"
    assert (article.first_author, article.last_author) == ("Nicholas SE", "Karamichos D")
    assert article.series_accessions == ["GSE9990002"]
    assert str(res.publications.year.dtype) == "Int64"
    # PMIDs PubMed has no summary of (none of the airway papers is recorded) are error rows.
    gaps = res.errors[res.errors.kind == "publications_incomplete"].set_index("accession")
    assert "PMID 1 " in gaps.loc["GSE9990002", "message"]
    assert "24926665, 36599824" in gaps.loc[AIRWAY, "message"]
    summaries = [r for r in requests_of(geo_env, "eutils") if r.query.get("db") == ["pubmed"]]
    assert len(summaries) == 1 and res.runs.empty


def test_publications_are_asked_200_ids_at_a_time(geo_env: NCBIEmulator) -> None:
    pmids = "".join(f"!Series_pubmed_id = {n}\n" for n in range(10_000_001, 10_000_251))
    geo_env.store.add_record(
        "^SERIES = GSE9990003\n!Series_title = x\n!Series_geo_accession = GSE9990003\n" + pmids
    )
    res = geo_nb.fetch("GSE9990003", publications=True, files=False, progress=False)
    summaries = [r for r in requests_of(geo_env, "eutils") if r.query.get("db") == ["pubmed"]]
    assert sorted(len(r.query["id"][0].split(",")) for r in summaries) == [50, 200]
    assert res.publications.empty and list(res.errors.kind) == ["publications_incomplete"]


async def test_eutils_requests_for_many_accessions_stay_within_the_bound(
    geo_env: NCBIEmulator,
) -> None:
    """ceil(n/200) + 2 at most: batches of 200 in one WebEnv, one join, one efetch."""
    names = [f"SRP{9_000_000 + n}" for n in range(450)]
    names[10], names[420] = "SRP033351", "SRP052056"  # hits in the first and third batches
    async with HttpClient(Settings()) as http:
        runs = await fetch_run_info(http, None, names)
    assert len(runs) == 38
    eutils = requests_of(geo_env, "eutils")
    assert len(eutils) <= math.ceil(450 / 200) + 2 == 5
    assert [r.path.rsplit("/", 1)[-1] for r in eutils].count("efetch.fcgi") == 1
    webenvs = {r.query["WebEnv"][0] for r in eutils if "WebEnv" in r.query}
    assert len(webenvs) == 1
    assert eutils[3].query["term"] == ["#1 OR #3"]


async def test_async_api_client_progress_and_cache(geo_env: NCBIEmulator) -> None:
    events: list[ProgressEvent] = []
    res = await geo_nb.afetch(AIRWAY, runs=True, progress=False, on_progress=events.append)
    assert len(res.runs) == 16
    stages = [e for e in events if e.stage == "runs"]
    assert (stages[0].kind, stages[-1].kind) == ("start", "finish")
    assert stages[-1].done == stages[-1].total == 2  # NCBI's run info, one ENA report
    asked = len(geo_env.requests)
    async with GEOClient() as client:
        again = await client.fetch(AIRWAY, runs=True, publications=True, progress=False)
    pd.testing.assert_frame_equal(again.runs, res.runs)
    new = geo_env.requests[asked:]
    # Runs come from the disk cache; only the publications are asked for.
    assert [r.query.get("db") for r in new] == [["pubmed"]]


def test_fastq_download_is_md5_verified(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    res = geo_nb.fetch(AIRWAY, runs=True, progress=False)
    plan = res.plan(category="sequencing", max_size="2G")
    assert len(plan) == 2 and plan.total_bytes == 4054
    report = plan.download(tmp_path, progress=False)
    assert list(report.status) == ["downloaded", "downloaded"]
    served = Path(geo_nb.testing.store.BUNDLED_DATA, "ena/files/vol1/fastq/SRR103/008/SRR1039508")
    for name in (FASTQ_1, "SRR1039508_2.fastq.gz"):
        assert (tmp_path / AIRWAY / name).read_bytes() == (served / name).read_bytes()
    again = plan.download(tmp_path, progress=False)
    assert list(again.status) == ["skipped", "skipped"]


def test_an_md5_mismatch_fails_and_nothing_is_renamed(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    res = geo_nb.fetch(AIRWAY, runs=True, progress=False)
    original = next(
        r for r in res.files.itertuples() if r.name == FASTQ_1
    )  # the size stays right, the bytes do not
    geo_env.ena.add_file("vol1/fastq/SRR103/008/SRR1039508/" + FASTQ_1, b"x" * 2030)
    dest = tmp_path / "reads"
    report = res.plan(pattern=FASTQ_1).download(dest, progress=False)
    assert list(report.status) == ["failed"]
    assert "MD5" in report.error[0] and f"differs from ENA's {original.md5}" in report.error[0]
    assert not (dest / AIRWAY / FASTQ_1).exists()
    written = [p.name for p in dest.rglob("*") if p.is_file()]
    assert written == ["geo_nb-receipt.json"]  # no .part either


def test_a_fastq_without_an_md5_is_not_downloaded(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    geo_env.ena.add_filereport(
        "run_accession\tsecondary_study_accession\tfastq_ftp\tfastq_bytes\n"
        "SRR1039509\tSRP033351\tftp.sra.ebi.ac.uk/vol1/fastq/SRR1039509_1.fastq.gz\t2030\n"
    )
    res = geo_nb.fetch(AIRWAY, runs=True, progress=False)
    dest = tmp_path / "reads"
    report = res.plan(pattern="SRR1039509").download(dest, progress=False)
    assert list(report.status) == ["failed"] and "no MD5" in report.error[0]
    assert list(dest.rglob("*.fastq.gz*")) == []


def test_runs_in_a_running_loop(geo_env: NCBIEmulator) -> None:
    async def inside() -> int:
        return len(geo_nb.fetch(AIRWAY, runs=True, progress=False).runs)

    assert asyncio.run(inside()) == 16


def test_an_interrupted_fastq_download_resumes(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    res = geo_nb.fetch(AIRWAY, runs=True, progress=False)
    geo_env.add_fault(FaultRule(match=f"{FASTQ_1}$", action="truncate", after_bytes=1000))
    report = res.plan(pattern=FASTQ_1).download(tmp_path / "reads", progress=False)
    assert list(report.status) == ["resumed"]
    tries = [r for r in geo_env.requests if r.path.endswith(FASTQ_1)]
    assert [(r.status, r.headers.get("Range")) for r in tries] == [
        (200, None),
        (206, "bytes=1000-"),
    ]
    served = Path(geo_nb.testing.store.BUNDLED_DATA, "ena/files/vol1/fastq/SRR103/008/SRR1039508")
    assert (tmp_path / "reads" / AIRWAY / FASTQ_1).read_bytes() == (served / FASTQ_1).read_bytes()


def test_the_offline_demo_serves_runs_and_fastq(tmp_path: Path) -> None:
    code = (
        "import geo_nb\n"
        "s = geo_nb.GEOClient().settings\n"
        "print(s.ena_url.startswith('http://127.0.0.1:'), s.ena_files_url.startswith('http://'))\n"
        "res = geo_nb.fetch('GSE52778', runs=True, progress=False)\n"
        "print(len(res.runs), res.runs.source.tolist().count('ena'))\n"
        f"print(res.plan(category='sequencing').download({str(tmp_path)!r}, progress=False)"
        ".status.tolist())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEO_NB_", "NCBI_"))}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "GEO_NB_OFFLINE": "1"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True True", "16 1", "['downloaded', 'downloaded']"]
