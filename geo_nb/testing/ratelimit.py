"""NCBI's E-utilities rate limit: 3 requests per second per client, 10 with an API key.

Requests are counted per client key in a sliding one-second window that
includes the current request and earlier rejected ones, so a client that keeps
hammering stays blocked, as on the real service.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass

__all__ = ["RateDecision", "RateLimiter"]

WINDOW = 1.0
LIMIT_WITH_KEY = 10
LIMIT_WITHOUT_KEY = 3


@dataclass(frozen=True)
class RateDecision:
    """The outcome for one request: allowed or not, with the numbers NCBI reports."""

    allowed: bool
    count: int
    limit: int

    @property
    def remaining(self) -> int:
        """Value of the ``X-RateLimit-Remaining`` header."""
        return max(0, self.limit - self.count)


class RateLimiter:
    """Thread-safe sliding-window counter keyed by API key or client IP."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits: dict[str, deque[float]] = {}
        self.violations = 0

    def check(self, key: str, *, has_api_key: bool, now: float | None = None) -> RateDecision:
        """Count one request for ``key`` and say whether it is within the limit."""
        now = time.monotonic() if now is None else now
        limit = LIMIT_WITH_KEY if has_api_key else LIMIT_WITHOUT_KEY
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and hits[0] <= now - WINDOW:
                hits.popleft()
            hits.append(now)
            decision = RateDecision(len(hits) <= limit, len(hits), limit)
            if not decision.allowed:
                self.violations += 1
            return decision

    def reset(self) -> None:
        """Forget every client's history."""
        with self._lock:
            self._hits.clear()
