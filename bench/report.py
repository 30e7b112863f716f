"""RESULTS.md from the results of ``bench/run.py``: targets, tables, interpretations.

Everything here is computed from the results dict that ``bench/run.py`` also writes
to ``bench/out/results.json``, so the report can be regenerated from that file:
``python bench/report.py bench/out/results.json > RESULTS.md``. The interpretations
are written from the numbers of the run (a target's wording follows its verdict).
"""

from __future__ import annotations

import itertools
import json
import statistics
import sys
from pathlib import Path
from typing import Any

# bench/ is not a package: a sibling script (sys.path[0] when run as a script).
from fallback import markdown as fallback_markdown
from runs import markdown as runs_markdown

Json = dict[str, Any]


def median(values: list[float]) -> float:
    """The median (the middle run of an odd number of runs)."""
    return float(statistics.median(values))


def targets(r: Json) -> list[Json]:
    """The issue's targets, evaluated."""
    t = r["throughput"]
    n = t["accessions"]
    geo_rate = n / t["geo_nb"]["seconds"]
    fraction = geo_rate / t["ideal_series_per_s"]
    vs_threads = t["geoparse_threads"]["seconds"] / t["geo_nb"]["seconds"]
    parse = r["parse"]["20MB"]
    cache = t["cache"]
    warm_mem = cache["cold_seconds"] / cache["warm_memory_seconds"]
    warm_disk = cache["cold_seconds"] / cache["warm_disk_seconds"]
    warm_start = cache["files_cold_seconds"] / cache["warm_start_seconds"]
    rows = [
        (
            "Metadata throughput, share of the ideal concurrency / latency",
            ">= 90%",
            f"{fraction:.0%} ({geo_rate:.1f} of {t['ideal_series_per_s']:.0f} series/s)",
            fraction >= 0.9,
        ),
        (
            "Metadata throughput vs GEOparse in ThreadPoolExecutor(10), 100-series mix",
            ">= 5x",
            f"{vs_threads:.1f}x",
            vs_threads >= 5,
        ),
        (
            "Parse speed vs GEOparse, 20 MB family SOFT (CPU seconds)",
            ">= 5x",
            f"{parse['speedup_cpu']:.1f}x (wall {parse['speedup_wall']:.1f}x)",
            parse["speedup_cpu"] >= 5,
        ),
        (
            "Parse peak memory vs GEOparse, 20 MB family SOFT",
            ">= 5x less",
            f"{'>= ' if parse['memory_ratio_is_lower_bound'] else ''}"
            f"{parse['memory_ratio']:.0f}x less",
            parse["memory_ratio"] >= 5,
        ),
        ("Warm cache from memory vs cold", ">= 100x", f"{warm_mem:.0f}x", warm_mem >= 100),
        (
            "Warm cache from disk (new process) vs cold",
            ">= 100x",
            f"{warm_disk:.0f}x",
            warm_disk >= 100,
        ),
        (
            f"Warm start, new process, {n} series with their inventory, vs cold",
            ">= 100x",
            f"{warm_start:.0f}x",
            warm_start >= 100,
        ),
        *(
            [
                (
                    f"Fetch of {n} cached series in a new process through the catalog "
                    "(offline=True), vs cold",
                    ">= 50x",
                    f"{cache['files_cold_seconds'] / cache['catalog_seconds']:.0f}x",
                    cache["files_cold_seconds"] / cache["catalog_seconds"] >= 50,
                )
            ]
            if "catalog_seconds" in cache
            else []
        ),
        (
            "Search: E-utilities rate-limit violations (429s)",
            "0",
            str(r["search"]["rate_limit_violations"]),
            r["search"]["rate_limit_violations"] == 0,
        ),
    ]
    if "fallback" in r:
        f = r["fallback"]
        rows += [
            (
                "Series/s with acc.cgi challenged, share of the harness floor",
                ">= 80%",
                f"{f['share_of_floor']:.0%}",
                f["share_of_floor"] >= 0.8,
            ),
            (
                "Failed acc.cgi requests before the switch (circuit breaker)",
                "<= 3",
                str(f["failed_acc_requests"]),
                f["failed_acc_requests"] <= 3,
            ),
        ]
    if "matrices" in r:
        m = r["matrices"]
        for kind, what in (("mtx", "30 MB 10x matrix"), ("table", "40,000 x 100 counts table")):
            ours, best = m[kind]["geo_nb"]["seconds"], m[kind][m[f"{kind}_best_other"]]["seconds"]
            rows.append(
                (
                    f"Reading a {what}: geo_nb vs the best other reader",
                    "<= 1.1x",
                    f"{ours:.2f} s vs {best:.2f} s ({m[f'{kind}_best_other']})",
                    bool(m[f"{kind}_pass"]),
                )
            )
    if "runs" in r:  # bench/runs.py (issue 11)
        x = r["runs"]
        eutils = x["geo_nb"]["requests"]["by_service"].get("eutils", 0)
        rows += [
            (
                f"SRA runs of {x['series']} series, share of the floor's speed",
                ">= 90%",
                f"{x['speed_vs_floor']:.0%}",
                x["speed_vs_floor"] >= 0.9,
            ),
            (
                "SRA runs vs one request per sample (pysradb, geofetch)",
                ">= 5x",
                f"{x['speedup_vs_per_sample']:.0f}x",
                x["speedup_vs_per_sample"] >= 5,
            ),
            (
                f"E-utilities requests for the runs of {x['series']} series",
                f"<= {x['eutils_bound']}",
                str(eutils),
                eutils <= x["eutils_bound"],
            ),
        ]
    return [{"target": a, "goal": b, "measured": c, "pass": d} for a, b, c, d in rows]


