"""Bad inputs, generated: accessions, SOFT, folder listings, filelist.txt, md5 lists and
series matrices either parse or raise the documented error, never anything else.

Hypothesis runs derandomized (a fixed seed per test) with no example database, so
a run is repeatable and writes nothing to the working tree.
"""

from __future__ import annotations

import contextlib
import gzip
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geo_nb.accessions import FETCHABLE_PREFIXES, is_accession, normalize_accessions
from geo_nb.errors import InvalidAccessionError, ParseError
from geo_nb.ncbi.listing import parse_filelist, parse_listing, parse_md5_list
from geo_nb.ncbi.urls import rewrite_url
from geo_nb.parse import soft
from geo_nb.parse.convert import convert_entities
from geo_nb.parse.matrix import parse_series_matrix
from geo_nb.parse.soft import SoftEntity, iter_soft_file, parse_soft
from geo_nb.testing.ftp import autoindex
from geo_nb.testing.store import BUNDLED_DATA, DirEntry

FTP = "http://127.0.0.1:1/geo"


def fuzz(examples: int = 200) -> Callable[[Any], Any]:
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def _load(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


# Real records (the full-table GSM11805 is left out: 22,000 table rows per example
# would cost time and add nothing the others do not cover).
RECORDS = [
    _load(p)
    for p in sorted((BUNDLED_DATA / "records").glob("*.soft*"))
    if not p.name.startswith("GSM11805")
]
MATRICES = [
    gzip.decompress(p.read_bytes()).decode("latin-1")
    for p in sorted((Path(__file__).parents[1] / "data" / "matrix").glob("*.gz"))
]

# ---- accessions --------------------------------------------------------------------

UNICODE_DIGITS = "０１２３４５６７８９٠١٢٣٤٥٦٧٨٩१२३¹²³½⁴"
NEAR_MISSES = [
    "GSE12x",
    "gse 1",
    "GSE 1",
    "G SE1",
    "GSE",
    "GSE0",
    "GSE01",
    "GSE1.0",
    "GSE-1",
    "GSE+1",
    "GSE1e3",
    "GDS507",
    "GSE١٢",
    "ＧＳＥ１",
    "GSE¹",
    "GSE1\x00",
    "GSE1\u200b",
    "gse1563\n",
    "\tgsm11805 ",
    "GSE" + "9" * 10,
    "GSE" + "9" * 11,
    "GSE" + "9" * 5000,
    "GSE1563;GSM1",
    "GSE1563,GSE1",
    "",
    " ",
]
prefixes = st.sampled_from(["GSE", "gse", "GsM", "gpl", "GDS", "GSX", "SE", "", "ＧＳＥ"])
numbers = st.one_of(
    st.integers(0, 10**25).map(str),
    st.text(alphabet=string.digits + UNICODE_DIGITS, max_size=14),
)
padding = st.text(alphabet=" \t\n\r\x0b\x0c\u00a0\u2003\u3000x-_.", max_size=3)
made_up = st.builds(lambda a, b, c, d: a + b + c + d, padding, prefixes, numbers, padding)
accession_text = st.one_of(st.sampled_from(NEAR_MISSES), made_up, st.text(max_size=30))
accession_input = st.one_of(
    accession_text,
    st.lists(
        st.one_of(accession_text, st.integers(), st.none(), st.binary(max_size=8)),
        max_size=6,
    ),
)


@fuzz()
@given(accession_input)
@example("GSE1563")
@example([" gse1563", "GSM11805", "GSE1563"])
def test_normalize_accessions_returns_valid_ones_or_raises_invalid_accession(
    value: object,
) -> None:
    try:
        found = normalize_accessions(value)  # type: ignore[arg-type]
    except InvalidAccessionError as exc:
        refused: InvalidAccessionError | None = exc
    else:
        refused = None
    if refused is not None:
        assert isinstance(refused, ValueError) and str(refused)
        return
    assert found and len(set(found)) == len(found)
    for accession in found:
        assert is_accession(accession) and accession == accession.upper()
        assert accession[:3] in FETCHABLE_PREFIXES
    items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
    assert found == list(dict.fromkeys(str(i).strip().upper() for i in items))


# ---- SOFT ----------------------------------------------------------------------------

SOFT_TOKENS = [
    b"^SERIES = ",
    b"^SAMPLE = GSM1\n",
    b"^",
    b"^ = \n",
    b"^123 = x\n",
    b"!Series_title = ",
    b"!Sample_characteristics_ch1 = tag: value\n",
    b"!Sample_characteristics_ch99 = x\n",
    b"!Sample_channel_count = 99999999999999999999\n",
    b"!Sample_data_row_count = -1\n",
    b"!Series_supplementary_file = ftp://ftp.ncbi.nlm.nih.gov/geo/x/%2F..%2F\n",
    b"!sample_table_begin\n",
    b"!sample_table_end\n",
    b"#ID_REF = \n",
    b"=",
    b"\x00",
    b"\r\n",
    b"\r",
    b"\n",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\xe9\xe8",
    "µ ü 日本 \u2028 \U0001f9ec".encode(),
]
OPERATIONS = ["insert", "insert", "delete", "replace", "truncate", "dup", "swap"]


@st.composite
def mutated(draw: st.DrawFn, sources: list[bytes] = RECORDS) -> bytes:
    """A real record with a few random edits: inserts, deletions, cuts, duplicated lines."""
    data = bytearray(draw(st.sampled_from(sources)))
    for _ in range(draw(st.integers(1, 6))):
        op = draw(st.sampled_from(OPERATIONS))
        at = draw(st.integers(0, len(data)))
        if op == "insert":
            piece = draw(
                st.one_of(
                    st.sampled_from(SOFT_TOKENS),
                    st.binary(min_size=1, max_size=16),
                    st.text(min_size=1, max_size=16).map(lambda t: t.encode("utf-8", "replace")),
                )
            )
            data[at:at] = piece
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 200))]
        elif op == "replace":
            data[at : at + 1] = draw(st.binary(min_size=1, max_size=1))
        elif op == "truncate":
            del data[at:]
        else:
            lines = bytes(data).split(b"\n")
            i, j = draw(st.integers(0, len(lines) - 1)), draw(st.integers(0, len(lines) - 1))
            if op == "dup":
                lines.insert(i, lines[j])
            else:
                lines[i], lines[j] = lines[j], lines[i]
            data = bytearray(b"\n".join(lines))
    return bytes(data)


