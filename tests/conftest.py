from collections.abc import Iterator

import pytest

from geo_nb.ncbi import sources

pytest_plugins = ["geo_nb.testing.pytest_plugin"]


@pytest.fixture(autouse=True)
def _forget_acc_health() -> Iterator[None]:
    """What a test learnt about an emulator's acc.cgi (see geo_nb.ncbi.sources) must not
    reach the next test, whose emulator may reuse the port."""
    sources.forget()
    yield
    sources.forget()
