"""Recording fetches in the catalog, and opening the catalog the settings name.

:func:`record_fetch` is what :meth:`GEOClient.fetch <geo_nb.GEOClient.fetch>`
calls after every fetch. It hands the records to one background writer thread
per process and returns at once: writing a fetch of a thousand samples (their
JSON, the SQLite transaction) costs tens of milliseconds that a fetch's caller
should not wait for. The writer keeps its connection open between fetches to
the same catalog. Whatever reads the catalog through :func:`catalog` (and
``fetch(..., offline=True)``) first waits for the pending writes, and so does
the end of the process, so nothing recorded is lost by a normal exit; a killed
process loses the fetches it had not written yet. The catalog itself is
:mod:`geo_nb.catalog_db`.

Example:
    >>> # geo_nb.catalog().history()
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import sqlite3
import threading
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .catalog_db import CATALOG_NAME, Catalog, Provenance
from .records import GEORecords
from .settings import Settings

__all__ = ["catalog", "flush", "record_fetch", "release"]

log = logging.getLogger("geo_nb")

_Job = tuple[Path, GEORecords, Mapping[str, Provenance]] | Path


class _Writer:
    """The process's one catalog writer: a daemon thread over a queue of fetches."""

    def __init__(self) -> None:
        self.jobs: queue.Queue[_Job] = queue.Queue()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.held: Catalog | None = None

    def submit(self, job: _Job) -> None:
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="geo_nb-catalog", daemon=True)
                self.thread.start()
        self.jobs.put(job)

    def _run(self) -> None:
        while True:
            job = self.jobs.get()
            try:
                if isinstance(job, Path):
                    self._release(job)
                else:
                    self._write(*job)
            finally:
                self.jobs.task_done()

    def _catalog(self, path: Path) -> Catalog:
        if self.held is None or self.held.path != path:
            self._release(None)
            self.held = Catalog(path).hold()
        return self.held

    def _release(self, path: Path | None) -> None:
        if self.held is not None and (path is None or self.held.path == path):
            self.held.release()
            self.held = None

    def _write(self, path: Path, records: GEORecords, provenance: Mapping[str, Provenance]) -> None:
        try:
            self._catalog(path).record(records, provenance)
        except (sqlite3.Error, OSError, RuntimeError) as exc:
            self._release(None)
            message = (
                f"geo_nb could not record a fetch in its catalog {path} ({type(exc).__name__}: "
                f"{exc}); the result is complete, only the record is missing. Set "
                "GEO_NB_CATALOG=0 to stop recording."
            )
            log.warning(message)
            warnings.warn(message, RuntimeWarning, stacklevel=1)
        except Exception:  # a bug must not kill the writer and hang flush()
            log.exception("geo_nb's catalog writer failed on a fetch of %s", records.requested)

    def flush(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            self.jobs.join()


_writer = _Writer()


def _forget_after_fork() -> None:
    global _writer
    _writer = _Writer()


os.register_at_fork(after_in_child=_forget_after_fork)
atexit.register(lambda: _writer.flush())


def record_fetch(
    settings: Settings, records: GEORecords, provenance: Mapping[str, Provenance]
) -> None:
    """Queue a fetch for the catalog of ``settings`` (unless ``settings.catalog`` is off).

    A catalog that cannot be written (a read-only cache folder, a full disk, a
    database another program holds locked for longer than 30 s) costs the
    user nothing but this record: it becomes a :class:`RuntimeWarning` and a log
    line, never a failed fetch.
    """
    if settings.catalog:
        path = (Path(settings.cache_dir) / CATALOG_NAME).expanduser()
        _writer.submit((path, records, dict(provenance)))


def flush() -> None:
    """Wait until every fetch queued so far is in the catalog."""
    _writer.flush()


def release(path: Path) -> None:
    """Write what is queued, then close the writer's connection to ``path`` (before the
    file is deleted: ``clear_cache(catalog=True)``)."""
    if _writer.thread is not None and _writer.thread.is_alive():
        _writer.submit(Path(path).expanduser())
        _writer.flush()


def catalog(**overrides: Any) -> Catalog:
    """The catalog of the cache folder the settings name (``<cache_dir>/catalog.sqlite3``),
    once the fetches queued so far are written to it.

    In the offline demo it is the demo's temporary cache folder's catalog.

    Example:
        >>> # geo_nb.catalog().history()
    """
    from .offline import resolve_settings

    flush()
    settings = resolve_settings(**overrides)
    return Catalog(Path(settings.cache_dir) / CATALOG_NAME)
