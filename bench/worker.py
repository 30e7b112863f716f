"""One benchmark measurement in a fresh process; prints its result as one JSON line.

``python bench/worker.py '<task as JSON>'``. Every measurement runs in a process of
its own so that none inherits another's caches, warmed imports, open connections or
rate-limiter state. Heavy modules are imported inside the tasks, after the baseline
of the parse task is taken, so the parent's timing never includes them unless a
task says so. Tasks (the ``task`` field):

* ``fetch``: ``geo_nb.fetch`` of ``accessions`` with ``cache_dir``, ``files`` and
  ``concurrency``, repeated ``repeat`` times in this process (the first run is cold,
  or warm from disk when ``cache_dir`` was filled by an earlier process; the later
  ones are warm from the memory cache), then ``handler_repeat`` more warm runs with a
  Python SIGINT handler installed (a diagnostic, see RESULTS.md). Only the ``fetch``
  call is timed; ``frames_seconds`` is the time to build the DataFrames afterwards.
* ``raw``: the same acc.cgi requests with plain httpx and a semaphore: no parsing,
  no caches, no limiter (the transport's ceiling on this machine).
* ``geoparse``: GEOparse ``get_GEO(geo=acc, destdir=..., how="full")`` for each
  accession, one after the other (``mode=sequential``) or in a
  ``ThreadPoolExecutor(threads)`` (``mode=threads``). The parent sets
  ``GEOPARSE_USE_HTTP_FOR_FTP=yes`` and ``http_proxy`` in this process' environment.
* ``parse``: one family SOFT file parsed by ``geo_nb`` (``iter_soft_file`` +
  ``convert_entities``) or ``geoparse`` (``GEOparse.GEOparse.parse_GSE``): wall and
  CPU seconds, and the peak RSS above the RSS after the imports (Linux: ``VmHWM``
  after parsing minus ``VmRSS`` after the imports, the high-water mark being reset to
  the current RSS after the imports; see ``_memory`` for why not ``ru_maxrss``).
* ``search``: ``geo_nb.search(term, max_results=None)``.
* ``fetch_evidence`` and ``gzip_lines``: evidence for the findings in RESULTS.md.
"""

from __future__ import annotations

import gc
import json
import resource
import signal
import sys
import time
from pathlib import Path
from typing import IO, Any


def _settings(task: dict[str, Any]) -> Any:
    import geo_nb

    base = task["base"]
    return geo_nb.Settings(
        eutils_url=f"{base}/entrez/eutils",
        acc_url=f"{base}/geo/query/acc.cgi",
        ftp_url=f"{base}/geo",
        cache_dir=task["cache_dir"],
        max_concurrency=task.get("concurrency", 10),
    )


def fetch(task: dict[str, Any]) -> dict[str, Any]:
    """Timed ``geo_nb.fetch`` runs in one process (the first cold or warm-disk)."""
    import geo_nb

    settings = _settings(task)
    accessions: list[str] = task["accessions"]

    def timed() -> dict[str, Any]:
        started = time.perf_counter()
        cpu = time.process_time()
        res = geo_nb.fetch(
            accessions,
            settings=settings,
            files=task["files"],
            progress=False,
            offline=task.get("offline", False),
        )
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
        frames = time.perf_counter()
        counts = {"series": len(res.series), "samples": len(res.samples)}
        counts |= {"files": len(res.files), "errors": len(res.errors)}
        return {
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "frames_seconds": time.perf_counter() - frames,
            **counts,
            "error_kinds": sorted(set(res.errors.kind)) if len(res.errors) else [],
        }

    runs = [timed() for _ in range(task.get("repeat", 1))]
    handler_runs = []
    if task.get("handler_repeat"):
        # Diagnostic: with a Python SIGINT handler in place, asyncio.run does not install
        # its own, and so never computes repr(task) (see RESULTS.md, findings).
        signal.signal(signal.SIGINT, _interrupt)
        handler_runs = [timed() for _ in range(task["handler_repeat"])]
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return {"runs": runs, "handler_runs": handler_runs}


def _interrupt(signum: int, frame: Any) -> None:
    """A SIGINT handler that behaves like the default one."""
    raise KeyboardInterrupt


def raw(task: dict[str, Any]) -> dict[str, Any]:
    """The acc.cgi requests of a fetch, sent with plain httpx (no parsing, no limiter)."""
    import asyncio

    import httpx

    base, accessions, concurrency = task["base"], task["accessions"], task["concurrency"]

    async def run() -> float:
        semaphore = asyncio.Semaphore(concurrency)
        limits = httpx.Limits(max_connections=concurrency + 5)
        async with httpx.AsyncClient(limits=limits, trust_env=False) as client:

            async def one(accession: str) -> None:
                async with semaphore:
                    params = {"acc": accession, "targ": "all", "form": "text", "view": "brief"}
                    response = await client.get(f"{base}/geo/query/acc.cgi", params=params)
                    response.raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(one(a) for a in accessions))
            return time.perf_counter() - started

    return {"seconds": asyncio.run(run())}


