"""Browser test: a table whose column names, file name and cells are Markdown / HTML that would fetch or link
(`![x](https://attacker.example/b.png)`, `<img src=x onerror=...>`, `[link](http://evil.example)`,
`<a href=...>`, a bare URL, Streamlit's `:red[...]`) is loaded, and every page is opened and run. The browser
must request nothing outside localhost (every other request is recorded and aborted), and no page may hold
an image, link or event handler that the table named.
"""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import choose_file, wait_idle
from tests.security.hostile_names import AUTOLINK, IMAGE, IMG_TAG, hostile_csv_bytes

pytestmark = pytest.mark.e2e

LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", "[::1]"}
# No '/' in a file name: `https:attacker.example` is still an absolute URL a browser would fetch.
UPLOAD_NAME = "![f](https:attacker.example) <img src=x onerror=alert(2)>.csv"
PAGES = ["Data", "PII scan", "Anonymize", "Model audit", "Memorization", "Privacy-utility", "Report", "History"]

# Elements the table could have planted: any src/href/xlink:href naming the attacker's hosts, any on*= handler.
_PLANTED = """() => Array.from(document.querySelectorAll('*')).filter(e => Array.from(e.attributes).some(a =>
    /^on/i.test(a.name) || (/(^|:)(src|href|srcset|action|poster)$/i.test(a.name)
                            && /attacker\\.example|evil\\.example/i.test(a.value))))
  .map(e => e.outerHTML.slice(0, 160))"""


@pytest.fixture
def outside_requests(page):
    """Every request the browser makes to a host other than this machine, aborted before it leaves."""
    seen: list[str] = []

    def handle(route):
        url = route.request.url
        if urlparse(url).scheme in ("http", "https", "ws", "wss") and urlparse(url).hostname not in LOCAL_HOSTS:
            seen.append(url)
            route.abort()
        else:
            route.continue_()

    page.context.route("**/*", handle)
    page.on("request", lambda r: seen.append(r.url) if urlparse(r.url).scheme in ("http", "https", "ws", "wss")
            and urlparse(r.url).hostname not in LOCAL_HOSTS and r.url not in seen else None)
    return seen


def _assert_clean(page, where: str, outside: list[str]) -> None:
    assert page.get_by_test_id("stException").count() == 0, where
    planted = page.evaluate(_PLANTED)
    assert planted == [], f"{where}: {planted}"
    assert outside == [], f"{where}: the browser asked for {outside}"


def _go(page, title: str) -> None:
    page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True).click()
    wait_idle(page)
    page.get_by_role("heading", name=title, exact=True).wait_for()


def test_no_page_fetches_or_links_what_a_table_names(page, app_url, tmp_path, outside_requests):
    path = tmp_path / UPLOAD_NAME
    path.write_bytes(hostile_csv_bytes())
    page.goto(app_url)
    wait_idle(page)
    choose_file(page, path)
    # The file name is shown as its characters (an escaped Markdown string), not as an image.
    expect(page.get_by_text(f"Loaded {UPLOAD_NAME}.")).to_be_visible(timeout=60_000)
    wait_idle(page)
    expect(page.get_by_role("heading", name=UPLOAD_NAME)).to_be_visible()
    page.get_by_role("combobox", name="Label (target) column").click()
    page.get_by_role("option").filter(has_text=AUTOLINK).first.click()
    wait_idle(page)
    _assert_clean(page, "Data", outside_requests)

    _go(page, "PII scan")
    page.locator("mark").first.wait_for(timeout=300_000)  # the notes' spans, drawn after the columns
    wait_idle(page, timeout_ms=240_000)
    expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=60_000)
    # Cells that hold Markdown and HTML are shown as text beside the highlighted spans (the URL inside the
    # image's Markdown is a span of its own, labelled URL).
    expect(page.get_by_test_id("stMarkdown").filter(has_text=IMAGE[:5]).first).to_be_visible()
    expect(page.get_by_test_id("stMarkdown").filter(has_text=IMG_TAG).first).to_be_visible()
    _assert_clean(page, "PII scan", outside_requests)

    _go(page, "Anonymize")
    qi_box = page.get_by_test_id("stMultiSelect").first
    for name in (IMG_TAG, "<a href"):
        qi_box.click()
        page.keyboard.type(name[:6])
        page.get_by_role("option").filter(has_text=name).first.click()
        page.keyboard.press("Escape")
        wait_idle(page)
    page.get_by_role("button", name="Suggest a plan").click()
    wait_idle(page)
    page.get_by_role("heading", name="Before and after").wait_for(timeout=120_000)
    wait_idle(page)
    expect(page.get_by_test_id("stMetricLabel").filter(has_text=f"Model accuracy ({AUTOLINK})")).to_be_visible()
    _assert_clean(page, "Anonymize", outside_requests)

    _go(page, "Model audit")
    page.get_by_role("button", name="Train model").click()
    wait_idle(page)
    page.get_by_role("heading", name="Run audit").or_(page.get_by_role("button", name="Run audit")).first.wait_for()
    page.get_by_role("button", name="Run audit").click()
    wait_idle(page, timeout_ms=240_000)
    page.get_by_text("Most exposed members").wait_for(timeout=240_000)
    _assert_clean(page, "Model audit", outside_requests)

    for title in ("Memorization", "Privacy-utility"):
        _go(page, title)
        _assert_clean(page, title, outside_requests)

    _go(page, "Report")  # built from the scan, risk and audit of the pages above
    page.get_by_role("heading", name="Personal data in the table").wait_for(timeout=240_000)
    page.get_by_role("heading", name="Membership inference on the model").wait_for(timeout=240_000)
    wait_idle(page, timeout_ms=240_000)
    expect(page.get_by_role("heading", name=f"Privacy audit of {UPLOAD_NAME}").or_(
        page.get_by_text(UPLOAD_NAME).first)).to_be_visible()
    page.get_by_role("button", name="Save to history").click()
    wait_idle(page)
    expect(page.get_by_text("Saved as run")).to_be_visible()
    _assert_clean(page, "Report", outside_requests)

    _go(page, "History")
    expect(page.get_by_test_id("stDataFrame").first).to_contain_text(UPLOAD_NAME)
    _assert_clean(page, "History", outside_requests)
