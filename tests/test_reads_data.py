"""Recorded SRA/ENA/PubMed data, the matrix -> SOFT conversion, and the emulator serving them."""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
from pathlib import Path

import httpx
import pytest

from geo_nb.ncbi.sra import parse_runinfo
from geo_nb.testing import NCBIEmulator
from geo_nb.testing.matrixsoft import convert_matrix, main
from geo_nb.testing.sra import RUNINFO_HEADER, SraStore

DATA = Path(__file__).resolve().parents[1] / "geo_nb" / "testing" / "data"
MATRICES = {
    "GSE52778": DATA / "ftp/geo/series/GSE52nnn/GSE52778/matrix/GSE52778_series_matrix.txt.gz",
    "GSE64912": DATA / "ftp/geo/series/GSE64nnn/GSE64912/matrix/GSE64912_series_matrix.txt.gz",
}
FASTQ = DATA / "ena/files/vol1/fastq/SRR103/008/SRR1039508"
ESEARCH = "/entrez/eutils/esearch.fcgi"
EFETCH = "/entrez/eutils/efetch.fcgi"
ESUMMARY = "/entrez/eutils/esummary.fcgi"
FILEREPORT = "/ena/portal/api/filereport"


def provenance() -> dict[str, list[str]]:
    with (DATA / "PROVENANCE.tsv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle, delimiter="\t"))
    return {row[0]: row for row in rows[1:]}


@pytest.mark.parametrize("series", sorted(MATRICES))
def test_bundled_records_are_the_converters_output(series: str) -> None:
    records = convert_matrix(MATRICES[series])
    assert next(iter(records)) == series
    for accession, text in records.items():
        assert (DATA / "records" / f"{accession}.soft").read_bytes() == text.encode(), accession


def test_conversion_keeps_every_matrix_value(tmp_path: Path) -> None:
    records = convert_matrix(MATRICES["GSE52778"])
    assert len(records) == 17
    series = records["GSE52778"].splitlines()
    assert series[0] == "^SERIES = GSE52778"
    assert series.count("!Series_pubmed_id = 24926665") == 1
    assert sum(line.startswith("!Series_sample_id = GSM") for line in series) == 16
    assert "!Series_sample_organism = Homo sapiens" in series
    assert "!Series_relation = SRA: https://www.ncbi.nlm.nih.gov/sra?term=SRP033351" in series
    sample = records["GSM1275875"].splitlines()
    assert "!Sample_relation = SRA: https://www.ncbi.nlm.nih.gov/sra?term=SRX384358" in sample
    assert "!Sample_characteristics_ch1 = treatment: Dexamethasone" in sample
    assert sample[-1] == "!Sample_series_id = GSE52778"
    # The command line writes the same files.
    assert main([str(MATRICES["GSE52778"]), str(tmp_path)]) == 0
    assert (tmp_path / "GSM1275875.soft").read_text() == records["GSM1275875"]
    assert main([]) == 2


def test_every_new_data_file_has_provenance_and_synthetic_ones_say_so() -> None:
    known = provenance()
    folders = ("sra", "ena", "pubmed")
    files = [p for folder in folders for p in (DATA / folder).rglob("*") if p.is_file()]
    files += list(MATRICES.values())
    assert len(files) >= 14
    for path in files:
        rel = path.relative_to(DATA).as_posix()
        assert rel in known, f"{rel} has no PROVENANCE.tsv line"
        if "SYNTHETIC" in rel or rel.startswith("ena/files/"):
            assert "SYNTHETIC" in known[rel][4], rel


def test_the_synthetic_report_describes_the_synthetic_files() -> None:
    lines = (DATA / "ena/filereport/SRP033351.SYNTHETIC.tsv").read_text().splitlines()
    row = dict(zip(lines[0].split("\t"), lines[1].split("\t"), strict=True))
    names = [p.rsplit("/", 1)[-1] for p in row["fastq_ftp"].split(";")]
    md5s, sizes = row["fastq_md5"].split(";"), row["fastq_bytes"].split(";")
    for name, md5, size in zip(names, md5s, sizes, strict=True):
        body = (FASTQ / name).read_bytes()
        assert hashlib.md5(body).hexdigest() == md5 and len(body) == int(size)
        reads = gzip.decompress(body).decode().splitlines()
        assert reads[0].startswith("@SRR1039508.1 synthetic read") and len(reads) == 100
    # Its facts are the real NCBI run info's.
    runinfo = (DATA / "sra/runinfo/SRP033351_GSE52778.csv").read_text()
    real = {r.run: r for r in parse_runinfo(runinfo)}["SRR1039508"]
    assert (row["experiment_accession"], row["read_count"]) == (real.experiment, str(real.spots))


def test_recorded_runinfo_matches_the_series_records() -> None:
    for series, study in (("GSE52778", "SRP033351"), ("GSE64912", "SRP052056")):
        rows = parse_runinfo(next((DATA / "sra/runinfo").glob(f"{study}_*.csv")).read_text())
        sample_srx = {}
        for line in (DATA / "records" / f"{series}.soft").read_text().splitlines():
            if line.startswith("!Series_sample_id = "):
                gsm = line.split(" = ")[1]
                text = (DATA / "records" / f"{gsm}.soft").read_text()
                sample_srx[gsm] = text.split("sra?term=")[1].split()[0]
        assert {r.sample_name: r.experiment for r in rows} == sample_srx
        assert {r.library_layout for r in rows} == {"PAIRED"}


# ---- the emulator ---------------------------------------------------------------------------


@pytest.fixture
def client(ncbi_emulator: NCBIEmulator) -> httpx.Client:
    ncbi_emulator.enforce_rate_limit = False
    with httpx.Client(base_url=ncbi_emulator.base_url) as http:
        yield http  # type: ignore[misc]


def test_sra_esearch_and_efetch_from_the_history(client: httpx.Client) -> None:
    params = {"db": "sra", "retmode": "json", "usehistory": "y", "retmax": "0"}
    first = client.post(ESEARCH, data={**params, "term": "SRP033351[accn] OR SRX0[accn]"}).json()
    result = first["esearchresult"]
    assert result["count"] == "16" and result["idlist"] == []
    assert result["translationstack"][-1] == "OR"
    assert result["querytranslation"] == "SRP033351[Accession] OR SRX0[Accession]"
    webenv = result["webenv"]
    second = client.post(
        ESEARCH, data={**params, "term": "SRX839525[accn]", "WebEnv": webenv}
    ).json()["esearchresult"]
    assert (second["count"], second["querykey"], second["webenv"]) == ("1", "2", webenv)
    joined = client.post(ESEARCH, data={**params, "term": "#1 OR #2", "WebEnv": webenv}).json()
    assert joined["esearchresult"]["count"] == "17"
    body = client.post(
        EFETCH,
        data={"db": "sra", "rettype": "runinfo", "retmode": "text", "WebEnv": webenv,
              "query_key": joined["esearchresult"]["querykey"], "retmax": "10000"},
    ).text  # fmt: skip
    assert body.endswith("\n\n")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0] == RUNINFO_HEADER and len([r for r in rows[1:] if r]) == 17
    nothing = client.post(ESEARCH, data={**params, "term": "SRP999999[accn]"}).json()
    assert nothing["esearchresult"]["warninglist"]["outputmessages"] == ["No items found."]
    assert nothing["esearchresult"]["errorlist"]["phrasesnotfound"] == ["SRP999999"]