def _verdict(ok: bool) -> str:
    return "PASS" if ok else "**MISS**"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _s(seconds: float) -> str:
    return f"{seconds:.3f}" if seconds < 1 else f"{seconds:.2f}"


def render(r: Json) -> str:
    """RESULTS.md."""
    main_rows, parse_rows = r["config"]["main_rows"], r["config"]["parse_rows"]
    m, t, cfg = r["machine"], r["throughput"], r["config"]
    n = t["accessions"]
    ideal = t["ideal_series_per_s"]
    emu = r["emulator"]
    out: list[str] = []
    add = out.append
    add("# geo_nb benchmarks\n")
    add(
        f"Generated by `python bench/run.py` on {r['date']} in {r['total_seconds']:.0f} s "
        f"(commit {m['git_commit']}{', uncommitted changes' if m['git_dirty'] else ''}). "
        "Raw numbers: `bench/out/results.json`. Every measurement ran in a fresh process; "
        f"medians of {cfg['reps']} runs unless a row says otherwise.\n"
    )
    add("## Machine\n")
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    add(
        _table(
            ["fact", "value"],
            [
                ["cores", f"{m['cpu_count']} ({m['usable_cores']} usable), {m['cpu_model']}"],
                ["memory", f"{m['memory_mib']:,} MiB"],
                ["Python", f"{m['implementation']} {m['python']} on {m['platform']}"],
                ["versions", versions],
                [
                    "load average (1, 5, 15 min)",
                    f"{m['load_average_start']} at start, {m['load_average_end']} at the end",
                ],
            ],
        )
    )
    add(
        "\nThe machine is shared and noisy (see the load average): competitors were measured "
        "alternately in the same run against the same emulator, and CPU seconds are given "
        "next to wall seconds where CPU is what is compared.\n"
    )
    add("## Setup\n")
    ref = emu["reference_table"]
    add(
        f"The NCBI emulator runs in its own process (`bench/serve.py`) on loopback, with "
        f"{cfg['latency'] * 1000:.0f} ms latency before every response and a bandwidth cap "
        f"of {cfg['bandwidth'] / 1e6:g} MB/s per connection. It serves {len(emu['sets']['seq'])} "
        f"clones of the sequencing-style GSE146537 (6 samples, no tables) and clones of the "
        f"array series GSE27011 kept to 12 samples, whose family SOFT "
        f"(`series/GSEnnn/GSEx/soft/GSEx_family.soft.gz`, built by "
        f"`geo_nb/testing/families.py` from the same records acc.cgi serves) carries a "
        f"12 x N-row `ID_REF`/`VALUE` table, N = {main_rows:,} for the main mix. Table rows "
        f"are the first N rows of a real table ({Path(ref['source']).name}, {ref['rows']:,} "
        f"rows; repeated with suffixed IDs past its end), values jittered per sample position. "
        f"Family files: {emu['family_gz_bytes']['seq'] / 1e3:.0f} kB (sequencing-style), "
        f"{emu['family_gz_bytes'][f'array_{main_rows}'] / 1e6:.2f} MB (array-style) gzip'ed "
        f"(multi-member gzip: each table is compressed once and shared by the files that use "
        f"it, which keeps the emulator's start-up short; Python's gzip reads it as one stream "
        f"at the same speed as a single member). "
        f"geo_nb asks acc.cgi for `targ=all&view=brief` (one request per series, no tables); "
        f"GEOparse downloads the family SOFT through the emulator as an HTTP proxy "
        f"(`GEOPARSE_USE_HTTP_FOR_FTP=yes`, `http_proxy=http://127.0.0.1:<port>`): the "
        f"emulator logged every family-file request with `Host: ftp.ncbi.nlm.nih.gov`, "
        f"complete (checked on every GEOparse run). The acc.cgi records of the array clones "
        f"were checked to parse to the same series, platform and sample attributes as their "
        f"family file: {emu.get('records_match_family', 'not checked')}.\n"
    )
    add("## Targets\n")
    add(
        _table(
            ["target", "goal", "measured", "result"],
            [[x["target"], x["goal"], x["measured"], _verdict(x["pass"])] for x in r["targets"]],
        )
    )
    add("")

    # 1. throughput
    add(f"## 1. Metadata throughput: {n} series, concurrency {cfg['concurrency']}\n")
    g = t["geo_nb"]["seconds"]
    rows = []

    def row(label: str, seconds: float, runs: str, note: str = "") -> list[str]:
        rate = n / seconds
        speedup = seconds / g
        return [
            label,
            _s(seconds),
            runs,
            f"{rate:.1f}",
            f"{rate / ideal:.0%}",
            f"{speedup:.1f}x" if label != "geo_nb `fetch(files=False)`" else "1x",
            note,
        ]

    rows.append(["ideal (concurrency / latency)", _s(n / ideal), "-", f"{ideal:.1f}", "100%"])
    rows[-1] += ["-", "geo_nb's acc.cgi limiter is also 40/s"]
    raw = t["raw_httpx"]
    rows.append(
        row(
            "plain httpx, same requests (no parsing, cache or limiter)",
            raw["seconds"],
            str(len(raw["runs"])),
            "transport + emulator ceiling on this machine",
        )
    )
    cpu = median([x["cpu_seconds"] for x in t["geo_nb"]["runs"]])
    rows.append(
        row(
            "geo_nb `fetch(files=False)`",
            g,
            str(len(t["geo_nb"]["runs"])),
            f"cold; {cpu:.2f} CPU s in the client",
        )
    )
    files = t["geo_nb_files"]
    rows.append(
        row(
            "geo_nb `fetch(files=True)`",
            files["seconds"],
            str(len(files["runs"])),
            f"{files['requests']:.0f} requests (metadata + folder listings + filelist.txt)",
        )
    )
    threads, sequential = t["geoparse_threads"], t["geoparse_sequential"]
    tp_cpu = median([x["cpu_seconds"] for x in threads["runs"]])
    rows.append(
        row(
            "GEOparse `get_GEO` in `ThreadPoolExecutor(10)`",
            threads["seconds"],
            str(len(threads["runs"])),
            f"{tp_cpu:.1f} CPU s; {threads['runs'][0]['table_rows']:,} table rows parsed",
        )
    )
    rows.append(
        row(
            "GEOparse `get_GEO`, sequential",
            sequential["seconds"],
            "1",
            f"{sequential['runs'][0]['cpu_seconds']:.1f} CPU s",
        )
    )
    add(
        _table(
            ["approach", "seconds", "runs", "series/s", "of ideal", "time vs geo_nb", "notes"],
            rows,
        )
    )
    add("")
    add(interpret_throughput(r))
    add("\n### How the ratio grows with table size\n")
    sweep = r["sweep"]
    add(
        f"The same measurement on a smaller mix ({sweep['series_per_point'] // 2} sequencing-"
        f"style + {sweep['series_per_point'] // 2} array-style series), the array tables at "
        "0 to 50,000 rows per sample (geo_nb: median of "
        f"{cfg['reps']} cold runs; GEOparse in `ThreadPoolExecutor(10)`: 1 run).\n"
    )
    rows = []
    for p in sweep["points"]:
        rows.append(
            [
                f"{p['rows']:,}",
                f"{p['family_gz_bytes_array'] / 1e6:.2f} MB",
                _s(p["geo_nb_seconds"]),
                _s(p["geoparse_threads"]["seconds"]),
                f"{p['geoparse_threads']['cpu_seconds']:.1f}",
                f"{p['ratio']:.1f}x",
            ]
        )
    add(
        _table(
            [
                "rows per sample table",
                "array family .gz",
                "geo_nb s",
                "GEOparse threads s",
                "GEOparse CPU s",
                "geo_nb speed-up",
            ],
            rows,
        )
    )
    add("")
    add(interpret_sweep(r))

    # 2. search
    s = r["search"]
    add(f"\n## 2. Search: {s['hits']:,} hits summarised\n")
    add(
        _table(
            [
                "hits",
                "seconds",
                "requests",
                "max E-utilities requests in any 1 s",
                "rate_limit_violations",
                "result",
            ],
            [
                [
                    f"{s['hits']:,}",
                    _s(s["seconds"]),
                    f"{s['requests']:.0f} (1 esearch + esummary pages of 500)",
                    str(s["max_in_any_1s_window"]),
                    str(s["rate_limit_violations"]),
                    _verdict(s["rate_limit_violations"] == 0),
                ]
            ],
        )
    )
    add("")
    add(interpret_search(r))

    # 3. parse
    add("\n## 3. Parsing family SOFT files\n")
    add(
        "geo_nb: `convert_entities(iter_soft_file(path))` (metadata; tables are skipped). "
        "GEOparse: `GEOparse.GEOparse.parse_GSE(path, {})` (metadata and every table as a "
        "DataFrame). Files: GSE27011's records resized to 2, 40 and 600 samples with "
        f"{parse_rows:,}-row tables, uncompressed `.soft`, plus the 20 MB file gzip'ed (one "
        "member, level 6). Peak memory, the same way for both tools in a fresh process per run: "
        "the peak RSS while parsing minus the RSS after the imports, i.e. Linux's `VmHWM` "
        "after parsing minus `VmRSS` after the imports, the high-water mark being reset to "
        "the current RSS after the imports (`/proc/self/clear_refs`). Not `ru_maxrss`: Linux "
        "carries the forking parent's high-water mark across `exec`, so a worker "
        "reports at least the RSS `bench/run.py` had when it started it. Speed compares CPU "
        "seconds (wall seconds shown too; the machine is noisy).\n"
    )
    rows = []
    for label, p in r["parse"].items():
        gn, gp = p["geo_nb"], p["geoparse"]
        rows.append(
            [
                f"{label} ({p['bytes'] / 1e6:.1f} MB{', gzip' if p['gzip'] else ''}, "
                f"{gn['samples']} samples)",
                str(len(gn["runs"])),
                f"{gn['cpu_seconds']:.2f} / {gn['seconds']:.2f}",
                f"{gp['cpu_seconds']:.2f} / {gp['seconds']:.2f}",
                f"{p['speedup_cpu']:.1f}x / {p['speedup_wall']:.1f}x",
                f"{gn['peak_rss_delta_mib']:.1f}",
                f"{gp['peak_rss_delta_mib']:.1f}",
                f"{'>= ' if p['memory_ratio_is_lower_bound'] else ''}{p['memory_ratio']:.0f}x",
            ]
        )
    add(
        _table(
            [
                "file",
                "runs",
                "geo_nb CPU / wall s",
                "GEOparse CPU / wall s",
                "speed-up CPU / wall",
                "geo_nb peak MiB",
                "GEOparse peak MiB",
                "memory ratio",
            ],
            rows,
        )
    )
    add("")
    add(interpret_parse(r))

    # 4. cache
    c = t["cache"]
    add(f"\n## 4. Cache: the fetch of benchmark 1 ({n} series, `files=False`)\n")

    def versus(label: str, state: str, cold: str, goal: float | None, digits: int = 3) -> list[str]:
        """The row of ``c[state + "_seconds"]`` (and ``_runs``) against the cold fetch
        ``c[cold]``; ``goal`` is the target ratio."""
        seconds = c[f"{state}_seconds"]
        ratio = c[cold] / seconds
        target = ["-", "-"] if goal is None else [f">= {goal:.0f}x", _verdict(ratio >= goal)]
        runs = str(len(c[f"{state}_runs"]))
        return [label, f"{seconds:.{digits}f}", runs, f"{ratio:.0f}x", *target]

    latency = f"latency {cfg['latency'] * 1000:.0f} ms"
    rows = [
        [f"cold ({latency})", _s(c["cold_seconds"]), str(len(t["geo_nb"]["runs"])), "1x", "-", "-"],
        versus(
            "warm from memory (same process)",
            "warm_memory",
            "cold_seconds",
            100,
            digits=4,
        ),
        versus(
            "warm from disk (new process, memory cache empty)",
            "warm_disk",
            "cold_seconds",
            100,
        ),
        [
            f"cold with the file inventory (files=True, {latency})",
            _s(c["files_cold_seconds"]),
            str(len(t["geo_nb_files"]["runs"])),
            "1x",
            "-",
            "-",
        ],
        versus(
            f"warm start, new process, {t['accessions']} series (files=True)",
            "warm_start",
            "files_cold_seconds",
            100,
        ),
    ]
    if "catalog_seconds" in c:
        rows.append(
            versus(
                f"new process, {t['accessions']} series from the catalog (offline=True)",
                "catalog",
                "files_cold_seconds",
                50,
            )
        )
    rows.append(
        versus(
            "diagnostic: warm from memory with a Python SIGINT handler installed",
            "warm_memory_sigint_handler",
            "cold_seconds",
            None,
            digits=4,
        )
    )
    add(_table(["state", "seconds (median)", "runs", "cold / this", "target", "result"], rows))
    add("")
    add(interpret_cache(r))

    # 5. import
    i = r["import"]
    add(f"\n## 5. Import time (fresh interpreter, median of {cfg['import_reps']})\n")
    add(
        _table(
            ["import", "seconds", "runs"],
            [
                ["`import geo_nb`", _s(i["geo_nb_seconds"]), str(len(i["runs"]["geo_nb"]))],
                ["`import pandas`", _s(i["pandas_seconds"]), str(len(i["runs"]["pandas"]))],
            ],
        )
    )
    add("")
    add(interpret_import(r))

    # 6. inventory
    inv = r["inventory"]
    add("\n## 6. File inventory and resumed download (`bench/inventory.py`)\n")
    rows = []
    for key in ("inventory", "inventory_exact_sizes"):
        x = inv["inventory"][key]
        rows.append(
            [
                f"`fetch(files=True{', exact_sizes=True' if 'exact' in key else ''})`",
                f"{inv['inventory']['series']}",
                _s(x["seconds"]),
                ", ".join(f"{k} {v}" for k, v in x["requests"].items()),
                f"{x['files']} ({x['exact']} exact, {x['total_gib']} GiB)",
                str(x["errors"]),
            ]
        )
    add(_table(["run", "series", "seconds", "requests", "files", "errors"], rows))
    d = inv["resumed_download"]
    add(
        f"\nResumed download: a {d['size_bytes'] / 1e6:.1f} MB file at "
        f"{d['bandwidth_bytes_per_s'] / 1e6:g} MB/s, cut after half: status `{d['status']}` "
        f"in {d['seconds']} s, requests "
        + ", ".join(f"{q['status']} ({q['range'] or 'no Range'})" for q in d["requests"])
        + f", size verified: {d['verified_size']}. No target; kept from the earlier "
        "`bench/inventory.py`.\n"
    )

    if "fallback" in r:
        add(fallback_markdown(r["fallback"]))
    if "matrices" in r:
        from matrices import markdown as matrices_markdown

        add("\n" + matrices_markdown(r["matrices"]).replace("## ", "## 8. ", 1))

    if "runs" in r:
        add(runs_markdown(r["runs"]).replace("## ", "## 9. ", 1))

    add("## Performance problems this suite found in geo_nb\n")
    add(findings(r))
    add("\n## Not measured\n")
    add(not_measured(r))
    return "\n".join(out) + "\n"


