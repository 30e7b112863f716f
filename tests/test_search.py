"""geo_nb.search against the NCBI emulator: filters, paging, translation, rate limit."""

from __future__ import annotations

import pytest

import geo_nb
import geo_nb.ncbi.eutils
from geo_nb.accessions import bucket
from geo_nb.errors import QueryError, UnexpectedResponseError
from geo_nb.testing import FaultRule, NCBIEmulator, max_in_window


def eutils_requests(emu: NCBIEmulator) -> list:  # type: ignore[type-arg]
    return [r for r in emu.requests if r.service == "eutils"]


def add_synthetic_series(emu: NCBIEmulator, count: int) -> None:
    """Docsums shaped like real ones (see tests/data/eutils), numbered from GSE900001."""
    for n in range(count):
        number = 900001 + n
        emu.store.add_docsum(
            {
                "uid": str(200000000 + number),
                "accession": f"GSE{number}",
                "gds": "",
                "title": f"Synthetic paging series {n}",
                "summary": "paging test record",
                "gpl": "24247",
                "gse": str(number),
                "taxon": "Mus musculus",
                "entrytype": "GSE",
                "gdstype": "Expression profiling by high throughput sequencing",
                "ptechtype": "",
                "valtype": "",
                "ssinfo": "",
                "subsetinfo": "",
                "pdat": "2023/05/01",
                "suppfile": "TXT",
                "samples": [],
                "relations": [],
                "extrelations": [],
                "n_samples": 4,
                "seriestitle": "",
                "platformtitle": "",
                "platformtaxa": "",
                "samplestaxa": "",
                "pubmedids": [],
                "projects": [],
                "ftplink": f"ftp://ftp.ncbi.nlm.nih.gov/geo/series/{bucket(f'GSE{number}')}/GSE{number}/",
                "geo2r": "no",
                "bioproject": "",
            }
        )


def test_search_with_filters_and_translation(geo_env: NCBIEmulator) -> None:
    hits = geo_nb.search("ATAC-seq", organism="Homo sapiens", progress=False)
    assert "GSE146537" in set(hits.accession)
    assert set(hits.entry_type) == {"GSE"}
    assert all("Homo sapiens" in organisms for organisms in hits.organism)
    translation = hits.attrs["query_translation"]
    assert '"Homo sapiens"[Organism]' in translation and "gse[Entry Type]" in translation
    assert hits.attrs["count"] == len(hits)
    row = hits.set_index("accession").loc["GSE146537"]
    assert row.n_samples == 6 and row.platforms == ["GPL16791"]
    assert row.ftp_url == f"{geo_env.ftp_url}/series/GSE146nnn/GSE146537/"
    assert str(hits.n_samples.dtype) == "Int64"
    assert str(hits.published.dtype).startswith("datetime64")


def test_filters_narrow_the_hits(geo_env: NCBIEmulator) -> None:
    everything = geo_nb.search("", organism=["Homo sapiens", "Mus musculus"], progress=False)
    mouse = geo_nb.search("", organism="Mus musculus", progress=False)
    recent = geo_nb.search(
        "", organism=["Homo sapiens", "Mus musculus"], published_from="2021", progress=False
    )
    many = geo_nb.search(
        "", organism=["Homo sapiens", "Mus musculus"], min_samples=20, progress=False
    )
    assert set(mouse.accession) < set(everything.accession)
    assert (recent.published >= "2021-01-01").all() and len(recent) < len(everything)
    assert (many.n_samples >= 20).all() and "GSE150868" in set(many.accession)


def test_paging_through_history(geo_env: NCBIEmulator) -> None:
    add_synthetic_series(geo_env, 1234)
    hits = geo_nb.search("paging test record", max_results=1100, progress=False)
    assert hits.attrs["count"] == 1234
    assert len(hits) == 1100 and hits.accession.is_unique
    requests = eutils_requests(geo_env)
    esearch = [r for r in requests if r.path.endswith("esearch.fcgi")]
    esummary = [r for r in requests if r.path.endswith("esummary.fcgi")]
    assert len(esearch) == 1 and esearch[0].query["usehistory"] == ["y"]
    assert sorted(r.query["retstart"][0] for r in esummary) == ["0", "1000", "500"]
    assert sorted(r.query["retmax"][0] for r in esummary) == ["100", "500", "500"]
    assert all(r.query["WebEnv"] and r.query["query_key"] == ["1"] for r in esummary)
    assert all(r.query["tool"] == ["geo_nb"] for r in requests)


