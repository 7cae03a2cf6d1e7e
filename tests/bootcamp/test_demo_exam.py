"""The demo's clothing course offers a sequential exam (issue 16): loaded as `bootcamp demo`
loads the examples, its exam is sequential with settings that keep their error rates, its exam
pool holds the most items an attempt can draw and covers the section quotas, and a trainee who
answers right passes after the fewest items, in two blocks."""

from __future__ import annotations

import random

from sqlalchemy import select

from bootcamp.demo import EXAM_COURSE, load_examples
from bootcamp.demo_cohorts import take_exam
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.models import Course, Item, ItemStatus
from courses.services import enrolment
from exams import operating
from exams.blocks import BLOCK_SIZE
from exams.rules import sequential_problems
from exams.sampling import covered_at
from exams.sequential import SequentialRules
from exams.services import attempts
from exams.services.settings import (
    exam_items_in_practice,
    exam_pool,
    readiness_problems,
    rules_of,
    sequential_rules,
    settings_for,
)

# examples/clothing-tagging/course.yaml's exam: block
DEMO_TEST = SequentialRules(p0=0.6, p1=0.9, alpha=0.05, beta=0.05, min_items=10, max_items=25)
QUOTAS = {"footwear": 1, "not-clothing": 2}


def demo_course() -> Course:
    load_examples()
    db.session.commit()
    return db.session.scalar(select(Course).where(Course.slug == EXAM_COURSE))


def test_the_clothing_exam_is_sequential_and_keeps_its_error_rates(app):
    with app.app_context():
        settings = settings_for(demo_course())
        rules = rules_of(settings)
        assert rules.mode == "sequential"
        assert sequential_rules(settings) == DEMO_TEST
        assert rules.quotas == QUOTAS
        assert sequential_problems(rules) == []  # truncated at 25, the rates still hold
    profile = operating.profile(DEMO_TEST)
    assert profile.fail_level.pass_rate <= DEMO_TEST.alpha
    assert 1 - profile.pass_level.pass_rate <= DEMO_TEST.beta
    # Short enough to click through, and shorter on average than the fixed-length equivalent.
    assert profile.fail_level.expected_items < 15 and profile.pass_level.expected_items < 15
    assert profile.fixed is not None and profile.fixed.items > DEMO_TEST.max_items - 5


def test_the_clothing_exam_pool_holds_the_most_items_and_covers_the_quotas(app):
    with app.app_context():
        course = demo_course()
        assert readiness_problems(course, settings_for(course)) == []  # max_items, quotas
        pool = exam_pool(course)
        assert len(pool) >= DEMO_TEST.max_items
        for section, quota in QUOTAS.items():  # retakes need not meet the same quota items
            assert sum(section in item.sections for item in pool) >= 4 * quota, section
        # Every section of the manual's rules is examined, and no exam gold is practised.
        assert {section for item in pool for section in item.sections} == {
            "how-to-tag", "what-counts", "photos-and-reflections", "footwear", "legwear",
            "not-clothing"}
        assert exam_items_in_practice(course) == []
        prompts = list(db.session.scalars(select(Item.prompt).where(
            Item.course_id == course.id, Item.status == ItemStatus.ACTIVE)))
        assert len(set(prompts)) == len(prompts)


def test_a_trainee_who_answers_right_passes_after_two_blocks(app, make_user):
    trainee = make_user()
    with app.app_context():
        course = demo_course()
        user = db.session.get(User, trainee.id)
        enrolment.enrol(user, course, enrolment.EnrollmentSource.SELF)
        attempt = attempts.start(user, course, rng=random.Random(16))
        assert len(attempt.responses) == BLOCK_SIZE
        first_block = [tuple(db.session.get(Item, r.item_id).sections)
                       for r in attempt.responses]
        assert covered_at(first_block, QUOTAS) is not None  # the quotas come first
        now = utcnow()
        attempt = take_exam(attempt, lambda item, _: item.gold, answered_at=lambda: now,
                            handed_in_at=lambda: now, rng=random.Random(16))
        db.session.commit()
        assert (attempt.passed, attempt.decision_items) == (True, DEMO_TEST.min_items)
        assert len(attempt.responses) == 2 * BLOCK_SIZE
