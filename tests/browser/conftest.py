"""Fixtures for the real-browser tests: Chromium, the NCBI emulator, Jupyter servers.

* ``chromium``: the path of Debian's Chromium (``/usr/bin/chromium``, or
  ``GEO_NB_CHROMIUM``); the tests are skipped, saying so, only when it is missing.
  Playwright drives it; Playwright never downloads a browser of its own here.
* ``emulator``: an :class:`~geo_nb.testing.NCBIEmulator` in this process; the
  servers' environment points ``GEO_NB_*_URL`` at it, and kernels inherit it.
* ``start_server``: starts ``jupyter lab``, ``jupyter notebook`` or ``voila`` on
  127.0.0.1 with a token, in a new session, with its own config, runtime,
  IPython, data, settings and workspaces folders and a notebook made at run
  time; the whole process group is stopped after the test.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from geo_nb.testing import NCBIEmulator

ServerKind = Literal["lab", "notebook", "voila"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NOTEBOOK = "explorer.ipynb"
STARTUP_TIMEOUT_S = 60
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
# Plugins that would reach for the network or open pop-ups over the notebook.
DISABLED_PLUGINS = {
    "@jupyterlab/apputils-extension:announcements": True,
    "@jupyterlab/extensionmanager-extension": True,
}

TITLE = "# geo_nb explorer (browser test)"
CELLS = [
    "import geo_nb\n"
    "from geo_nb.jupyter.widgets import GEOExplorer\n\n"
    "print('geo_nb', geo_nb.__version__, 'asks', geo_nb.Settings().eutils_url)",
    "explorer = GEOExplorer(max_results=20)\nexplorer",
]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``browser`` marker (also when pyproject does not list it)."""
    config.addinivalue_line("markers", "browser: drives a real browser (Chromium + Jupyter)")


