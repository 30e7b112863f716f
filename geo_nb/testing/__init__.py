"""An offline NCBI for tests, CI and demos: E-utilities, acc.cgi and the GEO FTP tree.

:class:`NCBIEmulator` serves recorded NCBI data (``geo_nb/testing/data``) over
real HTTP on 127.0.0.1, with knobs for latency, bandwidth, rate limiting and
fault injection. Point geo_nb at it with ``os.environ.update(emu.env())``, or
run ``python -m geo_nb.testing`` and export the variables it prints.

Example:
    >>> from geo_nb.testing import NCBIEmulator, FaultRule
    >>> with NCBIEmulator(latency=0.1) as emu:  # doctest: +SKIP
    ...     emu.add_fault(FaultRule(match="acc.cgi", action="status", status=503))
"""

from __future__ import annotations

from .emulator import NCBIEmulator
from .faults import FaultRule
from .requestlog import RequestRecord, max_in_window
from .store import DataStore

__all__ = ["DataStore", "FaultRule", "NCBIEmulator", "RequestRecord", "max_in_window"]