def test_sra_uids_are_experiments(client: httpx.Client) -> None:
    """A term naming one run finds its experiment, and efetch returns all its runs."""
    found = client.get(
        ESEARCH, params={"db": "sra", "retmode": "json", "term": "SRR545599", "retmax": "5"}
    ).json()["esearchresult"]
    body = client.get(
        EFETCH, params={"db": "sra", "rettype": "runinfo", "id": ",".join(found["idlist"])}
    ).text
    assert len(parse_runinfo(body)) == 7


def test_ena_filereport_fields_and_errors(client: httpx.Client) -> None:
    fields = "run_accession,fastq_ftp,fastq_md5,fastq_bytes"
    report = client.get(
        FILEREPORT, params={"accession": "SRR8426358", "result": "read_run", "fields": fields}
    )
    assert report.status_code == 200
    header, row = report.text.splitlines()
    assert header.split("\t") == fields.split(",")
    assert row.startswith("SRR8426358\tftp.sra.ebi.ac.uk/vol1/fastq/SRR842/008/")
    by_study = client.get(
        FILEREPORT,
        params={"accession": "SRP033351", "result": "read_run", "fields": "experiment_accession"},
    ).text
    assert by_study == "run_accession\texperiment_accession\nSRR1039508\tSRX384345\n"
    none = client.get(FILEREPORT, params={"accession": "SRP052056", "result": "read_run"})
    assert (none.status_code, none.text) == (200, "")
    bad = client.get(
        FILEREPORT, params={"accession": "SRP033351", "result": "read_run", "fields": "nope"}
    )
    assert (bad.status_code, bad.text) == (400, "Invalid fieldName(s) supplied: nope")


def test_ena_serves_fastq_files_with_ranges(client: httpx.Client) -> None:
    path = "/vol1/fastq/SRR103/008/SRR1039508/SRR1039508_1.fastq.gz"
    whole = client.get(path)
    assert whole.content == (FASTQ / "SRR1039508_1.fastq.gz").read_bytes()
    part = client.get(path, headers={"Range": "bytes=100-"})
    assert part.status_code == 206 and part.content == whole.content[100:]
    assert client.get("/vol1/fastq/nothing.fastq.gz").status_code == 404


def test_pubmed_esummary(client: httpx.Client) -> None:
    body = client.get(
        ESUMMARY, params={"db": "pubmed", "retmode": "json", "id": "28806736,1,27933103"}
    ).json()["result"]
    assert body["uids"] == ["28806736", "1", "27933103"]
    assert body["28806736"]["source"] == "PLoS One"
    assert body["1"] == {"uid": "1", "error": "cannot get document summary"}


def test_sra_store_clone_and_remove() -> None:
    store = SraStore(DATA)
    store.clone(lambda v: v.replace("SRR1039508", "SRR9").replace("SRX384345", "SRX9"),
                ["SRR1039508"])  # fmt: skip
    assert [r["Run"] for r in store.rows(store.search("SRX9"))] == ["SRR9"]
    store.remove_run("SRR9")
    assert store.search("SRX9") == []
