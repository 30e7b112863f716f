"""A client-side test aid: an httpx transport that counts the body bytes a client took.

The emulator's request log says what the server wrote into the socket; what a client
really read (and so what closing a response early saved) is only seen on the client's
side. Tests and ``bench/fallback.py`` wrap a transport with :class:`CountingTransport`.

Example:
    >>> import httpx
    >>> transport = CountingTransport()
    >>> # httpx.AsyncClient(transport=transport); ...; transport.received["/geo/..."]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import httpx

__all__ = ["CountingTransport"]


class _Counted(httpx.AsyncByteStream):
    def __init__(self, inner: httpx.AsyncByteStream, counts: Counter[str], path: str) -> None:
        self.inner, self.counts, self.path = inner, counts, path

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.counts[self.path] += len(chunk)
            yield chunk

    async def aclose(self) -> None:
        await self.inner.aclose()


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps ``inner`` (default: a plain ``AsyncHTTPTransport``); ``received`` maps each
    URL path to the response body bytes the client read from it, over all requests."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self.inner = inner or httpx.AsyncHTTPTransport()
        self.received: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        stream = response.stream
        assert isinstance(stream, httpx.AsyncByteStream)
        response.stream = _Counted(stream, self.received, request.url.path)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