def geoparse(task: dict[str, Any]) -> dict[str, Any]:
    """GEOparse ``get_GEO`` of every accession, sequentially or in a thread pool."""
    import logging
    from concurrent.futures import ThreadPoolExecutor

    import GEOparse

    logging.getLogger("GEOparse").setLevel(logging.ERROR)
    destdir: str = task["destdir"]

    def one(accession: str) -> tuple[int, int]:
        gse = GEOparse.get_GEO(geo=accession, destdir=destdir, how="full", silent=True)
        return len(gse.gsms), sum(len(gsm.table) for gsm in gse.gsms.values())

    started = time.perf_counter()
    cpu = time.process_time()
    if task["mode"] == "sequential":
        results = [one(a) for a in task["accessions"]]
    else:
        with ThreadPoolExecutor(task["threads"]) as pool:
            results = list(pool.map(one, task["accessions"]))
    return {
        "seconds": time.perf_counter() - started,
        "cpu_seconds": time.process_time() - cpu,
        "series": len(results),
        "samples": sum(n for n, _ in results),
        "table_rows": sum(rows for _, rows in results),
    }


def parse(task: dict[str, Any]) -> dict[str, Any]:
    """Parse one family SOFT file; peak RSS is measured above the post-import baseline."""
    tool, path = task["tool"], task["path"]
    if tool == "geo_nb":
        from geo_nb.parse.convert import convert_entities
        from geo_nb.parse.soft import iter_soft_file
    else:
        import logging

        import GEOparse

        logging.getLogger("GEOparse").setLevel(logging.ERROR)
    gc.collect()
    reset = _reset_peak_rss()
    baseline = _memory()
    started = time.perf_counter()
    cpu = time.process_time()
    if tool == "geo_nb":
        series, samples, platforms = convert_entities(iter_soft_file(path), lambda url: url)
        counts = {"series": len(series), "samples": len(samples), "platforms": len(platforms)}
        counts["table_rows"] = sum(s.data_row_count or 0 for s in samples)
    else:
        gse = GEOparse.GEOparse.parse_GSE(path, {})
        counts = {"series": 1, "samples": len(gse.gsms), "platforms": len(gse.gpls)}
        counts["table_rows"] = sum(len(gsm.table) for gsm in gse.gsms.values())
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu
    peak = _memory()
    return {
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "memory_source": peak["source"],
        "baseline_rss_mib": baseline["rss_kib"] / 1024,
        "peak_rss_delta_mib": (peak["peak_kib"] - baseline["rss_kib"]) / 1024,
        "peak_reset_after_imports": reset,
        "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **counts,
    }


def _memory() -> dict[str, Any]:
    """Current RSS and peak RSS (KiB) of this process.

    Linux: ``VmRSS`` and ``VmHWM`` from ``/proc/self/status``. ``ru_maxrss`` is not
    used there: Linux carries the high-water mark of the forking parent across
    ``exec``, so a child of a 120 MiB parent reports at least 120 MiB. Elsewhere:
    ``ru_maxrss`` for both.
    """
    try:
        status = Path("/proc/self/status").read_text(encoding="ascii")
    except OSError:
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return {"source": "ru_maxrss", "rss_kib": maxrss, "peak_kib": maxrss}
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    rss, peak = (int(fields[k].split()[0]) for k in ("VmRSS", "VmHWM"))
    return {"source": "VmHWM", "rss_kib": rss, "peak_kib": peak}


def _reset_peak_rss() -> bool:
    """Reset the peak RSS to the current RSS (Linux ``clear_refs`` 5), if allowed.

    Without the reset, a peak reached while importing pandas could hide a smaller one
    reached while parsing.
    """
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
    except OSError:
        return False
    return True


