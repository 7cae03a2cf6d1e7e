"""Disputes: accepting one corrects the gold or adds an alternative, and regrades everything."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from courses.models import Item, ItemRevision
from courses.services import practice
from exams.models import DisputeStatus, Notice, QualificationStatus
from exams.services import attempts, disputes, qualifications
from tests.factories import WORLD_RULES, keys_of, make_world

Status = QualificationStatus


@pytest.fixture
def world(app, make_user):
    # Every item in every attempt, so the test knows which ones are asked.
    return make_world(app, make_user, dataclasses.replace(
        WORLD_RULES, item_count=8, pass_mark=0.8, critical_rule=False))


def fail_on_hats(world):
    """An attempt where the trainee answers "no" on the three hat items (gold "yes")."""
    attempt = attempts.start(world.user(world.trainee), world.course())
    for response in attempt.responses:
        item = db.session.get(Item, response.item_id)
        attempts.save_answer(attempt, response.position,
                             "no" if item.key.startswith("hat-") else item.gold, 1)
    attempts.submit(attempt)
    db.session.commit()
    return attempt


def response_for(attempt, key):
    return next(r for r in attempt.responses if db.session.get(Item, r.item_id).key == key)


def test_accepting_an_alternative_flips_a_failed_attempt_to_passed(app, world):
    with app.app_context():
        attempt = fail_on_hats(world)
        assert (attempt.score, attempt.passed) == (0.625, False)
        assert qualifications.status_of(world.trainee.id, world.course_id) == Status.IN_TRAINING
        trainee = world.user(world.trainee)
        for key in ("hat-0", "hat-1"):
            response = response_for(attempt, key)
            disputes.open_dispute(trainee, db.session.get(Item, response.item_id),
                                  response.answer, "Helmets are not hats.", response=response)
        db.session.commit()
        first, second = disputes.disputes_of(world.course())[::-1]
        instructor = world.user(world.instructor)
        disputes.accept(first, disputes.ALTERNATIVE, instructor, "Fair point.")
        db.session.commit()
        db.session.refresh(attempt)
        assert (attempt.score, attempt.passed) == (0.75, False)  # one item back: not enough
        disputes.accept(second, disputes.CORRECTED, instructor)
        db.session.commit()
        db.session.refresh(attempt)
        assert (attempt.score, attempt.passed) == (0.875, True)
        assert attempt.regraded_at is not None
        qualification = qualifications.qualification_of(world.trainee.id, world.course_id)
        assert qualification.status == Status.QUALIFIED and qualification.attempt_id == attempt.id
        last = qualifications.history(qualification)[-1]
        assert "dispute #" in last.reason and "passes" in last.reason
        hat0 = db.session.scalar(select(Item).where(Item.key == "hat-0"))
        hat1 = db.session.scalar(select(Item).where(Item.key == "hat-1"))
        assert (hat0.gold, hat0.alternatives, hat0.revision) == ("yes", ["no"], 2)
        assert (hat1.gold, hat1.alternatives, hat1.revision) == ("no", [], 2)
        kept = db.session.scalars(select(ItemRevision.gold).where(
            ItemRevision.item_id == hat1.id).order_by(ItemRevision.number)).all()
        assert kept == ["yes", "no"]  # the history keeps the old gold
        assert first.status == DisputeStatus.ACCEPTED and first.reply == "Fair point."
        texts = db.session.scalars(select(Notice.text).where(
            Notice.user_id == world.trainee.id)).all()
        assert any("was accepted" in t for t in texts)
        assert any("now scores 88%" in t and "passed" in t for t in texts)


def test_a_correction_can_fail_a_passed_attempt_and_take_the_qualification_back(app, world):
    with app.app_context():
        attempt = attempts.start(world.user(world.trainee), world.course())
        for response in attempt.responses:
            item = db.session.get(Item, response.item_id)
            attempts.save_answer(attempt, response.position, item.gold, 1)
        attempts.submit(attempt)
        db.session.commit()
        assert attempt.passed
        trainee = world.user(world.trainee)
        # Another trainee's dispute changes two golds away from this trainee's answers.
        for key in ("shoe-0", "shoe-1"):
            item = db.session.scalar(select(Item).where(Item.key == key))
            dispute = disputes.open_dispute(trainee, item, "no", "Sandals?")
            disputes.accept(dispute, disputes.CORRECTED, world.user(world.instructor))
        db.session.commit()
        db.session.refresh(attempt)
        assert (attempt.score, attempt.passed) == (0.75, False)
        assert qualifications.status_of(world.trainee.id, world.course_id) == Status.IN_TRAINING


def test_rejecting_needs_a_reply_that_the_trainee_sees(app, world):
    with app.app_context():
        attempt = fail_on_hats(world)
        response = response_for(attempt, "hat-2")
        trainee = world.user(world.trainee)
        dispute = disputes.open_dispute(trainee, db.session.get(Item, response.item_id),
                                        response.answer, "Unclear rule.", response=response)
        with pytest.raises(disputes.DisputeRefused, match="already have an open dispute"):
            disputes.open_dispute(trainee, db.session.get(Item, response.item_id), "no", "Again")
        with pytest.raises(disputes.DisputeRefused, match="reply"):
            disputes.reject(dispute, world.user(world.instructor), "  ")
        disputes.reject(dispute, world.user(world.instructor), "Section 3 says hats count.")
        db.session.commit()
        with pytest.raises(disputes.DisputeRefused, match="already resolved"):
            disputes.reject(dispute, world.user(world.instructor), "Twice")
        texts = db.session.scalars(select(Notice.text)).all()
        assert any("Section 3 says hats count." in t for t in texts)
        db.session.refresh(attempt)
        assert attempt.passed is False and attempt.regraded_at is None


def test_regrading_rescores_practice_answers_too(app, world):
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.key == "hat-0"))
        item.pools = ["practice", "exam"]
        trainee = world.user(world.trainee)
        stored = practice.answer_item(trainee, world.course(), item, "no")
        assert not stored.correct
        dispute = disputes.open_dispute(trainee, item, "no", "Helmets.", practice_answer=stored)
        disputes.accept(dispute, disputes.ALTERNATIVE, world.user(world.instructor))
        db.session.commit()
        db.session.refresh(stored)
        assert (stored.correct, stored.points, stored.item_revision) == (True, 1.0, 2)


def test_the_queue_ranks_items_by_open_disputes_then_miss_rate(app, world):
    with app.app_context():
        attempt = fail_on_hats(world)
        response = response_for(attempt, "hat-1")
        disputes.open_dispute(world.user(world.trainee), db.session.get(Item, response.item_id),
                              "no", "Why?", response=response)
        db.session.commit()
        rows = disputes.queue(world.course())
        assert [(r.item.key, r.answered, r.missed, r.open_disputes) for r in rows] == [
            ("hat-1", 1, 1, 1), ("hat-0", 1, 1, 0), ("hat-2", 1, 1, 0)]
        assert len(keys_of(attempt)) == 8
