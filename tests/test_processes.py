"""Guarantees that need real processes: a shared cache dir, and Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geo_nb
from geo_nb import Settings
from geo_nb.ncbi.acc import acc_params
from geo_nb.ncbi.cache import DiskCache, cache_key, memory_cache
from geo_nb.testing import NCBIEmulator
from geo_nb.testing.synth import clone_series

SCRIPT = """
import sys, geo_nb
accessions = sys.argv[1].split(",")
for _ in range(int(sys.argv[2])):
    res = geo_nb.fetch(accessions, refresh=True, progress=False)
    assert res.errors.empty, res.errors
print("done", len(res.samples))
"""


def run_python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_share_one_cache_dir(geo_env: NCBIEmulator) -> None:
    accessions = clone_series(geo_env.store, "GSE146537", 30)
    geo_env.enforce_rate_limit = False
    workers = [run_python(SCRIPT, ",".join(accessions), "4") for _ in range(2)]
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, err
        assert out.strip() == "done 180"
        assert "catalog" not in err and "locked" not in err
    # Both processes recorded every fetch in the one catalog, and nothing was lost.
    catalog = geo_nb.catalog()
    assert len(catalog.history()) == 8 and set(catalog.history().n_samples) == {180}
    assert set(catalog.accessions("series")) == set(accessions)
    settings = Settings()
    cache = DiskCache(settings.cache_dir, ttl_days=settings.cache_ttl_days)
    assert not list(cache.root.rglob(".tmp-*"))
    for accession in accessions:
        body = cache.get(cache_key("acc", settings.acc_url, acc_params(accession)))
        assert body is not None and body.startswith(b"^SERIES = " + accession.encode())
    memory_cache.clear()
    served = len(geo_env.requests)
    res = geo_nb.fetch(accessions, progress=False)
    assert res.errors.empty and len(res.samples) == 180
    assert len(geo_env.requests) == served


def test_ctrl_c_stops_a_fetch_promptly_and_keeps_the_cache_consistent(
    geo_env: NCBIEmulator,
) -> None:
    accessions = clone_series(geo_env.store, "GSE146537", 20)
    geo_nb.fetch(accessions[:5], progress=False)
    geo_env.clear_log()
    geo_env.latency = 5.0
    worker = run_python(SCRIPT, ",".join(accessions), "1")
    deadline = time.monotonic() + 20
    # Requests are logged when answered: wait until the worker has some answers
    # (and so some cache writes) behind it and the next ones in flight.
    while len(geo_env.requests) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    interrupted = time.monotonic()
    worker.send_signal(signal.SIGINT)
    _, err = worker.communicate(timeout=20)
    assert time.monotonic() - interrupted < 4.0  # the rest of the fetch needs 5 s or more
    assert worker.returncode != 0 and "KeyboardInterrupt" in err
    cache_dir = Path(Settings().cache_dir)
    assert not list(cache_dir.rglob(".tmp-*"))
    geo_env.latency = 0.0
    memory_cache.clear()
    res = geo_nb.fetch(accessions, progress=False)
    assert res.errors.empty and len(res.samples) == 120
