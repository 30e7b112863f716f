"""The NCBI emulator itself, over real sockets: E-utilities, acc.cgi, FTP tree, faults."""

from __future__ import annotations

import gzip
import json
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from geo_nb.testing import DataStore, FaultRule, NCBIEmulator
from geo_nb.testing.ftp import strfsize
from geo_nb.testing.ratelimit import RateLimiter

DATA = Path(__file__).resolve().parents[1] / "geo_nb" / "testing" / "data"
ESEARCH = "/entrez/eutils/esearch.fcgi"
ESUMMARY = "/entrez/eutils/esummary.fcgi"
ACC = "/geo/query/acc.cgi"
ALL_GSE = {"GSE146583", "GSE138657", "GSE146537", "GSE150868", "GSE99709", "GSE105845", "GSE93374"}
GSE146537_SAMPLES = [f"GSM43918{n}" for n in range(96, 100)] + ["GSM4391900", "GSM4391901"]


# The recordings these tests pin their expectations to. The bundled data set grows (the
# offline demo adds series), so the tests serve a fixed copy holding just these.
CORE_RECORDS = {
    "GSE105845",
    "GSE138657",
    "GSE146537",
    "GSE146583",
    "GSE150868",
    "GSE99709",
    "GPL13112",
    "GSM11805",
    "GSM2795971",
    "GSM32878",
    *(f"GSM43918{n}" for n in range(96, 100)),
    "GSM4391900",
    "GSM4391901",
    *(f"GSM45599{n}" for n in range(21, 56)),
}
CORE_FTP = {"series/GSE27nnn", "series/GSE99nnn", "datasets/GDSnnn"}


