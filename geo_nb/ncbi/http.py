"""The async HTTP layer: one pooled client, NCBI's limits, retries, typed errors.

Every request goes through :meth:`HttpClient.request`, which

* waits for its slot: E-utilities at 3 requests/s (10/s with an API key),
  acc.cgi and the FTP tree at 40/s, shared by the whole process, plus at most
  ``max_concurrency`` acc.cgi/FTP requests in flight per client;
* retries 429, 5xx, timeouts and dropped connections with exponential
  backoff and full jitter, waiting at least what ``Retry-After`` asks;
* maps what is left to :mod:`geo_nb.errors`, with the API key redacted.

4xx answers other than 429 are returned to the caller, who knows what a 404
means for the thing it asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import functools
import hashlib
import logging
import random
import ssl
import time
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from enum import StrEnum
from urllib.parse import urlsplit

import httpx

from .._version import __version__
from ..errors import RateLimitedError, UnavailableError, redact
from ..settings import Settings
from .ratelimit import Limiter, shared_limiter

__all__ = ["MAX_RETRY_AFTER", "HttpClient", "Service", "retry_after", "retry_delay"]

log = logging.getLogger("geo_nb.http")

GEO_RATE = 40.0
MAX_RETRY_AFTER = 120.0
_BACKOFF_BASE = 0.5
_BACKOFF_CAP = 20.0


USER_AGENT = f"geo_nb/{__version__} (Python; +https://pypi.org/project/geo_nb)"


@functools.cache
def ssl_context() -> ssl.SSLContext:
    """One verified TLS context per process: loading the CA bundle takes ~50 ms."""
    return httpx.create_ssl_context()


class Service(StrEnum):
    """Which NCBI service a request goes to (each has its own limits)."""

    EUTILS = "eutils"
    ACC = "acc"
    FTP = "ftp"


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


class HttpClient:
    """An ``httpx.AsyncClient`` with NCBI's limits, retries and error mapping.

    Example:
        >>> # async with HttpClient(Settings()) as http:
        >>> #     response = await http.request(Service.FTP, "GET", url)
    """

    def __init__(
        self, settings: Settings, *, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.settings = settings
        self.counts: Counter[str] = Counter()
        self.retries = 0
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        key = settings.api_key_value or ""
        key_id = hashlib.sha256(key.encode()).hexdigest()[:16] if key else "anonymous"
        host = urlsplit(settings.eutils_url).netloc
        self._limiters: dict[Service, Limiter] = {
            Service.EUTILS: shared_limiter(("eutils", host, key_id), settings.eutils_rate),
            Service.ACC: shared_limiter(("geo",), GEO_RATE, burst=True),
            Service.FTP: shared_limiter(("geo",), GEO_RATE, burst=True),
        }
        self._slots: asyncio.Semaphore | None = None

    async def __aenter__(self) -> HttpClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close pooled connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    def _pool(self) -> httpx.AsyncClient:
        """The pooled client, opened on the first request.

        A fetch served entirely from the caches never opens one.
        """
        if self._client is None:
            settings = self.settings
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(settings.timeout, connect=min(settings.timeout, 20.0)),
                limits=httpx.Limits(
                    max_connections=settings.max_concurrency + 5,
                    max_keepalive_connections=settings.max_concurrency + 5,
                ),
                transport=self._transport,
                verify=ssl_context(),
                follow_redirects=True,
                headers={"User-Agent": USER_AGENT},
            )
        return self._client

    def eutils_params(self, params: Mapping[str, str]) -> dict[str, str]:
        """``params`` plus NCBI's identification: tool, email and api_key."""
        full = dict(params)
        full["tool"] = self.settings.tool
        if self.settings.email:
            full["email"] = self.settings.email
        if self.settings.api_key_value:
            full["api_key"] = self.settings.api_key_value
        return full

    def _redact(self, text: str) -> str:
        return redact(text, [self.settings.api_key_value])

    async def request(
        self,
        service: Service,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        data: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        accession: str | None = None,
    ) -> httpx.Response:
        """Send one request with limits and retries; return the read response.

        Raises :class:`RateLimitedError` or :class:`UnavailableError` when every
        attempt failed.
        """
        attempts = self.settings.max_attempts
        limiter = self._limiters[service]
        problem = ""
        status: int | None = None
        for attempt in range(1, attempts + 1):
            self.counts[service.value] += 1
            wait: float | None = None
            try:
                response = await self._send(service, limiter, method, url, params, data, headers)
            except httpx.TimeoutException:
                problem = f"no answer within {self.settings.timeout:g} s"
                status = None
            except httpx.TransportError as exc:
                problem = f"connection failed ({type(exc).__name__}: {exc})"
                status = None
            else:
                status = response.status_code
                if status != 429 and status < 500:
                    return response
                problem = f"HTTP {status} {response.reason_phrase}".strip()
                wait = retry_after(response)
                if wait is not None and wait > MAX_RETRY_AFTER:
                    break  # give up now, and hold nothing else back for that long
                if status == 429:
                    limiter.defer(wait if wait is not None else 1.0)
            if attempt == attempts:
                break
            delay = retry_delay(attempt, retry_after=wait, status=status)
            self.retries += 1
            log.info(
                "retrying %s in %.2f s (attempt %d/%d): %s",
                self._redact(url),
                delay,
                attempt + 1,
                attempts,
                self._redact(problem),
            )
            await asyncio.sleep(delay)
        raise self._failure(service, url, accession, status, problem, attempt)

    async def _send(
        self,
        service: Service,
        limiter: Limiter,
        method: str,
        url: str,
        params: Mapping[str, str] | None,
        data: Mapping[str, str] | None,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        client = self._pool()
        if service is Service.EUTILS:
            await limiter.acquire()
            return await client.request(method, url, params=params, data=data, headers=headers)
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.max_concurrency)
        # The rate slot is booked only once a concurrency slot is held: booked while
        # queueing, slots would be spent on requests that cannot be sent yet.
        async with self._slots:
            await limiter.acquire()
            return await client.request(method, url, params=params, data=data, headers=headers)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        """Hold one of the ``max_concurrency`` acc.cgi/FTP slots (for work done
        outside this client, such as extracting from an archive in a thread)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.max_concurrency)
        async with self._slots:
            yield

    def limiter(self, service: Service) -> Limiter:
        """The process-wide rate limiter this client uses for ``service``."""
        return self._limiters[service]

    @contextlib.asynccontextmanager
    async def stream(
        self, url: str, *, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """One streamed GET from the FTP tree, within its limits (no retries here:
        a downloader retries by resuming where the body stopped)."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.settings.max_concurrency)
        async with self._slots:
            await self._limiters[Service.FTP].acquire()
            self.counts[Service.FTP.value] += 1
            async with self._pool().stream("GET", url, headers=headers) as response:
                yield response

    def _failure(
        self,
        service: Service,
        url: str,
        accession: str | None,
        status: int | None,
        problem: str,
        attempts: int,
    ) -> RateLimitedError | UnavailableError:
        where = urlsplit(url).netloc or url
        subject = f"{accession}: " if accession else ""
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if status == 429:
            hint = (
                "Wait a minute and try again"
                + (
                    ""
                    if self.settings.api_key
                    else "; set NCBI_API_KEY to be allowed 10 requests/s"
                )
                + "."
            )
            return RateLimitedError(
                f"{subject}NCBI ({where}) kept answering 429 Too Many Requests ({tries}). {hint}",
                accession=accession,
                url=self._redact(url),
            )
        hint = (
            "NCBI may be down or overloaded: try again later"
            if status
            else "Check your network connection (or proxy), or raise GEO_NB_TIMEOUT"
        )
        return UnavailableError(
            f"{subject}{service.value} request to {where} failed: {self._redact(problem)} "
            f"({tries}). {hint}.",
            accession=accession,
            url=self._redact(url),
        )
