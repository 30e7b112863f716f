"""Metadata with acc.cgi challenged: 100 series read from GEO's FTP tree.

The NCBI emulator runs in its own process (this script with ``--serve``) with
``--latency`` seconds before every response and ``--bandwidth`` bytes/s per connection,
and answers **every acc.cgi request with the bot-challenge page**. It serves ``--series``
clones: clones of GSE146537 (sequencing-style, a small generated series matrix each) and
``--big`` clones of GSE27011 (array-style, 54 samples) whose matrix is a generated header on
``--big-mb`` MB of synthetic value rows (one shared table, stored uncompressed).

Measured, each run with a cold cache (medians of ``--reps`` runs, interleaved):

* geo_nb ``fetch(files=False)`` of the series with ``metadata_source="auto"``: series/s,
  the acc.cgi requests sent before the circuit breaker opened (target <= 3), and the bytes
  of each big matrix the client took (a counting transport) and the emulator sent;
* the same with ``metadata_source="ftp"`` (acc.cgi never asked): the breaker's cost is the
  difference;
* the harness floor: plain httpx sending the same FTP requests (one streamed GET per
  series, closed at ``!series_matrix_table_begin``), same concurrency, no parsing, cache or
  limiter; geo_nb's share of it (target >= 80%);
* with acc.cgi answering: ``auto`` against ``acc`` (what the breaker's probing costs a
  batch when nothing is wrong).

Prints a Markdown section (``--json``: the numbers as JSON, for ``bench/run.py``).

Run: python bench/fallback.py [--latency 0.25] [--bandwidth 4e6] [--series 100] [--big 10]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from pathlib import Path
from typing import IO, Any

import httpx

Json = dict[str, Any]
BENCH = Path(__file__).resolve().parent
SEQ_TEMPLATE, ARRAY_TEMPLATE = "GSE146537", "GSE27011"
FIRST_SEQ, FIRST_ARRAY = 9_200_001, 9_300_001
TABLE_BEGIN = b"\n!series_matrix_table_begin"
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


# ---- the emulator, in its own process --------------------------------------------------


def serve(args: argparse.Namespace) -> None:
    """Build the clones, challenge acc.cgi, serve; answer commands on stdin."""
    from geo_nb.testing import NCBIEmulator
    from geo_nb.testing.seriesfiles import large_matrix_parts, matrix_text, sync
    from geo_nb.testing.synth import clone_series

    emu = NCBIEmulator(latency=args.latency, bandwidth=args.bandwidth)
    started = time.perf_counter()
    seq = clone_series(
        emu.store,
        SEQ_TEMPLATE,
        args.series - args.big,
        first_series=FIRST_SEQ,
        first_sample=92_000_001,
    )
    big = clone_series(
        emu.store, ARRAY_TEMPLATE, args.big, first_series=FIRST_ARRAY, first_sample=93_000_001
    )
    sync(emu.store)
    sizes: dict[str, int] = {}
    for series in big:
        text = matrix_text(emu.store, series).encode()
        header = text[: text.index(TABLE_BEGIN) + 1]
        parts = large_matrix_parts(header, int(args.big_mb * 2**20))
        emu.store.add_ftp_parts(matrix_path(series), parts)
        sizes[series] = sum(len(p) for p in parts)
    sync(emu.store)
    emu.acc_mode = "challenge"
    with emu:
        ready = {
            "ready": emu.base_url,
            "seq": seq,
            "big": big,
            "big_sizes": sizes,
            "build_seconds": round(time.perf_counter() - started, 2),
        }
        print(json.dumps(ready), flush=True)
        for line in sys.stdin:
            command = line.split()
            if command == ["clear"]:
                emu.clear_log()
                answer: Json = {"ok": True}
            elif command[:1] == ["acc"]:
                emu.acc_mode = command[1]  # type: ignore[assignment]
                answer = {"ok": True}
            elif command == ["stats"]:
                records = emu.requests
                answer = {
                    "by_service": dict(Counter(r.service for r in records)),
                    "acc_requests": sum(1 for r in records if r.service == "acc"),
                    "sent": {r.path: r.bytes_sent for r in records if r.path.endswith(".txt.gz")},
                }
            elif command == ["quit"]:
                break
            else:
                answer = {"error": f"unknown command {line.strip()!r}"}
            print(json.dumps(answer), flush=True)


def matrix_path(series: str) -> str:
    """Where a series' (single-platform) matrix is, below ``/geo/``."""
    return f"series/{series[:-3]}nnn/{series}/matrix/{series}_series_matrix.txt.gz"


