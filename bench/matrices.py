"""Reading analysis-ready matrices: a 30 MB 10x matrix and a 40,000 x 100 counts table.

Which reader should geo_nb use for the files ``res.to_anndata`` and ``res.counts``
read? Each candidate reads the same synthetic file in a fresh process (so peak memory,
``ru_maxrss``, is its own), three times; the median wall time and the largest peak
are reported, and every reader's result is checked against what was written
(shape, number of non-zeros, sum).

* 10x: a gzipped Matrix Market file of 30 MB (genes x cells, integer UMI counts,
  the size of GEO's GSE125065 matrices) with its features and barcodes:
  scanpy's ``read_10x_mtx`` (when scanpy is installed) and geo_nb's ``read_mex`` with
  each Matrix Market parser (``scipy.io.mmread``, its pick, and the separate
  ``fast_matrix_market`` package, when installed),
  all reading matrix, features and barcodes into cells x genes; the bare parsers
  (``scipy.io.mmread``, ``fast_matrix_market.mmread``: the matrix alone) for reference.
* Counts: NCBI's counts layout (``GeneID`` + 100 GSM columns, 40,000 genes, gzipped
  TSV): pandas' C engine, pandas' pyarrow engine, ``anndata.io.read_text`` and
  geo_nb's ``read_counts`` (``Int64`` columns, as ``res.counts`` returns: the others
  give int64 or float32, so geo_nb does a little more).

The data are synthetic (seeded random counts with a realistic share of zeros): only
the shape matters here. Standalone; prints a Markdown section (``--json`` prints the
raw numbers, which ``bench/run.py`` records):

    python bench/matrices.py [--reps 3] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

Json = dict[str, Any]
MTX_TARGET_BYTES = 30 * 1024 * 1024
GENES = 30_000
COUNTS_SHAPE = (40_000, 100)
MTX_READERS = ("scipy", "fast_matrix_market", "scanpy", "geo_nb_fmm", "geo_nb")
# Readers that do what geo_nb does for a 10x sample (matrix, features and barcodes into a
# cells x genes matrix); the bare Matrix Market parsers are shown for reference only.
FULL_10X = ("scanpy", "geo_nb_fmm", "geo_nb")
TABLE_READERS = ("pandas_c", "pandas_pyarrow", "anndata", "geo_nb")


# ---- data ------------------------------------------------------------------------------


def make_mtx(folder: Path, target: int, seed: int = 0) -> Json:
    """A 10x MEX triple whose gzipped matrix is about ``target`` bytes."""
    import numpy as np
    import scipy.io
    import scipy.sparse

    rng = np.random.default_rng(seed)
    # About 3.05 gzipped bytes per non-zero entry (measured on this layout).
    nnz = int(target / 3.05)
    cells = max(50, nnz // 1500)
    rows = rng.integers(0, GENES, nnz)
    cols = rng.integers(0, cells, nnz)
    values = rng.geometric(0.45, nnz).astype(np.int64)
    matrix = scipy.sparse.coo_matrix((values, (rows, cols)), shape=(GENES, cells)).tocsr().tocoo()
    raw = folder / "matrix.mtx"
    # SciPy >= 1.12 writes Matrix Market with the bundled fast_matrix_market engine.
    scipy.io.mmwrite(raw, matrix, field="integer")
    with (
        raw.open("rb") as source,
        gzip.open(folder / "matrix.mtx.gz", "wb", compresslevel=6) as out,
    ):
        while chunk := source.read(1 << 22):
            out.write(chunk)
    raw.unlink()
    with gzip.open(folder / "features.tsv.gz", "wt") as out:
        out.writelines(f"ENSG{n:011d}\tGENE{n}\tGene Expression\n" for n in range(GENES))
    with gzip.open(folder / "barcodes.tsv.gz", "wt") as out:
        out.writelines(f"CELL{n:08d}-1\n" for n in range(cells))
    return {
        "bytes": (folder / "matrix.mtx.gz").stat().st_size,
        "shape": [GENES, cells],
        "nnz": int(matrix.nnz),
        "sum": int(matrix.sum()),
    }


def make_table(path: Path, shape: tuple[int, int], seed: int = 0) -> Json:
    """NCBI's counts layout: ``GeneID`` then one integer column per GSM, gzipped TSV."""
    import numpy as np

    rng = np.random.default_rng(seed)
    genes, samples = shape
    level = rng.lognormal(1.0, 2.0, genes) * (rng.random(genes) > 0.3)
    values = rng.poisson(level[:, None] * rng.uniform(0.7, 1.3, (genes, samples)))
    header = "GeneID\t" + "\t".join(f"GSM{9000000 + n}" for n in range(samples)) + "\n"
    with gzip.open(path, "wt", compresslevel=6) as out:
        out.write(header)
        for gene, row in zip(range(100000, 100000 + genes), values, strict=True):
            out.write(f"{gene}\t" + "\t".join(map(str, row)) + "\n")
    return {
        "bytes": path.stat().st_size,
        "shape": [genes, samples],
        "sum": int(values.sum()),
    }


