"""JSON laid out the way E-utilities writes it.

NCBI pretty-prints with 4-space indents like ``json.dumps(indent=4)``, except
that an empty list is written open, with its closing bracket on the next line
at the key's indent (``"idlist": [\\n        ]``), and the body ends with a
blank line. Strings are written as UTF-8, not ``\\u`` escapes.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["dumps"]

INDENT = "    "


def _write(value: Any, level: int, out: list[str]) -> None:
    pad = INDENT * level
    inner = INDENT * (level + 1)
    if isinstance(value, dict):
        if not value:
            out.append("{\n" + pad + "}")
            return
        out.append("{\n")
        for i, (key, item) in enumerate(value.items()):
            out.append(f"{inner}{json.dumps(str(key), ensure_ascii=False)}: ")
            _write(item, level + 1, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(pad + "}")
    elif isinstance(value, list | tuple):
        out.append("[\n")
        for i, item in enumerate(value):
            out.append(inner)
            _write(item, level + 1, out)
            out.append(",\n" if i < len(value) - 1 else "\n")
        out.append(pad + "]")
    else:
        out.append(json.dumps(value, ensure_ascii=False))


def dumps(value: Any) -> str:
    """``value`` as NCBI-style JSON text, ending with ``"}\\n\\n"`` like recorded bodies."""
    out: list[str] = []
    _write(value, 0, out)
    return "".join(out) + "\n\n"
