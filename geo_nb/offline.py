"""Working without NCBI: the offline demo mode, and a check of the connection.

Workshops have bad Wi-Fi, and NCBI sometimes answers automated clients with a
bot-challenge page. ``geo_nb.use_offline_demo()`` (or ``GEO_NB_OFFLINE=1`` in
the environment) starts the NCBI emulator on 127.0.0.1 inside this process,
serving the bundled recordings of real GEO records, and points geo_nb's
settings at it; every notebook then runs unchanged. ``check_connection()``
tells whether NCBI answers, and says how to switch when it does not.

Example:
    >>> import geo_nb
    >>> # geo_nb.check_connection()     # NCBI reachable? If not, it says what to do.
    >>> # geo_nb.use_offline_demo()     # continue with the recorded data
"""

from __future__ import annotations

import atexit
import html
import logging
import os
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .settings import DEFAULT_URLS, ENV_VARS, Settings, default_cache_dir

if TYPE_CHECKING:
    import pandas as pd

    from .testing import DataStore, NCBIEmulator

__all__ = [
    "DEMO_QUERIES",
    "ConnectionReport",
    "check_connection",
    "demo_catalog",
    "offline_requested",
    "offline_search_hint",
    "resolve_settings",
    "use_offline_demo",
]

log = logging.getLogger("geo_nb")

_lock = threading.Lock()
_emulator: NCBIEmulator | None = None
SWITCH = "geo_nb.use_offline_demo()"
#: A test knob: how the offline demo's acc.cgi answers (ok, challenge, unavailable).
DEMO_ACC = "GEO_NB_DEMO_ACC"

#: Searches that find something in the offline demo, and what their hits show. The first
#: ones find series whose files are sized by GEO's recorded filelist.txt.
DEMO_QUERIES: tuple[tuple[str, str], ...] = (
    ("SLFN11", "ATAC-seq peaks in a SuperSeries and its SubSeries; every file sized"),
    ("asthma", "a microarray series with 54 CEL files, sized, and the airway RNA-seq study"),
    ("airway", "RNA-seq with its SRA runs and two small FASTQ files: fetch(..., runs=True)"),
    ("ATAC-seq", "7 series, sized (GSE100494, GSE100750) and not"),
    ("SETD2", "a SuperSeries with ATAC, ChIP and RNA-seq SubSeries"),
    ("chromatin", "11 series of chromatin studies"),
    ("androgen", "RNA-seq with NCBI-computed counts: res.counts(), res.to_anndata()"),
)


def offline_requested() -> bool:
    """True when ``GEO_NB_OFFLINE`` is set to 1/true/yes/on."""
    return Settings().offline_demo


def use_offline_demo(*, latency: float | None = None) -> NCBIEmulator:
    """Serve the bundled GEO recordings on 127.0.0.1 and point geo_nb at them.

    Starts the NCBI emulator once per process (later calls return the same
    one), sets ``GEO_NB_EUTILS_URL``, ``GEO_NB_ACC_URL``, ``GEO_NB_FTP_URL`` and
    ``GEO_NB_DOWNLOAD_URL`` to it, and, unless ``GEO_NB_CACHE_DIR`` is already set,
    uses a temporary cache so recorded answers never mix with real ones. ``latency`` adds a
    delay per request, to show progress bars at work; None keeps the running
    demo's latency (0 when it starts).

    Example:
        >>> # emulator = geo_nb.use_offline_demo()
        >>> # geo_nb.search("SETD2", organism="Homo sapiens")
    """
    global _emulator
    with _lock:
        if _emulator is None or not _emulator.running:
            from .testing import NCBIEmulator

            _emulator = NCBIEmulator(latency=latency or 0.0).start()
            atexit.register(_emulator.stop)
            os.environ.update(_emulator.env())
            os.environ["GEO_NB_OFFLINE"] = "1"
            if not os.environ.get("GEO_NB_CACHE_DIR"):
                os.environ["GEO_NB_CACHE_DIR"] = tempfile.mkdtemp(prefix="geo_nb-offline-")
            log.info("geo_nb offline demo: serving recorded GEO data at %s", _emulator.base_url)
        if latency is not None:
            _emulator.latency = latency
        mode = os.environ.get(DEMO_ACC, "").strip().lower()
        if mode:
            if mode not in ("ok", "challenge", "unavailable"):
                raise ConfigError(
                    f"{DEMO_ACC}={mode!r}: use ok, challenge or unavailable (a test knob: how "
                    "the offline demo's acc.cgi answers)."
                )
            _emulator.acc_mode = mode  # type: ignore[assignment]
        return _emulator