def test_rate_limit_never_exceeded(geo_env: NCBIEmulator) -> None:
    # The emulator shares this process's GIL: under a loaded CI machine it can
    # stamp a request's arrival ~100 ms late, so its own 429s would measure the
    # test machine. The pacing is checked here with that jitter allowed (no 4
    # requests within 0.9 s, where the client keeps them 1.1 s apart); the
    # 429-and-retry path has its own tests in tests/test_retry.py.
    geo_env.enforce_rate_limit = False
    add_synthetic_series(geo_env, 3000)
    hits = geo_nb.search("paging test record", max_results=None, progress=False)
    geo_nb.search("ATAC-seq", progress=False)
    assert len(hits) == 3000
    requests = eutils_requests(geo_env)
    assert len(requests) == 1 + 6 + 2
    assert max_in_window([r.time for r in requests], window=0.9) <= 3
    assert all(r.status == 200 for r in requests)


def test_unknown_field_is_visible_in_translation(geo_env: NCBIEmulator) -> None:
    hits = geo_nb.search("ATAC-seq AND foo[NOTAFIELD]", progress=False)
    assert "NOTAFIELD" not in hits.attrs["query_translation"]
    assert hits.attrs["term"].startswith("(ATAC-seq AND foo[NOTAFIELD])")


def test_max_results_zero_still_counts(geo_env: NCBIEmulator) -> None:
    hits = geo_nb.search("ATAC-seq", max_results=0, progress=False)
    assert hits.empty and hits.attrs["count"] >= 1
    assert list(hits.columns)[:3] == ["accession", "title", "summary"]


def test_esearch_error_envelope_is_a_query_error(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(
        FaultRule(
            match="esearch",
            action="status",
            status=200,
            body=b'{"esearchresult": {"ERROR": "Invalid query"}}',
        )
    )
    with pytest.raises(QueryError, match="Invalid query"):
        geo_nb.search("ATAC-seq", progress=False)


def test_html_instead_of_json_is_unexpected(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(FaultRule(match="esearch", action="challenge"))
    with pytest.raises(UnexpectedResponseError, match="HTML page"):
        geo_nb.search("ATAC-seq", progress=False)


def test_search_429_is_retried_with_retry_after(geo_env: NCBIEmulator) -> None:
    geo_env.add_fault(
        FaultRule(match="esearch", action="status", status=429, retry_after="1", times=1)
    )
    hits = geo_nb.search("ATAC-seq", progress=False)
    assert not hits.empty
    first, second = [r for r in eutils_requests(geo_env) if r.path.endswith("esearch.fcgi")]
    assert first.status == 429 and second.status == 200
    assert second.time - first.time >= 1.0


def test_bad_filters_raise_before_any_request(geo_env: NCBIEmulator) -> None:
    with pytest.raises(QueryError):
        geo_nb.search("x", published_from="soon", progress=False)
    assert geo_env.requests == []


def test_unknown_keywords_are_refused_with_the_allowed_list(geo_env: NCBIEmulator) -> None:
    with pytest.raises(TypeError, match="organsim") as info:
        geo_nb.search("x", organsim="Homo sapiens")
    assert "organism" in str(info.value) and "max_concurrency" in str(info.value)
    with pytest.raises(TypeError, match="refrsh"):
        geo_nb.fetch("GSE1", refrsh=True)
    with pytest.raises(QueryError, match="Unknown search filter"):
        geo_nb.ncbi.eutils.build_term("x", organsim="Homo sapiens")  # type: ignore[call-arg]
    assert geo_env.requests == []


def test_dropped_field_tags_are_warnings_of_the_search_itself(geo_env: NCBIEmulator) -> None:
    hits = geo_nb.search("ATAC-seq AND foo[NOTAFIELD]", progress=False)
    assert hits.attrs["warnings"][0].startswith("NCBI dropped the term(s) tagged [NOTAFIELD]")
    clean = geo_nb.search("ATAC-seq", organism="Homo sapiens", progress=False)
    assert not any("dropped" in w for w in clean.attrs["warnings"])
