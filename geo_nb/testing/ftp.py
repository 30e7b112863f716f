"""The GEO FTP tree over HTTPS: files with byte ranges, and Apache autoindex listings.

Listings reproduce the two captured pages byte for byte in shape: the name
column is ``max(30, longest name + 2)`` wide (this reproduces both captures),
dates are ``YYYY-MM-DD HH:MM`` (UTC here), sizes use Apache's ``apr_strfsize``
rules, the parent link is absolute and the HHS footer follows the ``<pre>``.
A folder marked "noindex" or with no entries answers the captured 403 page.
"""

from __future__ import annotations

import re
import time
from email.utils import formatdate
from html import escape
from urllib.parse import quote

from . import pages
from .ftpfiles import FtpFile, normalize_path
from .messages import Request, Response
from .seriesfiles import sync
from .store import DataStore, DirEntry

__all__ = ["autoindex", "handle_ftp", "parse_range", "serve_file", "strfsize"]

MIN_NAME_WIDTH = 30
HHS_FOOTER = (
    '<a href="https://www.hhs.gov/vulnerability-disclosure-policy/index.html">'
    "HHS Vulnerability Disclosure</a>"
)
_CONTENT_TYPES = {
    "gz": "application/x-gzip",
    "tgz": "application/x-gzip",
    "tar": "application/x-tar",
    "zip": "application/zip",
    "txt": "text/plain",
    "soft": "text/plain",
    "csv": "text/csv",
    "xml": "text/xml",
    "html": "text/html",
}
_RANGE = re.compile(r"\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*")


class Unsatisfiable(Exception):
    """A syntactically valid range that selects no byte of the file."""


def strfsize(size: int) -> str:
    """Apache's ``apr_strfsize``: always four characters, e.g. `` 86 ``, ``5.7K``, ``375M``."""
    if size < 0:
        return "  - "
    if size < 973:
        return f"{size:3d} "
    units = "KMGTPE"
    unit = 0
    while True:
        remain = size & 1023
        size >>= 10
        if size >= 973:
            unit += 1
            continue
        if size < 9 or (size == 9 and remain < 973):
            tenths = (remain * 5 + 256) // 512
            if tenths >= 10:
                size, tenths = size + 1, 0
            return f"{size}.{tenths}{units[unit]}"
        if remain >= 512:
            size += 1
        return f"{size:3d}{units[unit]}"


def parse_range(header: str, size: int) -> tuple[int, int] | None:
    """``(start, stop)`` of a single ``bytes=`` range; None to ignore the header.

    Raises :class:`Unsatisfiable` when the range starts past the end.
    """
    match = _RANGE.fullmatch(header)
    if match is None or not (match.group(1) or match.group(2)):
        return None
    first, last = match.group(1), match.group(2)
    if not first:
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise Unsatisfiable
        return max(0, size - suffix), size
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise Unsatisfiable
    return start, size if not last else min(int(last) + 1, size)


def _stamp(mtime: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(mtime))


def autoindex(path: str, entries: list[DirEntry]) -> str:
    """The Apache autoindex page of ``/geo/<path>/``."""
    base = normalize_path(path)
    shown = f"/geo/{base}" if base else "/geo"
    parent = "/" + f"geo/{base}".rsplit("/", 1)[0] + "/" if base else "/"
    names = [entry.name + ("/" if entry.is_dir else "") for entry in entries]
    width = max([MIN_NAME_WIDTH, *(len(name) + 2 for name in names)])
    lines = [
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">',
        "<html>",
        " <head>",
        f"  <title>Index of {escape(shown)}</title>",
        " </head>",
        " <body>",
        f"<h1>Index of {escape(shown)}</h1>",
        f"<pre>Name{' ' * (width - 3)}Last modified      Size  <hr>"
        f'<a href="{quote(parent)}">Parent Directory</a>{" " * (width - 16 + 22)}-',
    ]
    for entry, name in zip(entries, names, strict=True):
        pad = " " * (width - len(name) + 1)
        size = strfsize(entry.size if not entry.is_dir else -1)
        lines.append(
            f'<a href="{quote(name)}">{escape(name)}</a>{pad}{_stamp(entry.mtime)}  {size}'
        )
    lines += ["<hr></pre>", HHS_FOOTER, "</body></html>", ""]
    return "\n".join(lines)


def _content_type(path: str) -> str:
    return _CONTENT_TYPES.get(path.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def serve_file(request: Request, file: FtpFile) -> Response:
    """A file's answer: 200, 206 for a ``Range`` request, 416 past its end; with
    Last-Modified and Accept-Ranges."""
    headers = [
        ("Content-Type", _content_type(file.path)),
        ("Last-Modified", formatdate(file.mtime, usegmt=True)),
        ("Accept-Ranges", "bytes"),
    ]
    span: tuple[int, int] | None = None
    range_header = request.header("Range")
    if range_header:
        try:
            span = parse_range(range_header, file.size)
        except Unsatisfiable:
            response = Response.html(pages.status_page(416), status=416, charset="iso-8859-1")
            response.headers.append(("Content-Range", f"bytes */{file.size}"))
            return response
    start, stop = span if span is not None else (0, file.size)
    status = 200
    if span is not None:
        status = 206
        headers.append(("Content-Range", f"bytes {start}-{stop - 1}/{file.size}"))
    return Response(status, headers, stream=lambda: file.read(start, stop), length=stop - start)


def _redirect(request: Request, origin: str) -> Response:
    location = f"{origin}{quote(request.path)}/"
    response = Response.html(pages.moved(location), status=301, charset="iso-8859-1")
    response.headers.append(("Location", location))
    return response


def handle_ftp(request: Request, store: DataStore, origin: str) -> Response:
    """Answer a path below ``/geo``; ``origin`` (``http://host:port``) is used for redirects."""
    sync(store)
    rel = request.path[len("/geo") :]
    path = normalize_path(rel)
    if rel and not rel.endswith("/"):
        file = store.ftp_file(path)
        if file is not None:
            return serve_file(request, file)
    entries = store.listing(path)
    noindex = store.is_noindex(path)
    if entries is None and not noindex:
        return Response.html(pages.not_found(), status=404, charset="iso-8859-1")
    if not rel.endswith("/"):
        return _redirect(request, origin)
    if noindex or not entries:
        return Response.html(pages.forbidden(), status=403, charset="iso-8859-1")
    return Response.html(autoindex(path, entries), charset="UTF-8")
