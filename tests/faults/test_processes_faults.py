"""Real processes: killed mid-fetch and mid-download, and two sharing one cache dir.

A SIGKILL gives no chance to clean up, so whatever is on disk afterwards is what
geo_nb's atomic writes guarantee: whole, verified cache entries, final files that
are complete, ``.part`` files that are prefixes to resume, and temporary files that
are only leftovers every read ignores.
"""

from __future__ import annotations

import json
import logging
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import geo_nb
from geo_nb import GEOResult
from geo_nb.ncbi.cache import DiskCache, memory_cache
from geo_nb.records import GEORecords
from geo_nb.testing import FaultRule, NCBIEmulator
from tests.faults._support import (
    assert_cache_sound,
    assert_matches_reference,
    assert_no_half_files,
    cache_entries,
    clone_mix,
    family_soft,
    run_python,
    temp_leftovers,
)
from tests.helpers import downloadable_series

FETCH = """
import sys, geo_nb
geo_nb.fetch(sys.argv[1].split(","), progress=False)
print("finished")
"""

DOWNLOAD = """
import sys, geo_nb
res = geo_nb.fetch(sys.argv[1], progress=False)
res.plan(category="genome_track").download(sys.argv[2], progress=False)
print("finished")
"""

REFRESH_LOOP = """
import random, sys, geo_nb
random.seed(int(sys.argv[4]))
accessions = sys.argv[1].split(",")
errors = 0
for _ in range(int(sys.argv[2])):
    res = geo_nb.fetch(accessions, refresh=True, progress=False)
    assert {e.kind for e in res.records.errors} <= {"unavailable"}, res.records.errors
    errors += len(res.records.errors)
open(sys.argv[3], "w").write(res.records.model_dump_json())
print(errors)
"""

LOAD_FAMILY = """
import sys, time, geo_nb, GEOparse
from pathlib import Path
if len(sys.argv) > 1:  # start once another process is part-way through the download
    part = Path(sys.argv[1])
    final = part.with_suffix("")
    while not (part.exists() and part.stat().st_size >= int(sys.argv[2])) and not final.exists():
        time.sleep(0.01)
print(len(geo_nb.load_geoparse("GSE1").gsms))
"""


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting for the worker"
        time.sleep(0.02)


def cache_dir() -> Path:
    return Path(geo_nb.Settings().cache_dir)


def test_sigkill_mid_fetch_then_a_second_run_on_the_same_cache(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    accessions = clone_mix(geo_env.store, copies=4)
    ref_cache = tmp_path / "reference"
    ref = geo_nb.fetch(accessions, progress=False, cache_dir=ref_cache)
    needed = len(geo_env.requests)
    assert needed == len(cache_entries(ref_cache))  # one entry per request (404s too)
    memory_cache.clear()
    geo_env.clear_log()

    geo_env.latency = 0.3
    worker = run_python(FETCH, ",".join(accessions))
    wait_for(lambda: sum(r.status == 200 for r in geo_env.requests) >= 12)
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=10)
    assert worker.returncode == -signal.SIGKILL
    geo_env.latency = 0.0

    kept = assert_cache_sound(cache_dir())
    assert 0 < kept < needed
    # A kill in the middle of a cache write leaves a temporary file; make sure there is one.
    folder = cache_entries(cache_dir())[0].parent
    stale = folder / ".tmp-killedwriter.part"
    stale.write_bytes(cache_entries(cache_dir())[0].read_bytes()[:50])
    leftovers = temp_leftovers(cache_dir())

    started = time.monotonic()
    res = geo_nb.fetch(accessions, progress=False)
    assert res.errors.empty
    assert_matches_reference(res, ref)
    asked = [r for r in geo_env.requests if r.time >= started]
    assert len(asked) == needed - kept  # every entry the killed run kept was used
    assert assert_cache_sound(cache_dir()) == needed
    assert temp_leftovers(cache_dir()) == leftovers  # ignored by reads, touched by nobody
    removed = DiskCache(cache_dir(), ttl_days=7).prune_temp_files(older_than=0)
    assert removed == len(leftovers) and temp_leftovers(cache_dir()) == []
    assert assert_cache_sound(cache_dir()) == needed


