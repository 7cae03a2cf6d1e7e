"""Platform events are written to the outbox by the change itself, in its transaction: one
event per transition, of the matching type, numbered per (worker, course)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.outbox import OutboxEvent
from bootcamp.types import utcnow
from courses.models import Item
from exams.models import QualificationStatus
from exams.services import attempts, disputes, qualifications
from tests.factories import WORLD_MANUAL_V2 as MANUAL_V2
from tests.factories import WORLD_RULES as RULES
from tests.factories import make_world, publish, take

Status = QualificationStatus
ALL_WRONG = {f"{k}-{n}" for k in ("shoe", "hat", "towel") for n in range(3)}


@pytest.fixture
def world(app, make_user):
    return make_world(app, make_user)


def outbox(user_id: int | None = None) -> list[OutboxEvent]:
    query = select(OutboxEvent).order_by(OutboxEvent.id)
    if user_id is not None:
        query = query.where(OutboxEvent.user_id == user_id)
    return list(db.session.scalars(query))


def types_and_sequences(user_id: int) -> list[tuple[str, int]]:
    return [(event.type, event.sequence) for event in outbox(user_id)]


def test_passing_writes_one_granted_event_with_the_standing(app, world):
    with app.app_context():
        take(world, world.trainee)
        (event,) = outbox(world.trainee.id)  # starting the exam is no platform event
        qualification = qualifications.qualification_of(world.trainee.id, world.course_id)
        assert (event.type, event.sequence, event.course_id) == (
            "qualification.granted", 1, world.course_id)
        assert event.public_id.startswith("evt_")
        data = event.data
        assert data["course"] == "exam-course" and data["status"] == "qualified"
        assert data["previous_status"] == "in_training" and data["score"] == 1.0
        assert data["manual_version"] == 1 and data["current_manual_version"] == 1
        assert data["granted_at"] == qualification.granted_at.isoformat().replace("+00:00", "Z")
        assert data["expires_at"].endswith("Z") and data["refresh_due_at"] is None
        assert "Passed the exam" in data["reason"]


def test_failing_with_attempts_left_is_silent_and_the_last_failure_is_an_event(app, world):
    with app.app_context():
        take(world, world.trainee, wrong=ALL_WRONG)
        assert outbox(world.trainee.id) == []
        qualification = qualifications.qualification_of(world.trainee.id, world.course_id)
        qualification.attempt_id = None  # (the retry delay is not what this test is about)
        later = utcnow() + timedelta(hours=2)
        take(world, world.trainee, wrong=ALL_WRONG, now=later)
        assert types_and_sequences(world.trainee.id) == [("qualification.failed", 1)]
        (event,) = outbox(world.trainee.id)
        assert (event.data["status"], event.data["previous_status"]) == ("failed", "in_training")


def test_a_material_change_asks_for_a_refresh_and_announces_the_manual(app, world):
    with app.app_context():
        take(world, world.trainee)
        publish(world, MANUAL_V2, ["hats"])
        assert types_and_sequences(world.trainee.id) == [
            ("qualification.granted", 1), ("qualification.needs_refresh", 2)]
        refresh = outbox(world.trainee.id)[-1].data
        assert refresh["manual_version"] == 1 and refresh["current_manual_version"] == 2
        assert refresh["refresh_due_at"].endswith("Z")
        (manual,) = [e for e in outbox() if e.type == "manual.published" and e.data["version"] == 2]
        assert manual.user_id is None and manual.sequence is None
        assert manual.course_id == world.course_id
        assert manual.data == {"course": "exam-course", "version": 2,
                               "material_sections": ["hats"], "changelog": "Changed."}


def test_expiry_revocation_and_reinstatement_each_write_their_event(app, world):
    with app.app_context():
        take(world, world.trainee)
        qualifications.expire_due(utcnow() + timedelta(days=31))
        db.session.commit()
        instructor = world.user(world.instructor)
        qualifications.revoke(world.trainee.id, world.course_id, "Cheating.", instructor)
        db.session.commit()
        qualifications.reinstate(world.trainee.id, world.course_id, "Cleared.", instructor)
        db.session.commit()
        assert types_and_sequences(world.trainee.id) == [
            ("qualification.granted", 1), ("qualification.expired", 2),
            ("qualification.revoked", 3), ("qualification.reinstated", 4)]
        statuses = [(e.data["previous_status"], e.data["status"]) for e in outbox(world.trainee.id)]
        assert statuses[1:] == [("qualified", "expired"), ("expired", "revoked"),
                                ("revoked", "in_training")]


def test_sequences_are_per_worker_and_course(app, make_user, world):
    with app.app_context():
        other = make_user()
        take(world, world.trainee)
        instructor = world.user(world.instructor)
        qualifications.revoke(other.id, world.course_id, "No.", instructor)
        qualifications.revoke(world.trainee.id, world.course_id, "No.", instructor)
        db.session.commit()
        assert types_and_sequences(other.id) == [("qualification.revoked", 1)]
        assert types_and_sequences(world.trainee.id) == [
            ("qualification.granted", 1), ("qualification.revoked", 2)]


def test_a_rolled_back_change_writes_no_event(app, world):
    with app.app_context():
        take(world, world.trainee)
        before = len(outbox())
        qualifications.revoke(world.trainee.id, world.course_id, "Oops.",
                              world.user(world.instructor))
        db.session.flush()
        assert len(outbox()) == before + 1  # written in the change's transaction...
        db.session.rollback()
        assert len(outbox()) == before  # ...and gone with it


def test_a_regrade_moves_the_score_then_takes_the_qualification_back(app, make_user):
    world = make_world(app, make_user, dataclasses.replace(
        RULES, item_count=8, pass_mark=0.8, critical_rule=False))
    with app.app_context():
        attempt = take(world, world.trainee)
        trainee, instructor = world.user(world.trainee), world.user(world.instructor)

        def correct(key: str) -> None:
            item = db.session.scalar(select(Item).where(Item.key == key))
            disputes.accept(disputes.open_dispute(trainee, item, "no", "Sandals?"),
                            disputes.CORRECTED, instructor)
            db.session.commit()

        correct("shoe-0")
        qualification = qualifications.qualification_of(world.trainee.id, world.course_id)
        assert qualification.status == Status.QUALIFIED and qualification.score == 0.875
        correct("shoe-1")
        db.session.refresh(attempt)
        assert not attempt.passed
        assert types_and_sequences(world.trainee.id) == [
            ("qualification.granted", 1), ("qualification.score_changed", 2),
            ("qualification.failed", 3)]
        changed, lost = outbox(world.trainee.id)[1:]
        assert (changed.data["score"], changed.data["status"]) == (0.875, "qualified")
        assert (lost.data["previous_status"], lost.data["status"]) == ("qualified",
                                                                      "in_training")


def test_a_regrade_that_leaves_the_score_alone_writes_nothing(app, make_user):
    world = make_world(app, make_user, dataclasses.replace(
        RULES, item_count=8, pass_mark=0.5, critical_rule=False))
    with app.app_context():
        take(world, world.trainee)
        item = db.session.scalar(select(Item).where(Item.key == "hat-0"))
        disputes.accept(disputes.open_dispute(world.user(world.trainee), item, "no", "Sure."),
                        disputes.ALTERNATIVE, world.user(world.instructor), "Also right.")
        db.session.commit()
        assert types_and_sequences(world.trainee.id) == [("qualification.granted", 1)]


def test_an_attempt_start_is_no_platform_event(app, world):
    with app.app_context():
        attempts.start(world.user(world.trainee), world.course())
        db.session.commit()
        assert outbox(world.trainee.id) == []
