"""Exports read back equal; PEP projects load in peppy; receipts catch a changed byte."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import geo_nb
from geo_nb.exports import SAMPLESHEET_COLUMNS, to_samplesheet
from geo_nb.files.receipt import RECEIPT_NAME
from geo_nb.ncbi.cache import memory_cache
from geo_nb.testing import NCBIEmulator
from tests.helpers import downloadable_series


@pytest.fixture(autouse=True)
def _fresh_memory_cache() -> None:
    memory_cache.clear()


@pytest.fixture
def res(geo_env: NCBIEmulator) -> geo_nb.GEOResult:
    return geo_nb.fetch(["GSE100494", "GSE146539", "GSM11805", "GSE1"], progress=False)


def test_parquet_round_trip_keeps_lists_counts_and_dates(
    res: geo_nb.GEOResult, tmp_path: Path
) -> None:
    written = res.to_parquet(tmp_path)
    assert {p.name for p in written} >= {"series.parquet", "samples.parquet", "files.parquet"}
    for name in ("series", "samples", "files", "errors", "platforms"):
        back = pd.read_parquet(tmp_path / f"{name}.parquet")
        original = getattr(res, name)
        assert list(back.columns) == list(original.columns), name
        assert len(back) == len(original)
        for column in original.columns:
            if any(isinstance(v, list) for v in original[column]):
                assert back[column].map(list).tolist() == original[column].tolist(), column
            else:
                pd.testing.assert_series_equal(
                    back[column], original[column], check_dtype=True, check_names=False
                )
    assert res.errors.kind.tolist() == ["not_found"]


def test_csv_keeps_lists_as_json(res: geo_nb.GEOResult, tmp_path: Path) -> None:
    res.to_csv(tmp_path)
    series = pd.read_csv(tmp_path / "series.csv")
    platforms = series.set_index("accession").loc["GSE146539", "platforms"]
    assert json.loads(platforms) == res.series.set_index("accession").loc["GSE146539", "platforms"]


def test_excel_has_a_sheet_per_frame(res: geo_nb.GEOResult, tmp_path: Path) -> None:
    path = res.to_excel(tmp_path / "out.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert {"series", "samples", "files", "errors"} <= set(sheets)
    assert len(sheets["samples"]) == len(res.samples)


def test_pep_project_loads_in_peppy(res: geo_nb.GEOResult, tmp_path: Path) -> None:
    peppy = pytest.importorskip("peppy")
    config = res.to_pep(tmp_path / "pep", download_dir=tmp_path / "data")
    project = peppy.Project(str(config))
    names = {s.sample_name for s in project.samples}
    assert names == set(res.samples.accession)
    sample = next(s for s in project.samples if s.sample_name == "GSM2684979")
    expected = tmp_path / "data" / "GSE100494" / "GSM2684979_ATAC_CN30_70M.peaks_macs2.bigWig"
    paths = sample.file_path if isinstance(sample.file_path, list) else [sample.file_path]
    assert str(expected.resolve()) in paths
    chip = next(s for s in project.samples if s.sample_name == "GSM4391908")
    genotype = res.samples.set_index("accession").loc["GSM4391908", "ch1.genotype"]
    assert chip.ch1_genotype == genotype  # characteristics are attributes


def test_samplesheet_needs_runs_and_has_nf_core_columns(
    res: geo_nb.GEOResult, tmp_path: Path
) -> None:
    runs = pd.DataFrame(
        [
            {
                "series_accession": "GSE1",
                "sample_accession": "GSM1",
                "experiment": "SRX1",
                "run": "SRR1",
                "study": "SRP1",
                "biosample": "SAMN1",
                "library_layout": "PAIRED",
                "fastq_urls": ["https://x/SRR1_1.fastq.gz", "https://x/SRR1_2.fastq.gz"],
                "fastq_md5": ["a" * 32, "b" * 32],
                "fastq_bytes": [10, 11],
            }
        ]
    )

    class WithRuns:
        def __init__(self, runs: pd.DataFrame) -> None:
            self.runs = runs

    path = to_samplesheet(WithRuns(runs), tmp_path / "s.csv", fastq_dir=tmp_path / "reads")  # type: ignore[arg-type]
    sheet = pd.read_csv(path, keep_default_na=False)
    assert list(sheet.columns) == list(SAMPLESHEET_COLUMNS)
    assert list(sheet.columns[:4]) == ["sample", "fastq_1", "fastq_2", "strandedness"]
    row = sheet.iloc[0]
    assert row["sample"] == "GSM1" and row["strandedness"] == "auto"
    assert row["fastq_2"] == str((tmp_path / "reads" / "GSE1" / "SRR1_2.fastq.gz").resolve())
    if not hasattr(res, "runs"):
        with pytest.raises(ValueError, match="runs=True"):
            res.to_samplesheet(tmp_path / "x.csv")


def test_samplesheet_of_runs_without_fastq_warns(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    airway = geo_nb.fetch("GSE52778", runs=True, progress=False)
    with pytest.warns(UserWarning, match=r"15 of 16 runs have no FASTQ file at ENA"):
        path = airway.to_samplesheet(tmp_path / "s.csv")
    sheet = pd.read_csv(path, keep_default_na=False).set_index("run_accession")
    assert sheet.loc["SRR1039508", "fastq_1"].endswith("SRR1039508_1.fastq.gz")
    assert sheet.loc["SRR1039509", "fastq_1"] == ""


def test_a_missing_extra_is_named(
    res: geo_nb.GEOResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r'pip install "geo_nb\[export\]"'):
        res.to_parquet(tmp_path)


def test_receipts_record_downloads_and_catch_a_changed_byte(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    res = geo_nb.fetch(series, progress=False)
    dest = tmp_path / "dest"
    res.plan(category="genome_track").download(dest, progress=False)
    receipt = json.loads((dest / RECEIPT_NAME).read_text())
    assert receipt["geo_nb_version"] == geo_nb.__version__
    assert len(receipt["files"]) == len(contents)
    entry = next(iter(receipt["files"].values()))
    assert {"url", "size_bytes", "sha256", "status", "time"} <= set(entry)
    assert (geo_nb.verify(dest).status == "ok").all()

    victim = dest / series / sorted(contents)[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    gone = dest / series / sorted(contents)[1]
    gone.unlink()
    report = geo_nb.verify(dest).set_index("path")
    assert report.loc[f"{series}/{victim.name}", "status"] == "changed"
    assert "SHA-256" in report.loc[f"{series}/{victim.name}", "detail"]
    assert report.loc[f"{series}/{gone.name}", "status"] == "missing"
    assert (report.status == "ok").sum() == len(contents) - 2

    # Downloading again restores the files and the receipt agrees.
    res.plan(category="genome_track").download(dest, progress=False)
    assert (geo_nb.verify(dest).status == "ok").all()


def test_verify_without_a_receipt(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=RECEIPT_NAME):
        geo_nb.verify(tmp_path)
