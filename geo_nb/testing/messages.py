"""Request and response values passed between the socket layer and the services.

The services (E-utilities, acc.cgi, FTP) never touch sockets: they turn a
:class:`Request` into a :class:`Response`, which keeps them easy to test and
lets the server apply latency, bandwidth and faults in one place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

__all__ = ["Request", "Response"]


@dataclass(frozen=True)
class Request:
    """One parsed HTTP request.

    ``query`` holds the query-string parameters plus, for form POSTs, the body
    parameters, with names as sent. ``path`` is percent-decoded; ``target`` is
    the undecoded ``PATH?QUERY`` string that fault rules are matched against.
    """

    method: str
    path: str
    target: str
    query: dict[str, list[str]]
    host: str
    client_ip: str
    headers: dict[str, str]

    def param(self, name: str, default: str = "") -> str:
        """First value of a parameter, matching its name case-insensitively (as NCBI does)."""
        values = self.params(name)
        return values[0] if values else default

    def params(self, name: str) -> list[str]:
        """Every value of a parameter, matching its name case-insensitively."""
        wanted = name.lower()
        return [v for key, values in self.query.items() if key.lower() == wanted for v in values]

    def header(self, name: str, default: str = "") -> str:
        """A request header, matched case-insensitively."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    @property
    def client_key(self) -> str:
        """Who the rate limiter counts: the ``api_key`` parameter if sent, else the client IP."""
        return self.param("api_key") or self.client_ip


@dataclass
class Response:
    """An HTTP response; the body is either ``body`` or a lazily produced ``stream``.

    ``stream`` is for large generated bodies (virtual FTP files): it is only
    called for GET, and must yield exactly ``length`` bytes.
    """

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    stream: Callable[[], Iterator[bytes]] | None = None
    length: int | None = None

    @property
    def content_length(self) -> int:
        """The Content-Length to announce."""
        if self.stream is not None and self.length is not None:
            return self.length
        return len(self.body)

    def chunks(self) -> Iterator[bytes]:
        """The body as an iterator of byte strings."""
        if self.stream is not None:
            yield from self.stream()
        elif self.body:
            yield self.body

    @classmethod
    def text(
        cls,
        text: str,
        *,
        status: int = 200,
        content_type: str = "text/plain; charset=UTF-8",
        headers: list[tuple[str, str]] | None = None,
    ) -> Response:
        """A response whose body is ``text`` encoded as UTF-8 (lone surrogates kept as bytes)."""
        body = text.encode("utf-8", errors="surrogateescape")
        return cls(status, [("Content-Type", content_type), *(headers or [])], body)

    @classmethod
    def html(cls, text: str, *, status: int = 200, charset: str = "UTF-8") -> Response:
        """An HTML page."""
        return cls.text(text, status=status, content_type=f"text/html; charset={charset}")