class Server:
    """``bench/fallback.py --serve`` in its own process, with a command channel."""

    def __init__(self, cfg: argparse.Namespace) -> None:
        env = {k: v for k, v in os.environ.items() if k.lower() not in _PROXY_VARS}
        args = [sys.executable, str(Path(__file__)), "--serve"]
        for name in ("latency", "bandwidth", "series", "big", "big_mb"):
            args += [f"--{name.replace('_', '-')}", str(getattr(cfg, name))]
        self.process = subprocess.Popen(
            args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )
        self.facts: Json = json.loads(self._out.readline())

    @property
    def _out(self) -> IO[str]:
        assert self.process.stdout is not None
        return self.process.stdout

    def command(self, text: str) -> Json:
        """Send one command; its JSON answer."""
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()
        answer: Json = json.loads(self._out.readline())
        return answer

    def close(self) -> None:
        """Quit (terminate if it does not)."""
        with contextlib.suppress(OSError, ValueError):
            self.command("quit")
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            self.process.wait()


# ---- measurements ----------------------------------------------------------------------


def geo_nb_run(server: Server, accessions: list[str], source: str, concurrency: int) -> Json:
    """One cold fetch by geo_nb; seconds, what it asked acc.cgi, bytes of the big matrices."""
    import geo_nb
    from geo_nb.ncbi import sources
    from geo_nb.ncbi.cache import memory_cache
    from geo_nb.ncbi.http import HttpClient
    from geo_nb.testing.counting import CountingTransport

    memory_cache.clear()
    sources.forget()
    server.command("clear")
    base = server.facts["ready"]
    counting = CountingTransport()
    notes: list[str] = []

    async def fetch(cache: str) -> geo_nb.GEOResult:
        settings = geo_nb.Settings(
            eutils_url=f"{base}/entrez/eutils",
            acc_url=f"{base}/geo/query/acc.cgi",
            ftp_url=f"{base}/geo",
            cache_dir=cache,
            max_concurrency=concurrency,
            metadata_source=source,
        )
        async with geo_nb.GEOClient(settings) as client:
            client.http = HttpClient(client.settings, transport=counting)
            return await client.fetch(
                accessions,
                files=False,
                progress=False,
                on_progress=lambda e: notes.append(e.message) if e.message else None,
            )

    with tempfile.TemporaryDirectory(prefix="geo_nb-fallback-") as cache:
        started = time.perf_counter()
        res = asyncio.run(fetch(cache))
        seconds = time.perf_counter() - started
    stats = server.command("stats")
    big = server.facts["big"]
    return {
        "seconds": seconds,
        "errors": len(res.errors),
        "sources": dict(Counter(res.series.record_source)),
        "acc_requests": stats["acc_requests"],
        "requests": stats["by_service"],
        "notes": notes,
        "big_read": [counting.received[f"/geo/{matrix_path(s)}"] for s in big],
        "big_sent": [stats["sent"].get(f"/geo/{matrix_path(s)}", 0) for s in big],
    }


