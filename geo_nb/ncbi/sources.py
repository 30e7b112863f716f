"""Which metadata source to ask, and when to stop asking acc.cgi.

geo_nb reads records from acc.cgi. When NCBI answers it with a bot-challenge page,
a 403, or 5xx/timeouts after every retry, the same metadata is read from the GEO
FTP tree (series) or from E-utilities summaries (samples and platforms fetched
alone). ``metadata_source`` (``GEO_NB_METADATA_SOURCE``) picks the order:

* ``auto`` (default): acc.cgi first, the FTP tree when acc.cgi fails;
* ``acc``: acc.cgi only (its errors become error rows, as before);
* ``ftp``: the FTP tree first, acc.cgi when that fails (networks that are always
  challenged).

A batch of 500 accessions must not pay 500 failed acc.cgi requests first: the
:class:`AccBreaker` of a batch lets at most ``threshold`` (3) acc.cgi requests out
until one succeeds; after ``threshold`` challenges in a row it opens, and the rest
of the batch goes to the FTP tree without asking acc.cgi (with a log line and a
progress note). What the last batches learnt is remembered for a few minutes
(:func:`remember`; ``check_connection()`` feeds it too), so the next batch starts
open (acc.cgi known to be blocked) or closed (acc.cgi known to answer).

Example:
    >>> from geo_nb.errors import BlockedError, NotFoundError
    >>> switch_worthy(BlockedError("a challenge page")), switch_worthy(NotFoundError("no"))
    (True, False)
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from typing import Literal

from ..errors import BlockedError, NotFoundError, PrivateError, UnavailableError, WithdrawnError

__all__ = [
    "BLOCKED_MEMORY_SECONDS",
    "OK_MEMORY_SECONDS",
    "AccBreaker",
    "AccTicket",
    "Health",
    "forget",
    "recalled",
    "remember",
    "switch_worthy",
]

log = logging.getLogger("geo_nb")

Health = Literal["ok", "blocked"]
State = Literal["probing", "closed", "open"]
#: How long a batch's finding is trusted by the next batch.
OK_MEMORY_SECONDS = 600.0
BLOCKED_MEMORY_SECONDS = 120.0

_memory: dict[str, tuple[Health, float]] = {}
_memory_lock = threading.Lock()


def switch_worthy(exc: BaseException) -> bool:
    """Whether acc.cgi's failure means "ask another source": a challenge page or a 403
    (:class:`BlockedError`), or 5xx/timeouts after every retry (:class:`UnavailableError`)."""
    return isinstance(exc, BlockedError | UnavailableError)


def remember(acc_url: str, health: Health) -> None:
    """Record what acc.cgi at ``acc_url`` just did, for the batches that follow."""
    with _memory_lock:
        _memory[acc_url] = (health, time.monotonic())


def recalled(acc_url: str) -> Health | None:
    """What acc.cgi at ``acc_url`` did recently, if it is recent enough to trust."""
    with _memory_lock:
        found = _memory.get(acc_url)
    if found is None:
        return None
    health, when = found
    ttl = OK_MEMORY_SECONDS if health == "ok" else BLOCKED_MEMORY_SECONDS
    return health if time.monotonic() - when < ttl else None


def forget() -> None:
    """Forget what was learnt about every acc.cgi (tests; after the network changed)."""
    with _memory_lock:
        _memory.clear()


class AccBreaker:
    """One batch's circuit breaker for acc.cgi.

    Call :meth:`acquire` before an acc.cgi request (False: do not ask it), then
    exactly one of :meth:`succeeded`, :meth:`failed` (a switch-worthy failure) or
    :meth:`neutral` (an answer that says nothing about blocking). While probing,
    failures in a row plus requests out never exceed ``threshold``; the first success
    closes the breaker (then up to ``in_flight`` requests, the client's concurrency,
    are out at once, so that tickets are not handed to requests still queueing for a
    connection); a failure while closed goes back to probing;
    ``threshold`` failures in a row open it. ``on_open`` is called once, with a short
    note for a progress bar, when it opens (a warning is logged too).
    """

    def __init__(
        self,
        acc_url: str,
        *,
        threshold: int = 3,
        in_flight: int = 10,
        on_open: Callable[[str], object] | None = None,
    ) -> None:
        self.acc_url = acc_url
        self.threshold = threshold
        self.in_flight = in_flight
        self.on_open = on_open
        self.failed_requests = 0
        """acc.cgi requests of this batch that failed in a switch-worthy way."""
        self.in_a_row = 0
        self.out = 0
        known = recalled(acc_url)
        self.state: State = (
            "closed" if known == "ok" else "open" if known == "blocked" else "probing"
        )
        self._changed = asyncio.Condition()
        if self.state == "open":
            log.info("acc.cgi (%s) was blocked moments ago: asking the FTP tree", acc_url)

    @property
    def is_open(self) -> bool:
        """True once acc.cgi is no longer asked in this batch."""
        return self.state == "open"

    async def acquire(self) -> bool:
        """Wait for the right to ask acc.cgi; False when the breaker is open."""
        async with self._changed:
            while True:
                if self.state == "open":
                    return False
                if self.state == "closed" and self.out < self.in_flight:
                    self.out += 1
                    return True
                if self.state == "probing" and self.out + self.in_a_row < self.threshold:
                    self.out += 1
                    return True
                await self._changed.wait()

    async def succeeded(self) -> None:
        """acc.cgi answered (a record, or a proper not-found page)."""
        async with self._changed:
            self.out -= 1
            self.in_a_row = 0
            if self.state == "probing":
                self.state = "closed"
            remember(self.acc_url, "ok")
            self._changed.notify_all()

    async def neutral(self) -> None:
        """acc.cgi's answer says nothing either way (an unreadable page, a 429)."""
        async with self._changed:
            self.out -= 1
            self._changed.notify_all()

    async def failed(self, exc: BaseException) -> None:
        """acc.cgi failed in a switch-worthy way (see :func:`switch_worthy`)."""
        async with self._changed:
            self.out -= 1
            self.in_a_row += 1
            self.failed_requests += 1
            if self.state == "closed":
                # acc.cgi was answering: hold back new requests until it does again (those
                # already out cannot be recalled).
                self.state = "probing"
            if self.state != "open" and self.in_a_row >= self.threshold:
                self.state = "open"
                remember(self.acc_url, "blocked")
                what = "challenged" if isinstance(exc, BlockedError) else "failed"
                log.warning(
                    "acc.cgi %s %d requests in a row: the rest of this batch is read from "
                    "GEO's FTP tree and E-utilities (%s)",
                    what,
                    self.in_a_row,
                    self.acc_url,
                )
                if self.on_open is not None:
                    self.on_open(
                        f"acc.cgi refused {self.in_a_row} requests in a row: reading GEO's FTP tree"
                    )
            self._changed.notify_all()


