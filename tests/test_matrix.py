"""Tests for geo_nb.parse.matrix: series matrix files -> DataFrames.

Real files live in tests/data/matrix (see PROVENANCE.tsv there); edge cases are small inline
matrices; the large table for the speed test is generated from the real GSE10288 rows.
"""

from __future__ import annotations

import gzip
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from geo_nb.errors import ParseError
from geo_nb.parse.matrix import (
    SeriesMatrix,
    parse_series_matrix,
    read_series_matrix,
    read_series_matrix_header,
)

DATA = Path(__file__).parent / "data" / "matrix"
RNASEQ = DATA / "GSE99709_series_matrix.txt.gz"  # 12 samples, empty value table
ARRAY = DATA / "GSE10288_series_matrix.TRIMMED.txt.gz"  # 46 samples, 20 rows kept
SOFT = Path(__file__).parent / "data" / "soft" / "soft_ex_family.txt"


def text_of(path: Path) -> str:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return fh.read()


def matrix(*sample_lines: str, table: list[str] | None = None, series: str = "GSE1") -> list[str]:
    """A small series matrix as lines (tab-separated; pass lines with literal tabs)."""
    rows = table if table is not None else ['"ID_REF"\t"GSM1"\t"GSM2"']
    return [
        f'!Series_geo_accession\t"{series}"',
        '!Sample_geo_accession\t"GSM1"\t"GSM2"',
        *sample_lines,
        "!series_matrix_table_begin",
        *rows,
        "!series_matrix_table_end",
    ]


# --- real files ---------------------------------------------------------------------------


def test_rnaseq_samples_columns_and_characteristics() -> None:
    _, result = read_series_matrix(RNASEQ)
    assert isinstance(result, SeriesMatrix)
    samples = result.samples
    assert samples.shape[0] == 12
    assert samples.index.name == "accession"
    assert samples.index[0] == "GSM2650749"
    assert samples.index.tolist() == samples["geo_accession"].tolist()
    for column in ["title", "source_name_ch1", "organism_ch1", "platform_id"]:
        assert column in samples.columns
    assert samples["supplementary_file_1"].eq("NONE").all()
    assert [c for c in samples.columns if c.startswith("ch1.")] == [
        "ch1.strain background",
        "ch1.genotype/variation",
        "ch1.cell type",
        "ch1.viral treatment",
        "ch1.treated with",
    ]
    first = samples.loc["GSM2650749"]
    assert first["ch1.genotype/variation"] == "Stat3 flox/flox"
    assert first["ch1.treated with"] == "Vehicle"
    assert samples.loc["GSM2650752", "ch1.treated with"] == "100ng/ul CNTF"
    assert all(isinstance(dtype, pd.StringDtype) for dtype in samples.dtypes)
    assert not samples.columns.str.startswith("characteristics").any()


def test_rnaseq_repeated_labels_are_joined_and_relation_splits_back() -> None:
    _, result = read_series_matrix(RNASEQ)
    first = result.samples.loc["GSM2650749"]
    assert first["data_processing"].split("; ")[0] == "Basecalls performed using CASAVA version 1.8"
    assert first["data_processing"].endswith("and description")
    assert first["extract_protocol_ch1"].count("; ") == 1
    assert first["relation"].split("; ") == [
        "BioSample: https://www.ncbi.nlm.nih.gov/biosample/SAMN07197171",
        "SRA: https://www.ncbi.nlm.nih.gov/sra?term=SRX2885384",
    ]


def test_rnaseq_series_header() -> None:
    series, _ = read_series_matrix(RNASEQ)
    assert series["geo_accession"] == ["GSE99709"]
    assert series["contributor"] == ["John,N,Mariani", "Gareth,R,John"]
    assert series["relation"][0] == "SubSeries of: GSE99797"
    assert len(series["relation"]) == 3
    assert len(series["supplementary_file"]) == 2
    assert not any(label.startswith("!") for label in series)


def test_rnaseq_empty_table_gives_empty_frame_with_sample_columns() -> None:
    _, result = read_series_matrix(RNASEQ)
    expression = result.expression
    assert expression.shape == (0, 12)
    assert expression.columns.tolist() == result.samples.index.tolist()
    assert expression.index.name == "ID_REF"
    assert (expression.dtypes == "float64").all()


