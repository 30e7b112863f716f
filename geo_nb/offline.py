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
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .testing import NCBIEmulator

__all__ = ["ConnectionReport", "check_connection", "offline_requested", "use_offline_demo"]

log = logging.getLogger("geo_nb")

_TRUE = {"1", "true", "yes", "on"}
_lock = threading.Lock()
_emulator: NCBIEmulator | None = None
SWITCH = "geo_nb.use_offline_demo()"


def offline_requested() -> bool:
    """True when ``GEO_NB_OFFLINE`` is set to 1/true/yes/on."""
    return os.environ.get("GEO_NB_OFFLINE", "").strip().lower() in _TRUE


def use_offline_demo(*, latency: float = 0.0) -> NCBIEmulator:
    """Serve the bundled GEO recordings on 127.0.0.1 and point geo_nb at them.

    Starts the NCBI emulator once per process (later calls return the same
    one), sets ``GEO_NB_EUTILS_URL``, ``GEO_NB_ACC_URL`` and ``GEO_NB_FTP_URL``
    to it, and, unless ``GEO_NB_CACHE_DIR`` is already set, uses a temporary
    cache so recorded answers never mix with real ones. ``latency`` adds a
    delay per request, to show progress bars at work.

    Example:
        >>> # emulator = geo_nb.use_offline_demo()
        >>> # geo_nb.search("SETD2", organism="Homo sapiens")
    """
    global _emulator
    with _lock:
        if _emulator is None or not _emulator.running:
            from .testing import NCBIEmulator

            _emulator = NCBIEmulator(latency=latency).start()
            atexit.register(_emulator.stop)
            os.environ.update(_emulator.env())
            os.environ["GEO_NB_OFFLINE"] = "1"
            if not os.environ.get("GEO_NB_CACHE_DIR"):
                os.environ["GEO_NB_CACHE_DIR"] = tempfile.mkdtemp(prefix="geo_nb-offline-")
            log.info("geo_nb offline demo: serving recorded GEO data at %s", _emulator.base_url)
        _emulator.latency = latency
        return _emulator


@dataclass(frozen=True)
class ConnectionReport:
    """Whether E-utilities and GEO answered, and what to do if not."""

    ok: bool
    offline: bool
    details: tuple[str, ...]

    @property
    def message(self) -> str:
        """One paragraph for people."""
        if self.offline:
            return "Offline demo mode: geo_nb answers from recordings of real GEO records."
        if self.ok:
            return "NCBI is reachable: geo_nb answers from NCBI."
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


async def acheck_connection(**overrides: Any) -> ConnectionReport:
    """Ask E-utilities and acc.cgi for one known record (async); see :func:`check_connection`."""
    from ._acc import acc_params, check_soft
    from ._http import HttpClient, Service
    from .errors import GeoNBError, NotFoundError, PrivateError, WithdrawnError
    from .eutils import _esearch
    from .settings import Settings

    settings = Settings(**{"timeout": 15.0, "max_attempts": 1, **overrides})
    details: list[str] = []
    async with HttpClient(settings) as http:
        try:
            await _esearch(http, "GSE1[ACCN]")
        except GeoNBError as exc:
            details.append(f"E-utilities: {exc}")
        try:
            response = await http.request(
                Service.ACC, "GET", settings.acc_url, params=acc_params("GSM1")
            )
            check_soft(response.text, "GSM1", settings.acc_url)
        except (NotFoundError, PrivateError, WithdrawnError):
            pass  # a proper GEO answer about the record: GEO is usable
        except GeoNBError as exc:
            details.append(f"GEO: {exc}")
    return ConnectionReport(ok=not details, offline=offline_requested(), details=tuple(details))


def check_connection(**overrides: Any) -> ConnectionReport:
    """Check that NCBI answers (two small requests); say how to go offline if not.

    Example:
        >>> # report = geo_nb.check_connection()
        >>> # report.ok, report.message
    """
    from ._sync import run_sync

    return run_sync(acheck_connection(**overrides))
