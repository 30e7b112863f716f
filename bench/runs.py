"""SRA runs of 20 sequencing series: geo_nb against the floor and the one-request-per-sample way.

The emulator runs in its own process (this script with ``--serve``), ``--latency``
seconds before every response, NCBI's E-utilities limit enforced (10 requests/s:
every client here sends the same API key). It serves 10 clones each of the two
bundled series with real NCBI run info, GSE52778 (16 samples) and GSE64912 (22
samples): 380 samples, one paired-end run each, in 20 SRA studies. The clones'
run info rows are the recorded ones renumbered; their ENA rows are **generated
for the benchmark** from those rows (two FASTQ files per run, made-up MD5s and
sizes): only request counts and timing matter here.

Three ways to get every run of the 20 series, each from a cold start:

* geo_nb: ``fetch(series, runs=True, files=False)`` (metadata, then NCBI's run
  info in one batched esearch + efetch, with ENA's report of each study alongside);
* the floor: the same requests sent bare with httpx, in the same order of
  dependence (acc.cgi first; then the esearch -> efetch chain and the ENA
  reports), 10 in flight, E-utilities 1/10 s apart: what the transport allows;
* one request per sample, as pysradb and geofetch work: acc.cgi per series, then
  per sample an ``esearch`` of its SRX and an ``efetch`` of its run info, and per
  run an ENA report, one after the other. Measured on ``--per-sample-series``
  series (default 4, 76 samples) and scaled to the 20 series by their samples
  (the work is sequential, so it grows linearly); ``--per-sample-series 20``
  measures it whole (about 5 minutes).

Targets: geo_nb >= 90% of the floor's speed, >= 5x the per-sample way, and at
most ceil(20/200) + 2 = 3 E-utilities requests for the runs.

Run: python bench/runs.py [--latency 0.25] [--reps 3] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import math
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

# bench/ is not a package: a sibling script (sys.path[0] when run as a script). run.py's
# Emulator is imported where it is used: run.py imports report.py, which imports this.
from serve import answer_commands

Json = dict[str, Any]
KEY = "benchkey"
TEMPLATES = {"GSE52778": 10, "GSE64912": 10}
FIRST_SERIES = 9_700_001
EUTILS_RATE = 10.0  # with an API key
CONCURRENCY = 10


# ---- the emulator process ----------------------------------------------------------------


def _serve(port: int, latency: float) -> None:
    """Build the clones and serve; answer ``clear``, ``stats``, ``quit`` (stdin, JSON lines)."""
    from geo_nb.testing import NCBIEmulator
    from geo_nb.testing.synth import clone_series, renumber

    emu = NCBIEmulator(latency=latency, port=port)
    series: list[str] = []
    first_series, first_sample, first_sra = FIRST_SERIES, 97_000_001, 9_700_001
    for template, copies in TEMPLATES.items():
        rows = [r for r in emu.sra.runs() if r["SampleName"] in _samples(emu, template)]
        originals = sorted({r[c] for r in rows for c in _SRA_COLUMNS if r.get(c)})

        def extra(n: int, originals: list[str] = originals, base: int = first_sra) -> Json:
            return {old: f"{_prefix(old)}{base + n * 100 + i}" for i, old in enumerate(originals)}

        def cloned(mapping: Any, rows: list[dict[str, str]] = rows) -> None:
            emu.sra.clone(lambda v: renumber(v, mapping), [r["Run"] for r in rows])
            emu.ena.add_filereport(_ena_report([{k: renumber(v, mapping) for k, v in r.items()}
                                                for r in rows]))  # fmt: skip

        series += clone_series(
            emu.store,
            template,
            copies,
            first_series=first_series,
            first_sample=first_sample,
            extra=extra,
            on_clone=cloned,
        )
        first_series += copies
        first_sample += 100_000
        first_sra += copies * 100 + 100
    with emu:
        answer_commands(emu, {"ready": emu.base_url, "series": series})


_SRA_COLUMNS = ("Run", "Experiment", "SRAStudy", "BioProject", "Sample", "BioSample")


def _prefix(accession: str) -> str:
    return accession.rstrip("0123456789")


def _samples(emu: Any, series: str) -> set[str]:
    record = emu.store.record(series)
    return set(record.values("Series_sample_id"))


def _ena_report(rows: list[dict[str, str]]) -> str:
    """ENA read_run rows generated from run info rows (made-up FASTQ facts, for timing only)."""
    fields = ("run_accession", "experiment_accession", "sample_accession",
              "secondary_sample_accession", "study_accession", "secondary_study_accession",
              "library_layout", "read_count", "base_count", "fastq_ftp", "fastq_md5",
              "fastq_bytes")  # fmt: skip
    lines = ["\t".join(fields)]
    for r in rows:
        run = r["Run"]
        folder = f"ftp.sra.ebi.ac.uk/vol1/fastq/{run[:6]}/{run[-3:].zfill(3)}/{run}"
        files = [f"{folder}/{run}_{m}.fastq.gz" for m in (1, 2)]
        md5s = [hashlib.md5(f.encode()).hexdigest() for f in files]
        size = str(int(r["bases"] or 0) // 4)
        values = [run, r["Experiment"], r["BioSample"], r["Sample"], r["BioProject"],
                  r["SRAStudy"], r["LibraryLayout"], r["spots"], r["bases"], ";".join(files),
                  ";".join(md5s), f"{size};{size}"]  # fmt: skip
        lines.append("\t".join(values))
    return "\n".join(lines) + "\n"


# ---- the three ways ----------------------------------------------------------------------


def settings(base: str, cache: str) -> Any:
    import geo_nb

    return geo_nb.Settings(
        eutils_url=f"{base}/entrez/eutils",
        acc_url=f"{base}/geo/query/acc.cgi",
        ftp_url=f"{base}/geo",
        ena_url=f"{base}/ena/portal/api",
        ena_files_url=base,
        api_key=KEY,
        cache_dir=cache,
    )


def geo_nb_runs(base: str, series: list[str], emu: Any) -> Json:
    """geo_nb's runs stage (records already in memory, run caches empty), then a cold fetch."""
    import geo_nb
    from geo_nb.ncbi.cache import memory_cache

    def fetch(cache: str, runs: bool) -> Any:
        return geo_nb.fetch(
            series, runs=runs, files=False, progress=False, settings=settings(base, cache)
        )

    memory_cache.clear()
    with tempfile.TemporaryDirectory() as cache:
        fetch(cache, runs=False)  # the records, as a user fetched them first
        emu.command("clear")
        started = time.perf_counter()
        res = fetch(cache, runs=True)  # records from memory; run info and ENA asked for
        seconds = time.perf_counter() - started
        requests = emu.command("stats")
    memory_cache.clear()
    with tempfile.TemporaryDirectory() as cache:
        emu.command("clear")
        started = time.perf_counter()
        fetch(cache, runs=True)
        whole = time.perf_counter() - started
        whole_requests = emu.command("stats")
    return {
        "seconds": seconds,
        "requests": requests,
        "runs": len(res.runs),
        "fastq_files": int(sum(len(u) for u in res.runs.fastq_urls)),
        "errors": len(res.errors),
        "whole_seconds": whole,
        "whole_requests": whole_requests,
    }


