"""Binder installs geo_nb with ``--no-deps`` (binder/postBuild), so binder/requirements.txt
must pin every dependency geo_nb imports, and the extras the notebooks use."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def names(requirements: list[str]) -> set[str]:
    return {
        re.split(r"[<>=\[ ;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements
    }


def test_binder_pins_every_dependency_and_the_notebooks_extras() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = (ROOT / "binder" / "requirements.txt").read_text().splitlines()
    pinned = [line for line in lines if line and not line.startswith("#")]
    assert all("==" in line for line in pinned), "pin every Binder requirement exactly"
    wanted = names(project["dependencies"]) | names(project["optional-dependencies"]["analysis"])
    wanted |= names(project["optional-dependencies"]["export"])
    assert wanted <= names(pinned), sorted(wanted - names(pinned))
