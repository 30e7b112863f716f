"""Hostile names and text from NCBI, and the API key as a secret.

* File names never take a download outside ``dest/<folder>``.
* NCBI text with HTML in it is escaped in every HTML geo_nb renders.
* The API key appears in no log line, error, repr, report, cache file name or
  content, or downloaded file, also when requests fail with 429/503 and when
  NCBI echoes the key in its 429 body.
"""

from __future__ import annotations

import contextlib
import gzip
import html
import logging
import re
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import geo_nb
from geo_nb import GEOClient, Settings
from geo_nb.errors import RateLimitedError, UnsafePathError
from geo_nb.files.download import safe_destination
from geo_nb.testing import FaultRule, NCBIEmulator
from tests.faults._support import family_soft
from tests.helpers import downloadable_series

# ---- download paths ----------------------------------------------------------------

PATH_PIECES = [
    "..",
    ".",
    "/",
    "\\",
    ":",
    "~",
    "\x00",
    "\n",
    "\r",
    "\x1b[31m",
    "\u202e",
    "\u200b",
    "\u2028",
    "\ufeff",
    "%2e%2e%2f",
    "C:",
    "//server/share",
    "/etc/passwd",
    " ",
    "CON",
    "nul.txt",
    "com1",
    "lpt9.log",
    "$HOME",
    "a" * 120,
    "日本",
    "file.txt",
    "GSE1_RAW.tar",
]
path_names = st.one_of(
    st.lists(st.sampled_from(PATH_PIECES) | st.text(max_size=5), max_size=6).map("".join),
    st.text(max_size=40),
)


def assert_refusal(exc: UnsafePathError) -> None:
    assert "Refusing to write" in str(exc) and isinstance(exc, ValueError)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(folder=path_names | st.just("GSE1"), name=path_names)
@example(folder="GSE1", name="../../etc/passwd")
@example(folder="..", name="x")
@example(folder="GSE1", name="..\\..\\evil")
@example(folder="GSE1", name="a" * 256)
def test_safe_destination_never_leaves_the_download_folder(
    tmp_path_factory: pytest.TempPathFactory, folder: str, name: str
) -> None:
    dest = tmp_path_factory.getbasetemp() / "downloads"
    try:
        path = safe_destination(dest, folder, name)
    except UnsafePathError as exc:
        assert_refusal(exc)
        return
    root = dest.resolve()
    assert path.parent == root / folder and path.name == name
    assert path.is_relative_to(root) and path != root / folder


# ---- HTML escaping ---------------------------------------------------------------------

RAW_TAG = re.compile(r"<\s*/?\s*(script|img|svg|iframe)\b", re.IGNORECASE)
HOSTILE_FILE = '"><img src=x onerror=alert(7)>.txt.gz'


def hostile_soft(series: str, samples: list[str], ftp_folder: str) -> str:
    lines = [
        f"^SERIES = {series}",
        "!Series_title = <script>alert('title')</script>",
        f"!Series_geo_accession = {series}",
        "!Series_status = Public on Jan 01 2020",
        "!Series_summary = <img src=x onerror=alert('summary')>",
        "!Series_overall_design = \"><svg onload=alert('design')>",
        "!Series_type = Expression profiling by high throughput sequencing",
        "!Series_contact_name = <b>Mallory</b>,,<i>Evil</i>",
        f"!Series_supplementary_file = ftp://ftp.ncbi.nlm.nih.gov/geo/{ftp_folder}/suppl/"
        "<svg onload=alert(5)>.bed.gz",
        *[f"!Series_sample_id = {s}" for s in samples],
    ]
    for n, sample in enumerate(samples):
        lines += [
            f"^SAMPLE = {sample}",
            f"!Sample_title = <script>alert('sample {n}')</script>",
            f"!Sample_geo_accession = {sample}",
            f"!Sample_series_id = {series}",
            "!Sample_source_name_ch1 = <iframe src=javascript:alert(1)>",
            "!Sample_organism_ch1 = Homo sapiens",
            '!Sample_characteristics_ch1 = <svg onload=alert(1)>: "><img src=x onerror=alert(2)>',
            "!Sample_characteristics_ch1 = cell type: <script>alert(3)</script>",
            "!Sample_supplementary_file_1 = ftp://ftp.ncbi.nlm.nih.gov/geo/samples/x/"
            f"{sample}_<img src=x onerror=alert(4)>.bw",
        ]
    return "\n".join(lines) + "\n"


