"""A series' metadata from GEO's FTP tree: series-matrix headers and family SOFT files.

When acc.cgi cannot be used (a bot-challenge page, a 403, an outage), the FTP tree
still holds every public series' metadata:

* ``series/GSEnnn/GSEx/matrix/GSEx[-GPLy]_series_matrix.txt.gz``, one per platform.
  Its header is a few KB; its value table can be hundreds of MB. The file is
  streamed, decompressed as it arrives, and the response is closed at
  ``!series_matrix_table_begin``, so only the header's bytes (and what was already
  in flight) are read.
* ``series/GSEnnn/GSEx/soft/GSEx_family.soft.gz``, for series without a matrix (some
  SuperSeries, some old series): streamed through the SOFT reader, tables skipped,
  and closed once every sample the series lists has been read.

Both are read through :meth:`HttpClient.read_stream` (NCBI's limits and the one
retry policy). Nothing here parses beyond bytes and SOFT entities: turning them into
records is the caller's job.

Example:
    >>> # headers = await series_matrix_headers(http, "GSE211781")
    >>> # [h.name for h in headers], headers[0].bytes_read
"""

from __future__ import annotations

import asyncio
import logging
import re
import zlib
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from .._aio import gather_or_cancel
from ..accessions import ftp_dir
from ..errors import GeoNBError, ParseError, UnexpectedResponseError, WrongFormatError
from ..parse import GZIP_MAGIC
from ..parse.soft import SoftEntity, SoftFeed
from .http import HttpClient, Service
from .listing import parse_listing

__all__ = [
    "DRAIN_BYTES",
    "MAX_HEADER_BYTES",
    "TABLE_BEGIN",
    "MatrixHeader",
    "family_entities_from_ftp",
    "matrix_names",
    "probe_ftp",
    "read_matrix_header",
    "series_matrix_headers",
]

log = logging.getLogger("geo_nb.ftp")

TABLE_BEGIN = b"!series_matrix_table_begin"
#: When no more than this is left of a matrix after its header, it is read, so that the
#: connection can serve the next request; otherwise the response is closed.
DRAIN_BYTES = 256 * 1024
#: A header larger than this (decompressed) is not a header: the file is refused.
MAX_HEADER_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class MatrixHeader:
    """The header of one series-matrix file and what reading it cost.

    ``text`` is everything before ``!series_matrix_table_begin`` (decompressed);
    ``bytes_read`` the compressed bytes taken from the response before it was
    closed; ``size`` the file's Content-Length, when the server sent one.
    """

    name: str
    text: bytes
    bytes_read: int
    size: int | None


def _not_gzip(url: str, start: bytes) -> UnexpectedResponseError:
    page = start.lstrip()[:1] == b"<"
    what = "an HTML page (an error or bot-challenge page)" if page else "something that is not gzip"
    return UnexpectedResponseError(
        f"{url}: the FTP tree answered with {what} where a .gz file was expected. Try again later.",
        url=url,
    )


