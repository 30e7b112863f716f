"""Command line: ``geo-nb search``, ``geo-nb fetch`` and ``geo-nb demo``.

``geo-nb demo`` runs a search and a fetch against the bundled recordings of
real GEO records (the NCBI emulator on 127.0.0.1), so it works without
network access; add ``--online`` to ask NCBI itself.

Example:
    $ geo-nb search "ATAC-seq" --organism "Homo sapiens" --max 20
    $ geo-nb fetch GSE146537 GSM11805
    $ geo-nb demo
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence

import pandas as pd

from .api import fetch, search
from .errors import GeoNBError
from .result import GEOResult

__all__ = ["main"]


@contextlib.contextmanager
def _offline() -> Iterator[None]:
    """Serve the bundled recordings on loopback and point geo_nb at them."""
    from .testing import NCBIEmulator

    saved = dict(os.environ)
    with NCBIEmulator() as emulator, tempfile.TemporaryDirectory(prefix="geo_nb-demo-") as cache:
        os.environ.update(emulator.env())
        os.environ["GEO_NB_CACHE_DIR"] = cache
        try:
            yield
        finally:
            os.environ.clear()
            os.environ.update(saved)


def _show(title: str, frame: pd.DataFrame, columns: Sequence[str], rows: int = 15) -> None:
    print(f"\n== {title} ({len(frame)} rows) ==")
    if frame.empty:
        print("(none)")
        return
    shown = frame[[c for c in columns if c in frame.columns]].head(rows).copy()
    for column in shown.columns:
        if shown[column].dtype == object or str(shown[column].dtype) == "string":
            shown[column] = (
                shown[column]
                .map(lambda v: ", ".join(v) if isinstance(v, list) else v)
                .astype("string")
                .str.slice(0, 60)
            )
    print(shown.to_string(index=False))
    if len(frame) > rows:
        print(f"... {len(frame) - rows} more")


def _show_result(res: GEOResult) -> None:
    _show("series", res.series, ["accession", "title", "n_samples", "published", "organism"])
    characteristics = [c for c in res.samples.columns if c.startswith("ch1.")][:3]
    _show(
        "samples",
        res.samples,
        ["series_accession", "accession", "title", "library_strategy", *characteristics],
    )
    _show("files", res.files, ["accession", "level", "name", "category", "format"])
    _show("errors", res.errors, ["accession", "kind", "message"])


def _search(args: argparse.Namespace) -> None:
    hits = search(
        args.query,
        organism=args.organism,
        study_type=args.study_type,
        published_from=args.published_from,
        published_to=args.published_to,
        max_results=args.max,
        progress=not args.quiet,
    )
    print(f"NCBI understood: {hits.attrs['query_translation']}")
    print(f"{hits.attrs['count']} hits, {len(hits)} summarised")
    _show("hits", hits, ["accession", "title", "n_samples", "published", "organism"], rows=args.max)


def _fetch(args: argparse.Namespace) -> None:
    _show_result(fetch(args.accessions, refresh=args.refresh, progress=not args.quiet))


def _demo(args: argparse.Namespace) -> None:
    context = contextlib.nullcontext() if args.online else _offline()
    with context:
        where = "NCBI" if args.online else "the bundled GEO recordings (offline)"
        print(f"Searching {where} for SETD2 series in human samples...")
        hits = search("SETD2", organism="Homo sapiens", max_results=20, progress=not args.quiet)
        print(f"NCBI understood: {hits.attrs['query_translation']}")
        _show("hits", hits, ["accession", "title", "n_samples", "published"])
        print("\nFetching their metadata...")
        _show_result(fetch(hits.accession, progress=not args.quiet))


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="geo-nb", description="NCBI GEO as tables.")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    commands = parser.add_subparsers(dest="command", required=True)
    s = commands.add_parser("search", help="search GEO series")
    s.add_argument("query")
    s.add_argument("--organism")
    s.add_argument("--study-type")
    s.add_argument("--from", dest="published_from")
    s.add_argument("--to", dest="published_to")
    s.add_argument("--max", type=int, default=20)
    s.set_defaults(run=_search)
    f = commands.add_parser("fetch", help="fetch metadata of GSE/GSM/GPL accessions")
    f.add_argument("accessions", nargs="+")
    f.add_argument("--refresh", action="store_true", help="ignore the caches")
    f.set_defaults(run=_fetch)
    d = commands.add_parser("demo", help="search and fetch, offline by default")
    d.add_argument("--online", action="store_true", help="ask NCBI instead of the recordings")
    d.set_defaults(run=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    pd.set_option("display.width", 200)
    try:
        args.run(args)
    except GeoNBError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