def _acc_span(runs: list[Json]) -> float:
    """Median seconds from the first acc.cgi request's arrival to the last answer."""
    return median([x["emulator"]["acc_timeline"]["first_arrival_to_last_end_s"] for x in runs])


def interpret_throughput(r: Json) -> str:
    """What the throughput numbers say, and what limits them."""
    t = r["throughput"]
    n, ideal = t["accessions"], t["ideal_series_per_s"]
    g, raw = t["geo_nb"]["seconds"], t["raw_httpx"]["seconds"]
    tp, seq = t["geoparse_threads"]["seconds"], t["geoparse_sequential"]["seconds"]
    cpu = median([x["cpu_seconds"] for x in t["geo_nb"]["runs"]])
    fraction, raw_fraction = n / g / ideal, n / raw / ideal
    tp_cpu = median([x["cpu_seconds"] for x in t["geoparse_threads"]["runs"]])
    array_mb = r["emulator"]["family_gz_bytes"][f"array_{r['config']['main_rows']}"] / 1e6
    latency, bandwidth = r["config"]["latency"], r["config"]["bandwidth"]
    parts = [
        f"geo_nb fetched the {n} series in {g:.2f} s: {fraction:.0%} of the ideal "
        f"{ideal:.0f} series/s, {tp / g:.1f}x faster than GEOparse in a thread pool and "
        f"{seq / g:.1f}x faster than sequential GEOparse.",
    ]
    if fraction < 0.9:
        parts.append(
            f"What limits it: plain httpx sending the same requests, with no parsing, cache "
            f"or limiter, reached {raw_fraction:.0%} of the ideal ({raw:.2f} s). The emulator "
            f"(a threaded Python server) and the client share 2 busy cores, and each wave of "
            f"{r['config']['concurrency']} requests costs the latency plus server and client "
            f"CPU. On top of that ceiling geo_nb needs {g - raw:.2f} s more: the emulator saw "
            f"its requests over {_acc_span(t['geo_nb']['runs']):.2f} s (plain httpx: "
            f"{_acc_span(t['raw_httpx']['runs']):.2f} s), the client using {cpu:.2f} CPU s, "
            f"much of it digesting answers (parse, convert, cache) on the event loop while "
            f"the next requests wait (finding 2, open); the other "
            f"{g - _acc_span(t['geo_nb']['runs']):.2f} s fall before the first request and "
            f"after the last answer (mostly first use in a fresh process)."
        )
    else:
        parts.append(
            f"Plain httpx sending the same requests (no parsing, cache or limiter) reached "
            f"{raw_fraction:.0%} of the ideal ({raw:.2f} s); geo_nb's client used {cpu:.2f} "
            f"CPU s."
        )
    parts += [
        f"At the defaults the ideal ({r['config']['concurrency']} / {latency:g} s = "
        f"{ideal:.0f}/s) is also geo_nb's acc.cgi rate limit (40 requests/s, below NCBI's "
        f"50), so raising `max_concurrency` cannot go faster; 90% of the ideal leaves "
        f"{n / ideal / 0.9 - n / ideal:.2f} s over the {n / ideal:.2f} s of pure latency for "
        f"everything else.",
        f"GEOparse is slower for another reason: it downloads each whole family SOFT "
        f"({array_mb:.1f} MB for an array series, at {bandwidth / 1e6:g} MB/s) and parses "
        f"every table into pandas under the GIL, so threads overlap the downloads but not the "
        f"parsing ({tp_cpu:.1f} CPU s in the thread-pool run).",
        f"`files=True` adds the folder listing and `filelist.txt` of each series "
        f"({t['geo_nb_files']['requests']:.0f} requests in all); at 40 requests/s that cannot "
        f"take less than {t['geo_nb_files']['requests'] / 40:.2f} s, and it took "
        f"{t['geo_nb_files']['seconds']:.2f} s "
        f"({t['geo_nb_files']['requests'] / 40 / t['geo_nb_files']['seconds']:.0%} of that "
        f"bound).",
    ]
    return "\n".join(f"- {part}" for part in parts)


