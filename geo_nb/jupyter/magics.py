"""IPython extension: the ``%geo`` line magic.

``%load_ext geo_nb`` registers ``%geo`` (``%geo?`` shows the full help)::

    %geo search "ATAC-seq" --organism "Homo sapiens" --from 2020 --max 50
    %geo fetch GSE146537 GSE150868
    %geo files GSE146537 --category raw_archive --category genome_track
    %geo runs GSE52778
    %geo explore "ATAC-seq" --organism "Homo sapiens"

Words after the command form the query (quotes only group words, as in a
shell; for an Entrez phrase write ``'"single cell" AND tumor'``). Accessions
may be separated by spaces or commas, or be the name of a variable holding a
list or a DataFrame with an ``accession`` column (``%geo fetch hits``).

Each command returns its result (a DataFrame, a :class:`~geo_nb.GEOResult`
or a :class:`~geo_nb.jupyter.widgets.GEOExplorer`), so ``x = %geo ...`` and ``_``
work and the result shows richly. A bad option raises IPython's
``UsageError`` (its message and the usage, no traceback); a geo_nb error is
reported the same way, as one line.

Example:
    >>> # %load_ext geo_nb
    >>> # hits = %geo search "ATAC-seq" --organism "Homo sapiens" --max 20
    >>> # res = %geo fetch hits
"""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterable
from typing import Any

import pandas as pd
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.core.magic_arguments import MagicArgumentParser

import geo_nb
from geo_nb.accessions import is_accession
from geo_nb.errors import GeoNBError
from geo_nb.files.classify import CATEGORIES

__all__ = ["GEOMagics", "load_ipython_extension"]

COMMANDS = ("search", "fetch", "files", "explore", "runs")
_SEARCH_OPTIONS = (
    *("organism", "study_type", "published_from", "published_to"),
    *("min_samples", "max_samples", "supplementary", "max_results"),
)
# Which options each command accepts (``quiet`` is accepted everywhere).
_ALLOWED: dict[str, set[str]] = {
    "search": set(_SEARCH_OPTIONS),
    "fetch": {"refresh"},
    "files": {"refresh", "category"},
    "explore": set(_SEARCH_OPTIONS),
    "runs": {"refresh"},
}
USAGE = """\
%geo search QUERY [-o ORGANISM] [-t STUDY_TYPE] [--from DATE] [--to DATE]
                  [--min-samples N] [--max-samples N] [-s TYPE] [-n N] [-q]
%geo fetch ACCESSION ... [--refresh] [-q]
%geo files ACCESSION ... [-c CATEGORY] [--refresh] [-q]
%geo explore [QUERY] [search options]
%geo runs ACCESSION ... [--refresh] [-q]
(%geo? shows every option)"""


def _one_line(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}"


def _build_parser() -> argparse.ArgumentParser:
    """The ``%geo`` parser: IPython's MagicArgumentParser, whose errors are UsageErrors."""
    parser: argparse.ArgumentParser = MagicArgumentParser(  # type: ignore[no-untyped-call, unused-ignore]
        prog="%geo",
        # IPython's help formatter prints "%" before the usage, and argparse wants "%%".
        usage=USAGE.removeprefix("%").replace("%", "%%"),
        description="Search GEO, fetch metadata, list supplementary files or SRA runs, or open "
        "the explorer.",
    )
    add = parser.add_argument
    add("command", choices=COMMANDS, help="what to do: " + ", ".join(COMMANDS))
    add("words", nargs="*", help="query words (search, explore) or accessions")
    add("-o", "--organism", action="append", help="organism; repeat for several")
    add("-t", "--study-type", action="append", help='e.g. "Expression profiling by array"')
    add("--from", dest="published_from", metavar="DATE", help="published since: 2020-06")
    add("--to", dest="published_to", metavar="DATE", help="published until: 2024-12-31")
    add("--min-samples", type=int, metavar="N", help="at least N samples")
    add("--max-samples", type=int, metavar="N", help="at most N samples")
    add("-s", "--supplementary", action="append", metavar="TYPE", help="file type: bed, cel")
    add("-n", "--max", dest="max_results", type=int, metavar="N", help="at most N hits (100)")
    add(
        "-c",
        "--category",
        action="append",
        choices=CATEGORIES,
        metavar="CATEGORY",
        help="files: keep this category (repeatable): " + ", ".join(CATEGORIES),
    )
    add("--refresh", action="store_true", help="fetch, files, runs: bypass the caches")
    add("-q", "--quiet", action="store_true", help="no progress bar")
    return parser


PARSER = _build_parser()


