"""ENA and NCBI failing while the runs of several series are asked for.

ENA's 429 and 5xx are retried by the one policy (Retry-After honoured: the
request log shows the wait); an HTML page with status 200 is an
``unexpected_response``, never parsed as a file report; what could not be had
leaves the runs with NCBI's facts and says so.
"""

from __future__ import annotations

import geo_nb
from geo_nb.testing import FaultRule, NCBIEmulator
from geo_nb.testing.ena import ERROR_PAGE

SERIES = ["GSE52778", "GSE64912"]
FILEREPORT = "/ena/portal/api/filereport"


def ena_requests(emu: NCBIEmulator, study: str) -> list:  # type: ignore[type-arg]
    return [r for r in emu.requests if r.service == "ena" and r.query["accession"] == [study]]


def test_ena_429_and_503_mid_batch_are_retried(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(
        FaultRule(match=f"{FILEREPORT}.*SRP052056", status=429, retry_after="1", times=1)
    )
    geo_env.add_fault(FaultRule(match=f"{FILEREPORT}.*SRP033351", status=503, times=1))
    res = geo_nb.fetch(SERIES, runs=True, files=False, progress=False)
    assert len(res.runs) == 38
    assert res.runs[res.runs.run == "SRR1039508"].source.tolist() == ["ena"]
    # Only the expected "ENA has no FASTQ" rows: the faults left no trace.
    assert set(res.errors.kind) == {"runs_incomplete"}
    limited = ena_requests(geo_env, "SRP052056")
    assert [(r.status, r.fault) for r in limited] == [(429, "status"), (200, None)]
    assert limited[1].time - limited[0].end_time >= 1.0  # Retry-After: 1 was waited for
    failed = ena_requests(geo_env, "SRP033351")
    assert [r.status for r in failed] == [503, 200]


def test_ena_that_keeps_failing_leaves_ncbi_facts_and_typed_rows(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match=f"{FILEREPORT}.*SRP033351", status=503, times=None))
    geo_env.add_fault(
        FaultRule(match=f"{FILEREPORT}.*SRP052056", status=429, retry_after="0", times=None)
    )
    res = geo_nb.fetch(SERIES, runs=True, files=False, progress=False, max_attempts=2)
    assert len(res.runs) == 38 and set(res.runs.source) == {"ncbi"}
    assert res.runs.sra_url.notna().all()
    kinds = res.errors.groupby("accession").kind.apply(sorted).to_dict()
    assert kinds == {
        "GSE52778": ["runs_incomplete", "unavailable"],
        "GSE64912": ["rate_limited", "runs_incomplete"],
    }
    message = res.errors[res.errors.kind == "rate_limited"].message.iloc[0]
    assert "ENA (" in message and "429" in message and "NCBI_API_KEY" not in message
    assert len(ena_requests(geo_env, "SRP033351")) == 2


def test_an_ena_html_page_with_status_200_is_never_data(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match=FILEREPORT, status=200, body=ERROR_PAGE, times=None))
    res = geo_nb.fetch("GSE52778", runs=True, files=False, progress=False)
    assert len(res.runs) == 16 and set(res.runs.source) == {"ncbi"}
    assert all(urls == [] for urls in res.runs.fastq_urls)
    rows = res.errors.set_index("kind")
    assert "HTML page" in rows.loc["unexpected_response", "message"]
    assert "ENA could not be asked" in rows.loc["runs_incomplete", "message"]
    assert res.files[res.files.level == "run"].empty
    # A later fetch asks again: the error page was not cached as an empty report.
    geo_env.clear_faults()
    again = geo_nb.fetch("GSE52778", runs=True, files=False, progress=False, refresh=False)
    assert again.runs.source.tolist().count("ena") == 1


def test_ncbi_failing_keeps_what_ena_knows(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="db=sra", status=503, times=None))
    res = geo_nb.fetch("GSE52778", runs=True, files=False, progress=False, max_attempts=2)
    assert list(res.runs.run) == ["SRR1039508"] and res.runs.source[0] == "ena"
    assert res.runs.sample_accession[0] == "GSM1275862"
    assert list(res.errors.kind) == ["unavailable"]
    assert "NCBI's SRA run info could not be read" in res.errors.message[0]


def test_a_bot_challenge_instead_of_run_info(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="efetch.fcgi", action="challenge", times=None))
    res = geo_nb.fetch("GSE52778", runs=True, files=False, progress=False)
    assert list(res.errors.kind) == ["unexpected_response"]
    assert "HTML" in res.errors.message[0]
