"""The catalog: what was fetched and when, answered without NCBI, safe for two writers."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import geo_nb
from geo_nb.catalog_db import MIGRATIONS, SCHEMA_VERSION, Catalog, Provenance
from geo_nb.ncbi.cache import memory_cache
from geo_nb.records import GEORecords, Level, Series, SupplementaryFile
from geo_nb.testing import NCBIEmulator


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


def test_records_round_trip(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    res = geo_nb.fetch(["GSE100494", "GSE146539", "GSM11805"], progress=False)
    cat = Catalog(tmp_path / "c.sqlite3")
    origin = {"GSE100494": Provenance(1_700_000_000.0, "https://x/acc.cgi?acc=GSE100494", "a" * 64)}
    fetch_id = cat.record(res.records, origin)
    assert fetch_id == 1 and cat.schema_version == SCHEMA_VERSION
    back = cat.result(["GSE100494", "GSE146539"])
    assert back.records.series == [s for s in res.records.series if s.accession != "GSM11805"]
    expected = res.samples[res.samples.series_accession != "GSE_none"]
    assert set(back.samples.accession) == set(expected.accession) - {"GSM11805"}
    assert len(back.files) == len(res.files[res.files.accession != "GSM11805"])
    alone = cat.result(["GSM11805"])
    assert alone.files.name.tolist() == res.files[res.files.accession == "GSM11805"].name.tolist()
    rows = cat.query("SELECT accession, url, sha256, fetched_at FROM records WHERE kind='series'")
    row = rows.set_index("accession").loc["GSE100494"]
    assert row.url.endswith("acc=GSE100494") and row.sha256 == "a" * 64
    assert row.fetched_at.startswith("2023-11-14")
    missing = cat.result(["GSE1"])
    assert missing.errors.kind.tolist() == ["not_in_catalog"]
    history = cat.history()
    assert history.requested.iloc[0] == ["GSE100494", "GSE146539", "GSM11805"]


def test_query_is_read_only(tmp_path: Path) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    with pytest.raises(Exception, match=r"readonly|read-only|query_only"):
        cat.query("DELETE FROM records")


def test_the_schema_migrates_forward(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as connection:  # a catalog written by a first version
        connection.executescript(MIGRATIONS[0])
        connection.execute("PRAGMA user_version = 1")
        connection.execute(
            """INSERT INTO fetches (started_at, requested) VALUES ('2026-01-01', '["GSE1"]')"""
        )
    cat = Catalog(path)
    assert cat.schema_version == SCHEMA_VERSION == 2
    assert cat.history().requested.iloc[0] == ["GSE1"]
    assert cat.extras("runs") == {}
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(RuntimeError, match="newer geo_nb"):
        Catalog(path)


WRITER = textwrap.dedent(
    """
    import sys
    from geo_nb.catalog_db import Catalog
    from geo_nb.records import GEORecords, Series
    cat = Catalog(sys.argv[1])
    for i in range(int(sys.argv[3])):
        series = Series(accession=f"GSE{sys.argv[2]}{i:04d}", title="t")
        cat.record(GEORecords(requested=[series.accession], series=[series]))
    print("ok")
    """
)


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    Catalog(path)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), prefix, "150"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for prefix in ("1", "2")
    ]
    for writer in writers:
        out, err = writer.communicate(timeout=180)
        assert writer.returncode == 0 and out.strip() == "ok", err
        assert "locked" not in err
    cat = Catalog(path)
    assert len(cat.accessions("series")) == 300
    assert len(cat.history()) == 300


def test_clear_cache_keeps_the_catalog_unless_asked(geo_env: NCBIEmulator) -> None:
    cat = geo_nb.catalog()
    cat.record(geo_nb.fetch("GSE100494", progress=False).records)
    geo_nb.clear_cache()
    assert geo_nb.catalog().accessions("series") == ["GSE100494"]
    assert cat.series.accession.tolist() == ["GSE100494"]
    geo_nb.clear_cache(catalog=True)
    assert geo_nb.catalog().accessions() == []
    # A Catalog opened before finds an empty catalog, not "no such table".
    assert cat.accessions() == [] and cat.series.empty and cat.history().empty


def test_unchanged_records_are_not_rewritten(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    res = geo_nb.fetch("GSE100494", progress=False)
    cat = Catalog(tmp_path / "c.sqlite3")
    sha = hashlib.sha256(b"answer").hexdigest()
    origin = {a: Provenance(1.0, "u", sha) for a in ["GSE100494", "GSM2684979", "GSM2684980"]}
    cat.record(res.records, origin)
    cat.record(res.records, origin)
    rows = cat.query("SELECT accession, fetch_id FROM records")
    assert set(rows.fetch_id) == {1}  # the second fetch found nothing new
    assert len(cat.history()) == 2


def test_an_answer_read_anew_by_a_newer_geo_nb_is_rewritten(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    res = geo_nb.fetch("GSE100494", progress=False, files=False)
    cat = Catalog(tmp_path / "c.sqlite3")
    sha = hashlib.sha256(b"answer").hexdigest()
    origin = {a: Provenance(1.0, "u", sha) for a in ["GSE100494", "GSM2684979", "GSM2684980"]}
    # As an older geo_nb read the same answer (here: without the samples' channels).
    older = [s.model_copy(update={"channels": []}) for s in res.records.samples]
    cat.record(res.records.model_copy(update={"samples": older}), origin)
    assert all(not s.channels for s in cat.records(["GSE100494"]).samples)
    cat.record(res.records, origin)  # the same bytes from NCBI, read by this geo_nb
    assert cat.records(["GSE100494"]).samples == res.records.samples
    rows = cat.query("SELECT accession, fetch_id FROM records ORDER BY accession")
    assert rows.fetch_id.tolist() == [1, 2, 2]  # the series read the same: kept
    # A fetch from geo_nb's own caches (no raw answer) never overwrites what is stored.
    cat.record(res.records.model_copy(update={"samples": older}), {})
    assert cat.records(["GSE100494"]).samples == res.records.samples


def test_stored_files_are_read_with_this_geo_nb_s_classification(tmp_path: Path) -> None:
    def row(name: str, level: Level, category: str, fmt: str) -> SupplementaryFile:
        url = f"https://example.org/{name}"
        return SupplementaryFile(
            owner="GSE1", level=level, name=name, url=url, source_url=url,
            category=category, format=fmt, compression="gz", series_accession="GSE1",
        )  # fmt: skip

    series = Series(accession="GSE1", title="t", sample_ids=[])
    stored = [  # as a geo_nb that did not know Cuffdiff's tables stored them
        row("GSE1_gene_exp.diff.gz", "series", "other", "DIFF"),
        row("GSE1_peaks.bed.gz", "series", "regions", "BED"),
        row("GSE1_raw_counts_GRCh38.p13_NCBI.tsv.gz", "ncbi", "ncbi_counts", "TSV"),
    ]
    cat = Catalog(tmp_path / "c.sqlite3")
    cat.record(GEORecords(requested=["GSE1"], series=[series], files=stored))
    files = cat.records(["GSE1"]).files or []
    assert [(f.name, f.category) for f in files] == [
        ("GSE1_gene_exp.diff.gz", "processed"),
        ("GSE1_peaks.bed.gz", "regions"),
        ("GSE1_raw_counts_GRCh38.p13_NCBI.tsv.gz", "ncbi_counts"),  # NCBI's: not by name
    ]
    assert files[1] is not stored[1] and files[1] == stored[1]


def test_an_inventory_is_merged_not_replaced_by_a_fetch_without_files(tmp_path: Path) -> None:
    def row(name: str, level: Level, size: int | None) -> SupplementaryFile:
        url = f"https://example.org/{name}"
        return SupplementaryFile(
            owner="GSE1", level=level, name=name, url=url, source_url=url,
            category="other", format="TXT", compression="none",
            series_accession="GSE1", size_bytes=size,
        )  # fmt: skip

    series = Series(accession="GSE1", title="t", sample_ids=[])
    cat = Catalog(tmp_path / "catalog.sqlite3")
    sized = [row("GSE1_RAW.tar", "series", 10), row("SRR1_1.fastq.gz", "run", 5)]
    cat.record(GEORecords(requested=["GSE1"], series=[series], files=sized))
    lean = [row("GSE1_RAW.tar", "series", None), row("SRR1_1.fastq.gz", "run", 7)]
    new = {"GSE1": {"note": "something new"}}  # else a fetch of what is held writes nothing
    without_files = GEORecords(requested=["GSE1"], series=[series], files=lean)
    cat.record(without_files, extras=new, inventory=False)
    stored = {(f.name, f.size_bytes) for f in cat.records(["GSE1"]).files or []}
    assert stored == {("GSE1_RAW.tar", 10), ("SRR1_1.fastq.gz", 7)}  # sizes kept, runs new
    only = GEORecords(requested=["GSE1"], series=[series], files=lean[:1])
    cat.record(only, extras=new, inventory=False)
    assert len(cat.records(["GSE1"]).files or []) == 2  # no run rows: nothing to change
    other = Series(accession="GSE2", title="u", sample_ids=[])
    first = [row("GSE2_x.txt", "series", None).model_copy(update={"series_accession": "GSE2"})]
    unknown = GEORecords(requested=["GSE2"], series=[other], files=first)
    cat.record(unknown, extras=new, inventory=False)
    assert [f.name for f in cat.records(["GSE2"]).files or []] == ["GSE2_x.txt"]  # none stored
    cat.record(GEORecords(requested=["GSE1"], series=[series], files=lean), extras=new)
    assert {f.size_bytes for f in cat.records(["GSE1"]).files or []} == {None, 7}  # a new inventory


def test_frames_are_read_once_until_the_catalog_changes(
    geo_env: NCBIEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cat = Catalog(tmp_path / "c.sqlite3")
    cat.record(geo_nb.fetch(["GSE100494"], progress=False).records, {})
    reads: list[object] = []
    read = Catalog.records

    def counted(self: Catalog, *args: object, **kwargs: object) -> object:
        reads.append(args)
        return read(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Catalog, "records", counted)
    samples = cat.samples
    assert set(samples.series_accession) == {"GSE100494"} and len(samples) > 0
    assert len(cat.files) > 0 and cat.series.accession.tolist() == ["GSE100494"]
    assert len(reads) == 1
    samples["mine"] = 1  # each access is a frame of its own: the next one does not see it
    series = cat.series
    series.platforms.iloc[0].append("GPL_mine")  # nor a change to a list in a cell
    assert "mine" not in cat.samples.columns and "GPL_mine" not in cat.series.platforms.iloc[0]
    assert len(reads) == 1
    # Another writer (another kernel: here another Catalog of the same file) adds a series.
    Catalog(cat.path).record(geo_nb.fetch(["GSE146539"], progress=False).records, {})
    assert set(cat.series.accession) == {"GSE100494", "GSE146539"} and len(reads) == 2
    # A removed and recreated catalog is another one, even with the same last fetch id.
    for path in tmp_path.glob("c.sqlite3*"):
        path.unlink()
    Catalog(cat.path).record(geo_nb.fetch(["GSE146539"], progress=False).records, {})
    assert cat.history().id.tolist() == [1]
    assert cat.series.accession.tolist() == ["GSE146539"] and len(reads) == 3
