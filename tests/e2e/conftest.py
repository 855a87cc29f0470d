"""The app started on a free local port, and Debian's Chromium driven by Playwright.

`make test` installs Debian's Chromium when it is missing; `playwright install` cannot download browsers here.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
from playwright.sync_api import expect

# Every expect() waits up to 30 s for its condition (5 s by default): on a machine whose cores are busy the
# app's next run can take that long, and an assertion on it must wait for it, not fail.
expect.set_options(timeout=30_000)

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "tests" / "e2e" / "screenshots"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def running_app(**settings: str) -> Iterator[str]:
    """The app on a free local port with a throw-away history database and `settings` (environment
    variables) added; yields its URL and stops it afterwards."""
    port = _free_port()
    home = tempfile.mkdtemp(prefix="privacy-audit-e2e-")
    env = {**os.environ, "PRIVACY_AUDIT_HISTORY_URL": f"sqlite:///{home}/history.db", **settings}
    log = open(Path(home) / "streamlit.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dashboard.serve", "--server.port", str(port), "--server.headless", "true"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://localhost:{port}"
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        raise RuntimeError(f"streamlit did not start; see {log.name}")
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="session")
def app_url():
    with running_app() as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: apt-get install -y chromium (make test does it as root)")
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    context.close()


def open_page(page, app_url: str, title: str) -> None:
    """Open the app and go to the page whose navigation link says `title`; wait until it has run."""
    page.goto(app_url)
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_idle(page)


def wait_idle(page, timeout_ms: int = 120_000) -> None:
    """Wait until the app's run has ended: its own "Ready" marker (dashboard/run_marker.py) is visible, which
    the app shows only while Streamlit's front end says no script is running (the status widget is hidden by
    toolbarMode = "minimal", so it cannot be waited for)."""
    ready = page.locator(".st-key-app_run_done")
    page.wait_for_timeout(200)  # a click's rerun request reaches the front end's state
    ready.wait_for(state="visible", timeout=timeout_ms)
    page.wait_for_timeout(500)  # a rerun the front end asks for right after a run (widgets settling) ...
    ready.wait_for(state="visible", timeout=timeout_ms)  # ... has ended too


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def load_bundled(page, app_url: str, file_name: str) -> None:
    """Open the app and load a bundled dataset (sample_data/) on the Data page; wait until it has run."""
    page.goto(app_url)
    wait_idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="bundled dataset").click()
    page.get_by_role("option", name=re.compile(rf"^{re.escape(file_name)}")).click()
    page.get_by_role("button", name="Load bundled dataset").click()
    page.get_by_text(f"Loaded {file_name}").wait_for()
    wait_idle(page)


def choose_file(page, path) -> None:
    """Give `path` to the page's file uploader through the browser's file chooser."""
    page.get_by_test_id("stFileUploaderDropzone").wait_for(timeout=120_000)
    with page.expect_file_chooser() as chooser:
        page.get_by_test_id("stFileUploaderDropzone").get_by_test_id("stBaseButton-secondary").click()
    chooser.value.set_files(str(path))
