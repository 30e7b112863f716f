"""Series matrices and family SOFT files: the emulator's generated ones follow the real
ones, and the client reads a matrix header into the entities acc.cgi's answer gives."""

from __future__ import annotations

import gzip
import io
import random
from pathlib import Path

import httpx
import pytest

from geo_nb.errors import ParseError
from geo_nb.parse.family import complete_series, family_entities
from geo_nb.parse.matrix_header import matrix_entities, merge_matrices, parse_matrix_header
from geo_nb.parse.soft import SoftFeed, iter_soft, iter_soft_file, parse_soft
from geo_nb.testing import DataStore, NCBIEmulator
from geo_nb.testing.families import DATABASE_BLOCK
from geo_nb.testing.seriesfiles import (
    family_bytes,
    large_matrix,
    matrix_files,
    matrix_text,
    recorded_table,
    sync,
)
from geo_nb.testing.store import BUNDLED_DATA

FTP = BUNDLED_DATA / "ftp" / "geo" / "series"
REAL_MATRIX = FTP / "GSE211nnn/GSE211781/matrix/GSE211781_series_matrix.txt.gz"
REAL_FAMILY = FTP / "GSE211nnn/GSE211781/soft/GSE211781_family.soft.gz"
GSE99709_MATRIX = FTP / "GSE99nnn/GSE99709/matrix/GSE99709_series_matrix.txt.gz"
GSE10288_MATRIX = FTP / "GSE10nnn/GSE10288/matrix/GSE10288_series_matrix.txt.gz"


def header_of(path: Path) -> bytes:
    text = gzip.decompress(path.read_bytes())
    return text[: text.index(b"!series_matrix_table_begin")]


# ---- the emulator's generated files --------------------------------------------------


def test_a_generated_matrix_is_byte_for_byte_the_real_one() -> None:
    """GSE211781's records (split from its real family file) give its real matrix."""
    real = gzip.decompress(REAL_MATRIX.read_bytes()).decode()
    assert matrix_text(DataStore(), "GSE211781") == real


def test_a_generated_series_block_is_the_real_one_but_for_a_later_update() -> None:
    """GSE99709: the acc.cgi record (2019) against the real matrix (2018)."""
    real = header_of(GSE99709_MATRIX).decode().split("\n\n")[0].splitlines()
    generated = matrix_text(DataStore(), "GSE99709").split("\n\n")[0].splitlines()
    differing = [(a, b) for a, b in zip(real, generated, strict=True) if a != b]
    assert differing == [
        ('!Series_last_update_date\t"Oct 31 2018"', '!Series_last_update_date\t"May 15 2019"')
    ]


def test_a_generated_family_is_the_database_block_and_the_records() -> None:
    store = DataStore()
    text = gzip.decompress(family_bytes(store, "GSE146537")).decode()
    assert text.startswith(DATABASE_BLOCK + "^SERIES = GSE146537\n")
    assert "Series_sample_organism" not in text and "Series_platform_organism" not in text
    record = store.record("GSE146537")
    assert record is not None
    kept = [line for line in record.lines if "_organism" not in line]
    platforms = [store.record(a) for a in record.values("Series_platform_id")]
    samples = [store.record(a) for a in record.values("Series_sample_id")]
    assert any(platforms)  # GPL16791 is recorded (split from GSE211781's family file)
    recorded = [*(p.text for p in platforms if p), *(s.text for s in samples if s)]
    assert text == DATABASE_BLOCK + "".join(kept) + "".join(recorded)


def test_the_real_family_file_has_no_series_organism_lines_either() -> None:
    """Why a generated family leaves them out (and the client fills them in)."""
    text = gzip.decompress(REAL_FAMILY.read_bytes()).decode()
    assert "!Series_sample_taxid" in text and "!Series_sample_organism" not in text


def test_a_recorded_table_goes_into_the_family_file() -> None:
    store = DataStore()
    table = recorded_table(store, "GSM665386")
    assert table.startswith("#ID_REF = \n#VALUE = Pre processed, normalized, log2 expression")
    assert table.count("\n") == 28_231 + 5
    entities = parse_soft(gzip.decompress(family_bytes(store, "GSE27011")))
    tables = {e.accession: e.table_lines for e in entities if e.kind == "SAMPLE"}
    assert tables["GSM665386"] == 28_232 and sum(tables.values()) == 28_232
    assert recorded_table(store, "GSM665387") == ""


