"""NCBI counts tables and NCBI Gene's ``gene_info`` -> pandas.

NCBI's counts files are tab-separated: ``GeneID`` then one column per GSM, one
row per gene (39,376 for human). They are parsed straight into nullable ``Int64``
columns by ``pyarrow.csv`` where pyarrow is installed (it comes with the
``analysis`` extra), else by pandas' C engine from the file decompressed in memory: the
fastest correct readers measured in ``bench/matrices.py``. TPM and FPKM become
``float64``. These functions read local files only.

Example:
    >>> import io
    >>> table = io.BytesIO(b"GeneID\\tGSM1\\tGSM2\\n1\\t5\\t0\\n2\\t7\\t3\\n")
    >>> frame = read_counts(table, kind="raw")
    >>> frame.loc[2].tolist(), str(frame.dtypes["GSM1"])
    ([7, 3], 'Int64')
"""

from __future__ import annotations

import gzip
import importlib.util
import io
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pandas as pd

from ..errors import ParseError

__all__ = ["csv_engine", "read_counts", "read_gene_symbols"]

Source = str | Path | IO[bytes]


def csv_engine() -> str:
    """``"pyarrow"`` when pyarrow is installed, else ``"c"`` (for ``gene_info``)."""
    return "pyarrow" if importlib.util.find_spec("pyarrow") is not None else "c"


def _name(source: Source) -> str:
    return str(source) if isinstance(source, str | Path) else "the counts table"


def read_counts(source: Source, *, kind: str = "raw") -> pd.DataFrame:
    """A counts table indexed by ``GeneID`` (int64), one column per sample.

    ``kind="raw"`` gives ``Int64`` columns, parsed as such (``pyarrow.csv`` where
    pyarrow is installed, else pandas' C engine); ``"tpm"``/``"fpkm"`` ``float64``.
    Raises :class:`ParseError` when the table is not an NCBI counts table (no
    ``GeneID`` column, values that are not numbers, duplicated genes).
    """
    raw = kind == "raw"
    nullable: dict[str, Any] = {"dtype_backend": "numpy_nullable"} if raw else {}
    try:
        if csv_engine() == "pyarrow":
            frame: pd.DataFrame = _read_arrow(source, raw=raw)
        else:
            data = _bytes(source)
            _refuse_repeated(source, data.split(b"\n", 1)[0].decode().rstrip("\r").split("\t"))
            frame = pd.read_csv(io.BytesIO(data), sep="\t", index_col=0, engine="c", **nullable)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError, EOFError) as exc:
        raise ParseError(f"{_name(source)} is not a readable counts table: {exc}") from None
    if frame.index.name != "GeneID":
        raise ParseError(
            f"{_name(source)} is not an NCBI counts table: its first column is "
            f"{frame.index.name!r}, not 'GeneID'."
        )
    try:
        frame.index = pd.Index(frame.index.astype("int64"), name="GeneID")
        wanted = "Int64" if raw else "float64"
        if any(str(t) != wanted for t in frame.dtypes):
            frame = frame.astype(cast(Any, wanted))
    except (ValueError, TypeError) as exc:
        raise ParseError(f"{_name(source)} holds values that are not numbers: {exc}") from None
    if frame.index.has_duplicates:
        repeated = frame.index[frame.index.duplicated()][:5].tolist()
        raise ParseError(f"{_name(source)} lists genes twice: {repeated}.")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def _read_arrow(source: Source, *, raw: bool) -> pd.DataFrame:
    """The table through ``pyarrow.csv`` (a ``.gz`` path is decompressed by it), indexed by
    its first column. Integer columns without gaps become ``Int64`` arrays over
    pyarrow's own buffers (no mask to compute), which is why this beats
    ``pd.read_csv(engine="pyarrow", dtype_backend=...)`` (``bench/matrices.py``)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    table = pacsv.read_csv(
        str(source) if isinstance(source, Path) else source,
        parse_options=pacsv.ParseOptions(delimiter="\t"),
    )
    if table.num_columns == 0:
        return pd.DataFrame()
    _refuse_repeated(source, table.column_names)
    columns: dict[str, Any] = {}
    for name, column in zip(table.column_names[1:], table.columns[1:], strict=True):
        if raw and pa.types.is_integer(column.type) and column.null_count == 0:
            values = column.to_numpy().astype("int64", copy=False)
            columns[name] = pd.arrays.IntegerArray(values, np.zeros(len(values), dtype=bool))
        else:
            columns[name] = column.to_numpy()
    first = table.column(0).to_numpy()
    return pd.DataFrame(columns, index=pd.Index(first, name=table.column_names[0]), copy=False)


def _bytes(source: Source) -> bytes:
    """The table's bytes; a ``.gz`` path decompressed in one go, which beats pandas'
    streamed gzip by ~30% (bench/matrices.py; the files are a few MB)."""
    if isinstance(source, str | Path):
        data = Path(source).read_bytes()
        return gzip.decompress(data) if str(source).endswith(".gz") else data
    return source.read()


def _refuse_repeated(source: Source, header: list[str]) -> None:
    """A sample column named twice is an error: pandas' C engine would rename the second
    (``GSM1.1``) and a dict would keep one of them, either one silently."""
    names = [name.strip() for name in header[1:]]
    if len(set(names)) < len(names):
        repeated = sorted({n for n in names if names.count(n) > 1})[:5]
        raise ParseError(f"{_name(source)} has a column twice: {repeated}.")


def read_gene_symbols(source: Source) -> pd.Series:
    """GeneID -> Symbol from an NCBI Gene ``gene_info`` file (``#tax_id GeneID Symbol ...``).

    Example:
        >>> import io
        >>> info = io.BytesIO(b"#tax_id\\tGeneID\\tSymbol\\tLocusTag\\n9606\\t1\\tA1BG\\t-\\n")
        >>> read_gene_symbols(info).to_dict()
        {1: 'A1BG'}
    """
    try:
        frame: pd.DataFrame = pd.read_csv(
            cast(Any, source),
            sep="\t",
            usecols=["GeneID", "Symbol"],
            engine=cast(Any, csv_engine()),
            dtype=str,
        )
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError, OSError) as exc:
        raise ParseError(f"{_name(source)} is not an NCBI gene_info file: {exc}") from None
    frame = frame.dropna(subset=["GeneID"])
    symbols = pd.Series(
        frame["Symbol"].to_numpy(), index=frame["GeneID"].astype("int64"), dtype="string"
    )
    return symbols[~symbols.index.duplicated()].rename("symbol").rename_axis("GeneID")
