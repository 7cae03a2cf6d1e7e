"""The exam lifecycle through the services: attempts, deadlines, results and qualifications."""

from __future__ import annotations

import dataclasses
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from courses.models import CourseStatus, Item, ManualVersion
from courses.services import practice
from exams.models import AttemptKind, Notice, QualificationStatus
from exams.services import attempts, qualifications
from exams.views.sweep import sweep
from tests.factories import (
    WORLD_MANUAL,
    WORLD_MANUAL_V2,
    WORLD_RULES,
    answer_all,
    keys_of,
    make_world,
    publish,
    take,
)

Status = QualificationStatus
ALL_WRONG = {f"{k}-{n}" for k in ("shoe", "hat", "towel") for n in range(3)}


def status(world) -> Status:
    return qualifications.status_of(world.trainee.id, world.course_id)


def test_starting_freezes_the_items_and_sets_the_deadline(app, world):
    with app.app_context():
        now = utcnow()
        attempt = attempts.start(world.user(world.trainee), world.course(), now=now)
        db.session.commit()
        assert len(attempt.responses) == 4 and len(set(keys_of(attempt))) == 4
        assert attempt.deadline == now + timedelta(seconds=600)
        assert attempt.kind == AttemptKind.QUALIFICATION and attempt.number == 1
        again = attempts.start(world.user(world.trainee), world.course())
        assert again.id == attempt.id  # resuming, not a second attempt
        assert status(world) == Status.IN_TRAINING
        kinds = db.session.scalars(select(Event.kind).where(Event.kind == "exam_started")).all()
        assert kinds == ["exam_started"]


def test_saving_keeps_the_newest_answer_and_refuses_malformed_ones(app, world):
    with app.app_context():
        attempt = attempts.start(world.user(world.trainee), world.course())
        attempts.save_answer(attempt, 1, "yes", 5)
        attempts.save_answer(attempt, 1, "no", 3)  # late and older: ignored
        assert attempt.responses[0].answer == "yes" and attempt.responses[0].answer_seq == 5
        attempts.save_answer(attempt, 1, "yes", 5)  # the same save again: idempotent
        with pytest.raises(practice.AnswerRefused, match="unknown option"):
            attempts.save_answer(attempt, 2, "maybe", 6)
        with pytest.raises(LookupError):
            attempts.save_answer(attempt, 99, "yes", 7)


def test_after_the_deadline_saves_are_refused_and_the_sweep_grades_what_was_saved(app, world):
    with app.app_context():
        now = utcnow()
        attempt = attempts.start(world.user(world.trainee), world.course(), now=now)
        answer_all(attempt, now=now)
        db.session.commit()
        late = now + timedelta(seconds=600) + attempts.SAVE_GRACE + timedelta(seconds=1)
        with pytest.raises(attempts.AttemptClosed):
            attempts.save_answer(attempt, 1, "no", 9, now=late)
        db.session.rollback()
        assert sweep(now=late) == (1, 0)  # one attempt closed, no qualification expired
        db.session.refresh(attempt)
        assert (attempt.state, attempt.closed_by, attempt.score) == ("graded", "deadline", 1.0)
        assert attempt.submitted_at == attempt.deadline  # when time ran out, not the sweep
        assert status(world) == Status.QUALIFIED


def test_passing_qualifies_under_the_attempts_manual_version_for_the_validity(app, world):
    with app.app_context():
        attempt = take(world, world.trainee)
        assert attempt.passed and attempt.score == 1.0
        qualification = qualifications.qualification_of(world.trainee.id, world.course_id)
        assert qualification.status == Status.QUALIFIED
        assert qualification.manual_version_id == attempt.manual_version_id
        assert qualification.expires_at - qualification.granted_at == timedelta(days=30)
        trail = [(c.from_status, c.to_status) for c in qualifications.history(qualification)]
        assert trail == [("not_started", "in_training"), ("in_training", "qualified")]
        with pytest.raises(attempts.StartRefused, match="qualified"):
            attempts.start(world.user(world.trainee), world.course())


def test_a_double_submit_grades_once(app, world):
    with app.app_context():
        attempt = attempts.start(world.user(world.trainee), world.course())
        answer_all(attempt)
        attempts.submit(attempt)
        attempts.submit(attempt)
        db.session.commit()
        assert len(db.session.scalars(select(Event).where(
            Event.kind == "exam_submitted")).all()) == 1


def test_a_wrong_critical_item_fails_a_high_score(app, make_user):
    # Every item, so the critical one is asked too.
    rules = dataclasses.replace(WORLD_RULES, item_count=8, pass_mark=0.5)
    world = make_world(app, make_user, rules)
    with app.app_context():
        attempt = take(world, world.trainee, wrong={"towel-1"})
        assert (attempt.score, attempt.passed, attempt.critical_missed) == (0.875, False,
                                                                          ["towel-1"])
        assert status(world) == Status.IN_TRAINING