def test_microarray_table_is_numeric_and_matches_samples() -> None:
    series, result = read_series_matrix(ARRAY)
    samples, expression = result
    assert series["geo_accession"] == ["GSE10288"]
    assert samples.shape[0] == 46
    assert expression.shape == (20, 46)
    assert expression.columns.tolist() == samples.index.tolist()
    assert (expression.dtypes == "float64").all()
    assert expression.index.name == "ID_REF"
    assert expression.index[0] == "CM1-HN0016-081100-554-b04"
    assert expression.loc["CM1-HN0016-081100-554-h06", "GSM259778"] == 44.125
    assert expression.loc["CM1-HN0016-081100-554-b04"].isna().sum() == 5
    almost_empty = expression.loc["MR1-HN0069-151200-005-e11"]
    assert almost_empty.dropna().to_dict() == {"GSM259786": 0.0}


def test_microarray_messy_characteristics_and_text() -> None:
    series, result = read_series_matrix(ARRAY)
    samples = result.samples
    # "Patient :T1; Sex:M; ..." splits at the first colon; tag-less values get "characteristics".
    assert samples.loc["GSM259768", "ch1.patient"].startswith("T1; Sex:M; Age (years):73")
    assert pd.isna(samples.loc["GSM259783", "ch1.patient"])
    assert samples.loc["GSM259783", "ch1.characteristics"].startswith("Histologically normal")
    assert samples["ch1.patient"].notna().sum() == 26
    assert samples["submission_date"].value_counts().to_dict() == {
        "Jan 28 2008": 25,
        "Jan 27 2008": 21,
    }
    # Two scan_protocol lines; the second holds only "" and " ", which are NA, not "; ".
    assert samples["scan_protocol"].str.endswith("Amersham Biosciences).").all()
    assert samples["contact_city"].eq("S\u00e3o Paulo").all()
    assert "\u2265" in series["summary"][1]


@pytest.mark.parametrize("path", [RNASEQ, ARRAY])
def test_header_reader_agrees_with_full_reader(path: Path) -> None:
    series, samples = read_series_matrix_header(path)
    full_series, result = read_series_matrix(path)
    assert series == full_series
    pd.testing.assert_frame_equal(samples, result.samples)


def test_header_reader_never_touches_the_table(tmp_path: Path) -> None:
    header = text_of(RNASEQ).split("!series_matrix_table_begin")[0]
    garbage = b"\x00\xff\xfe not a table \x9c\x1f\x8b\n\t\t\t\n" * 100  # and never closed
    path = tmp_path / "GSE99709_series_matrix.txt"
    path.write_bytes(header.encode() + b"!series_matrix_table_begin\n" + garbage)
    series, samples = read_series_matrix_header(path)
    assert series["geo_accession"] == ["GSE99709"]
    assert samples.shape[0] == 12
    with pytest.raises(ParseError):
        read_series_matrix(path)


# --- quoting, missing values, encodings -----------------------------------------------------


def test_quoting_edge_cases_in_sample_lines() -> None:
    lines = matrix(
        '!Sample_title\t"tab\tinside"\t"says "hi" twice"',
        "!Sample_source_name_ch1\tunquoted\t",
        '!Sample_description\t"   "\t""',
        '!Sample_organism_ch1\t"Homo sapiens"\t"Homo sapiens"\t""\t',
    )
    _, result = parse_series_matrix(lines)
    samples = result.samples
    assert samples["title"].tolist() == ["tab\tinside", 'says "hi" twice']
    assert samples.loc["GSM1", "source_name_ch1"] == "unquoted"
    assert pd.isna(samples.loc["GSM2", "source_name_ch1"])
    assert samples["description"].isna().all()
    assert samples["organism_ch1"].tolist() == ["Homo sapiens", "Homo sapiens"]


