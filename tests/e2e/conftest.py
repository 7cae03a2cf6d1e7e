"""Fixtures for end-to-end tests in real headless Chromium, driven by Playwright's sync API.

The browser is Debian's /usr/bin/chromium, never a downloaded one. When it is missing or cannot
be launched the tests are skipped with the reason, unless BOOTCAMP_REQUIRE_E2E=1 (as in CI), in
which case they fail with it. Each test gets a fresh browser context and page, and the app under
test is served by a werkzeug server in a background thread, shut down after the test.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.e2e.steps import DESKTOP

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


def e2e_required() -> bool:
    """True when a missing browser must fail the run instead of skipping the tests."""
    return os.environ.get("BOOTCAMP_REQUIRE_E2E", "").strip().lower() in {"1", "true", "yes"}


def browser_unavailable(reason: str) -> None:
    """Skip the e2e tests, or fail them when BOOTCAMP_REQUIRE_E2E=1."""
    message = f"end-to-end tests need Chromium: {reason}"
    if e2e_required():
        pytest.fail(f"{message} (BOOTCAMP_REQUIRE_E2E=1, so this is a failure)", pytrace=False)
    pytest.skip(f"{message} (set BOOTCAMP_REQUIRE_E2E=1 to fail instead of skipping)")


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One headless Chromium for the whole session."""
    if not Path(CHROMIUM).is_file():
        browser_unavailable(f"{CHROMIUM} is missing; install it with `apt-get install chromium`")
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except PlaywrightError as exc:
        playwright.stop()
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        browser_unavailable(f"Playwright could not launch {CHROMIUM}: {first_line}")
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


class BrowserErrors(list):
    """Console errors, uncaught exceptions and CSP violations seen by a test's pages."""

    def watch(self, page: Page) -> None:
        # Chromium reports CSP violations ("Refused to load/apply/execute ...") as console errors.
        page.on(
            "console",
            lambda msg: self.append(f"console error on {page.url}: {msg.text}")
            if msg.type == "error"
            else None,
        )
        page.on("pageerror", lambda exc: self.append(f"uncaught exception on {page.url}: {exc}"))


def open_context(
    browser: Browser, base_url: str, errors: BrowserErrors, viewport: dict | None = None
) -> tuple[BrowserContext, Page]:
    """A fresh context (own cookies, own storage) and one page in it, watched for errors."""
    context = browser.new_context(base_url=base_url, viewport=viewport or DESKTOP)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors.watch(page)
    return context, page


@pytest.fixture
def browser_errors() -> BrowserErrors:
    """What went wrong in the browser during this test; tests assert it is empty."""
    return BrowserErrors()


class _QuietRequestHandler(WSGIRequestHandler):
    """Serve like werkzeug does, minus the access log line per request (errors still log)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@pytest.fixture
def live_server(app: Flask) -> Iterator[str]:
    """Serve this test's app on a free port in a background thread; yields its base URL."""
    server = make_server(
        "127.0.0.1", 0, app, threaded=True, request_handler=_QuietRequestHandler
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name="e2e-live-server",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def viewport() -> dict:
    """The page's window size; parametrize `viewport` to test another one."""
    return DESKTOP


@pytest.fixture
def page(
    browser: Browser, live_server: str, browser_errors: BrowserErrors, viewport: dict
) -> Iterator[Page]:
    """A page in a fresh context whose relative URLs go to the live server.

    The context is closed here, before the live server stops and the tables are emptied.
    """
    context, page = open_context(browser, live_server, browser_errors, viewport)
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def new_page(
    browser: Browser, browser_errors: BrowserErrors
) -> Iterator[Callable[..., Page]]:
    """Open more pages, each in its own context, against any base URL; all closed afterwards."""
    contexts: list[BrowserContext] = []

    def open_page(base_url: str, viewport: dict | None = None) -> Page:
        context, page = open_context(browser, base_url, browser_errors, viewport)
        contexts.append(context)
        return page

    try:
        yield open_page
    finally:
        for context in contexts:
            context.close()
