"""Parsers of GEO's FTP tree on real captures: autoindex pages, filelist.txt, MD5 lists."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from geo_nb.errors import ParseError
from geo_nb.ncbi.listing import parse_filelist, parse_listing, parse_md5_list, parse_size

HERE = Path(__file__).parent / "data" / "listing"
DATA = Path(__file__).parent.parent / "geo_nb" / "testing" / "data"
FILELISTS = sorted((DATA / "ftp").rglob("filelist.txt"))


def test_real_suppl_listing() -> None:
    entries = parse_listing((HERE / "index_GSE10072_suppl.TRIMMED.html").read_text())
    assert [(e.name, e.is_dir, e.size) for e in entries] == [
        ("GSE10072_RAW.tar", False, 375 * 1024**2),
        ("filelist.txt", False, round(5.7 * 1024)),
    ]
    assert entries[0].modified == dt.datetime(2013, 1, 17, 13, 59)


def test_real_matrix_listing_skips_the_parent_link() -> None:
    (entry,) = parse_listing((HERE / "index_GSE185553_matrix.html").read_text())
    assert entry.name == "GSE185553_series_matrix.txt.gz"
    assert entry.size == round(3.1 * 1024)


def test_the_real_403_page_is_not_a_listing() -> None:
    # The captured page the emulator serves for a folder without an index.
    page = DATA / "pages" / "403_access_forbidden_no_index.html"
    with pytest.raises(ParseError, match="folder listing"):
        parse_listing(page.read_text())


def test_listing_names_are_decoded_and_directories_flagged() -> None:
    page = (
        "<html><head><title>Index of /geo/series/GSE1nnn/GSE1/</title></head><body><pre>"
        '<a href="/geo/series/GSE1nnn/">Parent Directory</a>      -\n'
        '<a href="a%20b.txt">a b.txt</a>   2020-01-02 03:04   86 \n'
        '<a href="tar/">tar/</a>           2020-01-02 03:04    - \n'
        '<a href="x&amp;y.bed.gz">x&amp;y.bed.gz</a> 2020-01-02 03:04  1.2G\n'
        "</pre></body></html>"
    )
    entries = {e.name: e for e in parse_listing(page)}
    assert entries["a b.txt"].size == 86
    assert entries["tar"].is_dir and entries["tar"].size is None
    assert entries["x&y.bed.gz"].size == round(1.2 * 1024**3)


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("86", 86),
        ("5.7K", 5837),
        ("375M", 393216000),
        ("1.2G", 1288490189),
        ("-", None),
        ("", None),
        ("12 ", 12),
        ("2T", 2 * 1024**4),
        ("junk", None),
    ],
)
def test_parse_size(text: str, size: int | None) -> None:
    assert parse_size(text) == size


@pytest.mark.parametrize("path", FILELISTS, ids=lambda p: p.parts[-3])
def test_real_filelists(path: Path) -> None:
    archives, members = parse_filelist(path.read_text())
    ((archive, size),) = archives.items()
    assert archive.endswith("_RAW.tar") and size and size > 0
    assert members and all(m.archive == archive and m.size and m.type for m in members)
    # A tar holds its members plus headers, so it is at least their total size.
    assert size >= sum(m.size or 0 for m in members)


def test_filelist_errors() -> None:
    with pytest.raises(ParseError, match="not a GEO filelist"):
        parse_filelist("<html>challenge</html>")
    with pytest.raises(ParseError, match="line 2"):
        parse_filelist("#Archive/File\tName\tTime\tSize\tType\nFile\tonly-two")
    with pytest.raises(ParseError, match="unknown row kind"):
        parse_filelist("#Archive/File\tName\tTime\tSize\tType\nFolder\ta\tb\t1\tTAR")


def test_md5_lists_in_both_styles() -> None:
    text = (
        "d41d8cd98f00b204e9800998ecf8427e  GSM1_a.bw\n"
        "0CC175B9C0F1B6A831C399E269772661 *sub/GSM2_b.bed.gz\n"
        "MD5 (GSM3_c.txt) = 92eb5ffee6ae2fec3ad71c777531578f\n"
        "not a checksum line\n"
    )
    assert parse_md5_list(text) == {
        "GSM1_a.bw": "d41d8cd98f00b204e9800998ecf8427e",
        "GSM2_b.bed.gz": "0cc175b9c0f1b6a831c399e269772661",
        "GSM3_c.txt": "92eb5ffee6ae2fec3ad71c777531578f",
    }


TABLE_PAGE = """<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">
<html><head><title>Index of /geo/series/GSE1nnn/GSE1563/suppl</title></head><body>
<h1>Index of /geo/series/GSE1nnn/GSE1563/suppl</h1>
<table><tr><th><a href="?C=N;O=D">Name</a></th><th><a href="?C=M;O=A">Last modified</a></th>
<th><a href="?C=S;O=A">Size</a></th></tr>
<tr><td><a href="/geo/series/GSE1nnn/GSE1563/">Parent Directory</a></td><td>&nbsp;</td>
<td align="right">  - </td></tr>
<tr><td><a href="GSE1563_RAW.tar">GSE1563_RAW.tar</a></td>
<td align="right">2013-01-17 13:59  </td><td align="right">375M</td></tr>
<tr><td><a href="filelist.txt">filelist.txt</a></td>
<td align="right">2013-01-17 13:59  </td><td align="right">5.7K</td></tr>
</table><address>Apache Server at ftp.ncbi.nlm.nih.gov Port 443</address>
<a href="https://www.hhs.gov/vulnerability-disclosure-policy/index.html">HHS</a></body></html>
"""


def test_table_style_autoindex_is_read() -> None:
    """Apache's ``IndexOptions HTMLTable`` layout (a sketch of it, not a capture)."""
    entries = parse_listing(TABLE_PAGE)
    assert [(e.name, e.size) for e in entries] == [
        ("GSE1563_RAW.tar", 375 * 1024**2),
        ("filelist.txt", round(5.7 * 1024)),
    ]


def test_a_listing_with_unreadable_rows_is_an_error_not_an_empty_folder() -> None:
    # Links to files, but rows in a layout no parser knows (sizes before dates).
    page = (
        "<html><head><title>Index of /geo/x/suppl</title></head><body><ul>"
        '<li><a href="a.bed.gz">a.bed.gz</a> (12K, 2020-01-01)</li>'
        '<li><a href="b.bw">b.bw</a> (1.2M, 2020-01-01)</li></ul></body></html>'
    )
    with pytest.raises(ParseError, match=r"links 2 entries whose rows geo_nb cannot read"):
        parse_listing(page, url="https://x/suppl/")
    # One unreadable row among readable ones is an error too: a partial listing is wrong.
    half = TABLE_PAGE.replace("</table>", '</table><p><a href="c.txt">c.txt</a></p>')
    with pytest.raises(ParseError, match=r"c\.txt"):
        parse_listing(half)