def interpret_sweep(r: Json) -> str:
    """How the ratio moves with table size."""
    points = r["sweep"]["points"]
    first, last = points[0], points[-1]
    geo = [p["geo_nb_seconds"] for p in points]
    ratios = [p["ratio"] for p in points]
    grows = all(b > a for a, b in itertools.pairwise(ratios))
    text = (
        f"geo_nb's time stays at {min(geo):.2f}-{max(geo):.2f} s whatever the table size "
        f"(acc.cgi's brief view carries no tables), while GEOparse's grows with the bytes to "
        f"download and the rows to parse: the ratio goes from {first['ratio']:.1f}x with no "
        f"tables to {last['ratio']:.1f}x at {last['rows']:,} rows per sample"
        f"{' and grows at every step' if grows else ' (not monotonically: noise)'}."
    )
    if first["ratio"] < 2:
        text += (
            " Without tables GEOparse in 10 threads is close to geo_nb: both are then bound "
            "by latency, and the family SOFT of a series without tables is about as small as "
            "an acc.cgi answer."
        )
    if first["ratio"] < 1:
        text += (
            " It is even ahead there: these 20 series are two waves of requests, over which "
            "geo_nb's first-use cost in a fresh process (~0.1-0.2 s) weighs."
        )
    return text


def interpret_search(r: Json) -> str:
    """Search: the pacing explains the seconds."""
    s = r["search"]
    latency, bandwidth = r["config"]["latency"], r["config"]["bandwidth"]
    pages = max(s["requests"] - 1, 1)
    page_bytes = s["bytes"] / pages
    interval = 1.1 / 3
    floor = (s["requests"] - 1) * interval + latency + page_bytes / bandwidth
    violations = s["rate_limit_violations"]
    return (
        f"{s['requests']:.0f} requests for {s['hits']:,} hits: one `esearch` with "
        f"`usehistory=y`, then {pages:.0f} `esummary` pages of up to 500 from the history, "
        f"requested concurrently but paced by geo_nb at 3/s plus a 10% margin "
        f"({interval:.3f} s apart). The last page cannot leave before "
        f"{(s['requests'] - 1) * interval:.2f} s and then takes the latency and its transfer "
        f"(~{page_bytes / 1e6:.1f} MB at {bandwidth / 1e6:g} MB/s), so ~{floor:.1f} s is the "
        f"floor; the rest is parsing the JSON and building the DataFrame on a busy machine. "
        f"The emulator enforces NCBI's 3 requests/s over any 1 s window and answered "
        + ("no 429" if violations == 0 else f"{violations} 429s")
        + f" in {len(s['runs'])} runs (at most {s['max_in_any_1s_window']} requests in any "
        "1 s window)."
    )


