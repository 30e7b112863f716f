"""The collector pause around bulk record building (geo_nb._gcpause)."""

from __future__ import annotations

import gc
import threading
import weakref
from collections.abc import Iterator

import pytest

from geo_nb._gcpause import PROMOTES, paused_gc


@pytest.fixture(autouse=True)
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_pause_resumes_after_the_block_and_after_an_error() -> None:
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), paused_gc():
        raise KeyError("x")
    assert gc.isenabled()


def test_nested_pauses_resume_only_at_the_outermost() -> None:
    @paused_gc()
    def inner() -> bool:
        return gc.isenabled()

    with paused_gc():
        assert inner() is False
        assert not gc.isenabled()  # the inner pause ending did not resume it
    assert gc.isenabled()


def test_a_collector_the_user_turned_off_stays_off() -> None:
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_overlapping_pauses_in_two_threads() -> None:
    inside, release = threading.Event(), threading.Event()
    seen: list[bool] = []

    def worker() -> None:
        with paused_gc():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    assert inside.wait(5)
    with paused_gc():
        pass
    seen.append(gc.isenabled())  # the worker still pauses it
    release.set()
    thread.join(5)
    assert seen == [False] and gc.isenabled()


class _Node:
    me: object = None


needs_promotion = pytest.mark.skipif(
    not PROMOTES, reason="no promotion here (Python 3.14+ or a free-threaded build)"
)


@needs_promotion
def test_what_a_bulk_build_built_is_old_when_its_pause_ends() -> None:
    """No young collection walks the records a ``promote=True`` pause built: they are in
    the oldest generation, and the young generation's count starts again from zero."""
    with paused_gc(promote=True), paused_gc():
        built = [_Node() for _ in range(5000)]
    assert gc.get_count()[0] < 700
    old = {id(o) for o in gc.get_objects(generation=2)}
    assert all(id(node) in old for node in built[:100])


def test_plain_pauses_leave_garbage_cycles_to_young_collections() -> None:
    """Pauses end often (every parse, every frame): if each promoted, the young count
    would keep restarting and no cycle would be collected until a full collection."""
    refs = []
    for _ in range(3000):
        with paused_gc():
            pass
        node = _Node()
        node.me = node
        refs.append(weakref.ref(node))
        del node
        _ = [[] for _ in range(5)]  # allocations, which start young collections
    assert sum(ref() is not None for ref in refs) < 1000


@needs_promotion
def test_objects_the_user_froze_stay_frozen() -> None:
    """A process that froze objects itself (a pre-fork server) keeps them frozen."""
    mine = _Node()
    gc.freeze()
    try:
        with paused_gc(promote=True):
            built = _Node()
        tracked = {id(o) for o in gc.get_objects()}  # every generation but the frozen
        assert id(mine) not in tracked  # still frozen
        assert id(built) not in {id(o) for o in gc.get_objects(generation=2)}  # still young
    finally:
        gc.unfreeze()
    assert id(mine) in {id(o) for o in gc.get_objects()}


def test_warm_fetch_leaves_the_collector_on(geo_env: object) -> None:
    import geo_nb

    geo_nb.fetch(["GSE146537"], progress=False)
    geo_nb.fetch(["GSE146537"], progress=False)  # from the caches
    assert gc.isenabled()
