"""SOFT entities as recorded: splitting captured text and rendering acc.cgi views.

A record keeps its lines exactly as captured (line endings included, so CRLF
captures stay CRLF); only trailing blank lines are dropped so that entities can
be concatenated without adding blank lines. Text is decoded as UTF-8 with
``surrogateescape`` so that any byte survives the round trip.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

__all__ = ["KINDS", "SoftRecord", "View", "convert_main", "split_entities", "write_entities"]

View = Literal["brief", "quick", "full", "data"]
KINDS = ("SERIES", "SAMPLE", "PLATFORM")
QUICK_ROWS = 20


def _content(line: str) -> str:
    return line.rstrip("\r\n")


def _is_table_marker(line: str, suffix: str) -> bool:
    """True for a ``!..._table_begin``/``!..._table_end`` line (``suffix``), in any case.

    A SOFT line's type is its first character (GEO's SOFT documentation: ``^``
    entity, ``!`` attribute, ``#`` column description, anything else a table row),
    so the ``!`` must be the first character: ``"  !sample_table_end"`` is a row of
    the table, not its end. GEO never indents a marker, and GEOparse reads such a
    line as a data row too (``parse_table_data`` keeps every line that does not
    start with ``^``, ``!`` or ``#``). Trailing blanks are tolerated.
    """
    content = _content(line).rstrip().lower()
    return content.startswith("!") and content.endswith(suffix)


@dataclass(frozen=True)
class SoftRecord:
    """One ``^SERIES``/``^SAMPLE``/``^PLATFORM`` entity with its captured lines."""

    kind: str
    accession: str
    lines: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]

    @classmethod
    def from_lines(cls, lines: list[str]) -> SoftRecord:
        """Build a record from its lines (the first one must be the ``^KIND = ACC`` line)."""
        while len(lines) > 1 and not _content(lines[-1]).strip():
            lines = lines[:-1]
        kind, _, accession = _content(lines[0]).lstrip("^").partition("=")
        attributes = []
        for line, part, _ in _walk(lines):
            content = _content(line)
            if part == "text" and content.startswith("!") and "=" in content:
                name, _, value = content[1:].partition("=")
                attributes.append((name.strip(), value.strip()))
        return cls(kind.strip().upper(), accession.strip(), tuple(lines), tuple(attributes))

    def values(self, label: str) -> list[str]:
        """Every value of ``!label = value`` lines outside tables (``values("Series_type")``)."""
        return [value for name, value in self.attributes if name == label]

    def first(self, label: str, default: str = "") -> str:
        """The first value of a label, or ``default``."""
        values = self.values(label)
        return values[0] if values else default

    def matching(self, prefix: str) -> list[tuple[str, str]]:
        """Attributes whose label starts with ``prefix`` (``Sample_supplementary_file...``)."""
        return [(name, value) for name, value in self.attributes if name.startswith(prefix)]

    @property
    def prefix(self) -> str:
        """The attribute prefix of this kind: ``Series``, ``Sample`` or ``Platform``."""
        return {"SERIES": "Series", "SAMPLE": "Sample", "PLATFORM": "Platform"}[self.kind]

    @property
    def text(self) -> str:
        """The record as captured (full view)."""
        return self.render("full")

    def render(self, view: View) -> str:
        """The record as acc.cgi shows it for ``view``, always ending with a newline.

        ``brief``: attribute lines only. ``quick``: everything outside tables plus
        the table's begin marker, header row, first 20 rows and end marker.
        ``full``: everything. ``data``: the ``^`` line plus the table block.
        """
        out: list[str] = []
        for index, (line, part, row) in enumerate(_walk(self.lines)):
            if view == "brief":
                keep = part == "text" and line.startswith(("^", "!"))
            elif view == "quick":
                keep = part != "row" or row <= QUICK_ROWS
            elif view == "data":
                keep = index == 0 or part != "text"
            else:
                keep = True
            if keep:
                out.append(line)
        if out and not out[-1].endswith("\n"):
            out[-1] += "\n"
        return "".join(out)


def _walk(lines: Iterable[str]) -> Iterator[tuple[str, str, int]]:
    """Yield ``(line, part, row)``; part is ``marker``, ``row`` or ``text``.

    ``row`` numbers the lines of a table from 0 (its column-header line).
    """
    row = -1
    for line in lines:
        if _is_table_marker(line, "_table_begin"):
            yield line, "marker", 0
            row = 0
        elif _is_table_marker(line, "_table_end"):
            row = -1
            yield line, "marker", 0
        elif row >= 0:
            yield line, "row", row
            row += 1
        else:
            yield line, "text", 0


def _split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping line endings (a stray ``\\r`` stays inside its line)."""
    pieces = text.split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def split_entities(text: str) -> list[SoftRecord]:
    """Split SOFT text into its SERIES/SAMPLE/PLATFORM records (``^DATABASE`` etc. are skipped)."""
    groups: list[list[str]] = []
    for line in _split_lines(text):
        if line.startswith("^"):
            groups.append([line])
        elif groups:
            groups[-1].append(line)
    records = [SoftRecord.from_lines(group) for group in groups]
    return [record for record in records if record.kind in KINDS]


def write_entities(texts: Mapping[str, str], out_dir: str | Path) -> list[Path]:
    """Write ``<ACC>.soft`` (UTF-8, LF) for every accession -> SOFT text; returns the paths.

    The output of the record converters (:mod:`.miniml`, :mod:`.matrixsoft`), in the
    layout of ``data/records/``.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for accession, text in texts.items():
        (target := out / f"{accession}.soft").write_bytes(text.encode("utf-8"))
        written.append(target)
    return written


def convert_main(
    argv: list[str] | None, convert: Callable[[str], Mapping[str, str]], usage: str
) -> int:
    """A converter's command line: ``SOURCE OUTDIR``; writes the records, prints their paths."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print(usage, file=sys.stderr)
        return 2
    for path in write_entities(convert(args[0]), args[1]):
        print(path)
    return 0