def floor_run(server: Server, accessions: list[str], concurrency: int) -> Json:
    """Plain httpx: one streamed GET per matrix, closed at the table, same concurrency."""
    base = server.facts["ready"]
    server.command("clear")

    async def one(client: httpx.AsyncClient, slots: asyncio.Semaphore, series: str) -> int:
        async with slots, client.stream("GET", f"{base}/geo/{matrix_path(series)}") as response:
            decompress = zlib.decompressobj(16 + zlib.MAX_WBITS)
            text, read = b"", 0
            async for chunk in response.aiter_raw():
                read += len(chunk)
                text += decompress.decompress(chunk)
                if TABLE_BEGIN in text:
                    break
            return read

    async def run() -> list[int]:
        limits = httpx.Limits(max_connections=concurrency + 5)
        async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=60) as client:
            slots = asyncio.Semaphore(concurrency)
            return await asyncio.gather(*(one(client, slots, s) for s in accessions))

    started = time.perf_counter()
    asyncio.run(run())
    return {"seconds": time.perf_counter() - started}


def measure(cfg: argparse.Namespace) -> Json:
    """Every measurement, interleaved over ``cfg.reps`` runs."""
    server = Server(cfg)
    try:
        accessions = [*server.facts["seq"], *server.facts["big"]]
        # Imports and first-use costs are paid here, by no measured run.
        geo_nb_run(server, accessions[:10], "ftp", cfg.concurrency)
        floor_run(server, accessions[:10], cfg.concurrency)
        runs: dict[str, list[Json]] = {"floor": [], "auto": [], "ftp": []}
        for _ in range(cfg.reps):
            runs["floor"].append(floor_run(server, accessions, cfg.concurrency))
            runs["auto"].append(geo_nb_run(server, accessions, "auto", cfg.concurrency))
            runs["ftp"].append(geo_nb_run(server, accessions, "ftp", cfg.concurrency))
        server.command("acc ok")
        up: dict[str, list[Json]] = {"auto": [], "acc": []}
        for _ in range(cfg.reps):
            for source in up:
                up[source].append(geo_nb_run(server, accessions, source, cfg.concurrency))
    finally:
        server.close()
    n = len(accessions)

    def summary(results: list[Json]) -> Json:
        seconds = statistics.median(r["seconds"] for r in results)
        return {"seconds": seconds, "series_per_s": n / seconds, "runs": results}

    out: Json = {
        "config": {
            k: getattr(cfg, k)
            for k in ("latency", "bandwidth", "series", "big", "big_mb", "concurrency", "reps")
        },
        "build_seconds": server.facts["build_seconds"],
        "big_matrix_bytes": next(iter(server.facts["big_sizes"].values()), 0),
        "series": n,
        **{name: summary(results) for name, results in runs.items()},
        "acc_up": {name: summary(results) for name, results in up.items()},
    }
    auto = runs["auto"]
    out["share_of_floor"] = out["auto"]["series_per_s"] / out["floor"]["series_per_s"]
    out["failed_acc_requests"] = max(r["acc_requests"] for r in auto)
    out["breaker_cost_seconds"] = out["auto"]["seconds"] - out["ftp"]["seconds"]
    out["big_read_max"] = max((b for r in auto for b in r["big_read"]), default=0)
    out["big_sent_max"] = max((b for r in auto for b in r["big_sent"]), default=0)
    out["errors"] = sum(r["errors"] for r in auto + runs["ftp"])
    return out


# ---- the report ------------------------------------------------------------------------


