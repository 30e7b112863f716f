"""geo_nb's benchmark suite: every benchmark, side by side, in one run.

``python bench/run.py`` starts the NCBI emulator in its own process (``bench/serve.py``:
``--latency`` seconds before every response, ``--bandwidth`` bytes/s per connection),
runs each measurement in a fresh process (``bench/worker.py``) and writes
``bench/RESULTS.md`` (a table per benchmark with targets, PASS/MISS and an
interpretation) and ``bench/out/results.json`` (every raw number).

1. Metadata throughput: geo_nb ``fetch`` of 100 series (50 sequencing-style, 50
   array-style with 12 x 20,000-row tables in their family SOFT), against GEOparse
   ``get_GEO`` of the family SOFT one after the other and in a thread pool, plus plain
   httpx sending geo_nb's requests (the transport's ceiling); then the same mix with
   the array tables at 0, 5,000, 20,000 and 50,000 rows. Why: getting the metadata of
   many series is geo_nb's main job, and the family SOFT is how people get it today.
2. Search: 2,000 hits summarised under the E-utilities limit the emulator enforces.
   Why: a big search must be fast and must never earn a 429 from NCBI.
3. Parsing: geo_nb's streaming SOFT reader against GEOparse on family files of ~1, 20
   and 300 MB: CPU and wall seconds and peak memory, each in a fresh process. Why: the
   reader is meant to cost little time and flat memory on files of any size.
4. Cache: the fetch of benchmark 1 cold, warm from memory, warm from disk. Why: a
   notebook re-runs its cells; a repeated fetch should cost next to nothing.
5. Import time: ``import geo_nb`` against ``import pandas``. Why: it is paid by every
   script and kernel start.
6. File inventory and a resumed download (``bench/inventory.py``, run as is): kept
   from the earlier benchmark scripts, no target.
7. Metadata with acc.cgi challenged (``bench/fallback.py``, run as is): 100 series from
   GEO's FTP tree against the same harness floor, and the circuit breaker's cost.
8. Reading matrices (``bench/matrices.py``): a 30 MB 10x matrix and a 40,000 x 100
   counts table, geo_nb's readers against scipy, fast_matrix_market, scanpy, pandas
   and anndata. Why: ``res.to_anndata`` and ``res.counts`` should read no slower than
   the best of them.
9. SRA runs of 20 sequencing series (``bench/runs.py``, run as is): geo_nb against the
   same requests sent bare and against one request per sample (pysradb, geofetch).

``--quick`` runs everything at toy sizes to check the suite itself; its report goes
to ``bench/out/RESULTS.quick.md`` and ``RESULTS.md`` is left alone.

Run: python bench/run.py [--reps 3] [--latency 0.25] [--bandwidth 4e6] [--quick]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import IO, Any

# bench/ is not a package: these are its sibling scripts (sys.path[0] when run as a script).
from report import render, targets
from serve import reference_table

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
PYTHON = sys.executable
SWEEP_ROWS = (0, 5_000, 20_000, 50_000)
MAIN_ROWS = 20_000
PARSE_SAMPLES = {"small": 2, "20MB": 40, "300MB": 600}
PARSE_ROWS = 20_000
# Every measurement is bounded; a stuck worker fails the run instead of hanging it.
WORKER_TIMEOUT = 600.0

Json = dict[str, Any]


def log(message: str) -> None:
    """Progress on stderr (the results go to files)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def median(values: list[float]) -> float:
    """The median (the middle run of an odd number of runs)."""
    return float(statistics.median(values))


# ---- processes ---------------------------------------------------------------------------


