"""Family SOFT files (``GSEx_family.soft.gz``) for series of an emulator store.

GEO's FTP tree serves, for every series, ``series/GSEnnn/GSEx/soft/GSEx_family.soft.gz``:
the ``^DATABASE`` block, the series, its platforms and its samples in full view, each
sample with its data table. That is what GEOparse's ``get_GEO(geo=..., how="full")``
downloads. Recorded family files are too big to bundle, so this module builds them from
the records a :class:`~geo_nb.testing.DataStore` holds (recorded series or clones made by
:func:`~geo_nb.testing.synth.clone_series`), which lets benchmarks point GEOparse and
geo_nb at the same emulated series.

* ``^DATABASE``: the block of a real family file (GSE105845's, bundled under
  ``ftp/geo/series/GSE105nnn/GSE105845/soft/``), copied as is.
* ``^SERIES``, ``^PLATFORM`` (those of ``Series_platform_id`` the store holds) and
  ``^SAMPLE`` (those of ``Series_sample_id`` the store holds, in that order): the stored
  records as captured.
* Array-style tables (``rows`` given): each sample gets GEO's column description
  (``#ID_REF =``, ``#VALUE = <description>``) and a ``!sample_table_begin`` ...
  ``!sample_table_end`` block of ``rows`` ``ID_REF``/``VALUE`` rows cut from a real
  :class:`ReferenceTable` (its first ``rows`` rows; past its end the rows repeat with
  ``_2``, ``_3``... appended to the IDs). Values are jittered deterministically per
  sample position (slot ``position % slots``), keeping the reference's decimals.
  ``!Sample_data_row_count`` is set to ``rows`` in the file *and* in the store's
  records (:func:`set_row_count`), so acc.cgi and the family file agree.

The store's records themselves never carry the tables: acc.cgi's brief view, what geo_nb
asks for, drops column descriptions and tables anyway (it keeps ``^``/``!`` lines outside
tables), and hundreds of 20,000-line tables held as Python strings would cost gigabytes.

The ``.gz`` files are multi-member gzip streams (RFC 1952 allows it; ``gzip``/``zcat`` and
Python's :mod:`gzip`, hence GEOparse and geo_nb, read them as one stream): each table
block is compressed once per (slot, rows) and shared by every file that uses it, so a
hundred 2.5 MB files take about a second to build instead of a minute.

Example:
    >>> from geo_nb.testing import DataStore
    >>> from geo_nb.testing.families import FamilyBuilder, ReferenceTable, set_row_count
    >>> store = DataStore()
    >>> record = store.record("GSM11805")
    >>> builder = FamilyBuilder(store, ReferenceTable.from_record(record))
    >>> text = builder.soft_text("GSE27011", rows=3)
    >>> text.splitlines()[0], text.count("!sample_table_begin")
    ('^DATABASE = GeoMiame', 54)
"""

from __future__ import annotations

import gzip
import math
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .geopaths import ftp_dir
from .soft import SoftRecord
from .store import DataStore

__all__ = [
    "DATABASE_BLOCK",
    "FamilyBuilder",
    "ReferenceTable",
    "family_path",
    "resize_series",
    "set_row_count",
]

DATABASE_BLOCK = (
    "^DATABASE = GeoMiame\n"
    "!Database_name = Gene Expression Omnibus (GEO)\n"
    "!Database_institute = NCBI NLM NIH\n"
    "!Database_web_link = http://www.ncbi.nlm.nih.gov/geo\n"
    "!Database_email = geo@ncbi.nlm.nih.gov\n"
)
_ROW_COUNT = re.compile(r"^!Sample_data_row_count = .*$", re.M)
_JITTER_SD = 0.02
_CHUNK = 1000


def family_path(series: str) -> str:
    """Where GEO serves the family SOFT of ``series`` below ``/geo/``."""
    return f"{ftp_dir(series)}/soft/{series}_family.soft.gz"


