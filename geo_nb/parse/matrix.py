"""GEO series matrix files -> pandas DataFrames.

A series matrix (``GSE1_series_matrix.txt.gz``, one per platform for multi-platform series)
holds a series' sample annotation and, for arrays, its value table in one small file: far cheaper
to read than a family SOFT file. These functions are pure (lines or a local path, no network).
Samples become rows indexed by GSM; ``!Sample_characteristics_chN`` slots become ``chN.<tag>``
columns; other repeated labels are joined with ``"; "``. The value table becomes a DataFrame
indexed by ``ID_REF``, one float64 column per sample.

Example:
    >>> lines = [
    ...     '!Series_geo_accession\\t"GSE1"',
    ...     '!Sample_geo_accession\\t"GSM1"\\t"GSM2"',
    ...     '!Sample_characteristics_ch1\\t"cell type: T cell"\\t"cell type: B cell"',
    ...     "!series_matrix_table_begin",
    ...     '"ID_REF"\\t"GSM1"\\t"GSM2"',
    ...     '"p1"\\t1.5\\tnull',
    ...     "!series_matrix_table_end",
    ... ]
    >>> series, matrix = parse_series_matrix(lines)
    >>> series["geo_accession"]
    ['GSE1']
    >>> matrix.samples["ch1.cell type"].tolist()
    ['T cell', 'B cell']
    >>> matrix.expression.loc["p1", "GSM1"]
    np.float64(1.5)
"""

from __future__ import annotations

import gzip
import io
import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

import pandas as pd

from ..errors import ParseError
from . import GZIP_MAGIC
from .convert import parse_characteristic

__all__ = ["SeriesMatrix", "parse_series_matrix", "read_series_matrix", "read_series_matrix_header"]

SeriesHeader = dict[str, list[str]]
_Rows = list[tuple[str, list[str]]]  # (label without "!Sample_", values) per line

_BEGIN = "!series_matrix_table_begin"
_END = "!series_matrix_table_end"
_NA = ["", "null", "NULL", "NA", "NaN", "nan", "N/A"]
_CHARACTERISTICS = re.compile(r"^characteristics_(ch\d+)$")


class SeriesMatrix(NamedTuple):
    """``samples``: one row per GSM (index ``accession``); ``expression``: index ``ID_REF``,
    one column per GSM, float64 where every value is a number, else string."""

    samples: pd.DataFrame
    expression: pd.DataFrame


def _split(rest: str) -> list[str]:
    """Split tab-separated values and drop their quotes; quoted values may hold tabs and quotes."""
    out: list[str] = []
    parts = iter(rest.split("\t"))
    for part in parts:
        while part.startswith('"') and (len(part) == 1 or not part.endswith('"')):
            nxt = next(parts, None)
            if nxt is None:
                break
            part += "\t" + nxt
        out.append(part[1:-1] if len(part) > 1 and part[0] == part[-1] == '"' else part)
    return out


def _read_header(lines: Iterator[str]) -> tuple[SeriesHeader, _Rows, str, bool]:
    """Consume lines up to and including the table start; never reads past it."""
    series: SeriesHeader = {}
    sample_rows: _Rows = []
    first = ""
    for raw in lines:
        line = raw.rstrip("\r\n").lstrip("\ufeff")
        if not line.strip():
            continue
        first = first or line
        if line.startswith(_BEGIN):
            return series, sample_rows, first, True
        label, _, rest = line.partition("\t")
        values = _split(rest) if rest else []
        if label.startswith("!Series_"):
            series.setdefault(label[8:], []).extend(values)
        elif label.startswith("!Sample_"):
            sample_rows.append((label[8:], values))
    return series, sample_rows, first, False


def _samples_frame(rows: _Rows, first_line: str, source: str) -> pd.DataFrame:
    accessions = next((vals for label, vals in rows if label == "geo_accession"), None)
    if accessions is None:
        raise ParseError(
            f"{source}: not a GEO series matrix (no !Sample_geo_accession line; "
            f"it starts with {first_line[:60]!r})"
        )
    accessions = [a.strip() for a in accessions]
    while accessions and not accessions[-1]:
        accessions.pop()
    n = len(accessions)
    if not n or not all(accessions) or len(set(accessions)) != n:
        raise ParseError(f"{source}: !Sample_geo_accession lists blank or repeated accessions")
    counts = Counter(label for label, _ in rows)
    columns: dict[str, list[str | None]] = {}
    for label, values in rows:
        values = [v.strip() for v in values]
        if len(values) > n and not any(values[n:]):
            values = values[:n]
        if len(values) > n:
            raise ParseError(f"{source}: !Sample_{label} has {len(values)} values for {n} samples")
        values += [""] * (n - len(values))
        channel = _CHARACTERISTICS.match(label)
        if channel:
            for i, value in enumerate(values):
                if value:
                    tag, text = parse_characteristic(value)
                    _append(columns.setdefault(f"{channel[1]}.{tag}", [None] * n), i, text)
        elif counts[label] > 1:
            column = columns.setdefault(label, [None] * n)
            for i, value in enumerate(values):
                _append(column, i, value)
        else:
            columns[label] = [v or None for v in values]
    index = pd.Index(accessions, name="accession", dtype="string")
    return pd.DataFrame(columns, index=index, dtype="string")


