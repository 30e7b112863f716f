"""The record of every request the emulator received, for assertions in tests."""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["RequestLog", "RequestRecord", "max_in_window"]


@dataclass(frozen=True)
class RequestRecord:
    """One request and what the emulator did with it.

    ``time``/``end_time`` are ``time.monotonic()`` at arrival and just before the
    last byte was written (the record is logged before the client can see the
    end of the response). ``query`` holds query-string and form-body parameters.
    ``status`` is 0 when no response was sent (``drop``/``hang`` faults, or the
    client went away). ``service`` is ``"eutils"``, ``"acc"``, ``"ftp"`` or
    ``"other"``; ``client_key`` the ``api_key`` parameter if sent, else the
    client IP; ``fault`` the action of the fault rule applied, if any;
    ``bytes_sent`` the body bytes actually written.
    """

    time: float
    end_time: float
    method: str
    path: str
    query: dict[str, list[str]]
    status: int
    service: str
    client_key: str
    fault: str | None
    bytes_sent: int
    headers: dict[str, str]


class RequestLog:
    """A thread-safe, append-only list of :class:`RequestRecord`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []

    def append(self, record: RequestRecord) -> None:
        """Add one record."""
        with self._lock:
            self._records.append(record)

    def replace(self, old: RequestRecord, new: RequestRecord) -> None:
        """Swap a record for an updated one (same request, final outcome)."""
        with self._lock:
            for index in range(len(self._records) - 1, -1, -1):
                if self._records[index] is old:
                    self._records[index] = new
                    return
            self._records.append(new)

    def snapshot(self) -> list[RequestRecord]:
        """A copy of the records so far, oldest first."""
        with self._lock:
            return list(self._records)

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The largest number of ``times`` that fall in any half-open ``window``-second span.

    This is how NCBI's "N requests per second" is measured: over any window,
    not per calendar second.

    Example:
        >>> max_in_window([0.0, 0.34, 0.68, 1.02])
        3
    """
    ordered = sorted(times)
    best = start = 0
    for end, stamp in enumerate(ordered):
        while stamp - ordered[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best
