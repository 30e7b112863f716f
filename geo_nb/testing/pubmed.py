"""PubMed on E-utilities: ``esummary db=pubmed`` answered from recorded document summaries.

Data: every ``data/pubmed/*.json`` is a recorded ``esummary db=pubmed
retmode=json`` body; each document under ``result`` is kept as recorded and
served again, in the order the ids were asked for. An id without a recording
gets ``{"uid": ..., "error": "cannot get document summary"}``, the shape the
gds emulator already uses for unknown UIDs (synthesized wording).

Example:
    >>> from geo_nb.testing.store import BUNDLED_DATA
    >>> PubmedStore(BUNDLED_DATA).get("28806736")["source"]
    'PLoS One'
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from . import ncbijson
from .messages import Request, Response

__all__ = ["PubmedStore", "handle_pubmed"]


class PubmedStore:
    """Recorded PubMed document summaries by PMID; thread-safe, extendable by tests."""

    def __init__(self, data_dir: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._docs: dict[str, dict[str, Any]] = {}
        folder = data_dir / "pubmed" if data_dir is not None else None
        for path in sorted(folder.glob("*.json")) if folder is not None and folder.is_dir() else []:
            self.add(json.loads(path.read_text(encoding="utf-8")))

    def add(self, body: dict[str, Any]) -> list[str]:
        """Add the documents of an esummary body (or one document); returns their PMIDs."""
        result = body.get("result")
        docs = (
            [result[uid] for uid in result.get("uids", [])] if isinstance(result, dict) else [body]
        )
        with self._lock:
            for doc in docs:
                self._docs[str(doc["uid"])] = doc
        return [str(doc["uid"]) for doc in docs]

    def get(self, pmid: str) -> dict[str, Any] | None:
        """The recorded summary of ``pmid``, or None."""
        with self._lock:
            return self._docs.get(pmid.strip())


def handle_pubmed(kind: str, request: Request, store: PubmedStore) -> Response:
    """Answer ``esummary db=pubmed retmode=json`` for ``id=`` lists."""
    if kind != "esummary" or request.param("retmode", "xml").strip().lower() != "json":
        return Response.text(
            "The NCBI emulator serves esummary db=pubmed retmode=json only.\n", status=400
        )
    ids = [i.strip() for v in request.params("id") for i in v.split(",") if i.strip()]
    uids = list(dict.fromkeys(ids))
    result: dict[str, Any] = {"uids": uids}
    for uid in uids:
        doc = store.get(uid)
        missing = {"uid": uid, "error": "cannot get document summary"}
        result[uid] = doc if doc is not None else missing
    body = {"header": {"type": "esummary", "version": "0.3"}, "result": result}
    return Response.text(ncbijson.dumps(body), content_type="application/json; charset=UTF-8")
