"""Series matrices and family SOFT files for the series an emulator store holds.

GEO's FTP tree has, for every public series, ``matrix/GSEx[-GPLy]_series_matrix.txt.gz``
and ``soft/GSEx_family.soft.gz``. Where the recordings include the real files
(GSE99709's and GSE211781's matrices, GSE211781's and GSE105845's family files...),
those are served. For the other recorded series, :func:`sync` **generates** them at
run time from the series' recorded acc.cgi records, by a documented, deterministic
conversion (``data/README.md``, "Generated from real records"); every value in them
is a value of a recorded record.

Family SOFT (:func:`family_bytes`): ``^DATABASE`` (the block of a real family file)
then the series record, its platforms and its samples as recorded, in the series'
order. The series block leaves out ``!Series_platform_organism`` and
``!Series_sample_organism``, which real family files do not have.

Series matrix (:func:`matrix_text`), laid out like the real GSE211781, GSE99709,
GSE52778 and GSE64912 matrices (``tests/test_seriesfiles.py`` rebuilds GSE211781's
header from its records and compares it with the real one, byte for byte):

* ``!Series_<label>\\t"<value>"`` for every series line in record order, without
  the two organism lines, ``!Series_sample_id`` collapsed into one line of
  space-separated accessions with a trailing space; then an empty line;
* one ``!Sample_<label>`` line per field and repeat, with one quoted value per
  sample (``""`` where a sample has fewer repeats than another), in GEO's field
  order (:data:`SAMPLE_ORDER`; labels it does not name keep their record order,
  before ``platform_id``); ``!Sample_series_id`` is not written;
* ``!series_matrix_table_begin``, the ``"ID_REF"`` header line and
  ``!series_matrix_table_end``: no value rows (the recordings hold no values), as in
  a real sequencing series' matrix.

A series on several platforms gets one ``GSEx-GPLy`` matrix per platform that has
recorded samples, each with the whole series block and that platform's samples.
(Whether GEO writes every platform's samples into each file's ``!Series_sample_id``
is not known from a capture.) A series with no recorded sample gets no matrix, only
its family SOFT; a series that is not public gets neither.

:func:`large_matrix` builds a big matrix around a real header: the value table is
**synthetic** (deterministic numbers), for measuring how little of a big file is read.

Example:
    >>> from geo_nb.testing import DataStore
    >>> store = DataStore()
    >>> text = matrix_text(store, "GSE100494")
    >>> text.splitlines()[0], text.count("!Sample_geo_accession")
    ('!Series_title\\t"Human CD4 T cell ATAC-seq time course"', 1)
"""

from __future__ import annotations

import functools
import gzip
import random
import re
import threading
import weakref
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field

from .families import DATABASE_BLOCK, family_path
from .ftpfiles import FtpFile, parse_mtime
from .geopaths import ftp_dir
from .soft import SoftRecord
from .store import DataStore

__all__ = [
    "SAMPLE_ORDER",
    "family_bytes",
    "large_matrix",
    "large_matrix_parts",
    "matrix_files",
    "matrix_text",
    "recorded_table",
    "sync",
]

_ORGANISM_LINES = ("Series_platform_organism", "Series_sample_organism")
_CHANNEL_FIELDS = (
    "source_name",
    "organism",
    "characteristics",
    "biomaterial_provider",
    "treatment_protocol",
    "growth_protocol",
    "molecule",
    "extract_protocol",
    "label",
    "label_protocol",
)
_HEAD = ("title", "geo_accession", "status", "submission_date", "last_update_date", "type")
_MIDDLE = ("hyb_protocol", "scan_protocol", "description", "data_processing")
_TAIL = (
    "data_row_count",
    "instrument_model",
    "library_selection",
    "library_source",
    "library_strategy",
    "relation",
)
#: GEO's order of sample fields in a series matrix (from the real ones; ``chN`` fields
#: per channel, ``contact_*`` and ``supplementary_file_N`` in record order).
SAMPLE_ORDER = (
    *_HEAD,
    "channel_count",
    *(f"{name}_chN" for name in _CHANNEL_FIELDS),
    "taxid_chN",
    *_MIDDLE,
    "platform_id",
    "contact_*",
    "supplementary_file",
    *_TAIL,
    "supplementary_file_N",
)
_CHANNEL = re.compile(r"^(.*)_ch(\d{1,2})$")
_NUMBERED_FILE = re.compile(r"^supplementary_file_\d+$")
_DATE = re.compile(r"^([A-Z][a-z]{2}) (\d{1,2}) (\d{4})$")
_MINIML = "{http://www.ncbi.nlm.nih.gov/geo/info/MINiML}"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _sample_fields(samples: list[SoftRecord]) -> dict[str, list[list[str]]]:
    """Label (without ``Sample_``) -> per sample, its values; labels in first-seen order."""
    fields: dict[str, list[list[str]]] = {}
    for index, sample in enumerate(samples):
        for name, value in sample.attributes:
            label = name.removeprefix("Sample_")
            if label == "series_id":
                continue
            fields.setdefault(label, [[] for _ in samples])[index].append(value)
    return fields


