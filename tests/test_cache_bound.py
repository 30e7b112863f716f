"""The disk cache is bounded: least recently used entries go, readers never lose data."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import geo_nb
from geo_nb.errors import ConfigError
from geo_nb.ncbi.cache import DiskCache, cache_key
from geo_nb.testing import NCBIEmulator

KIB = 1024


def body(i: int, size: int = 20 * KIB) -> bytes:
    """Incompressible bytes, so entry sizes on disk are predictable."""
    return os.urandom(size)


def test_writes_over_the_bound_evict_the_least_recently_used(tmp_path: Path) -> None:
    cache = DiskCache(tmp_path, ttl_days=7, max_bytes=400 * KIB)
    keys = [cache_key("t", f"u{i}") for i in range(30)]
    for i, key in enumerate(keys[:10]):
        cache.put(key, body(i), url=f"u{i}")
        os.utime(cache.path(key), (time.time() - 1000 + i, time.time() - 1000 + i))
    for i, key in enumerate(keys[10:], 10):
        assert cache.get(keys[0]) is not None  # reading marks the oldest entry as used
        cache.put(key, body(i), url=f"u{i}")
    info = cache.info()
    assert info.bytes <= 400 * KIB and info.entries < 30
    assert cache.get(keys[0]) is not None  # used recently: kept
    assert cache.get(keys[1]) is None  # never used since written long ago: evicted first
    assert cache.get(keys[-1]) is not None  # just written: kept


def test_cache_info_and_clear_cache(geo_env: NCBIEmulator, tmp_path: Path) -> None:
    geo_nb.fetch(["GSE100494", "GSE146537"], progress=False)
    info = geo_nb.cache_info()
    assert info.entries > 4 and info.bytes > 0 and info.max_bytes == 2 * 1024**3
    assert info.oldest is not None and info.newest is not None and info.oldest <= info.newest
    files = Path(geo_nb.Settings().cache_dir) / "files" / "kept.txt"
    files.parent.mkdir(parents=True)
    files.write_text("a user's file")
    assert geo_nb.clear_cache(older_than="1h") == 0  # everything was used just now
    assert geo_nb.clear_cache(older_than=dt.timedelta(seconds=0)) == info.entries
    assert geo_nb.cache_info().entries == 0
    assert files.read_text() == "a user's file"  # downloads for the user are not entries
    with pytest.raises(ConfigError, match="is not an age"):
        geo_nb.clear_cache(older_than="soon")


def test_settings_take_the_bound_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEO_NB_CACHE_MAX_BYTES", str(50 * 1024**2))
    assert geo_nb.Settings().cache_max_bytes == 50 * 1024**2
    monkeypatch.setenv("GEO_NB_CACHE_MAX_BYTES", "12")
    with pytest.raises(ConfigError, match="GEO_NB_CACHE_MAX_BYTES"):
        geo_nb.Settings()


EVICTOR = textwrap.dedent(
    """
    import os, sys, time
    from geo_nb.ncbi.cache import DiskCache, cache_key
    cache = DiskCache(sys.argv[1], ttl_days=7, max_bytes=int(sys.argv[2]))
    stop = os.path.join(sys.argv[1], "stop")
    give_up = time.time() + 90
    i = 0
    while not os.path.exists(stop) and time.time() < give_up:
        cache.put(cache_key("w", f"{os.getpid()}-{i}"), os.urandom(16384), url="w")
        cache.evict()
        i += 1
    print(i)
    """
)
READER = textwrap.dedent(
    """
    import os, sys, time
    from geo_nb.ncbi.cache import DiskCache, cache_key
    cache = DiskCache(sys.argv[1], ttl_days=7, max_bytes=1 << 40)
    expected = {cache_key("r", f"r{i}"): (f"reader entry {i} " * 800).encode() for i in range(40)}
    for key, value in expected.items():
        cache.put(key, value, url="r")
    # Read until the evictors have taken entries away many times (or give up after 90 s),
    # then tell them to stop.
    give_up = time.time() + 90
    hits = misses = 0
    while misses < 50 and time.time() < give_up:
        for key, value in expected.items():
            got = cache.get(key)
            if got is None:
                misses += 1
                cache.put(key, value, url="r")  # what a client does: refetch, store again
            elif got != value:
                raise SystemExit(f"wrong bytes for {key}")
            else:
                hits += 1
    open(os.path.join(sys.argv[1], "stop"), "w").close()
    print(hits, misses)
    """
)


def test_two_processes_evicting_never_hurt_a_reader(tmp_path: Path) -> None:
    """Two writers evict under a small bound while a third process reads and checks."""
    bound = str(300 * KIB)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}

    def start(code: str, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-c", code, str(tmp_path), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    reader = start(READER)
    writers = [start(EVICTOR, bound) for _ in range(2)]
    outputs = [p.communicate(timeout=150) for p in [reader, *writers]]
    for process, (_, err) in zip([reader, *writers], outputs, strict=True):
        assert process.returncode == 0, err
        assert "Traceback" not in err and "corrupt" not in err, err
    hits, misses = map(int, outputs[0][0].split())
    # The evictors did take the reader's entries away (50 times on an idle machine; a loaded
    # CI machine managed 18 in 60 s), and every entry read back had its own bytes.
    assert hits > 0 and misses >= 5
    assert sum(int(out) for out, _ in outputs[1:]) > 20
    final = DiskCache(tmp_path, ttl_days=7, max_bytes=300 * KIB)
    final.evict()
    assert final.info().bytes <= 300 * KIB
    assert list(final.root.rglob(".tmp-*")) == []
