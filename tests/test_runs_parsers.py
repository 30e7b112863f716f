"""Run info, ENA file reports and PubMed summaries: the parsers, on real recorded bodies."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from geo_nb.errors import ParseError, UnexpectedResponseError, WrongFormatError
from geo_nb.ncbi.ena import fastq_url, parse_filereport
from geo_nb.ncbi.pubmed import publication
from geo_nb.ncbi.sra import BATCH, parse_runinfo, terms
from geo_nb.records import Publication, Run
from geo_nb.runframes import PUBLICATION_COLUMNS, RUN_COLUMNS, publications_frame, runs_frame

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "geo_nb" / "testing" / "data"
RUNINFO = DATA / "sra" / "runinfo"


def test_runinfo_of_every_vintage_reads_the_same() -> None:
    old = parse_runinfo((ROOT / "tests/data/sra/SRP001537_old_header.csv").read_text())
    new = parse_runinfo((RUNINFO / "SRP001537_GSE18508.csv").read_text())
    assert len(old) == len(new) == 207
    assert {r.run for r in old} == {r.run for r in new}
    paired = sorted(r.run for r in new if r.library_layout == "PAIRED")
    assert paired == sorted(r.run for r in old if r.library_layout == "PAIRED") and len(paired) == 8
    by_run = {r.run: r for r in new}
    # Quoted dates with a comma ("Dec 16, 2009") are one field, read as a date.
    assert by_run["SRR031758"].released == dt.datetime(2009, 12, 16)
    assert by_run["SRR031758"].sample_name == "GSM461197"
    # The old layout's BioProject cell is "GEO Series accession: GSE18508": not a project.
    assert {r.bioproject for r in old} == {""} and {r.bioproject for r in new} == {"PRJNA168994"}
    assert {r.experiment for r in new if r.sample_name == "GSM461177"} == {"SRX014459"}


def test_runinfo_quoted_commas_and_trailing_blank_lines() -> None:
    text = (RUNINFO / "SRP675219_GSE318685.csv").read_text()
    assert '"GYNECOLOGY AND OBSTETRICS, KINDAI UNIVERSITY"' in text
    rows = parse_runinfo(text)
    assert len(rows) == 10 and rows[0].library_layout == "PAIRED"
    assert rows[0].instrument == "Illumina NovaSeq X Plus" and rows[0].spots == 23987741
    airway = (RUNINFO / "SRP033351_GSE52778.csv").read_text()
    assert airway.endswith("\n\n") and len(parse_runinfo(airway)) == 16
    assert parse_runinfo(airway + "\n\n\n") == parse_runinfo(airway)
    assert parse_runinfo("") == [] and parse_runinfo("\n\n") == [] and parse_runinfo(",,\n") == []


def test_runinfo_that_is_not_runinfo() -> None:
    with pytest.raises(UnexpectedResponseError, match="HTML or XML page"):
        parse_runinfo("<!DOCTYPE html><html><title>Just a moment...</title></html>")
    with pytest.raises(UnexpectedResponseError):
        parse_runinfo('<?xml version="1.0" ?>\n<eFetchResult><ERROR>x</ERROR></eFetchResult>')
    with pytest.raises(ParseError, match="not run info"):
        parse_runinfo("accession,title\nGSE1,x\n")


def test_runinfo_with_bare_carriage_returns_or_unreadable_csv() -> None:
    airway = (RUNINFO / "SRP033351_GSE52778.csv").read_text()
    expected = parse_runinfo(airway)
    # The same answer with \r\n or bare \r line ends (a re-saved copy) reads the same.
    assert parse_runinfo(airway.replace("\n", "\r\n")) == expected
    assert parse_runinfo(airway.replace("\n", "\r")) == expected
    # What the csv module cannot read is a ParseError (a typed error row), not csv.Error.
    with pytest.raises(ParseError, match="not readable CSV"):
        parse_runinfo("Run,Experiment\nSRR1," + "x" * 200_000 + "\n")


def test_terms_are_batched_by_200() -> None:
    names = [f"SRX{n}" for n in range(450)] + ["srx1", " SRX2 "]
    batches = terms(names)
    assert [b.count("[accn]") for b in batches] == [BATCH, BATCH, 50]
    assert batches[0].startswith("SRX0[accn] OR SRX1[accn] OR ")
    assert terms([]) == []


def test_ena_report_of_a_paired_run_with_md5() -> None:
    (run,) = parse_filereport((DATA / "ena/filereport/SRR8426358.tsv").read_text(), "SRR8426358")
    assert run.run == "SRR8426358"
    assert run.fastq_urls == (
        "https://ftp.sra.ebi.ac.uk/vol1/fastq/SRR842/008/SRR8426358/SRR8426358_1.fastq.gz",
        "https://ftp.sra.ebi.ac.uk/vol1/fastq/SRR842/008/SRR8426358/SRR8426358_2.fastq.gz",
    )
    assert run.fastq_bytes == (5507959060, 7194107512)
    assert run.fastq_md5 == ("be7e88cf6f6fd90f1b1170f1cb367123", "2124da22644d876c4caa92ffd9e2402e")


def test_ena_report_without_fastq_and_with_many_fields() -> None:
    (empty,) = parse_filereport((DATA / "ena/filereport/SRR6835844.tsv").read_text(), "x")
    assert (empty.run, empty.fastq_urls, empty.fastq_md5) == ("SRR6835844", (), ())
    (full,) = parse_filereport((DATA / "ena/filereport/SRR13191702.tsv").read_text(), "x")
    assert (full.experiment, full.study, full.bioproject) == (
        "SRX9626017",
        "SRP295653",
        "PRJNA682076",
    )
    assert (full.library_layout, full.read_count, full.base_count) == ("PAIRED", 91, 45682)
    assert full.fastq_bytes == (15420, 16324)
    browser = parse_filereport((DATA / "ena/filereport/PRJNA727602.tsv").read_text(), "x")
    assert len(browser) == 40 and all(len(r.fastq_urls) == 2 for r in browser)
    assert all(r.fastq_bytes == (None, None) and r.fastq_md5 == () for r in browser)


def test_ena_lists_ending_in_a_separator_name_no_extra_file() -> None:
    # ENA's 2017 warehouse report ends a paired run's lists with ";" (DRR001622).
    text = (ROOT / "tests/data/sra/DRP000366_ena_warehouse_filereport.tsv").read_text()
    assert "DRR001622_2.fastq.gz;\t" in text
    runs = {r.run: r for r in parse_filereport(text, "DRP000366")}
    assert len(runs) == 10
    paired = runs["DRR001622"]
    assert [u.rsplit("/", 1)[1] for u in paired.fastq_urls] == [
        "DRR001622_1.fastq.gz",
        "DRR001622_2.fastq.gz",
    ]
    assert paired.fastq_bytes == (1016339097, 1037181807)
    assert paired.fastq_md5 == (
        "5710dc7e796b6d6da0915959af045d70",
        "df0107fa5394c037a8814d41317a4aeb",
    )
    single = runs["DRR000897"]
    assert len(single.fastq_urls) == 1 and single.fastq_bytes == (759277378,)
    # An empty slot inside the lists names no file either; the others keep their facts.
    header = "run_accession\tfastq_ftp\tfastq_bytes\tfastq_md5\n"
    (gap,) = parse_filereport(header + "SRR1\ta/SRR1_1.fq.gz;;a/SRR1_2.fq.gz\t1;;2\tm1;;m2\n", "x")
    assert [u.rsplit("/", 1)[1] for u in gap.fastq_urls] == ["SRR1_1.fq.gz", "SRR1_2.fq.gz"]
    assert gap.fastq_bytes == (1, 2) and gap.fastq_md5 == ("m1", "m2")
    # A last value that is really empty keeps its slot: the lists stay aligned.
    (blank,) = parse_filereport(header + "SRR1\ta/1.fq.gz;a/2.fq.gz\t1;\tm1;\n", "x")
    assert blank.fastq_bytes == (1, None) and blank.fastq_md5 == ("m1", "")
    # Only one list ending in ";" (here the sizes) is still one size per file.
    (mixed,) = parse_filereport(header + "SRR1\ta/1.fq.gz;a/2.fq.gz\t1;2;\tm1;m2\n", "x")
    assert mixed.fastq_bytes == (1, 2) and len(mixed.fastq_urls) == 2


def test_ena_answers_that_are_not_reports() -> None:
    assert parse_filereport("", "SRP1") == [] and parse_filereport("\n", "SRP1") == []
    assert parse_filereport("run_accession\tfastq_ftp\n", "SRP1") == []
    with pytest.raises(UnexpectedResponseError, match="HTML page"):
        parse_filereport("  <!DOCTYPE html><html>maintenance</html>", "SRP1")
    with pytest.raises(WrongFormatError):
        parse_filereport('{"message": "Invalid accession"}', "SRP1")
    with pytest.raises(ParseError, match="2 FASTQ file"):
        parse_filereport("run_accession\tfastq_ftp\tfastq_md5\nSRR1\ta/x_1.fq;a/x_2.fq\tab\n", "x")


def test_fastq_urls_are_https_on_the_configured_base() -> None:
    path = "ftp.sra.ebi.ac.uk/vol1/fastq/SRR103/008/SRR1039508/SRR1039508_1.fastq.gz"
    assert fastq_url(path, "http://127.0.0.1:9/") == (
        "http://127.0.0.1:9/vol1/fastq/SRR103/008/SRR1039508/SRR1039508_1.fastq.gz"
    )
    assert fastq_url("ftp://" + path).startswith("https://ftp.sra.ebi.ac.uk/vol1/")
    assert fastq_url("ftp.dcc.example.org/x.fq.gz") == "https://ftp.dcc.example.org/x.fq.gz"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "28806736.json",
            ("PloS one", 2017, "10.1371/journal.pone.0182390", "Nicholas SE", "Karamichos D"),
        ),
        (
            "27933103.json",
            ("Journal of cheminformatics", 2016, "10.1186/s13321-016-0181-z", "Scalfani VF",
             "Bara JE"),
        ),
    ],
)  # fmt: skip
def test_publication_from_a_recorded_summary(name: str, expected: tuple[object, ...]) -> None:
    body = json.loads((DATA / "pubmed" / name).read_text())
    doc = body["result"][body["result"]["uids"][0]]
    article = publication(doc, ["GSE1"])
    got = (article.journal, article.year, article.doi, article.first_author, article.last_author)
    assert got == expected
    assert article.title == doc["title"] and article.series_accessions == ["GSE1"]


def test_frames_have_their_columns_and_dtypes_even_empty() -> None:
    empty = runs_frame([])
    assert list(empty.columns) == list(RUN_COLUMNS) and empty.empty
    frame = runs_frame([Run(run="SRR1", fastq_urls=["u1", "u2"], fastq_bytes=[1, None])])
    assert frame.fastq_urls[0] == ["u1", "u2"] and frame.fastq_bytes[0] == [1, None]
    assert str(frame.spots.dtype) == "Int64" and str(frame.published.dtype) == "datetime64[ns]"
    pubs = publications_frame([Publication(pmid="1", series_accessions=["GSE1"], year=2020)])
    assert list(pubs.columns) == list(PUBLICATION_COLUMNS) and pubs.year[0] == 2020
