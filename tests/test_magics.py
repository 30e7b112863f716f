"""The %geo magic in a real IPython InteractiveShell, against the NCBI emulator."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell

import geo_nb
from geo_nb.jupyter.widgets import GEOExplorer
from geo_nb.testing import NCBIEmulator


@pytest.fixture
def shell(geo_env: NCBIEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[InteractiveShell]:
    """The IPython shell with ``%load_ext geo_nb`` done, its namespace cleaned afterwards."""
    # IPython leaves ``_`` alone when builtins has one, and doctests run earlier in the
    # session leave one there (the default sys.displayhook sets it).
    monkeypatch.delattr(builtins, "_", raising=False)
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "geo_nb")
    before = set(ip.user_ns)
    yield ip
    for name in set(ip.user_ns) - before:
        del ip.user_ns[name]


def run_ok(ip: InteractiveShell, cell: str) -> Any:
    result = ip.run_cell(cell)
    assert result.success, result.error_in_exec or result.error_before_exec
    return result.result


def run_failing(ip: InteractiveShell, cell: str, capsys: pytest.CaptureFixture[str]) -> str:
    """Run a cell that must fail with a UsageError; return what it printed (no traceback)."""
    capsys.readouterr()
    result = ip.run_cell(cell)
    assert isinstance(result.error_in_exec, UsageError), result.error_in_exec
    printed = "".join(capsys.readouterr())
    assert "Traceback" not in printed and "UsageError: " in printed
    return printed


def test_search_returns_the_hits_and_prints_the_translation(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ok(shell, 'hits = %geo search "ATAC-seq" --organism "Homo sapiens" --max 50 -q')
    hits = shell.user_ns["hits"]
    assert isinstance(hits, pd.DataFrame) and "GSE146537" in set(hits.accession)
    assert hits.attrs["term"].startswith('(ATAC-seq) AND "Homo sapiens"[ORGN]')
    out = capsys.readouterr().out
    assert 'NCBI searched: ATAC-seq[All Fields] AND "Homo sapiens"[Organism]' in out
    # The value is also the cell's result, so ``_`` works.
    result = run_ok(shell, "%geo search ATAC-seq -o 'Homo sapiens' --from 2021 -n 3 -q")
    assert isinstance(result, pd.DataFrame) and len(result) <= 3
    assert shell.user_ns["_"] is result
    assert (result.published >= "2021-01-01").all()


def test_search_warns_about_dropped_field_tags(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ok(shell, "%geo search 'ATAC-seq AND foo[NOTAFIELD]' -q")
    assert "Warning: NCBI dropped the term(s) tagged [NOTAFIELD]" in capsys.readouterr().out


def test_search_magic_loads_no_widgets() -> None:
    """``%geo search`` only prints: it never imports ipywidgets (only ``%geo explore`` does)."""
    code = (
        "import sys\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'geo_nb')\n"
        "ip.run_line_magic('geo', 'search SETD2 -q')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'ipywidgets'))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEO_NB_")}
    env["GEO_NB_OFFLINE"] = "1"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_accessions_in_any_case_are_not_variable_names(shell: InteractiveShell) -> None:
    shell.user_ns["gse146537"] = ["GSE150868"]  # a variable that looks like an accession
    res = run_ok(shell, "%geo fetch gse146537 -q")
    assert list(res.series.accession) == ["GSE146537"]


def test_fetch_returns_a_result_and_accepts_variables(shell: InteractiveShell) -> None:
    run_ok(shell, "res = %geo fetch GSE146537 GSE150868 -q")
    res = shell.user_ns["res"]
    assert isinstance(res, geo_nb.GEOResult)
    assert list(res.series.accession) == ["GSE146537", "GSE150868"] and len(res.samples) == 41
    # Commas, and a variable holding accessions (a list, or a frame with an accession column).
    assert len(run_ok(shell, "%geo fetch GSE146537,GSM11805 -q").samples) == 7
    shell.user_ns["picked"] = pd.DataFrame({"accession": ["GSE150868"]})
    assert list(run_ok(shell, "%geo fetch picked -q").series.accession) == ["GSE150868"]


def test_files_filters_by_category(shell: InteractiveShell) -> None:
    files = run_ok(shell, "%geo files GSE146537 GSE150868 --category raw_archive -q")
    assert isinstance(files, pd.DataFrame)
    assert list(files.name) == ["GSE146537_RAW.tar", "GSE150868_RAW.tar"]
    both = run_ok(shell, "%geo files GSE146537 -c raw_archive -c genome_track -q")
    assert set(both.category) == {"raw_archive", "genome_track"} and len(both) == 7
    assert len(run_ok(shell, "%geo files GSE146537 -q")) == 7


def test_explore_returns_a_prefilled_explorer(shell: InteractiveShell) -> None:
    explorer = run_ok(
        shell,
        '%geo explore "ATAC-seq" --organism "Homo sapiens" --from 2020 --max-samples 40 -n 20',
    )
    assert isinstance(explorer, GEOExplorer)
    form = explorer.form
    assert (form.query.value, form.organism.value) == ("ATAC-seq", "Homo sapiens")
    assert (form.published_from.value, form.max_samples.value, form.max_results.value) == (
        "2020",
        "40",
        20,
    )
    assert explorer.hits is None


def test_runs_returns_the_runs_and_prints_what_is_missing(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str]
) -> None:
    run_ok(shell, "runs = %geo runs GSE52778 -q")
    runs = shell.user_ns["runs"]
    assert isinstance(runs, pd.DataFrame) and len(runs) == 16
    assert list(runs.source.value_counts().sort_index()) == [1, 15]  # ena, ncbi
    out = capsys.readouterr().out
    assert "Note: GSE52778 [runs_incomplete]: GSE52778: ENA has no FASTQ files for 15" in out
    assert run_ok(shell, "%geo runs GSE27011 -q").empty


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("%geo search x --bogus", "unrecognized arguments: --bogus"),
        ("%geo fetch GSE1 --organism x", "%geo fetch does not take --organism"),
        ("%geo search x --category raw_archive", "%geo search does not take --category"),
        ("%geo files GSE1 -c bogus", "invalid choice: 'bogus'"),
        ("%geo frobnicate", "invalid choice: 'frobnicate'"),
        ("%geo search x --max many", "invalid int value: 'many'"),
        ("%geo", "%geo needs a command"),
        ("%geo fetch", "%geo fetch needs accessions"),
        ("%geo runs", "%geo runs needs accessions"),
        ("%geo runs GSE1 -c raw_archive", "%geo runs does not take --category"),
        ("%geo search 'unclosed", "No closing quotation"),
    ],
)
def test_argument_errors_are_usage_errors_with_the_usage(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], cell: str, expected: str
) -> None:
    printed = run_failing(shell, cell, capsys)
    assert expected in printed and "%geo fetch ACCESSION ..." in printed


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (
            "%geo fetch GSE12x",
            "UsageError: InvalidAccessionError: Invalid GEO accession: 'GSE12x'.",
        ),
        (
            "%geo search x --from soon",
            "UsageError: QueryError: published_from='soon' is not a date",
        ),
        ("%geo search x --min-samples 9 --max-samples 2", "UsageError: QueryError: min_samples"),
    ],
)
def test_geo_nb_errors_are_one_line(
    shell: InteractiveShell, capsys: pytest.CaptureFixture[str], cell: str, expected: str
) -> None:
    printed = run_failing(shell, cell, capsys)
    assert expected in printed and "Usage:" not in printed
    assert len(printed.strip().splitlines()) == 1


def test_no_assignment_after_an_error(shell: InteractiveShell) -> None:
    shell.run_cell("x = %geo fetch GSE12x")
    assert "x" not in shell.user_ns


def test_help(shell: InteractiveShell, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_ok(shell, "%geo -h") is None
    out = capsys.readouterr().out
    assert "--organism" in out and "raw_archive" in out
    doc = shell.find_line_magic("geo").__doc__
    assert doc is not None and "--supplementary" in doc
    with pytest.raises(UsageError, match="does not take --refresh"):
        shell.run_line_magic("geo", "search x --refresh")


def test_import_geo_nb_stays_free_of_jupyter() -> None:
    """The core never imports Jupyter, widgets or plotting: only %load_ext does."""
    code = (
        "import sys, geo_nb; heavy = ('ipywidgets', 'IPython', 'matplotlib', 'ipykernel');"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert callable(geo_nb.load_ipython_extension)
