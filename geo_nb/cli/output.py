"""Writing frames for a terminal (a table) or a pipe (CSV, TSV or JSON).

JSON is one array of row objects: missing values are ``null``, dates ISO text,
lists stay lists. A table is for people: long texts are cut, lists joined.

Example:
    >>> import io, pandas as pd
    >>> out = io.StringIO()
    >>> write_frame(pd.DataFrame({"a": [1, None]}, dtype="Int64"), "json", out)
    >>> out.getvalue()
    '[{"a": 1}, {"a": null}]\\n'
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any, Literal, TextIO

import pandas as pd

__all__ = ["FORMATS", "Format", "choose_format", "write_frame"]

Format = Literal["table", "csv", "tsv", "json"]
FORMATS: tuple[Format, ...] = ("table", "csv", "tsv", "json")
_CELL = 60


def choose_format(asked: str | None, stream: TextIO) -> Format:
    """``asked``, or a table on a terminal and CSV when piped."""
    if asked is not None:
        return asked  # type: ignore[return-value]
    return "table" if stream.isatty() else "csv"


def _plain(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | dt.date | dt.datetime):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def _flat(value: Any, limit: int | None) -> Any:
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    if limit is not None and isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def write_frame(frame: pd.DataFrame, format: Format, stream: TextIO) -> None:
    """Write ``frame`` to ``stream`` as a table, CSV, TSV or JSON."""
    if format == "json":
        rows = [
            {str(k): _plain(v) for k, v in row.items()}
            for row in frame.astype(object).to_dict("records")
        ]
        stream.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return
    limit = _CELL if format == "table" else None
    flat = frame.copy()
    for column in flat.columns:
        if flat[column].dtype == object or str(flat[column].dtype).startswith("string"):
            flat[column] = flat[column].astype(object).map(lambda v, n=limit: _flat(v, n))
    if format == "table":
        stream.write(("(no rows)" if flat.empty else flat.to_string(index=False)) + "\n")
    else:
        flat.to_csv(stream, index=False, sep="," if format == "csv" else "\t")