def test_sigkill_mid_download_leaves_only_resumable_parts(
    geo_env: NCBIEmulator, tmp_path: Path
) -> None:
    series, contents = downloadable_series(geo_env)
    dest = tmp_path / "dest"
    geo_env.bandwidth = 40_000  # bytes/s per connection: the 6 files take 1-3.3 s
    worker = run_python(DOWNLOAD, series, str(dest))
    wait_for(lambda: any(p.stat().st_size >= 32_768 for p in dest.rglob("*.part")))
    worker.send_signal(signal.SIGKILL)
    worker.communicate(timeout=10)
    assert worker.returncode == -signal.SIGKILL
    geo_env.bandwidth = None

    parts = {p.name.removesuffix(".part"): p.stat().st_size for p in dest.rglob("*.part")}
    assert parts
    assert_no_half_files(dest, contents, resumable=contents)
    geo_env.clear_log()
    res = geo_nb.fetch(series, progress=False)
    report = res.plan(category="genome_track").download(dest, progress=False)
    for name, status, path in zip(report.name, report.status, report.path, strict=True):
        expected = {"resumed"} if parts.get(name) else {"downloaded", "skipped"}
        assert status in expected, (name, status)
        assert Path(path).read_bytes() == contents[name]
    for name, size in parts.items():
        if size:
            (get,) = [r for r in geo_env.requests if r.path.endswith(name)]
            assert get.headers["Range"] == f"bytes={size}-" and get.status == 206
    assert_no_half_files(dest, contents)
    assert {p.name for p in (dest / series).iterdir()} == set(contents)


def test_two_processes_refreshing_one_cache_dir_under_faults(
    geo_env: NCBIEmulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    accessions = clone_mix(geo_env.store, copies=3)
    ref = geo_nb.fetch(accessions, progress=False, cache_dir=tmp_path / "reference")
    memory_cache.clear()
    geo_env.add_fault(FaultRule(action="status", status=503, probability=0.05, times=None))
    geo_env.add_fault(FaultRule(action="drop", probability=0.05, times=None))
    outputs = [tmp_path / f"worker{i}.json" for i in range(2)]
    workers = [
        run_python(REFRESH_LOOP, ",".join(accessions), "2", str(out), str(seed))
        for seed, out in enumerate(outputs)
    ]

    # Meanwhile this process reads every entry it finds, as a third user would.
    caplog.set_level(logging.WARNING, logger="geo_nb.cache")
    cache = DiskCache(cache_dir(), ttl_days=7)
    reads = 0
    while any(worker.poll() is None for worker in workers):
        for entry in cache_entries(cache_dir()):
            assert cache.get(entry.name.removesuffix(".gz")) is not None, entry
            reads += 1
        time.sleep(0.1)
    errors = 0
    for worker in workers:
        printed, err = worker.communicate(timeout=10)
        assert worker.returncode == 0, err
        errors += int(printed)
    assert reads > 0
    assert [r.getMessage() for r in caplog.records if r.name == "geo_nb.cache"] == []
    assert sum(r.fault is not None for r in geo_env.requests) >= 4

    for out in outputs:
        records = GEORecords.model_validate(json.loads(out.read_text()))
        assert_matches_reference(GEOResult(records), ref)
    assert assert_cache_sound(cache_dir()) == len(cache_entries(tmp_path / "reference"))
    assert temp_leftovers(cache_dir()) == []

    geo_env.clear_faults()
    memory_cache.clear()
    served = len(geo_env.requests)
    res = geo_nb.fetch(accessions, progress=False)
    assert res.errors.empty
    assert_matches_reference(res, ref)
    if not errors:
        assert len(geo_env.requests) == served


def test_two_processes_loading_one_family_soft_into_one_cache_dir(
    geo_env: NCBIEmulator,
) -> None:
    data = family_soft(rows=5000)
    geo_env.store.add_ftp_file("series/GSEnnn/GSE1/soft/GSE1_family.soft.gz", data)
    part = cache_dir() / "files/series/GSEnnn/GSE1/soft/GSE1_family.soft.gz.part"
    second = run_python(LOAD_FAMILY, str(part), str(len(data) // 4))
    geo_env.bandwidth = len(data) / 1.5  # the download takes 1.5 s
    first = run_python(LOAD_FAMILY)
    results = [worker.communicate(timeout=60) for worker in (first, second)]
    for worker, (out, err) in zip((first, second), results, strict=True):
        assert worker.returncode == 0, err[-500:]
        assert out.split() == ["3"]
    assert part.with_suffix("").read_bytes() == data
