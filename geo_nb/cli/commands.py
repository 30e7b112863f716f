"""What each ``geo-nb`` command does, through geo_nb's public API only.

Each command returns the frame to print and whether some accessions failed
(exit status 1, with the errors listed on stderr).

Example:
    >>> # geo-nb fetch GSE211781 --frame samples --format json
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from ..api import fetch, search
from ..errors import GeoNBError, QueryError
from ..files.receipt import verify
from ..recording import catalog
from ..records import GEORecords
from ..result import GEOResult

__all__ = ["COMMANDS", "Outcome"]

Outcome = tuple[pd.DataFrame, bool]
FRAMES = ("series", "samples", "platforms", "files", "runs", "publications", "errors")
HIT_COLUMNS = ["accession", "title", "n_samples", "published", "organism", "study_type"]


def _filters(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "category": args.category,
        "format": args.file_format,
        "pattern": args.pattern,
        "max_size": args.max_size,
    }


def _checked_filters(args: argparse.Namespace) -> dict[str, Any]:
    """The file filters, checked before anything is fetched (a bad one is a usage error)."""
    filters = _filters(args)
    GEOResult(GEORecords()).plan(**filters)
    return filters


def _fetched(args: argparse.Namespace, **keywords: Any) -> GEOResult:
    if getattr(args, "from_catalog", False):
        keywords["offline"] = True
    result = fetch(args.accessions, progress=not args.quiet, refresh=args.refresh, **keywords)
    if len(result.errors):
        for row in result.errors.itertuples():
            print(f"{row.accession}: {row.kind}: {row.message}", file=sys.stderr)
    return result


def run_search(args: argparse.Namespace) -> Outcome:
    filters = {
        "organism": args.organism,
        "study_type": args.study_type,
        "published_from": args.published_from,
        "published_to": args.published_to,
    }
    hits = search(
        args.query,
        max_results=args.max,
        progress=not args.quiet,
        **{k: v for k, v in filters.items() if v is not None},
    )
    print(
        f"NCBI searched: {hits.attrs.get('query_translation', '')} "
        f"({hits.attrs.get('count', len(hits))} hits, {len(hits)} shown)",
        file=sys.stderr,
    )
    for warning in hits.attrs.get("warnings", []):
        print(f"warning: {warning}", file=sys.stderr)
    columns = [c for c in HIT_COLUMNS if c in hits.columns] if args.brief else list(hits.columns)
    return hits[columns], False


def run_fetch(args: argparse.Namespace) -> Outcome:
    result = _fetched(args)
    return getattr(result, args.frame), bool(len(result.errors))


def run_files(args: argparse.Namespace) -> Outcome:
    filters = _checked_filters(args)
    result = _fetched(args)
    plan = result.plan(**filters)
    print(f"{len(plan)} files, {plan.size_text}", file=sys.stderr)
    return plan.files, bool(len(result.errors))


def run_runs(args: argparse.Namespace) -> Outcome:
    result = _fetched(args, runs=True)
    return result.runs, bool(len(result.errors))


def run_download(args: argparse.Namespace) -> Outcome:
    filters = _checked_filters(args)
    result = _fetched(args)
    plan = result.plan(**filters)
    print(f"downloading {len(plan)} files, {plan.size_text}, into {args.dest}", file=sys.stderr)
    report = plan.download(args.dest, extract=args.extract, progress=not args.quiet)
    failed = report[report["status"].isin(["failed", "refused"])]
    for row in failed.itertuples():
        print(f"{row.name}: {row.status}: {row.error}", file=sys.stderr)
    return report, bool(len(result.errors) or len(failed))


def run_export(args: argparse.Namespace) -> Outcome:
    result = _fetched(args)
    dest = Path(args.dest)
    if args.to == "parquet":
        written = result.to_parquet(dest)
    elif args.to == "csv":
        written = result.to_csv(dest)
    elif args.to == "excel":
        written = [result.to_excel(dest / "geo_nb.xlsx")]
    else:
        written = [result.to_pep(dest, download_dir=args.download_dir)]
    return pd.DataFrame({"path": [str(p) for p in written]}), bool(len(result.errors))


def run_catalog(args: argparse.Namespace) -> Outcome:
    cat = catalog()
    if args.what == "sql":
        if not args.sql:
            raise QueryError("geo-nb catalog sql needs a SELECT statement")
        try:
            return cat.query(args.sql), False
        except Exception as exc:  # sqlite3 and pandas raise several types for a bad query
            raise QueryError(f"the catalog could not answer that query: {exc}") from None
    if args.what == "info":
        files = [p for p in cat.path.parent.glob(cat.path.name + "*") if p.is_file()]
        info = {
            "path": str(cat.path),
            "bytes": sum(p.stat().st_size for p in files),
            "fetches": len(cat.history()),
            "series": len(cat.accessions("series")),
            "samples": len(cat.accessions("sample")),
        }
        return pd.DataFrame([info]), False
    if args.what == "history":
        history = cat.history()
        history["requested"] = history["requested"].map(" ".join)
        return history, False
    return getattr(cat.result(), args.what), False


def run_verify(args: argparse.Namespace) -> Outcome:
    try:
        report = verify(args.dest)
    except FileNotFoundError as exc:
        raise GeoNBError(str(exc)) from None
    bad = report[report["status"] != "ok"]
    for row in bad.itertuples():
        print(f"{row.path}: {row.status} {row.detail}".rstrip(), file=sys.stderr)
    return report, bool(len(bad))


def _explorer_notebook(query: str) -> dict[str, Any]:
    """A one-cell notebook that shows the explorer, pre-filled with ``query``."""
    source = f"import geo_nb\n\nexplorer = geo_nb.GEOExplorer({json.dumps(query)})\nexplorer"
    cell: dict[str, Any] = {
        "cell_type": "code",
        "execution_count": None,
        "id": "geo-nb-explore",
        "metadata": {},
        "outputs": [],
        "source": source.splitlines(keepends=True),
    }
    kernel = {"display_name": "Python 3", "language": "python", "name": "python3"}
    return {"cells": [cell], "metadata": {"kernelspec": kernel}, "nbformat": 4, "nbformat_minor": 5}


def run_explore(args: argparse.Namespace) -> Outcome:
    folder = Path(args.dir).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    notebook = folder / "geo_nb_explorer.ipynb"
    notebook.write_text(json.dumps(_explorer_notebook(args.query or ""), indent=1) + "\n")
    command = [shutil.which("jupyter") or "jupyter", "lab", str(notebook)]
    print(f"notebook: {notebook}", file=sys.stderr)
    if args.dry_run:
        print(shlex.join(command))
        return pd.DataFrame(), False
    if shutil.which("jupyter") is None:
        raise GeoNBError('JupyterLab is not installed: pip install "geo_nb[lab]"')
    os.execvp(command[0], command)  # pragma: no cover - replaces this process
    return pd.DataFrame(), False  # pragma: no cover


COMMANDS = {
    "search": run_search,
    "fetch": run_fetch,
    "files": run_files,
    "runs": run_runs,
    "download": run_download,
    "export": run_export,
    "catalog": run_catalog,
    "verify": run_verify,
    "explore": run_explore,
}
