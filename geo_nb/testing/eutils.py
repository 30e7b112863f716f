"""E-utilities on db=gds: esearch and esummary with history (WebEnv), as JSON.

``db=sra`` (esearch, efetch ``rettype=runinfo``) is answered by :mod:`.sra` and
``esummary db=pubmed`` by :mod:`.pubmed`, sharing this service's rate limit and
WebEnv history. Otherwise only ``db=gds`` and ``retmode=json`` are served;
other values get an NCBI-like
error (JSON envelope for a wrong db, an XML ``<ERROR>`` for a non-JSON
retmode, since NCBI's default retmode is XML). Error texts for these and for an
unknown WebEnv are synthesized: NCBI's exact wording is not recorded.
"""

from __future__ import annotations

import json
import random
import threading
from typing import Any

from . import ncbijson, query, search
from .downloads import DownloadFiles
from .messages import Request, Response
from .pubmed import PubmedStore, handle_pubmed
from .ratelimit import RateLimiter
from .sra import SraStore, handle_sra
from .store import DataStore

__all__ = ["EUtils"]

JSON_TYPE = "application/json; charset=UTF-8"
DEFAULT_RETMAX = 20
MAX_RETMAX = 10_000
EMPTY_TERM = "Empty term and query_key - nothing todo"


def _header(kind: str) -> dict[str, str]:
    return {"type": kind, "version": "0.3"}


def _json(value: Any, headers: list[tuple[str, str]] | None = None) -> Response:
    return Response.text(ncbijson.dumps(value), content_type=JSON_TYPE, headers=headers)


def _int_param(request: Request, name: str, default: int) -> int:
    text = request.param(name).strip()
    return int(text) if text.isdigit() else default


def _xml_error(kind: str, message: str) -> Response:
    root = {"esearch": "eSearchResult", "esummary": "eSummaryResult"}[kind]
    text = f'<?xml version="1.0" encoding="UTF-8" ?>\n<{root}><ERROR>{message}</ERROR></{root}>\n'
    return Response.text(text, content_type="text/xml; charset=UTF-8")