def fetch_evidence(task: dict[str, Any]) -> dict[str, Any]:
    """Diagnostics for RESULTS.md's findings (geo_nb's behaviour is not changed).

    Cold fetches with ``GEOClient._digest`` (check, parse, convert, cache one acc.cgi
    answer) and its parts timed (summed over the runs as shipped), alternately as shipped
    (answers under 512 kB digested on the event loop) and with every answer digested
    in a worker thread (``_DIGEST_IN_THREAD = 0``);
    then a cProfile of one warm fetch, for the share of ``GEOResult.__repr__``.
    """
    import cProfile
    import pstats
    import threading

    import geo_nb
    from geo_nb import client
    from geo_nb.ncbi.cache import DiskCache, memory_cache

    accessions: list[str] = task["accessions"]
    digests: list[tuple[float, bool]] = []
    original = client.GEOClient._digest

    def timed_digest(self: Any, *args: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(self, *args)
        finally:
            on_loop = threading.current_thread() is threading.main_thread()
            digests.append((time.perf_counter() - started, on_loop))

    client.GEOClient._digest = timed_digest
    parts: dict[str, dict[str, float]] = {}
    timing_on = [False]
    originals = {
        "check_soft": client.check_soft,
        "parse_soft": client.parse_soft,
        "convert_entities": client.convert_entities,
    }

    def timing(name: str, function: Any) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter(), time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                if timing_on[0]:
                    part = parts.setdefault(name, {"wall_s": 0.0, "cpu_s": 0.0})
                    part["wall_s"] += time.perf_counter() - started
                    part["cpu_s"] += time.thread_time() - cpu

        return timed

    for name, function in originals.items():
        setattr(client, name, timing(name, function))
    put = DiskCache.put
    DiskCache.put = timing("cache_put", put)
    shipped = client._DIGEST_IN_THREAD
    runs: dict[str, list[dict[str, Any]]] = {"on_loop": [], "in_thread": []}
    for index in range(2 * task.get("pairs", 2)):
        mode = "on_loop" if index % 2 == 0 else "in_thread"
        client._DIGEST_IN_THREAD = shipped if mode == "on_loop" else 0
        # Parts are timed on the loop only: in threads, wall time would include GIL waits.
        timing_on[0] = mode == "on_loop"
        memory_cache.clear()
        digests.clear()
        time.sleep(1.1)  # the process-wide acc.cgi limiter forgets the previous run
        settings = _settings({**task, "cache_dir": f"{task['cache_dir']}/{index}"})
        started = time.perf_counter()
        geo_nb.fetch(accessions, settings=settings, files=False, progress=False)
        seconds = time.perf_counter() - started
        durations = [d for d, _ in digests]
        runs[mode].append(
            {
                "seconds": seconds,
                "digests": len(durations),
                "digest_total_s": sum(durations),
                "digest_on_loop_total_s": sum(d for d, on_loop in digests if on_loop),
                "digest_mean_ms": 1000 * sum(durations) / max(len(durations), 1),
                "digest_max_ms": 1000 * max(durations, default=0.0),
            }
        )
    client._DIGEST_IN_THREAD = shipped
    client.GEOClient._digest = original
    for name, function in originals.items():
        setattr(client, name, function)
    DiskCache.put = put

    settings = _settings({**task, "cache_dir": f"{task['cache_dir']}/0"})
    geo_nb.fetch(accessions, settings=settings, files=False, progress=False)
    profile = cProfile.Profile()
    profile.enable()
    geo_nb.fetch(accessions, settings=settings, files=False, progress=False)
    profile.disable()
    stats = pstats.Stats(profile)
    found: dict[str, Any] = {"calls": 0, "cumulative_seconds": 0.0, "callers": []}
    for (path, _, name), row in stats.stats.items():  # type: ignore[attr-defined]
        if name == "__repr__" and path.endswith("result.py"):
            calls, _, _, cumulative, callers = row
            found = {
                "calls": calls,
                "cumulative_seconds": cumulative,
                "callers": sorted(caller[2] for caller in callers),
            }
    return {
        "digest_runs": runs,
        "digest_parts_s": parts,
        "profiled_seconds": stats.total_tt,  # type: ignore[attr-defined]
        "geo_result_repr": found,
    }


def gzip_lines(task: dict[str, Any]) -> dict[str, Any]:
    """CPU seconds to iterate the lines of a file: plain, and gzip'ed read three ways."""
    import gzip
    import io
    import statistics

    plain: str = task["plain"]
    packed: str = task["gzip"]

    def reader(kind: str) -> IO[Any] | gzip.GzipFile:
        if kind == "plain":
            return open(plain, "rb")
        if kind == "gzip_rb":
            return gzip.open(packed, "rb")
        if kind == "buffered":
            return io.BufferedReader(gzip.open(packed, "rb"))
        return gzip.open(packed, "rt", errors="ignore")

    labels = {
        "plain": "open(plain, 'rb')",
        "gzip_rb": "gzip.open(gz, 'rb') [geo_nb's iter_soft_file]",
        "buffered": "io.BufferedReader(gzip.open(gz, 'rb'))",
        "text": "gzip.open(gz, 'rt') [GEOparse]",
    }
    out = {}
    for kind, label in labels.items():
        times = []
        for _ in range(3):
            cpu = time.process_time()
            with reader(kind) as handle:
                for _line in handle:
                    pass
            times.append(time.process_time() - cpu)
        out[label] = statistics.median(times)
    return {"cpu_seconds": out}


def search(task: dict[str, Any]) -> dict[str, Any]:
    """``geo_nb.search`` of every hit of ``term``."""
    import geo_nb

    settings = _settings(task)
    started = time.perf_counter()
    hits = geo_nb.search(task["term"], max_results=None, settings=settings, progress=False)
    return {
        "seconds": time.perf_counter() - started,
        "hits": len(hits),
        "count": int(hits.attrs["count"]),
        "unique": bool(hits.accession.is_unique),
    }


TASKS = {
    "fetch": fetch,
    "raw": raw,
    "geoparse": geoparse,
    "parse": parse,
    "search": search,
    "fetch_evidence": fetch_evidence,
    "gzip_lines": gzip_lines,
}


def main() -> None:
    task = json.loads(sys.argv[1])
    result = TASKS[task["task"]](task)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