@st.composite
def truncated(draw: st.DrawFn) -> bytes:
    data = draw(st.sampled_from(RECORDS))
    return data[: draw(st.integers(0, len(data)))]


ENCODINGS = [
    "latin-1",
    "cp1252",
    "utf-16",
    "utf-16-be",
    "utf-32",
    "utf-8-sig",
    "shift_jis",
    "cp037",
]


@st.composite
def reencoded(draw: st.DrawFn) -> bytes:
    text = draw(st.sampled_from(RECORDS)).decode("utf-8", "replace") + "ü µ 日本"
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors="replace")


@st.composite
def restyled(draw: st.DrawFn) -> bytes:
    """Line ends and headers changed wholesale: CRLF, CR only, NULs, no ``^`` lines."""
    data = draw(st.sampled_from(RECORDS))
    style = draw(st.sampled_from(["crlf", "cr", "nul", "no_header", "no_entity_lines"]))
    if style == "crlf":
        return data.replace(b"\n", b"\r\n")
    if style == "cr":
        return data.replace(b"\n", b"\r")
    if style == "nul":
        return data.replace(b" = ", b" =\x00 ").replace(b"\n", b"\x00\n")
    lines = data.split(b"\n")
    if style == "no_header":
        return b"\n".join(lines[1:])
    return b"\n".join(line for line in lines if not line.startswith(b"^"))