_SLOTS = {name: i for i, name in enumerate(SAMPLE_ORDER)}


def _rank(label: str, seen: int) -> tuple[int, int, int]:
    """Where a sample field goes in the matrix: (slot, channel, first-seen position)."""
    slots = _SLOTS
    channel = _CHANNEL.match(label)
    if label in slots and not label.endswith("_chN"):
        return slots[label], 0, seen
    if _NUMBERED_FILE.match(label):
        return slots["supplementary_file_N"], 0, seen
    if label.startswith("contact_"):
        return slots["contact_*"], 0, seen
    if channel:
        base, number = channel.group(1), int(channel.group(2))
        if base == "taxid":
            return slots["taxid_chN"], number, seen
        known = f"{base}_chN"
        # Channel fields GEO's order does not name go at the end of their channel's block.
        offset = slots[known] if known in slots else slots["label_protocol_chN"] + 0.5
        return slots["source_name_chN"], number * 100 + int(offset * 2), seen
    return slots["platform_id"], -1, seen


def _quoted(values: list[str]) -> str:
    return "\t".join(f'"{v}"' for v in values)


def _series_lines(series: SoftRecord, samples: list[str]) -> list[str]:
    lines = []
    listed = False
    for name, value in series.attributes:
        if name in _ORGANISM_LINES:
            continue
        if name == "Series_sample_id":
            if not listed:
                lines.append(f'!Series_sample_id\t"{"".join(a + " " for a in samples)}"')
                listed = True
            continue
        lines.append(f'!{name}\t"{value}"')
    return lines


def matrix_text(store: DataStore, series: str, platform: str | None = None) -> str:
    """The series matrix of ``series`` (only ``platform``'s samples, when given)."""
    record = store.record(series)
    if record is None or record.kind != "SERIES":
        raise KeyError(f"{series} is not a stored series")
    listed = record.values("Series_sample_id")
    samples = [s for s in map(store.record, listed) if s is not None]
    if platform is not None:
        samples = [s for s in samples if s.first("Sample_platform_id") == platform]
    fields = _sample_fields(samples)
    seen = {label: i for i, label in enumerate(fields)}
    ordered = sorted(fields, key=lambda label: _rank(label, seen[label]))
    lines = _series_lines(record, listed)
    lines.append("")
    for label in ordered:
        per_sample = fields[label]
        for row in range(max(len(v) for v in per_sample)):
            values = [v[row] if row < len(v) else "" for v in per_sample]
            lines.append(f"!Sample_{label}\t{_quoted(values)}")
    lines.append("!series_matrix_table_begin")
    lines.append(f'"ID_REF"\t{_quoted([s.accession for s in samples])}')
    lines.append("!series_matrix_table_end")
    return "\n".join(lines) + "\n"


def matrix_files(store: DataStore, series: str) -> dict[str, str]:
    """File name -> text of every matrix :func:`sync` generates for ``series``."""
    record = store.record(series)
    if record is None:
        return {}
    stored = [s for s in map(store.record, record.values("Series_sample_id")) if s is not None]
    if not stored:
        return {}
    platforms = record.values("Series_platform_id")
    if len(platforms) <= 1:
        return {f"{series}_series_matrix.txt.gz": matrix_text(store, series)}
    used = {s.first("Sample_platform_id") for s in stored}
    return {
        f"{series}-{gpl}_series_matrix.txt.gz": matrix_text(store, series, gpl)
        for gpl in platforms
        if gpl in used
    }


