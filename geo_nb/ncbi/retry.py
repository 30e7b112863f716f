"""One retry policy for every request geo_nb sends to NCBI.

Metadata requests (:class:`~geo_nb.ncbi.http.HttpClient`), file downloads and
archive extraction (a worker thread) all retry the same way, through
:class:`Retrying`:

* 429, 5xx, timeouts and dropped connections are retried (:func:`retryable`);
  other answers are the caller's to interpret;
* each wait is exponential backoff with full jitter (:func:`retry_delay`), at
  least what ``Retry-After`` asks (:func:`retry_after`) and at least 1 s after a
  429 that names no wait;
* a 429 holds back every request sharing the rate limiter, not only its own;
* a ``Retry-After`` over :data:`MAX_RETRY_AFTER` gives up at once, with a typed
  error saying so, instead of stalling for it;
* after ``max_attempts`` attempts, the last failure becomes a
  :class:`~geo_nb.errors.RateLimitedError` (a 429) or an
  :class:`~geo_nb.errors.UnavailableError` (anything else).

The policy never sleeps: :meth:`Retrying.failed` returns the seconds to wait and
the caller waits them its own way (``await asyncio.sleep`` or ``time.sleep``).

Example:
    >>> from geo_nb.settings import Settings
    >>> retrying = Retrying(Settings(max_attempts=2), what="GSE1")
    >>> retrying.failed("HTTP 503 Service Unavailable", status=503) <= 0.5
    True
    >>> retrying.failed("HTTP 503 Service Unavailable", status=503)
    Traceback (most recent call last):
    ...
    geo_nb.errors.UnavailableError: GSE1 failed after 2 attempts (HTTP 503 Service Unavailable).
"""

from __future__ import annotations

import email.utils
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from ..errors import RateLimitedError, UnavailableError, redact
from ..settings import Settings
from .ratelimit import Limiter

__all__ = [
    "MAX_RETRY_AFTER",
    "GiveUp",
    "Retrying",
    "retry_after",
    "retry_delay",
    "retryable",
]

log = logging.getLogger("geo_nb.retry")

MAX_RETRY_AFTER = 120.0
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 20.0


def retryable(status: int) -> bool:
    """Whether an HTTP status is worth another attempt: 429 and 5xx.

    Example:
        >>> [retryable(s) for s in (200, 404, 429, 503)]
        [False, False, True, True]
    """
    return status == 429 or status >= 500


def retry_delay(
    attempt: int, *, retry_after: float | None = None, status: int | None = None
) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential backoff with full
    jitter, at least what ``Retry-After`` asked, and at least 1 s after a 429."""
    delay = random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2 ** (attempt - 1)))
    if retry_after is not None:
        return max(delay, retry_after)
    return max(delay, 1.0) if status == 429 else delay


def retry_after(response: httpx.Response) -> float | None:
    """The response's ``Retry-After`` in seconds (number or HTTP date), if any."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


@dataclass(frozen=True)
class GiveUp:
    """Why :class:`Retrying` stopped: what a caller needs to word its error."""

    attempts: int
    problem: str
    status: int | None = None
    asked: float | None = None
    """The ``Retry-After`` that was too long to wait for, if that was the reason."""

    @property
    def tries(self) -> str:
        """``"1 attempt"``, ``"3 attempts"``."""
        return f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"

    @property
    def asked_note(self) -> str:
        """``"; the server asked to wait 3600 s"``, or ``""``."""
        return f"; the server asked to wait {self.asked:.0f} s" if self.asked is not None else ""


def _default_message(what: str, give_up: GiveUp) -> str:
    return f"{what} failed after {give_up.tries} ({give_up.problem}{give_up.asked_note})."


class Retrying:
    """The attempts of one request (or one download, or one archive stream).

    Call :meth:`failed` (or :meth:`failed_response`, :meth:`failed_transport`)
    after each attempt that failed in a retryable way: it returns the seconds to
    wait before the next attempt, or raises the final typed error. ``what`` names
    the request in log lines; ``message`` words the final error (by default
    ``"<what> failed after <n> attempts (<problem>)."``); ``limiter``, when
    given, is held back after a 429 so that no other request sharing it goes out
    before the server's wait is over. The API key is redacted from everything.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        what: str,
        message: Callable[[GiveUp], str] | None = None,
        accession: str | None = None,
        url: str | None = None,
        limiter: Limiter | None = None,
    ) -> None:
        self.settings = settings
        self.max_attempts = settings.max_attempts
        self.attempt = 1
        """The attempt under way (1 for the first)."""
        self.what = what
        self.accession = accession
        self.url = url
        self.limiter = limiter
        self._message = message

    def _redact(self, text: str) -> str:
        return redact(text, [self.settings.api_key_value])

    def failed(
        self, problem: str, *, status: int | None = None, retry_after: float | None = None
    ) -> float:
        """Record that the attempt under way failed; return the seconds to wait.

        ``problem`` says what went wrong ("HTTP 503 Service Unavailable"), ``status``
        is the HTTP status if there was one, ``retry_after`` the seconds the server
        asked to wait. Raises :class:`RateLimitedError` (a 429) or
        :class:`UnavailableError` when this was the last attempt, or when the
        server asked to wait longer than :data:`MAX_RETRY_AFTER`.
        """
        too_long = retry_after is not None and retry_after > MAX_RETRY_AFTER
        if status == 429 and self.limiter is not None and not too_long:
            # Everyone sharing the limiter waits, not only this request: NCBI counts
            # the whole process (and would answer the next request 429 too).
            self.limiter.defer(retry_after if retry_after is not None else 1.0)
        if too_long or self.attempt >= self.max_attempts:
            raise self._give_up(
                GiveUp(self.attempt, problem, status, retry_after if too_long else None)
            ) from None
        delay = retry_delay(self.attempt, retry_after=retry_after, status=status)
        self.attempt += 1
        log.info(
            "retrying %s in %.2f s (attempt %d/%d): %s",
            self._redact(self.what),
            delay,
            self.attempt,
            self.max_attempts,
            self._redact(problem),
        )
        return delay

    def failed_response(self, response: httpx.Response) -> float:
        """:meth:`failed` for a retryable answer (see :func:`retryable`)."""
        status = response.status_code
        return self.failed(
            f"HTTP {status} {response.reason_phrase}".strip(),
            status=status,
            retry_after=retry_after(response),
        )

    def failed_transport(self, exc: httpx.TransportError) -> float:
        """:meth:`failed` for a timeout or a connection that failed or dropped."""
        if isinstance(exc, httpx.TimeoutException):
            return self.failed(f"no answer within {self.settings.timeout:g} s")
        return self.failed(f"connection failed ({type(exc).__name__}: {exc})")

    def _give_up(self, give_up: GiveUp) -> RateLimitedError | UnavailableError:
        log.info(
            "giving up on %s after %s: %s%s",
            self._redact(self.what),
            give_up.tries,
            self._redact(give_up.problem),
            give_up.asked_note,
        )
        text = self._message(give_up) if self._message else _default_message(self.what, give_up)
        error = RateLimitedError if give_up.status == 429 else UnavailableError
        return error(
            self._redact(text),
            accession=self.accession,
            url=self._redact(self.url) if self.url else None,
        )