def _append(column: list[str | None], i: int, value: str) -> None:
    if value:
        old = column[i]
        column[i] = value if old is None else f"{old}; {value}"


def _expression_frame(lines: list[str], accessions: pd.Index, source: str) -> pd.DataFrame:
    lines = [line for line in lines if line.strip()]
    wanted = [str(a) for a in accessions]
    names = [name.strip() for name in _split(lines[0])[1:]] if lines else wanted
    if names != wanted:
        missing = [a for a in wanted if a not in names]
        extra = [a for a in names if a not in wanted]
        if missing or extra or len(set(names)) != len(names):
            why = f"missing {missing[:5]}, unexpected {extra[:5]}, {len(names)} columns"
            raise ParseError(f"{source}: the table header does not match the samples ({why})")
    if len(lines) < 2:
        index = pd.Index([], name="ID_REF", dtype="string")
        return pd.DataFrame(columns=wanted, index=index, dtype="float64")
    try:
        frame = pd.read_csv(
            io.StringIO("\n".join(lines)),
            sep="\t",
            header=0,
            names=["ID_REF", *names],
            index_col=0,
            dtype={"ID_REF": str},
            na_values=dict.fromkeys(names, _NA),
            keep_default_na=False,
        )
    except ValueError as exc:  # pandas.errors.ParserError is one
        raise ParseError(f"{source}: cannot read the value table: {exc}") from exc
    if frame.columns.tolist() != names:  # pandas took an extra leading field as the index
        raise ParseError(f"{source}: cannot read the value table: rows longer than its header")
    number, boolean = pd.api.types.is_numeric_dtype, pd.api.types.is_bool_dtype
    types = {
        c: "float64" if number(t) and not boolean(t) else "string" for c, t in frame.dtypes.items()
    }
    frame = frame.astype(types)[wanted]
    frame.index = frame.index.astype("string").rename("ID_REF")
    return frame


def parse_series_matrix(
    lines: Iterable[str], *, source: str = "series matrix"
) -> tuple[SeriesHeader, SeriesMatrix]:
    """Parse the lines of a series matrix file; ``source`` names it in error messages.

    Returns the series header (label without ``!Series_`` -> values, in file order) and the
    :class:`SeriesMatrix`. Raises :class:`~geo_nb.errors.ParseError` when the lines are not a
    series matrix, the table header does not match the samples, or the table is never closed.

    Example:
        >>> series, m = parse_series_matrix(['!Sample_geo_accession\\t"GSM1"', _BEGIN, _END])
        >>> (series, m.samples.index.tolist(), m.expression.shape)
        ({}, ['GSM1'], (0, 1))
    """
    it = iter(lines)
    series, rows, first, begun = _read_header(it)
    accession = next(iter(series.get("geo_accession", [])), None)
    try:
        samples = _samples_frame(rows, first, source)
        if not begun:
            raise ParseError(f"{source}: no {_BEGIN} line; the file is truncated")
        table: list[str] = []
        for raw in it:
            if raw.startswith(_END):
                break
            table.append(raw.rstrip("\r\n"))
        else:
            raise ParseError(f"{source}: the value table never ends ({_END}); file truncated")
        expression = _expression_frame(table, samples.index, source)
    except ParseError as exc:
        exc.accession = exc.accession or accession
        raise
    return series, SeriesMatrix(samples, expression)


@contextmanager
def _open_lines(path: str | Path) -> Iterator[Iterator[str]]:
    with open(path, "rb") as raw:
        gzipped = raw.read(2) == GZIP_MAGIC
        raw.seek(0)
        yield _decoded(gzip.GzipFile(fileobj=raw) if gzipped else raw, str(path))


def _decoded(stream: Iterable[bytes], source: str) -> Iterator[str]:
    """Decode line by line: UTF-8, or Latin-1 for the old files that are not UTF-8."""
    try:
        for line in stream:
            try:
                yield line.decode("utf-8")
            except UnicodeDecodeError:
                yield line.decode("latin-1")
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ParseError(f"{source}: corrupt or truncated gzip data ({exc})") from exc


def read_series_matrix(path: str | Path) -> tuple[SeriesHeader, SeriesMatrix]:
    """Read a series matrix file, gzip-compressed or plain, streaming it line by line.

    Example:
        >>> series, m = read_series_matrix("GSE99709_series_matrix.txt.gz")  # doctest: +SKIP
        >>> m.samples["ch1.cell type"].iloc[0]  # doctest: +SKIP
        'Primary Cortical Oligodendrocyte Progenitor (OLP) cells'
    """
    with _open_lines(path) as lines:
        return parse_series_matrix(lines, source=str(path))


def read_series_matrix_header(path: str | Path) -> tuple[SeriesHeader, pd.DataFrame]:
    """Read the series header and the samples only: nothing after the table start is decoded.

    Example:
        >>> _, samples = read_series_matrix_header("GSE1_series_matrix.txt.gz")  # doctest: +SKIP
        >>> samples.index.name  # doctest: +SKIP
        'accession'
    """
    with _open_lines(path) as lines:
        series, rows, first, _ = _read_header(lines)
    return series, _samples_frame(rows, first, str(path))