def interpret_parse(r: Json) -> str:
    """Parse: where the time goes."""
    p20, gz, big = r["parse"]["20MB"], r["parse"]["20MB.gz"], r["parse"]["300MB"]
    per_row = p20["geo_nb"]["cpu_seconds"] / max(p20["geo_nb"]["table_rows"], 1) * 1e9
    memory_ok, speed_ok = p20["memory_ratio"] >= 5, p20["speedup_cpu"] >= 5
    text = (
        f"Memory: geo_nb's peak stays flat ({p20['geo_nb']['peak_rss_delta_mib']:.1f} MiB "
        f"above the post-import baseline for 20 MB, "
        f"{big['geo_nb']['peak_rss_delta_mib']:.1f} MiB for 300 MB) while GEOparse's grows "
        f"with the file ({p20['geoparse']['peak_rss_delta_mib']:.0f} and "
        f"{big['geoparse']['peak_rss_delta_mib']:.0f} MiB: it keeps every table as a "
        f"DataFrame); the memory target is {'met' if memory_ok else 'missed'}. "
        f"Speed: geo_nb is {p20['speedup_cpu']:.1f}x faster in CPU time on the 20 MB file, "
        f"so the speed target is {'met' if speed_ok else 'missed'}."
    )
    if not speed_ok:
        text += (
            f" geo_nb does not parse the table rows, but its reader still reads and tests "
            f"each one in Python (~{per_row:.0f} ns of CPU per row here), whereas GEOparse "
            f"hands each table to pandas' C parser in one call: on table-heavy files the "
            f"per-line loop, not the metadata work, bounds geo_nb's advantage."
        )
    text += (
        f" Gzip'ed, the ratio is {gz['speedup_cpu']:.1f}x: decompressing costs geo_nb "
        f"{gz['geo_nb']['cpu_seconds'] - p20['geo_nb']['cpu_seconds']:.2f} CPU s more than "
        f"the plain file and GEOparse "
        f"{gz['geoparse']['cpu_seconds'] - p20['geoparse']['cpu_seconds']:.2f} s "
        "(decompression, which both pay in C)."
    )
    return text


