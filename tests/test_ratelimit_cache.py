"""The process-wide rate limiter and the disk/memory caches."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import os
import threading
import time
from pathlib import Path

import pytest

from geo_nb.ncbi.cache import DiskCache, MemoryCache, cache_key
from geo_nb.ncbi.ratelimit import RateLimiter, shared_limiter
from geo_nb.testing import max_in_window


async def test_limiter_never_exceeds_rate_in_any_window() -> None:
    limiter = RateLimiter(10.0)
    stamps: list[float] = []

    async def worker() -> None:
        for _ in range(5):
            await limiter.acquire()
            stamps.append(time.monotonic())

    await asyncio.gather(*(worker() for _ in range(5)))
    assert len(stamps) == 25
    assert max_in_window(stamps) <= 10
    gaps = [b - a for a, b in zip(sorted(stamps), sorted(stamps)[1:], strict=False)]
    assert min(gaps) >= limiter.interval * 0.9


def test_limiter_is_shared_across_threads_and_loops() -> None:
    limiter = shared_limiter(("test", "threads"), 20.0)
    assert shared_limiter(("test", "threads"), 20.0) is limiter
    stamps: list[float] = []
    lock = threading.Lock()

    def run() -> None:
        async def go() -> None:
            for _ in range(6):
                await limiter.acquire()
                with lock:
                    stamps.append(time.monotonic())

        asyncio.run(go())

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(stamps) == 24
    assert max_in_window(stamps) <= 20


def test_defer_holds_back_later_requests() -> None:
    limiter = RateLimiter(100.0)
    limiter.defer(0.5)
    assert limiter.try_acquire() >= 0.45


async def test_late_wakeups_never_bunch_requests() -> None:
    limiter = RateLimiter(10.0)
    stamps: list[float] = []

    async def worker() -> None:
        for _ in range(3):
            await limiter.acquire()
            stamps.append(time.monotonic())
            # A busy event loop: blocked for longer than the interval, so the next
            # waiter wakes late.
            time.sleep(0.15)  # noqa: ASYNC251 (blocking the loop is the point here)

    await asyncio.gather(*(worker() for _ in range(4)))
    ordered = sorted(stamps)
    gaps = [b - a for a, b in itertools.pairwise(ordered)]
    assert min(gaps) >= limiter.interval - 0.005
    assert max_in_window(stamps) <= 10


def test_cache_key_ignores_identification_and_secrets() -> None:
    a = cache_key("acc", "u", {"acc": "GSE1", "api_key": "k", "tool": "t", "email": "e@x"})
    assert a == cache_key("acc", "u", {"acc": "GSE1"})
    assert a != cache_key("acc", "u", {"acc": "GSE2"})
    assert a != cache_key("esearch", "u", {"acc": "GSE1"})


@pytest.mark.parametrize("compress", [True, False])
def test_disk_cache_round_trip_and_atomic_layout(tmp_path: Path, compress: bool) -> None:
    cache = DiskCache(tmp_path, ttl_days=7)
    key = cache_key("acc", "u", {"acc": "GSE1"})
    assert cache.get(key) is None
    cache.put(key, b"^SERIES = GSE1\n", url="http://x/acc.cgi?acc=GSE1", compress=compress)
    assert cache.get(key) == b"^SERIES = GSE1\n"
    assert (cache.path(key).read_bytes()[:2] == b"\x1f\x8b") is compress
    assert not list(cache.path(key).parent.glob(".tmp-*"))


@pytest.mark.parametrize("compress", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("damage", ["truncate", "flip", "garbage", "not an object", "empty"])
def test_corrupt_entries_are_discarded(tmp_path: Path, damage: str, compress: bool) -> None:
    cache = DiskCache(tmp_path, ttl_days=7)
    key = cache_key("acc", "u", {"acc": "GSE1"})
    body = b"^SERIES = GSE1\n" + os.urandom(5000)
    cache.put(key, body, url="u", compress=compress)
    path = cache.path(key)
    blob = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(blob[: len(blob) // 2])
    elif damage == "flip":
        middle = len(blob) // 2
        path.write_bytes(blob[:middle] + bytes([blob[middle] ^ 0xFF]) + blob[middle + 1 :])
    elif damage in ("garbage", "not an object"):
        line = b"not a header" if damage == "garbage" else b'["a", "list"]'
        blob = line + b"\n" + body
        path.write_bytes(gzip.compress(blob) if compress else blob)
    else:
        path.write_bytes(b"")
    assert cache.get(key) is None
    assert not path.exists()


def test_expired_entries_are_misses(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, ttl_days=1e-9)
    cache.put("ab" * 32, b"x", url="u")
    time.sleep(0.01)
    assert cache.get("ab" * 32) is None
    assert DiskCache(tmp_path, ttl_days=0).get("ab" * 32) is None


def test_failed_write_leaves_no_temp_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = DiskCache(tmp_path, ttl_days=7)
    key = "cd" * 32

    def boom(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        cache.put(key, b"body", url="u")
    assert not any(cache.path(key).parent.iterdir())


def test_stale_temp_files_are_pruned(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, ttl_days=7)
    cache.put("ef" * 32, b"x", url="u")
    stale = cache.path("ef" * 32).parent / ".tmp-dead.part"
    stale.write_bytes(b"half")
    old = time.time() - 7200
    os.utime(stale, (old, old))
    fresh = cache.path("ef" * 32).parent / ".tmp-live.part"
    fresh.write_bytes(b"being written")
    assert cache.prune_temp_files() == 1
    assert fresh.exists() and not stale.exists()


def test_the_first_write_of_a_process_prunes_stale_temp_files(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, ttl_days=7)
    folder = cache.path("ab" * 32).parent
    folder.mkdir(parents=True)
    old = time.time() - 7200
    first = folder / ".tmp-first.part"
    first.write_bytes(b"half")
    os.utime(first, (old, old))
    cache.get("ab" * 32)  # a read-only start (a warm fetch) does not scan the folders
    assert first.exists()
    cache.put("ab" * 32, b"x", url="u")
    assert not first.exists()
    second = folder / ".tmp-second.part"
    second.write_bytes(b"half")
    os.utime(second, (old, old))
    DiskCache(tmp_path, ttl_days=7).put("cd" * 32, b"y", url="u")
    assert second.exists()  # once per process: the next process will prune it


def test_concurrent_writers_never_expose_partial_entries(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, ttl_days=7)
    key = "12" * 32
    bodies = [bytes([i]) * 200_000 for i in range(4)]
    stop = threading.Event()
    seen: list[bytes | None] = []
    cache.put(key, bodies[0], url="u")

    def writer(body: bytes) -> None:
        while not stop.is_set():
            cache.put(key, body, url="u")

    def reader() -> None:
        for _ in range(200):
            seen.append(cache.get(key))

    writers = [threading.Thread(target=writer, args=(b,)) for b in bodies]
    for t in writers:
        t.start()
    reader()
    stop.set()
    for t in writers:
        t.join()
    assert all(s in bodies for s in seen)


def test_memory_cache_is_an_lru() -> None:
    cache = MemoryCache(max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert cache.get("b") is None
    assert cache.get("a") == 1 and cache.get("c") == 3
    assert len(cache) == 2
