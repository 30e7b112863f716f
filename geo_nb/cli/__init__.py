"""``geo-nb``: geo_nb from a terminal or a script, no Jupyter needed.

Commands: ``search``, ``fetch``, ``files``, ``runs``, ``download``, ``catalog``,
``export``, ``verify``, ``explore`` and ``demo``. Results go to stdout as a
table on a terminal and as CSV when piped (or as asked: ``--format
table|csv|tsv|json``); progress and messages go to stderr. Exit status: 0 when
everything worked, 1 when some accessions (or files) failed, with the errors on
stderr, 2 for a usage error. Bad input is one line, never a traceback.

argparse rather than typer: it is in the standard library (the CLI adds no
dependency), and it gives exact control over the exit statuses and the
one-line errors a pipeline relies on.

Example:
    $ geo-nb search "ATAC-seq" --organism "Homo sapiens" --max 20
    $ geo-nb fetch GSE211781 --frame samples --format json | jq '.[0]'
    $ geo-nb download GSE100494 data/ --category genome_track
    $ geo-nb --offline fetch GSE100494          # the offline demo, no network
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any

import pandas as pd

from .._version import __version__
from ..errors import GeoNBError, InvalidAccessionError, QueryError
from .commands import COMMANDS, FRAMES
from .output import FORMATS, choose_format, write_frame

__all__ = ["main"]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line usage errors (exit status 2)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _files_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--category", action="append", help="file category (repeatable)")
    parser.add_argument("--file-format", action="append", help="file format, e.g. BED")
    parser.add_argument("--pattern", help="regular expression searched in file names")
    parser.add_argument("--max-size", help="e.g. 500M or 2G")


def _common(parser: argparse.ArgumentParser, default: object) -> None:
    """The options every command takes, before or after its name."""
    parser.add_argument(
        "-q", "--quiet", action="store_true", default=default, help="no progress bars"
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default=default if default is argparse.SUPPRESS else None,
        help="output format (default: table on a terminal, else csv)",
    )
    parser.add_argument(
        "--offline",
        action="store_true",
        default=default,
        help="answer from the offline demo's recordings",
    )


def parser() -> argparse.ArgumentParser:
    """The ``geo-nb`` argument parser."""
    main_parser = _Parser(prog="geo-nb", description="NCBI GEO as tables, from a terminal.")
    main_parser.add_argument("--version", action="version", version=f"geo_nb {__version__}")
    _common(main_parser, False)
    shared = _Parser(add_help=False)
    _common(shared, argparse.SUPPRESS)
    commands = main_parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add = commands.add_parser

    def command(name: str, **keywords: Any) -> argparse.ArgumentParser:
        made: argparse.ArgumentParser = add(name, parents=[shared], **keywords)
        return made

    s = command("search", help="search GEO series")
    s.add_argument("query")
    s.add_argument("--organism")
    s.add_argument("--study-type")
    s.add_argument("--from", dest="published_from")
    s.add_argument("--to", dest="published_to")
    s.add_argument("--max", type=int, default=20)
    s.add_argument("--all-columns", dest="brief", action="store_false")

    for name, text in (
        ("fetch", "metadata of GSE/GSM/GPL accessions"),
        ("files", "the sized supplementary files"),
        ("runs", "the SRA runs and FASTQ files"),
    ):
        p = command(name, help=text)
        p.add_argument("accessions", nargs="+")
        p.add_argument("--refresh", action="store_true", help="ignore the caches")
        p.add_argument(
            "--from-catalog",
            action="store_true",
            help="answer from the catalog of earlier fetches, with no network",
        )
        if name == "fetch":
            p.add_argument("--frame", choices=FRAMES, default="series")
        if name == "files":
            _files_options(p)

    d = command("download", help="download files (resumable, verified)")
    d.add_argument("accessions", nargs="+")
    d.add_argument("dest", help="folder; files land in DEST/<series>/<name>")
    d.add_argument("--refresh", action="store_true")
    d.add_argument("--extract", action="store_true", help="take members from RAW.tar")
    _files_options(d)

    e = command("export", help="write the frames as files")
    e.add_argument("accessions", nargs="+")
    e.add_argument("dest")
    e.add_argument("--to", choices=("parquet", "csv", "excel", "pep"), default="parquet")
    e.add_argument("--download-dir", default="geo_data", help="for pep: where files go")
    e.add_argument("--refresh", action="store_true")

    c = command("catalog", help="what was fetched, and when (the local catalog)")
    c.add_argument(
        "what",
        nargs="?",
        choices=("history", "info", *FRAMES, "sql"),
        default="history",
        help="history (default), info (location and size), a frame, or sql",
    )
    c.add_argument("sql", nargs="?", help="the SELECT statement, for `catalog sql`")

    v = command("verify", help="check a download folder against its receipt")
    v.add_argument("dest")

    x = command("explore", help="open JupyterLab on a notebook with the explorer")
    x.add_argument("query", nargs="?")
    x.add_argument("--dir", default=".", help="where to write the notebook")
    x.add_argument("--dry-run", action="store_true", help="write it, print the command")

    command("demo", help="a search and a fetch, offline")
    return main_parser


@contextlib.contextmanager
def _demo(offline: bool) -> Iterator[None]:
    if offline:
        from ..offline import use_offline_demo

        use_offline_demo()
    yield


def _run_demo(args: argparse.Namespace) -> tuple[pd.DataFrame, bool]:
    from ..api import fetch, search

    hits = search("SLFN11", max_results=20, progress=not args.quiet)
    print(f"NCBI searched: {hits.attrs.get('query_translation')}", file=sys.stderr)
    result = fetch(hits.accession, progress=not args.quiet)
    return result.files_summary(), bool(len(result.errors))


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``geo-nb``; return the exit status (0 ok, 1 some failures, 2 usage)."""
    args = parser().parse_args(argv)
    offline = args.offline or args.command == "demo"
    command = _run_demo if args.command == "demo" else COMMANDS[args.command]
    try:
        with _demo(offline):
            frame, failed = command(args)
    except (InvalidAccessionError, QueryError) as exc:
        print(f"geo-nb: error: {exc}", file=sys.stderr)
        return 2
    except GeoNBError as exc:
        print(f"geo-nb: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("geo-nb: interrupted", file=sys.stderr)
        return 130
    if len(frame.columns):
        pd.set_option("display.width", 250)
        try:
            write_frame(frame, choose_format(args.format, sys.stdout), sys.stdout)
        except BrokenPipeError:  # `geo-nb ... | head`
            sys.stderr.close()
    return 1 if failed else 0
