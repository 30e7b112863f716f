"""pytest fixtures for the NCBI emulator.

Enable with ``pytest_plugins = ["geo_nb.testing.pytest_plugin"]`` in a conftest.

* ``ncbi_emulator``: a started :class:`NCBIEmulator` on a free port (bundled
  data), stopped after the test.
* ``geo_env``: the same emulator, with ``GEO_NB_EUTILS_URL``/``GEO_NB_ACC_URL``/
  ``GEO_NB_FTP_URL`` and ``GEO_NB_ENA_URL``/``GEO_NB_ENA_FILES_URL`` pointing at it,
  ``GEO_NB_CACHE_DIR`` in ``tmp_path/"cache"`` and ``NCBI_API_KEY``/``NCBI_EMAIL``
  removed, so nothing leaks from the developer's environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from .emulator import NCBIEmulator


@pytest.fixture
def ncbi_emulator() -> Iterator[NCBIEmulator]:
    """A running emulator serving the bundled data; stopped after the test."""
    emulator = NCBIEmulator().start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def geo_env(
    ncbi_emulator: NCBIEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> NCBIEmulator:
    """Point geo_nb's environment at ``ncbi_emulator``; returns the emulator."""
    for name, value in ncbi_emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GEO_NB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    monkeypatch.delenv("NCBI_EMAIL", raising=False)
    return ncbi_emulator
