"""The benchmark emulator: the NCBI emulator in its own process, loaded with the bench data.

NCBI is remote, so the emulator runs in a process of its own (as in
``python -m geo_nb.testing``), with ``--latency`` seconds before every response
and ``--bandwidth`` body bytes/s per connection. It serves:

* ``seq``: clones of the sequencing-style series GSE146537 (6 samples, no tables);
* ``array_<rows>``: clones of the array series GSE27011 trimmed to 12 samples, whose
  family SOFT carries a ``rows``-row ``ID_REF``/``VALUE`` table per sample (see
  :mod:`geo_nb.testing.families`), for every requested table size;
* a family SOFT (``series/GSEnnn/GSEx/soft/GSEx_family.soft.gz``) for every clone,
  built from the same records acc.cgi serves;
* ``--docsums`` synthetic esummary docsums shaped like the recorded GSE93374 one,
  all matching the search term :data:`SEARCH_TERM`.

It prints one JSON line (``{"ready": ..., "sets": {...}}``) when serving, then
answers commands read from stdin, one per line, with one JSON line each:
``clear`` (forget the request log), ``stats`` (a summary of the requests logged
since the last ``clear``), ``quit``.

Run: python bench/serve.py --port 0 --latency 0.25 --bandwidth 4e6 --seq 50 --array 20000:50
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from geo_nb.accessions import bucket
from geo_nb.testing import NCBIEmulator, RequestRecord, max_in_window
from geo_nb.testing.families import FamilyBuilder, ReferenceTable, family_path, resize_series
from geo_nb.testing.store import BUNDLED_DATA
from geo_nb.testing.synth import clone_series

SEARCH_TERM = "benchsynthetic"
SEQ_TEMPLATE = "GSE146537"
ARRAY_TEMPLATE = "GSE27011"
ARRAY_SAMPLES = 12
# A real 28,231-row GSM665386 table (GSE27011's first sample, from its MINiML family),
# when the shared fixtures are mounted; otherwise GSM11805's 22,283-row table, which
# the bundled recordings hold (acc.cgi full view).
SHARED_TABLE = Path(
    "/work/shared/fixtures/ncbi/ftp/series/GSE27nnn/GSE27011/miniml_extracted/GSM665386-tbl-1.txt"
)
SHARED_TABLE_DESCRIPTION = "Pre processed, normalized, log2 expression values"
FIRST_SEQ_SERIES = 9_000_001
FIRST_ARRAY_SERIES = 9_100_001
FIRST_DOCSUM = 9_600_001


def reference_table(store_record: Any) -> ReferenceTable:
    """The real table the array-style tables are cut from."""
    if SHARED_TABLE.is_file():
        return ReferenceTable.from_tsv(SHARED_TABLE, value_description=SHARED_TABLE_DESCRIPTION)
    return ReferenceTable.from_record(store_record)


def add_docsums(emu: NCBIEmulator, count: int) -> list[str]:
    """``count`` docsums shaped like the recorded GSE93374 one, renumbered."""
    template = json.loads((BUNDLED_DATA / "docsums" / "GSE93374.json").read_text("utf-8"))
    accessions = []
    for n in range(count):
        number = FIRST_DOCSUM + n
        accession = f"GSE{number}"
        doc = copy.deepcopy(template)
        doc.update(
            uid=str(200_000_000 + number),
            accession=accession,
            gse=str(number),
            title=f"{template['title']} ({SEARCH_TERM} {n})",
            summary=f"{template['summary']} {SEARCH_TERM}",
            ftplink=f"ftp://ftp.ncbi.nlm.nih.gov/geo/series/{bucket(accession)}/{accession}/",
        )
        for k, sample in enumerate(doc["samples"]):
            sample["accession"] = f"GSM{96_000_000 + n * 20 + k}"
        emu.store.add_docsum(doc)
        accessions.append(accession)
    return accessions


def build(emu: NCBIEmulator, seq: int, arrays: list[tuple[int, int]]) -> dict[str, Any]:
    """Load the clones and their family files; returns the sets and build facts."""
    store = emu.store
    started = time.perf_counter()
    sets: dict[str, list[str]] = {}
    sizes: dict[str, int] = {}
    sample = store.record("GSM11805")
    reference = reference_table(sample)
    builder = FamilyBuilder(store, reference, slots=ARRAY_SAMPLES)
    sets["seq"] = clone_series(
        store, SEQ_TEMPLATE, seq, first_series=FIRST_SEQ_SERIES, first_sample=90_000_001
    )
    for series in sets["seq"]:
        sizes[series] = builder.add(series)
    resize_series(store, ARRAY_TEMPLATE, ARRAY_SAMPLES, first_sample=1)
    first_series, first_sample = FIRST_ARRAY_SERIES, 91_000_001
    for rows, count in arrays:
        made = clone_series(
            store, ARRAY_TEMPLATE, count, first_series=first_series, first_sample=first_sample
        )
        for series in made:
            sizes[series] = builder.add(series, rows)
        sets[f"array_{rows}"] = made
        first_series += 10_000
        first_sample += 100_000
    return {
        "sets": sets,
        "family_gz_bytes": {
            name: round(sum(sizes[s] for s in members) / len(members)) if members else 0
            for name, members in sets.items()
        },
        "family_paths_example": {name: family_path(m[0]) for name, m in sets.items() if m},
        "reference_table": {"source": reference.source, "rows": len(reference.rows)},
        "build_seconds": round(time.perf_counter() - started, 2),
    }


def summarize(records: list[RequestRecord], emu: NCBIEmulator) -> dict[str, Any]:
    """What the emulator saw: per service, the E-utilities pacing, proxied family files."""
    by_service = Counter(r.service for r in records)
    statuses = Counter(f"{r.service}:{r.status}" for r in records)
    eutils = [r for r in records if r.service == "eutils"]
    family = [r for r in records if r.path.endswith("_family.soft.gz")]
    hosts = Counter(
        next((v for k, v in r.headers.items() if k.lower() == "host"), "") for r in family
    )
    acc = sorted((r for r in records if r.service == "acc"), key=lambda r: r.time)
    span: dict[str, Any] = {}
    if acc:
        start = acc[0].time
        span = {
            "first_to_last_arrival_s": round(acc[-1].time - start, 3),
            "first_arrival_to_last_end_s": round(max(r.end_time for r in acc) - start, 3),
            "arrivals_by_quarter_s": [
                round(acc[i].time - start, 3) for i in range(0, len(acc), max(1, len(acc) // 4))
            ],
        }
    return {
        "acc_timeline": span,
        "requests": len(records),
        "by_service": dict(by_service),
        "statuses": dict(statuses),
        "bytes_sent": sum(r.bytes_sent for r in records),
        "eutils": {
            "requests": len(eutils),
            "max_in_any_1s_window": max_in_window([r.time for r in eutils]) if eutils else 0,
        },
        "family_files": {
            "requests": len(family),
            "host_headers": dict(hosts),
            "complete": sum(1 for r in family if r.status == 200),
            "bytes_sent": sum(r.bytes_sent for r in family),
        },
        "rate_limit_violations_total": emu.rate_limit_violations,
    }


def answer_commands(emu: NCBIEmulator, ready: dict[str, Any]) -> None:
    """Print ``ready`` as one JSON line, then answer ``clear``, ``stats``, ``quit`` from stdin."""
    print(json.dumps(ready), flush=True)
    for line in sys.stdin:
        command = line.strip()
        if command == "clear":
            emu.clear_log()
            print(json.dumps({"ok": True}), flush=True)
        elif command == "stats":
            print(json.dumps(summarize(emu.requests, emu)), flush=True)
        elif command == "quit":
            break
        else:
            print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.25)
    parser.add_argument("--bandwidth", type=float, default=4e6)
    parser.add_argument("--seq", type=int, default=50)
    parser.add_argument(
        "--array", action="append", default=[], metavar="ROWS:N", help="N array clones"
    )
    parser.add_argument("--docsums", type=int, default=2000)
    args = parser.parse_args()
    arrays = [tuple(map(int, spec.split(":"))) for spec in args.array]
    emu = NCBIEmulator(latency=args.latency, bandwidth=args.bandwidth, port=args.port)
    facts = build(emu, args.seq, [(rows, count) for rows, count in arrays])
    facts["docsums"] = len(add_docsums(emu, args.docsums))
    emu.store.docsums()  # index once now rather than during the first search
    with emu:
        ready = {"ready": emu.base_url, "latency_s": emu.latency, "bandwidth": emu.bandwidth}
        answer_commands(emu, {**ready, **facts})


if __name__ == "__main__":
    main()
