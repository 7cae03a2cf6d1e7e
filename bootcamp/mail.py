"""Email through Flask-Mailman: rendered from templates/mail/, sent only once the database
transaction that caused it commits.

send() renders the message at once (so a bad address or subject fails in the caller) and
queues it on the database session; the session's commit sends the queue, and a rollback (or a
session closed without commit) drops it, so nobody hears of a change that did not happen. A
mail server that fails or hangs (MAIL_TIMEOUT) is logged and never fails the request.

Where mail goes: SMTP when MAIL_SERVER is set (bootcamp/config.py reads MAIL_* from the
environment); without it, in tests, Flask-Mailman's in-memory outbox; otherwise (development,
`bootcamp demo`) the console and one .eml file per message in MAIL_OUTBOX_DIR.
"""

from __future__ import annotations

import logging
import secrets
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, render_template, url_for
from flask_mailman import BadHeaderError, EmailMultiAlternatives, Mail
from flask_mailman.backends.base import BaseEmailBackend
from flask_sqlalchemy.session import Session
from jinja2 import TemplateNotFound
from sqlalchemy import event

from bootcamp.extensions import db
from bootcamp.types import utcnow

log = logging.getLogger(__name__)
mailman = Mail()
OUTBOX_BACKEND = "bootcamp.mail.OutboxEmailBackend"
MAX_RECIPIENTS = 50  # one message names its recipients to each other: keep lists short
MAX_SUBJECT = 200
_QUEUE = "bootcamp_mail_queue"
_SUPPRESSED = "bootcamp_mail_suppressed"


def init_app(app: Flask) -> None:
    """Choose the backend (unless MAIL_BACKEND names one) and bind Flask-Mailman."""
    if not app.config.get("MAIL_BACKEND"):
        app.config["MAIL_BACKEND"] = (
            "smtp" if app.config.get("MAIL_SERVER")
            else "locmem" if app.testing else OUTBOX_BACKEND)
    mailman.init_app(app)


def send(to: str | list[str], subject: str, template: str, **context) -> None:
    """Render templates/mail/<template>.txt (and .html when there is one) and send it to `to`
    after the current database transaction commits. Raises BadHeaderError for an address or
    subject that would smuggle in a header, ValueError for an empty or oversized one."""
    recipients = [to] if isinstance(to, str) else list(to)
    _check_headers(recipients, subject)
    message = EmailMultiAlternatives(
        subject, render_template(f"mail/{template}.txt", **context),
        current_app.config.get("MAIL_DEFAULT_SENDER"), recipients)
    try:
        html = current_app.jinja_env.get_template(f"mail/{template}.html")
    except TemplateNotFound:
        html = None  # plain text is enough
    if html is not None:
        message.attach_alternative(render_template(html, **context), "text/html")
    message.message()  # Flask-Mailman's own header checks, before anything is queued
    if db.session.info.get(_SUPPRESSED):
        return
    session = db.session()
    if not session.in_transaction():
        session.begin()  # the queue lives and dies with a transaction, even an empty one
    session.info.setdefault(_QUEUE, []).append(message)


def _check_headers(recipients: list[str], subject: str) -> None:
    if not recipients or len(recipients) > MAX_RECIPIENTS:
        raise ValueError(f"A message needs 1 to {MAX_RECIPIENTS} recipients.")
    if not subject.strip() or len(subject) > MAX_SUBJECT:
        raise ValueError(f"A subject needs 1 to {MAX_SUBJECT} characters.")
    for value in [subject, *recipients]:
        if "\n" in value or "\r" in value or "\0" in value:
            raise BadHeaderError(f"Refused a header with a line break: {value!r}")
    for address in recipients:
        if address.count("@") != 1 or len(address) > 254 or any(c in address for c in "<>,;"):
            raise ValueError(f"Not one email address: {address!r}")


def one_line(text: str, limit: int = 120) -> str:
    """Stored text (a course title) fit for a subject: one line, at most `limit` characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@contextmanager
def suppressed() -> Iterator[None]:
    """Send nothing that is queued inside (the demo's generated history mails nobody)."""
    db.session.info[_SUPPRESSED] = True
    try:
        yield
    finally:
        db.session.info.pop(_SUPPRESSED, None)


def queued() -> list[EmailMultiAlternatives]:
    """The messages waiting for this session's commit."""
    return list(db.session.info.get(_QUEUE, []))


@event.listens_for(Session, "after_commit")
def _send_queue(session: Session) -> None:
    messages = session.info.pop(_QUEUE, [])
    if messages:
        deliver(messages)


@event.listens_for(Session, "after_transaction_end")
def _drop_queue(session: Session, transaction) -> None:
    """The outermost transaction ended without a commit (rolled back, or closed)."""
    if transaction.parent is None:
        session.info.pop(_QUEUE, None)


def deliver(messages: list[EmailMultiAlternatives]) -> int:
    """Send now, over one connection; a failure is logged, not raised. Returns how many went."""
    sent = 0
    try:
        connection = mailman.get_connection()
        connection.open()
    except Exception:  # noqa: BLE001 - any failure of the mail server must spare the request
        log.exception("Could not reach the mail server; %d message(s) not sent", len(messages))
        return 0
    try:
        for message in messages:
            try:
                sent += connection.send_messages([message]) or 0
            except Exception:  # noqa: BLE001
                log.exception("Could not send %r to %s", message.subject, message.to)
    finally:
        try:
            connection.close()
        except Exception:  # noqa: BLE001
            log.exception("Could not close the connection to the mail server")
    return sent


def external_url(endpoint: str, **values) -> str:
    """An absolute link for a message: under BASE_URL. Without it (development: mail only goes
    to the console and the outbox folder, see check_base_url) this request's host, else
    http://localhost:5000 (the sweep run from a terminal)."""
    base = current_app.config.get("BASE_URL")
    if not base and current_app.config.get("MAIL_SERVER"):
        raise RuntimeError(BASE_URL_NEEDED)
    if not base and has_request_context():
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base or "http://localhost:5000")
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/",
                                       url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


BASE_URL_NEEDED = ("Set BOOTCAMP_BASE_URL (e.g. https://training.example.com) when MAIL_SERVER is "
                   "set: links in real mail must not point wherever a request's Host header says "
                   "(a forged one would send password links to another site).")


def check_base_url(config: Mapping[str, Any]) -> None:
    """Refuse to start when mail really goes out but nothing says where its links point."""
    if config.get("MAIL_SERVER") and not config.get("BASE_URL"):
        raise RuntimeError(BASE_URL_NEEDED)


def day(value: datetime | date | None) -> str:
    """"7 December 2026": a day nobody reads the wrong way round (UTC for a moment)."""
    return f"{value.day} {value:%B %Y}" if value else ""


class OutboxEmailBackend(BaseEmailBackend):
    """Development and the demo: each message printed to the console and kept as an .eml file
    (open it with any mail program) in MAIL_OUTBOX_DIR."""

    _lock = threading.Lock()

    def send_messages(self, email_messages) -> int:
        folder = Path(current_app.config["MAIL_OUTBOX_DIR"])
        folder.mkdir(parents=True, exist_ok=True)
        for message in email_messages:
            path = folder / f"{utcnow():%Y%m%d-%H%M%S}-{secrets.token_hex(4)}.eml"
            path.write_bytes(message.message().as_bytes())
            with self._lock:
                sys.stdout.write(
                    f"\n--- Email (kept in {path}) ---\nTo: {', '.join(message.to)}\n"
                    f"Subject: {message.subject}\n\n{message.body}\n{'-' * 40}\n")
                sys.stdout.flush()
        return len(email_messages)