def test_sync_serves_generated_files_and_real_ones_win() -> None:
    store = DataStore()
    sync(store)
    generated = store.ftp_file("series/GSE146nnn/GSE146537/matrix/GSE146537_series_matrix.txt.gz")
    assert generated is not None and generated.size > 0
    real = store.ftp_file("series/GSE211nnn/GSE211781/matrix/GSE211781_series_matrix.txt.gz")
    assert real is not None and real.disk == REAL_MATRIX
    # Multi-platform: one file per platform with recorded samples.
    assert sorted(matrix_files(store, "GSE146583")) == [
        "GSE146583-GPL16791_series_matrix.txt.gz",
        "GSE146583-GPL17021_series_matrix.txt.gz",
        "GSE146583-GPL20301_series_matrix.txt.gz",
    ]
    # No recorded sample: a family file, no matrix.
    assert store.listing("series/GSE105nnn/GSE105845/matrix") is None
    assert store.ftp_file("series/GSE105nnn/GSE105845/soft/GSE105845_family.soft.gz")
    # A series that is not public has neither.
    store.set_status("GSE146537", "private")
    sync(store)
    assert store.listing("series/GSE146nnn/GSE146537") is None
    # A test's own file wins over a generated one.
    store.set_status("GSE146537", "public")
    path = "series/GSE150nnn/GSE150868/matrix/GSE150868_series_matrix.txt.gz"
    store.add_ftp_file(path, b"mine")
    record = store.record("GSE150868")
    assert record is not None
    store.add_record(record.text)  # a new version of the store
    sync(store)
    mine = store.ftp_file(path)
    assert mine is not None and b"".join(mine.read()) == b"mine"


def test_the_emulator_serves_them_and_the_acc_knob(ncbi_emulator: NCBIEmulator) -> None:
    base = ncbi_emulator.base_url
    with httpx.Client(base_url=base, trust_env=False) as client:
        listing = client.get("/geo/series/GSE146nnn/GSE146583/matrix/")
        assert "GSE146583-GPL20301_series_matrix.txt.gz" in listing.text
        params = {"acc": "GSE146537", "targ": "all", "form": "text", "view": "brief"}
        assert client.get("/geo/query/acc.cgi", params=params).text.startswith("^SERIES")
        ncbi_emulator.acc_mode = "challenge"
        page = client.get("/geo/query/acc.cgi", params=params)
        assert page.status_code == 200 and "captcha" in page.text.lower()
        ncbi_emulator.acc_mode = "unavailable"
        assert client.get("/geo/query/acc.cgi", params=params).status_code == 503
        # Only acc.cgi: the FTP tree and E-utilities still answer.
        assert client.get("/geo/series/GSE146nnn/GSE146537/soft/").status_code == 200
        search = {"db": "gds", "term": "SETD2", "retmode": "json"}
        assert client.get("/entrez/eutils/esearch.fcgi", params=search).status_code == 200
        ncbi_emulator.clear_faults()
        assert ncbi_emulator.acc_mode == "ok"
        assert client.get("/geo/query/acc.cgi", params=params).status_code == 200
    with pytest.raises(ValueError, match="acc_mode"):
        ncbi_emulator.acc_mode = "sometimes"  # type: ignore[assignment]


def test_a_large_matrix_is_a_real_header_on_synthetic_rows() -> None:
    header = header_of(GSE10288_MATRIX)
    data = large_matrix(header, 5 * 2**20)
    assert 5 * 2**20 < len(data) < 6 * 2**20
    text = gzip.decompress(data)
    assert text.startswith(header)
    lines = text[len(header) :].splitlines()
    assert lines[0] == b"!series_matrix_table_begin" and lines[-1] == b"!series_matrix_table_end"
    assert lines[1].count(b"\t") == 46 and lines[2].startswith(b'"SYN_0"\t')


# ---- the client's reading of them -----------------------------------------------------


def test_matrix_samples_equal_the_family_samples() -> None:
    """The real GSE211781 pair: the matrix header gives the family's entities exactly."""
    matrix = {e.accession: e for e in complete_series(parse_matrix_header(header_of(REAL_MATRIX)))}
    family = {
        e.accession: e
        for e in family_entities(parse_soft(gzip.decompress(REAL_FAMILY.read_bytes())))
    }
    assert set(family) - set(matrix) == {"GPL16791"}
    # The family's platform record gives the series a platform organism; a matrix has none.
    assert family["GSE211781"].attributes.pop("platform_organism") == ["Homo sapiens"]
    for accession, entity in matrix.items():
        assert entity.kind == family[accession].kind
        assert entity.attributes == family[accession].attributes, accession