def resolve_settings(settings: Settings | None = None, **overrides: Any) -> Settings:
    """The settings a client works with: ``settings`` (or the environment's) and overrides.

    In offline mode (``GEO_NB_OFFLINE=1`` or ``offline_demo=True``) this is where the
    demo is started, once per process, and the NCBI addresses still at their
    defaults are pointed at it, with a temporary cache unless one was chosen.
    Building :class:`~geo_nb.Settings` itself never starts anything.

    Example:
        >>> resolve_settings(offline_demo=False).acc_url
        'https://www.ncbi.nlm.nih.gov/geo/query/acc.cgi'
    """
    base = settings or Settings()
    if overrides:
        base = base.replace(**overrides)
    if not base.offline_demo:
        return base
    emulator = use_offline_demo()
    field_of = {variable: field for field, variable in ENV_VARS.items()}
    fill: dict[str, Any] = {
        field_of[variable]: url
        for variable, url in emulator.env().items()
        if getattr(base, field_of[variable]) == DEFAULT_URLS.get(field_of[variable])
    }
    if base.cache_dir == default_cache_dir():
        fill["cache_dir"] = os.environ["GEO_NB_CACHE_DIR"]
    return base.replace(**fill) if fill else base


def demo_catalog() -> pd.DataFrame:
    """The series the offline demo holds, and what each of them shows.

    One row per recorded series: ``accession, title, study_type, n_samples``,
    ``samples_recorded`` (how many of its samples the demo has: fewer means a
    fetch reports the series as ``incomplete``) and ``files_sized`` (GEO's
    ``filelist.txt`` is recorded, so every file has its exact size). Searches
    that find them are in :data:`DEMO_QUERIES`.

    Example:
        >>> import geo_nb
        >>> catalog = geo_nb.demo_catalog()
        >>> "GSE100494" in set(catalog.accession)
        True
    """
    import pandas as pd

    store = _demo_store()
    recorded = set(store.accessions())
    rows = []
    for doc in store.docsums():
        accession = str(doc.get("accession", ""))
        if not accession.startswith("GSE") or accession not in recorded:
            continue  # a summary without its record cannot be fetched
        samples = [str(s.get("accession", "")) for s in doc.get("samples", [])]
        number = accession[3:]
        folder = f"series/GSE{number[:-3]}nnn/{accession}/suppl/filelist.txt"
        rows.append(
            {
                "accession": accession,
                "title": str(doc.get("title", "")),
                "study_type": str(doc.get("gdstype", "")),
                "n_samples": int(doc.get("n_samples") or len(samples)),
                "samples_recorded": sum(s in recorded for s in samples),
                "files_sized": store.ftp_file(folder) is not None,
            }
        )
    frame = pd.DataFrame(rows).sort_values("accession", ignore_index=True)
    return frame.astype({"n_samples": "Int64", "samples_recorded": "Int64"})


def _demo_store() -> DataStore:
    """The recordings the demo serves (those of the running demo, else the bundled ones)."""
    from .testing import DataStore

    return _emulator.store if _emulator is not None else DataStore()


def serves_demo(url: str) -> bool:
    """Whether ``url`` is the offline demo's own (one the user set is not, even offline).

    Example:
        >>> # serves_demo(geo_nb.Settings().acc_url)
    """
    return url.startswith(use_offline_demo().base_url + "/")


def unrecorded_hits(accessions: Iterable[str]) -> str | None:
    """What to say when a search of the offline demo finds series whose summaries were
    recorded but whose records were not (a fetch of them is a ``not_found`` row)."""
    held = set(_demo_store().accessions())
    fetchable = ("GSE", "GSM", "GPL")  # a GDS hit is never fetched: its series is
    missing = [a for a in accessions if a.startswith(fetchable) and a not in held]
    if not missing:
        return None
    one = len(missing) == 1
    return (
        f"Offline demo: {', '.join(missing)} {'has' if one else 'have'} a recorded summary "
        f"but no recorded record, so fetching {'it' if one else 'them'} answers not_found; "
        "geo_nb.demo_catalog() lists the series the demo can fetch."
    )


def offline_search_hint(query: str) -> str:
    """What to say when a search of the offline demo finds nothing."""
    tries = ", ".join(f"{q!r}" for q, _ in DEMO_QUERIES)
    return (
        f"Offline demo: nothing among its {len(demo_catalog())} recorded series matches "
        f"{query!r}. Try {tries}; geo_nb.demo_catalog() lists every series it holds."
    )


