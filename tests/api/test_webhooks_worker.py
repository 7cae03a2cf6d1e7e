"""The delivery worker as it runs: `bootcamp webhooks work` killed mid-delivery and restarted
loses nothing (a repeat carries the same webhook-id), stops cleanly on SIGTERM, and two workers
on PostgreSQL never send the same delivery twice."""

# ruff: noqa: F811  (pytest fixtures imported from webhook_fixtures, used as arguments)
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select, update

from bootcamp.api import delivery
from bootcamp.api.models import Delivery, DeliveryAttempt, DeliveryState
from bootcamp.extensions import db
from tests.api.webhook_fixtures import (  # noqa: F401  (fixtures)
    Reply,
    add_webhook,
    attempts,
    course_id,
    deliveries,
    emit,
    hooks_app,
    platform,
    receiver,
)

BOOTCAMP = str(Path(sys.executable).with_name("bootcamp"))


def worker_env(app, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "BOOTCAMP_INSTANCE_PATH": str(tmp_path / "instance"),
            "BOOTCAMP_WEBHOOK_ALLOW_PRIVATE": "1"}


def run_once(app, tmp_path: Path) -> str:
    done = subprocess.run([BOOTCAMP, "webhooks", "work", "--once"], env=worker_env(app, tmp_path),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.slow
def test_a_worker_killed_mid_delivery_loses_nothing(hooks_app, platform, receiver, course_id,
                                                     tmp_path):
    receiver.reply(Reply(200, delay=120))  # the first try hangs until the worker is killed
    add_webhook(hooks_app, platform, receiver.url())
    event_id = emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    process = subprocess.Popen([BOOTCAMP, "webhooks", "work", "--once"],
                               env=worker_env(hooks_app, tmp_path),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert len(receiver.wait_for(1)) == 1, process.stderr
    finally:
        process.kill()
        process.communicate(timeout=30)
    (row,) = deliveries(hooks_app)
    assert (row.state, row.attempt_count) == (DeliveryState.PENDING, 1)
    (stopped,) = attempts(hooks_app)
    assert stopped.status is None and stopped.error == delivery.STOPPED
    assert run_once(hooks_app, tmp_path) == "Tried 0 deliveries."  # leased: not yet
    with hooks_app.app_context():  # the lease runs out
        db.session.execute(update(Delivery).values(
            next_attempt_at=row.next_attempt_at - delivery.LEASE))
        db.session.commit()
    assert run_once(hooks_app, tmp_path) == "Tried 1 deliveries."
    first, second = receiver.hits
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == event_id
    (row,) = deliveries(hooks_app)
    assert row.state == DeliveryState.SUCCEEDED
    assert [(a.number, a.status) for a in attempts(hooks_app)] == [(1, None), (2, 200)]


@pytest.mark.slow
def test_the_long_running_worker_delivers_and_stops_on_sigterm(hooks_app, platform, receiver,
                                                               course_id, tmp_path):
    add_webhook(hooks_app, platform, receiver.url())
    process = subprocess.Popen([BOOTCAMP, "webhooks", "work", "--idle", "0.2"],
                               env=worker_env(hooks_app, tmp_path), text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
        assert len(receiver.wait_for(1)) == 1
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "Stopped." in out


def test_two_workers_on_postgresql_never_send_a_delivery_twice(
        hooks_app, make_extra_app, platform, receiver, course_id):
    if not hooks_app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("SKIP LOCKED claims need PostgreSQL (set TEST_DATABASE_URL)")
    paths = [f"/hook-{n}" for n in range(3)]
    for path in paths:
        add_webhook(hooks_app, platform, receiver.url(path))
    for _ in range(30):
        emit(hooks_app, "manual.published", user_id=None, course_id=course_id)
    workers = [make_extra_app(WEBHOOK_ALLOW_PRIVATE=True) for _ in range(2)]
    barrier = threading.Barrier(len(workers))
    errors: list[BaseException] = []

    def run(app) -> None:
        try:
            with app.app_context():
                barrier.wait()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    if delivery.work_once(limit=4) == 0 and not db.session.scalar(
                            select(Delivery.id).where(Delivery.state == DeliveryState.PENDING)
                            .limit(1)) and _all_dispatched():
                        return
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(app,)) for app in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    hits = Counter((hit.path, hit.headers["webhook-id"]) for hit in receiver.hits)
    assert len(hits) == 90 and set(hits.values()) == {1}
    with hooks_app.app_context():
        numbers = db.session.scalars(select(DeliveryAttempt.number)).all()
        assert len(numbers) == 90 and set(numbers) == {1}
        states = db.session.scalars(select(Delivery.state)).all()
        assert len(states) == 90 and set(states) == {DeliveryState.SUCCEEDED}


def _all_dispatched() -> bool:
    from bootcamp.outbox import OutboxEvent

    return db.session.scalar(select(OutboxEvent.id).where(
        OutboxEvent.dispatched_at.is_(None)).limit(1)) is None