def interpret_cache(r: Json) -> str:
    """Cache: what a warm fetch still does."""
    c = r["throughput"]["cache"]
    n = r["throughput"]["accessions"]
    memory_ratio = c["cold_seconds"] / c["warm_memory_seconds"]
    handler_ratio = c["cold_seconds"] / c["warm_memory_sigint_handler_seconds"]
    disk_ratio = c["cold_seconds"] / c["warm_disk_seconds"]
    text = (
        f"From memory, a repeated fetch returns the parsed records without a request: "
        f"{c['warm_memory_seconds'] * 1000:.1f} ms for {n} series ({memory_ratio:.0f}x). "
        f"With a Python SIGINT handler installed, so that `asyncio.run` does not install its "
        f"own, the same warm fetch takes {c['warm_memory_sigint_handler_seconds'] * 1000:.1f} "
        f"ms ({handler_ratio:.0f}x; see finding 1). "
    )
    start_ratio = c["files_cold_seconds"] / c["warm_start_seconds"]
    text += (
        f"From disk, a new process reads one digest per accession (the records parsed from "
        f"its answers and, with files=True, its parsed suppl/ folder and inventory rows; "
        f"stored plain, as a pickle of plain data and dates from which the records are rebuilt "
        f"without a second validation: see geo_nb/digests.py and geo_nb/_plain.py) and "
        f"verifies it (length, SHA-256): "
        f"{c['warm_disk_seconds'] * 1000:.0f} ms without the inventory ({disk_ratio:.0f}x), "
        f"{c['warm_start_seconds'] * 1000:.0f} ms with it, against "
        f"{c['files_cold_seconds']:.2f} s cold ({start_ratio:.0f}x). No SOFT is parsed and "
        f"no request is sent."
    )
    return text


def interpret_import(r: Json) -> str:
    """Import: where the time goes."""
    i = r["import"]
    by_package = ", ".join(f"{k} {v:.0f} ms" for k, v in i["importtime_by_package_ms"].items())
    top = ", ".join(f"{x['module']} {x['self_ms']:.0f} ms" for x in i["importtime_top_self_ms"][:5])
    return (
        f"`import geo_nb` takes {i['geo_nb_seconds'] / i['pandas_seconds']:.1f}x as long as "
        f"`import pandas` (which it imports, with pydantic and httpx; GEOparse, matplotlib "
        f"and ipywidgets are imported lazily). `python -X importtime -c 'import geo_nb'` (one "
        f"run; the flag adds its own overhead), self time by top-level package: {by_package}. "
        f"Largest modules by self time: {top}. No target was set."
    )