@pytest.fixture(scope="session")
def core_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the bundled data restricted to CORE_RECORDS and CORE_FTP."""
    root = tmp_path_factory.mktemp("core-data") / "data"
    shutil.copytree(DATA, root)
    for record in (root / "records").iterdir():
        if record.name.split(".")[0] not in CORE_RECORDS:
            record.unlink()
    for kind in (root / "ftp" / "geo").iterdir():
        for bucket in kind.iterdir():
            if f"{kind.name}/{bucket.name}" not in CORE_FTP:
                shutil.rmtree(bucket)
    return root


@pytest.fixture
def emu(core_data: Path) -> Iterator[NCBIEmulator]:
    """An emulator on the core recordings, without the rate limiter (tests make many calls)."""
    with NCBIEmulator(core_data, enforce_rate_limit=False) as emulator:
        yield emulator


@pytest.fixture
def client(emu: NCBIEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=emu.base_url, timeout=10) as http:
        yield http


def esearch(client: httpx.Client, term: str, **params: str | int) -> dict[str, object]:
    response = client.get(ESEARCH, params={"db": "gds", "retmode": "json", "term": term, **params})
    assert response.status_code == 200
    result: dict[str, object] = response.json()["esearchresult"]
    return result


def accessions(client: httpx.Client, term: str) -> set[str]:
    ids = esearch(client, term, retmax=10000)["idlist"]
    assert isinstance(ids, list)
    if not ids:
        return set()
    body = client.post(ESUMMARY, data={"db": "gds", "retmode": "json", "id": ",".join(ids)})
    result = body.json()["result"]
    return {result[uid]["accession"] for uid in result["uids"]}


def acc(client: httpx.Client, accession: str, **params: str) -> httpx.Response:
    return client.get(ACC, params={"acc": accession, "form": "text", **params})


# ---- E-utilities: esearch ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("GSE146537[ACCN]", {"GSE146537", *GSE146537_SAMPLES}),
        ("gse146537[GEO Accession] AND gse[ETYP]", {"GSE146537"}),
        ("gse[ETYP]", ALL_GSE),
        ("gpl[Entry Type]", {"GPL13112"}),
        ('"Mus musculus"[ORGN] AND gse[ETYP]', {"GSE99709", "GSE93374", "GSE146583"}),
        ("mus musculus[orgn] AND gpl[etyp]", {"GPL13112"}),
        ('"non-coding rna"[GTYP]', {"GSE105845"}),
        ("2021[PDAT] AND gse[ETYP]", {"GSE146537", "GSE146583", "GSE138657"}),
        ("2021/11[PDAT] AND gse[ETYP]", {"GSE146537", "GSE146583"}),
        ("2017/01/01:2017/12/31[PDAT] AND gse[ETYP]", {"GSE99709", "GSE93374", "GSE105845"}),
        ('("2021/10/01"[PDAT] : "2021/10/31"[PDAT])', {"GSE138657"}),
        ("30:40[NSAM]", {"GSE150868"}),
        ("6[NSAM]", {"GSE146537"}),
        ("bw[SFIL]", {"GSE146537", "GSE146583", *GSE146537_SAMPLES}),
        ("xlsx[SFIL]", {"GSE99709"}),
        ("SETD2[TITL] AND gse[ETYP]", {"GSE146537", "GSE146583"}),
        ("Stat3[DESC]", {"GSE99709"}),
        ("ccRCC AND gse[ETYP]", {"GSE146537"}),
        ('"Drop-seq and single cell"', {"GSE93374"}),
        ("Stat3[TITL] OR ENCODE[ALL]", {"GSE99709", "GSE105845"}),
        ('gse[ETYP] NOT "Homo sapiens"[ORGN]', {"GSE99709", "GSE93374", "GSE105845"}),
        ("(SETD2[TITL] OR Stat3[DESC]) AND gse[ETYP]", {"GSE146537", "GSE146583", "GSE99709"}),
        ("SETD2 metastasis AND gse[ETYP]", {"GSE146537", "GSE146583"}),
        ("Homo sapiens[ORGN] AND 2022[PDAT] AND gse[ETYP]", {"GSE150868"}),
        # [Filter] is a known field: "gds sra" keeps the series that link SRA data.
        ('SETD2[TITL] AND gse[ETYP] AND "gds sra"[Filter]', {"GSE146537"}),
        # Of the core series only GSE99709 has counts files (GSE211781's records are not core).
        ('"rnaseq counts"[Filter]', {"GSE99709"}),
        ('"rnaseq counts"[Filter] AND "Mus musculus"[ORGN]', {"GSE99709"}),
        ("zzzzqqqqxx", set()),
    ],
)
def test_esearch_filters(client: httpx.Client, term: str, expected: set[str]) -> None:
    assert accessions(client, term) == expected


@pytest.mark.parametrize(
    ("term", "translation"),
    [
        (
            'ATAC-seq AND "Homo sapiens"[ORGN] AND gse[ETYP]',
            'ATAC-seq[All Fields] AND "Homo sapiens"[Organism] AND gse[Entry Type]',
        ),
        ("SETD2[TITL] AND foo[NOPE]", "SETD2[Title]"),
        ("a OR b AND c", "(a[All Fields] OR b[All Fields]) AND c[All Fields]"),
        ("a AND (b OR c[DESC])", "a[All Fields] AND (b[All Fields] OR c[Description])"),
        ("2020:2021[pdat]", '("2020"[Publication Date] : "2021"[Publication Date])'),
        (
            "20:200[NSAM] AND cel[SFIL]",
            '("20"[Number of Samples] : "200"[Number of Samples]) AND cel[Supplementary Files]',
        ),
        ("x[GTYP] y[ACCN]", "x[DataSet Type] AND y[GEO Accession]"),
    ],
)
def test_querytranslation(client: httpx.Client, term: str, translation: str) -> None:
    assert esearch(client, term)["querytranslation"] == translation


def test_translation_is_accepted_back_as_a_term(client: httpx.Client) -> None:
    first = esearch(client, '2021[PDAT] AND Homo sapiens[ORGN] AND "gse"[ETYP]')
    second = esearch(client, str(first["querytranslation"]))
    assert second["idlist"] == first["idlist"]
    assert second["querytranslation"] == first["querytranslation"]


def test_esearch_body_has_ncbi_shape(client: httpx.Client) -> None:
    text = client.get(
        ESEARCH, params={"db": "gds", "retmode": "json", "term": "GSE93374[ACCN]", "retmax": 1}
    ).text
    body = json.loads(text)
    assert body["header"] == {"type": "esearch", "version": "0.3"}
    result = body["esearchresult"]
    assert list(result) == [
        "count", "retmax", "retstart", "idlist", "translationset", "translationstack",
        "querytranslation",
    ]  # fmt: skip
    assert result["idlist"] == ["200093374"]
    assert result["translationstack"] == [
        {"term": "GSE93374[GEO Accession]", "field": "GEO Accession", "count": "1", "explode": "N"},
        "GROUP",
    ]
    assert '        "translationset": [\n        ],\n' in text
    assert text.startswith('{\n    "header": {\n        "type": "esearch",')
    assert text.endswith("}\n\n")


def test_esearch_no_hits_reports_errorlist(client: httpx.Client) -> None:
    result = esearch(client, "zzzzqqqqxx AND gse[ETYP]")
    assert result["count"] == "0"
    assert result["idlist"] == []
    assert result["errorlist"] == {"phrasesnotfound": ["zzzzqqqqxx"], "fieldsnotfound": []}
    assert result["warninglist"]["outputmessages"] == ["No items found."]  # type: ignore[index]


def test_esearch_paging_with_retstart(client: httpx.Client) -> None:
    full = esearch(client, "gse[ETYP]", retmax=100)
    ids = full["idlist"]
    assert isinstance(ids, list)
    assert ids == sorted(ids, key=int, reverse=True)
    assert full["count"] == str(len(ALL_GSE))
    pages = [esearch(client, "gse[ETYP]", retmax=3, retstart=start) for start in (0, 3, 6)]
    assert [p["retstart"] for p in pages] == ["0", "3", "6"]
    assert [p["retmax"] for p in pages] == ["3", "3", "1"]
    assert [uid for p in pages for uid in p["idlist"]] == ids  # type: ignore[attr-defined]


def test_history_paging_with_esummary(client: httpx.Client) -> None:
    found = esearch(client, "GSE150868[ACCN]", usehistory="y", retmax=0)
    assert found["count"] == "36"
    assert found["idlist"] == []
    assert found["querykey"] == "1"
    webenv = found["webenv"]
    assert isinstance(webenv, str) and webenv.startswith("MCID_")
    seen: list[str] = []
    for start in range(0, 36, 10):
        params = {"db": "gds", "retmode": "json", "query_key": "1", "WebEnv": webenv}
        page = client.get(ESUMMARY, params={**params, "retstart": start, "retmax": 10}).json()
        seen += page["result"]["uids"]
    assert len(seen) == 36
    assert seen == sorted(seen, key=int, reverse=True)
    assert seen[-1] == "200150868"
    again = esearch(client, "gse[ETYP]", usehistory="y", WebEnv=webenv)
    assert (again["webenv"], again["querykey"]) == (webenv, "2")


def test_esummary_unknown_webenv_is_an_error(client: httpx.Client) -> None:
    params = {"db": "gds", "retmode": "json", "query_key": "1", "WebEnv": "MCID_nope"}
    body = client.get(ESUMMARY, params=params).json()
    assert "result" not in body
    assert body["esummaryresult"]


def test_esummary_get_and_post(client: httpx.Client) -> None:
    params = {"db": "gds", "retmode": "json", "id": "200146537,304391896,999"}
    got = client.get(ESUMMARY, params=params).json()
    posted = client.post(ESUMMARY, data=params).json()
    assert got == posted
    result = got["result"]
    assert result["uids"] == ["200146537", "304391896", "999"]
    assert result["999"] == {"uid": "999", "error": "cannot get document summary"}
    assert result["304391896"]["entrytype"] == "GSM"
    assert result["304391896"]["gse"] == "146537;146583"


def test_recorded_docsum_is_served_verbatim(client: httpx.Client) -> None:
    recorded = json.loads((DATA / "docsums" / "GSE93374.json").read_text())
    params = {"db": "gds", "retmode": "json", "id": "200093374"}
    assert client.get(ESUMMARY, params=params).json()["result"]["200093374"] == recorded


def test_derived_series_docsum(client: httpx.Client) -> None:
    params = {"db": "gds", "retmode": "json", "id": "200146537"}
    doc = client.get(ESUMMARY, params=params).json()["result"]["200146537"]
    recorded = json.loads((DATA / "docsums" / "GSE93374.json").read_text())
    assert list(doc) == list(recorded)
    assert doc["gpl"] == "16791"
    assert doc["gse"] == "146537"
    assert doc["taxon"] == "Homo sapiens"
    assert doc["pdat"] == "2021/11/15"
    assert doc["suppfile"] == "BW, TAR"
    assert doc["n_samples"] == 6
    assert doc["samples"][0] == {
        "accession": "GSM4391896",
        "title": "ATAC-Seq JHRCC12_SETD2_mut_rep1",
    }
    assert doc["extrelations"] == [
        {"relationtype": "SRA", "targetobject": "SRP251915", "targetftplink": ""}
    ]
    assert doc["bioproject"] == "PRJNA610881"
    assert doc["pubmedids"] == ["35115713"]
    assert doc["ftplink"] == "ftp://ftp.ncbi.nlm.nih.gov/geo/series/GSE146nnn/GSE146537/"
    text = client.get(ESUMMARY, params=params).text
    assert '"n_samples": 6,' in text
    assert re.search(r'"uid": "200146537"', text)


def test_error_envelopes(client: httpx.Client) -> None:
    empty = client.get(ESEARCH, params={"db": "gds", "retmode": "json", "term": ""}).json()
    assert empty["esearchresult"] == {"ERROR": "Empty term and query_key - nothing todo"}
    assert empty["header"]["type"] == "esearch"
    wrong_db = client.get(ESEARCH, params={"db": "pubmed", "retmode": "json", "term": "x"})
    assert "ERROR" in wrong_db.json()["esearchresult"]
    xml = client.get(ESEARCH, params={"db": "gds", "term": "x"})
    assert xml.headers["content-type"].startswith("text/xml")
    assert "<ERROR>" in xml.text
    no_ids = client.get(ESUMMARY, params={"db": "gds", "retmode": "json"}).json()
    assert no_ids["esummaryresult"]


def test_private_records_are_not_searchable(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.store.set_status("GSE99709", "private", "Mar 01 2031")
    assert "GSE99709" not in accessions(client, "gse[ETYP]")
    doc = client.get(ESUMMARY, params={"db": "gds", "retmode": "json", "id": "200099709"})
    assert doc.json()["result"]["200099709"]["error"] == "cannot get document summary"


# ---- E-utilities: rate limit -----------------------------------------------------------------


def test_rate_limit_without_key(ncbi_emulator: NCBIEmulator) -> None:
    params = {"db": "gds", "retmode": "json", "term": "gse[ETYP]"}
    with httpx.Client(base_url=ncbi_emulator.base_url) as http:
        responses = [http.get(ESEARCH, params=params) for _ in range(4)]
    limited = [r for r in responses if r.status_code == 429]
    assert limited
    body = limited[0].json()
    assert body["error"] == "API rate limit exceeded"
    assert body["api-key"] == "127.0.0.1"
    assert body["limit"] == "3"
    assert int(body["count"]) >= 4
    assert limited[0].headers["Retry-After"] == "1"
    assert limited[0].headers["X-RateLimit-Limit"] == "3"
    assert limited[0].headers["X-RateLimit-Remaining"] == "0"
    assert responses[0].headers["X-RateLimit-Limit"] == "3"
    assert responses[0].headers["X-RateLimit-Remaining"] == "2"
    assert ncbi_emulator.rate_limit_violations == len(limited)


def test_rate_limit_with_key(ncbi_emulator: NCBIEmulator) -> None:
    params = {"db": "gds", "retmode": "json", "term": "gse[ETYP]", "api_key": "k123"}
    with httpx.Client(base_url=ncbi_emulator.base_url) as http:
        responses = [http.get(ESEARCH, params=params) for _ in range(4)]
    assert [r.status_code for r in responses] == [200] * 4
    assert responses[-1].headers["X-RateLimit-Limit"] == "10"
    assert ncbi_emulator.rate_limit_violations == 0
    assert {r.client_key for r in ncbi_emulator.requests} == {"k123"}


def test_rate_limiter_window() -> None:
    limiter = RateLimiter()
    decisions = [limiter.check("ip", has_api_key=False, now=t) for t in (0.0, 0.1, 0.2, 0.3)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert not limiter.check("ip", has_api_key=False, now=1.05).allowed
    assert limiter.check("ip", has_api_key=False, now=1.35).allowed
    assert limiter.check("other", has_api_key=False, now=0.3).allowed
    assert limiter.violations == 2


# ---- acc.cgi ---------------------------------------------------------------------------


def test_acc_full_view_is_the_recording(client: httpx.Client) -> None:
    recorded = gzip.decompress((DATA / "records" / "GSM11805.soft.gz").read_bytes())
    response = acc(client, "GSM11805", targ="self", view="full")
    assert response.headers["content-type"] == "text/plain; charset=UTF-8"
    assert response.content == recorded


def test_split_samples_reassemble_to_the_capture(client: httpx.Client) -> None:
    response = acc(client, "GSE146537", targ="gsm", view="full")
    chunks = re.split(r"(?m)^(?=\^SAMPLE)", response.text)[1:]
    assert [c.split(" = ", 1)[1].split("\n")[0] for c in chunks] == GSE146537_SAMPLES
    files = [(DATA / "records" / f"{a}.soft").read_bytes() for a in GSE146537_SAMPLES]
    assert response.content == b"".join(files)


def test_acc_brief_drops_tables(client: httpx.Client) -> None:
    text = acc(client, "gsm11805", view="brief").text
    lines = text.splitlines()
    assert lines[0] == "^SAMPLE = GSM11805"
    assert all(line.startswith(("^", "!")) for line in lines)
    assert "!sample_table_begin" not in text
    assert "!Sample_data_row_count = 22283" in text


def test_acc_brief_adds_no_blank_line(client: httpx.Client) -> None:
    text = acc(client, "GSE99709").text
    assert text.endswith("SRP108660\r\n")
    assert "\n\n" not in text


def test_acc_quick_keeps_twenty_rows(client: httpx.Client) -> None:
    lines = acc(client, "GSM11805", view="quick").text.splitlines()
    begin, end = lines.index("!sample_table_begin"), lines.index("!sample_table_end")
    assert lines[begin + 1] == "ID_REF\tVALUE\tABS_CALL"
    assert end - begin - 2 == 20
    assert any(line.startswith("#VALUE") for line in lines)


def test_acc_data_view(client: httpx.Client) -> None:
    lines = acc(client, "GSM32878", view="data").text.splitlines()
    assert lines == [
        "^SAMPLE = GSM32878",
        "!sample_table_begin",
        "ID_REF\tFOLD_CHANGE\tPROBE1\tPROBE2\tVALUE",
        "1\t1.4\t3773\t2625\t0.157557497",
        "9182\t2.1\t495\t239\t0.316207298",
        "!sample_table_end",
    ]


def entities(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.startswith("^")]


def test_acc_targ_all_composition(client: httpx.Client) -> None:
    series = entities(acc(client, "GSE146537", targ="all").text)
    assert series == ["^SERIES = GSE146537"] + [f"^SAMPLE = {s}" for s in GSE146537_SAMPLES]
    with_platform = entities(acc(client, "GSE105845", targ="all").text)
    assert with_platform == ["^SERIES = GSE105845", "^PLATFORM = GPL13112"]
    sample = entities(acc(client, "GSM4391896", targ="all").text)
    assert sample == ["^SAMPLE = GSM4391896", "^SERIES = GSE146537", "^SERIES = GSE146583"]
    assert entities(acc(client, "GPL13112", targ="all").text) == ["^PLATFORM = GPL13112"]


def test_acc_targ_related(client: httpx.Client) -> None:
    assert entities(acc(client, "GSE146537", targ="gse").text) == ["^SERIES = GSE146537"]
    assert len(entities(acc(client, "GSE150868", targ="gsm").text)) == 35
    assert entities(acc(client, "GSE105845", targ="gpl").text) == ["^PLATFORM = GPL13112"]
    assert entities(acc(client, "GSM4391896", targ="gse").text) == [
        "^SERIES = GSE146537",
        "^SERIES = GSE146583",
    ]
    assert acc(client, "GSM4391896", targ="gpl").content == b""


@pytest.mark.parametrize(
    ("status", "date", "phrase"),
    [
        (None, None, 'Could not find a public or private accession "GSE999999"'),
        ("private", "Jan 05 2031", "is currently private and is scheduled to be released on"),
        ("withdrawn", None, "was deleted by the GEO staff"),
        ("unapproved", None, "is not yet approved by GEO curators"),
    ],
)
def test_acc_failure_pages(
    emu: NCBIEmulator, client: httpx.Client, status: str | None, date: str | None, phrase: str
) -> None:
    accession = "GSE999999" if status is None else "GSE146537"
    if status is not None:
        emu.store.set_status(accession, status, date)  # type: ignore[arg-type]
    response = acc(client, accession.lower(), targ="all")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert phrase in response.text
    assert "GEO Accession viewer" in response.text
    assert "^SERIES" not in response.text
    if date:
        assert f"released on {date}." in response.text
    emu.store.set_status(accession, "public")
    assert acc(client, accession).status_code == 200


def test_acc_landing_page_and_other_forms(client: httpx.Client) -> None:
    landing = client.get(ACC)
    captured = (DATA / "pages" / "acc_cgi_landing_page_no_accession.html").read_bytes()
    assert landing.status_code == 200
    assert landing.content == captured
    xml = client.get(ACC, params={"acc": "GSE146537", "form": "xml"})
    assert xml.status_code == 200
    assert "form=text" in xml.text
    assert "^SERIES" not in xml.text


# ---- FTP tree ----------------------------------------------------------------------------

MATRIX = "/geo/series/GSE99nnn/GSE99709/matrix/GSE99709_series_matrix.txt.gz"


def test_ftp_file_and_head(client: httpx.Client) -> None:
    data = (DATA / "ftp" / MATRIX.removeprefix("/")).read_bytes()
    response = client.get(MATRIX)
    assert response.status_code == 200
    assert response.content == data
    assert response.headers["content-length"] == str(len(data))
    assert response.headers["accept-ranges"] == "bytes"
    assert response.headers["last-modified"].endswith("GMT")
    head = client.head(MATRIX)
    assert head.status_code == 200
    assert head.headers["content-length"] == str(len(data))
    assert head.content == b""
    assert gzip.decompress(data).startswith(b"!Series_title")


def test_ftp_ranges(client: httpx.Client) -> None:
    data = client.get(MATRIX).content
    size = len(data)
    cases = {"bytes=10-19": (10, 20), "bytes=100-": (100, size), "bytes=-7": (size - 7, size)}
    for header, (start, stop) in cases.items():
        response = client.get(MATRIX, headers={"Range": header})
        assert response.status_code == 206
        assert response.content == data[start:stop]
        assert response.headers["content-range"] == f"bytes {start}-{stop - 1}/{size}"
        assert response.headers["content-length"] == str(stop - start)
    clamped = client.get(MATRIX, headers={"Range": f"bytes={size - 2}-{size + 50}"})
    assert clamped.content == data[-2:]
    unsatisfiable = client.get(MATRIX, headers={"Range": f"bytes={size}-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["content-range"] == f"bytes */{size}"


def test_virtual_files(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.store.add_virtual_file("series/GSE1nnn/GSE1563/suppl/GSE1563_RAW.tar", 150_000)
    url = "/geo/series/GSE1nnn/GSE1563/suppl/GSE1563_RAW.tar"
    full = client.get(url).content
    assert len(full) == 150_000
    assert client.get(url).content == full
    assert client.head(url).headers["content-length"] == "150000"
    for header, piece in [
        ("bytes=65530-65545", full[65530:65546]),
        ("bytes=149990-", full[149990:]),
        ("bytes=-5", full[-5:]),
    ]:
        assert client.get(url, headers={"Range": header}).content == piece
    big = client.head("/geo/series/GSE27nnn/GSE27011/suppl/GSE27011_RAW.tar")
    assert big.headers["content-length"] == "227532800"
    assert big.headers["last-modified"] == "Thu, 17 Jan 2013 15:00:00 GMT"


ROW = re.compile(r'<a href="([^"]+)">([^<]+)</a> +(\d{4}-\d\d-\d\d \d\d:\d\d) +(\S+)')


def test_autoindex_reproduces_captured_listings(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.store.add_virtual_file(
        "series/GSE10nnn/GSE10072/suppl/GSE10072_RAW.tar", 393_000_000, "2013-01-17 13:59"
    )
    emu.store.add_ftp_file(
        "series/GSE10nnn/GSE10072/suppl/filelist.txt", b"x" * 5_837, "2013-01-17 13:59"
    )
    page = client.get("/geo/series/GSE10nnn/GSE10072/suppl/").text
    assert (
        "<pre>Name                           Last modified      Size  <hr>"
        '<a href="/geo/series/GSE10nnn/GSE10072/">Parent Directory</a>'
        "                                    -\n"
        '<a href="GSE10072_RAW.tar">GSE10072_RAW.tar</a>               2013-01-17 13:59  375M\n'
        '<a href="filelist.txt">filelist.txt</a>                   2013-01-17 13:59  5.7K\n'
        "<hr></pre>\n"
        '<a href="https://www.hhs.gov/vulnerability-disclosure-policy/index.html">'
        "HHS Vulnerability Disclosure</a>\n"
    ) in page
    emu.store.add_ftp_file(
        "series/GSE185nnn/GSE185553/matrix/GSE185553_series_matrix.txt.gz",
        b"x" * 3_174,
        "2026-07-12 00:35",
    )
    captured_shape = (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n<html>\n <head>\n'
        "  <title>Index of /geo/series/GSE185nnn/GSE185553/matrix</title>\n </head>\n <body>\n"
        "<h1>Index of /geo/series/GSE185nnn/GSE185553/matrix</h1>\n"
        "<pre>Name                             Last modified      Size  <hr>"
        '<a href="/geo/series/GSE185nnn/GSE185553/">Parent Directory</a>'
        "                                      -\n"
        '<a href="GSE185553_series_matrix.txt.gz">GSE185553_series_matrix.txt.gz</a>'
        "   2026-07-12 00:35  3.1K\n<hr></pre>\n"
    )
    assert client.get("/geo/series/GSE185nnn/GSE185553/matrix/").text.startswith(captured_shape)


def test_autoindex_parses_back(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.store.add_ftp_file("series/GSE1nnn/GSE1563/suppl/a.txt", b"y" * 86, "2020-05-06 07:08")
    emu.store.add_virtual_file("series/GSE1nnn/GSE1563/suppl/b.tar", 1_288_490_189, 0.0)
    emu.store.add_ftp_file("series/GSE1nnn/GSE1563/matrix/m.txt.gz", b"z", "2021-01-01 00:00")
    rows = ROW.findall(client.get("/geo/series/GSE1nnn/GSE1563/suppl/").text)
    assert rows == [
        ("a.txt", "a.txt", "2020-05-06 07:08", "86"),
        ("b.tar", "b.tar", "1970-01-01 00:00", "1.2G"),
    ]
    page = client.get("/geo/series/GSE1nnn/GSE1563/").text
    assert "<title>Index of /geo/series/GSE1nnn/GSE1563</title>" in page
    assert '<a href="/geo/series/GSE1nnn/">Parent Directory</a>' in page
    dirs = ROW.findall(page)
    assert [(href, name, size) for href, name, _, size in dirs] == [
        ("matrix/", "matrix/", "-"),
        ("suppl/", "suppl/", "-"),
    ]
    assert dirs[0][2] == "2021-01-01 00:00"


def test_strfsize_matches_apache() -> None:
    sizes = [0, 86, 972, 973, 5_837, 3_174, 10_240, 393_000_000, 227_532_800, 1_288_490_189]
    assert [strfsize(s) for s in sizes] == [
        "  0 ", " 86 ", "972 ", "1.0K", "5.7K", "3.1K", " 10K", "375M", "217M", "1.2G",
    ]  # fmt: skip
    assert strfsize(-1) == "  - "


def test_forbidden_missing_and_redirect(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.store.add_noindex("series/GSE1nnn/GSE1563/suppl")
    forbidden = client.get("/geo/series/GSE1nnn/GSE1563/suppl/")
    assert forbidden.status_code == 403
    assert forbidden.content == (DATA / "pages" / "403_access_forbidden_no_index.html").read_bytes()
    assert 'href="suppl/"' in client.get("/geo/series/GSE1nnn/GSE1563/").text
    missing = client.get("/geo/series/GSE1nnn/GSE1564/")
    assert missing.status_code == 404
    assert "Object not found!" in missing.text
    assert client.get(MATRIX + "/").status_code == 404
    moved = client.get("/geo/series/GSE99nnn/GSE99709/matrix")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{emu.base_url}/geo/series/GSE99nnn/GSE99709/matrix/"
    assert (
        client.get("/geo/series/GSE99nnn/GSE99709/matrix", follow_redirects=True).status_code == 200
    )
    assert "<h1>Index of /geo</h1>" in client.get("/geo", follow_redirects=True).text
    assert client.get("/nothing/here").status_code == 404


def test_empty_directory_answers_403(tmp_path: Path) -> None:
    (tmp_path / "ftp" / "geo" / "series" / "GSE1nnn" / "GSE1" / "suppl").mkdir(parents=True)
    with NCBIEmulator(tmp_path) as emulator, httpx.Client(base_url=emulator.base_url) as http:
        assert http.get("/geo/series/GSE1nnn/GSE1/suppl/").status_code == 403
        assert 'href="suppl/"' in http.get("/geo/series/GSE1nnn/GSE1/").text
        assert http.get(ACC, params={"acc": "GSE146537", "form": "text"}).text.startswith(
            "<!DOCTYPE"
        )


# ---- faults ------------------------------------------------------------------------------


def test_fault_status_with_retry_after_applies_once(
    emu: NCBIEmulator, client: httpx.Client
) -> None:
    rule = emu.add_fault(FaultRule(match=r"acc\.cgi", status=503, retry_after="7"))
    failed = acc(client, "GSE146537")
    assert failed.status_code == 503
    assert failed.headers["retry-after"] == "7"
    assert acc(client, "GSE146537").status_code == 200
    assert client.get(MATRIX).status_code == 200
    assert rule.applied == 1
    assert [r.fault for r in emu.requests] == ["status", None, None]


def test_fault_times_and_order(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.add_fault(FaultRule(match="matrix", status=500, times=2))
    emu.add_fault(FaultRule(match="", status=502, times=None))
    assert [client.get(MATRIX).status_code for _ in range(4)] == [500, 500, 502, 502]
    emu.clear_faults()
    assert client.get(MATRIX).status_code == 200


def test_fault_status_body_and_eutils_429(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.add_fault(FaultRule(match="esearch", status=429, retry_after="2"))
    emu.add_fault(FaultRule(match="matrix", status=500, body=b"custom"))
    limited = client.get(ESEARCH, params={"db": "gds", "retmode": "json", "term": "x"})
    assert limited.status_code == 429
    assert limited.json()["error"] == "API rate limit exceeded"
    assert limited.headers["retry-after"] == "2"
    assert client.get(MATRIX).content == b"custom"
    assert emu.rate_limit_violations == 0


def test_fault_drop(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.add_fault(FaultRule(action="drop"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.get(MATRIX)
    assert client.get(MATRIX).status_code == 200
    assert emu.requests[0].status == 0
    assert emu.requests[0].fault == "drop"


def test_fault_truncate(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.add_fault(FaultRule(action="truncate", after_bytes=1000))
    with client.stream("GET", MATRIX) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == "3390"
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()
    record = emu.requests[0]
    assert (record.fault, record.bytes_sent, record.status) == ("truncate", 1000, 200)


def test_fault_challenge(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.add_fault(FaultRule(match="acc.cgi", action="challenge"))
    page = acc(client, "GSE146537")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "Verifying you are human" in page.text
    assert "recaptcha/enterprise.js" in page.text
    assert "^SERIES" not in page.text


def test_fault_hang(emu: NCBIEmulator) -> None:
    emu.add_fault(FaultRule(action="hang", delay=5.0))
    with httpx.Client(base_url=emu.base_url, timeout=httpx.Timeout(10, read=0.3)) as http:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            http.get(MATRIX)
        assert time.monotonic() - started < 3.0  # the read timeout, not the 5 s hang


def test_fault_probability_is_seeded(tmp_path: Path) -> None:
    def pattern(seed: int) -> list[int]:
        with NCBIEmulator(tmp_path, seed=seed) as emulator:
            emulator.add_fault(FaultRule(status=503, times=None, probability=0.5))
            with httpx.Client(base_url=emulator.base_url) as http:
                return [http.get("/geo/x").status_code for _ in range(20)]

    first = pattern(7)
    assert first == pattern(7)
    assert 3 < first.count(503) < 17
    assert set(first) == {503, 404}


def test_fault_rule_validation() -> None:
    with pytest.raises(ValueError, match="action"):
        FaultRule(action="explode")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="probability"):
        FaultRule(probability=2)


# ---- latency, bandwidth, proxy, log --------------------------------------------------------


def test_latency(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.latency = 0.25
    started = time.monotonic()
    assert client.get(MATRIX).status_code == 200
    assert time.monotonic() - started >= 0.25
    emu.latency = 0.0


def test_bandwidth(emu: NCBIEmulator, client: httpx.Client) -> None:
    emu.store.add_virtual_file("big.bin", 200_000)
    emu.bandwidth = 100_000
    started = time.monotonic()
    assert len(client.get("/geo/big.bin").content) == 200_000
    assert time.monotonic() - started >= 1.8


def send_raw(emulator: NCBIEmulator, request: bytes) -> bytes:
    with socket.create_connection((emulator.host, emulator.port), timeout=5) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def test_absolute_uri_proxy_requests(emu: NCBIEmulator) -> None:
    raw = send_raw(
        emu,
        b"GET http://ftp.ncbi.nlm.nih.gov" + MATRIX.encode() + b" HTTP/1.1\r\n"
        b"Host: ftp.ncbi.nlm.nih.gov\r\nConnection: close\r\n\r\n",
    )
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert b"Content-Length: 3390" in head
    assert b"Connection: close" in head
    assert len(body) == 3390
    soft = send_raw(
        emu,
        b"GET http://www.ncbi.nlm.nih.gov/geo/query/acc.cgi?acc=GSE99709&form=text HTTP/1.1\r\n"
        b"Host: www.ncbi.nlm.nih.gov\r\nConnection: close\r\n\r\n",
    )
    assert b"^SERIES = GSE99709" in soft
    wrong_host = send_raw(
        emu,
        b"GET http://www.ncbi.nlm.nih.gov" + MATRIX.encode() + b" HTTP/1.1\r\n"
        b"Host: www.ncbi.nlm.nih.gov\r\nConnection: close\r\n\r\n",
    )
    assert wrong_host.startswith(b"HTTP/1.1 404")
    with httpx.Client(proxy=emu.base_url) as http:
        via_proxy = http.get(
            "http://eutils.ncbi.nlm.nih.gov" + ESEARCH,
            params={"db": "gds", "retmode": "json", "term": "GSE146537[ACCN]"},
        )
    assert via_proxy.json()["esearchresult"]["count"] == "7"
    assert [r.service for r in emu.requests] == ["ftp", "acc", "other", "eutils"]


def test_keep_alive(emu: NCBIEmulator) -> None:
    request = f"GET {MATRIX} HTTP/1.1\r\nHost: x\r\n\r\n".encode()
    with socket.create_connection((emu.host, emu.port), timeout=5) as sock:
        sock.sendall(request + request)
        received = b""
        while received.count(b"HTTP/1.1 200") < 2 or len(received) < 2 * 3390:
            chunk = sock.recv(65536)
            assert chunk
            received += chunk
    assert b"Connection: close" not in received


def test_request_log(emu: NCBIEmulator, client: httpx.Client) -> None:
    response = client.post(
        ESUMMARY,
        params={"db": "gds"},
        data={"retmode": "json", "id": "200146537", "api_key": "secret"},
        headers={"User-Agent": "geo_nb-test"},
    )
    [record] = emu.requests
    assert record.method == "POST"
    assert record.path == ESUMMARY
    assert record.query == {
        "db": ["gds"],
        "retmode": ["json"],
        "id": ["200146537"],
        "api_key": ["secret"],
    }
    assert record.status == 200
    assert record.service == "eutils"
    assert record.client_key == "secret"
    assert record.fault is None
    assert record.bytes_sent == len(response.content)
    assert record.headers["User-Agent"] == "geo_nb-test"
    assert record.time <= record.end_time
    emu.clear_log()
    assert emu.requests == []


# ---- store, plugin, CLI ------------------------------------------------------------------------


def test_store_loads_and_validates(core_data: Path) -> None:
    store = DataStore(core_data)
    assert len(store.accessions()) == 51
    assert store.add_record("^SAMPLE = GSM1\n!Sample_title = a\n^SAMPLE = GSM2\n") == [
        "GSM1",
        "GSM2",
    ]
    with pytest.raises(ValueError, match="accession"):
        store.add_record("^SAMPLE = Control 1\n")
    with pytest.raises(ValueError, match="entity"):
        store.add_record("!Sample_title = orphan\n")


def test_geo_env(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    import os

    assert os.environ["GEO_NB_EUTILS_URL"] == geo_env.eutils_url
    assert os.environ["GEO_NB_ACC_URL"] == geo_env.acc_url
    assert os.environ["GEO_NB_FTP_URL"] == f"{geo_env.base_url}/geo"
    assert os.environ["GEO_NB_CACHE_DIR"] == str(tmp_path / "cache")
    assert "NCBI_API_KEY" not in os.environ
    assert "NCBI_EMAIL" not in os.environ


def test_stop_closes_connections_and_restarts() -> None:
    emulator = NCBIEmulator().start()
    url = emulator.base_url
    with httpx.Client(base_url=url) as http:
        assert http.get(MATRIX).status_code == 200
        emulator.stop()
        with pytest.raises(httpx.TransportError):
            http.get(MATRIX)
    emulator.stop()
    with pytest.raises(RuntimeError):
        _ = emulator.base_url
    with emulator, httpx.Client(base_url=emulator.base_url) as http:
        assert http.get(MATRIX).status_code == 200


def test_cli_prints_exports() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "geo_nb.testing", "--port", "0", "--latency", "0"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(4)]
        exports = dict(line.removeprefix("export ").strip().split("=", 1) for line in lines[1:])
        assert set(exports) == {"GEO_NB_EUTILS_URL", "GEO_NB_ACC_URL", "GEO_NB_FTP_URL"}
        assert httpx.get(exports["GEO_NB_FTP_URL"] + "/").status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)
