"""The tutorial notebooks: committed clean, listed in the README, exercises self-checking.

Running them is nbmake's job (``pytest`` collects ``notebooks/`` with ``--nbmake``,
offline); these checks keep the files themselves in shape.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def cells(path: Path) -> list[dict[str, object]]:
    return list(json.loads(path.read_text())["cells"])


def test_the_tutorials_exist() -> None:
    assert [p.stem[:2] for p in NOTEBOOKS] == [
        "01",
        "02",
        "03",
        "04",
        "05",
        "06",
        "07",
        "08",
        "09",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_committed_outputs(path: Path) -> None:
    for cell in cells(path):
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [], f"{path.name}: strip outputs before committing"
            assert cell["execution_count"] is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_notebook_checks_the_connection_first(path: Path) -> None:
    sources = ["".join(c["source"]) for c in cells(path) if c["cell_type"] == "code"]  # type: ignore[arg-type]
    assert "geo_nb.check_connection()" in sources[0]
    # The offline switch: the plain demo, or the teaching mode (the demo for workshops).
    assert "geo_nb.use_offline_demo()" in sources[1] or "geo_nb.teaching_mode()" in sources[1]


def test_readme_lists_every_notebook() -> None:
    readme = (ROOT / "README.md").read_text()
    for path in NOTEBOOKS:
        assert f"notebooks/{path.name}" in readme


def test_exercise_solutions_are_hidden_and_checked() -> None:
    path = ROOT / "notebooks" / "06_workshop_exercises.ipynb"
    solutions = [c for c in cells(path) if "solution" in c["metadata"].get("tags", [])]  # type: ignore[attr-defined]
    assert len(solutions) == 5
    for cell in solutions:
        assert cell["metadata"]["jupyter"]["source_hidden"] is True  # type: ignore[index]
        assert "assert " in "".join(cell["source"])  # type: ignore[arg-type]


def test_failing_demonstrations_are_tagged() -> None:
    for path in NOTEBOOKS:
        for cell in cells(path):
            if "raises-exception" in cell["metadata"].get("tags", []):  # type: ignore[attr-defined]
                assert "GSE12x" in "".join(cell["source"])  # type: ignore[arg-type]


def test_quickstart_shows_real_sizes_offline() -> None:
    """Notebook 01, run offline, shows sizes from GEO's filelist (the headline feature)."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(ROOT / "notebooks" / "01_quickstart.ipynb", as_version=4)
    env_before = os.environ.get("GEO_NB_OFFLINE")
    os.environ["GEO_NB_OFFLINE"] = "1"
    try:
        NotebookClient(notebook, timeout=300, allow_errors=True).execute()
    finally:
        if env_before is None:
            os.environ.pop("GEO_NB_OFFLINE", None)
    texts = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            texts.append(str(output.get("text", "")))
            texts.append(str(output.get("data", {}).get("text/plain", "")))
    shown = "\n".join(texts)
    assert "376 MiB in all" not in shown  # the two series hold more than one tar
    assert "filelist" in shown  # size_source of the files table
    assert "394301440" in shown  # GSE100494_RAW.tar's exact size
    assert "MiB in all" in shown
    assert "DownloadPlan(2 files, 376.0 MiB)" in shown


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_run_with_acc_cgi_challenged(path: Path) -> None:
    """Every notebook runs offline with the demo's acc.cgi answering every request with the
    bot-challenge page (``GEO_NB_DEMO_ACC=challenge``): records come from the FTP tree."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    probe = (
        'print("sources:", geo_nb.fetch("GSE100494", progress=False).sources().record_source[0])'
    )
    notebook.cells.append(nbformat.v4.new_code_cell(probe, id="probe"))
    saved = {name: os.environ.get(name) for name in ("GEO_NB_OFFLINE", "GEO_NB_DEMO_ACC")}
    os.environ.update(GEO_NB_OFFLINE="1", GEO_NB_DEMO_ACC="challenge")
    try:
        # Cells tagged raises-exception may raise; any other error fails the test.
        NotebookClient(notebook, timeout=300).execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    shown = "\n".join(
        str(output.get("text", "")) + "".join(map(str, output.get("data", {}).values()))
        for cell in notebook.cells
        for output in cell.get("outputs", [])
    )
    assert "acc.cgi answers with a bot-challenge page" in shown  # check_connection()
    assert "sources: series_matrix" in shown
