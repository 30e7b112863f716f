"""acc.cgi: what to ask GEO's accession display, and how to read its answer.

acc.cgi answers failures with HTTP 200 and an HTML page whatever ``form`` was
asked for, and since August 2026 it may answer automated clients with a
bot-challenge page. Anything that is not SOFT where SOFT was asked for is
turned into a typed error here, never into an empty record.
"""

from __future__ import annotations

import html
import re

from ..accessions import accession_prefix
from ..errors import (
    BlockedError,
    NCBIError,
    NotFoundError,
    PrivateError,
    UnexpectedResponseError,
    WithdrawnError,
    not_recorded,
    retry_advice,
)

__all__ = ["acc_params", "check_soft"]

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.I | re.S)
_RELEASE = re.compile(r"scheduled to be released on\s+([A-Za-z]{3}\s+\d{1,2},?\s+\d{4})", re.I)
_TAGS = re.compile(r"<[^>]+>")
_CHALLENGE_MARKERS = (
    "recaptcha",
    "captcha",
    "verify you are human",
    "verifying you are human",
    "are you a robot",
    "challenge-platform",
    "cf-chl",
    "access denied",
    "temporarily blocked",
)


def acc_params(accession: str, *, view: str = "brief") -> dict[str, str]:
    """acc.cgi parameters for one record's metadata.

    A series is asked for with ``targ=all`` (the series, its platforms and its
    samples in one response); a sample or platform with ``targ=self``.

    Example:
        >>> acc_params("GSE1563")
        {'acc': 'GSE1563', 'targ': 'all', 'form': 'text', 'view': 'brief'}
    """
    targ = "all" if accession_prefix(accession) == "GSE" else "self"
    return {"acc": accession, "targ": targ, "form": "text", "view": view}


def _page_text(body: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", body)).split())


def check_soft(body: str, accession: str, url: str, *, offline: bool = False) -> None:
    """Raise the matching typed error unless ``body`` is a SOFT document.

    ``offline`` (the demo's recordings) replaces advice to retry, which cannot help there.

    Example:
        >>> check_soft("^SERIES = GSE1\\n", "GSE1", "https://x")  # SOFT: no error
    """
    start = body.lstrip("\ufeff \t\r\n")[:1]
    if start == "^":
        return
    if not body.strip():
        raise UnexpectedResponseError(
            f"{accession}: GEO answered with an empty page. Try again later.",
            accession=accession,
            url=url,
        )
    lowered = body.lower()
    text = _page_text(body)
    error: NCBIError
    if "could not find a public or private accession" in lowered and offline:
        error = NotFoundError(not_recorded(accession), accession=accession, url=url)
    elif "could not find a public or private accession" in lowered:
        error = NotFoundError(
            f"{accession} was not found at GEO. Check the accession; if it is private, "
            "GEO will only show it after its release date.",
            accession=accession,
            url=url,
        )
    elif "was deleted by the geo staff" in lowered or "has been withdrawn" in lowered:
        error = WithdrawnError(
            f"{accession} was withdrawn (deleted by the GEO staff); its data are no longer "
            "available from GEO.",
            accession=accession,
            url=url,
        )
    elif "is currently private" in lowered:
        release = _RELEASE.search(text)
        when = f" It is scheduled to be released on {release.group(1)}." if release else ""
        error = PrivateError(
            f"{accession} is private.{when} Try again after its release.",
            accession=accession,
            url=url,
        )
    elif "not yet approved by geo curators" in lowered:
        error = PrivateError(
            f"{accession} is not yet approved by GEO curators, so it is not public yet.",
            accession=accession,
            url=url,
        )
    elif any(marker in lowered for marker in _CHALLENGE_MARKERS):
        error = BlockedError(
            f"{accession}: NCBI answered with a bot-challenge page instead of SOFT (NCBI has "
            "been challenging automated clients on www.ncbi.nlm.nih.gov/geo since August 2026). "
            + retry_advice(
                "Wait a few minutes and retry with fetch(..., refresh=True), or lower "
                "GEO_NB_MAX_CONCURRENCY.",
                offline=offline,
            ),
            accession=accession,
            url=url,
        )
    else:
        title = _TITLE.search(body)
        shown = _page_text(title.group(1)) if title else text[:80]
        error = UnexpectedResponseError(
            f"{accession}: GEO answered with a page that is not SOFT ({shown!r}). "
            "Try again later; if it persists, open the URL in a browser to see what GEO says.",
            accession=accession,
            url=url,
        )
    raise error
