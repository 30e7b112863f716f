"""Metadata fetch throughput against the NCBI emulator, cold and warm.

The emulator runs in its own process (as NCBI would be remote) and serves
``--series`` clones of a recorded ATAC-seq series (GSE146537: one acc.cgi
answer holds the series and its 6 samples) with ``--latency`` seconds before
each response. geo_nb fetches them at ``--concurrency``; the ideal is
concurrency / latency series/s (40/s at the defaults, which is also geo_nb's
acc.cgi rate limit). For scale, the same requests are also sent with plain
httpx and a semaphore (no parsing, no caches, no limiter). Then the same fetch
warm from memory, and warm from disk (memory cache cleared, as in a new
process).

Run: python bench/fetch_throughput.py [--series 100] [--latency 0.25] [--concurrency 10]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import tempfile
import time

import httpx

import geo_nb
from geo_nb._cache import memory_cache


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_emulator(series: int, latency: float) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "geo_nb.testing",
            "--port",
            str(port),
            "--latency",
            str(latency),
            "--clone",
            f"GSE146537:{series}",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("export"):
            break
    return process, f"http://127.0.0.1:{port}"


async def raw_httpx(base: str, accessions: list[str], concurrency: int) -> float:
    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency + 5)
    async with httpx.AsyncClient(limits=limits) as client:

        async def one(accession: str) -> None:
            async with semaphore:
                params = {"acc": accession, "targ": "all", "form": "text", "view": "brief"}
                response = await client.get(f"{base}/geo/query/acc.cgi", params=params)
                response.raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(one(a) for a in accessions))
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    accessions = [f"GSE{9_000_001 + n}" for n in range(args.series)]
    process, base = start_emulator(args.series, args.latency)
    try:
        with tempfile.TemporaryDirectory() as cache:
            settings = geo_nb.Settings(
                eutils_url=f"{base}/entrez/eutils",
                acc_url=f"{base}/geo/query/acc.cgi",
                ftp_url=f"{base}/geo",
                cache_dir=cache,
                max_concurrency=args.concurrency,
            )

            def timed() -> tuple[float, geo_nb.GEOResult]:
                started = time.perf_counter()
                res = geo_nb.fetch(accessions, settings=settings, progress=False)
                return time.perf_counter() - started, res

            baseline = asyncio.run(raw_httpx(base, accessions, args.concurrency))
            cold, res = timed()
            if not res.errors.empty or len(res.series) != args.series:
                raise SystemExit(f"the cold fetch was incomplete:\n{res.errors}")
            warm_memory, _ = timed()
            memory_cache.clear()
            warm_disk, _ = timed()
    finally:
        process.terminate()
        process.wait()
    ideal = args.concurrency / args.latency
    result = {
        "series": args.series,
        "samples": len(res.samples),
        "latency_s": args.latency,
        "concurrency": args.concurrency,
        "ideal_series_per_s": ideal,
        "raw_httpx_s": round(baseline, 3),
        "raw_httpx_fraction_of_ideal": round(args.series / baseline / ideal, 3),
        "cold_s": round(cold, 3),
        "cold_series_per_s": round(args.series / cold, 1),
        "cold_fraction_of_ideal": round(args.series / cold / ideal, 3),
        "warm_memory_s": round(warm_memory, 4),
        "warm_disk_s": round(warm_disk, 4),
        "cold_over_warm_memory": round(cold / warm_memory, 1),
        "cold_over_warm_disk": round(cold / warm_disk, 1),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
