"""A platform connects, in real Chromium: the admin pages, the API and a signed webhook.

An admin adds a platform, issues it a token and subscribes the test's own receiver (a tiny
HTTP server on 127.0.0.1, allowed by WEBHOOK_ALLOW_PRIVATE) to qualification.granted, reading
the token and the secret from the pages that show them once. The platform links a trainee
through the API; the trainee passes the exam in the browser; one round of the delivery worker
sends the event, which the receiver verifies with the standardwebhooks package and the secret
from the page; the admin sees the delivery succeed. Screenshots of every platform page, on a
desktop and on a 390 px phone, go to /tmp/shots/.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from standardwebhooks import Webhook as Verifier

from bootcamp.api.delivery import work_once
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course
from courses.services import enrolment, items
from exams.rules import ExamRules
from exams.services import settings
from tests.e2e.steps import expect_fits_the_screen, log_in, main_nav
from tests.factories import make_course, native
from tests.helpers import PASSWORD

pytestmark = pytest.mark.e2e

PHONE_390 = {"width": 390, "height": 844}
SHOTS = Path("/tmp/shots")  # noqa: S108  (a fixed place to look at them)
SLUG = "platform-exam"
MANUAL = "# Animals {#animals}\n\nKnow your animals.\n"
GOLDS = ["kiwi-gold", "otter-gold"]
SAVE_TIMEOUT = 15_000


class Receiver(ThreadingHTTPServer):
    """Keeps every request it gets: (headers, body)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ReceiverHandler)
        self.received: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_port}/bootcamp-events"


