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
    >>> from geo_nb.soft import parse_soft
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

from .errors import ParseError

__all__ = [
    "ENTITY_KINDS",
    "SoftEntity",
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


def decode_lines(raw: Iterable[bytes]) -> Iterator[str]:
    """Decode byte lines as UTF-8, falling back to cp1252 for old Latin-1 records."""
    for line in raw:
        try:
            yield line.decode("utf-8")
        except UnicodeDecodeError:
            yield line.decode("cp1252", errors="replace")


def _split(line: str) -> tuple[str, str]:
    label, sep, value = line.partition("=")
    return label.strip(), value.strip() if sep else ""


def iter_soft(lines: Iterable[str], *, source: str = "SOFT input") -> Iterator[SoftEntity]:
    """Yield the entities of a SOFT document given as lines of text.

    Raises :class:`ParseError` when the text is not SOFT (attribute lines before
    any ``^`` header, a malformed ``^`` line) or is truncated (a data table that
    is never closed). Entity kinds outside :data:`ENTITY_KINDS` are yielded too;
    callers pick the kinds they know.
    """
    entity: SoftEntity | None = None
    in_table = False
    lineno = 0
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip()
        if in_table:
            if line.startswith("!") and line.lower().endswith("_table_end"):
                in_table = False
            elif entity is not None:
                entity.table_lines += 1
            continue
        if lineno == 1:
            line = line.lstrip("\ufeff")
        if not line:
            continue
        head = line[0]
        if head == "^":
            if entity is not None:
                yield entity
            kind, accession = _split(line[1:])
            kind = kind.upper()
            if not kind.isalpha() or not accession:
                raise ParseError(f"{source}, line {lineno}: malformed entity line {line[:60]!r}")
            entity = SoftEntity(kind, accession)
            continue
        if entity is None:
            raise ParseError(
                f"{source}, line {lineno}: expected a SOFT entity line starting with '^', "
                f"got {line[:60]!r}"
            )
        if head == "!":
            label, value = _split(line)
            lowered = label.lower()
            if lowered.endswith("_table_begin"):
                in_table = True
                continue
            if lowered.endswith("_table_end"):
                continue
            underscore = label.find("_")
            key = label[underscore + 1 :] if underscore > 0 else label[1:]
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
    if in_table:
        raise ParseError(f"{source}: truncated, a data table is not closed at line {lineno}")
    if entity is not None:
        yield entity


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
            yield from iter_soft(decode_lines(handle), source=str(path))
    except (EOFError, gzip.BadGzipFile, zlib.error, OSError) as exc:
        if isinstance(exc, FileNotFoundError):
            raise
        raise ParseError(f"{path}: corrupt or truncated file ({exc})") from exc
