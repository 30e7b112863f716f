"""File inventory of 20 series, and a resumed download, against the NCBI emulator.

Inventory: the emulator runs in its own process with ``--latency`` seconds per
request and serves 10 clones each of two recorded series that have a
``filelist.txt`` (GSE100494: ATAC-seq bigWigs; GSE101512: ATAC peak BEDs),
with their RAW.tar and sample files at their real sizes. geo_nb fetches the
20 series with ``files=True`` (metadata + folder listing + filelist.txt per
series), then again with ``exact_sizes=True``; the requests made per service
and the seconds are reported.

Resumed download: one 2 MB BED file served at ``--bandwidth`` bytes/s whose
first transfer is cut after half the file; the plan resumes with a Range
request.

Run: python bench/inventory.py [--latency 0.25] [--bandwidth 4e6]
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import geo_nb
from geo_nb import GEOClient
from geo_nb._sync import run_sync
from geo_nb.ncbi.cache import memory_cache
from geo_nb.testing import FaultRule, NCBIEmulator
from geo_nb.testing.synth import clone_series


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def inventory(latency: float) -> dict[str, object]:
    port = free_port()
    emulator = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "geo_nb.testing",
            "--port",
            str(port),
            "--latency",
            str(latency),
            "--clone",
            "GSE100494:10",
            "--clone",
            "GSE101512:10",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert emulator.stdout is not None
    accessions: list[str] = []
    for line in emulator.stdout:
        if line.startswith("cloned"):
            first, last = line.split()[-1].split("..")
            accessions += [f"GSE{n}" for n in range(int(first[3:]), int(last[3:]) + 1)]
        if line.startswith("export"):
            break
    base = f"http://127.0.0.1:{port}"
    results: dict[str, object] = {"series": len(accessions), "latency_s": latency}
    try:
        with tempfile.TemporaryDirectory() as cache:
            settings = geo_nb.Settings(
                eutils_url=f"{base}/entrez/eutils",
                acc_url=f"{base}/geo/query/acc.cgi",
                ftp_url=f"{base}/geo",
                cache_dir=cache,
            )
            for label, exact in (("inventory", False), ("inventory_exact_sizes", True)):
                memory_cache.clear()

                async def run(exact: bool = exact) -> tuple[geo_nb.GEOResult, dict[str, int]]:
                    async with GEOClient(settings) as client:
                        res = await client.fetch(
                            accessions, progress=False, refresh=True, exact_sizes=exact
                        )
                        return res, dict(client.http.counts)

                started = time.perf_counter()
                res, counts = run_sync(run())
                seconds = time.perf_counter() - started
                files = res.files
                results[label] = {
                    "seconds": round(seconds, 2),
                    "requests": counts,
                    "files": len(files),
                    "sized": int(files.size_bytes.notna().sum()),
                    "exact": int(files.size_exact.fillna(False).astype(bool).sum()),
                    "total_gib": round(int(files.size_bytes.fillna(0).sum()) / 1024**3, 2),
                    "errors": len(res.errors),
                }
    finally:
        emulator.terminate()
        emulator.wait()
    return results


def resumed_download(bandwidth: float) -> dict[str, object]:
    with NCBIEmulator(bandwidth=bandwidth) as emu, tempfile.TemporaryDirectory() as tmp:
        (series,) = clone_series(
            emu.store, "GSE101512", 1, first_series=9_500_001, first_sample=95_000_001
        )
        settings = geo_nb.Settings(
            eutils_url=emu.eutils_url,
            acc_url=emu.acc_url,
            ftp_url=emu.ftp_url,
            cache_dir=Path(tmp) / "cache",
        )
        res = geo_nb.fetch(series, settings=settings, progress=False)
        plan = res.plan(format="BED", max_size="3M")
        target = plan.files.sort_values("size_bytes").iloc[-1]
        plan = res.plan(pattern=f"^{target['name']}$")
        half = int(target["size_bytes"]) // 2
        emu.add_fault(
            FaultRule(match=f"{target['name']}$", action="truncate", after_bytes=half, times=1)
        )
        started = time.perf_counter()
        report = plan.download(Path(tmp) / "data", progress=False)
        seconds = time.perf_counter() - started
        tries = [r for r in emu.requests if r.path.endswith(str(target["name"]))]
        return {
            "file": str(target["name"]),
            "size_bytes": int(target["size_bytes"]),
            "bandwidth_bytes_per_s": bandwidth,
            "status": str(report.status[0]),
            "seconds": round(seconds, 2),
            "requests": [
                {"status": r.status, "range": r.headers.get("Range"), "bytes": r.bytes_sent}
                for r in tries
            ],
            "verified_size": Path(str(report.path[0])).stat().st_size == int(target["size_bytes"]),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--bandwidth", type=float, default=4e6)
    args = parser.parse_args()
    print(
        json.dumps(
            {
                "inventory": inventory(args.latency),
                "resumed_download": resumed_download(args.bandwidth),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