def test_table_missing_values_quotes_and_text_columns() -> None:
    table = [
        'ID_REF\t"GSM1"\t"GSM2"',
        '"NA"\t"1.5"\tP',
        "007\tnull\tA",
        '"p3"\t\tM',
        "p4\tNaN\tP",
        "p5\t2\tNA",
    ]
    _, result = parse_series_matrix(matrix(table=table))
    expression = result.expression
    assert expression.index.tolist() == ["NA", "007", "p3", "p4", "p5"]  # IDs are never NA
    assert expression["GSM1"].dtype == "float64"
    assert expression["GSM1"].tolist()[0] == 1.5
    assert expression["GSM1"].isna().tolist() == [False, True, True, True, False]
    assert isinstance(expression["GSM2"].dtype, pd.StringDtype)  # detection calls stay text
    assert expression["GSM2"].tolist()[:4] == ["P", "A", "M", "P"]
    assert pd.isna(expression.loc["p5", "GSM2"])


def test_integer_table_becomes_float64() -> None:
    table = ['"ID_REF"\t"GSM1"\t"GSM2"', "g1\t1\t2", "g2\t3\t4"]
    _, result = parse_series_matrix(matrix(table=table))
    assert (result.expression.dtypes == "float64").all()


def test_crlf_bom_and_lines_without_newlines_give_the_same_result() -> None:
    lines = matrix('!Sample_title\t"a"\t"b"', table=['"ID_REF"\t"GSM1"\t"GSM2"', "x\t1\t2"])
    plain = parse_series_matrix(lines)
    crlf = ["\ufeff" + lines[0] + "\r\n", *(line + "\r\n" for line in lines[1:])]
    other = parse_series_matrix(crlf)
    assert plain[0] == other[0]
    pd.testing.assert_frame_equal(plain[1].samples, other[1].samples)
    pd.testing.assert_frame_equal(plain[1].expression, other[1].expression)


def test_characteristics_slots_tags_and_channels() -> None:
    _, result = parse_series_matrix(
        matrix(
            '!Sample_characteristics_ch1\t"Cell  Type: T cell"\t"tissue: blood"',
            '!Sample_characteristics_ch1\t"treatment: none"\t"cell type: B cell"',
            '!Sample_characteristics_ch1\t"treatment: IL-2"\t"see http://example.org"',
            '!Sample_characteristics_ch2\t"label: Cy3"\t""',
        )
    )
    samples = result.samples
    assert samples.columns.tolist()[1:] == [
        "ch1.cell type",
        "ch1.tissue",
        "ch1.treatment",
        "ch1.characteristics",
        "ch2.label",
    ]
    assert samples["ch1.cell type"].tolist() == ["T cell", "B cell"]
    assert samples.loc["GSM1", "ch1.treatment"] == "none; IL-2"
    assert samples.loc["GSM2", "ch1.characteristics"] == "see http://example.org"
    assert pd.isna(samples.loc["GSM1", "ch1.tissue"])
    assert pd.isna(samples.loc["GSM2", "ch2.label"])


def test_table_header_in_another_order_is_aligned_to_the_samples() -> None:
    table = ['"ID_REF"\t"GSM2"\t"GSM1"', "x\t2\t1"]
    _, result = parse_series_matrix(matrix(table=table))
    assert result.expression.columns.tolist() == ["GSM1", "GSM2"]
    assert result.expression.loc["x"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz"])
def test_latin1_files_are_decoded(tmp_path: Path, suffix: str) -> None:
    text = (
        "\n".join(matrix('!Sample_contact_city\t"S\u00e3o Paulo"\t"M\u00fcnchen \u00b5g"')) + "\n"
    )
    data = text.encode("latin-1")
    path = tmp_path / f"GSE1_series_matrix{suffix}"
    path.write_bytes(gzip.compress(data) if suffix.endswith(".gz") else data)
    _, result = read_series_matrix(path)
    assert result.samples["contact_city"].tolist() == ["S\u00e3o Paulo", "M\u00fcnchen \u00b5g"]


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("reader", [read_series_matrix, read_series_matrix_header])
def test_truncated_gzip_is_a_parse_error(tmp_path: Path, reader: Callable[[Path], object]) -> None:
    data = RNASEQ.read_bytes()
    path = tmp_path / "GSE99709_series_matrix.txt.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        ParseError, match=r"GSE99709_series_matrix\.txt\.gz: corrupt or truncated gzip"
    ):
        reader(path)


