"""The async HTTP layer: one pooled client, NCBI's limits, retries, typed errors.

Every request goes through :meth:`HttpClient.request`, which

* waits for its slot: E-utilities at 3 requests/s (10/s with an API key),
  acc.cgi and the FTP tree at 40/s, ENA's portal API at 20/s (ENA asks for
  at most 50), each shared by the whole process, plus at most
  ``max_concurrency`` acc.cgi/FTP/ENA requests in flight per client;
* retries 429, 5xx, timeouts and dropped connections with exponential
  backoff and full jitter, waiting at least what ``Retry-After`` asks (the
  policy of :mod:`.retry`, shared with downloads and archive extraction);
* maps what is left to :mod:`geo_nb.errors`, with the API key redacted.

4xx answers other than 429 are returned to the caller, who knows what a 404
means for the thing it asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import ssl
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from enum import StrEnum
from typing import TypeVar
from urllib.parse import urlsplit

import httpx

from .._version import __version__
from ..settings import Settings
from .ratelimit import Limiter, shared_limiter
from .retry import MAX_RETRY_AFTER, GiveUp, Retrying, retry_after, retry_delay, retryable

__all__ = ["MAX_RETRY_AFTER", "HttpClient", "Service", "retry_after", "retry_delay"]

GEO_RATE = 40.0
ENA_RATE = 20.0
T = TypeVar("T")

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
    ENA = "ena"


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
            Service.ENA: shared_limiter(("ena",), ENA_RATE, burst=True),
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
        limiter = self._limiters[service]
        retrying = Retrying(
            self.settings,
            what=url,
            message=functools.partial(self._failure, service, url, accession),
            accession=accession,
            url=url,
            limiter=limiter,
        )
        while True:
            self.counts[service.value] += 1
            try:
                response = await self._send(service, limiter, method, url, params, data, headers)
            except httpx.TransportError as exc:
                delay = retrying.failed_transport(exc)
            else:
                if not retryable(response.status_code):
                    return response
                delay = retrying.failed_response(response)
            self.retries += 1
            await asyncio.sleep(delay)

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

    async def read_stream(
        self,
        url: str,
        consume: Callable[[httpx.Response], Awaitable[T]],
        *,
        accession: str | None = None,
    ) -> T:
        """One streamed GET from the FTP tree, handed to ``consume``, which reads as much
        of the body as it needs (leaving early closes the connection).

        Retried like :meth:`request`, through the one policy of :mod:`.retry`: 429,
        5xx, timeouts and a connection that drops before ``consume`` returns start the
        request over. Other statuses are ``consume``'s to interpret.
        """
        retrying = Retrying(
            self.settings,
            what=url,
            message=functools.partial(self._failure, Service.FTP, url, accession),
            accession=accession,
            url=url,
            limiter=self._limiters[Service.FTP],
        )
        while True:
            try:
                async with self.stream(url) as response:
                    if not retryable(response.status_code):
                        return await consume(response)
                    delay = retrying.failed_response(response)
            except httpx.TransportError as exc:
                delay = retrying.failed_transport(exc)
            self.retries += 1
            await asyncio.sleep(delay)

    def _failure(self, service: Service, url: str, accession: str | None, give_up: GiveUp) -> str:
        """The message of the error a request ends with when every attempt failed."""
        where = urlsplit(url).netloc or url
        subject = f"{accession}: " if accession else ""
        tries = f"{give_up.tries}{give_up.asked_note}"
        owner = "ENA" if service is Service.ENA else "NCBI"
        if give_up.status == 429:
            key_hint = (
                ""
                if self.settings.api_key or service is Service.ENA
                else "; set NCBI_API_KEY to be allowed 10 requests/s"
            )
            return (
                f"{subject}{owner} ({where}) kept answering 429 Too Many Requests ({tries}). "
                f"Wait a minute and try again{key_hint}."
            )
        hint = (
            f"{owner} may be down or overloaded: try again later"
            if give_up.status
            else "Check your network connection (or proxy), or raise GEO_NB_TIMEOUT"
        )
        return (
            f"{subject}{service.value} request to {where} failed: {give_up.problem} "
            f"({tries}). {hint}."
        )
