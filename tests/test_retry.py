"""The one retry policy (geo_nb.ncbi.retry), on its own: attempts, waits, give-ups."""

from __future__ import annotations

import email.utils
import logging
import random
import time
from typing import Any

import httpx
import pytest

from geo_nb.errors import RateLimitedError, UnavailableError
from geo_nb.ncbi.retry import (
    MAX_RETRY_AFTER,
    GiveUp,
    Retrying,
    retry_after,
    retry_delay,
    retryable,
)
from geo_nb.settings import Settings

KEY = "0123456789abcdef0123456789abcdef0123"


class FakeLimiter:
    def __init__(self) -> None:
        self.deferred: list[float] = []

    def defer(self, seconds: float) -> None:
        self.deferred.append(seconds)


def answer(status: int, retry_after: str | None = None) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(status, headers=headers)


def policy(attempts: int = 3, **kwargs: Any) -> Retrying:
    return Retrying(Settings(max_attempts=attempts, timeout=0.5), what="GSE1", **kwargs)


def test_retryable_statuses() -> None:
    assert [s for s in (200, 206, 304, 400, 403, 404, 416, 429, 500, 502, 503) if retryable(s)] == [
        429,
        500,
        502,
        503,
    ]


def test_retry_delay_is_full_jitter_with_a_floor_and_a_cap() -> None:
    random.seed(1)
    for attempt, ceiling in ((1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (7, 20.0), (12, 20.0)):
        delays = [retry_delay(attempt) for _ in range(300)]
        assert min(delays) >= 0 and max(delays) <= ceiling
        # Full jitter: anywhere from 0 to the ceiling, not a fixed step.
        assert min(delays) < ceiling * 0.1 and max(delays) > ceiling * 0.9
    assert all(retry_delay(1, status=429) >= 1.0 for _ in range(50))
    assert all(retry_delay(1, status=503) <= 0.5 for _ in range(50))
    assert all(retry_delay(1, retry_after=3.0, status=503) >= 3.0 for _ in range(50))
    # Retry-After replaces the 1 s floor of a 429 (it may ask for less).
    assert any(retry_delay(1, retry_after=0.0, status=429) < 1.0 for _ in range(50))


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert retry_after(answer(429, "7")) == 7.0
    assert retry_after(answer(429, "2.5")) == 2.5
    assert retry_after(answer(429, "-3")) == 0.0
    assert retry_after(answer(429)) is None
    assert retry_after(answer(429, "soon")) is None
    later = retry_after(answer(503, email.utils.formatdate(time.time() + 30, usegmt=True)))
    assert later is not None and 28 <= later <= 30
    assert retry_after(answer(503, "Wed, 21 Oct 2015 07:28:00 GMT")) == 0.0


def test_attempts_are_counted_and_the_last_failure_raises() -> None:
    retrying = policy(3)
    assert retrying.attempt == 1
    assert 0 <= retrying.failed("HTTP 503 Service Unavailable", status=503) <= 0.5
    assert retrying.attempt == 2
    assert 0 <= retrying.failed("HTTP 502 Bad Gateway", status=502) <= 1.0
    assert retrying.attempt == 3
    with pytest.raises(UnavailableError) as error:
        retrying.failed("HTTP 503 Service Unavailable", status=503)
    assert str(error.value) == "GSE1 failed after 3 attempts (HTTP 503 Service Unavailable)."
    assert error.value.__suppress_context__


def test_one_attempt_allowed_means_no_retry() -> None:
    with pytest.raises(UnavailableError, match=r"after 1 attempt \("):
        policy(1).failed("connection failed")


@pytest.mark.parametrize(
    ("first", "last", "error"),
    [(503, 429, RateLimitedError), (429, 503, UnavailableError), (429, None, UnavailableError)],
)
def test_the_last_failure_decides_the_error(
    first: int, last: int | None, error: type[Exception]
) -> None:
    retrying = policy(2)
    retrying.failed(f"HTTP {first}", status=first)
    with pytest.raises(error):
        retrying.failed("the last one", status=last)


def test_a_429_holds_back_everyone_sharing_the_limiter() -> None:
    limiter = FakeLimiter()
    retrying = policy(3, limiter=limiter)
    assert retrying.failed_response(answer(429, "2")) >= 2.0
    assert retrying.failed_response(answer(429)) >= 1.0
    assert limiter.deferred == [2.0, 1.0]
    # A 503 asks only this request to wait; the last 429 still holds the others back.
    with pytest.raises(RateLimitedError):
        retrying.failed_response(answer(429, "3"))
    assert limiter.deferred == [2.0, 1.0, 3.0]
    policy(3, limiter=limiter).failed_response(answer(503, "2"))
    assert limiter.deferred == [2.0, 1.0, 3.0]


@pytest.mark.parametrize("status", [429, 503])
def test_a_retry_after_too_long_to_wait_for_gives_up_at_once(status: int) -> None:
    limiter = FakeLimiter()
    retrying = policy(5, limiter=limiter)
    started = time.monotonic()
    with pytest.raises(RateLimitedError if status == 429 else UnavailableError) as error:
        retrying.failed_response(answer(status, str(int(MAX_RETRY_AFTER) + 1)))
    assert time.monotonic() - started < 5.0  # not the 121 s asked for
    assert "after 1 attempt (" in str(error.value)
    assert "the server asked to wait 121 s" in str(error.value)
    # ...and holds nobody else back for that long either.
    assert limiter.deferred == []
    # Exactly the cap is still waited for.
    assert policy(5).failed_response(answer(status, str(int(MAX_RETRY_AFTER)))) == MAX_RETRY_AFTER


def test_transport_failures_are_described() -> None:
    retrying = policy(3)
    retrying.failed_transport(httpx.ReadTimeout("timed out"))
    retrying.failed_transport(httpx.RemoteProtocolError("peer closed connection"))
    with pytest.raises(UnavailableError) as error:
        retrying.failed_transport(httpx.ConnectTimeout("timed out"))
    assert "(no answer within 0.5 s)" in str(error.value)
    with pytest.raises(UnavailableError, match=r"connection failed \(ConnectError: refused\)"):
        policy(1).failed_transport(httpx.ConnectError("refused"))


def test_the_caller_words_the_final_error() -> None:
    seen: list[GiveUp] = []

    def message(give_up: GiveUp) -> str:
        seen.append(give_up)
        return f"x.bw: download failed after {give_up.tries}{give_up.asked_note}"

    retrying = policy(3, message=message, accession="GSM1", url="https://h/x.bw")
    retrying.failed("HTTP 503", status=503)
    with pytest.raises(UnavailableError) as error:
        retrying.failed_response(answer(503, "600"))
    assert seen == [GiveUp(2, "HTTP 503 Service Unavailable", 503, 600.0)]
    assert (
        str(error.value) == "x.bw: download failed after 2 attempts; the server asked to wait 600 s"
    )
    assert error.value.accession == "GSM1" and error.value.url == "https://h/x.bw"


def test_log_lines_and_errors_never_show_the_api_key(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="geo_nb")
    url = f"https://eutils/esearch.fcgi?db=gds&api_key={KEY}"
    retrying = Retrying(Settings(max_attempts=2, api_key=KEY), what=url, url=url)
    retrying.failed(f"connection failed (ConnectError: {KEY})")
    with pytest.raises(UnavailableError) as error:
        retrying.failed(f"connection failed (ConnectError: {KEY})")
    lines = [r.getMessage() for r in caplog.records if r.name == "geo_nb.retry"]
    assert len(lines) == 2
    assert lines[0].startswith("retrying https://eutils/esearch.fcgi?db=gds&api_key=*** in ")
    assert "(attempt 2/2)" in lines[0]
    assert lines[1].startswith("giving up on https://eutils/") and "after 2 attempts" in lines[1]
    for text in [*lines, str(error.value), str(error.value.url)]:
        assert KEY not in text