class AccTicket:
    """One accession's use of a batch's :class:`AccBreaker`.

    The acc.cgi fetcher calls :meth:`take` just before it sends a request (answers
    from the caches need none); whoever called the fetcher calls :meth:`settle`
    with its outcome. :meth:`take` raises :class:`BlockedError` when the breaker is
    open: acc.cgi is not asked.
    """

    def __init__(self, breaker: AccBreaker | None, accession: str) -> None:
        self.breaker = breaker
        self.accession = accession
        self.taken = False

    async def take(self) -> None:
        """Wait for the right to ask acc.cgi; raise :class:`BlockedError` if it is gone."""
        if self.breaker is None:
            return
        if not await self.breaker.acquire():
            raise BlockedError(
                f"{self.accession}: acc.cgi was not asked: it refused "
                f"{self.breaker.threshold} requests in a row moments ago.",
                accession=self.accession,
            )
        self.taken = True

    async def settle(self, exc: BaseException | None) -> None:
        """Tell the breaker how the request went (nothing if none was sent)."""
        breaker = self.breaker
        if breaker is None or not self.taken:
            return
        self.taken = False
        if exc is None or isinstance(exc, NotFoundError | PrivateError | WithdrawnError):
            await breaker.succeeded()
        elif switch_worthy(exc):
            await breaker.failed(exc)
        else:
            await breaker.neutral()