def markdown(r: Json) -> str:
    """The Markdown section of ``bench/RESULTS.md``."""
    c = r["config"]
    n = r["series"]
    share = r["share_of_floor"]
    failed = r["failed_acc_requests"]
    big_mb = r["big_matrix_bytes"] / 2**20
    probing = r["acc_up"]["auto"]["seconds"] - r["acc_up"]["acc"]["seconds"]
    lines = [
        "## 7. Metadata with acc.cgi challenged (`bench/fallback.py`)\n",
        f"The emulator answers every acc.cgi request with the bot-challenge page "
        f"({c['latency'] * 1000:.0f} ms latency, {c['bandwidth'] / 1e6:g} MB/s per connection). "
        f"{n} series: {n - c['big']} clones of GSE146537 (a small generated series matrix each) "
        f"and {c['big']} clones of GSE27011 whose matrix is a generated header on synthetic "
        f"value rows ({big_mb:.1f} MB file). geo_nb `fetch(files=False)`, cold cache, "
        f"concurrency {c['concurrency']}, medians of {c['reps']} runs.\n",
        "| target | goal | measured | result |",
        "|---|---|---|---|",
        f"| Series/s with acc.cgi challenged, share of the harness floor | >= 80% | "
        f"{share:.0%} ({r['auto']['series_per_s']:.1f} of {r['floor']['series_per_s']:.1f} "
        f"series/s) | {'PASS' if share >= 0.8 else '**MISS**'} |",
        f"| Failed acc.cgi requests before the switch (circuit breaker) | <= 3 | {failed} | "
        f"{'PASS' if failed <= 3 else '**MISS**'} |",
        f"| Bytes read per series from a {big_mb:.0f} MB matrix | < 1 MB | "
        f"{r['big_read_max'] / 1024:.0f} KiB | "
        f"{'PASS' if r['big_read_max'] < 2**20 else '**MISS**'} |\n",
        "| run | seconds | series/s | of floor | notes |",
        "|---|---|---|---|---|",
        f"| floor: plain httpx, the same FTP requests (one streamed GET per series, closed at "
        f"the table) | {r['floor']['seconds']:.2f} | {r['floor']['series_per_s']:.1f} | 100% | "
        "no parsing, cache or limiter |",
        f'| geo_nb, `metadata_source="auto"` | {r["auto"]["seconds"]:.2f} | '
        f"{r['auto']['series_per_s']:.1f} | {share:.0%} | {failed} acc.cgi requests, then the "
        "FTP tree |",
        f'| geo_nb, `metadata_source="ftp"` | {r["ftp"]["seconds"]:.2f} | '
        f"{r['ftp']['series_per_s']:.1f} | "
        f"{r['ftp']['series_per_s'] / r['floor']['series_per_s']:.0%} | acc.cgi never asked |",
        f"| acc.cgi answering: geo_nb `auto` | {r['acc_up']['auto']['seconds']:.2f} | "
        f"{r['acc_up']['auto']['series_per_s']:.1f} | - | the breaker probes with 3 requests "
        "first |",
        f"| acc.cgi answering: geo_nb `acc` | {r['acc_up']['acc']['seconds']:.2f} | "
        f"{r['acc_up']['acc']['series_per_s']:.1f} | - | no breaker |\n",
        f"The circuit breaker cost {r['breaker_cost_seconds']:.2f} s per batch here (`auto` "
        f"against `ftp`: {failed} challenged requests, about one latency). When acc.cgi "
        f"answers, its probing costs {probing:.2f} s "
        "(`auto` against `acc`); a batch after one that saw acc.cgi answer (or after "
        "`check_connection()`) does not probe. Of each "
        f"{big_mb:.0f} MB matrix, geo_nb took at most {r['big_read_max'] / 1024:.0f} KiB "
        f"(counted by a transport wrapper) and the emulator had written at most "
        f"{r['big_sent_max'] / 2**20:.1f} MiB into the socket when the client closed it. "
        f"Errors over all runs: {r['errors']}.\n",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--bandwidth", type=float, default=4e6)
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--big", type=int, default=10, help="of the series, with a big matrix")
    parser.add_argument("--big-mb", type=float, default=50.0, help="the big matrices' table")
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="print JSON, not Markdown")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    cfg = parser.parse_args()
    if cfg.serve:
        serve(cfg)
        return
    results = measure(cfg)
    print(json.dumps(results) if cfg.json else markdown(results))


if __name__ == "__main__":
    main()
