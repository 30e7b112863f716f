"""The explorer's design view, toggles, samples-driven plans and "Show the code", headless.

The code panel's script is run in a real kernel (the one users paste it into) and must
give the frames the explorer shows.
"""

from __future__ import annotations

import io
import os
import queue
import subprocess
import sys
import time

import pandas as pd
import pytest

import geo_nb
from geo_nb.jupyter.widgets import GEOExplorer
from geo_nb.jupyter.widgets.codepanel import view_code
from geo_nb.jupyter.widgets.table import MISSING_LEVEL, TablePanel
from geo_nb.jupyter.widgets.toggles import ToggleChips
from geo_nb.testing import NCBIEmulator

from .test_widgets import row_accessions, run

SERIES = "GSE146537"  # genotype SETD2-deficient x 3, SETD2-proficient x 3


async def designed() -> GEOExplorer:
    explorer = GEOExplorer("ATAC-seq", max_results=20)
    await run(explorer, explorer.form.search)
    explorer.series_table.html.selection = [SERIES]  # a click on its row
    await run(explorer, explorer.fetch_button)
    return explorer


async def test_samples_tab_is_a_design_view_with_facets(geo_env: NCBIEmulator) -> None:
    explorer = await designed()
    panel = explorer.samples_panel
    table = explorer.samples_table
    # Varying factors come right after the ids; what is constant is one line above.
    assert table.shown_columns[:4] == ["series_accession", "accession", "title", "genotype"]
    assert "organism" not in table.shown_columns and "source" not in table.shown_columns
    assert "<b>organism</b>: Homo sapiens" in panel.constant.value
    chips = panel.chips["genotype"]
    assert [label for label, _ in chips.options] == [
        "all (6)",
        "SETD2-deficient (3)",
        "SETD2-proficient (3)",
    ]
    chips.value = "SETD2-proficient"  # a click on the chip
    assert len(table.view) == 3 and set(table.view.genotype) == {"SETD2-proficient"}
    assert len(row_accessions(table.html.value)) == 3
    # "Select all filtered", then the download panel plans those samples' files.
    table.select_all.click()
    assert table.selection == list(table.view.accession) and "3 selected" in table.count.value
    download = explorer.download_panel
    download.categories.value = ("genome_track",)
    assert download.plan is not None and len(download.plan) == 6
    download.scope.value = "selected"
    assert download.plan is not None
    assert sorted(download.plan.files.accession) == sorted(table.view.accession)
    chips.value = ""  # all again: the filtered samples are the six
    download.scope.value = "filtered"
    assert download.plan is not None and len(download.plan) == 6
    table.clear.click()
    download.scope.value = "selected"
    assert download.plan is not None and len(download.plan) == 0
    assert "No selected samples" in download.summary.value


async def test_no_silent_column_cap(geo_env: NCBIEmulator) -> None:
    res = geo_nb.fetch("GSE211781", progress=False)
    explorer = GEOExplorer(result=res)
    factors = res.design().factor_names
    assert set(factors) <= set(explorer.samples_table.shown_columns)
    for factor in factors:
        assert f'data-column="{factor}"' in explorer.samples_table.html.value


def test_toggle_chips_work_like_a_multiple_choice() -> None:
    chips = ToggleChips(options=[("a (1 file)", "a"), ("b (2 files)", "b")])
    seen: list[tuple[str, ...]] = []
    chips.observe(lambda change: seen.append(change["new"]), names="value")
    chips.children[1].value = True  # a click on "b"
    chips.children[0].value = True
    assert chips.value == ("a", "b") and seen[-1] == ("a", "b")
    chips.value = ("b",)
    assert [c.value for c in chips.children] == [False, True]
    with pytest.raises(Exception, match="not an option"):
        chips.value = ("c",)
    chips.options = [("a", "a")]  # options change: choices no longer offered are dropped
    assert chips.value == ()


