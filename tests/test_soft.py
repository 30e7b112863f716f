"""The streaming SOFT reader, and the differential test against GEOparse."""

from __future__ import annotations

import gzip
import logging
from pathlib import Path

import pytest

from geo_nb.errors import ParseError
from geo_nb.parse.soft import iter_soft_file, parse_soft

GEOparse = pytest.importorskip("GEOparse.GEOparse")

HERE = Path(__file__).parent
DATA = HERE.parent / "geo_nb" / "testing" / "data"


def _soft_fixtures() -> list[Path]:
    files = sorted((HERE / "data" / "soft").glob("*"))
    files += sorted((DATA / "records").glob("*.soft*"))
    files += sorted((DATA / "ftp").rglob("*.soft.gz"))
    return [f for f in files if f.suffix != ".tsv"]


FIXTURES = _soft_fixtures()


def test_there_are_fixtures_to_compare() -> None:
    kinds = {e.kind for f in FIXTURES for e in iter_soft_file(f)}
    assert len(FIXTURES) >= 20
    assert {"SERIES", "SAMPLE", "PLATFORM", "DATABASE", "DATASET", "SUBSET"} <= kinds


def _geoparse(path: Path):  # type: ignore[no-untyped-def]
    logging.getLogger("GEOparse").setLevel(logging.CRITICAL)
    kinds = {e.kind for e in iter_soft_file(path)}
    if "DATASET" in kinds:
        return GEOparse.parse_GDS(str(path), {})
    return GEOparse.parse_GSE(str(path), {})


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.name)
def test_metadata_equals_geoparse(path: Path) -> None:
    ours = list(iter_soft_file(path))
    theirs = _geoparse(path)
    by_kind: dict[str, dict[str, object]] = {}
    for entity in ours:
        # A GDS file repeats ^DATASET for its table; GEOparse reads metadata from the first.
        by_kind.setdefault(entity.kind, {}).setdefault(entity.accession, entity)
    if "DATASET" in by_kind:
        (dataset,) = by_kind["DATASET"].values()
        assert dataset.attributes == theirs.metadata  # type: ignore[attr-defined]
        assert set(by_kind["SUBSET"]) == set(theirs.subsets)
        for name, subset in by_kind["SUBSET"].items():
            assert subset.attributes == theirs.subsets[name].metadata  # type: ignore[attr-defined]
        return
    for name, entity in by_kind.get("SERIES", {}).items():
        assert theirs.name == name
        assert entity.attributes == theirs.metadata  # type: ignore[attr-defined]
    assert set(by_kind.get("SAMPLE", {})) == set(theirs.gsms)
    for name, entity in by_kind.get("SAMPLE", {}).items():
        gsm = theirs.gsms[name]
        assert entity.attributes == gsm.metadata  # type: ignore[attr-defined]
        assert entity.columns == dict(
            zip(gsm.columns.index, gsm.columns["description"], strict=True)
        )  # type: ignore[attr-defined]
        assert max(entity.table_lines - 1, 0) == len(gsm.table)  # type: ignore[attr-defined]
    assert set(by_kind.get("PLATFORM", {})) == set(theirs.gpls)
    for name, entity in by_kind.get("PLATFORM", {}).items():
        assert entity.attributes == theirs.gpls[name].metadata  # type: ignore[attr-defined]
    if "DATABASE" in by_kind:
        (database,) = by_kind["DATABASE"].values()
        assert database.attributes == theirs.database.metadata  # type: ignore[attr-defined]


def test_tables_are_skipped_and_counted() -> None:
    text = (
        "^SAMPLE = GSM1\n!Sample_title = a\n#ID_REF = probe\n#VALUE = signal\n"
        "!sample_table_begin\nID_REF\tVALUE\np1\t1.0\np2\t2.0\n!sample_table_end\n"
        "^SAMPLE = GSM2\n!Sample_title = b\n"
    )
    first, second = parse_soft(text)
    assert first.attributes == {"title": ["a"]}
    assert first.columns == {"ID_REF": "probe", "VALUE": "signal"}
    assert first.table_lines == 3
    assert second.accession == "GSM2"
    assert second.table_lines == 0


def test_repeated_labels_keep_every_value_in_order() -> None:
    (entity,) = parse_soft(
        "^SAMPLE = GSM1\n!Sample_characteristics_ch1 = treatment: A\n"
        "!Sample_characteristics_ch1 = treatment: B\n!Sample_description =\n"
    )
    assert entity.values("characteristics_ch1") == ["treatment: A", "treatment: B"]
    assert entity.values("description") == [""]
    assert entity.first("missing", "x") == "x"