def _run(args: list[str], what: str, env: dict[str, str] | None = None) -> str:
    """Run a bench script in a fresh process without proxy variables; return its stdout."""
    process_env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
    process_env.update(env or {})
    done = subprocess.run(
        [PYTHON, *args],
        capture_output=True,
        text=True,
        env=process_env,
        timeout=WORKER_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def worker(task: Json, env: dict[str, str] | None = None) -> Json:
    """Run one measurement in a fresh ``bench/worker.py`` process; returns its JSON."""
    out = _run([str(BENCH / "worker.py"), json.dumps(task)], f"worker {task['task']}", env)
    result: Json = json.loads(out.strip().splitlines()[-1])
    return result


_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


class Emulator:
    """``bench/serve.py`` (or another bench ``script`` serving the same way) in its own
    process, with its stdin/stdout command channel."""

    def __init__(self, args: list[str], script: str = "serve.py") -> None:
        env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
        self.process = subprocess.Popen(
            [PYTHON, str(BENCH / script), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.facts: Json = {}

    def _pipes(self) -> tuple[IO[str], IO[str]]:
        stdin, stdout = self.process.stdin, self.process.stdout
        if stdin is None or stdout is None:
            raise RuntimeError("the emulator's pipes are closed")
        return stdin, stdout

    def wait_ready(self) -> Json:
        """Block until the emulator serves; returns what it built."""
        _, stdout = self._pipes()
        line = stdout.readline()
        if not line:
            raise RuntimeError("the emulator exited before serving (see its stderr above)")
        self.facts = json.loads(line)
        return self.facts

    @property
    def base(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return str(self.facts["ready"])

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.base.rsplit(":", 1)[1])

    def command(self, command: str) -> Json:
        """Send ``clear`` or ``stats``; returns the answer."""
        stdin, stdout = self._pipes()
        stdin.write(command + "\n")
        stdin.flush()
        answer: Json = json.loads(stdout.readline())
        return answer

    def close(self) -> None:
        """Ask it to quit; terminate (then kill) it if it does not."""
        if self.process.poll() is None:
            try:
                stdin, _ = self._pipes()
                stdin.write("quit\n")
                stdin.flush()
                self.process.wait(timeout=10)
            except (OSError, subprocess.TimeoutExpired, RuntimeError):
                self.process.terminate()
                try:
                    self.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self.process.kill()
                    self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()


@contextmanager
def emulator(args: list[str]) -> Iterator[Emulator]:
    """An :class:`Emulator` that is always stopped."""
    emu = Emulator(args)
    try:
        yield emu
    finally:
        emu.close()


# ---- facts ---------------------------------------------------------------------------


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip()


def machine_facts() -> Json:
    """Cores, CPU, memory, Python and package versions, load, commit."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem = next(
        (
            int(line.split()[1]) // 1024
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal")
        ),
        0,
    )
    versions = {}
    for name in ("geo_nb", "GEOparse", "pandas", "numpy", "httpx", "pydantic", "requests"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cores": affinity,
        "cpu_model": cpu,
        "memory_mib": mem,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "versions": versions,
        "load_average_start": [round(x, 2) for x in os.getloadavg()],
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain")),
    }


# ---- 1. metadata throughput and 4. cache ---------------------------------------------


def interleave(first: list[str], second: list[str]) -> list[str]:
    """``[a0, b0, a1, b1, ...]``: the mix alternates sequencing- and array-style series."""
    return [acc for pair in zip(first, second, strict=True) for acc in pair]


def geoparse_run(emu: Emulator, tmp: Path, accessions: list[str], mode: str, threads: int) -> Json:
    """GEOparse through the emulator as an HTTP proxy; checks the emulator saw it all."""
    destdir = Path(tempfile.mkdtemp(prefix="geoparse-", dir=tmp))
    env = {"GEOPARSE_USE_HTTP_FOR_FTP": "yes", "http_proxy": f"http://127.0.0.1:{emu.port}"}
    emu.command("clear")
    try:
        result = worker(
            {
                "task": "geoparse",
                "mode": mode,
                "threads": threads,
                "accessions": accessions,
                "destdir": str(destdir),
            },
            env=env,
        )
    finally:
        shutil.rmtree(destdir, ignore_errors=True)
    stats = emu.command("stats")
    family = stats["family_files"]
    result["emulator"] = family
    result["via_emulator"] = (
        family["requests"] == len(accessions)
        and family["complete"] == len(accessions)
        and family["host_headers"] == {"ftp.ncbi.nlm.nih.gov": len(accessions)}
    )
    if not result["via_emulator"]:
        raise RuntimeError(f"GEOparse did not fetch every family file via the emulator: {stats}")
    return result


def fetch_run(emu: Emulator, task: Json) -> Json:
    """One ``fetch`` worker, with what the emulator saw during it."""
    emu.command("clear")
    result = worker({"task": "fetch", "base": emu.base, **task})
    stats = emu.command("stats")
    result["emulator"] = {
        "by_service": stats["by_service"],
        "statuses": stats["statuses"],
        "acc_timeline": stats["acc_timeline"],
    }
    first = result["runs"][0]
    if first["errors"] or first["series"] != len(task["accessions"]):
        raise RuntimeError(f"incomplete fetch: {first}")
    return result


def raw_run(emu: Emulator, accessions: list[str], concurrency: int) -> Json:
    """Plain httpx sending the same acc.cgi requests."""
    emu.command("clear")
    task = {"task": "raw", "base": emu.base, "accessions": accessions}
    result = worker({**task, "concurrency": concurrency})
    result["emulator"] = {"acc_timeline": emu.command("stats")["acc_timeline"]}
    return result


def bench_throughput(emu: Emulator, tmp: Path, cfg: argparse.Namespace) -> Json:
    """Benchmarks 1 and 4: the 100-series mix, every approach, and the cache."""
    sets = emu.facts["sets"]
    accessions = interleave(sets["seq"], sets[f"array_{MAIN_ROWS}"])
    concurrency = cfg.concurrency
    raws, colds, warm_memory, warm_disk, handler_memory, files_true = [], [], [], [], [], []
    warm_start: list[Json] = []
    from_catalog: list[Json] = []
    threads = []
    common = {"accessions": accessions, "concurrency": concurrency, "files": False}
    # Competitors alternate within each repetition, so that the machine's load drifts
    # over all of them alike.
    for rep in range(max(cfg.reps, cfg.geoparse_reps)):
        if rep < cfg.reps:
            log(f"throughput rep {rep + 1}: plain httpx; geo_nb cold, warm, files=True")
            raws.append(raw_run(emu, accessions, concurrency))
            cache = tempfile.mkdtemp(prefix="cache-", dir=tmp)
            cold = fetch_run(emu, {**common, "cache_dir": cache, "repeat": 1 + cfg.warm_runs})
            colds.append(cold["runs"][0] | {"emulator": cold["emulator"]})
            warm_memory += [run["seconds"] for run in cold["runs"][1:]]
            # New processes vary by tens of ms with the machine's load: several per rep.
            for started in range(cfg.new_processes):
                handlers = cfg.warm_runs if started == 0 else 0
                disk = fetch_run(
                    emu,
                    {**common, "cache_dir": cache, "repeat": 1, "handler_repeat": handlers},
                )
                warm_disk.append(disk["runs"][0] | {"emulator": disk["emulator"]})
                handler_memory += [run["seconds"] for run in disk["handler_runs"]]
                if disk["emulator"]["by_service"]:
                    raise RuntimeError(f"the warm-disk fetch sent requests: {disk['emulator']}")
            shutil.rmtree(cache, ignore_errors=True)
            cache = tempfile.mkdtemp(prefix="cache-", dir=tmp)
            with_files = fetch_run(emu, {**common, "files": True, "cache_dir": cache})
            files_true.append(with_files["runs"][0] | {"emulator": with_files["emulator"]})
            for _ in range(cfg.new_processes):
                # Warm start: a new process, the same cache, metadata and inventory.
                started = fetch_run(emu, {**common, "files": True, "cache_dir": cache})
                warm_start.append(started["runs"][0] | {"emulator": started["emulator"]})
                if started["emulator"]["by_service"]:
                    raise RuntimeError(f"the warm start sent requests: {started['emulator']}")
                # The same, answered by the catalog (fetch(..., offline=True)): no caches.
                cataloged = fetch_run(
                    emu, {**common, "files": True, "cache_dir": cache, "offline": True}
                )
                from_catalog.append(cataloged["runs"][0] | {"emulator": cataloged["emulator"]})
                if cataloged["emulator"]["by_service"] or cataloged["runs"][0]["errors"]:
                    raise RuntimeError(f"the catalog fetch was not complete: {cataloged}")
            shutil.rmtree(cache, ignore_errors=True)
        if rep < cfg.geoparse_reps:
            log(f"throughput rep {rep + 1}: GEOparse in ThreadPoolExecutor({concurrency})")
            threads.append(geoparse_run(emu, tmp, accessions, "threads", concurrency))
    log("throughput: GEOparse sequential")
    sequential = [geoparse_run(emu, tmp, accessions, "sequential", 1)]
    n = len(accessions)
    ideal = concurrency / cfg.latency
    geo_s = median([r["seconds"] for r in colds])
    files_requests = median([sum(r["emulator"]["by_service"].values()) for r in files_true])
    return {
        "accessions": n,
        "mix": {"sequencing": len(sets["seq"]), "array": len(sets[f"array_{MAIN_ROWS}"])},
        "ideal_series_per_s": ideal,
        "raw_httpx": {"runs": raws, "seconds": median([r["seconds"] for r in raws])},
        "geo_nb": {"runs": colds, "seconds": geo_s},
        "geo_nb_files": {
            "runs": files_true,
            "seconds": median([r["seconds"] for r in files_true]),
            "requests": files_requests,
        },
        "geoparse_threads": {"runs": threads, "seconds": median([r["seconds"] for r in threads])},
        "geoparse_sequential": {"runs": sequential, "seconds": sequential[0]["seconds"]},
        "cache": {
            "cold_seconds": geo_s,
            "warm_memory_runs": warm_memory,
            "warm_memory_seconds": median(warm_memory),
            "warm_disk_runs": warm_disk,
            "warm_disk_seconds": median([r["seconds"] for r in warm_disk]),
            "warm_memory_sigint_handler_runs": handler_memory,
            "warm_memory_sigint_handler_seconds": median(handler_memory),
            "files_cold_seconds": median([r["seconds"] for r in files_true]),
            "warm_start_runs": warm_start,
            "warm_start_seconds": median([r["seconds"] for r in warm_start]),
            "catalog_runs": from_catalog,
            "catalog_seconds": median([r["seconds"] for r in from_catalog]),
        },
    }


def bench_sweep(emu: Emulator, tmp: Path, cfg: argparse.Namespace) -> Json:
    """How the geo_nb/GEOparse ratio grows with the array tables' size (smaller mix)."""
    sets = emu.facts["sets"]
    out: Json = {"series_per_point": 2 * cfg.sweep_series, "points": []}
    for rows in SWEEP_ROWS:
        log(f"table-size sweep: {rows} rows per sample table")
        seq = sets["seq"][: cfg.sweep_series]
        array = sets[f"array_{rows}"][: cfg.sweep_series]
        accessions = interleave(seq, array)
        colds = []
        for _ in range(cfg.reps):
            cache = tempfile.mkdtemp(prefix="cache-", dir=tmp)
            task = {"accessions": accessions, "concurrency": cfg.concurrency, "files": False}
            colds.append(fetch_run(emu, {**task, "cache_dir": cache, "repeat": 1})["runs"][0])
            shutil.rmtree(cache, ignore_errors=True)
        threads = geoparse_run(emu, tmp, accessions, "threads", cfg.concurrency)
        geo_s = median([r["seconds"] for r in colds])
        out["points"].append(
            {
                "rows": rows,
                "family_gz_bytes_array": emu.facts["family_gz_bytes"][f"array_{rows}"],
                "family_gz_bytes_seq": emu.facts["family_gz_bytes"]["seq"],
                "geo_nb_runs": [r["seconds"] for r in colds],
                "geo_nb_seconds": geo_s,
                "geoparse_threads": threads,
                "ratio": threads["seconds"] / geo_s,
            }
        )
    return out


# ---- 2. search -------------------------------------------------------------------------


def bench_search(emu: Emulator, tmp: Path, cfg: argparse.Namespace) -> Json:
    """2,000 hits summarised; requests, seconds, and the emulator's 429 count."""
    runs = []
    for rep in range(cfg.reps):
        log(f"search rep {rep + 1}/{cfg.reps}")
        # Each worker is a new process with its own limiter: keep the runs more than
        # one second apart so that NCBI's sliding window sees them separately.
        time.sleep(1.5)
        emu.command("clear")
        before = emu.command("stats")["rate_limit_violations_total"]
        cache = tempfile.mkdtemp(prefix="cache-", dir=tmp)
        result = worker(
            {"task": "search", "base": emu.base, "cache_dir": cache, "term": cfg.search_term}
        )
        shutil.rmtree(cache, ignore_errors=True)
        stats = emu.command("stats")
        result["requests"] = stats["eutils"]["requests"]
        result["bytes"] = stats["bytes_sent"]
        result["max_in_any_1s_window"] = stats["eutils"]["max_in_any_1s_window"]
        result["statuses"] = stats["statuses"]
        result["rate_limit_violations"] = stats["rate_limit_violations_total"] - before
        runs.append(result)
    return {
        "runs": runs,
        "hits": runs[0]["hits"],
        "seconds": median([r["seconds"] for r in runs]),
        "requests": median([r["requests"] for r in runs]),
        "bytes": median([r["bytes"] for r in runs]),
        "rate_limit_violations": sum(r["rate_limit_violations"] for r in runs),
        "max_in_any_1s_window": max(r["max_in_any_1s_window"] for r in runs),
    }


# ---- 3. parsing ------------------------------------------------------------------------


def build_parse_files(tmp: Path) -> dict[str, Path]:
    """Family SOFT files of ~1, 20 and 300 MB: GSE27011 resized, 20,000-row tables.

    Uncompressed ``.soft``, plus the 20 MB one gzip-compressed as one member (as GEO's).
    """
    from geo_nb.testing import DataStore
    from geo_nb.testing.families import FamilyBuilder, resize_series

    paths: dict[str, Path] = {}
    for label, samples in PARSE_SAMPLES.items():
        store = DataStore()
        resize_series(store, "GSE27011", samples, first_sample=80_000_001)
        builder = FamilyBuilder(store, reference_table(store.record("GSM11805")))
        path = tmp / f"parse_{label}_family.soft"
        builder.write(path, "GSE27011", PARSE_ROWS)
        paths[label] = path
        if label == "20MB":
            gz = tmp / f"parse_{label}_family.soft.gz"
            gz.write_bytes(gzip.compress(path.read_bytes(), compresslevel=6, mtime=0))
            paths["20MB.gz"] = gz
    return paths


def bench_parse(paths: dict[str, Path], cfg: argparse.Namespace) -> Json:
    """Each tool on each file in fresh processes, interleaved; medians."""
    out: Json = {}
    for label, path in paths.items():
        reps = 1 if label == "300MB" else cfg.reps
        log(f"parse {label} ({path.stat().st_size / 1e6:.1f} MB) x{reps}")
        runs: dict[str, list[Json]] = {"geo_nb": [], "geoparse": []}
        for _ in range(reps):
            for tool in runs:
                runs[tool].append(worker({"task": "parse", "tool": tool, "path": str(path)}))
        summary: Json = {"bytes": path.stat().st_size, "gzip": path.suffix == ".gz"}
        for tool, results in runs.items():
            summary[tool] = {
                "runs": results,
                "seconds": median([r["seconds"] for r in results]),
                "cpu_seconds": median([r["cpu_seconds"] for r in results]),
                "peak_rss_delta_mib": median([r["peak_rss_delta_mib"] for r in results]),
                "samples": results[0]["samples"],
                "table_rows": results[0]["table_rows"],
            }
        g, p = summary["geo_nb"], summary["geoparse"]
        summary["speedup_cpu"] = p["cpu_seconds"] / g["cpu_seconds"]
        summary["speedup_wall"] = p["seconds"] / g["seconds"]
        # RSS moves in pages: below 1 MiB, geo_nb's peak is counted as 1 MiB ("at least").
        summary["memory_ratio"] = p["peak_rss_delta_mib"] / max(g["peak_rss_delta_mib"], 1.0)
        summary["memory_ratio_is_lower_bound"] = g["peak_rss_delta_mib"] < 1.0
        out[label] = summary
    return out


# ---- 5. import time --------------------------------------------------------------------


def bench_import(cfg: argparse.Namespace) -> Json:
    """``import geo_nb`` against ``import pandas``, fresh interpreters, interleaved."""
    code = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"
    runs: dict[str, list[float]] = {"geo_nb": [], "pandas": []}
    for _ in range(cfg.import_reps):
        for module in runs:
            done = subprocess.run(
                [PYTHON, "-c", code.format(module)],
                capture_output=True,
                text=True,
                check=True,
                timeout=120,
            )
            runs[module].append(float(done.stdout.strip()))
    profile = subprocess.run(
        [PYTHON, "-X", "importtime", "-c", "import geo_nb"],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    rows = []
    for line in profile.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[0].strip().isdigit():
            rows.append((int(parts[0]), int(parts[1]), parts[2].strip()))
    top = sorted(rows, reverse=True)[:8]
    packages: dict[str, int] = {}
    for self_us, _, name in rows:
        root = name.split(".")[0]
        packages[root] = packages.get(root, 0) + self_us
    return {
        "runs": runs,
        "geo_nb_seconds": median(runs["geo_nb"]),
        "pandas_seconds": median(runs["pandas"]),
        "importtime_top_self_ms": [{"module": n, "self_ms": s / 1000} for s, _, n in top],
        "importtime_by_package_ms": {
            k: v / 1000 for k, v in sorted(packages.items(), key=lambda kv: -kv[1])[:8]
        },
    }


# ---- 6. inventory ----------------------------------------------------------------------


def bench_inventory(cfg: argparse.Namespace) -> Json:
    """``bench/inventory.py`` as is (it starts its own emulator)."""
    args = [str(BENCH / "inventory.py"), "--latency", str(cfg.latency)]
    out = _run([*args, "--bandwidth", str(cfg.bandwidth)], "bench/inventory.py")
    result: Json = json.loads(out)
    return result


# ---- 7. acc.cgi challenged --------------------------------------------------------------


def bench_fallback(cfg: argparse.Namespace) -> Json:
    """``bench/fallback.py`` (it starts its own emulator, acc.cgi challenged)."""
    args = [str(BENCH / "fallback.py"), "--json", "--latency", str(cfg.latency)]
    args += ["--bandwidth", str(cfg.bandwidth)]
    if cfg.quick:
        args += ["--series", "20", "--big", "2", "--big-mb", "5", "--reps", "1"]
    result: Json = json.loads(_run(args, "bench/fallback.py"))
    return result


# ---- 8. matrices ------------------------------------------------------------------------


def bench_matrices(cfg: argparse.Namespace) -> Json:
    """``bench/matrices.py --json`` (synthetic files, each reader in a fresh process)."""
    args = [str(BENCH / "matrices.py"), "--json", "--reps", str(cfg.reps)]
    out = _run([*args, *(["--quick"] if cfg.quick else [])], "bench/matrices.py")
    result: Json = json.loads(out.strip().splitlines()[-1])
    return result


# ---- 9. SRA runs --------------------------------------------------------------------


def bench_runs(cfg: argparse.Namespace) -> Json:
    """``bench/runs.py`` as is (it starts its own emulator)."""
    args = [str(BENCH / "runs.py"), "--json", "--latency", str(cfg.latency)]
    # Its runs take about a second each: more of them steady the medians on a busy machine.
    reps = cfg.reps if cfg.quick else max(cfg.reps, 5)
    args += ["--reps", str(reps), "--per-sample-series", "2" if cfg.quick else "4"]
    result: Json = json.loads(_run(args, "bench/runs.py"))
    return result


# ---- evidence for the findings ---------------------------------------------------------


def bench_evidence_fetch(emu: Emulator, tmp: Path, cfg: argparse.Namespace) -> Json:
    """Digest timings of cold fetches (on the loop / in a thread), a warm-fetch profile."""
    sets = emu.facts["sets"]
    accessions = interleave(sets["seq"], sets[f"array_{MAIN_ROWS}"])
    cache = tempfile.mkdtemp(prefix="cache-", dir=tmp)
    try:
        return worker(
            {
                "task": "fetch_evidence",
                "base": emu.base,
                "cache_dir": cache,
                "accessions": accessions,
                "concurrency": cfg.concurrency,
            }
        )
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def bench_evidence_gzip(paths: dict[str, Path]) -> Json:
    """CPU seconds to iterate the 20 MB family's lines, plain and gzip'ed, several ways."""
    return worker(
        {"task": "gzip_lines", "plain": str(paths["20MB"]), "gzip": str(paths["20MB.gz"])}
    )


# ---- main ------------------------------------------------------------------------------


def check_records_match_family(emu: Emulator) -> str:
    """acc.cgi's brief answer and the family file hold the same entities and attributes."""
    import httpx

    from geo_nb.parse.soft import parse_soft

    series = emu.facts["sets"][f"array_{MAIN_ROWS}"][0]
    with httpx.Client(trust_env=False, timeout=60) as client:
        params = {"acc": series, "targ": "all", "form": "text", "view": "brief"}
        brief = client.get(f"{emu.base}/geo/query/acc.cgi", params=params).content
        path = emu.facts["family_paths_example"][f"array_{MAIN_ROWS}"]
        family = gzip.decompress(client.get(f"{emu.base}/geo/{path}").content)

    def entities(body: bytes) -> dict[str, dict[str, list[str]]]:
        found = parse_soft(body)
        return {e.accession: e.attributes for e in found if e.kind != "DATABASE"}

    a, b = entities(brief), entities(family)
    if a != b:
        raise RuntimeError(f"acc.cgi and the family file of {series} differ")
    return f"yes ({series}: {len(a)} entities)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.25, help="seconds per request")
    parser.add_argument("--bandwidth", type=float, default=4e6, help="bytes/s per connection")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--series", type=int, default=50, help="of each style in the mix")
    parser.add_argument("--sweep-series", type=int, default=10, help="of each style per point")
    parser.add_argument("--reps", type=int, default=3, help="runs of the cheap measurements")
    parser.add_argument("--warm-runs", type=int, default=3, help="warm fetches per process")
    parser.add_argument(
        "--new-processes", type=int, default=3, help="warm new processes per rep and kind"
    )
    parser.add_argument("--geoparse-reps", type=int, default=3, help="thread-pool runs")
    parser.add_argument("--import-reps", type=int, default=5)
    parser.add_argument("--docsums", type=int, default=2000)
    parser.add_argument("--search-term", default="benchsynthetic")
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to test the suite")
    cfg = parser.parse_args()
    if cfg.quick:
        cfg.series, cfg.sweep_series, cfg.reps, cfg.import_reps = 4, 2, 1, 1
        cfg.docsums = 600
        PARSE_SAMPLES.update({"small": 2, "20MB": 4, "300MB": 6})
    started = time.perf_counter()
    OUT.mkdir(exist_ok=True)
    results: Json = {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine_facts(),
        "config": {
            k: getattr(cfg, k)
            for k in ("latency", "bandwidth", "concurrency", "series", "sweep_series", "reps")
        }
        | {
            "import_reps": cfg.import_reps,
            "geoparse_reps": cfg.geoparse_reps,
            "main_rows": MAIN_ROWS,
            "sweep_rows": list(SWEEP_ROWS),
            "parse_rows": PARSE_ROWS,
            "parse_samples": dict(PARSE_SAMPLES),
        },
    }
    arrays = [f"{rows}:{cfg.sweep_series}" for rows in SWEEP_ROWS if rows != MAIN_ROWS]
    arrays.append(f"{MAIN_ROWS}:{max(cfg.series, cfg.sweep_series)}")
    serve_args = [
        "--latency",
        str(cfg.latency),
        "--bandwidth",
        str(cfg.bandwidth),
        "--seq",
        str(max(cfg.series, cfg.sweep_series)),
        "--docsums",
        str(cfg.docsums),
    ]
    for spec in arrays:
        serve_args += ["--array", spec]
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="geo_nb-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with emulator(serve_args) as emu:
            # The emulator builds its data in its own process while this one writes the
            # parse files; nothing is measured until both are done.
            log("building the emulator's data and the parse files")
            paths = build_parse_files(tmp)
            results["emulator"] = emu.wait_ready()
            results["emulator"]["records_match_family"] = check_records_match_family(emu)
            log(f"emulator ready at {emu.base} (built in {emu.facts['build_seconds']} s)")
            sections: dict[str, Callable[[], Json]] = {
                "throughput": lambda: bench_throughput(emu, tmp, cfg),
                "sweep": lambda: bench_sweep(emu, tmp, cfg),
                "search": lambda: bench_search(emu, tmp, cfg),
                "evidence_fetch": lambda: bench_evidence_fetch(emu, tmp, cfg),
            }
            for name, run in sections.items():
                began = time.perf_counter()
                results[name] = run()
                timings[name] = round(time.perf_counter() - began, 1)
        offline: dict[str, Callable[[], Json]] = {
            "parse": lambda: bench_parse(paths, cfg),
            "evidence_gzip": lambda: bench_evidence_gzip(paths),
            "import": lambda: bench_import(cfg),
            "inventory": lambda: bench_inventory(cfg),
            "fallback": lambda: bench_fallback(cfg),
            "matrices": lambda: bench_matrices(cfg),
            "runs": lambda: bench_runs(cfg),
        }
        for name, run in offline.items():
            log(name)
            began = time.perf_counter()
            results[name] = run()
            timings[name] = round(time.perf_counter() - began, 1)
    results["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["section_seconds"] = timings
    results["targets"] = targets(results)
    results["total_seconds"] = time.perf_counter() - started
    (OUT / "results.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    # --quick only tests the suite: its report goes to bench/out, not over RESULTS.md.
    report = OUT / "RESULTS.quick.md" if cfg.quick else BENCH / "RESULTS.md"
    report.write_text(render(results), encoding="utf-8")
    log(f"done in {results['total_seconds']:.0f} s: {report} and {OUT / 'results.json'}")
    for target in results["targets"]:
        log(f"{'PASS' if target['pass'] else 'MISS'}  {target['target']}: {target['measured']}")


if __name__ == "__main__":
    main()