def find_chromium() -> str | None:
    """``GEO_NB_CHROMIUM``, else Debian's ``/usr/bin/chromium``, else ``chromium`` on PATH."""
    for candidate in (os.environ.get("GEO_NB_CHROMIUM"), CHROMIUM, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def chromium() -> str:
    """The Chromium executable; skips (with the reason) when there is none."""
    path = find_chromium()
    if path is None:
        pytest.skip(
            f"no Chromium at {CHROMIUM} (nor GEO_NB_CHROMIUM, nor on PATH): "
            "install it with `apt-get install -y chromium` to run the browser tests"
        )
    return path


@pytest.fixture
def browser(chromium: str) -> Iterator[Browser]:
    """Headless Chromium driven by Playwright (no browser download), for one test.

    Per test, not per session: Playwright's sync API keeps an asyncio loop
    running in this thread while it is started, and the async tests that run
    after this folder need the thread without one.
    """
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=chromium, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page (own cookies) with a tall viewport, so the explorer fits."""
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    context.set_default_timeout(30_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="session")
def emulator() -> Iterator[NCBIEmulator]:
    """The NCBI emulator, in this process, for every server of the session."""
    emu = NCBIEmulator().start()
    try:
        yield emu
    finally:
        emu.stop()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """``tests/artifacts/`` (git-ignored): screenshots for people to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


def free_port() -> int:
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_notebook(path: Path) -> Path:
    """The notebook the browser runs (nbformat 4.5): import geo_nb, show a GEOExplorer."""
    cells: list[dict[str, Any]] = [
        {"cell_type": "markdown", "id": "title", "metadata": {}, "source": TITLE}
    ]
    cells += [
        {
            "cell_type": "code",
            "id": f"cell{i}",
            "metadata": {},
            "execution_count": None,
            "outputs": [],
            "source": source,
        }
        for i, source in enumerate(CELLS)
    ]
    notebook = {
        "cells": cells,
        "metadata": {
            "kernelspec": {
                "name": "python3",
                "display_name": "Python 3 (ipykernel)",
                "language": "python",
            },
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path.write_text(json.dumps(notebook, indent=1))
    return path


@dataclass
class JupyterServer:
    """A running Jupyter (or Voila) server: its URL, token, folders and process."""

    kind: ServerKind
    url: str
    token: str
    root: Path
    log: Path
    process: subprocess.Popen[bytes]
    env: dict[str, str] = field(repr=False)

    def page_url(self) -> str:
        """Where the notebook opens in a browser (the token logs the page in)."""
        paths = {"lab": f"/lab/tree/{NOTEBOOK}", "notebook": f"/notebooks/{NOTEBOOK}", "voila": "/"}
        return f"{self.url}{paths[self.kind]}?token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of the server's output, for failure messages."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """Shut the kernels down, then end the server's whole process group."""
        if self.kind != "voila" and self.process.poll() is None:
            headers = {"Authorization": f"token {self.token}"}
            try:
                kernels = httpx.get(f"{self.url}/api/kernels", headers=headers, timeout=5).json()
                for kernel in kernels:
                    httpx.delete(
                        f"{self.url}/api/kernels/{kernel['id']}", headers=headers, timeout=10
                    )
            except (httpx.HTTPError, ValueError, TypeError):
                pass  # the group is ended below anyway
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.process.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.process.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue


def _command(kind: ServerKind, port: int, token: str, folders: dict[str, Path]) -> list[str]:
    if kind == "voila":
        return [
            *(sys.executable, "-m", "voila", str(folders["root"] / NOTEBOOK)),
            *("--no-browser", f"--port={port}", "--Voila.ip=127.0.0.1", f"--Voila.token={token}"),
            "--Voila.port_retries=0",
            "--VoilaConfiguration.show_tracebacks=True",
        ]
    app = "LabApp" if kind == "lab" else "JupyterNotebookApp"
    command = [
        *(sys.executable, "-m", "jupyter", kind),
        *("--no-browser", "--allow-root", "--ip=127.0.0.1", f"--port={port}"),
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={folders['root']}",
        f"--{app}.expose_app_in_browser=True",
        f"--{app}.user_settings_dir={folders['settings']}",
        f"--{app}.workspaces_dir={folders['workspaces']}",
    ]
    if kind == "lab":
        command += [
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ]
    return command


def _ready(url: str, kind: ServerKind, token: str) -> bool:
    # Voila runs the notebook on every GET of its page, so poll a static file instead.
    probe = "/voila/static/voila.js" if kind == "voila" else "/api/status"
    try:
        response = httpx.get(
            f"{url}{probe}", headers={"Authorization": f"token {token}"}, timeout=2
        )
    except httpx.HTTPError:
        return False
    return response.status_code == 200


@pytest.fixture
def start_server(
    emulator: NCBIEmulator, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[ServerKind], JupyterServer]]:
    """Start a server of a kind (lab, notebook, voila) for this test; all stopped after it."""
    started: list[JupyterServer] = []

    def start(kind: ServerKind) -> JupyterServer:
        base = tmp_path_factory.mktemp(f"jupyter-{kind}")
        names = ("root", "config", "runtime", "ipython", "data", "settings", "workspaces", "cache")
        folders = {name: base / name for name in names}
        for folder in folders.values():
            folder.mkdir()
        labconfig = folders["config"] / "labconfig"
        labconfig.mkdir()
        (labconfig / "page_config.json").write_text(
            json.dumps({"disabledExtensions": DISABLED_PLUGINS})
        )
        write_notebook(folders["root"] / NOTEBOOK)
        env: dict[str, Any] = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("JUPYTER", "IPYTHON", "GEO_NB_", "NCBI_", "PYTEST_"))
        }
        env.update(emulator.env())
        env.update(
            GEO_NB_CACHE_DIR=str(folders["cache"]),
            JUPYTER_CONFIG_DIR=str(folders["config"]),
            JUPYTER_RUNTIME_DIR=str(folders["runtime"]),
            JUPYTER_DATA_DIR=str(folders["data"]),
            IPYTHONDIR=str(folders["ipython"]),
            JUPYTERLAB_SETTINGS_DIR=str(folders["settings"]),
            JUPYTERLAB_WORKSPACES_DIR=str(folders["workspaces"]),
            PYTHONUNBUFFERED="1",
        )
        port, token = free_port(), secrets.token_hex(16)
        log = base / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                _command(kind, port, token, folders),
                cwd=folders["root"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = JupyterServer(
            kind, f"http://127.0.0.1:{port}", token, folders["root"], log, process, env
        )
        started.append(server)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _ready(server.url, kind, token):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"{kind} did not start on {server.url} (exit code {process.poll()}):\n"
                    + server.log_tail()
                )
            time.sleep(0.25)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