def test_values_may_contain_equals_signs() -> None:
    (entity,) = parse_soft("^SERIES = GSE1\n!Series_summary = a = b; c=d\n")
    assert entity.first("summary") == "a = b; c=d"


def test_latin1_bytes_are_decoded() -> None:
    (entity,) = parse_soft("^SAMPLE = GSM1\n!Sample_title = caf\xe9 \xb5g\n".encode("latin-1"))
    assert entity.first("title") == "café µg"


def test_crlf_and_bom_are_tolerated() -> None:
    (entity,) = parse_soft("\ufeff^SERIES = GSE1\r\n!Series_title = t\r\n")
    assert entity.attributes == {"title": ["t"]}


@pytest.mark.parametrize(
    "text",
    [
        "<!DOCTYPE html><html><title>GEO Accession viewer</title></html>",
        "!Series_title = no entity header\n",
        "^ = \n",
        "^SAMPLE = GSM1\n!sample_table_begin\nID\tVALUE\n1\t2\n",
    ],
    ids=["html", "no-header", "empty-entity", "unclosed-table"],
)
def test_not_soft_or_truncated_raises_parse_error(text: str) -> None:
    with pytest.raises(ParseError):
        parse_soft(text)


def test_truncated_gzip_file_raises_parse_error(tmp_path: Path) -> None:
    blob = gzip.compress(b"^SERIES = GSE1\n!Series_title = t\n" * 2000)
    path = tmp_path / "x.soft.gz"
    path.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(ParseError, match="corrupt or truncated"):
        list(iter_soft_file(path))