class EUtils:
    """The E-utilities service: rate limiting, search index and WebEnv history."""

    def __init__(
        self,
        store: DataStore,
        rng: random.Random,
        limiter: RateLimiter,
        *,
        downloads: DownloadFiles | None = None,
        sra: SraStore | None = None,
        pubmed: PubmedStore | None = None,
    ) -> None:
        self.store = store
        self.downloads = downloads
        self.rng = rng
        self.limiter = limiter
        self.sra = sra if sra is not None else SraStore()
        self.pubmed = pubmed if pubmed is not None else PubmedStore()
        self._lock = threading.Lock()
        self._history: dict[str, dict[int, list[str]]] = {}
        self._index: (
            tuple[tuple[int, int], list[search.SearchDoc], dict[str, dict[str, Any]]] | None
        ) = None

    # ---- entry point -------------------------------------------------------------------

    def handle(self, request: Request, *, enforce_rate_limit: bool) -> Response:
        """Answer one request below ``/entrez/eutils/``."""
        if not enforce_rate_limit:
            return self._route(request)
        decision = self.limiter.check(
            request.client_key, has_api_key=bool(request.param("api_key"))
        )
        if not decision.allowed:
            body = {
                "error": "API rate limit exceeded",
                "api-key": request.client_key,
                "count": str(decision.count),
                "limit": str(decision.limit),
            }
            return Response.text(
                json.dumps(body, separators=(",", ":")),
                status=429,
                content_type=JSON_TYPE,
                headers=[
                    ("Retry-After", "1"),
                    ("X-RateLimit-Limit", str(decision.limit)),
                    ("X-RateLimit-Remaining", "0"),
                ],
            )
        response = self._route(request)
        response.headers += [
            ("X-RateLimit-Limit", str(decision.limit)),
            ("X-RateLimit-Remaining", str(decision.remaining)),
        ]
        return response

    def _route(self, request: Request) -> Response:
        name = request.path.rstrip("/").rsplit("/", 1)[-1]
        kinds = {"esearch.fcgi": "esearch", "esummary.fcgi": "esummary", "efetch.fcgi": "efetch"}
        kind = kinds.get(name)
        if kind is None:
            return Response.text(
                f"The NCBI emulator does not implement {name}; it serves esearch.fcgi, "
                "esummary.fcgi and efetch.fcgi (db=sra).\n",
                status=404,
            )
        db = request.param("db", "pubmed").strip().lower()
        if db == "sra":
            return handle_sra(kind, request, self.sra, self)
        if db == "pubmed" and kind == "esummary" and request.params("db"):
            return handle_pubmed(kind, request, self.pubmed)
        if kind == "efetch":
            return Response.text("The NCBI emulator serves efetch for db=sra only.\n", status=400)
        if request.param("retmode", "xml").strip().lower() != "json":
            return _xml_error(kind, "The NCBI emulator serves retmode=json only")
        if db != "gds":
            message = f"Invalid db name specified: {db} (the NCBI emulator serves db=gds only)"
            return self._error(kind, message)
        if kind == "esearch":
            return self._esearch(request)
        return self._esummary(request)

    @staticmethod
    def _error(kind: str, message: str) -> Response:
        if kind == "esearch":
            return _json({"header": _header(kind), "esearchresult": {"ERROR": message}})
        return _json({"header": _header(kind), "esummaryresult": [message]})

    # ---- index and history ---------------------------------------------------------------

    def _documents(self) -> tuple[list[search.SearchDoc], dict[str, dict[str, Any]]]:
        """Searchable public docsums, and every public docsum by UID (cached per store version)."""
        with self._lock:
            downloads = self.downloads
            version = (self.store.version, downloads.version if downloads else 0)
            if self._index is None or self._index[0] != version:
                by_uid: dict[str, dict[str, Any]] = {}
                for doc in self.store.docsums():
                    if self.store.status(str(doc.get("accession", "")))[0] == "public":
                        by_uid[str(doc["uid"])] = doc
                docs = [
                    search.SearchDoc.from_docsum(
                        doc, downloads.filters(str(doc.get("accession", ""))) if downloads else None
                    )
                    for doc in by_uid.values()
                ]
                self._index = (version, docs, by_uid)
            return self._index[1], self._index[2]

    def _remember(self, webenv: str, uids: list[str]) -> tuple[str, int]:
        with self._lock:
            if webenv not in self._history:
                webenv = "MCID_" + "".join(self.rng.choice("0123456789abcdef") for _ in range(24))
                self._history[webenv] = {}
            keys = self._history[webenv]
            key = len(keys) + 1
            keys[key] = uids
            return webenv, key

    def remember(self, webenv: str, uids: list[str]) -> tuple[str, int]:
        """Store a result list under ``webenv`` (a new one if unknown); returns (webenv, key)."""
        return self._remember(webenv, uids)

    def recall(self, webenv: str, query_key: str) -> list[str] | None:
        """The result list of ``query_key`` in ``webenv``, or None."""
        return self._recall(webenv, query_key)

    def _recall(self, webenv: str, query_key: str) -> list[str] | None:
        with self._lock:
            keys = self._history.get(webenv.strip())
            if keys is None or not query_key.strip().isdigit():
                return None
            return keys.get(int(query_key))

    # ---- esearch -----------------------------------------------------------------------

    def _esearch(self, request: Request) -> Response:
        term = request.param("term").strip()
        retmax = min(_int_param(request, "retmax", DEFAULT_RETMAX), MAX_RETMAX)
        retstart = _int_param(request, "retstart", 0)
        docs, _ = self._documents()
        node = query.parse(term) if term else None
        if node is not None:
            uids = search.evaluate(node, docs)
        else:
            recalled = self._recall(request.param("WebEnv"), request.param("query_key"))
            if term or recalled is None:
                return self._error("esearch", EMPTY_TERM)
            uids = {int(uid) for uid in recalled}
        ordered = [str(uid) for uid in sorted(uids, reverse=True)]
        page = ordered[retstart : retstart + retmax]
        result: dict[str, Any] = {
            "count": str(len(ordered)),
            "retmax": str(len(page)),
            "retstart": str(retstart),
        }
        if request.param("usehistory").strip().lower() == "y":
            webenv, key = self._remember(request.param("WebEnv"), ordered)
            result["querykey"] = str(key)
            result["webenv"] = webenv
        result["idlist"] = page
        result["translationset"] = []
        translation = query.translate(node) if node is not None else ""
        if ordered and node is not None:
            entries = query.stack(node, lambda leaf: search.count(leaf, docs))
            result["translationstack"] = entries if len(entries) > 1 else [*entries, "GROUP"]
        result["querytranslation"] = translation
        if not ordered:
            result["errorlist"] = {
                "phrasesnotfound": self._not_found(node, docs),
                "fieldsnotfound": [],
            }
            result["warninglist"] = {
                "phrasesignored": [],
                "quotedphrasesnotfound": [],
                "outputmessages": ["No items found."],
            }
        return _json({"header": _header("esearch"), "esearchresult": result})

    @staticmethod
    def _not_found(node: query.Node | None, docs: list[search.SearchDoc]) -> list[str]:
        found: list[str] = []
        pending: list[query.Node] = [node] if node is not None else []
        while pending:
            current = pending.pop(0)
            if isinstance(current, query.BinOp):
                pending += [current.left, current.right]
            elif (
                isinstance(current, query.Leaf)
                and current.field == "ALL"
                and search.count(current, docs) == 0
            ):
                found.append(current.text)
        return found

    # ---- esummary ----------------------------------------------------------------------

    def _esummary(self, request: Request) -> Response:
        ids = [i.strip() for value in request.params("id") for i in value.split(",") if i.strip()]
        if not ids:
            webenv, query_key = request.param("WebEnv"), request.param("query_key")
            if not webenv and not query_key:
                return self._error("esummary", "Empty id list - nothing todo")
            recalled = self._recall(webenv, query_key or "1")
            if recalled is None:
                return self._error("esummary", f"Unable to obtain query #{query_key or '1'}")
            retstart = _int_param(request, "retstart", 0)
            retmax = min(_int_param(request, "retmax", DEFAULT_RETMAX), MAX_RETMAX)
            ids = recalled[retstart : retstart + retmax]
        _, by_uid = self._documents()
        uids = list(dict.fromkeys(ids))
        result: dict[str, Any] = {"uids": uids}
        for uid in uids:
            doc = by_uid.get(uid)
            result[uid] = (
                doc if doc is not None else {"uid": uid, "error": "cannot get document summary"}
            )
        return _json({"header": _header("esummary"), "result": result})
