"""Reading GEO's FTP tree: autoindex pages, ``filelist.txt`` and MD5 lists.

The FTP tree served over HTTPS answers a folder with an Apache autoindex page
(name, date and a human-readable size such as ``375M``), and a series'
``suppl/filelist.txt`` lists every member of ``GSEx_RAW.tar`` with its exact
size and GEO's type label. These parsers are pure functions of the text.

Example:
    >>> parse_size("375M"), parse_size("5.7K"), parse_size("86"), parse_size("-")
    (393216000, 5837, 86, None)
"""

from __future__ import annotations

import datetime as dt
import html
import re
from dataclasses import dataclass
from urllib.parse import unquote

from ..errors import ParseError, WrongFormatError

__all__ = [
    "ArchiveMember",
    "ListingEntry",
    "parse_filelist",
    "parse_listing",
    "parse_md5_list",
    "parse_size",
]

_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3, "T": 1024**4, "P": 1024**5}
_SIZE = re.compile(r"^([0-9]{1,15}(?:\.[0-9]{1,6})?)\s*([KMGTP]?)i?B?$", re.I)
# One row of an autoindex, in both of Apache's layouts: preformatted text
# (``<a href="F">F</a>   2026-07-12 00:35  3.1K``) and ``IndexOptions HTMLTable``
# (``<td><a href="F">F</a></td><td align="right">2026-07-12 00:35  </td><td>3.1K</td>``).
_CELL = r"\s*(?:</td>\s*<td[^>]*>\s*)?"
_ROW = re.compile(
    r'<a\s+href="(?P<href>[^"]+)"[^>]*>[^<]*</a>'
    + _CELL
    + r"(?P<date>\d{4}-\d{2}-\d{2}\s+\d{2}:\d{2}(?::\d{2})?)"
    + _CELL
    + r"(?P<size>[-\d.]+\s*[KMGTP]?)",
    re.I,
)
_LINK = re.compile(r'<a\s+href="([^"]+)"', re.I)
_DIGITS = re.compile(r"[0-9]{1,20}")
_TITLE = re.compile(r"<title>\s*Index of\s+([^<]*?)\s*</title>", re.I)
_MD5_GNU = re.compile(r"^([0-9a-fA-F]{32})\s+\*?(.+?)\s*$")
_MD5_BSD = re.compile(r"^MD5\s*\((.+)\)\s*=\s*([0-9a-fA-F]{32})\s*$")


def parse_size(text: str) -> int | None:
    """Bytes from Apache's human-readable size (1024-based); None for ``-`` or junk."""
    match = _SIZE.match(text.strip())
    if match is None:
        return None
    return round(float(match.group(1)) * _UNITS[match.group(2).upper()])


@dataclass(frozen=True, slots=True)
class ListingEntry:
    """One row of a folder listing. ``size`` is approximate (from e.g. ``375M``)."""

    name: str
    is_dir: bool
    modified: dt.datetime | None
    size: int | None


def _own_link(href: str) -> str | None:
    """The entry name an autoindex link points at, or None for parent, sort and outside links."""
    href = unquote(html.unescape(href))
    if href.startswith(("/", "?", "#", "http:", "https:", "ftp:", "mailto:")) or href in (
        "../",
        "..",
    ):
        return None
    return href


def parse_listing(page: str, *, url: str = "folder") -> list[ListingEntry]:
    """The entries of an Apache autoindex page (the parent link is skipped).

    Raises :class:`ParseError` when the page is not an index page (an error
    or bot-challenge page where a listing was expected), and when it links
    entries whose rows cannot be read: an unreadable listing is an error,
    never an empty folder.
    """
    if _TITLE.search(page) is None:
        raise WrongFormatError(
            f"{url}: expected a folder listing ('Index of ...'), got another page"
        )
    linked = {name for href in _LINK.findall(page) if (name := _own_link(href))}
    entries: list[ListingEntry] = []
    for match in _ROW.finditer(page):
        href = _own_link(match.group("href"))
        if href is None:
            continue
        linked.discard(href)
        is_dir = href.endswith("/")
        name = href.rstrip("/")
        if not name or "/" in name:
            continue
        try:
            modified = dt.datetime.strptime(" ".join(match.group("date").split()), "%Y-%m-%d %H:%M")
        except ValueError:
            modified = None
        size = None if is_dir else parse_size(match.group("size"))
        entries.append(ListingEntry(name=name, is_dir=is_dir, modified=modified, size=size))
    if linked:
        shown = ", ".join(sorted(linked)[:5]) + (" ..." if len(linked) > 5 else "")
        noun = "entry" if len(linked) == 1 else "entries"
        raise ParseError(
            f"{url}: the folder listing links {len(linked)} {noun} "
            f"whose rows geo_nb cannot read ({shown}); the page layout may have changed. "
            "Please report it; meanwhile the files of this folder are not listed."
        )
    return entries


@dataclass(frozen=True, slots=True)
class ArchiveMember:
    """A file listed in ``filelist.txt``: its archive, exact size and GEO's type label."""

    archive: str
    name: str
    size: int | None
    type: str
    modified: dt.datetime | None


def _time(text: str) -> dt.datetime | None:
    for fmt in ("%m/%d/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M"):
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    return None


def parse_filelist(
    text: str, *, url: str = "filelist.txt"
) -> tuple[dict[str, int | None], list[ArchiveMember]]:
    """Archives (name -> exact size) and their members from a ``filelist.txt``.

    Example:
        >>> archives, members = parse_filelist(
        ...     "#Archive/File\\tName\\tTime\\tSize\\tType\\n"
        ...     "Archive\\tGSE1_RAW.tar\\t01/17/2013 15:00:01\\t10240\\tTAR\\n"
        ...     "File\\tGSM1.CEL.gz\\t02/02/2011 10:15:29\\t4317\\tCEL\\n")
        >>> archives, [(m.archive, m.name, m.size, m.type) for m in members]
        ({'GSE1_RAW.tar': 10240}, [('GSE1_RAW.tar', 'GSM1.CEL.gz', 4317, 'CEL')])
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines or not lines[0].lstrip("\ufeff").startswith("#Archive/File"):
        raise WrongFormatError(f"{url}: not a GEO filelist.txt (no '#Archive/File' header)")
    archives: dict[str, int | None] = {}
    members: list[ArchiveMember] = []
    current = ""
    for number, line in enumerate(lines[1:], 2):
        fields = line.rstrip("\r").split("\t")
        if len(fields) < 4:
            raise ParseError(f"{url}, line {number}: expected 5 tab-separated fields")
        kind, name, time, size = (f.strip() for f in fields[:4])
        label = fields[4].strip() if len(fields) > 4 else ""
        exact = int(size) if _DIGITS.fullmatch(size) else None
        if kind.lower() == "archive":
            current = name
            archives[name] = exact
        elif kind.lower() == "file":
            members.append(ArchiveMember(current, name, exact, label, _time(time)))
        else:
            raise ParseError(f"{url}, line {number}: unknown row kind {kind!r}")
    return archives, members


def parse_md5_list(text: str) -> dict[str, str]:
    """File name -> MD5 from ``md5sum`` (``hash  name``) or BSD (``MD5 (name) = hash``) lines."""
    sums: dict[str, str] = {}
    for line in text.splitlines():
        line = line.strip()
        if match := _MD5_GNU.match(line):
            sums[match.group(2).rsplit("/", 1)[-1]] = match.group(1).lower()
        elif match := _MD5_BSD.match(line):
            sums[match.group(1).rsplit("/", 1)[-1]] = match.group(2).lower()
    return sums