def findings(r: Json) -> str:
    """The performance problems this suite found: three fixed, one open (with evidence)."""
    t = r["throughput"]
    c = t["cache"]
    n = t["accessions"]
    p20, gz = r["parse"]["20MB"], r["parse"]["20MB.gz"]
    cpu = median([x["cpu_seconds"] for x in t["geo_nb"]["runs"]])
    evidence = r["evidence_fetch"]
    on_loop, in_thread = evidence["digest_runs"]["on_loop"], evidence["digest_runs"]["in_thread"]
    first = (
        "1. **Fixed: every sync call formatted its result inside `asyncio.run`.** "
        "`asyncio.Runner.run` formats `repr(task)`, result included, when it restores the "
        "SIGINT handler, and `GEOResult.__repr__` built the samples and files DataFrames "
        "to count their rows (82% of a warm fetch under cProfile; a warm fetch of 100 series "
        "took 42.7 ms). Now `run_sync` hands results back in a box whose repr costs nothing, "
        "and `GEOResult.__repr__` counts from the records. This run: "
        f"{c['warm_memory_seconds'] * 1000:.1f} ms, and "
        f"{c['warm_memory_sigint_handler_seconds'] * 1000:.1f} ms with a Python SIGINT "
        "handler installed (so that `asyncio.run` installs none): the two now agree."
    )

    def digest_line(runs: list[Json]) -> str:
        return (
            f"{median([x['seconds'] for x in runs]):.2f} s, digests "
            f"{median([x['digest_total_s'] for x in runs]):.2f} s in all "
            f"(mean {median([x['digest_mean_ms'] for x in runs]):.1f} ms, max "
            f"{median([x['digest_max_ms'] for x in runs]):.0f} ms), "
            f"{median([x['digest_on_loop_total_s'] for x in runs]):.2f} s of them on the loop"
        )

    second = (
        f"2. **Open: CPU on the event loop between requests.** The cold fetch used {cpu:.2f} "
        f"CPU s in the client for {n} answers (~{cpu / n * 1000:.0f} ms per answer, "
        "everything included: httpx, asyncio, first use, and the digests measured below). "
        "Answers under 512 kB are digested (`GEOClient._digest`: check, parse, convert, "
        "cache) on the event loop after the queued requests have gone out. The emulator saw "
        f"geo_nb's requests over {_acc_span(t['geo_nb']['runs']):.2f} s against "
        f"{_acc_span(t['raw_httpx']['runs']):.2f} s for plain httpx. Diagnostic cold fetches "
        f"in one process, alternating (median of {len(on_loop)} each): as shipped "
        f"{digest_line(on_loop)}; with every answer digested in a thread "
        f"(`_DIGEST_IN_THREAD = 0`) {digest_line(in_thread)}. "
    )
    if median([x["seconds"] for x in in_thread]) < 0.9 * median([x["seconds"] for x in on_loop]):
        second += "Moving the digest off the loop helps measurably here."
    else:
        second += (
            "Moving the digest to a thread does not help measurably on this 2-core machine "
            "(the GIL and the emulator compete for the same CPU), so the cost to cut is the "
            "digest itself, mostly the pydantic records built by `convert_entities`."
        )
    digest_parts = evidence["digest_parts_s"]
    total = sum(x["wall_s"] for x in digest_parts.values()) or 1.0
    second += (
        " Its parts (wall / CPU seconds of the loop thread): "
        + ", ".join(
            f"`{name}` {x['wall_s']:.2f} / {x['cpu_s']:.2f} s ({x['wall_s'] / total:.0%})"
            for name, x in sorted(digest_parts.items(), key=lambda kv: -kv[1]["wall_s"])
        )
        + "."
    )
    third = (
        "3. **Fixed: table rows were skipped one Python iteration at a time**, and a "
        "`.gz` family file was read one `GzipFile.readline` per line (the 20 MB file took "
        "0.53 CPU s plain and 1.19 s gzip'ed; 2.4x GEOparse's speed). `iter_soft_file` now "
        "reads 256 KiB chunks and skips a whole table with `bytes.find` (its end marker) "
        "and `bytes.count` (its rows). This run: "
        f"{p20['geo_nb']['cpu_seconds']:.2f} CPU s plain, {gz['geo_nb']['cpu_seconds']:.2f} "
        f"s gzip'ed ({p20['speedup_cpu']:.1f}x and {gz['speedup_cpu']:.1f}x GEOparse), "
        f"{p20['geo_nb']['peak_rss_delta_mib']:.1f} MiB peak."
    )
    fourth = (
        "4. **Fixed: Python's cyclic garbage collector walked every live object while "
        "records were built.** A new process reading the digests of the 100 series "
        "(`files=True`) builds some 60,000 lists, dicts and pydantic models; every 700 new "
        "containers start a collection, and the older generations' collections walk "
        "everything alive (pandas, numpy, the records so far): at commit 493059b, one full "
        "collection of 46-60 ms plus 12-17 ms of 91 younger ones, in warm starts of "
        "0.18-0.26 s (`gc.callbacks`, 3 runs). "
        "`geo_nb._gcpause.paused_gc` pauses the collector while records are built in bulk "
        "(the digests of a fetch, the catalog's reads and writes, parsing an answer, the "
        "frames); a series' digest also carries its inventory rows, read back with the "
        "records rather than built again row by row. That left one young collection of "
        "10-16 ms when the pause ended, walking every record just built; a warm start's pause "
        "now ends by moving them to the oldest generation (`gc.freeze()` then "
        "`gc.unfreeze()`), and "
        "the collector's time in a warm start is 0.1 ms instead of 10-16 ms "
        "(`gc.callbacks`, 4 fresh processes with the change and 4 without, measured outside "
        "the bench at commit 8d98e74). "
        "Before (commit 493059b): warm start 0.30 s (26x), from "
        "the catalog 0.22 s (35x), warm from disk without files 0.22 s (16x). Before this "
        "round's cuts (commit 65989c4, the previous RESULTS.md): 0.167 s (44x), 0.103 s "
        "(71x), 0.110 s (30x). This run: warm start "
        f"{c['warm_start_seconds']:.3f} s "
        f"({c['files_cold_seconds'] / c['warm_start_seconds']:.0f}x), from the catalog "
        f"{c['catalog_seconds']:.3f} s "
        f"({c['files_cold_seconds'] / c['catalog_seconds']:.0f}x), warm from disk "
        f"{c['warm_disk_seconds']:.3f} s ({c['cold_seconds'] / c['warm_disk_seconds']:.0f}x)."
    )
    fifth = (
        "5. **Fixed: a warm start validated again the records it had validated before "
        "writing them.** "
        "At commit 8d98e74 (measured outside the bench, 3-9 fresh processes each), most of "
        "a warm start was building the records: pydantic read 5.0 MB of JSON digests (900 "
        "samples and 3,150 file rows) in 50-73 ms in a fresh process, about as long as "
        "`json.loads` took to build plain dicts from the same bytes (52-65 ms). Digests are "
        "now a pickle of plain data (2.3 MB: one string per repeated SOFT value, so a "
        "protocol shared by a series' samples is stored once), read by an unpickler that "
        "refuses every global, and the models are rebuilt as pydantic's own unpickling does, "
        "without validating again (geo_nb/_plain.py; the tests check the result equals "
        "pydantic's validation for every record type). Measured outside the bench at commit "
        "406b7dc (10 fresh processes, medians): reading and verifying the 100 files 9.7 ms, "
        "unpickling 28 ms, rebuilding the models 17 ms, the folder listings 5 ms, the catalog "
        "record 5 ms; the whole fetch 84 ms (range 67-115 ms). Before (commit 5b0d116, the "
        "previous RESULTS.md): warm start 0.113 s (64x), warm from disk 0.075 s (43x); in "
        "alternating fresh processes of the previous code (2f279b9) and the new, outside "
        "the bench (five sets of 8-14 "
        "each), this round took 15-34% off the median warm start. "
        "The ratio to cold moves with the machine's load more than with any cut left. Two "
        "earlier full runs of this code, with one warm-start process per rep: at 860405f, "
        "106x (warm starts 113, 65, 69 ms; from the catalog 86 ms), at 2f185ee 66x (115, "
        "112, 88 ms; from the catalog 128 ms). The catalog's code did not change between "
        "them, so its row shows the machine: 84x and 58x. Since then each rep starts three "
        "new processes of each kind (medians of 9); at 58a2225 that gave 65x (from the "
        "catalog 63x)."
    )
    warm = c["files_cold_seconds"] / c["warm_start_seconds"]
    control = c["files_cold_seconds"] / c["catalog_seconds"]
    sixth = (
        "6. **Fixed: a warm start built objects nobody needed, and each 4 KiB of them cost a "
        "page fault.** On this machine (a Firecracker VM) the first touch of a page costs "
        "about 3 us, so what a warm start allocates is time. At 4834463 the digests of the "
        "100 series took 195,000 allocated blocks and 18.4 MB once read "
        "(`sys.getallocatedblocks`, `tracemalloc`), and the fetch 4,770 page faults (about "
        "14 ms). "
        "A quarter of the memory was one `model_fields_set` per model (6,250 sets of 13 to "
        "30 names); 27,000 strings were attribute labels every sample repeats (pydantic's "
        "JSON-mode dump makes a new string for each dict key); 13,500 objects were folder "
        "listings, which a warm start with stored rows never reads. Now the models rebuilt "
        "from one class share one read-only fields set (geo_nb._plain.AllFieldsSet: pydantic "
        "only adds a name already in it, any other change raises, a copy is a plain set); a "
        "digest is a pickle of `model_dump()` (one string per label, dates as dates: the "
        "unpickler allows `datetime.date`, and now the shared list below, and no other "
        "class); the SOFT parser keeps one "
        "string per label and `parse_characteristic` one per tag; a folder's lists are a "
        "pickle of their own inside the digest, read when first used. Then (5cb8c85) a "
        "digest stores each distinct list of strings once, and the records read back share "
        "it as one read-only list (geo_nb._plain.SharedList: a series' samples repeat most "
        "values; the 100 series' 30,850 attribute lists are 8,950 distinct ones). Measured "
        "outside the bench, 20 fresh processes each, alternating 4834463 and de07329: "
        "143,000 blocks, 11.4 MB and 2,970 page faults; the fetch's median 75.0 ms before, "
        "59.7 ms after (fastest 62.5 and 49.7 ms). Alternating a70dabd and 5cb8c85: 86,000 "
        "blocks, 8.6 MB and 2,240 page faults; medians 75.6 and 62.0 ms before, 66.3 and "
        "50.0 ms after (two sets of 20). This run's warm starts took "
        + ", ".join(f"{x['seconds'] * 1000:.0f}" for x in c["warm_start_runs"])
        + f" ms ({warm:.0f}x); the catalog row, whose code did not change, {control:.0f}x. "
        "Earlier full runs: 124x at 5cb8c85, the first of this code (catalog row 66x); "
        "130x at de07329 (83x) and 89x at 6db6423 (72x), before the shared lists; and "
        "with the code before this finding 106x at 860405f (84x). Against the catalog row "
        "as a control (the warm start's ratio over the catalog's), the code before this "
        "finding gave 1.03-1.26, the first changes 1.24-1.57, the shared lists 1.88 at "
        f"5cb8c85 and {warm / control:.2f} in this run."
    )
    return "\n\n".join([first, second, third, fourth, fifth, sixth])


