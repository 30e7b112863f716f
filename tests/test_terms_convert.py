"""Search terms, docsum rows, SOFT -> records -> DataFrames (no network)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from geo_nb.errors import QueryError
from geo_nb.ncbi.eutils import build_term, docsum_row
from geo_nb.ncbi.urls import rewrite_url
from geo_nb.parse.convert import convert_entities, parse_characteristic
from geo_nb.parse.soft import iter_soft_file
from geo_nb.records import GEORecords
from geo_nb.result import GEOResult

HERE = Path(__file__).parent
RECORDS = HERE.parent / "geo_nb" / "testing" / "data" / "records"
FTP = "http://127.0.0.1:9/geo"


def rewrite(url: str) -> str:
    return rewrite_url(url, FTP)


def load(*names: str) -> GEOResult:
    entities = [e for name in names for e in iter_soft_file(RECORDS / name)]
    series, samples, platforms = convert_entities(entities, rewrite)
    requested = [n.split(".")[0] for n in names]
    return GEOResult(
        GEORecords(requested=requested, series=series, samples=samples, platforms=platforms)
    )


def test_build_term_with_every_filter() -> None:
    term = build_term(
        "ATAC-seq T cell",
        organism=["Homo sapiens", "Mus musculus"],
        study_type="Genome binding/occupancy profiling by high throughput sequencing",
        published_from="2020-03",
        published_to=dt.date(2024, 12, 31),
        min_samples=6,
        max_samples=200,
        supplementary=["bed", ".BW"],
    )
    assert term == (
        '(ATAC-seq T cell) AND ("Homo sapiens"[ORGN] OR "Mus musculus"[ORGN]) AND '
        '"Genome binding/occupancy profiling by high throughput sequencing"[GTYP] AND '
        "2020/03/01:2024/12/31[PDAT] AND 6:200[NSAM] AND (bed[SFIL] OR bw[SFIL]) AND gse[ETYP]"
    )


def test_build_term_partial_dates_and_open_ranges() -> None:
    assert "1900/01/01:2021/02/28[PDAT]" in build_term("x", published_to="2021-02")
    assert "2019/01/01:3000/12/31[PDAT]" in build_term("x", published_from=2019)  # type: ignore[arg-type]
    assert "10:1000000[NSAM]" in build_term("x", min_samples=10)
    assert build_term("x", entry_type=None) == "(x)"
    assert build_term(organism="Homo sapiens") == '"Homo sapiens"[ORGN] AND gse[ETYP]'


@pytest.mark.parametrize(
    "kwargs",
    [
        {"published_from": "last year"},
        {"published_from": "2021", "published_to": "2020"},
        {"published_from": "2021-02-30"},
        {"min_samples": 10, "max_samples": 5},
        {"min_samples": -1},
        {"entry_type": "series"},
    ],
)
def test_build_term_rejects_bad_filters(kwargs: dict[str, object]) -> None:
    with pytest.raises(QueryError):
        build_term("x", **kwargs)  # type: ignore[arg-type]


def test_empty_search_is_refused() -> None:
    with pytest.raises(QueryError, match="Nothing to search"):
        build_term("  ", entry_type=None)


def test_docsum_row_from_a_real_esummary() -> None:
    payload = json.loads((HERE / "data" / "eutils" / "esummary_gds_GSE93374.json").read_text())
    row = docsum_row(payload["result"]["200093374"], FTP)
    assert row["accession"] == "GSE93374"
    assert row["organism"] == ["Mus musculus"]
    assert row["study_type"] == ["Expression profiling by high throughput sequencing"]
    assert row["platforms"] == ["GPL19057"]
    assert row["n_samples"] == 11
    assert row["published"] == dt.date(2017, 1, 31)
    assert row["supplementary_types"] == ["TXT"]
    assert row["sra_study"] == "SRP096361"
    assert row["pubmed_ids"] == ["28166221"]
    assert row["bioproject"] == "PRJNA360829"
    assert row["ftp_url"] == f"{FTP}/series/GSE93nnn/GSE93374/"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("cell line: JHRCC12", ("cell line", "JHRCC12")),
        ("Cell  Type : T cell", ("cell type", "T cell")),
        ("age:3 weeks", ("age", "3 weeks")),
        ("time: 10:30", ("time", "10:30")),
        ("Strain C57BL/6", ("characteristics", "Strain C57BL/6")),
        ("url: http://x.org/a", ("url", "http://x.org/a")),
        ("see http://x.org", ("characteristics", "see http://x.org")),
    ],
)
def test_parse_characteristic(raw: str, expected: tuple[str, str]) -> None:
    assert parse_characteristic(raw) == expected


def test_series_fields_and_relations() -> None:
    res = load("GSE146537.soft", "GSE146583.soft", "GSE99709.soft")
    s = res.series.set_index("accession")
    assert s.loc["GSE146537", "subseries_of"] == ["GSE146583"]
    assert s.loc["GSE146583", "superseries_of"] == [
        "GSE146537",
        "GSE146538",
        "GSE146539",
        "GSE146540",
        "GSE146541",
    ]
    assert s.loc["GSE146583", "n_samples"] == 50
    assert s.loc["GSE146583", "organism"] == ["Homo sapiens", "Mus musculus"]
    assert s.loc["GSE146583", "platforms"] == ["GPL16791", "GPL17021", "GPL20301"]
    assert s.loc["GSE99709", "sra_study"] == "SRP108660"
    assert s.loc["GSE99709", "bioproject"] == "PRJNA389387"
    assert s.loc["GSE99709", "contributors"] == ["John N Mariani", "Gareth R John"]
    assert s.loc["GSE99709", "contact_name"] == "John Mariani"
    assert s.loc["GSE146537", "submitted"] == pd.Timestamp("2020-03-06")
    assert s.loc["GSE146537", "published"] == pd.Timestamp("2021-11-15")
    assert str(s["n_samples"].dtype) == "Int64"
    assert str(s["submitted"].dtype).startswith("datetime64")


def test_samples_get_characteristic_columns_and_sra_links() -> None:
    names = (
        ["GSE146537.soft"]
        + [f"GSM439189{i}.soft" for i in range(6, 10)]
        + ["GSM4391900.soft", "GSM4391901.soft"]
    )
    res = load(*names)
    samples = res.samples
    assert len(samples) == 6
    assert set(samples.series_accession) == {"GSE146537"}
    assert samples["ch1.genotype"].tolist().count("SETD2-deficient") == 3
    assert set(samples["ch1.cell line"]) == {"JHRCC12"}
    first = samples.set_index("accession").loc["GSM4391896"]
    assert first.sra_experiment == "SRX7866141"
    assert first.biosample == "SAMN14322350"
    assert first.library_strategy == "ATAC-seq"
    assert first.instrument == "Illumina HiSeq 2500"
    files = res.files
    assert files.level.value_counts().to_dict() == {"sample": 6, "series": 1}
    assert set(files[files.level == "sample"].category) == {"genome_track"}
    assert files.url.str.startswith(FTP).all()


def test_two_channel_array_gets_ch2_columns() -> None:
    entities = list(iter_soft_file(HERE / "data" / "soft" / "soft_ex_family.txt"))
    series, samples, platforms = convert_entities(entities, rewrite)
    res = GEOResult(GEORecords(series=series, samples=samples, platforms=platforms))
    columns = set(res.samples.columns)
    assert {"ch1.cell line", "ch1.strain", "ch2.strain", "ch2.age"} <= columns
    assert res.samples["ch2.strain"].tolist() == ["C57BL/6"] * 3
    assert res.platforms.technology.tolist() == ["spotted oligonucleotide"]


def test_old_record_url_and_sample_without_series_list() -> None:
    res = load("GSM11805.soft.gz")
    (row,) = res.files.itertuples()
    assert row.url == f"{FTP}/samples/GSM11nnn/GSM11805/suppl/GSM11805.CEL.gz"
    assert (row.category, row.format, row.compression) == ("microarray", "CEL", "gz")
    assert res.samples.series_accession.tolist() == ["GSE781"]
    assert res.records.samples[0].data_row_count == 22283


def test_records_are_json_serialisable() -> None:
    res = load("GSE146537.soft", "GSM4391896.soft")
    again = GEORecords.model_validate_json(res.records.model_dump_json())
    assert again == res.records


def test_empty_result_has_all_columns() -> None:
    res = GEOResult(GEORecords())
    assert list(res.series.columns)[:3] == ["accession", "title", "summary"]
    assert "series_accession" in res.samples.columns
    assert "size_bytes" in res.files.columns and str(res.files.size_bytes.dtype) == "Int64"
    assert list(res.errors.columns) == ["accession", "kind", "message"]
    assert res.raise_for_errors() is res


def test_repr_counts_without_building_dataframes() -> None:
    res = load("GSE146537.soft", *[f"GSM439189{i}.soft" for i in range(6, 10)])
    assert repr(res) == "GEOResult(1 series, 4 samples, 0 platforms, 5 files, 0 errors)"
    assert "samples" not in vars(res) and "files" not in vars(res)
    assert len(res.samples) == 4 and len(res.files) == 5
