"""Typed errors raised by geo_nb.

Every error says what happened and what to do next. Errors that belong to one
accession carry a ``kind`` (the value shown in ``GEOResult.errors``) and the
``accession`` they concern, so a batch can turn them into rows instead of
aborting.

Example:
    >>> from geo_nb.errors import InvalidAccessionError
    >>> try:
    ...     raise InvalidAccessionError(["GSE12x", "foo"])
    ... except ValueError as exc:
    ...     print(exc.accessions)
    ['GSE12x', 'foo']
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import ClassVar

__all__ = [
    "AlignmentError",
    "BlockedError",
    "ChecksumError",
    "ConfigError",
    "DownloadFailedError",
    "FetchFailedError",
    "GeoNBError",
    "InvalidAccessionError",
    "NCBIError",
    "NotFoundError",
    "ParseError",
    "PrivateError",
    "QueryError",
    "RateLimitedError",
    "SizeMismatchError",
    "UnavailableError",
    "UnexpectedResponseError",
    "UnsafePathError",
    "WithdrawnError",
    "WrongFormatError",
    "redact",
    "retry_advice",
]

_SECRET_PARAM = re.compile(r"(?i)(api_key=)[^&\s\"']+")


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove API keys from ``text``: any ``api_key=`` value and every given secret.

    Example:
        >>> redact("https://x/esearch.fcgi?db=gds&api_key=abc123")
        'https://x/esearch.fcgi?db=gds&api_key=***'
    """
    text = _SECRET_PARAM.sub(r"\1***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


OFFLINE_NOTE = (
    "This answer comes from the offline demo, whose recordings never change: retrying "
    "(or refresh=True) gives the same answer."
)


def not_recorded(accession: str) -> str:
    """What the offline demo says of an accession it holds no record of.

    Example:
        >>> not_recorded("GSE1").startswith("GSE1 is not among the offline demo's")
        True
    """
    return (
        f"{accession} is not among the offline demo's recorded records (its search can find "
        "a few series whose records were not recorded). geo_nb.demo_catalog() lists the "
        "series the demo can fetch."
    )


def retry_advice(advice: str, *, offline: bool) -> str:
    """``advice`` (e.g. "retry with refresh=True"), or why retrying cannot help offline.

    Example:
        >>> retry_advice("Retry later.", offline=False)
        'Retry later.'
    """
    return OFFLINE_NOTE if offline else advice


class GeoNBError(Exception):
    """Base class of every error geo_nb raises on purpose."""

    kind: ClassVar[str] = "error"


class ConfigError(GeoNBError, ValueError):
    """A setting (argument or environment variable) has an invalid value."""

    kind = "config"


class QueryError(GeoNBError, ValueError):
    """A search query or filter is invalid, or NCBI rejected the query."""

    kind = "query"


class InvalidAccessionError(GeoNBError, ValueError):
    """One or more strings are not syntactically valid GEO accessions.

    Raised before any request is made, naming every bad accession at once.
    """

    kind = "invalid_accession"

    def __init__(self, accessions: Sequence[str], reason: str | None = None) -> None:
        self.accessions = list(accessions)
        shown = ", ".join(repr(a) for a in self.accessions[:20])
        if len(self.accessions) > 20:
            shown += f" and {len(self.accessions) - 20} more"
        noun = "accession" if len(self.accessions) == 1 else "accessions"
        hint = reason or (
            "GEO accessions look like GSE1563 (series), GSM11805 (sample) or GPL96 (platform)"
        )
        if not self.accessions:
            super().__init__(f"{hint}.")
        else:
            super().__init__(f"Invalid GEO {noun}: {shown}. {hint}.")


class ParseError(GeoNBError, ValueError):
    """A response or file could not be parsed as the expected format."""

    kind = "parse_error"

    def __init__(self, message: str, *, accession: str | None = None) -> None:
        self.accession = accession
        super().__init__(message)


class WrongFormatError(ParseError):
    """The text is another kind of document altogether (say, an error page where a
    folder listing was expected), not a damaged one of the expected kind."""


class NCBIError(GeoNBError):
    """NCBI answered, or failed to answer, in a way that gives no usable record."""

    kind = "ncbi_error"

    def __init__(
        self, message: str, *, accession: str | None = None, url: str | None = None
    ) -> None:
        self.accession = accession
        self.url = redact(url) if url else None
        super().__init__(redact(message))


class NotFoundError(NCBIError):
    """The accession or file does not exist at NCBI."""

    kind = "not_found"


class PrivateError(NCBIError):
    """The accession exists but is not public yet (private or awaiting curation)."""

    kind = "private"


class WithdrawnError(NCBIError):
    """The accession was withdrawn (deleted by the GEO staff)."""

    kind = "withdrawn"


class RateLimitedError(NCBIError):
    """NCBI kept answering 429 Too Many Requests after every retry."""

    kind = "rate_limited"


class UnavailableError(NCBIError):
    """NCBI could not be reached or kept failing (5xx, timeouts, dropped connections)."""

    kind = "unavailable"


class UnexpectedResponseError(NCBIError):
    """NCBI answered with something other than what was asked for.

    Typically an HTML page (an error page or a bot challenge) where SOFT or JSON
    was requested.
    """

    kind = "unexpected_response"


class SizeMismatchError(NCBIError):
    """A downloaded file's size differs from the size GEO lists for it."""

    kind = "size_mismatch"


class ChecksumError(NCBIError):
    """A downloaded file's MD5 differs from the checksum GEO publishes for it."""

    kind = "checksum_mismatch"


class UnsafePathError(GeoNBError, ValueError):
    """A file name would write outside the download folder, or is not a plain name."""

    kind = "unsafe_path"


class FetchFailedError(GeoNBError):
    """Raised by ``GEOResult.raise_for_errors()`` when some accessions failed."""

    kind = "fetch_failed"

    def __init__(self, errors: Sequence[tuple[str, str, str]]) -> None:
        self.errors = list(errors)
        lines = [f"  {acc} [{kind}]: {msg}" for acc, kind, msg in self.errors[:10]]
        if len(self.errors) > 10:
            lines.append(f"  ... and {len(self.errors) - 10} more (see result.errors)")
        super().__init__(
            f"{len(self.errors)} accession(s) could not be fetched:\n" + "\n".join(lines)
        )


class BlockedError(UnexpectedResponseError):
    """NCBI refused to answer this client: a bot-challenge page, or HTTP 403.

    Its ``kind`` stays ``unexpected_response``; with ``metadata_source="auto"``
    geo_nb reads the record from the FTP tree instead (see the README, "When NCBI
    challenges geo_nb").
    """


class AlignmentError(GeoNBError, ValueError):
    """A matrix's columns and a series' samples do not match one to one.

    The message names the columns that match no sample and the samples that
    have no column; nothing is aligned silently.
    """

    kind = "alignment"


class DownloadFailedError(NCBIError):
    """A file a loader needs could not be downloaded (the message says why)."""

    kind = "download_failed"