# ---- one measurement (in its own process) ------------------------------------------------


def _read_mtx(reader: str, folder: Path) -> Any:
    """What the reader returns (checked after the clock stops)."""
    if reader == "scanpy":
        import scanpy

        return scanpy.read_10x_mtx(folder, var_names="gene_ids", cache=False)
    if reader in ("geo_nb", "geo_nb_fmm"):
        from geo_nb.parse.tenx import read_mex

        return read_mex(
            folder / "matrix.mtx.gz",
            folder / "features.tsv.gz",
            folder / "barcodes.tsv.gz",
            reader="fast_matrix_market" if reader == "geo_nb_fmm" else None,
        )
    with gzip.open(folder / "matrix.mtx.gz", "rb") as handle:
        if reader == "fast_matrix_market":
            import fast_matrix_market

            return fast_matrix_market.mmread(handle)
        import scipy.io

        return scipy.io.mmread(handle)


def _check_mtx(reader: str, found: Any) -> Json:
    """Shape (genes x cells), non-zeros and sum of what a reader returned."""
    if reader == "scanpy":
        matrix, shape = found.X.tocsr(), [found.n_vars, found.n_obs]
    elif reader in ("geo_nb", "geo_nb_fmm"):
        matrix = found.matrix.tocsr()
        shape = [matrix.shape[1], matrix.shape[0]]
    else:
        matrix, shape = found.tocsr(), list(found.shape)
    return {"shape": shape, "nnz": int(matrix.nnz), "sum": int(matrix.sum())}


def _read_table(reader: str, path: Path) -> Any:
    """What the reader returns (checked after the clock stops)."""
    if reader == "geo_nb":
        from geo_nb.parse.counts import read_counts

        return read_counts(path, kind="raw")
    if reader == "anndata":
        import anndata

        return anndata.io.read_text(path, delimiter="\t", first_column_names=True)
    import pandas as pd

    if reader == "pandas_pyarrow":
        return pd.read_csv(path, sep="\t", engine="pyarrow").set_index("GeneID")
    return pd.read_csv(path, sep="\t", index_col=0, engine="c")


def _check_table(reader: str, found: Any) -> Json:
    if reader == "anndata":
        return {"shape": list(found.shape), "sum": round(float(found.X.sum(dtype="float64")))}
    return {"shape": list(found.shape), "sum": int(found.to_numpy(dtype="int64").sum())}


_MODULES = {
    "scipy": ["scipy.io"],
    "fast_matrix_market": ["fast_matrix_market"],
    "scanpy": ["scanpy"],
    "geo_nb_fmm": ["geo_nb.parse.tenx", "fast_matrix_market"],
    "anndata": ["anndata"],
    "pandas_c": ["pandas"],
    "pandas_pyarrow": ["pandas", "pyarrow.csv"],
}


