"""The MINiML -> SOFT conversion of GSE27011 and the emulator serving its records and CEL files."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

import geo_nb
from geo_nb.parse.soft import parse_soft
from geo_nb.testing import NCBIEmulator
from geo_nb.testing.miniml import convert_family, main, unmapped_tags

DATA = Path(__file__).resolve().parents[1] / "geo_nb" / "testing" / "data"
FAMILY = DATA / "sources" / "GSE27011_family.xml"
FILELIST = DATA / "ftp" / "geo" / "series" / "GSE27nnn" / "GSE27011" / "suppl" / "filelist.txt"
SAMPLES = [f"GSM665{n}" for n in range(386, 440)]


@pytest.fixture(scope="module")
def records() -> dict[str, str]:
    return convert_family(FAMILY)


def cel_sizes() -> dict[str, int]:
    rows = [line.split("\t") for line in FILELIST.read_text().splitlines()[1:]]
    return {name: int(size) for kind, name, _, size, _ in rows if kind == "File"}


def test_family_converts_to_series_platform_and_54_samples(records: dict[str, str]) -> None:
    assert list(records) == ["GSE27011", "GPL6244", *SAMPLES]
    assert unmapped_tags(FAMILY) == set()
    series = parse_soft(records["GSE27011"])[0]
    assert (series.kind, series.accession) == ("SERIES", "GSE27011")
    assert series.values("sample_id") == SAMPLES
    assert series.first("status") == "Public on Dec 01 2011"
    assert series.first("submission_date") == "Feb 02 2011"
    assert series.values("pubmed_id") == ["23222870", "25256354"]
    assert series.values("contributor") == ["Christina,O,Pietras", "Erik,,Melén"]
    assert series.first("contact_name") == "Christina,,Orsmark Pietras"
    assert series.first("contact_zip/postal_code") == "11767"
    assert series.values("platform_id") == ["GPL6244"]
    assert (series.first("sample_taxid"), series.first("platform_taxid")) == ("9606", "9606")
    assert series.values("relation") == [
        "BioProject: https://www.ncbi.nlm.nih.gov/bioproject/PRJNA137597"
    ]
    assert series.values("supplementary_file") == [
        "ftp://ftp.ncbi.nlm.nih.gov/geo/series/GSE27nnn/GSE27011/suppl/GSE27011_RAW.tar"
    ]


def test_platform_fields(records: dict[str, str]) -> None:
    gpl = parse_soft(records["GPL6244"])[0]
    assert gpl.first("technology") == "in situ oligonucleotide"
    assert gpl.first("distribution") == "commercial"
    assert (gpl.first("organism"), gpl.first("taxid")) == ("Homo sapiens", "9606")
    assert gpl.first("manufacturer") == "Affymetrix"
    assert gpl.first("manufacture_protocol") == "See manufacturer's web site"
    assert gpl.first("data_row_count") == "33297"
    assert len(gpl.values("web_link")) == 2
    assert len(gpl.values("relation")) == 27
    assert gpl.values("relation")[0] == "Alternative to: GPL10063"
    # A blank line inside the description becomes an empty value line, as in GEO's SOFT.
    assert "" in gpl.values("description")
    assert "!Platform_description = \n" in records["GPL6244"]


def test_samples_carry_characteristics_protocols_and_cel_urls(records: dict[str, str]) -> None:
    for accession in SAMPLES:
        gsm = parse_soft(records[accession])[0]
        assert (gsm.kind, gsm.accession, gsm.first("geo_accession")) == (
            "SAMPLE",
            accession,
            accession,
        )
        characteristics = gsm.values("characteristics_ch1")
        assert [c.split(": ")[0] for c in characteristics] == ["tissue", "age", "Sex"]
        assert gsm.first("supplementary_file") == (
            f"ftp://ftp.ncbi.nlm.nih.gov/geo/samples/GSM665nnn/{accession}/suppl/{accession}.CEL.gz"
        )
        assert gsm.first("platform_id") == "GPL6244"
        assert gsm.values("series_id") == ["GSE27011"]
        assert gsm.first("taxid_ch1") == "9606"
        assert gsm.first("label_ch1") == "biotin"
        for label in ("hyb_protocol", "scan_protocol", "extract_protocol_ch1", "data_processing"):
            assert gsm.first(label), label
        assert gsm.first("type") == "RNA" and gsm.first("channel_count") == "1"
    first = parse_soft(records["GSM665386"])[0]
    assert first.values("characteristics_ch1") == [
        "tissue: white blood cells",
        "age: 12",
        "Sex: male",
    ]
    assert first.first("data_row_count") == "28231"
    assert first.first("status") == "Public on Dec 01 2011"


def test_bundled_records_are_the_converter_output(records: dict[str, str]) -> None:
    for accession, text in records.items():
        path = DATA / "records" / f"{accession}.soft"
        assert path.read_bytes() == text.encode("utf-8"), accession
        entities = parse_soft(path.read_bytes(), source=str(path))
        assert [e.accession for e in entities] == [accession]
        assert entities[0].table_lines == 0


def test_command_line_writes_one_file_per_entity(tmp_path: Path) -> None:
    assert main([str(FAMILY), str(tmp_path)]) == 0
    assert sorted(p.stem for p in tmp_path.iterdir()) == sorted(["GSE27011", "GPL6244", *SAMPLES])
    assert main([]) == 2


def test_acc_cgi_serves_the_family(ncbi_emulator: NCBIEmulator) -> None:
    params = {"acc": "GSE27011", "targ": "all", "form": "text", "view": "brief"}
    text = httpx.get(ncbi_emulator.acc_url, params=params).text
    entities = parse_soft(text)
    assert [e.accession for e in entities] == ["GSE27011", "GPL6244", *SAMPLES]


def test_fetch_lists_54_cel_files_with_filelist_sizes(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE27011", progress=False)
    assert res.errors.empty
    assert res.samples.accession.tolist() == SAMPLES
    assert {"ch1.tissue", "ch1.age", "ch1.sex"} <= set(res.samples.columns)
    assert res.platforms.accession.tolist() == ["GPL6244"]
    cel = res.files.query("format == 'CEL'").set_index("name")
    assert cel.size_bytes.to_dict() == cel_sizes()
    assert (cel.size_source == "filelist").all() and cel.size_exact.all()
    assert (cel.archive == "GSE27011_RAW.tar").all()
    assert cel.accession.tolist() == SAMPLES
    raw = res.files.set_index("name").loc["GSE27011_RAW.tar"]
    assert (raw.size_bytes, raw.size_source, raw.level) == (227532800, "filelist", "series")
    # Each sample's own CEL file exists in the FTP tree, with the filelist's size.
    url = cel.loc["GSM665386.CEL.gz"].url
    head = httpx.head(url)
    assert head.status_code == 200
    assert int(head.headers["content-length"]) == 4317100
