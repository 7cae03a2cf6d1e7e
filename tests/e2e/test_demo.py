"""`bootcamp demo`, exactly as a newcomer runs it, used in a real browser.

The real `bootcamp` script starts in a subprocess with its own instance folder and no
DATABASE_URL, so it migrates and seeds its default SQLite file there, prints the demo accounts
and serves on a free port.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.steps import expect_dashboard, log_in, sign_up

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

START_TIMEOUT = 90.0  # seconds for the demo to migrate, seed (five weeks of two cohorts) and serve
STOP_TIMEOUT = 10.0
# "  admin      admin@example.com            demo-XXXX"
ACCOUNT_LINE = re.compile(r"^\s+(?P<role>\w+)\s+(?P<email>\S+@\S+)\s+(?P<password>demo-\S+)\s*$")
# "  trainee    failed@example.com           demo-XXXX  (failed)", under the role accounts
EXAM_TRAINEE_LINE = re.compile(
    r"^\s+trainee\s+(?P<email>\S+@\S+)\s+(?P<password>demo-\S+)\s+\((?P<status>[\w ]+)\)$")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class Demo:
    """A running `bootcamp demo` process and what it printed."""

    process: subprocess.Popen
    port: int
    lines: list[str] = field(default_factory=list)
    announced: threading.Event = field(default_factory=threading.Event)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def accounts(self) -> dict[str, tuple[str, str]]:
        """Role -> (email, password), as printed under "Demo accounts"."""
        found = {}
        for line in self.lines:
            match = ACCOUNT_LINE.match(line)
            if match:
                found[match["role"]] = (match["email"], match["password"])
        return found

    def exam_trainees(self) -> dict[str, tuple[str, str]]:
        """Status -> (email, password) of the trainees who took the clothing-tagging exam."""
        found = {}
        for line in self.lines:
            match = EXAM_TRAINEE_LINE.match(line)
            if match:
                found[match["status"]] = (match["email"], match["password"])
        return found

    def read_output(self) -> None:
        """Collect stdout and stderr until the process closes them (runs in a thread)."""
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("Serving Bootcamp on "):
                self.announced.set()  # every account line was printed before this one


def wait_until_serving(demo: Demo) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while not (demo.announced.is_set() and port_answers(demo.port)):
        if demo.process.poll() is not None:
            pytest.fail(
                f"`bootcamp demo` exited with {demo.process.returncode} before serving:\n"
                f"{demo.output}",
                pytrace=False,
            )
        if time.monotonic() > deadline:
            pytest.fail(
                f"`bootcamp demo` did not answer on port {demo.port} within "
                f"{START_TIMEOUT:.0f} s:\n{demo.output}",
                pytrace=False,
            )
        time.sleep(0.1)


def stop(demo: Demo, reader: threading.Thread) -> None:
    """Terminate the demo (kill it if it lingers) and close its pipe."""
    if demo.process.poll() is None:
        demo.process.terminate()
        try:
            demo.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            demo.process.kill()
            demo.process.wait()
    reader.join(timeout=STOP_TIMEOUT)
    demo.process.stdout.close()


@pytest.fixture(scope="module")
def demo(browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """`bootcamp demo --port <free port>` in a fresh instance folder; always terminated."""
    script = Path(sys.executable).parent / "bootcamp"
    assert script.is_file(), f"no `bootcamp` script beside {sys.executable}"
    instance = tmp_path_factory.mktemp("demo-instance")
    env = {**os.environ, "BOOTCAMP_INSTANCE_PATH": str(instance), "PYTHONUNBUFFERED": "1"}
    # Its default SQLite database in the instance folder, and its default in-memory rate limits.
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    port = free_port()
    process = subprocess.Popen(
        [str(script), "demo", "--port", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=instance,
    )
    demo = Demo(process, port)
    reader = threading.Thread(target=demo.read_output, name="bootcamp-demo-output", daemon=True)
    reader.start()
    try:
        wait_until_serving(demo)
        assert (instance / "bootcamp.sqlite3").is_file(), demo.output
        yield demo
    finally:
        stop(demo, reader)


def test_demo_prints_one_account_per_role(demo: Demo):
    accounts = demo.accounts()
    assert set(accounts) == {"trainee", "instructor", "admin"}, demo.output
    assert f"Serving Bootcamp on http://127.0.0.1:{demo.port}/" in demo.output


def test_the_demo_platform_token_answers_the_printed_request(demo: Demo):
    """The curl line works as printed: the demo token reads worker-2's standing."""
    line = next((line for line in demo.lines if "curl" in line), None)
    assert line is not None, demo.output
    token = re.search(r'"Authorization: Bearer (bct_\S+)"', line).group(1)
    url = re.search(r"(http://\S+)$", line).group(1)
    assert url.startswith(demo.base_url)
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310  (the demo)
        body = json.loads(answer.read())
    assert body["external_id"] == "worker-2"
    assert [q["status"] for q in body["qualifications"]
            if q["course"] == "clothing-tagging"] == ["qualified"]


def test_a_newcomer_signs_up_and_logs_in_on_the_demo(demo: Demo, new_page, browser_errors):
    page: Page = new_page(demo.base_url)
    page.goto("/")
    sign_up(page, "Nia Newcomer", "nia@example.com", "a long enough passphrase")
    expect_dashboard(page, "Nia Newcomer")
    assert browser_errors == []


def test_the_demo_admin_sees_the_demo_accounts(demo: Demo, new_page, browser_errors):
    accounts = demo.accounts()
    assert "admin" in accounts, demo.output
    email, password = accounts["admin"]
    page: Page = new_page(demo.base_url)
    log_in(page, email, password)
    expect_dashboard(page, "Ada Admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Users").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    # The demo accounts, without the cohorts' hundred trainees (@trainees.example.com).
    page.get_by_label("Search by email or name").fill("@example.com")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_role("main")).to_contain_text("matching “@example.com”")
    users = page.get_by_role("table", name="Users and their roles")
    for role, (account_email, _) in accounts.items():
        row = users.get_by_role("row").filter(
            has=page.get_by_role("rowheader", name=account_email, exact=True)
        )
        expect(row).to_have_count(1)
        expect(row.get_by_role("combobox", name=f"Role of {account_email}")).to_have_value(role)
    assert browser_errors == []


@pytest.mark.parametrize(("status", "label", "name"), [
    ("qualified", "Qualified", "Quinn Qualified"),
    ("needs refresh", "Needs a refresh", "Rhea Refresh"),
    ("failed", "Not qualified: no attempts left", "Fred Failed"),
])
def test_the_demo_trainees_who_took_the_exam_see_their_status(
        demo: Demo, new_page, browser_errors, status, label, name):
    trainees = demo.exam_trainees()
    assert set(trainees) == {"qualified", "needs refresh", "failed"}, demo.output
    email, password = trainees[status]
    page: Page = new_page(demo.base_url)
    log_in(page, email, password)
    expect_dashboard(page, name)
    page.goto("/courses/clothing-tagging")
    expect(page.get_by_role("main")).to_contain_text(f"Your qualification: {label}")
    assert browser_errors == []
