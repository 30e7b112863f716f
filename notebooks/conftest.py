"""Notebooks run as tests (nbmake) against the offline demo, never against NCBI.

Only the notebook items get ``GEO_NB_OFFLINE=1`` (their kernels inherit it);
the unit tests point geo_nb at their own emulators and must not see it.
"""

from __future__ import annotations

import os

import pytest


def pytest_runtest_setup(item: pytest.Item) -> None:
    os.environ["GEO_NB_OFFLINE"] = "1"


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    os.environ.pop("GEO_NB_OFFLINE", None)