def family_bytes(store: DataStore, series: str) -> bytes:
    """The family SOFT of ``series``, gzip-compressed (see the module docstring)."""
    record = store.record(series)
    if record is None or record.kind != "SERIES":
        raise KeyError(f"{series} is not a stored series")
    head = [
        line
        for line in record.lines
        if not line.startswith(tuple(f"!{name}" for name in _ORGANISM_LINES))
    ]
    parts = [DATABASE_BLOCK, "".join(head)]
    if not parts[1].endswith("\n"):
        parts[1] += "\n"
    for label in ("Series_platform_id", "Series_sample_id"):
        for accession in record.values(label):
            found = store.record(accession)
            if found is not None:
                parts.append(found.text)
                if found.kind == "SAMPLE" and "!sample_table_begin" not in found.text.lower():
                    parts.append(recorded_table(store, accession))
    data = "".join(parts).encode("utf-8", errors="surrogateescape")
    return gzip.compress(data, compresslevel=6, mtime=0)


def _columns(store: DataStore, sample: str) -> list[tuple[str, str]]:
    """A sample table's (name, description) columns, from a recorded MINiML family."""
    for path in sorted((store.data_dir / "sources").glob("*_family.xml")):
        root = ET.parse(path).getroot()
        for element in root.iter(f"{_MINIML}Sample"):
            if element.get("iid") != sample:
                continue
            columns = element.findall(f"{_MINIML}Data-Table/{_MINIML}Column")
            return [
                (
                    (c.findtext(f"{_MINIML}Name") or "").strip(),
                    (c.findtext(f"{_MINIML}Description") or "").strip(),
                )
                for c in columns
            ]
    return []


def recorded_table(store: DataStore, sample: str) -> str:
    """A sample's data table as a family SOFT writes it, when the recordings hold the table
    (``sources/<GSM>-tbl-1.txt.gz``, a MINiML external table, with its columns from the
    MINiML family); ``""`` otherwise."""
    path = store.data_dir / "sources" / f"{sample}-tbl-1.txt.gz"
    columns = _columns(store, sample) if path.is_file() else []
    if not columns:
        return ""
    rows = gzip.decompress(path.read_bytes()).decode("utf-8")
    head = "".join(f"#{name} = {description}\n" for name, description in columns)
    header = "\t".join(name for name, _ in columns)
    body = rows if rows.endswith("\n") else rows + "\n"
    return f"{head}!sample_table_begin\n{header}\n{body}!sample_table_end\n"


def _gzip(text: str) -> bytes:
    return gzip.compress(text.encode("utf-8", "surrogateescape"), compresslevel=6, mtime=0)


def _updated(record: SoftRecord) -> float:
    match = _DATE.match(record.first("Series_last_update_date"))
    if match is None or match.group(1) not in _MONTHS:
        return parse_mtime("2000-01-01 00:00")
    month = _MONTHS.index(match.group(1)) + 1
    return parse_mtime(f"{match.group(3)}-{month:02d}-{int(match.group(2)):02d} 00:00")


@dataclass
class _Generated:
    version: int = -1
    files: dict[str, FtpFile] = field(default_factory=dict)
    memo: dict[tuple[SoftRecord, ...], dict[str, bytes]] = field(default_factory=dict)

    def ours(self, store: DataStore, path: str) -> bool:
        """True while the file served at ``path`` is the one :func:`sync` put there."""
        mine = self.files.get(path)
        return mine is not None and store.ftp_file(path) is mine