class Paced:
    """E-utilities pacing for the bare clients: sends at least ``1/rate`` s apart."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self.next = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        async with self.lock:
            now = time.perf_counter()
            if self.next > now:
                await asyncio.sleep(self.next - now)
            self.next = max(now, self.next) + self.interval


async def _bounded(jobs: list[Callable[[], Awaitable[Any]]], limit: int) -> list[Any]:
    slots = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Awaitable[Any]]) -> Any:
        async with slots:
            return await job()

    return await asyncio.gather(*(one(j) for j in jobs))


def _check(response: httpx.Response) -> httpx.Response:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url} answered {response.status_code}")
    return response


async def _floor(base: str, series: list[str]) -> Json:
    """geo_nb's requests sent bare: acc.cgi, then the E-utilities chain and ENA together."""
    from geo_nb.ncbi.acc import acc_params
    from geo_nb.ncbi.ena import FIELDS
    from geo_nb.ncbi.sra import terms
    from geo_nb.parse.convert import convert_entities
    from geo_nb.parse.soft import parse_soft

    eutils, paced = f"{base}/entrez/eutils", Paced(EUTILS_RATE)
    limits = httpx.Limits(max_connections=CONCURRENCY + 5)
    async with httpx.AsyncClient(timeout=60, limits=limits) as first:
        started = time.perf_counter()

        def acc(accession: str) -> Callable[[], Awaitable[httpx.Response]]:
            url, params = f"{base}/geo/query/acc.cgi", acc_params(accession)
            return lambda: first.get(url, params=params)

        answers = await _bounded([acc(s) for s in series], CONCURRENCY)
        studies = []
        for answer in answers:
            found, _, _ = convert_entities(parse_soft(_check(answer).content), lambda u: u)
            studies += [s.sra_study for s in found if s.sra_study]
        records_at = time.perf_counter()
    # The runs stage on connections of its own, as geo_nb's (ENA is another host anyway).
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:

        async def chain() -> int:
            webenv, keys = "", []
            for term in terms(studies):
                await paced.wait()
                data = {"db": "sra", "term": term, "retmode": "json", "usehistory": "y",
                        "retmax": "0", "api_key": KEY}  # fmt: skip
                if webenv:
                    data["WebEnv"] = webenv
                found = _check(await client.post(f"{eutils}/esearch.fcgi", data=data)).json()
                webenv = found["esearchresult"]["webenv"]
                keys.append(found["esearchresult"]["querykey"])
            await paced.wait()
            data = {"db": "sra", "rettype": "runinfo", "retmode": "text", "WebEnv": webenv,
                    "query_key": keys[0], "retstart": "0", "retmax": "10000"}  # fmt: skip
            data["api_key"] = KEY
            body = _check(await client.post(f"{eutils}/efetch.fcgi", data=data)).text
            return sum(1 for line in body.splitlines()[1:] if line.strip())

        def ena(study: str) -> Callable[[], Awaitable[httpx.Response]]:
            params = {"accession": study, "result": "read_run", "fields": ",".join(FIELDS),
                      "format": "tsv"}  # fmt: skip
            return lambda: client.get(f"{base}/ena/portal/api/filereport", params=params)

        runs, reports = await asyncio.gather(
            chain(), _bounded([ena(s) for s in studies], CONCURRENCY)
        )
        for report in reports:
            _check(report)
    ended = time.perf_counter()  # after closing its connections, as geo_nb's fetch does
    return {"seconds": ended - records_at, "whole_seconds": ended - started, "runs": runs}


