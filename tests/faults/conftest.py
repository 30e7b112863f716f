"""Fixtures of the fault-injection suite.

Every test starts with an empty parsed-record cache, fresh process-wide rate
limiters (a 429 in one test must not hold the next one back) and a seeded
``random`` (the retry jitter), so runs are as repeatable as threads allow.
After each test, every cache dir under its ``tmp_path`` must hold only whole,
verified entries and no temporary file. Hypothesis stores its caches in the
temp dir, not in the checkout.
"""

from __future__ import annotations

import os
import random
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from geo_nb.ncbi import ratelimit as _ratelimit
from geo_nb.ncbi.cache import memory_cache
from tests.faults._support import assert_cache_sound, temp_leftovers

# Hypothesis keeps caches in ./.hypothesis even with database=None; keep the checkout clean.
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "geo_nb-faults-hypothesis")


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest) -> Iterator[None]:
    tmp_path: Path | None = None
    if "tmp_path" in request.fixturenames:
        tmp_path = request.getfixturevalue("tmp_path")
    memory_cache.clear()
    random.seed(20261129)
    with _ratelimit._registry_lock:
        _ratelimit._registry.clear()
    yield
    memory_cache.clear()
    with _ratelimit._registry_lock:
        _ratelimit._registry.clear()
    # Whatever a test did, every cache dir it used ends whole and verified.
    for root in tmp_path.rglob("responses-v1") if tmp_path else ():
        assert_cache_sound(root.parent)
        assert temp_leftovers(root.parent) == [], root