soft_inputs = st.one_of(
    mutated(),
    truncated(),
    reencoded(),
    restyled(),
    st.binary(max_size=2048),
    st.binary(max_size=512).map(lambda b: b"^SERIES = GSE1\n" + b),
)


def parses_or_parse_error(data: bytes | str) -> list[SoftEntity] | None:
    """parse_soft's contract; and whatever parses converts without raising."""
    try:
        entities = parse_soft(data, source="fuzz")
    except ParseError as exc:
        message = str(exc)
    else:
        message = ""
    if message:
        assert message.startswith("fuzz")
        return None
    for entity in entities:
        assert entity.kind.isalpha() and entity.accession
    convert_entities(entities, lambda url: rewrite_url(url, FTP))
    return entities


@fuzz()
@given(soft_inputs)
def test_soft_parses_or_raises_parse_error(data: bytes) -> None:
    parses_or_parse_error(data)


@fuzz(100)
@given(st.text(max_size=2000))
@example("^SERIES = GSE1\r!Series_title = a\r")
@example("!Series_title = no entity line first\n")
@example("^SERIES = GSE1\n!series_table_begin\n1\t2\n")
def test_soft_text_parses_or_raises_parse_error(text: str) -> None:
    parses_or_parse_error(text)


@fuzz(12)
@given(
    st.sampled_from(RECORDS),
    st.sampled_from(["attribute", "table_row", "no_newline", "entity"]),
    st.floats(0, 1),
)
def test_soft_with_a_one_megabyte_line(record: bytes, kind: str, where: float) -> None:
    huge = {
        "attribute": b"!Series_summary = " + b"x" * (1 << 20) + b"\n",
        "table_row": b"\t".join([b"1.5"] * (1 << 18)) + b"\n",
        "no_newline": b"y" * (1 << 20),
        "entity": b"^SAMPLE = GSM" + b"7" * (1 << 20) + b"\n",
    }[kind]
    lines = record.split(b"\n")
    at = int(where * len(lines))
    parses_or_parse_error(b"\n".join([*lines[:at], huge, *lines[at:]]))


@fuzz(50)
@given(
    st.sampled_from(["samples", "series", "platforms"]),
    st.sampled_from(["GSM", "GSE", "GPL", "gsm"]),
    st.one_of(
        st.from_regex(r"[1-9][0-9]{10,14}", fullmatch=True),
        st.text(alphabet="1234567890١٢३", min_size=1, max_size=6),
    ),
)
@example("samples", "GSM", "123456789012")
def test_convert_entities_never_raises_on_old_layout_file_urls(
    kind: str, prefix: str, number: str
) -> None:
    url = f"ftp://ftp.ncbi.nih.gov/pub/geo/DATA/supplementary/{kind}/{prefix}{number}/x.CEL.gz"
    entities = parse_soft(f"^SAMPLE = GSM1\n!Sample_supplementary_file_1 = {url}\n")
    convert_entities(entities, lambda u: rewrite_url(u, FTP))


@fuzz(30)
@given(st.integers(10, 2000), st.integers(1, 255))
@example(10, 0xFF)
def test_iter_soft_file_on_a_damaged_gzip_parses_or_raises_parse_error(
    tmp_path_factory: pytest.TempPathFactory, position: int, flip: int
) -> None:
    data = bytearray(gzip.compress(RECORDS[0] * 4, mtime=0))
    data[position % len(data)] ^= flip
    path = tmp_path_factory.mktemp("soft") / "damaged.soft.gz"
    path.write_bytes(bytes(data))
    with contextlib.suppress(ParseError):
        list(iter_soft_file(path))


