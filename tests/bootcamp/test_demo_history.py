"""`bootcamp demo`'s cohort history: two cohorts two weeks apart, dropout along the way, one
wrong gold the item statistics flag, and nothing added by a second run."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bootcamp.demo import seed_demo
from bootcamp.demo_cohorts import (
    COHORT_SIZE,
    COHORTS,
    COURSE,
    MANUAL_ANSWER,
    WRONG_GOLD,
    WRONG_GOLD_ITEM,
)
from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Cohort, Enrollment, Item, ItemRevision, PracticeAnswer
from courses.services import catalog
from exams.models import Attempt, Dispute, Dropout, Qualification, Response
from exams.services import item_stats
from graders.item_analysis import Flag

COUNTED = (User, Cohort, Enrollment, Event, PracticeAnswer, Attempt, Response, Dispute,
           Dropout, Qualification, ItemRevision)


def _cohorts(course) -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).where(Cohort.course_id == course.id)
                                   .order_by(Cohort.starts_on)))


def _members(cohort: Cohort) -> list[int]:
    return list(db.session.scalars(select(Enrollment.user_id)
                                   .where(Enrollment.cohort_id == cohort.id)))


def test_two_cohorts_of_fifty_two_weeks_apart_with_dropout(app):
    with app.app_context():
        seed_demo()
        course = catalog.find_course(COURSE)
        first, second = _cohorts(course)
        assert [first.name, second.name] == [name for name, _ in COHORTS]
        assert second.starts_on - first.starts_on == timedelta(days=14)
        assert (utcnow().date() - first.starts_on).days in (33, 34)
        for cohort in (first, second):
            members = _members(cohort)
            assert len(members) == COHORT_SIZE
            dropped = db.session.scalar(select(func.count()).select_from(Dropout).where(
                Dropout.course_id == course.id, Dropout.user_id.in_(members),
                Dropout.returned_at.is_(None)))
            withdrew = db.session.scalar(select(func.count()).select_from(Enrollment).where(
                Enrollment.cohort_id == cohort.id, Enrollment.withdrawn_at.is_not(None)))
            qualified = db.session.scalar(select(func.count()).select_from(Qualification).where(
                Qualification.course_id == course.id, Qualification.user_id.in_(members),
                Qualification.granted_at.is_not(None)))
            assert COHORT_SIZE / 2 < dropped < COHORT_SIZE  # more than half drop out
            assert withdrew >= 1 and qualified >= 3
            # Dated over the cohort's weeks, not at the moment the demo ran.
            first_event = db.session.scalar(select(func.min(Event.created_at)).where(
                Event.user_id.in_(members)))
            assert first_event.date() >= cohort.starts_on
            assert first_event < utcnow() - timedelta(days=10)


def test_the_wrong_gold_is_the_one_suspicious_item(app):
    with app.app_context():
        seed_demo()
        course = catalog.find_course(COURSE)
        item = db.session.scalar(select(Item).where(Item.course_id == course.id,
                                                    Item.key == WRONG_GOLD_ITEM))
        assert item.gold == WRONG_GOLD != MANUAL_ANSWER
        report = item_stats.item_report(course)
        suspicious = [row for row in report.rows if Flag.SUSPICIOUS in row.stats.flags]
        assert [row.item.key for row in suspicious] == [WRONG_GOLD_ITEM]
        stats = suspicious[0].stats
        assert stats.miss_rate > 0.5 and stats.contested_rate >= 0.1
        assert stats.discrimination < 0  # the strong trainees miss it
        assert report.rows[0].item.key == WRONG_GOLD_ITEM  # listed first


def test_a_second_run_adds_nothing(app):
    with app.app_context():
        seed_demo()
        before = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                  for model in COUNTED}
        seed_demo()
        after = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                 for model in COUNTED}
        assert after == before
