"""Files of the emulated GEO FTP tree: stored bytes, files on disk, and generated files.

Virtual files stand in for files too big to ship (a 200 MB ``_RAW.tar``). Their
content is a deterministic stream: block ``i`` (64 KiB) is
``shake_256(f"{path}\\n{i}".encode()).digest(65536)``, cut at the file size.
Any range of a virtual file is therefore a slice of the same stream, whoever
asks and in whatever order.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["FtpFile", "Mtime", "normalize_path", "parse_mtime", "virtual_bytes"]

BLOCK = 64 * 1024
READ_CHUNK = 256 * 1024
Mtime = float | datetime | str | None


def normalize_path(path: str) -> str:
    """A path below ``/geo/``, without leading or trailing slashes (``""`` is the root)."""
    path = path.strip().strip("/")
    if path == "geo":
        return ""
    return path.removeprefix("geo/")


def parse_mtime(value: Mtime) -> float:
    """Epoch seconds from a float, an aware/naive (UTC) datetime or ``YYYY-MM-DD HH:MM`` (UTC)."""
    if value is None:
        return float(int(time.time()))
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        value = datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def virtual_bytes(path: str, start: int, stop: int) -> Iterator[bytes]:
    """Bytes ``[start, stop)`` of the generated content of the virtual file at ``path``."""
    position = start
    while position < stop:
        index, offset = divmod(position, BLOCK)
        block = hashlib.shake_256(f"{path}\n{index}".encode()).digest(BLOCK)
        piece = block[offset : offset + (stop - position)]
        yield piece
        position += len(piece)


@dataclass(frozen=True)
class FtpFile:
    """One file of the tree: exactly one of ``data``/``disk``/``parts`` is set, unless
    ``virtual``. ``parts`` are byte strings served one after the other (big generated
    files that share a part, see :func:`geo_nb.testing.seriesfiles.large_matrix_parts`)."""

    path: str
    size: int
    mtime: float
    data: bytes | None = None
    disk: Path | None = None
    virtual: bool = False
    parts: tuple[bytes, ...] | None = None

    def read(self, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        """Yield the bytes ``[start, stop)`` in chunks."""
        stop = self.size if stop is None else min(stop, self.size)
        if start >= stop:
            return
        if self.virtual:
            yield from virtual_bytes(self.path, start, stop)
        elif self.data is not None:
            yield self.data[start:stop]
        elif self.parts is not None:
            offset = 0
            for part in self.parts:
                low, high = max(start - offset, 0), min(stop - offset, len(part))
                if low < high:
                    yield part[low:high]
                offset += len(part)
        elif self.disk is not None:
            with self.disk.open("rb") as handle:
                handle.seek(start)
                remaining = stop - start
                while remaining > 0:
                    chunk = handle.read(min(READ_CHUNK, remaining))
                    if not chunk:
                        break
                    remaining -= len(chunk)
                    yield chunk
