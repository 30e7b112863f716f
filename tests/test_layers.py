"""The layers stay true: import-linter's contracts pass, and fail when a rule is broken.

The contracts live in ``pyproject.toml`` and ``.ci/run`` runs ``lint-imports``. The
tests here run it on a temporary copy of the package, clean and with one rule
broken on purpose, so the contracts cannot silently stop checking.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
EMULATOR = "the emulator never imports the client"
LINT = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")


def lint(tree: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [LINT, "--config", str(tree / "pyproject.toml"), "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("layers")
    shutil.copytree(
        ROOT / "geo_nb",
        tree / "geo_nb",
        ignore=shutil.ignore_patterns("__pycache__", "data"),
    )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_the_contracts_hold(copy: Path) -> None:
    done = lint(copy)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("ncbi/urls.py", "from ..jupyter import plots", "ncbi never imports files or jupyter"),
        ("parse/soft.py", "from ..ncbi import http", "parse never imports ncbi"),
        ("files/plan.py", "import ipywidgets", "ncbi, parse and files never import notebook UI"),
        ("settings.py", "from . import offline", "settings imports nothing from geo_nb but errors"),
        ("result.py", "from . import testing", "geo_nb imports the emulator only lazily"),
        ("testing/store.py", "from ..accessions import is_accession", EMULATOR),
        ("testing/pytest_plugin.py", "from geo_nb.parse import soft", EMULATOR),
    ],
)
def test_a_broken_rule_fails(
    copy: Path, tmp_path: Path, module: str, line: str, contract: str
) -> None:
    tree = tmp_path / "broken"
    shutil.copytree(copy, tree)
    target = tree / "geo_nb" / module
    target.write_text(target.read_text() + f"\n{line}  # broken on purpose\n")
    done = lint(tree)
    assert done.returncode != 0
    # The contract named is the one that broke: "<name> BROKEN" (maybe "(2 ignored imports)").
    lines = done.stdout.splitlines()
    assert [ln for ln in lines if ln.startswith(contract) and " BROKEN" in ln], done.stdout


def test_import_geo_nb_loads_no_emulator_and_no_notebook_ui() -> None:
    code = (
        "import sys, threading, geo_nb\n"
        "geo_nb.Settings()\n"
        "bad = [m for m in sys.modules if m.startswith(('geo_nb.testing', 'geo_nb.jupyter',"
        " 'IPython', 'ipywidgets', 'matplotlib'))]\n"
        "print(bad, threading.active_count())\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GEO_NB_")}
    env["GEO_NB_OFFLINE"] = "1"  # even in offline mode: settings start nothing
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[0] == "[] 1"
