"""acc.cgi: GEO records as SOFT text, composed from stored records.

``acc`` is looked up case-insensitively; ``targ`` picks the record itself or
its related records, ``view`` how much of each record to show (see
:meth:`SoftRecord.render`). Failures are HTTP 200 HTML pages, as on NCBI.
Related records missing from the store are skipped, so a composition can be
shorter than NCBI's (and empty when none of them is stored).
"""

from __future__ import annotations

from typing import cast

from . import pages
from .messages import Request, Response
from .soft import SoftRecord, View
from .store import DataStore

__all__ = ["handle_acc", "related"]

TARGETS = ("self", "gsm", "gpl", "gse", "all")
VIEWS = ("brief", "quick", "full", "data")
_LINKS = {
    # kind -> target -> label listing the related accessions
    "SERIES": {"gsm": "Series_sample_id", "gpl": "Series_platform_id"},
    "SAMPLE": {"gpl": "Sample_platform_id", "gse": "Sample_series_id"},
    "PLATFORM": {"gsm": "Platform_sample_id", "gse": "Platform_series_id"},
}
_SELF = {"SERIES": "gse", "SAMPLE": "gsm", "PLATFORM": "gpl"}
_FAMILY = {"SERIES": ("gse", "gpl", "gsm"), "SAMPLE": ("gsm", "gpl", "gse"), "PLATFORM": ("gpl",)}


def related(record: SoftRecord, targ: str) -> list[str]:
    """Accessions ``targ`` selects for ``record``, in NCBI's order.

    The family (``all``) of a series is the series, its platforms, then its samples.
    """
    if targ == "self":
        return [record.accession]
    if targ == "all":
        return [acc for part in _FAMILY[record.kind] for acc in related(record, part)]
    if _SELF[record.kind] == targ:
        return [record.accession]
    label = _LINKS[record.kind].get(targ)
    return record.values(label) if label else []


def handle_acc(request: Request, store: DataStore) -> Response:
    """Answer ``/geo/query/acc.cgi``."""
    accession = request.param("acc").strip()
    if not accession:
        return Response.html(pages.acc_landing())
    form = request.param("form", "html").strip().lower()
    if form != "text":
        return Response.html(pages.acc_form_unsupported(form))
    targ = request.param("targ", "self").strip().lower()
    targ = targ if targ in TARGETS else "self"
    view_text = request.param("view", "brief").strip().lower()
    view = cast(View, view_text if view_text in VIEWS else "brief")

    accession = accession.upper()
    status, release_date = store.status(accession)
    if status != "public":
        return Response.html(pages.acc_failure(accession, status, release_date))
    record = store.record(accession)
    if record is None:
        return Response.html(pages.acc_failure(accession, "missing"))

    parts: list[str] = []
    for acc in dict.fromkeys(related(record, targ)):
        other = store.record(acc)
        if other is not None and store.status(acc)[0] == "public":
            parts.append(other.render(view))
    return Response.text("".join(parts))