class _ReceiverHandler(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802  (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.server.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        answer = b"thanks <script>alert('x')</script>"
        self.send_response(200)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass


@pytest.fixture
def receiver(app: Flask) -> Iterator[Receiver]:
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def exam_course(app: Flask, author: User, trainee: User) -> None:
    """Two choice items with unique option names, both in the exam; the trainee enrolled."""
    course_id = make_course(app, author, SLUG, versions=(MANUAL,), title="Animals")
    with app.app_context():
        course = db.session.get(Course, course_id)
        actor = db.session.get(User, author.id)
        items.upsert_items(course, [
            native(gold.split("-")[0], "choice", {"options": [gold, gold.replace("gold", "no")]},
                   gold, ["animals"], pools=("exam",)) for gold in GOLDS], actor, "test")
        settings.save_settings(course, ExamRules(item_count=2, shuffle=False, pass_mark=1.0,
                                                 quotas={}), actor)
        enrolment.enrol(db.session.get(User, trainee.id), course,
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()


def shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def revealed(page: Page, title: str) -> str:
    """The token or secret in the box shown once."""
    box = page.get_by_role("region", name=title)
    expect(box).to_contain_text("will not be shown again")
    return box.get_by_role("textbox").input_value()


def api(base_url: str, token: str, method: str, path: str, body: dict | None = None) -> dict:
    request = urllib.request.Request(
        base_url + path, method=method, data=json.dumps(body).encode() if body else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310  (our server)
        return json.loads(answer.read())


def connect_a_platform(page: Page, receiver: Receiver) -> tuple[str, str]:
    """Add Acme with a token and a webhook, through the pages; (token, secret)."""
    main_nav(page).get_by_role("link", name="Platforms").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Platforms")
    page.get_by_label("Platform name").fill("Acme Labelling")
    page.get_by_role("button", name="Add the platform").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Labelling")
    shoot(page, "platform-new-desktop")  # both forms open: nothing issued yet

    page.get_by_label("Token name (optional)").fill("production")
    page.get_by_label(re.compile("^Read qualifications")).check()
    page.get_by_label(re.compile("^Link workers")).check()
    page.get_by_role("button", name="Issue the token").click()
    token = revealed(page, "New token")
    assert token.startswith("bct_")

    page.get_by_label("Address (URL) that receives the events").fill(receiver.url)
    page.get_by_label("A worker qualified", exact=True).check()
    page.get_by_role("button", name="Add the webhook").click()
    secret = revealed(page, "New webhook secret")
    assert secret.startswith("whsec_")
    return token, secret


def pass_the_exam(page: Page, trainee: User) -> None:
    log_in(page, trainee.email, PASSWORD)
    expect(page.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    page.goto(f"/courses/{SLUG}/exam")
    page.get_by_role("button", name="Start the exam", exact=True).click()
    for n, gold in enumerate(GOLDS, start=1):
        section = page.get_by_role("region", name=f"Item {n} of 2", exact=True)
        section.get_by_label(gold, exact=True).check()
        expect(section.get_by_role("status").first).to_have_text("Saved", timeout=SAVE_TIMEOUT)
    page.get_by_role("button", name="Submit the exam").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Exam result: passed")


def test_a_platform_hears_of_a_qualification_through_a_signed_webhook(
        app: Flask, page: Page, new_page, live_server: str, receiver: Receiver, make_user,
        browser_errors):
    admin = make_user(Role.ADMIN)
    trainee = make_user(Role.TRAINEE, email="tess@example.com")
    exam_course(app, make_user(Role.INSTRUCTOR), trainee)

    log_in(page, admin.email, PASSWORD)
    token, secret = connect_a_platform(page, receiver)
    shoot(page, "platform-client-desktop")
    linked = api(live_server, token, "POST", "/api/v1/workers",
                 {"external_id": "acme-7", "email": trainee.email, "name": "Tess"})
    assert linked["worker"]["external_id"] == "acme-7"

    pass_the_exam(new_page(live_server), trainee)
    with app.app_context():
        assert work_once() == 1
    assert len(receiver.received) == 1
    headers, body = receiver.received[0]
    event = Verifier(secret).verify(body, headers)  # raises unless signed with the secret
    assert event["type"] == "qualification.granted"
    assert event["data"]["external_id"] == "acme-7" and event["data"]["course"] == SLUG
    standing = api(live_server, token, "GET", "/api/v1/workers/acme-7/qualifications")
    assert [q["status"] for q in standing["qualifications"]] == ["qualified"]

    page.get_by_role("link", name=receiver.url).first.click()
    delivery = page.get_by_role("listitem").filter(has_text=headers["webhook-id"])
    expect(delivery.get_by_role("heading", level=3)).to_have_text(
        re.compile(r"^A worker qualified\s+Succeeded$"))
    delivery.get_by_text("1 attempt", exact=True).click()
    expect(delivery.get_by_role("table")).to_contain_text("thanks <script>alert('x')</script>")
    shoot(page, "platform-webhook-desktop")
    main_nav(page).get_by_role("link", name="Platforms").click()
    expect(page.get_by_role("cell", name="1", exact=True)).to_have_count(2)  # token, webhook
    shoot(page, "platform-list-desktop")

    phone = new_page(live_server, PHONE_390)
    log_in(phone, admin.email, PASSWORD)
    expect(phone.get_by_role("button", name="Log out", exact=True)).to_be_visible()
    phone.goto("/admin/platforms")
    expect(phone.get_by_role("heading", level=1)).to_have_text("Platforms")
    expect_fits_the_screen(phone, PHONE_390)
    shoot(phone, "platform-list-phone")
    phone.get_by_role("link", name="Acme Labelling").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Acme Labelling")
    expect_fits_the_screen(phone, PHONE_390)
    shoot(phone, "platform-client-phone")
    phone.get_by_text("Issue a token").click()
    phone.get_by_text("Add a webhook").click()
    expect(phone.get_by_label("Address (URL) that receives the events")).to_be_visible()
    expect_fits_the_screen(phone, PHONE_390)
    shoot(phone, "platform-forms-phone")
    phone.get_by_role("group", name="Events to send").screenshot(
        path=str(SHOTS / "platform-events-phone.png"))
    phone.get_by_role("link", name=receiver.url).first.click()
    expect(phone.get_by_role("heading", level=1)).to_have_text(f"Webhook to {receiver.url}")
    phone.get_by_text("1 attempt", exact=True).click()
    expect_fits_the_screen(phone, PHONE_390)
    shoot(phone, "platform-webhook-phone")
    phone.get_by_role("link", name=f"Delete the webhook to {receiver.url}").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Delete this webhook?")
    expect_fits_the_screen(phone, PHONE_390)
    shoot(phone, "platform-confirm-phone")
    assert list(browser_errors) == []
