"""A streaming SOFT reader: entity attributes in, data tables skipped.

GEO's SOFT format is line based: ``^SERIES = GSE1`` starts an entity,
``!Series_title = ...`` lines are its attributes (a label repeats for lists),
``#COL = ...`` lines describe table columns and ``!..._table_begin`` /
``!..._table_end`` enclose tab-separated data rows. A family file can hold
gigabytes of table rows; this reader counts them and moves on, so memory stays
proportional to the metadata of one entity.

Attribute names follow GEOparse: the ``!Entity_`` prefix is dropped
(``!Sample_characteristics_ch1`` -> ``characteristics_ch1``) and values are
stripped, so ``entity.attributes`` equals GEOparse's ``metadata`` dict.

Example:
    >>> from geo_nb.parse.soft import parse_soft
    >>> text = "^SAMPLE = GSM1\\n!Sample_title = liver\\n!Sample_characteristics_ch1 = age: 3\\n"
    >>> [(e.kind, e.accession, e.attributes["title"]) for e in parse_soft(text)]
    [('SAMPLE', 'GSM1', ['liver'])]
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from ..errors import ParseError

__all__ = [
    "ENTITY_KINDS",
    "SoftEntity",
    "SoftFeed",
    "decode_lines",
    "iter_soft",
    "iter_soft_file",
    "parse_soft",
]

ENTITY_KINDS = frozenset({"DATABASE", "SERIES", "PLATFORM", "SAMPLE", "DATASET", "SUBSET"})


@dataclass(slots=True)
class SoftEntity:
    """One ``^KIND = ID`` block of a SOFT document, without its data table."""

    kind: str
    accession: str
    attributes: dict[str, list[str]] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)
    table_lines: int = 0

    def first(self, label: str, default: str = "") -> str:
        """The first value of ``label``, or ``default`` when absent."""
        values = self.attributes.get(label)
        return values[0] if values else default

    def values(self, label: str) -> list[str]:
        """All values of ``label`` (an empty list when absent)."""
        return self.attributes.get(label, [])


def _decode(line: bytes) -> str:
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        return line.decode("cp1252", errors="replace")


def decode_lines(raw: Iterable[bytes]) -> Iterator[str]:
    """Decode byte lines as UTF-8, falling back to cp1252 for old Latin-1 records."""
    return map(_decode, raw)


def _split(line: str) -> tuple[str, str]:
    label, sep, value = line.partition("=")
    return label.strip(), value.strip() if sep else ""


class _Reader:
    """The SOFT state machine, fed one line (or one skipped table) at a time."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.entity: SoftEntity | None = None
        self.in_table = False
        self.lineno = 0
        # Samples of a series repeat their labels, protocols and contacts word for word:
        # one string each keeps the records small in memory and their digests quick to read.
        self.strings: dict[str, str] = {}

    def line(self, raw: str) -> SoftEntity | None:
        """Take one line; return the previous entity when this line starts a new one."""
        self.lineno += 1
        line = raw.rstrip()
        entity = self.entity
        if self.in_table:
            # A line's type is its first character (GEO's SOFT documentation; GEOparse
            # reads lines the same way), so "  !sample_table_end" is a row, not the end.
            if line.startswith("!") and line.lower().endswith("_table_end"):
                self.in_table = False
            elif entity is not None:
                entity.table_lines += 1
            return None
        if self.lineno == 1:
            line = line.lstrip("\ufeff")
        if not line:
            return None
        head = line[0]
        if head == "^":
            kind, accession = _split(line[1:])
            kind = kind.upper()
            if not kind.isalpha() or not accession:
                raise ParseError(
                    f"{self.source}, line {self.lineno}: malformed entity line {line[:60]!r}"
                )
            self.entity = SoftEntity(kind, accession)
            return entity
        if entity is None:
            raise ParseError(
                f"{self.source}, line {self.lineno}: expected a SOFT entity line starting "
                f"with '^', got {line[:60]!r}"
            )
        if head == "!":
            label, value = _split(line)
            lowered = label.lower()
            if lowered.endswith("_table_begin"):
                self.in_table = True
            elif not lowered.endswith("_table_end"):
                underscore = label.find("_")
                key = label[underscore + 1 :] if underscore > 0 else label[1:]
                key = self.strings.setdefault(key, key)
                value = self.strings.setdefault(value, value)
                values = entity.attributes.get(key)
                if values is None:
                    entity.attributes[key] = [value]
                else:
                    values.append(value)
        elif head == "#":
            name, description = _split(line[1:])
            entity.columns[name] = description
        else:
            # Records from 2001-2002 put table rows after the # lines with no markers.
            entity.table_lines += 1
        return None

    def skip(self, rows: int) -> None:
        """Count ``rows`` table lines skipped without reading them one by one."""
        self.lineno += rows
        if self.entity is not None:
            self.entity.table_lines += rows

    def finish(self) -> SoftEntity | None:
        """The last entity; raises :class:`ParseError` if a table was left open."""
        if self.in_table:
            raise ParseError(
                f"{self.source}: truncated, a data table is not closed at line {self.lineno}"
            )
        return self.entity