@dataclass(frozen=True)
class ReferenceTable:
    """A real two-column (``ID_REF``, ``VALUE``) sample table that tables are cut from."""

    source: str
    rows: tuple[tuple[str, str], ...]
    value_description: str

    @classmethod
    def from_tsv(cls, path: str | Path, *, value_description: str) -> ReferenceTable:
        """Rows of a headerless ``ID\\tVALUE`` file (MINiML's ``GSMx-tbl-1.txt``)."""
        rows = []
        with Path(path).open(encoding="utf-8") as handle:
            for line in handle:
                parts = line.rstrip("\r\n").split("\t")
                if len(parts) >= 2 and parts[0]:
                    rows.append((parts[0], parts[1]))
        if not rows:
            raise ValueError(f"{path}: no ID/VALUE rows")
        return cls(str(path), tuple(rows), value_description)

    @classmethod
    def from_record(cls, record: SoftRecord) -> ReferenceTable:
        """The first two columns of a full-view sample record's table (e.g. GSM11805)."""
        rows: list[tuple[str, str]] = []
        description = ""
        in_table = header = False
        for raw in record.lines:
            line = raw.rstrip("\r\n")
            lowered = line.lower()
            if line.startswith("#VALUE"):
                description = line.partition("=")[2].strip()
            elif lowered.startswith("!") and lowered.endswith("_table_begin"):
                in_table = header = True
            elif lowered.startswith("!") and lowered.endswith("_table_end"):
                in_table = False
            elif in_table and header:
                header = False
            elif in_table:
                parts = line.split("\t")
                if len(parts) >= 2:
                    rows.append((parts[0], parts[1]))
        if not rows:
            raise ValueError(f"{record.accession} has no data table")
        return cls(f"{record.accession} (acc.cgi full view)", tuple(rows), description)


def set_row_count(store: DataStore, samples: list[str], rows: int) -> None:
    """Set ``!Sample_data_row_count`` of stored sample records to ``rows``."""
    for accession in samples:
        record = store.record(accession)
        if record is None or record.kind != "SAMPLE":
            raise KeyError(f"{accession} is not a stored sample")
        text = record.text
        line = f"!Sample_data_row_count = {rows}"
        if _ROW_COUNT.search(text):
            text = _ROW_COUNT.sub(line, text, count=1)
        else:
            text += line + "\n"
        store.add_record(text)


def resize_series(store: DataStore, series: str, samples: int, *, first_sample: int) -> list[str]:
    """Make the stored ``series`` list exactly ``samples`` samples; returns their accessions.

    The first ones are its recorded samples (trimmed when ``samples`` is smaller); past
    them, copies of the recorded samples (cycled, in order) are added as
    ``GSM<first_sample>``, ``GSM<first_sample + 1>``... with their accession renumbered
    and their ``Sample_series_id`` still pointing at ``series``.
    """
    record = store.record(series)
    if record is None or record.kind != "SERIES":
        raise KeyError(f"{series} is not a stored series")
    recorded = [a for a in record.values("Series_sample_id") if store.record(a) is not None]
    if not recorded:
        raise ValueError(f"{series} has no stored samples")
    kept = recorded[:samples]
    for n in range(samples - len(kept)):
        template = store.record(recorded[n % len(recorded)])
        assert template is not None
        new = f"GSM{first_sample + n}"
        pattern = re.compile(rf"(?<![A-Za-z0-9]){template.accession}(?![0-9])")
        store.add_record(pattern.sub(new, template.text))
        kept.append(new)
    lines: list[str] = []
    listed = False
    for line in record.text.splitlines(keepends=True):
        if line.startswith("!Series_sample_id"):
            if not listed:
                lines += [f"!Series_sample_id = {a}\n" for a in kept]
                listed = True
            continue
        lines.append(line)
    store.add_record("".join(lines))
    return kept