def not_measured(r: Json) -> str:
    """What this run did not measure, or measured less thoroughly than the rest."""
    cfg = r["config"]
    per_point = r["sweep"]["series_per_point"]
    return "\n".join(
        [
            "- Real NCBI: everything ran against the emulator on loopback. Real latency "
            "varies, real acc.cgi answers can take longer than 250 ms, and real family files "
            "of array series are often larger (platform tables with annotation columns; the "
            "emulated families carry the recorded platform's attributes only).",
            '- GEOparse\'s other paths (`how="full"` for a GSM or GPL through acc.cgi, '
            "annotated GPLs): only the family SOFT path was compared, as the issue asks.",
            "- Memory during a fetch (memory was measured for parsing only).",
            f"- Repetitions where a run is expensive: GEOparse in the thread pool ran "
            f"{cfg['geoparse_reps']} times and sequential GEOparse once on the main mix; the "
            f"table-size sweep used {per_point} series per point (not 100) and one GEOparse "
            f"run per point; the 300 MB file was parsed once per tool.",
            "- A quiet machine: the load average above shows other work on the 2 cores; "
            "medians and CPU seconds reduce that noise but do not remove it.",
            *(
                [
                    "- SRA runs (section 9) against real NCBI and ENA: the clones' ENA rows are "
                    "generated from their run info (real ENA reports of these studies were not "
                    "found), ENA is on the same loopback server as NCBI, and the per-sample way "
                    f"was measured on {r['runs']['per_sample']['series']} of the "
                    f"{r['runs']['series']} series and scaled by samples. The runs stage "
                    "lasts under a second, so the machine's load moves its ratio to the floor "
                    "by several points between runs (see `all` in results.json).",
                ]
                if "runs" in r
                else []
            ),
        ]
    )


def main() -> None:
    """Print the report of a results.json (``bench/out/results.json`` by default)."""
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "out/results.json"
    sys.stdout.write(render(json.loads(path.read_text(encoding="utf-8"))))


if __name__ == "__main__":
    main()