def test_retry_delay_then_attempts_run_out(app, world):
    with app.app_context():
        now = utcnow()
        first = take(world, world.trainee, wrong=ALL_WRONG, now=now)
        assert not first.passed
        with pytest.raises(attempts.StartRefused) as refused:
            attempts.start(world.user(world.trainee), world.course(),
                           now=now + timedelta(minutes=30))
        assert refused.value.retry_at == first.submitted_at + timedelta(hours=1)
        standing = attempts.standing(world.user(world.trainee), world.course(),
                                     now=now + timedelta(minutes=30))
        assert (standing.can_start, standing.attempts_left) == (False, 1)
        db.session.rollback()
        second = take(world, world.trainee, wrong=ALL_WRONG, now=now + timedelta(hours=2))
        assert second.number == 2 and status(world) == Status.FAILED
        with pytest.raises(attempts.StartRefused, match="used all 2 attempts"):
            attempts.start(world.user(world.trainee), world.course(),
                           now=now + timedelta(days=3))


def test_validity_expiry_starts_a_new_cycle_of_attempts(app, world):
    with app.app_context():
        take(world, world.trainee)
        later = utcnow() + timedelta(days=31)
        assert qualifications.expire_due(now=later) == 1
        db.session.commit()
        qualification = qualifications.qualification_of(world.trainee.id, world.course_id)
        assert (qualification.status, qualification.cycle) == (Status.EXPIRED, 2)
        again = take(world, world.trainee, now=later)
        assert (again.cycle, again.number, again.passed) == (2, 1, True)
        assert status(world) == Status.QUALIFIED


def test_a_material_change_asks_for_a_refresh_on_the_changed_sections(app, world):
    with app.app_context():
        take(world, world.trainee)
        publish(world, WORLD_MANUAL + "\nMore welcome.\n", [])  # not material: nothing changes
        assert status(world) == Status.QUALIFIED
        publish(world, WORLD_MANUAL_V2, ["hats"])
        qualification = qualifications.qualification_of(world.trainee.id, world.course_id)
        assert qualification.status == Status.NEEDS_REFRESH
        assert qualification.refresh_sections == ["hats"]
        assert qualification.refresh_due_at - utcnow() > timedelta(days=6, hours=23)
        refresh = attempts.start(world.user(world.trainee), world.course())
        assert refresh.kind == AttemptKind.REFRESH and len(refresh.responses) == 2
        assert all(key.startswith("hat-") for key in keys_of(refresh))
        answer_all(refresh)
        attempts.submit(refresh)
        db.session.commit()
        qualification = qualifications.qualification_of(world.trainee.id, world.course_id)
        assert qualification.status == Status.QUALIFIED
        assert qualification.manual_version_id == refresh.manual_version_id
        assert db.session.get(ManualVersion, refresh.manual_version_id).number == 3
        notices = db.session.scalars(select(Notice.text)).all()
        assert any("Needs a refresh" in text for text in notices)
        # Said in the manual's words and a written-out day: no section id, no ISO date.
        told = next(text for text in notices if "Needs a refresh" in text)
        assert re.search(r"Manual version 3 changed “Hats”: take the refresh exam by "
                         r"\d{1,2} [A-Z][a-z]+ \d{4} \(UTC\)\.$", told), told


def test_missing_the_refresh_grace_period_expires_the_qualification(app, world):
    with app.app_context():
        take(world, world.trainee)
        publish(world, WORLD_MANUAL_V2, ["hats"])
        assert qualifications.expire_due(now=utcnow() + timedelta(days=8)) == 1
        db.session.commit()
        assert status(world) == Status.EXPIRED


def test_instructors_revoke_and_reinstate_with_reasons(app, world):
    with app.app_context():
        take(world, world.trainee)
        instructor = world.user(world.instructor)
        trainee, course_id = world.trainee.id, world.course_id
        qualification = qualifications.revoke(trainee, course_id, "copied answers", instructor)
        with pytest.raises(qualifications.QualificationError):
            qualifications.revoke(trainee, course_id, "again", instructor)
        qualifications.reinstate(trainee, course_id, "appeal upheld", instructor)
        db.session.commit()
        trail = [(c.to_status, c.reason, c.actor_id)
                 for c in qualifications.history(qualification)][-2:]
        assert trail == [("revoked", "Revoked: copied answers", instructor.id),
                         ("qualified", "Reinstated: appeal upheld", instructor.id)]


def test_an_item_changed_after_start_is_graded_with_its_gold_at_submit(app, world):
    with app.app_context():
        attempt = attempts.start(world.user(world.trainee), world.course())
        answer_all(attempt)
        first = db.session.get(Item, attempt.responses[0].item_id)
        assert first.revision == 1
        attempts.submit(attempt)
        assert attempt.responses[0].item_revision == 1


def test_a_pass_under_a_manual_changed_during_the_attempt_needs_a_refresh_at_once(app, world):
    with app.app_context():
        attempt = attempts.start(world.user(world.trainee), world.course())
        answer_all(attempt)
        db.session.commit()
        publish(world, WORLD_MANUAL_V2, ["hats"])
        attempts.submit(attempt)
        db.session.commit()
        qualification = qualifications.qualification_of(world.trainee.id, world.course_id)
        assert attempt.passed and qualification.status == Status.NEEDS_REFRESH
        assert [c.to_status for c in qualifications.history(qualification)][-2:] == [
            "qualified", "needs_refresh"]


def test_an_archived_course_takes_no_new_attempts(app, world):
    with app.app_context():
        world.course().status = CourseStatus.ARCHIVED
        with pytest.raises(attempts.StartRefused, match="closed"):
            attempts.start(world.user(world.trainee), world.course())