async def test_the_code_runs_in_a_kernel_and_gives_the_same_frames(
    geo_env: NCBIEmulator, tmp_path: pytest.TempPathFactory
) -> None:
    jupyter_client = pytest.importorskip("jupyter_client.manager")
    explorer = await designed()
    explorer.series_table.html.sort = ["n_samples", True]  # a header click in the Series tab
    explorer.samples_panel.chips["genotype"].value = "SETD2-deficient"
    explorer.samples_table.html.sort = ["accession", False]  # a header click, twice
    shown = list(explorer.samples_table.view.accession)
    explorer.samples_table.html.selection = shown[:2]
    explorer.download_panel.scope.value = "selected"
    explorer.download_panel.categories.value = ("genome_track",)
    code = explorer.code
    assert code.startswith("import geo_nb\n\nhits = geo_nb.search(")
    assert 'samples = samples.sort_values("accession", ascending=False)' in code
    assert 'shown = shown.sort_values("n_samples", ascending=True)' in code
    assert 'plan = res.plan(category=["genome_track"], accessions=chosen_samples)' in code
    assert explorer.show_code.panel.code == code
    probe = (
        "\nprint('HITS', hits.to_json(date_format='iso'))"
        "\nprint('SHOWN', list(shown.accession))"
        "\nprint('SAMPLES', samples.to_json())"
        "\nprint('PLAN', plan.files.to_json())"
    )
    km, kc = jupyter_client.start_new_kernel(
        kernel_name="python3", env=dict(os.environ), cwd=str(tmp_path)
    )
    try:
        out: list[str] = []

        def hook(message: dict[str, object]) -> None:
            content = message["content"]
            assert isinstance(content, dict)
            if message["msg_type"] == "stream":
                out.append(str(content["text"]))
            elif message["msg_type"] == "error":
                out.append(f"ERROR {content['ename']}: {content['evalue']}")

        deadline = time.monotonic() + 120
        reply = kc.execute_interactive(code + probe, timeout=120, output_hook=hook)
        assert time.monotonic() < deadline
    except queue.Empty:  # pragma: no cover - a hung kernel
        pytest.fail("the kernel did not answer")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    printed = "".join(out)
    assert reply["content"]["status"] == "ok", printed
    lines = {
        line.split(" ", 1)[0]: line.split(" ", 1)[1]
        for line in printed.splitlines()
        if line.startswith(("HITS ", "SHOWN ", "SAMPLES ", "PLAN "))
    }
    assert explorer.hits is not None and explorer.plan is not None
    assert lines["SHOWN"] == str(list(explorer.series_table.view.accession))
    hits = pd.read_json(io.StringIO(lines["HITS"]))
    assert list(hits.accession) == list(explorer.hits.accession)
    samples = pd.read_json(io.StringIO(lines["SAMPLES"]))
    view = explorer.samples_table.view
    assert list(samples.accession) == shown == list(view.accession)
    assert list(samples.genotype) == list(view.genotype)
    plan = pd.read_json(io.StringIO(lines["PLAN"]))
    assert list(plan.accession) == list(explorer.plan.files.accession)
    assert sorted(plan.accession) == sorted(shown[:2])


def test_teaching_mode_sets_the_demo_with_latency_and_suggestions() -> None:
    # In a new process: the demo points this process's environment at itself.
    code = (
        "import geo_nb, time\n"
        "mode = geo_nb.teaching_mode(latency=0.2)\n"
        "print(mode.base_url.startswith('http://127.0.0.1:'), mode.latency)\n"
        "print(geo_nb.Settings().offline_demo, 'Try: ' in repr(mode))\n"
        "page = mode._repr_html_()\n"
        "print('<code>SLFN11</code>' in page, 'GSE100494' in page)\n"
        "started = time.monotonic()\n"
        "geo_nb.search('SLFN11', progress=False)\n"
        "print(time.monotonic() - started >= 0.2)\n"
        "from geo_nb.jupyter.widgets import GEOExplorer\n"
        "print(GEOExplorer().form.query.value)\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GEO_NB_", "NCBI_"))}
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["True 0.2", "True True", "True True", "True", "SLFN11"]


@pytest.mark.parametrize(
    ("needle", "kept"),
    [
        ("na", []),  # astype(str) would match the "<NA>" and "nan" of missing cells
        ("wt; ko", ["GSM2"]),  # a list cell reads as the table shows it
        ("hidden", []),  # only in a column the table does not show
        ("GSM1", ["GSM1"]),
    ],
)
def test_the_code_keeps_the_rows_the_text_filter_keeps(needle: str, kept: list[str]) -> None:
    frame = pd.DataFrame(
        {
            "accession": ["GSM1", "GSM2", "GSM3"],
            "genotype": ["WT", ["WT", "KO"], pd.NA],
            "age": [7.0, float("nan"), 3.0],
            "note": ["hidden", "hidden", "hidden"],
        }
    )
    panel = TablePanel("samples", ["accession", "genotype", "age"])
    panel.set_frame(frame)
    panel.filter_text.value = needle
    assert_code_keeps(panel, frame, kept, "samples = geo_nb.rows_containing(samples, ")


def assert_code_keeps(panel: TablePanel, frame: pd.DataFrame, kept: list[str], start: str) -> None:
    """The table keeps ``kept``, and so does the one line its code panel writes, run."""
    assert list(panel.view.accession) == kept
    (line,) = view_code("samples", panel)
    assert line.startswith(start)
    scope = {"geo_nb": geo_nb, "samples": frame}
    exec(line, scope)
    assert list(scope["samples"].accession) == kept


@pytest.mark.parametrize(
    ("column", "level", "kept"),
    [
        ("genotype", MISSING_LEVEL, ["GSM3", "GSM4"]),  # missing and empty read alike
        ("genotype", "WT; KO", ["GSM2"]),  # a list cell, as the table shows it
        ("age", "7.0", ["GSM1"]),  # a number: "7.0" == 7.0 would keep nothing
        ("series_accession", "", ["GSM4"]),  # the series choice's "(none)"
    ],
)
def test_the_code_keeps_the_rows_the_facets_and_choice_keep(
    column: str, level: str, kept: list[str]
) -> None:
    frame = pd.DataFrame(
        {
            "series_accession": ["GSE1", "GSE1", "GSE2", pd.NA],
            "accession": ["GSM1", "GSM2", "GSM3", "GSM4"],
            "genotype": ["WT", ["WT", "KO"], pd.NA, ""],
            "age": [7.0, float("nan"), 3.0, 3.0],
        }
    )
    panel = TablePanel("samples", list(frame.columns), choice="series_accession")
    panel.set_frame(frame)
    if column == "series_accession":
        panel.choice_filter.value = level
    else:
        panel.set_facet(column, level)
    assert_code_keeps(panel, frame, kept, "samples = geo_nb.rows_where(samples, ")
