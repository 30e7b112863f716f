"""NCBIEmulator: the public face of the emulator (start/stop, knobs, faults, request log)."""

from __future__ import annotations

import os
import random
import threading
from types import TracebackType
from typing import Literal, get_args

from .downloads import DownloadFiles
from .ena import EnaStore
from .eutils import EUtils
from .faults import FaultAction, FaultInjector, FaultRule
from .pubmed import PubmedStore
from .ratelimit import RateLimiter
from .requestlog import RequestLog, RequestRecord
from .server import EmulatorServer
from .sra import SraStore
from .store import DataStore

__all__ = ["AccMode", "NCBIEmulator"]

AccMode = Literal["ok", "challenge", "unavailable"]
ACC_MODES: tuple[str, ...] = get_args(AccMode)


class NCBIEmulator:
    """A local HTTP server that answers like NCBI's E-utilities, acc.cgi and GEO FTP tree,
    and like ENA's portal API ``filereport`` and FASTQ file server.

    Example:
        >>> from geo_nb.testing import NCBIEmulator
        >>> with NCBIEmulator() as emu:  # doctest: +SKIP
        ...     os.environ.update(emu.env())

    ``latency`` (seconds before each response), ``bandwidth`` (body bytes per
    second per connection, None for unlimited) and ``enforce_rate_limit`` can
    be changed while the server runs. ``seed`` makes fault probabilities and
    WebEnv strings reproducible. ``store`` is the :class:`DataStore` served;
    ``sra``, ``ena`` and ``pubmed`` hold the recorded run info, ENA reports (and
    FASTQ files) and PubMed summaries (see :mod:`.sra`, :mod:`.ena`, :mod:`.pubmed`);
    ``fault_injector``, ``request_log`` and ``eutils_service`` are the parts the
    HTTP layer uses (prefer the methods below). ``downloads`` holds NCBI-generated
    files (RNA-seq counts, NCBI Gene's ``gene_info``).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str] | None = None,
        *,
        latency: float = 0.0,
        bandwidth: float | None = None,
        enforce_rate_limit: bool = True,
        seed: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.store = DataStore(data_dir)
        self.downloads = DownloadFiles(data_dir)
        self.latency = latency
        self.bandwidth = bandwidth
        self.enforce_rate_limit = enforce_rate_limit
        self.host = host
        self.port = port
        self._requested_port = port
        self._rng = random.Random(seed)
        self._rng_lock = threading.Lock()
        self.fault_injector = FaultInjector(self._rng, self._rng_lock)
        self._limiter = RateLimiter()
        self.sra = SraStore(self.store.data_dir)
        self.ena = EnaStore(self.store.data_dir)
        self.pubmed = PubmedStore(self.store.data_dir)
        self.eutils_service = EUtils(
            self.store,
            random.Random(seed),
            self._limiter,
            downloads=self.downloads,
            sra=self.sra,
            pubmed=self.pubmed,
        )
        self.request_log = RequestLog()
        self._acc_rule: FaultRule | None = None
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    # ---- life cycle --------------------------------------------------------------------

    def start(self) -> NCBIEmulator:
        """Bind the port and serve from a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = EmulatorServer((self.host, self._requested_port), self)
        self.port = int(server.server_address[1])
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ncbi-emulator-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection (safe to call twice)."""
        server, thread = self._server, self._thread
        self._server, self._thread = None, None
        if server is None:
            return
        server.shutdown()
        server.close_connections()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    @property
    def running(self) -> bool:
        """True between start() and stop()."""
        return self._server is not None

    def __enter__(self) -> NCBIEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self.running else "stopped"
        return f"<NCBIEmulator {where} data={self.store.data_dir}>"

    # ---- addresses ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        if self._server is None:
            raise RuntimeError("The emulator is not running; call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def eutils_url(self) -> str:
        """Base URL of the E-utilities (``.../entrez/eutils``)."""
        return self.base_url + "/entrez/eutils"

    @property
    def acc_url(self) -> str:
        """URL of acc.cgi (``.../geo/query/acc.cgi``)."""
        return self.base_url + "/geo/query/acc.cgi"

    @property
    def ftp_url(self) -> str:
        """Base URL of the GEO FTP tree (``.../geo``)."""
        return self.base_url + "/geo"

    @property
    def download_url(self) -> str:
        """Base URL of GEO's download service (``.../geo/download``): NCBI's counts files."""
        return self.base_url + "/geo/download"

    @property
    def ena_url(self) -> str:
        """Base URL of ENA's portal API (``.../ena/portal/api``)."""
        return self.base_url + "/ena/portal/api"

    @property
    def ena_files_url(self) -> str:
        """Base URL of ENA's file server (files below ``/vol1/``)."""
        return self.base_url

    def env(self) -> dict[str, str]:
        """The environment variables that point geo_nb at this emulator."""
        return {
            "GEO_NB_EUTILS_URL": self.eutils_url,
            "GEO_NB_ACC_URL": self.acc_url,
            "GEO_NB_FTP_URL": self.ftp_url,
            "GEO_NB_DOWNLOAD_URL": self.download_url,
            "GEO_NB_ENA_URL": self.ena_url,
            "GEO_NB_ENA_FILES_URL": self.ena_files_url,
        }

    # ---- faults and observation ------------------------------------------------------

    def add_fault(self, rule: FaultRule) -> FaultRule:
        """Add a fault rule (checked after the ones added before); returns it."""
        return self.fault_injector.add(rule)

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self.fault_injector.clear()

    @property
    def faults(self) -> list[FaultRule]:
        """The current fault rules, in order."""
        return self.fault_injector.rules

    @property
    def requests(self) -> list[RequestRecord]:
        """A snapshot of every request received so far."""
        return self.request_log.snapshot()

    def clear_log(self) -> None:
        """Forget the requests received so far."""
        self.request_log.clear()

    @property
    def acc_mode(self) -> AccMode:
        """How acc.cgi answers every request: ``"ok"`` (normally), ``"challenge"`` (the
        bot-challenge page, HTTP 200) or ``"unavailable"`` (HTTP 503). Set it to switch;
        it is a fault rule (``clear_faults()`` removes it too)."""
        rule = self._acc_rule
        if rule is None or rule not in self.fault_injector.rules:
            return "ok"
        return "challenge" if rule.action == "challenge" else "unavailable"

    @acc_mode.setter
    def acc_mode(self, mode: AccMode) -> None:
        if mode not in ACC_MODES:
            raise ValueError(f"acc_mode must be one of {ACC_MODES}, got {mode!r}")
        if self._acc_rule is not None:
            self.fault_injector.remove(self._acc_rule)
            self._acc_rule = None
        if mode != "ok":
            action: FaultAction = "challenge" if mode == "challenge" else "status"
            self._acc_rule = self.add_fault(
                FaultRule(match=r"^/geo/query/acc\.cgi", action=action, status=503, times=None)
            )

    @property
    def rate_limit_violations(self) -> int:
        """E-utilities requests answered 429 by the rate limiter."""
        return self._limiter.violations
