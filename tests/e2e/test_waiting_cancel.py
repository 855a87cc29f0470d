"""Browser test: a job waiting in the line shows its place without a spinner, and Cancel takes it out of the
line at once, though nothing on its page changes while it waits (issue 26).

The app here lets one job run at a time (PRIVACY_AUDIT_MAX_CONCURRENT_JOBS=1): one person's comparison runs,
another's quick audit waits behind it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import open_page, running_app, wait_idle

pytestmark = pytest.mark.e2e

TRAINING = re.compile(r"Training \d+ protection\(s\) x \d+ seed\(s\): running")


@pytest.fixture(scope="module")
def one_job_app():
    with running_app(PRIVACY_AUDIT_MAX_CONCURRENT_JOBS="1") as url:
        yield url


def _new_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.set_default_timeout(60_000)
    return context, tab


def test_a_job_waiting_in_line_stays_still_and_cancel_takes_it_out(browser, one_job_app):
    (first_context, first), (second_context, second) = _new_page(browser), _new_page(browser)
    try:
        open_page(first, one_job_app, "Privacy-utility")
        first.get_by_role("button", name="Run comparison").click()
        expect(first.get_by_text(TRAINING)).to_be_visible(timeout=60_000)

        open_page(second, one_job_app, "Report")
        second.get_by_role("button", name="Run quick audit").click()
        waiting = second.get_by_text("Quick audit: waiting for a free worker (next in line)")
        expect(waiting).to_be_visible(timeout=60_000)
        expect(second.get_by_test_id("stExpanderIconSpinner")).to_have_count(0)  # waiting is not running
        second.wait_for_timeout(2_000)  # the line is polled several times with nothing new to draw
        expect(waiting).to_be_visible()

        second.get_by_role("button", name="Cancel").click()
        expect(second.get_by_text("Quick audit: cancelled.")).to_be_visible(timeout=30_000)
        wait_idle(second)
        expect(waiting).to_have_count(0)
        expect(first.get_by_text(TRAINING)).to_be_visible()  # the running job went on

        first.get_by_role("button", name="Cancel").click()
        expect(first.get_by_text("cancelled.")).to_be_visible(timeout=180_000)
        wait_idle(first)
        # The line is empty again: the quick audit runs to its report without waiting.
        second.get_by_role("button", name="Run quick audit").click()
        expect(second.get_by_role("heading", name="Membership inference on the model")).to_be_visible(
            timeout=180_000)
    finally:
        first_context.close()
        second_context.close()