async def _per_sample(base: str, series: list[str]) -> Json:
    """pysradb/geofetch's way: per sample an esearch and an efetch, per run an ENA report."""
    from geo_nb.ncbi.acc import acc_params
    from geo_nb.ncbi.ena import FIELDS
    from geo_nb.ncbi.sra import parse_runinfo
    from geo_nb.parse.convert import convert_entities
    from geo_nb.parse.soft import parse_soft

    eutils, paced, runs, samples = f"{base}/entrez/eutils", Paced(EUTILS_RATE), 0, 0
    async with httpx.AsyncClient(timeout=60) as client:
        started, records = time.perf_counter(), 0.0
        for accession in series:
            began = time.perf_counter()
            answer = await client.get(f"{base}/geo/query/acc.cgi", params=acc_params(accession))
            _, found, _ = convert_entities(parse_soft(_check(answer).content), lambda u: u)
            records += time.perf_counter() - began
            for sample in found:
                samples += 1
                await paced.wait()
                params = {"db": "sra", "term": f"{sample.sra_experiment}[accn]",
                          "retmode": "json", "api_key": KEY}  # fmt: skip
                hit = _check(await client.get(f"{eutils}/esearch.fcgi", params=params)).json()
                await paced.wait()
                params = {"db": "sra", "rettype": "runinfo", "retmode": "text", "api_key": KEY,
                          "id": ",".join(hit["esearchresult"]["idlist"])}  # fmt: skip
                body = _check(await client.get(f"{eutils}/efetch.fcgi", params=params)).text
                for info in parse_runinfo(body):
                    runs += 1
                    params = {"accession": info.run, "result": "read_run",
                              "fields": ",".join(FIELDS)}  # fmt: skip
                    _check(await client.get(f"{base}/ena/portal/api/filereport", params=params))
        whole = time.perf_counter() - started
        return {
            "seconds": whole - records,
            "whole_seconds": whole,
            "runs": runs,
            "samples": samples,
        }


# ---- the measurement ---------------------------------------------------------------------