def iter_soft(lines: Iterable[str], *, source: str = "SOFT input") -> Iterator[SoftEntity]:
    """Yield the entities of a SOFT document given as lines of text.

    Raises :class:`ParseError` when the text is not SOFT (attribute lines before
    any ``^`` header, a malformed ``^`` line) or is truncated (a data table that
    is never closed). Entity kinds outside :data:`ENTITY_KINDS` are yielded too;
    callers pick the kinds they know.
    """
    reader = _Reader(source)
    for raw in lines:
        done = reader.line(raw)
        if done is not None:
            yield done
    last = reader.finish()
    if last is not None:
        yield last


def _table_end(buffer: bytes, start: int) -> int:
    """Where the ``!..._table_end`` line at or after ``start`` (a line start) begins, or -1.

    Only a line whose first character is ``!`` can end a table (see
    :meth:`_Reader.line`), so ``bytes.find`` looks for ``\\n!`` at C speed; rows
    rarely start with ``!``, and each hit is decoded and checked exactly as the line
    reader checks it (``_table_end`` in any case, trailing whitespace allowed). A
    last line still without its newline is returned too; the line reader has the
    final word on it.
    """
    position = start
    while True:
        if buffer.startswith(b"!", position):
            line_start = position
        else:
            found = buffer.find(b"\n!", position)
            if found < 0:
                return -1
            line_start = found + 1
        line_end = buffer.find(b"\n", line_start)
        line = _decode(buffer[line_start : line_end if line_end >= 0 else len(buffer)])
        if line.rstrip().lower().endswith("_table_end"):
            return line_start
        if line_end < 0:
            return -1
        position = line_end


_CHUNK = 1 << 18


class _Readable(Protocol):
    def read(self, size: int = ..., /) -> bytes: ...


class SoftFeed:
    """A push reader: feed SOFT bytes as they arrive, get entities as they complete.

    The state machine of :func:`iter_soft` with the fast table skipper: table rows
    are never decoded or looped over in Python (``bytes.find`` locates the
    ``!..._table_end`` line and the rows before it are counted with ``bytes.count``).
    A download feeds it chunk by chunk and can stop as soon as it has what it
    needs; :func:`iter_soft_file` feeds it from a file.

    Example:
        >>> feed = SoftFeed("example")
        >>> feed.feed(b"^SAMPLE = GSM1\\n!Sample_title = a\\n^SAMPLE = GS")
        []
        >>> [e.accession for e in feed.feed(b"M2\\n")]
        ['GSM1']
        >>> [e.accession for e in feed.close()]
        ['GSM2']
    """

    def __init__(self, source: str = "SOFT input") -> None:
        self._reader = _Reader(source)
        self._buffer = b""
        self._position = 0

    def feed(self, data: bytes) -> list[SoftEntity]:
        """Take the next bytes; return the entities they completed."""
        if data:
            self._buffer = self._buffer[self._position :] + data
            self._position = 0
        return self._drain(ended=False)

    def close(self) -> list[SoftEntity]:
        """The input ended: return the last entities; raises :class:`ParseError` if a
        data table was left open (a truncated file)."""
        done = self._drain(ended=True)
        last = self._reader.finish()
        self._reader.entity = None
        return done if last is None else [*done, last]

    def _drain(self, *, ended: bool) -> list[SoftEntity]:
        reader, buffer, position = self._reader, self._buffer, self._position
        done: list[SoftEntity] = []
        while True:
            if reader.in_table:
                found = _table_end(buffer, position)
                if found >= 0:
                    reader.skip(buffer.count(b"\n", position, found))
                    position = found
                else:
                    last = buffer.rfind(b"\n", position)
                    if last >= position:
                        reader.skip(buffer.count(b"\n", position, last + 1))
                        position = last + 1
                    break
            newline = buffer.find(b"\n", position)
            if newline < 0:
                if ended and position < len(buffer):
                    entity = reader.line(_decode(buffer[position:]))
                    position = len(buffer)
                    if entity is not None:
                        done.append(entity)
                break
            entity = reader.line(_decode(buffer[position:newline]))
            position = newline + 1
            if entity is not None:
                done.append(entity)
        self._position = position
        return done


def _iter_soft_binary(handle: _Readable, source: str) -> Iterator[SoftEntity]:
    """Like :func:`iter_soft` over a binary stream, skipping tables at C speed."""
    feed = SoftFeed(source)
    while chunk := handle.read(_CHUNK):
        yield from feed.feed(chunk)
    yield from feed.close()


def parse_soft(text: str | bytes, *, source: str = "SOFT input") -> list[SoftEntity]:
    """Parse a whole SOFT document (text or bytes) into a list of entities."""
    if isinstance(text, bytes):
        lines: Iterable[str] = decode_lines(io.BytesIO(text))
    else:
        lines = io.StringIO(text)
    return list(iter_soft(lines, source=source))


def iter_soft_file(path: str | Path) -> Iterator[SoftEntity]:
    """Stream the entities of a SOFT file on disk, gzip-compressed or not.

    Example:
        >>> # for entity in iter_soft_file("GSE1563_family.soft.gz"): ...
    """
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as handle:
            yield from _iter_soft_binary(handle, str(path))
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ParseError(f"{path}: corrupt or truncated file ({exc})") from exc