def test_ncbi_text_with_html_is_escaped_in_every_html_repr(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, samples = "GSE9500001", ["GSM95000001", "GSM95000002"]
    folder = "series/GSE9500nnn/GSE9500001"
    geo_env.store.add_record(hostile_soft(series, samples, folder))
    geo_env.store.add_ftp_file(f"{folder}/suppl/{HOSTILE_FILE}", b"\x1f\x8b" + b"x" * 5000)
    error_page = (
        b"<html><head><title>&lt;script&gt;alert('error')&lt;/script&gt;</title></head>"
        b"<body>Service says &lt;img src=x onerror=alert(6)&gt;</body></html>"
    )
    geo_env.add_fault(FaultRule(match="acc=GSM11805&", status=200, body=error_page, times=None))
    res = geo_nb.fetch([series, "GSM11805"], progress=False)
    assert res.records.series[0].title == "<script>alert('title')</script>"
    assert HOSTILE_FILE in set(res.files.name)
    assert "<script>alert('error')</script>" in res.errors.message[0]  # raw in the data...

    rendered = {
        "GEOResult": res._repr_html_(),
        "plan": res.plan()._repr_html_(),
        "series plan": res.plan(level="series")._repr_html_(),
        "series": res.series.to_html(),
        "samples": res.samples.to_html(),
        "files": res.files.to_html(),
        "errors": res.errors.to_html(),
        "summary": res.files_summary().to_html(),
    }
    for where, page in rendered.items():
        assert not RAW_TAG.search(page), (where, RAW_TAG.search(page))
    # ...and shown, escaped, where it belongs.
    shown = {
        "GEOResult": ["<script>alert('title')</script>", "<script>alert('error')</script>"],
        "series plan": ["<svg onload=alert(5)>.bed.gz", HOSTILE_FILE],
        "plan": ["_<img src=x onerror=alert(4)>.bw"],
        "series": ["<img src=x onerror=alert('summary')>", "\"><svg onload=alert('design')>"],
        "samples": ["<svg onload=alert(1)>", "<iframe src=javascript:alert(1)>"],
    }
    for where, texts in shown.items():
        for text in texts:
            assert html.escape(text, quote=False) in rendered[where], (where, text)


# ---- the API key -----------------------------------------------------------------------

KEY = "FAKEKEY0123456789abcdef0123456789abcd"


def key_fragments(text: str, length: int = 10) -> list[str]:
    """Pieces of the key (``length`` characters or more) found in ``text``."""
    return [
        KEY[i : i + length] for i in range(len(KEY) - length + 1) if KEY[i : i + length] in text
    ]


def file_texts(root: Path) -> dict[str, str]:
    """Every file name and content under ``root`` (gzip members decompressed)."""
    texts: dict[str, str] = {}
    for path in root.rglob("*"):
        texts[f"name {path}"] = str(path)
        if path.is_file():
            data = path.read_bytes()
            if data[:2] == b"\x1f\x8b":
                with contextlib.suppress(OSError, EOFError):
                    data = gzip.decompress(data)
            texts[f"content {path}"] = data.decode("latin-1")
    return texts


def test_the_api_key_never_leaks(
    geo_env: NCBIEmulator,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    monkeypatch.setenv("NCBI_EMAIL", "someone@example.org")
    for name in (None, "httpx", "httpcore", "geo_nb", "hpack"):
        caplog.set_level(logging.DEBUG, logger=name)
    # The emulator answers a 429 the way NCBI does: with the key in the JSON body.
    geo_env.add_fault(FaultRule(match="probe", status=429, times=1))
    echoed = httpx.post(f"{geo_env.eutils_url}/esearch.fcgi?probe", data={"api_key": KEY})
    assert echoed.status_code == 429 and KEY in echoed.text

    geo_env.add_fault(FaultRule(match="esearch", status=429, retry_after="0", times=1))
    geo_env.add_fault(FaultRule(match="esummary", status=503, times=1))
    geo_env.add_fault(FaultRule(match="esummary", action="drop", times=1))
    hits = geo_nb.search("ATAC-seq", progress=False)
    geo_env.add_fault(FaultRule(match="esearch", status=429, retry_after="0", times=None))
    with pytest.raises(RateLimitedError) as limited:
        geo_nb.search("ATAC-seq", progress=False, max_attempts=2)
    geo_env.clear_faults()

    series, _ = downloadable_series(geo_env, with_md5=True)
    geo_env.add_fault(FaultRule(match="acc=GSE146537&", status=503, times=None))
    geo_env.add_fault(FaultRule(match="acc=GSM11805&", status=429, retry_after="0", times=None))
    geo_env.add_fault(FaultRule(match=r"rep1\.bw$", action="truncate", after_bytes=9000))
    res = geo_nb.fetch(
        [series, "GSE146537", "GSM11805"], progress=False, max_attempts=2, metadata_source="acc"
    )
    assert sorted(res.errors.kind) == ["rate_limited", "unavailable"]
    dest = tmp_path / "downloads"
    plan = res.plan(category="genome_track")
    report = plan.download(dest, progress=False)
    assert set(report.status) <= {"downloaded", "resumed"}
    geo_env.store.add_ftp_file("series/GSEnnn/GSE1/soft/GSE1_family.soft.gz", family_soft(200))
    geo_nb.load_geoparse("GSE1")
    geo_nb.load_geoparse("GSM32878")

    sent = [r for r in geo_env.requests if r.service == "eutils"]
    assert sent and all(r.query.get("api_key") == [KEY] for r in sent)
    texts = {
        "log": caplog.text,
        "log args": " ".join(repr(r.args) for r in caplog.records),
        "error": str(limited.value) + repr(limited.value) + str(limited.value.url),
        "errors frame": res.errors.to_string() + res.errors.to_html(),
        "result": repr(res) + res._repr_html_(),
        "hits": hits.to_string() + repr(hits.attrs),
        "report": report.to_string() + report.to_csv(),
        "plan": repr(plan) + plan._repr_html_(),
        "settings": repr(Settings()) + Settings().model_dump_json() + str(Settings()),
        "client": repr(GEOClient()),
        **file_texts(Path(Settings().cache_dir)),
        **file_texts(dest),
    }
    assert len(texts) > 20
    for where, text in texts.items():
        assert KEY not in text and not key_fragments(text), where


def test_the_api_key_echoed_in_an_error_body_never_reaches_a_message(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NCBI_API_KEY", KEY)
    # NCBI-style JSON error echoing the key, padded so the key straddles character 200.
    head, sep = '{"error":"Invalid query","detail":"', '","api-key":"'
    body = head + "x" * (201 - len(KEY) - len(head) - len(sep)) + sep + KEY + '"}'
    assert body.index(KEY) + len(KEY) == 201
    geo_env.add_fault(FaultRule(match="esearch", status=400, body=body.encode(), times=1))
    with pytest.raises(geo_nb.errors.QueryError) as info:
        geo_nb.search("ATAC-seq", progress=False)
    assert not key_fragments(str(info.value)), str(info.value)[-60:]