def measure(latency: float, reps: int, per_sample_series: int) -> Json:
    from run import Emulator

    emu = Emulator(["--serve", "--latency", str(latency)], script="runs.py")
    try:
        facts = emu.wait_ready()
        series: list[str] = facts["series"]
        base: str = facts["ready"]
        rounds: dict[str, list[Json]] = {"geo_nb": [], "floor": []}
        floor_requests: Json = {}
        for _ in range(reps):
            rounds["geo_nb"].append(geo_nb_runs(base, series, emu))
            emu.command("clear")
            rounds["floor"].append(asyncio.run(_floor(base, series)))
            floor_requests = emu.command("stats")
        # The per-sample way on a mix of both templates, then scaled to every sample.
        half = max(1, per_sample_series // 2)
        subset = series[:half] + series[len(series) // 2 : len(series) // 2 + half]
        emu.command("clear")
        per_sample = asyncio.run(_per_sample(base, subset))
        per_sample_requests = emu.command("stats")
    finally:
        emu.close()
    samples = sum(16 if n < len(series) // 2 else 22 for n in range(len(series)))
    scale = samples / per_sample["samples"]

    def median(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds[name])

    geo, floor = rounds["geo_nb"][-1], rounds["floor"][-1]
    results: Json = {
        "latency_s": latency,
        "series": len(series),
        "samples": samples,
        "reps": reps,
        "geo_nb": {
            **{k: geo[k] for k in ("runs", "fastq_files", "errors", "requests", "whole_requests")},
            "seconds": median("geo_nb", "seconds"),
            "whole_seconds": median("geo_nb", "whole_seconds"),
            "all": [r["seconds"] for r in rounds["geo_nb"]],
        },
        "floor": {
            "runs": floor["runs"],
            "requests": floor_requests,
            "seconds": median("floor", "seconds"),
            "whole_seconds": median("floor", "whole_seconds"),
            "all": [r["seconds"] for r in rounds["floor"]],
        },
        "per_sample": {
            **per_sample,
            "series": len(subset),
            "requests": per_sample_requests,
            "scaled_seconds": per_sample["seconds"] * scale,
            "scaled_whole_seconds": per_sample["whole_seconds"] * scale,
        },
        "eutils_bound": math.ceil(len(series) / 200) + 2,
    }
    g, f, p = results["geo_nb"], results["floor"], results["per_sample"]
    results["speed_vs_floor"] = f["seconds"] / g["seconds"]
    results["speedup_vs_per_sample"] = p["scaled_seconds"] / g["seconds"]
    results["whole_speed_vs_floor"] = f["whole_seconds"] / g["whole_seconds"]
    return results


def markdown(r: Json) -> str:
    """The report section (also rendered into bench/RESULTS.md by bench/report.py)."""
    g, f, p = r["geo_nb"], r["floor"], r["per_sample"]

    def req(counts: Json) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(counts["by_service"].items()))

    eutils = g["requests"]["by_service"].get("eutils", 0)
    lines = [
        f"## SRA runs of {r['series']} sequencing series (`bench/runs.py`)\n",
        f"{r['series']} clones of GSE52778 and GSE64912 ({r['samples']} samples, one "
        f"paired-end run each, {r['series']} SRA studies), {r['latency_s'] * 1000:.0f} ms "
        "latency per request, the E-utilities limit enforced by the emulator (10/s: every "
        "client sends an API key). The runs stage is timed with the records already fetched "
        "(geo_nb: in its memory cache; the others: parsed from their own acc.cgi answers) and "
        "nothing of the runs cached. Seconds are "
        + (f"medians of {r['reps']} runs.\n" if r["reps"] > 1 else "of one run.\n"),
        "| way | runs stage, s | requests | runs | geo_nb's speed |",
        "|---|---|---|---|---|",
        f"| geo_nb `fetch(runs=True, files=False)` | {g['seconds']:.2f} | {req(g['requests'])} "
        f"| {g['runs']} ({g['fastq_files']} FASTQ) | - |",
        f"| floor: the same requests, bare httpx | {f['seconds']:.2f} | esearch 1, efetch 1, "
        f"ena {r['series']} | {f['runs']} | {r['speed_vs_floor']:.0%} of the floor |",
        f"| one request per sample (pysradb, geofetch): {p['series']} series, {p['samples']} "
        f"samples measured | {p['seconds']:.1f} | {req(p['requests'])} (with acc) | "
        f"{p['runs']} | - |",
        f"| the same, scaled to {r['samples']} samples | {p['scaled_seconds']:.1f} | "
        f"eutils {2 * r['samples']}, ena {r['samples']} | - | "
        f"{r['speedup_vs_per_sample']:.0f}x faster |",
        "",
        f"E-utilities requests for the runs of {r['series']} series: {eutils} (one esearch "
        f"and one efetch; bound ceil({r['series']}/200) + 2 = {r['eutils_bound']}); at most "
        f"{g['requests']['eutils']['max_in_any_1s_window']} in any 1 s window, and "
        f"{g['requests']['rate_limit_violations_total']} answered 429 over the whole run.",
        "",
        f"Whole cold fetch (metadata, then runs): geo_nb {g['whole_seconds']:.2f} s "
        f"({req(g['whole_requests'])}) against {f['whole_seconds']:.2f} s bare "
        f"({r['whole_speed_vs_floor']:.0%}); the one-per-sample way, scaled: "
        f"{p['scaled_whole_seconds']:.0f} s."
        + (
            " The gap of the whole fetch is the metadata stage's (CPU between requests, "
            "finding 2), not the runs'."
            if r["whole_speed_vs_floor"] < 0.9 <= r["speed_vs_floor"]
            else ""
        ),
        "",
    ]
    verdict = [
        ("runs stage >= 90% of the floor's speed", r["speed_vs_floor"] >= 0.9),
        ("runs stage >= 5x the per-sample way", r["speedup_vs_per_sample"] >= 5),
        ("E-utilities requests <= ceil(N/200) + 2", eutils <= r["eutils_bound"]),
    ]
    lines += [f"- {name}: {'PASS' if ok else '**MISS**'}" for name, ok in verdict]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--per-sample-series", type=int, default=4)
    parser.add_argument("--json", action="store_true", help="print the raw numbers as JSON")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.port, args.latency)
        return
    results = measure(args.latency, args.reps, args.per_sample_series)
    print(json.dumps(results, indent=2) if args.json else markdown(results))


if __name__ == "__main__":
    main()