@pytest.mark.parametrize("chunk", [1, 7, 64, 4096])
def test_file_reader_agrees_with_the_line_reader_across_chunk_boundaries(
    chunk: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo_nb.parse import soft

    monkeypatch.setattr(soft, "_CHUNK", chunk)
    for path in [
        *[p for p in FIXTURES if p.suffix != ".gz"][:12],
        DATA / "records" / "GSM11805.soft.gz",
    ]:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        by_lines = parse_soft(raw)
        by_file = list(iter_soft_file(path))
        assert [(e.kind, e.accession, e.attributes, e.columns, e.table_lines) for e in by_file] == [
            (e.kind, e.accession, e.attributes, e.columns, e.table_lines) for e in by_lines
        ], path.name


def test_table_end_text_inside_rows_does_not_end_the_table(tmp_path: Path) -> None:
    text = (
        "^SAMPLE = GSM1\n!Sample_title = a\n!sample_table_begin\nID\tVALUE\n"
        "x_table_end\t1\n!not_the_end_table_end_but_more\t2\n  !sample_table_end\t3\n"
        "!SAMPLE_TABLE_END\n^SAMPLE = GSM2\n!Sample_title = b\n"
    )
    path = tmp_path / "x.soft"
    path.write_text(text)
    first, second = iter_soft_file(path)
    assert first.table_lines == 4 and second.attributes == {"title": ["b"]}
    assert [(e.accession, e.table_lines) for e in parse_soft(text)] == [("GSM1", 4), ("GSM2", 0)]


# An end marker with leading blanks is a row of the table, not its end. A SOFT line's type
# is its first character (GEO's SOFT documentation: "^" entity, "!" attribute, "#" column,
# anything else a table row); GEO never indents a marker, and GEOparse keeps such a line as a
# data row (parse_table_data keeps every line not starting with "^", "!" or "#"). Both
# readers, the client's and the emulator's, follow this.
GSM1_TABLE = (
    "!sample_table_begin\nID_REF\tVALUE\np1\t1.0\n  !sample_table_end\np2\t2.0\n"
    "\t!sample_table_end\np3\t3.0\n!sample_table_end\n"
)
GSM1 = "^SAMPLE = GSM1\n!Sample_title = one\n#ID_REF = probe\n#VALUE = signal\n" + GSM1_TABLE
GSM2 = "^SAMPLE = GSM2\n!Sample_title = two\n!sample_table_begin\nID_REF\tVALUE\nq1\t4.0\n"
INDENTED_END = GSM1 + GSM2 + "!sample_table_end\n"


def test_geoparse_reads_an_indented_end_marker_as_a_row() -> None:
    gsm = GEOparse.parse_GSM(GSM1.splitlines(), "GSM1")
    rows = gsm.table.fillna("").values.tolist()
    assert rows == [
        ["p1", "1.0"],
        ["  !sample_table_end", ""],
        ["p2", "2.0"],
        ["", "!sample_table_end"],
        ["p3", "3.0"],
    ]
    assert gsm.metadata == {"title": ["one"]}


@pytest.mark.parametrize("chunk", [1, 5, 64, 1 << 18])
def test_an_indented_end_marker_is_a_row_for_the_client(
    chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geo_nb.parse import soft

    monkeypatch.setattr(soft, "_CHUNK", chunk)
    path = tmp_path / "indented.soft"
    path.write_text(INDENTED_END)
    # GSM1's table: its header row, p1, p2, p3 and the two indented markers.
    expected = [("GSM1", {"title": ["one"]}, 6), ("GSM2", {"title": ["two"]}, 2)]
    for entities in (parse_soft(INDENTED_END), list(iter_soft_file(path))):
        assert [(e.accession, e.attributes, e.table_lines) for e in entities] == expected
        assert entities[0].columns == {"ID_REF": "probe", "VALUE": "signal"}


@pytest.mark.parametrize("indent", ["  ", "\t", " \t "])
def test_an_indented_end_marker_does_not_close_a_table(indent: str, tmp_path: Path) -> None:
    text = f"^SAMPLE = GSM1\n!sample_table_begin\nID_REF\tVALUE\np1\t1\n{indent}!sample_table_end\n"
    path = tmp_path / "cut.soft"
    path.write_text(text)
    with pytest.raises(ParseError, match="not closed"):
        parse_soft(text)
    with pytest.raises(ParseError, match="not closed"):
        list(iter_soft_file(path))


def test_an_indented_end_marker_is_a_row_for_the_emulator() -> None:
    from geo_nb.testing.soft import split_entities

    first, second = split_entities(INDENTED_END)
    assert first.text == GSM1
    assert first.render("brief") == "^SAMPLE = GSM1\n!Sample_title = one\n"
    assert first.render("data") == "^SAMPLE = GSM1\n" + GSM1_TABLE
    assert first.render("quick") == GSM1  # 5 rows after the header: all kept
    assert first.attributes == (("Sample_title", "one"),)
    assert second.render("brief") == "^SAMPLE = GSM2\n!Sample_title = two\n"


def test_an_end_marker_in_any_case_ends_the_table_for_every_reader(tmp_path: Path) -> None:
    from geo_nb.testing.soft import split_entities

    text = INDENTED_END.replace("p3\t3.0\n!sample_table_end\n", "p3\t3.0\n!Sample_Table_End \r\n")
    path = tmp_path / "mixed.soft"
    path.write_bytes(text.encode())
    expected = [("GSM1", 6), ("GSM2", 2)]
    assert [(e.accession, e.table_lines) for e in parse_soft(text)] == expected
    assert [(e.accession, e.table_lines) for e in iter_soft_file(path)] == expected
    first, _ = split_entities(text)
    assert first.render("brief") == "^SAMPLE = GSM1\n!Sample_title = one\n"
    assert first.render("data").endswith("p3\t3.0\n!Sample_Table_End \r\n")


def test_records_in_the_format_of_2001_read_with_their_channels() -> None:
    """GEO's early format (tests/data/soft/PROVENANCE.tsv): "^SAMPLE=GSM645" without spaces,
    CRLF, a table without begin/end markers, and no _ch1 labels (one !Sample_organism for
    all channels, sources as !Sample_target_source or !Sample_target_source1/2)."""
    from geo_nb.parse.convert import convert_entities

    soft = HERE / "data" / "soft"
    (single,) = convert_entities(parse_soft((soft / "GSM645_2001.txt").read_bytes()), str)[1]
    assert (single.accession, single.platform, single.series) == ("GSM645", "GPL22", ["GSE13"])
    assert single.title == "Large Pre-BII cells 8b" and single.type == "single channel"
    assert str(single.submitted) == "2001-11-27" and str(single.published) == "2001-12-17"
    assert [(c.source, c.organism) for c in single.channels] == [
        ("Large Pre-BII cells", "Mus musculus")
    ]
    assert not any(k.startswith(("ID_REF", "AFFX")) for k in single.attributes)  # no rows
    (dual,) = convert_entities(parse_soft((soft / "GSM804_2002.txt").read_bytes()), str)[1]
    assert dual.accession == "GSM804" and dual.type == "dual channel genomic"
    assert [(c.source, c.organism) for c in dual.channels] == [
        ("Cell line GM05296", "Homo sapiens"),
        ("normal male reference genomic DNA", "Homo sapiens"),
    ]