def test_table_never_closed_is_a_parse_error(tmp_path: Path) -> None:
    text = text_of(ARRAY)
    assert text.endswith("!series_matrix_table_end\n")
    path = tmp_path / "GSE10288_series_matrix.txt"
    path.write_text(text.removesuffix("!series_matrix_table_end\n"), encoding="utf-8")
    with pytest.raises(ParseError, match=r"GSE10288_series_matrix\.txt.*truncated") as info:
        read_series_matrix(path)
    assert info.value.accession == "GSE10288"
    _, samples = read_series_matrix_header(path)  # the header alone is still fine
    assert samples.shape[0] == 46


def test_missing_table_start_is_a_parse_error() -> None:
    lines = matrix('!Sample_title\t"a"\t"b"')[:3]
    with pytest.raises(ParseError, match="truncated"):
        parse_series_matrix(lines, source="GSE1 matrix")


def test_mismatched_table_header_is_a_parse_error() -> None:
    text = text_of(RNASEQ).replace('"ID_REF"\t"GSM2650749"', '"ID_REF"\t"GSM9999999"')
    with pytest.raises(ParseError, match=r"GSE99709 copy.*GSM2650749.*GSM9999999"):
        parse_series_matrix(text.splitlines(), source="GSE99709 copy")


def test_wrong_number_of_table_columns_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="does not match"):
        parse_series_matrix(matrix(table=['"ID_REF"\t"GSM1"', "x\t1"]))
    with pytest.raises(ParseError, match="value table"):
        parse_series_matrix(matrix(table=['"ID_REF"\t"GSM1"\t"GSM2"', "x\t1\t2\t3"]))


def test_bad_sample_lines_are_parse_errors() -> None:
    with pytest.raises(ParseError, match="3 values for 2 samples"):
        parse_series_matrix(matrix('!Sample_title\t"a"\t"b"\t"c"'))
    duplicated = ['!Sample_geo_accession\t"GSM1"\t"GSM1"', "!series_matrix_table_begin"]
    with pytest.raises(ParseError, match="repeated"):
        parse_series_matrix(duplicated)


@pytest.mark.parametrize(
    "lines",
    [
        SOFT.read_text(encoding="utf-8").splitlines(),  # a real family SOFT file
        ["<html><head><title>Error</title></head>", "<body>Bad gateway</body></html>"],
        [],
    ],
    ids=["soft", "html", "empty"],
)
def test_not_a_series_matrix_is_a_parse_error(lines: list[str]) -> None:
    with pytest.raises(ParseError, match="my source: not a GEO series matrix"):
        parse_series_matrix(lines, source="my source")


def test_not_a_series_matrix_file_names_the_path(tmp_path: Path) -> None:
    path = tmp_path / "GSE1_series_matrix.txt.gz"
    path.write_bytes(gzip.compress(b"<html>Not Found</html>\n"))
    with pytest.raises(ParseError, match=r"GSE1_series_matrix\.txt\.gz: not a GEO series matrix"):
        read_series_matrix_header(path)


# --- speed ----------------------------------------------------------------------------------


def test_twenty_thousand_rows_parse_fast() -> None:
    """Repeat the 20 real GSE10288 rows 1,000 times under new IDs: 20,000 x 46 values."""
    head, table = text_of(ARRAY).split("!series_matrix_table_begin\n")
    header, *rows = table.removesuffix("!series_matrix_table_end\n").splitlines()
    big = [f'"copy{k}-{row[1:]}' for k in range(1000) for row in rows]
    lines = [*head.splitlines(), "!series_matrix_table_begin", header, *big]
    lines.append("!series_matrix_table_end")
    start = time.perf_counter()
    _, result = parse_series_matrix(lines)
    elapsed = time.perf_counter() - start
    assert result.expression.shape == (20_000, 46)
    assert result.expression.index.is_unique
    assert (result.expression.dtypes == "float64").all()
    # Not a speed target (bench/ has those): a guard against work growing with rows squared,
    # which would take minutes here; a loaded CI machine stays far below it.
    assert elapsed < 30.0, f"took {elapsed:.2f} s"