def _peak_mb() -> float:
    """The process's peak RSS (``VmHWM``: unlike ``ru_maxrss`` it is not inherited from
    the parent that forked this process)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(kind: str, reader: str, path: Path) -> Json:
    """Run one reader once, its modules imported first (import time is not the read's).

    Returns wall seconds, the peak RSS and the peak's growth over the process after
    the imports (what the read itself needed), and what it read.
    """
    import importlib

    modules = _MODULES.get(reader) or (
        ["geo_nb.parse.tenx", "scipy.io"] if kind == "mtx" else ["geo_nb.parse.counts"]
    )
    for module in modules:
        importlib.import_module(module)
    baseline = _peak_mb()
    started = time.perf_counter()
    result = _read_mtx(reader, path) if kind == "mtx" else _read_table(reader, path)
    seconds = time.perf_counter() - started
    peak = _peak_mb()
    found = _check_mtx(reader, result) if kind == "mtx" else _check_table(reader, result)
    return {
        "seconds": seconds,
        "peak_mb": round(peak, 1),
        "read_mb": round(peak - baseline, 1),
        **found,
    }


# ---- orchestration -----------------------------------------------------------------------


def _available(reader: str) -> bool:
    module = {
        "scanpy": "scanpy",
        "fast_matrix_market": "fast_matrix_market",
        "geo_nb_fmm": "fast_matrix_market",
    }.get(reader)
    if module is None:
        return True
    probe = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
    return probe.returncode == 0


def _runs(kind: str, reader: str, path: Path, reps: int) -> list[Json]:
    runs = []
    for _ in range(reps):
        out = subprocess.run(
            [sys.executable, __file__, "--measure", kind, reader, str(path)],
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    return runs


def _summary(runs: list[Json], expected: Json) -> Json:
    keys = ("shape", "nnz", "sum") if "nnz" in expected else ("shape", "sum")
    return {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "read_mb": max(r["read_mb"] for r in runs),
        "correct": all(all(r[k] == expected[k] for k in keys) for r in runs),
        "runs": [round(r["seconds"], 3) for r in runs],
    }


def run(reps: int, quick: bool) -> Json:
    """Make the files, time every available reader, pick the fastest correct."""
    results: Json = {"reps": reps, "quick": quick, "mtx": {}, "table": {}}
    with tempfile.TemporaryDirectory(prefix="geo_nb-matrices-") as tmp:
        folder = Path(tmp)
        target = MTX_TARGET_BYTES // (30 if quick else 1)
        shape = (2_000, 20) if quick else COUNTS_SHAPE
        results["mtx_file"] = make_mtx(folder, target)
        table = folder / "counts.tsv.gz"
        results["table_file"] = make_table(table, shape)
        for reader in MTX_READERS:
            if _available(reader):
                runs = _runs("mtx", reader, folder, reps)
                results["mtx"][reader] = _summary(runs, results["mtx_file"])
        for reader in TABLE_READERS:
            runs = _runs("table", reader, table, reps)
            results["table"][reader] = _summary(runs, results["table_file"])
    for kind in ("mtx", "table"):
        others = {
            k: v
            for k, v in results[kind].items()
            if k != "geo_nb" and v["correct"] and (kind == "table" or k in FULL_10X)
        }
        if not others:
            raise SystemExit(
                f"bench/matrices.py: no other {kind} reader to compare with; install them with "
                'pip install -e ".[bench]"'
            )
        best = min(others, key=lambda k: others[k]["seconds"])
        ours = results[kind]["geo_nb"]
        results[f"{kind}_best_other"] = best
        # "No slower than the best": within 10% (run-to-run noise on a shared machine).
        results[f"{kind}_pass"] = bool(
            ours["correct"] and ours["seconds"] <= others[best]["seconds"] * 1.10
        )
    return results


NAMES = {
    "scipy": "`scipy.io.mmread` (the matrix alone, genes x cells COO)",
    "fast_matrix_market": "`fast_matrix_market.mmread` (the matrix alone, genes x cells COO)",
    "scanpy": "scanpy `read_10x_mtx` (matrix + features + barcodes)",
    "geo_nb_fmm": "geo_nb `read_mex` with the `fast_matrix_market` package + features + barcodes",
    "geo_nb_mtx": "geo_nb `read_mex`: `scipy.io.mmread` + features + barcodes",
    "geo_nb_table": "geo_nb `read_counts` (`pyarrow.csv`, integers straight into `Int64` columns)",
    "pandas_c": "pandas `read_csv`, C engine",
    "pandas_pyarrow": "pandas `read_csv`, pyarrow engine",
    "anndata": "`anndata.io.read_text`",
}


def markdown(r: Json) -> str:
    """The Markdown section of the results."""
    m, t = r["mtx_file"], r["table_file"]
    out = ["## Reading matrices (`bench/matrices.py`)\n"]
    out.append(
        f"10x matrix: {m['bytes'] / 2**20:.1f} MiB gzipped Matrix Market, {m['shape'][0]:,} "
        f"genes x {m['shape'][1]:,} cells, {m['nnz']:,} non-zeros. Counts table: "
        f"{t['shape'][0]:,} x {t['shape'][1]} (NCBI's layout), {t['bytes'] / 2**20:.1f} MiB "
        f"gzipped. Median of {r['reps']} runs, each in a fresh process with the reader's modules "
        "imported before the clock starts; peak = max RSS of the process, in brackets its "
        "growth during the read.\n"
    )
    for kind, title in (("mtx", "10x matrix"), ("table", "counts table")):
        out.append(f"| {title} reader | seconds | peak MiB (read's own) | correct | runs |")
        out.append("|---|---|---|---|---|")
        for reader, x in sorted(r[kind].items(), key=lambda kv: kv[1]["seconds"]):
            name = NAMES["geo_nb_" + kind] if reader == "geo_nb" else NAMES[reader]
            out.append(
                f"| {name} | {x['seconds']:.2f} | {x['peak_mb']:.0f} ({x['read_mb']:.0f}) | "
                f"{'yes' if x['correct'] else 'NO'} | {', '.join(map(str, x['runs']))} |"
            )
        best = r[f"{kind}_best_other"]
        verdict = "PASS" if r[f"{kind}_pass"] else "MISS"
        scope = (
            "of the other full 10x readers (matrix, features and barcodes into cells x genes)"
            if kind == "mtx"
            else "other reader"
        )
        mine = r[kind]["geo_nb"]["seconds"]
        out.append(
            f"\nTarget (geo_nb no slower than the best {scope}, within 10%): **{verdict}**; "
            f"geo_nb: {mine:.2f} s; best other ({NAMES[best]}): {r[kind][best]['seconds']:.2f} s.\n"
        )
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--measure", nargs=3, metavar=("KIND", "READER", "PATH"))
    args = parser.parse_args()
    if args.measure:
        kind, reader, path = args.measure
        print(json.dumps(measure(kind, reader, Path(path))))
        return
    results = run(args.reps, args.quick)
    print(json.dumps(results) if args.json else markdown(results))


if __name__ == "__main__":
    main()