class _Trickle:
    """A binary stream that hands out at most ``step`` bytes per read."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.step, self.at = data, step, 0

    def read(self, size: int = -1, /) -> bytes:
        chunk = self.data[self.at : self.at + self.step]
        self.at += len(chunk)
        return chunk


def _outcome(read: Callable[[], list[SoftEntity]]) -> object:
    try:
        entities = read()
    except ParseError:
        return "ParseError"
    return [(e.kind, e.accession, e.attributes, e.columns, e.table_lines) for e in entities]


TABLE_LINES = st.sampled_from(
    [
        *(
            f"{indent}{marker}{tail}"
            for indent in ("", " ", "\t")
            for marker in ("!sample_table_end", "!Sample_Table_End", "!PLATFORM_TABLE_END")
            for tail in ("", " ", "\r", "\t\x1c", "x")
        ),
        "!sample_table_begin",
        "  !sample_table_begin",
        "ID_REF\tVALUE",
        "p1\t1.5",
        "x_table_end\t1",
        "!row\t2",
        "#ID_REF = probe",
        "!Sample_title = t",
        "^SAMPLE = GSM2",
        "",
    ]
)


@fuzz(300)
@given(st.lists(TABLE_LINES, max_size=14), st.booleans(), st.integers(1, 40))
@example(["!sample_table_begin", "p1\t1.5", "!sample_table_end\t\x1c"], True, 3)
@example(["!sample_table_begin", "\t!sample_table_end", "!Sample_Table_End"], False, 1)
def test_the_file_reader_agrees_with_the_line_reader_on_table_markers(
    lines: list[str], final_newline: bool, step: int
) -> None:
    text = "\n".join(["^SAMPLE = GSM1", *lines]) + ("\n" if final_newline else "")
    data = text.encode()
    by_lines = _outcome(lambda: parse_soft(data, source="fuzz"))
    by_file = _outcome(lambda: list(soft._iter_soft_binary(_Trickle(data, step), "fuzz")))
    assert by_file == by_lines


# ---- folder listings, filelist.txt, md5 lists ---------------------------------------

names = st.text(min_size=1, max_size=30).filter(lambda n: "\x00" not in n)
entries = st.lists(
    st.builds(
        DirEntry,
        name=names,
        is_dir=st.booleans(),
        size=st.integers(0, 10**15),
        mtime=st.floats(0, 4e9),
    ),
    max_size=8,
)


@st.composite
def listing_pages(draw: st.DrawFn) -> str:
    page = autoindex("series/GSE1nnn/GSE1563/suppl", draw(entries))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(page)))
        piece = draw(
            st.one_of(
                st.text(max_size=20),
                st.sampled_from(['<a href="', '">', "</a>", " 2020-01-01 10:00 ", "375M", "-"]),
            )
        )
        page = page[:at] + piece + page[at + draw(st.integers(0, 5)) :]
    return page


@fuzz()
@given(st.one_of(listing_pages(), st.text(max_size=500), st.just("")))
def test_parse_listing_parses_or_raises_parse_error(page: str) -> None:
    try:
        found = parse_listing(page, url="fuzz")
    except ParseError:
        return
    for entry in found:
        assert entry.name and "/" not in entry.name
        assert entry.size is None or entry.size >= 0


@fuzz(30)
@given(st.integers(309, 400), st.sampled_from(["", "K", "M", "G"]))
@example(400, "")
def test_parse_listing_with_absurd_sizes_parses_or_raises_parse_error(
    digits: int, unit: str
) -> None:
    page = (
        "<html><head><title>Index of /geo/x</title></head><body><pre>"
        f'<a href="a.txt">a.txt</a>  2020-01-01 10:00  {"9" * digits}{unit}\n</pre></body></html>'
    )
    with contextlib.suppress(ParseError):
        parse_listing(page, url="fuzz")


HEADER = "#Archive/File\tName\tTime\tSize\tType"
fields = st.text(alphabet=st.characters(blacklist_characters="\t\r\n"), max_size=12)
ascii_sizes = st.one_of(st.integers(0, 10**15).map(str), st.sampled_from(["", "-", "12.5", "1e3"]))
filelist_rows = st.tuples(
    st.sampled_from(["Archive", "File", "file", "ARCHIVE", "Other", ""]),
    fields,
    st.sampled_from(["01/17/2013 15:00:01", "2013-01-17 15:00:01", "", "13/45/2013 99:99:99"]),
    ascii_sizes,
    fields,
).map("\t".join)


@fuzz()
@given(
    st.one_of(
        st.lists(filelist_rows, max_size=8).map(lambda rows: "\n".join([HEADER, *rows])),
        st.lists(filelist_rows, max_size=4).map(lambda rows: "\r\n".join([HEADER, *rows])),
        st.text(max_size=300),
        st.text(max_size=300).map(lambda t: HEADER + "\n" + t),
    )
)
def test_parse_filelist_parses_or_raises_parse_error(text: str) -> None:
    try:
        archives, members = parse_filelist(text, url="fuzz")
    except ParseError:
        return
    assert all(size is None or size >= 0 for size in archives.values())
    assert all(m.size is None or m.size >= 0 for m in members)


@fuzz(30)
@given(st.one_of(st.sampled_from(["²", "¹²³", "①", "2²"]), st.just("9" * 4301)))
@example("²")
def test_parse_filelist_with_odd_digits_parses_or_raises_parse_error(size: str) -> None:
    text = f"{HEADER}\nArchive\tGSE1_RAW.tar\t01/17/2013 15:00:01\t{size}\tTAR\n"
    with contextlib.suppress(ParseError):
        parse_filelist(text, url="fuzz")


hex_digests = st.binary(min_size=16, max_size=16).map(bytes.hex)
md5_lines = st.one_of(
    st.builds(
        lambda h, upper, n: f"{h.upper() if upper else h}  {n}",
        hex_digests,
        st.booleans(),
        st.text(min_size=1, max_size=20),
    ),
    st.builds(lambda h, n: f"MD5 ({n}) = {h}", hex_digests, st.text(max_size=20)),
    st.text(max_size=60),
)


@fuzz()
@given(st.lists(md5_lines, max_size=10).map("\n".join))
def test_parse_md5_list_never_raises(text: str) -> None:
    sums = parse_md5_list(text)
    assert all(len(digest) == 32 and digest == digest.lower() for digest in sums.values())
    assert all("/" not in name for name in sums)


# ---- series matrices -------------------------------------------------------------------

MATRIX_TOKENS = [
    "\t",
    '"',
    '""',
    "!Sample_geo_accession",
    "!series_matrix_table_begin",
    "!series_matrix_table_end",
    '"ID_REF"',
    "ID_REF",
    '"GSM1"',
    "null",
    "1.5",
    "1e999",
    "inf",
    "True",
    "!Sample_characteristics_ch1",
    "tag: value",
    "\r",
    "\x00",
    "\ufeff",
    "９",
]


@st.composite
def mutated_matrix(draw: st.DrawFn) -> list[str]:
    lines = draw(st.sampled_from(MATRICES)).split("\n")
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            lines = [""]
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["insert", "delete", "edit", "truncate", "swap"]))
        token = "".join(draw(st.lists(st.sampled_from(MATRIX_TOKENS) | st.text(max_size=4))))
        if op == "insert":
            lines.insert(i, token)
        elif op == "delete":
            del lines[i]
        elif op == "edit":
            at = draw(st.integers(0, len(lines[i])))
            lines[i] = lines[i][:at] + token + lines[i][at + draw(st.integers(0, 3)) :]
        elif op == "truncate":
            lines = lines[:i]
        else:
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
    return lines


@fuzz()
@given(
    st.one_of(
        mutated_matrix(),
        st.lists(st.text(max_size=40), max_size=10),
        st.lists(st.sampled_from(MATRIX_TOKENS), max_size=12).map(lambda t: "".join(t).split("\r")),
    )
)
def test_parse_series_matrix_parses_or_raises_parse_error(lines: list[str]) -> None:
    try:
        _, matrix = parse_series_matrix(lines, source="fuzz")
    except ParseError:
        return
    assert list(matrix.expression.columns) == list(matrix.samples.index)
