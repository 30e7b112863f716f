"""Every fetch is recorded in the catalog, and ``fetch(..., offline=True)`` answers from it."""

from __future__ import annotations

import hashlib
import os
import stat

import pandas as pd
import pytest

import geo_nb
from geo_nb import Settings
from geo_nb.catalog_db import CATALOG_NAME
from geo_nb.ncbi.acc import acc_params
from geo_nb.ncbi.cache import DiskCache, cache_key, memory_cache
from geo_nb.testing import NCBIEmulator


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


def test_a_fetch_records_where_each_record_came_from(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch(["GSE100494", "GSM11805"], progress=False)
    cat = geo_nb.catalog()
    assert cat.path == Settings().cache_dir / CATALOG_NAME
    rows = cat.query("SELECT accession, kind, url, sha256, fetched_at FROM records").set_index(
        "accession"
    )
    assert set(rows.index) >= {"GSE100494", "GSM11805", *res.samples.accession}
    settings = Settings()
    cache = DiskCache(settings.cache_dir, ttl_days=7)
    for accession in ("GSE100494", "GSM11805"):
        body = cache.get(cache_key("acc", settings.acc_url, acc_params(accession)))
        assert body is not None
        assert rows.loc[accession, "sha256"] == hashlib.sha256(body).hexdigest()
        assert rows.loc[accession, "url"].startswith(f"{settings.acc_url}?acc={accession}&")
    # A series' samples came in the series' answer: the same URL and hash.
    sample = res.samples[res.samples.series_accession == "GSE100494"].accession.iloc[0]
    assert rows.loc[sample, "sha256"] == rows.loc["GSE100494", "sha256"]
    history = cat.history()
    assert history.requested.tolist() == [["GSE100494", "GSM11805"]]
    assert history.n_samples.tolist() == [len(res.samples)]


def test_offline_answers_from_the_catalog_when_ncbi_is_unreachable(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = geo_nb.fetch(["GSE100494", "GSE146539", "GSM11805"], progress=False)
    geo_env.stop()
    memory_cache.clear()
    served = len(geo_env.requests)
    offline = geo_nb.fetch(["GSE100494", "GSE146539", "GSM11805", "GSE1"], offline=True)
    assert len(geo_env.requests) == served
    pd.testing.assert_frame_equal(offline.series, first.series)
    pd.testing.assert_frame_equal(
        offline.samples.sort_values("accession").reset_index(drop=True),
        first.samples.sort_values("accession").reset_index(drop=True),
    )
    assert sorted(offline.files.url) == sorted(first.files.url)
    assert offline.errors[["accession", "kind"]].values.tolist() == [["GSE1", "not_in_catalog"]]
    assert "GSE1 is not in the catalog" in offline.errors.message.iloc[0]
    with pytest.raises(ValueError, match="choose one"):
        geo_nb.fetch("GSE100494", offline=True, refresh=True)
    # Without offline=True the same fetch fails: NCBI is really unreachable.
    online = geo_nb.fetch("GSE1", progress=False, max_attempts=1, timeout=2)
    assert online.errors.kind.tolist() != ["not_in_catalog"] and len(online.errors) == 1


def cited_series(emu: NCBIEmulator) -> str:
    """A test series citing the two PubMed articles the emulator has summaries of."""
    emu.store.add_record(
        "^SERIES = GSE9990002\n!Series_title = A series made by a test\n"
        "!Series_geo_accession = GSE9990002\n!Series_pubmed_id = 28806736\n"
        "!Series_pubmed_id = 27933103\n"
    )
    return "GSE9990002"


def test_runs_and_publications_come_back_from_the_catalog(geo_env: NCBIEmulator) -> None:
    wanted = ["GSE52778", cited_series(geo_env)]
    first = geo_nb.fetch(wanted, runs=True, publications=True, progress=False)
    assert len(first.runs) == 16 and len(first.publications) == 2
    again = geo_nb.fetch(wanted, offline=True)
    pd.testing.assert_frame_equal(again.runs, first.runs)
    pd.testing.assert_frame_equal(again.publications, first.publications)
    fastq = first.files[first.files.level == "run"]
    assert sorted(again.files[again.files.level == "run"].url) == sorted(fastq.url)
    assert set(geo_nb.catalog().extras("runs")) <= set(first.samples.accession)
    cat = geo_nb.catalog()
    pd.testing.assert_frame_equal(cat.runs, first.runs)
    assert sorted(cat.publications.pmid) == sorted(first.publications.pmid)


def test_a_catalog_that_cannot_be_written_is_a_warning_not_a_failure(
    geo_env: NCBIEmulator,
) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes into read-only files; see the directory test below")
    path = Settings().cache_dir / CATALOG_NAME
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"")
    path.chmod(stat.S_IRUSR)
    with pytest.warns(RuntimeWarning, match="could not record this fetch"):
        res = geo_nb.fetch("GSE100494", progress=False)
    assert res.errors.empty and len(res.samples) == 2


def test_a_catalog_path_taken_by_a_folder_is_a_warning_not_a_failure(
    geo_env: NCBIEmulator,
) -> None:
    (Settings().cache_dir / CATALOG_NAME).mkdir(parents=True)
    with pytest.warns(RuntimeWarning, match=r"could not record this fetch.*GEO_NB_CATALOG=0"):
        res = geo_nb.fetch("GSE100494", progress=False)
    assert res.errors.empty and len(res.samples) == 2


def test_recording_can_be_turned_off(
    geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GEO_NB_CATALOG", "0")
    geo_nb.fetch("GSE100494", progress=False)
    assert not (Settings().cache_dir / CATALOG_NAME).exists()
    geo_nb.fetch("GSE100494", progress=False, catalog=True)
    assert geo_nb.catalog().accessions("series") == ["GSE100494"]


def test_a_warm_fetch_adds_history_but_does_not_rewrite_records(geo_env: NCBIEmulator) -> None:
    geo_nb.fetch("GSE100494", progress=False)
    memory_cache.clear()
    geo_nb.fetch("GSE100494", progress=False)  # from the disk cache: same answer
    cat = geo_nb.catalog()
    assert len(cat.history()) == 2
    assert set(cat.query("SELECT fetch_id FROM records").fetch_id) == {1}


def test_citation_names_accessions_publications_and_the_date(geo_env: NCBIEmulator) -> None:
    wanted = [cited_series(geo_env), "GSE52778", "GSM11805"]
    res = geo_nb.fetch(wanted, runs=True, publications=True, progress=False)
    text = res.citation()
    article = res.publications.iloc[0]
    assert text.startswith("Data were obtained from NCBI's Gene Expression Omnibus (GEO;")
    assert f"GSE9990002 (Nicholas et al., PloS one 2017, PMID {article.pmid}, doi:" in text
    assert "GSE52778 (PMID 24926665; PMID 36599824)" in text and "GSM11805" in text
    assert "16 sequencing runs" in text and "SRA study SRP033351" in text
    assert f"with geo_nb {geo_nb.__version__}." in text
    assert pd.Timestamp.now("UTC").date().isoformat() in text
    offline = geo_nb.fetch(wanted, offline=True)
    assert offline.citation() == text  # the retrieval date is the catalog's, not today's
    with pytest.raises(ValueError, match="nothing to cite"):
        geo_nb.fetch("GSE1", offline=True).citation()


async def test_one_client_records_each_answer_once(geo_env: NCBIEmulator) -> None:
    async with geo_nb.GEOClient() as client:
        await client.fetch("GSE100494", progress=False)
        await client.fetch(["GSE100494", "GSM11805"], progress=False)
        assert client.provenance == {}
    rows = geo_nb.catalog().query("SELECT accession, fetch_id FROM records")
    fetched = dict(zip(rows.accession, rows.fetch_id, strict=True))
    assert fetched["GSE100494"] == 1 and fetched["GSM11805"] == 2


def test_a_fetch_without_files_keeps_the_stored_inventory(geo_env: NCBIEmulator) -> None:
    full = geo_nb.fetch("GSE52778", progress=False, runs=True)
    assert set(full.files.level) == {"series", "ncbi", "run"}
    memory_cache.clear()
    lean = geo_nb.fetch("GSE52778", progress=False, files=False, runs=True)
    assert "ncbi" not in set(lean.files.level)  # no inventory read: NCBI's counts unknown
    memory_cache.clear()
    back = geo_nb.fetch("GSE52778", offline=True)
    # The stored inventory kept its rows; only the runs' rows were written again.
    key = ["level", "name", "size_bytes"]
    pd.testing.assert_frame_equal(
        back.files[key].sort_values(key[:2]).reset_index(drop=True),
        full.files[key].sort_values(key[:2]).reset_index(drop=True),
    )
