"""Times on the pages are shown in the reader's own time zone, with UTC kept in the title."""

from __future__ import annotations

import calendar
import re
import time

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.steps import log_in
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e


def test_a_reader_in_tokyo_sees_tokyo_time(browser: Browser, live_server: str, make_user,
                                           browser_errors):
    user = make_user()
    context = browser.new_context(base_url=live_server, timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        browser_errors.watch(page)
        log_in(page, user.email, PASSWORD)
        expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
        page.goto("/auth/account")
        started = page.locator("time[data-local=datetime]").first
        expect(started).to_have_text(re.compile(r"^\d{1,2} \w+ \d{4},? (at )?\d\d:\d\d GMT\+9$"))
        utc = started.get_attribute("title")
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", utc)
        moment = started.evaluate("element => new Date(element.dateTime).getTime()") / 1000
        assert abs(moment - calendar.timegm(time.strptime(utc, "%Y-%m-%d %H:%M UTC"))) < 60
    finally:
        context.close()
    assert list(browser_errors) == []