def test_a_series_takes_the_organism_of_samples_of_2002() -> None:
    """GSM804 (real, 2002) has one ``!Sample_organism`` line, no ``_ch1`` twin."""
    sample = (Path(__file__).parent / "data" / "soft" / "GSM804_2002.txt").read_bytes()
    family = family_entities(parse_soft(b"^SERIES = GSE16\n!Series_sample_id = GSM804\n" + sample))
    assert family[0].attributes["sample_organism"] == ["Homo sapiens"]


def test_padding_and_sample_ids() -> None:
    lines = [
        '!Series_geo_accession\t"GSE1"',
        '!Series_sample_id\t"GSM1 GSM2 "',
        '!Sample_geo_accession\t"GSM1"\t"GSM2"',
        '!Sample_characteristics_ch1\t"a: 1"\t"a: 2"',
        '!Sample_characteristics_ch1\t"b: 1"\t""',
        '!Sample_description\t"tab\tinside"\t"x"',
        "!series_matrix_table_begin",
        "never read",
    ]
    series, first, second = matrix_entities(iter(lines))
    assert series.attributes["sample_id"] == ["GSM1", "GSM2"]
    assert first.attributes["characteristics_ch1"] == ["a: 1", "b: 1"]
    assert second.attributes["characteristics_ch1"] == ["a: 2"]
    assert first.attributes["description"] == ["tab\tinside"]
    assert first.attributes["series_id"] == ["GSE1"]


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (['!Sample_geo_accession\t"GSM1"'], "no !Series_geo_accession"),
        (['!Series_geo_accession\t"GSE1"', '!Sample_title\t"x"'], "without a !Sample_geo"),
        (['!Series_geo_accession\t"GSE1"', '!Sample_geo_accession\t"GSM1"\t"GSM1"'], "repeated"),
        (
            [
                '!Series_geo_accession\t"GSE1"',
                '!Sample_geo_accession\t"GSM1"',
                '!Sample_title\t"x"\t"y"',
            ],
            "2 values for 1",
        ),
    ],
)
def test_not_a_matrix_is_a_parse_error(lines: list[str], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        matrix_entities(lines)


def test_merged_matrices_join_platforms_and_samples() -> None:
    store = DataStore()
    parts = [
        matrix_entities(io.StringIO(text)) for text in matrix_files(store, "GSE146583").values()
    ]
    merged = complete_series(merge_matrices(parts))
    series = merged[0]
    assert series.values("platform_id") == ["GPL16791", "GPL17021", "GPL20301"]
    assert len(series.values("sample_id")) == 50 and len(merged) == 1 + 50
    assert series.values("sample_organism") == ["Homo sapiens", "Mus musculus"]
    assert merge_matrices([]) == []


def test_complete_series_keeps_what_geo_wrote() -> None:
    entities = parse_soft(
        "^SERIES = GSE1\n!Series_sample_organism = Mus musculus\n!Series_sample_id = GSM1\n"
        "^SAMPLE = GSM1\n!Sample_organism_ch1 = Homo sapiens\n"
        "^SERIES = GSE2\n!Series_platform_id = GPL1\n^PLATFORM = GPL1\n!Platform_organism = Rat\n"
    )
    complete_series(entities)
    assert entities[0].attributes["sample_organism"] == ["Mus musculus"]
    assert entities[2].attributes["platform_organism"] == ["Rat"]
    assert "sample_organism" not in entities[2].attributes


@pytest.mark.parametrize("seed", range(3))
def test_soft_feed_in_random_pieces_equals_the_line_reader(seed: int) -> None:
    data = gzip.decompress(family_bytes(DataStore(), "GSE27011"))
    rng = random.Random(seed)
    feed = SoftFeed("pieces")
    found = []
    position = 0
    while position < len(data):
        step = rng.choice([1, 7, 100, 4096, 70_000])
        found += feed.feed(data[position : position + step])
        position += step
    found += feed.close()
    assert found == list(iter_soft(io.StringIO(data.decode()), source="pieces"))


def test_the_file_reader_still_reads_gzip(tmp_path: Path) -> None:
    path = tmp_path / "family.soft.gz"
    path.write_bytes(family_bytes(DataStore(), "GSE146537"))
    assert [e.accession for e in iter_soft_file(path)][:2] == ["GeoMiame", "GSE146537"]


def test_every_bundled_file_has_a_provenance_line() -> None:
    listed = {
        line.split("\t")[0]
        for line in (BUNDLED_DATA / "PROVENANCE.tsv").read_text().splitlines()[1:]
        if line.strip()
    }
    files = {
        path.relative_to(BUNDLED_DATA).as_posix()
        for path in BUNDLED_DATA.rglob("*")
        if path.is_file() and path.name not in ("PROVENANCE.tsv", "README.md")
    }
    assert files == listed