@magics_class
class GEOMagics(Magics):
    """The ``%geo`` magic; registered by ``%load_ext geo_nb``.

    Example:
        >>> # get_ipython().register_magics(GEOMagics)
    """

    @line_magic
    def geo(self, line: str = "") -> Any:
        """Search GEO, fetch metadata, list files or open the explorer (``%geo -h``)."""
        args = self._parse(line)
        if args is None:
            print(PARSER.format_help())
            return None
        command: str = args.command
        try:
            if command == "search":
                return self._search(args)
            if command == "explore":
                return self._explore(args)
            accessions = self._accessions(args.words)
            if command == "runs":
                return self._runs(accessions, args)
            result = geo_nb.fetch(accessions, refresh=args.refresh, progress=not args.quiet)
            if command == "fetch":
                return result
            files = result.files
            if args.category:
                files = files[files["category"].isin(args.category)].reset_index(drop=True)
            return files
        except GeoNBError as exc:
            raise UsageError(_one_line(exc)) from None

    # ---- parsing -----------------------------------------------------------------------

    def _parse(self, line: str) -> argparse.Namespace | None:
        """The parsed line, or None for ``-h``/``--help``; UsageError when it is wrong."""
        parser = PARSER
        try:
            argv = shlex.split(line)
        except ValueError as exc:  # an unclosed quote
            raise UsageError(f"{exc}\nUsage:\n{USAGE}") from None
        if not argv:
            raise UsageError(f"%geo needs a command.\nUsage:\n{USAGE}")
        if "-h" in argv or "--help" in argv:
            return None
        try:
            args = parser.parse_intermixed_args(argv)
        except UsageError as exc:
            raise UsageError(f"{exc}\nUsage:\n{USAGE}") from None
        defaults = parser.parse_args([args.command])
        wrong = [
            name
            for name, value in vars(args).items()
            if name not in ("command", "words", "quiet")
            and value != getattr(defaults, name)
            and name not in _ALLOWED[args.command]
        ]
        if wrong:
            shown = ", ".join("--" + n.replace("_", "-") for n in wrong)
            shown = shown.replace("--published-from", "--from").replace("--published-to", "--to")
            shown = shown.replace("--max-results", "--max")
            raise UsageError(f"%geo {args.command} does not take {shown}.\nUsage:\n{USAGE}")
        if args.command in ("fetch", "files", "runs") and not args.words:
            raise UsageError(f"%geo {args.command} needs accessions.\nUsage:\n{USAGE}")
        return args

    def _accessions(self, words: Iterable[str]) -> list[str]:
        """Accessions from words: split on commas; a variable name gives its accessions."""
        namespace = self.shell.user_ns if self.shell is not None else {}
        found: list[str] = []
        for word in words:
            for token in (t for t in re.split(r"[\s,]+", word) if t):
                value = namespace.get(token) if not is_accession(token.upper()) else None
                if isinstance(value, pd.DataFrame) and "accession" in value:
                    found.extend(str(a) for a in value["accession"])
                elif isinstance(value, list | tuple | pd.Series | pd.Index):
                    found.extend(str(a) for a in value)
                else:
                    found.append(token)
        return found

    @staticmethod
    def _filters(args: argparse.Namespace) -> dict[str, Any]:
        return {
            name: getattr(args, name)
            for name in _SEARCH_OPTIONS
            if name != "max_results" and getattr(args, name) is not None
        }

    # ---- commands ----------------------------------------------------------------------

    def _search(self, args: argparse.Namespace) -> pd.DataFrame:
        max_results = 100 if args.max_results is None else args.max_results
        hits = geo_nb.search(
            " ".join(args.words),
            max_results=max_results,
            progress=not args.quiet,
            **self._filters(args),
        )
        _show_translation(hits)
        return hits

    @staticmethod
    def _runs(accessions: list[str], args: argparse.Namespace) -> pd.DataFrame:
        """The SRA runs of the accessions; what is missing is printed, one line per row."""
        result = geo_nb.fetch(
            accessions, runs=True, files=False, refresh=args.refresh, progress=not args.quiet
        )
        for row in result.errors.itertuples():
            print(f"Note: {row.accession} [{row.kind}]: {' '.join(str(row.message).split())}")
        return result.runs

    def _explore(self, args: argparse.Namespace) -> Any:
        from .widgets import GEOExplorer

        max_results = 100 if args.max_results is None else args.max_results
        explorer = GEOExplorer(" ".join(args.words), max_results=max_results)
        try:
            explorer.form.fill(**self._filters(args))
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return explorer


def _show_translation(hits: pd.DataFrame) -> None:
    """Print what NCBI searched, the hit count and any warning, before the table."""
    translation = str(hits.attrs.get("query_translation", ""))
    count = hits.attrs.get("count", len(hits))
    print(f"NCBI searched: {translation or '(no translation)'} · {count} hits, {len(hits)} shown")
    for warning in hits.attrs.get("warnings", []):
        print(f"Warning: {warning}")


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register ``%geo`` (called by ``%load_ext geo_nb``).

    Example:
        >>> # get_ipython().run_line_magic("load_ext", "geo_nb")
    """
    ipython.register_magics(GEOMagics)


GEOMagics.geo.__doc__ = PARSER.format_help()
