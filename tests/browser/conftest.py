"""Fixtures for the end-to-end tests: Voilà servers and a headless Chromium.

Chromium is Debian's ``/usr/bin/chromium`` (``.ci/run`` installs it), driven by
Playwright's Python API; ``playwright install`` is never used. Each server
serves a temporary copy of a notebook on 127.0.0.1 with a free port, in fast
and offline mode, under ``timeout`` (a bounded lifetime) in its own process
group, which is killed at the end. Every test in this folder is marked
``browser`` and ``slow``. Without Chromium or Playwright the tests are skipped,
unless ``COURSE_REQUIRE_BROWSER=1`` (set by CI), where they fail instead.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "build" / "screenshots"
SERVER_LIFETIME_S = 900   # a server never outlives this, even if the test run is killed
START_TIMEOUT_S = 90


def pytest_collection_modifyitems(config, items):
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.slow)


def _missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is missing (pip install playwright)"
    if shutil.which("voila", path=str(Path(sys.executable).parent)) is None:
        return "voila is missing (pip install voila)"
    return None


@pytest.fixture(scope="session")
def browser_context():
    """A headless Chromium with a fresh user-data dir, shared by the session."""
    why = _missing()
    if why:
        if os.environ.get("COURSE_REQUIRE_BROWSER", "") == "1":
            pytest.fail(f"browser tests required but {why}")
        pytest.skip(why)
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="cnn-chromium-")
    with sync_playwright() as pw:
        ctx = pw.chromium.launch_persistent_context(profile, executable_path=CHROMIUM, headless=True,
                                                    args=CHROMIUM_ARGS, viewport={"width": 1280, "height": 1000},
                                                    accept_downloads=True)
        ctx.set_default_timeout(60_000)
        yield ctx
        ctx.close()
    shutil.rmtree(profile, ignore_errors=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VoilaServer:
    """Voilà serving a temporary copy of one notebook on 127.0.0.1."""

    def __init__(self, notebook: Path, extra_env: dict | None = None):
        if not notebook.exists():
            pytest.fail(f"{notebook} does not exist")
        self.dir = Path(tempfile.mkdtemp(prefix="cnn-voila-"))
        shutil.copy(notebook, self.dir / notebook.name)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = self.dir / "voila.log"
        env = dict(os.environ, COURSE_FAST="1", COURSE_OFFLINE="1", TF_CPP_MIN_LOG_LEVEL="3", **(extra_env or {}))
        voila = str(Path(sys.executable).parent / "voila")
        cmd = ["timeout", str(SERVER_LIFETIME_S), voila, notebook.name, "--no-browser", f"--port={self.port}",
               "--Voila.ip=127.0.0.1", "--show_tracebacks=True", "--Voila.root_dir=" + str(self.dir)]
        self._log = open(self.log, "w")
        self.proc = subprocess.Popen(cmd, cwd=self.dir, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.stop()
                pytest.fail(f"voila exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:  # the port accepts connections once tornado listens; no kernel is started by this
                socket.create_connection(("127.0.0.1", self.port), timeout=2).close()
                return
            except OSError:
                time.sleep(0.5)
        self.stop()
        pytest.fail(f"voila did not answer on {self.url} within {START_TIMEOUT_S} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        """Stop the server and its kernels: its whole process group."""
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                self.proc.wait(wait)
                break
            except subprocess.TimeoutExpired:
                continue
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def voila():
    """Factory: ``voila(path)`` starts a server for that notebook; all stop at module end."""
    servers: list[VoilaServer] = []

    def start(notebook: Path, **env) -> VoilaServer:
        servers.append(VoilaServer(Path(notebook), env))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def page(browser_context, request):
    """A fresh tab; requests leaving 127.0.0.1 are blocked and recorded in ``page.external``.

    A screenshot of the final state goes to ``build/screenshots/<test>.png``.
    """
    pg = browser_context.new_page()
    pg.external = []

    def route(r):
        url = r.request.url
        if url.startswith(("http://127.0.0.1", "ws://127.0.0.1", "blob:", "data:")):
            r.continue_()
        else:
            pg.external.append(url)
            r.abort()

    pg.route("**/*", route)
    yield pg
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    try:
        pg.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
        panel = pg.locator(".cnn-panel:visible")
        if panel.count():  # Voila scrolls inside a container: take the open panel on its own too
            panel.last.screenshot(path=str(SCREENSHOTS / f"{request.node.name}-panel.png"), timeout=10_000)
    except Exception as exc:  # a screenshot must never hide the test's own result
        print(f"screenshot failed: {exc}")
    finally:
        pg.close()