class _Gunzip:
    """Incremental gzip decompression, multi-member streams included."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._started = False

    def feed(self, chunk: bytes) -> bytes:
        if not self._started:
            if not chunk.startswith(GZIP_MAGIC[: len(chunk)]):
                raise _not_gzip(self.url, chunk)
            self._started = True
        out = []
        data = chunk
        while data:
            try:
                out.append(self._decompressor.decompress(data))
            except zlib.error as exc:
                raise ParseError(f"{self.url}: corrupt gzip data ({exc})") from exc
            if not self._decompressor.eof:
                break
            data = self._decompressor.unused_data
            self._decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        return b"".join(out)


def _present(response: httpx.Response, url: str, accession: str | None) -> bool:
    """True for a file to read, False for one that is not there (404, or 403: a folder
    without index); another status is an error."""
    if response.status_code in (403, 404):
        return False
    if response.status_code != 200:
        raise UnexpectedResponseError(
            f"{url}: the FTP tree answered HTTP {response.status_code}. Try again later.",
            accession=accession,
            url=url,
        )
    return True


def _size(response: httpx.Response) -> int | None:
    value = response.headers.get("Content-Length", "")
    return int(value) if value.isdigit() else None


async def read_matrix_header(
    http: HttpClient, url: str, *, accession: str | None = None
) -> MatrixHeader | None:
    """Stream a series matrix until its table starts; None when it does not exist (404/403).

    Raises :class:`~geo_nb.errors.ParseError` when the file ends (or passes
    :data:`MAX_HEADER_BYTES`) before ``!series_matrix_table_begin``, and
    :class:`~geo_nb.errors.UnexpectedResponseError` for an HTML page or another status.
    """
    name = url.rsplit("/", 1)[-1]

    async def consume(response: httpx.Response) -> MatrixHeader | None:
        if not _present(response, url, accession):
            return None
        gunzip = _Gunzip(url)
        text = bytearray()
        searched = 0
        read = 0
        chunks = response.aiter_raw()
        async for chunk in chunks:
            read += len(chunk)
            text += gunzip.feed(chunk)
            # The marker is at a line start; look again from just before the new bytes.
            found = text.find(b"\n" + TABLE_BEGIN, max(0, searched - len(TABLE_BEGIN) - 1))
            if found >= 0 or text.startswith(TABLE_BEGIN):
                end = found + 1 if found >= 0 else 0
                size = _size(response)
                if size is not None and size - read <= DRAIN_BYTES:
                    # Cheaper to read a small rest than to open a new (TLS) connection.
                    async for rest in chunks:
                        read += len(rest)
                return MatrixHeader(name, bytes(text[:end]), read, size)
            searched = len(text)
            if searched > MAX_HEADER_BYTES:
                break
        raise ParseError(
            f"{url}: no {TABLE_BEGIN.decode()} line in the first {len(text):,} bytes; "
            "the file is truncated or not a series matrix.",
            accession=accession,
        )

    header = await http.read_stream(url, consume, accession=accession)
    if header is not None:
        log.debug("%s: read %d of %s bytes", url, header.bytes_read, header.size)
    return header


def _matrix_pattern(accession: str) -> re.Pattern[str]:
    return re.compile(rf"^{accession}(?:-GPL[1-9][0-9]*)?_series_matrix\.txt\.gz$")


async def matrix_names(http: HttpClient, accession: str) -> list[str]:
    """The series-matrix files in the series' ``matrix/`` folder (none: ``[]``)."""
    folder = f"{http.settings.ftp_url}/{ftp_dir(accession)}/matrix/"
    response = await http.request(Service.FTP, "GET", folder, accession=accession)
    if response.status_code in (403, 404):
        return []
    if response.status_code != 200:
        raise UnexpectedResponseError(
            f"{accession}: the matrix folder answered HTTP {response.status_code}. "
            "Try again later.",
            accession=accession,
            url=folder,
        )
    try:
        entries = parse_listing(response.text, url=folder)
    except WrongFormatError as exc:
        raise UnexpectedResponseError(str(exc), accession=accession, url=folder) from None
    pattern = _matrix_pattern(accession)
    return sorted(e.name for e in entries if not e.is_dir and pattern.match(e.name))


async def series_matrix_headers(http: HttpClient, accession: str) -> list[MatrixHeader]:
    """The headers of every series matrix of ``accession`` (``[]``: it has none).

    The single-platform name is tried first (one request for most series); only
    when it is missing is the ``matrix/`` folder listed, for the
    ``GSEx-GPLy_series_matrix.txt.gz`` files of a multi-platform series.
    """
    base = f"{http.settings.ftp_url}/{ftp_dir(accession)}/matrix/"
    single = await read_matrix_header(
        http, f"{base}{accession}_series_matrix.txt.gz", accession=accession
    )
    if single is not None:
        return [single]
    names = [n for n in await matrix_names(http, accession) if "-GPL" in n]
    found = await gather_or_cancel(
        read_matrix_header(http, base + name, accession=accession) for name in names
    )
    return [header for header in found if header is not None]


def _complete(series: list[str], seen: set[str]) -> bool:
    return bool(series) and seen.issuperset(series)


async def family_entities_from_ftp(
    http: HttpClient,
    accession: str,
    *,
    done: Callable[[list[SoftEntity]], bool] | None = None,
) -> list[SoftEntity] | None:
    """The entities of ``soft/<accession>_family.soft.gz``, tables skipped; None if absent.

    Reading stops once the series and every sample it lists have been read (or
    when ``done(entities)`` says so), and the response is closed.
    """
    url = f"{http.settings.ftp_url}/{ftp_dir(accession)}/soft/{accession}_family.soft.gz"

    async def consume(response: httpx.Response) -> list[SoftEntity] | None:
        if not _present(response, url, accession):
            return None
        gunzip = _Gunzip(url)
        feed = SoftFeed(f"{accession}_family.soft.gz")
        entities: list[SoftEntity] = []
        listed: list[str] = []
        seen: set[str] = set()
        async for chunk in response.aiter_raw():
            for entity in feed.feed(gunzip.feed(chunk)):
                entities.append(entity)
                if entity.kind == "SERIES" and entity.accession == accession:
                    listed = entity.values("sample_id")
                elif entity.kind == "SAMPLE":
                    seen.add(entity.accession)
            if _complete(listed, seen) or (done is not None and done(entities)):
                return entities
            await asyncio.sleep(0)
        return entities + feed.close()

    return await http.read_stream(url, consume, accession=accession)


async def probe_ftp(http: HttpClient) -> str | None:
    """None when GEO's FTP tree answers with its root folder listing, else what went wrong
    (one small request, for :func:`geo_nb.check_connection`)."""
    url = f"{http.settings.ftp_url}/"
    try:
        response = await http.request(Service.FTP, "GET", url)
    except GeoNBError as exc:
        return str(exc)
    if response.status_code != 200:
        return f"the FTP tree answered HTTP {response.status_code}"
    try:
        parse_listing(response.text, url=url)
    except ParseError:
        return "the FTP tree answered with a page that is not a folder listing"
    return None