@dataclass(frozen=True)
class ConnectionReport:
    """Whether E-utilities, acc.cgi and the FTP tree answered, where records will come
    from, and what to do if nothing works."""

    ok: bool
    offline: bool
    details: tuple[str, ...]
    sources: tuple[tuple[str, str], ...] = ()
    """``(source, status)`` for E-utilities, acc.cgi and the FTP tree: ``"answers"`` or
    what went wrong."""
    metadata_from: str = ""
    """Where ``fetch`` reads records: ``"acc.cgi"``, ``"the FTP tree"`` or ``""`` (nowhere)."""

    @property
    def sources_sentence(self) -> str:
        """``E-utilities answers, acc.cgi answers, the FTP tree answers; records come from
        acc.cgi.`` ("" when the sources were not checked)."""
        if not self.sources:
            return ""
        states = ", ".join(f"{name} {state}" for name, state in self.sources)
        if self.metadata_from == "acc.cgi":
            origin = "records come from acc.cgi"
        elif self.metadata_from:
            origin = (
                f"records come from {self.metadata_from} (series matrices, family SOFT) and "
                "E-utilities summaries"
            )
        else:
            origin = "no source of records answers"
        return f"{states}; {origin}."

    @property
    def message(self) -> str:
        """One paragraph for people."""
        sentence = f" {self.sources_sentence}" if self.sources_sentence else ""
        if self.offline:
            return (
                "Offline demo mode: geo_nb answers from recordings of real GEO records." + sentence
            )
        if self.ok:
            return "NCBI is reachable: geo_nb answers from NCBI." + sentence
        return (
            "NCBI could not be used (" + "; ".join(self.details) + "). To continue with "
            f"recordings of real GEO records, run: {SWITCH}"
        )

    def __str__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = "#2e7d32" if self.ok else "#b71c1c"
        text = html.escape(self.message).replace(
            html.escape(SWITCH), f"<code>{html.escape(SWITCH)}</code>"
        )
        return f'<div style="color:{colour}">{text}</div>'


def _state(problem: str | None, blocked: bool = False) -> str:
    if problem is None:
        return "answers"
    return "answers with a bot-challenge page" if blocked else "does not answer"


async def acheck_connection(**overrides: Any) -> ConnectionReport:
    """Ask E-utilities, acc.cgi and the FTP tree one small question each (async); see
    :func:`check_connection`."""
    from .errors import BlockedError, GeoNBError, NotFoundError, PrivateError, WithdrawnError
    from .ncbi.acc import acc_params, check_soft
    from .ncbi.eutils import _esearch
    from .ncbi.ftpmeta import probe_ftp
    from .ncbi.http import HttpClient, Service
    from .ncbi.sources import remember, switch_worthy

    settings = resolve_settings(**{"timeout": 15.0, "max_attempts": 1, **overrides})
    details: list[str] = []
    eutils: str | None = None
    acc: str | None = None
    blocked = False
    async with HttpClient(settings) as http:
        try:
            await _esearch(http, "GSE1[ACCN]")
        except GeoNBError as exc:
            eutils = f"E-utilities: {exc}"
        try:
            response = await http.request(
                Service.ACC, "GET", settings.acc_url, params=acc_params("GSM1")
            )
            if response.status_code == 403:
                raise BlockedError(f"GSM1: acc.cgi answered HTTP 403 ({settings.acc_url})")
            check_soft(response.text, "GSM1", settings.acc_url)
        except (NotFoundError, PrivateError, WithdrawnError):
            pass  # a proper GEO answer about the record: GEO is usable
        except GeoNBError as exc:
            acc = f"GEO: {exc}"
            blocked = isinstance(exc, BlockedError)
            if switch_worthy(exc):
                remember(settings.acc_url, "blocked")
        else:
            remember(settings.acc_url, "ok")
        ftp = await probe_ftp(http)
    details = [d for d in (eutils, acc) if d] + ([f"FTP tree: {ftp}"] if ftp else [])
    mode = settings.metadata_source
    order = {"acc": ["acc.cgi"], "ftp": ["the FTP tree", "acc.cgi"]}.get(
        mode, ["acc.cgi", "the FTP tree"]
    )
    answering = {"acc.cgi": acc is None, "the FTP tree": ftp is None}
    metadata_from = next((name for name in order if answering[name]), "")
    return ConnectionReport(
        ok=eutils is None and bool(metadata_from),
        offline=offline_requested(),
        details=tuple(details),
        sources=(
            ("E-utilities", _state(eutils)),
            ("acc.cgi", _state(acc, blocked)),
            ("the FTP tree", _state(ftp)),
        ),
        metadata_from=metadata_from,
    )


def check_connection(**overrides: Any) -> ConnectionReport:
    """Check that NCBI answers (three small requests: E-utilities, acc.cgi and GEO's FTP
    tree), say which of them answer and where records will come from (acc.cgi, or the FTP
    tree when acc.cgi is challenged); say how to go offline if nothing works.

    Example:
        >>> # report = geo_nb.check_connection()
        >>> # report.ok, report.message
    """
    from ._sync import run_sync

    return run_sync(acheck_connection(**overrides))