class FamilyBuilder:
    """Builds family SOFT files for series of ``store``; tables come from ``reference``.

    ``slots`` distinct jittered tables are made (sample ``i`` of a series uses slot
    ``i % slots``); ``compresslevel`` is gzip's (GEO's files use the default, 6).
    """

    def __init__(
        self,
        store: DataStore,
        reference: ReferenceTable,
        *,
        slots: int = 12,
        compresslevel: int = 6,
        seed: int = 0,
    ) -> None:
        self.store = store
        self.reference = reference
        self.slots = slots
        self.compresslevel = compresslevel
        self.seed = seed
        self._lines: dict[int, list[str]] = {}
        self._blocks: dict[tuple[int, int], str] = {}
        self._members: dict[tuple[int, int], bytes] = {}

    # ---- tables ------------------------------------------------------------------------

    def _rows(self, slot: int, rows: int) -> list[str]:
        lines = self._lines.setdefault(slot, [])
        reference = self.reference.rows
        while len(lines) < rows:
            # Rows are made in chunks seeded by (seed, slot, chunk): the same whatever
            # order tables of different lengths are asked for.
            start = len(lines)
            rng = random.Random(f"{self.seed}/{slot}/{start // _CHUNK}")
            for index in range(start, start + _CHUNK):
                round_, position = divmod(index, len(reference))
                ident, value = reference[position]
                ident = ident if round_ == 0 else f"{ident}_{round_ + 1}"
                lines.append(f"{ident}\t{_jitter(value, rng)}\n")
        return lines[:rows]

    def table_block(self, slot: int, rows: int) -> str:
        """Column description and table of ``rows`` rows for sample slot ``slot``."""
        key = (slot % self.slots, rows)
        block = self._blocks.get(key)
        if block is None:
            head = f"#ID_REF = \n#VALUE = {self.reference.value_description}\n"
            body = "".join(self._rows(key[0], rows))
            block = f"{head}!sample_table_begin\nID_REF\tVALUE\n{body}!sample_table_end\n"
            self._blocks[key] = block
        return block

    def _table_member(self, slot: int, rows: int) -> bytes:
        key = (slot % self.slots, rows)
        member = self._members.get(key)
        if member is None:
            data = self.table_block(slot, rows).encode()
            member = gzip.compress(data, compresslevel=self.compresslevel, mtime=0)
            self._members[key] = member
        return member

    # ---- files -------------------------------------------------------------------------

    def _parts(self, series: str, rows: int | None) -> Iterator[tuple[str, int | None]]:
        """``(text, slot)`` pieces of the family file; a slot stands for its table."""
        record = self.store.record(series)
        if record is None or record.kind != "SERIES":
            raise KeyError(f"{series} is not a stored series")
        head = [DATABASE_BLOCK, record.text]
        for platform in record.values("Series_platform_id"):
            found = self.store.record(platform)
            if found is not None:
                head.append(found.text)
        yield "".join(head), None
        samples = [self.store.record(a) for a in record.values("Series_sample_id")]
        for position, sample in enumerate(s for s in samples if s is not None):
            text = sample.text
            if rows is not None:
                count = f"!Sample_data_row_count = {rows}"
                if _ROW_COUNT.search(text):
                    text = _ROW_COUNT.sub(count, text, count=1)
                else:
                    text += count + "\n"
            yield text, None
            if rows:
                yield "", position

    def sample_accessions(self, series: str) -> list[str]:
        """The stored samples ``series`` lists, in order."""
        record = self.store.record(series)
        if record is None:
            raise KeyError(f"{series} is not a stored series")
        return [a for a in record.values("Series_sample_id") if self.store.record(a) is not None]

    def soft_text(self, series: str, rows: int | None = None) -> str:
        """The whole family file as text (``rows=None``: no tables, records as stored)."""
        return "".join(
            text if slot is None else self.table_block(slot, rows or 0)
            for text, slot in self._parts(series, rows)
        )

    def gzip_bytes(self, series: str, rows: int | None = None) -> bytes:
        """The family file gzip-compressed (a multi-member stream, see the module doc)."""
        members = []
        for text, slot in self._parts(series, rows):
            if slot is None:
                data = text.encode("utf-8", errors="surrogateescape")
                members.append(gzip.compress(data, compresslevel=self.compresslevel, mtime=0))
            else:
                members.append(self._table_member(slot, rows or 0))
        return b"".join(members)

    def write(self, path: str | Path, series: str, rows: int | None = None) -> int:
        """Write the family file to ``path`` (gzip when it ends in ``.gz``); returns bytes."""
        path = Path(path)
        if path.suffix == ".gz":
            data = self.gzip_bytes(series, rows)
            path.write_bytes(data)
            return len(data)
        written = 0
        with path.open("w", encoding="utf-8", errors="surrogateescape", newline="") as out:
            for text, slot in self._parts(series, rows):
                piece = text if slot is None else self.table_block(slot, rows or 0)
                written += out.write(piece)
        return path.stat().st_size

    def add(self, series: str, rows: int | None = None) -> int:
        """Serve the family file of ``series`` from the store's FTP tree; returns its size.

        With ``rows`` given, the store's sample records get the same
        ``!Sample_data_row_count`` as the file.
        """
        if rows is not None:
            set_row_count(self.store, self.sample_accessions(series), rows)
        data = self.gzip_bytes(series, rows)
        self.store.add_ftp_file(family_path(series), data)
        return len(data)


def _jitter(value: str, rng: random.Random) -> str:
    """``value`` times a small log-normal factor, with as many decimals as it had."""
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    decimals = len(value.partition(".")[2]) if "." in value and "e" not in value.lower() else 0
    jittered = number * math.exp(rng.gauss(0.0, _JITTER_SD))
    return f"{jittered:.{decimals}f}"