_generated: weakref.WeakKeyDictionary[DataStore, _Generated] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _wanted(store: DataStore, state: _Generated) -> Iterator[tuple[str, bytes, float]]:
    for accession in store.accessions():
        record = store.record(accession)
        if record is None or record.kind != "SERIES" or store.status(accession)[0] != "public":
            continue
        folder = ftp_dir(accession)
        related = [
            r
            for label in ("Series_platform_id", "Series_sample_id")
            for r in map(store.record, record.values(label))
            if r is not None
        ]
        key = (record, *related)
        files = state.memo.get(key)
        if files is None:
            files = {
                f"{folder}/matrix/{name}": _gzip(text)
                for name, text in matrix_files(store, accession).items()
            }
            files[family_path(accession)] = family_bytes(store, accession)
            state.memo[key] = files
        real_matrix = any(
            entry.name.endswith("_series_matrix.txt.gz")
            and not state.ours(store, f"{folder}/matrix/{entry.name}")
            for entry in store.listing(f"{folder}/matrix") or []
        )
        real_family = store.ftp_file(family_path(accession)) is not None and not state.ours(
            store, family_path(accession)
        )
        when = _updated(record)
        for path, data in files.items():
            if path.endswith("_family.soft.gz") and real_family:
                continue
            if "/matrix/" in path and real_matrix:
                continue
            yield path, data, when


def sync(store: DataStore) -> None:
    """Serve the generated matrix and family files of ``store``'s current records.

    Cheap when nothing changed since the last call (the store's version is kept);
    files generated for records that changed or went away are replaced or removed.
    Real files (recorded, or added with ``add_ftp_file`` by a test) always win.
    """
    with _lock:
        state = _generated.get(store)
        if state is None:
            state = _generated[store] = _Generated()
        if state.version == store.version:
            return
        wanted = {path: (data, when) for path, data, when in _wanted(store, state)}
        for path in state.files.keys() - wanted.keys():
            if state.ours(store, path):
                store.remove_ftp_file(path)
        files: dict[str, FtpFile] = {}
        for path, (data, when) in wanted.items():
            if state.ours(store, path) and state.files[path].data == data:
                files[path] = state.files[path]
                continue
            store.add_ftp_file(path, data, when)
            added = store.ftp_file(path)
            if added is not None:
                files[path] = added
        state.files = files
        state.version = store.version


def large_matrix_parts(header: bytes, table_bytes: int, *, seed: int = 0) -> tuple[bytes, bytes]:
    """A gzip'ed series matrix in two parts (two gzip members): ``header`` (everything
    before ``!series_matrix_table_begin``, real) with the table's start and ``"ID_REF"``
    line, then about ``table_bytes`` of **synthetic** value rows (``"SYN_<n>"`` IDs,
    deterministic numbers), one column per sample of the header's
    ``!Sample_geo_accession`` line.

    The header is compressed at GEO's level (6); the rows are stored without compression,
    so the file is as large as its table and building it takes a fraction of a second. The
    second part depends only on the number of samples, ``table_bytes`` and ``seed``, and is
    shared by every file that asks for the same (see ``DataStore.add_ftp_parts``).
    """
    samples = next(
        (
            [v.strip('"') for v in line.split("\t")[1:]]
            for line in header.decode("utf-8", "replace").splitlines()
            if line.startswith("!Sample_geo_accession")
        ),
        [],
    )
    head = header + f'!series_matrix_table_begin\n"ID_REF"\t{_quoted(samples)}\n'.encode()
    return gzip.compress(head, 6, mtime=0), _table_member(len(samples), table_bytes, seed)


@functools.lru_cache(maxsize=8)
def _table_member(columns: int, table_bytes: int, seed: int) -> bytes:
    rng = random.Random(seed)
    block = [
        "\t".join(f"{rng.lognormvariate(5.0, 1.5):.4f}" for _ in range(columns)) for _ in range(997)
    ]
    rows: list[str] = []
    size = 0
    n = 0
    while size < table_bytes:
        row = f'"SYN_{n}"\t{block[n % len(block)]}\n'
        rows.append(row)
        size += len(row)
        n += 1
    rows.append("!series_matrix_table_end\n")
    stored = zlib.compressobj(0, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return stored.compress("".join(rows).encode()) + stored.flush()


def large_matrix(header: bytes, table_bytes: int, *, seed: int = 0) -> bytes:
    """:func:`large_matrix_parts` as one file."""
    return b"".join(large_matrix_parts(header, table_bytes, seed=seed))
