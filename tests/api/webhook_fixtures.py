"""Fixtures and builders of the webhook tests: platforms with tokens, worker links, events, and
a real receiver (an HTTP server on 127.0.0.1 in a thread) that records every hit and answers
as the test tells it to. Test modules import the fixtures they use.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from flask import Flask
from sqlalchemy import select

from bootcamp.api import delivery, webhooks
from bootcamp.api.models import ApiClient, Delivery, DeliveryAttempt, Webhook, WorkerLink
from bootcamp.api.tokens import create_client, issue_token
from bootcamp.extensions import db
from bootcamp.outbox import OutboxEvent, record_outbox
from bootcamp.users.models import Role, User
from tests.factories import make_course

ALL_SCOPES = ("qualifications:read", "workers:write", "webhooks:manage", "events:read")


# Platforms

@dataclass(frozen=True)
class Platform:
    client_id: int
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def make_platform(app: Flask, name: str, scopes: tuple[str, ...] = ALL_SCOPES) -> Platform:
    with app.app_context():
        client = create_client(name, None)
        _, raw = issue_token(client, scopes, None, name="test")
        db.session.commit()
        return Platform(client.id, raw)


@pytest.fixture
def hooks_app(app: Flask) -> Flask:
    """The app, allowed to deliver to 127.0.0.1 (where the test receiver listens)."""
    app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    return app


@pytest.fixture
def platform(hooks_app: Flask) -> Platform:
    return make_platform(hooks_app, "platform-a")


@pytest.fixture
def course_id(hooks_app: Flask, make_user) -> int:
    return make_course(hooks_app, make_user(Role.INSTRUCTOR), "hooks-course")


@pytest.fixture
def worker(hooks_app: Flask, make_user) -> User:
    return make_user()


def link(app: Flask, platform: Platform, user: User, external_id: str) -> None:
    with app.app_context():
        db.session.add(WorkerLink(client_id=platform.client_id, external_id=external_id,
                                  user_id=user.id))
        db.session.commit()


def add_webhook(app: Flask, platform: Platform, url: str,
                event_types: tuple[str, ...] = ()) -> tuple[int, str]:
    """A webhook made through the service; (id, secret)."""
    with app.app_context():
        client = db.session.get(ApiClient, platform.client_id)
        webhook, secret = webhooks.create_webhook(client, url, event_types, actor_id=None)
        db.session.commit()
        return webhook.id, secret


def emit(app: Flask, type_: str, *, user_id: int | None, course_id: int,
         data: dict | None = None) -> str:
    """An outbox event, committed; its public id."""
    with app.app_context():
        event = record_outbox(type_, user_id=user_id, course_id=course_id,
                              data=data or {"course": "hooks-course"})
        db.session.commit()
        return event.public_id


def work(app: Flask, now: datetime | None = None, rand=lambda: 0.5, **kwargs) -> int:
    """One worker round in the app (no jitter unless `rand` says otherwise)."""
    with app.app_context():
        return delivery.work_once(now, rand=rand, **kwargs)


def deliveries(app: Flask) -> list[Delivery]:
    with app.app_context():
        found = db.session.scalars(select(Delivery).order_by(Delivery.id)).all()
        db.session.expunge_all()
        return list(found)


def attempts(app: Flask, delivery_id: int | None = None) -> list[DeliveryAttempt]:
    with app.app_context():
        query = select(DeliveryAttempt).order_by(DeliveryAttempt.id)
        if delivery_id is not None:
            query = query.where(DeliveryAttempt.delivery_id == delivery_id)
        found = db.session.scalars(query).all()
        db.session.expunge_all()
        return list(found)


def webhook_row(app: Flask, webhook_id: int) -> Webhook:
    with app.app_context():
        webhook = db.session.get(Webhook, webhook_id)
        db.session.expunge(webhook)
        return webhook


def events(app: Flask) -> list[OutboxEvent]:
    with app.app_context():
        found = db.session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)).all()
        db.session.expunge_all()
        return list(found)


# The receiver

@dataclass(frozen=True)
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0  # seconds to stall before answering


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes


class Receiver:
    """Records every POST; answers with the queued replies, then with `default`."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.replies: deque[Reply] = deque()
        self.default = Reply()
        self.release = threading.Event()  # ends every stall (at teardown)
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def reply(self, *replies: Reply) -> None:
        self.replies.extend(replies)

    def _next(self, hit: Hit) -> Reply:
        with self.lock:
            self.hits.append(hit)
            return self.replies.popleft() if self.replies else self.default

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Hit]:
        deadline = time.monotonic() + timeout
        while len(self.hits) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.hits

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                reply = receiver._next(Hit(self.path, {k.lower(): v for k, v
                                                       in self.headers.items()}, body))
                if reply.delay:
                    receiver.release.wait(reply.delay)
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:
                    pass  # the client gave up (a killed worker)

            def log_message(self, *args: object) -> None:
                pass

        return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver()
    thread = threading.Thread(target=found.server.serve_forever, daemon=True)
    thread.start()
    yield found
    found.release.set()
    found.server.shutdown()
    found.server.server_close()
