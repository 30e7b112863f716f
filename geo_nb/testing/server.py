"""The HTTP layer: a quiet keep-alive ThreadingHTTPServer that routes to the services.

Requests are routed by path (``/entrez/eutils/``, ``/geo/query/acc.cgi``,
``/geo/download/``, ``/geo/...``, ``/gene/...``, ENA's ``/ena/portal/api/...`` and its
file server's ``/vol1/...``); absolute-URI proxy requests (``GET http://ftp.ncbi.nlm.nih.gov/geo/...``)
are routed by their path too, and the real NCBI host names restrict each host to
its own service. The handler applies, in order: fault rules, latency, the
E-utilities rate limiter, the service, and bandwidth pacing while writing.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import pages
from .acc import handle_acc
from .downloads import handle_download, handle_gene
from .ena import handle_ena, handle_ena_files
from .faults import FaultRule
from .ftp import handle_ftp
from .messages import Request, Response
from .requestlog import RequestLog, RequestRecord

if TYPE_CHECKING:
    from .emulator import NCBIEmulator

__all__ = ["EmulatorServer", "classify"]

CHUNK = 16 * 1024
_HOST_SERVICE = {
    "eutils.ncbi.nlm.nih.gov": ("eutils",),
    "www.ncbi.nlm.nih.gov": ("acc", "download"),
    "ftp.ncbi.nlm.nih.gov": ("ftp", "gene"),
    "www.ebi.ac.uk": ("ena",),
    "ftp.sra.ebi.ac.uk": ("ena_files",),
}


def classify(host: str, path: str) -> str:
    """The service a request goes to: ``eutils``, ``acc``, ``download``, ``ftp``, ``gene``,
    ``ena``, ``ena_files``
    or ``other``."""
    if path.startswith("/entrez/eutils/"):
        service = "eutils"
    elif path.startswith("/ena/portal/api/"):
        service = "ena"
    elif path.startswith("/vol1/"):
        service = "ena_files"
    elif path == "/geo/query/acc.cgi":
        service = "acc"
    elif path.rstrip("/") == "/geo/download":
        service = "download"
    elif path.startswith("/gene/"):
        service = "gene"
    elif path == "/geo" or path.startswith("/geo/"):
        service = "ftp"
    else:
        service = "other"
    only = _HOST_SERVICE.get(host)
    return service if only is None or service in only else "other"


class EmulatorServer(ThreadingHTTPServer):
    """ThreadingHTTPServer with daemon threads that knows its emulator and open connections."""

    daemon_threads = True
    # The default backlog of 5 drops SYNs when 10+ clients connect at once, and each
    # dropped SYN costs the client a 1 s retransmission: a benchmark artifact.
    request_queue_size = 128
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], emulator: NCBIEmulator) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)
        self.emulator = emulator
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def track(self, connection: socket.socket, open_: bool) -> None:
        """Remember or forget an open client connection."""
        with self._connections_lock:
            if open_:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Shut down every open client connection (keep-alive or hanging)."""
        self.stopping.set()
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that went away; report real errors."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    timeout = 120
    server: EmulatorServer

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.track(self.connection, True)

    def finish(self) -> None:
        self.server.track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the access log."""

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    # ---- request parsing ---------------------------------------------------------------

    def _parse(self) -> tuple[Request, str]:
        """The request, and the ``scheme://host`` it was addressed to (for redirects)."""
        target = self.path
        host_header = self.headers.get("Host", "")
        if target.startswith(("http://", "https://")):
            parts = urlsplit(target)
            origin = f"{parts.scheme}://{parts.netloc}"
            host, raw_path, raw_query = parts.hostname or "", parts.path or "/", parts.query
        else:
            raw_path, _, raw_query = target.partition("?")
            bound = self.server.server_address
            origin = f"http://{host_header or f'{bound[0]!s}:{bound[1]}'}"
            host = host_header.rsplit(":", 1)[0] if host_header.count(":") == 1 else host_header
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        query = parse_qs(raw_query, keep_blank_values=True)
        form = ""
        if body and "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            form = body.decode("utf-8", errors="replace")
            for key, values in parse_qs(form, keep_blank_values=True).items():
                query.setdefault(key, []).extend(values)
        match_target = raw_path + ("?" if raw_query or form else "")
        match_target += "&".join(part for part in (raw_query, form) if part)
        request = Request(
            method=self.command,
            path=unquote(raw_path),
            target=match_target,
            query=query,
            host=host.lower(),
            client_ip=self.client_address[0],
            headers=dict(self.headers.items()),
        )
        return request, origin

    # ---- serving -----------------------------------------------------------------------

    def _serve(self) -> None:
        arrival = time.monotonic()
        emulator = self.server.emulator
        request, origin = self._parse()
        service = classify(request.host, request.path)
        rule = emulator.fault_injector.pick(request.target)
        entry = _LogEntry(emulator.request_log, arrival, request, service, rule)
        try:
            if emulator.latency > 0:
                self.server.stopping.wait(emulator.latency)
            if rule is not None:
                self._apply_fault(rule, request, service, origin, entry)
            else:
                self._send(self._dispatch(request, service, origin), entry)
        except OSError:
            self.close_connection = True
        finally:
            entry.commit()

    def _dispatch(self, request: Request, service: str, origin: str) -> Response:
        emulator = self.server.emulator
        try:
            if service == "eutils":
                return emulator.eutils_service.handle(
                    request, enforce_rate_limit=emulator.enforce_rate_limit
                )
            if service == "acc":
                return handle_acc(request, emulator.store)
            if service == "ftp":
                return handle_ftp(request, emulator.store, origin)
            if service == "download":
                return handle_download(request, emulator.downloads)
            if service == "gene":
                return handle_gene(request, emulator.downloads)
            if service == "ena":
                return handle_ena(request, emulator.ena)
            if service == "ena_files":
                return handle_ena_files(request, emulator.ena)
            return Response.html(pages.not_found(), status=404, charset="iso-8859-1")
        except Exception:
            traceback.print_exc()
            return Response.text(
                "NCBI emulator internal error:\n" + traceback.format_exc(), status=500
            )

    def _apply_fault(
        self, rule: FaultRule, request: Request, service: str, origin: str, entry: _LogEntry
    ) -> None:
        if rule.action in ("drop", "hang"):
            if rule.action == "hang":
                self.server.stopping.wait(rule.delay)
            self.close_connection = True
        elif rule.action == "challenge":
            self._send(Response.html(pages.challenge()), entry)
        elif rule.action == "truncate":
            response = self._dispatch(request, service, origin)
            limit = max(0, min(rule.after_bytes, response.content_length - 1))
            self._send(response, entry, limit=limit)
            self.close_connection = True
        else:
            self._send(self._status_response(rule, request, service), entry)

    @staticmethod
    def _status_response(rule: FaultRule, request: Request, service: str) -> Response:
        if rule.body is not None:
            response = Response(rule.status, [("Content-Type", "text/html")], rule.body)
        elif service == "eutils" and rule.status == 429:
            limit = "10" if request.param("api_key") else "3"
            body = {"error": "API rate limit exceeded", "api-key": request.client_key}
            body.update(count=str(int(limit) + 1), limit=limit)
            text = json.dumps(body, separators=(",", ":"))
            response = Response.text(text, status=429, content_type="application/json")
        else:
            response = Response.html(pages.status_page(rule.status), status=rule.status)
        if rule.retry_after is not None:
            response.headers.append(("Retry-After", rule.retry_after))
        return response

    def _send(self, response: Response, entry: _LogEntry, limit: int | None = None) -> None:
        """Write the response (at most ``limit`` body bytes), pacing to the bandwidth.

        The log entry is committed just before the last byte goes out, so a client
        that has the whole response always finds it in ``emu.requests``.
        """
        self.send_response(response.status)
        for name, value in response.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(response.content_length))
        if self.close_connection:
            self.send_header("Connection", "close")
        entry.status = response.status
        total = 0 if self.command == "HEAD" else response.content_length
        total = total if limit is None else min(total, limit)
        if total == 0:
            entry.commit()
        self.end_headers()
        sent = 0
        start = time.monotonic()
        for chunk in response.chunks() if total else ():
            for offset in range(0, len(chunk), CHUNK):
                piece = chunk[offset : offset + CHUNK][: total - sent]
                bandwidth = self.server.emulator.bandwidth
                if bandwidth:
                    delay = start + sent / bandwidth - time.monotonic()
                    if delay > 0:
                        self.server.stopping.wait(delay)
                if sent + len(piece) >= total:
                    entry.sent = total
                    entry.commit()
                try:
                    self.wfile.write(piece)
                except OSError:
                    entry.sent = sent
                    raise
                sent += len(piece)
                entry.sent = sent
                if sent >= total:
                    return


class _LogEntry:
    """Builds one request's :class:`RequestRecord`, replacing it if the outcome changes."""

    def __init__(
        self,
        log: RequestLog,
        arrival: float,
        request: Request,
        service: str,
        rule: FaultRule | None,
    ) -> None:
        self.log = log
        self.arrival = arrival
        self.request = request
        self.service = service
        self.fault = rule.action if rule is not None else None
        self.status = 0
        self.sent = 0
        self._record: RequestRecord | None = None

    def commit(self) -> None:
        """Log the outcome so far (no-op if unchanged since the last commit)."""
        old = self._record
        if old is not None and (old.status, old.bytes_sent) == (self.status, self.sent):
            return
        request = self.request
        record = RequestRecord(
            time=self.arrival,
            end_time=time.monotonic(),
            method=request.method,
            path=request.path,
            query=request.query,
            status=self.status,
            service=self.service,
            client_key=request.client_key,
            fault=self.fault,
            bytes_sent=self.sent,
            headers=request.headers,
        )
        if old is None:
            self.log.append(record)
        else:
            self.log.replace(old, record)
        self._record = record
