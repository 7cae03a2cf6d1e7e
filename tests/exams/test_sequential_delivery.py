"""Sequential exams delivered in blocks (exams.services.sequential_exams): the first block at
the start, a decision after each block through the grading path of fixed exams, the critical
rule, truncation at the most items, the deadline, regrading, and one block per post."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bootcamp.extensions import db
from bootcamp.types import utcnow
from courses.models import Item
from courses.services import items as item_bank
from courses.services import manuals
from exams.blocks import BLOCK_SIZE, Plan
from exams.models import Attempt, AttemptKind, AttemptState, QualificationStatus, Response
from exams.sampling import draw_block
from exams.services import attempts, item_stats, qualifications, sequential_exams
from exams.services.attempts import TRIAL_ITEMS
from exams.services.settings import (
    exam_pool,
    rules_of,
    save_settings,
    sequential_rules,
    settings_for,
)
from tests.conftest import THREADS, race
from tests.factories import (
    SEQUENTIAL_TEST,
    answer_block,
    events_of,
    make_sequential_world,
    signed_in,
    use_sequential,
)
from tests.helpers import csrf_token


@pytest.fixture
def seq_world(app, make_user, monkeypatch):
    """The sequential course, its rules given through the seam."""
    use_sequential(monkeypatch)
    return make_sequential_world(app, make_user)


SEED = 6  # puts the critical towel item first: the patterns below never answer it wrong


def run(world, right, *, blocks: int = 10, now=None) -> Attempt:
    """Start, then answer block after block (right(position, key) says which answers are
    the gold) until the attempt ends or `blocks` blocks are answered. Committed."""
    now = now or utcnow()
    attempt = attempts.start(world.user(world.trainee), world.course(), now=now,
                             rng=random.Random(SEED))
    db.session.commit()
    for _ in range(blocks):
        answer_block(attempt, right=right, now=now)
        attempt = sequential_exams.advance(attempt, now=now, rng=random.Random(SEED))
        db.session.commit()
        if not attempt.is_open:
            break
    return attempt


def drawn_keys(attempt: Attempt) -> list[str]:
    return [db.session.get(Item, r.item_id).key for r in attempt.responses]


def test_the_seam_reads_the_mode_and_the_test_from_the_settings(app, make_user):
    world = make_sequential_world(app, make_user)
    with app.app_context():
        course = world.course()
        assert sequential_rules(settings_for(course)) is None  # a fixed exam
        save_settings(course, replace(
            rules_of(settings_for(course)), mode="sequential", sequential_p0=0.5,
            sequential_p1=0.9, sequential_min_items=5, sequential_max_items=20), None)
        db.session.commit()
        assert sequential_rules(settings_for(course)) == SEQUENTIAL_TEST
        attempt = attempts.start(world.user(world.trainee), course, rng=random.Random(SEED))
        assert Plan.of(attempt.sequential).rules == SEQUENTIAL_TEST


def test_the_start_draws_one_block_with_the_quota_items_and_keeps_the_rules(app, seq_world):
    with app.app_context():
        attempt = attempts.start(seq_world.user(seq_world.trainee), seq_world.course(),
                                 rng=random.Random(3))
        keys = drawn_keys(attempt)
        assert len(keys) == BLOCK_SIZE
        assert "towel-critical" in keys and sum(k.startswith("hat") for k in keys) >= 2
        assert Plan.of(attempt.sequential) == Plan(SEQUENTIAL_TEST, {"towels": 1, "hats": 2})
        assert attempt.decision_items is None


def test_strong_answers_pass_early_through_the_fixed_exams_grading(app, seq_world):
    with app.app_context():
        attempt = run(seq_world, lambda position, key: True)
        assert not attempt.is_open and attempt.passed is True
        assert attempt.decision_items == 6 < SEQUENTIAL_TEST.max_items
        assert len(attempt.responses) == 10  # two blocks drawn; items 7-10 did not count
        assert attempt.score == 1.0 and attempt.decision_llr > 2.9
        assert qualifications.status_of(seq_world.trainee.id, seq_world.course_id) == (
            QualificationStatus.QUALIFIED)
        [submitted] = events_of(app, "exam_submitted")
        assert submitted["decision_items"] == 6 and submitted["passed"] is True
        assert sequential_exams.ending(attempt, attempts.graded_items(attempt)) == (
            "The exam ended after 6 items: the result was certain. The answers to the 4 "
            "items after it were kept but did not count.")


def test_weak_answers_fail_at_the_first_block(app, seq_world):
    with app.app_context():
        attempt = run(seq_world, lambda position, key: key == "towel-critical")
        assert (attempt.passed, attempt.decision_items, len(attempt.responses)) == (
            False, 5, 5)
        assert attempt.score == 0.2
        assert qualifications.status_of(seq_world.trainee.id, seq_world.course_id) == (
            QualificationStatus.IN_TRAINING)  # attempts left


def test_a_critical_miss_fails_at_once(app, seq_world):
    with app.app_context():
        attempt = run(seq_world, lambda position, key: key != "towel-critical")
        position = drawn_keys(attempt).index("towel-critical") + 1
        assert (attempt.passed, attempt.decision_items) == (False, position)
        assert attempt.critical_missed == ["towel-critical"]
        assert "a critical item was not answered right" in sequential_exams.ending(
            attempt, attempts.graded_items(attempt))
        # Its trainee is told how many items they saw, not which one ended it nor why.
        assert sequential_exams.trainee_ending(attempt, len(attempt.responses)) == (
            f"The exam ended after {len(attempt.responses)} items: it stops as soon as its "
            f"result is certain, and after {SEQUENTIAL_TEST.max_items} items at the most.")


def test_at_the_most_items_the_truncated_decision_applies(app, seq_world):
    with app.app_context():
        # Wrong at every fourth item (never the critical one): 15 of 20, never certain.
        attempt = run(seq_world, lambda position, key: key == "towel-critical"
                      or position % 4 != 0)
        assert drawn_keys(attempt)[0] == "towel-critical"
        assert len(attempt.responses) == SEQUENTIAL_TEST.max_items == attempt.decision_items
        assert attempt.passed is True and attempt.score == 0.75
        assert "at its most items, 20 items: the result was decided by the cut score" in (
            sequential_exams.ending(attempt, attempts.graded_items(attempt)))


def test_at_the_deadline_an_undecided_attempt_is_decided_by_the_cut_score(app, seq_world):
    with app.app_context():
        start = utcnow() - timedelta(minutes=20)
        attempt = run(seq_world, lambda position, key: key == "towel-critical"
                      or position not in (2, 7), blocks=1, now=start)
        assert attempt.is_open and len(attempt.responses) == 10
        answer_block(attempt, right=lambda position, key: position != 7, now=start)
        db.session.commit()
        closed = attempts.close_if_expired(attempt)  # the sweep, 20 minutes on (limit 10)
        db.session.commit()
        assert (closed.closed_by, closed.decision_items) == ("deadline", 10)
        assert closed.passed is True and closed.score == 0.8  # cut 0.73 on 8 of 10
        assert sequential_exams.ending(closed, attempts.graded_items(closed)).startswith(
            "Time ran out after 10 items, before the result was certain")
        assert sequential_exams.trainee_ending(closed, 10) == (
            "Time ran out after 10 items: the result was decided on the answers saved by "
            "then, an unanswered item counting as wrong.")


def test_a_next_items_post_after_the_deadline_closes_the_attempt(app, seq_world):
    with app.app_context():
        start = utcnow() - timedelta(minutes=20)
        attempt = attempts.start(seq_world.user(seq_world.trainee), seq_world.course(),
                                 now=start)
        answer_block(attempt, right=lambda position, key: True, now=start)
        attempt = sequential_exams.advance(attempt)
        assert attempt.closed_by == "deadline" and len(attempt.responses) == BLOCK_SIZE
        assert attempt.passed is True  # 5 of 5 at the minimum: the cut score passes it


def test_a_regrade_re_runs_the_decision_on_the_same_answers_in_order(app, seq_world):
    with app.app_context():
        # Wrong at items 2 and 3, then right: the test passes at item 13 (11 of 13 right).
        attempt = run(seq_world, lambda position, key: key == "towel-critical"
                      or position not in (2, 3))
        before = (attempt.passed, attempt.decision_items, attempt.decision_llr, attempt.score)
        assert before[:2] == (True, 13)
        attempts.grade(attempt)
        assert (attempt.passed, attempt.decision_items, attempt.decision_llr,
                attempt.score) == before
        # Item 2's wrong answer becomes right: the test now decides at item 9 (8 of 9).
        second = db.session.get(Item, attempt.responses[1].item_id)
        item_bank.add_alternative(second, attempt.responses[1].answer,
                                  seq_world.user(seq_world.instructor), "Both are right.")
        db.session.commit()
        attempt = db.session.get(Attempt, attempt.id)
        assert (attempt.passed, attempt.decision_items) == (True, 9)
        assert attempt.regraded_at is not None


def test_a_second_post_for_the_same_block_draws_nothing(app, seq_world):
    with app.app_context():
        attempt = attempts.start(seq_world.user(seq_world.trainee), seq_world.course(),
                                 rng=random.Random(SEED))
        answer_block(attempt, right=lambda position, key: key == "towel-critical"
                     or position != 2)
        sequential_exams.advance(attempt, shown=5)
        sequential_exams.advance(attempt, shown=5)  # the same page posted again
        db.session.commit()
        count = db.session.scalar(select(func.count()).select_from(Response)
                                  .where(Response.attempt_id == attempt.id))
        assert count == 10


def test_answers_to_a_block_decided_on_can_no_longer_change(app, seq_world):
    with app.app_context():
        attempt = attempts.start(seq_world.user(seq_world.trainee), seq_world.course(),
                                 rng=random.Random(SEED))
        answer_block(attempt, right=lambda position, key: key == "towel-critical"
                     or position != 2)
        sequential_exams.advance(attempt)
        with pytest.raises(attempts.ItemLocked):
            attempts.save_answer(attempt, 2, "yes", 99)
        attempts.save_answer(attempt, 6, "yes", 99)


def _shuffle_setting(course, shuffle: bool) -> None:
    save_settings(course, replace(rules_of(settings_for(course)), shuffle=shuffle), None)


@pytest.mark.parametrize("kept", [False, None])
def test_a_running_attempt_keeps_the_shuffle_it_started_with(app, seq_world, kept):
    """The instructor turns shuffling on mid-attempt: the next block is drawn as the start
    said (kept False), or, for a plan kept before the setting was (None), as the course now
    says."""
    with app.app_context():
        course = seq_world.course()
        _shuffle_setting(course, False)
        attempt = attempts.start(seq_world.user(seq_world.trainee), course,
                                 rng=random.Random(SEED))
        assert Plan.of(attempt.sequential).shuffle is False
        if kept is None:
            attempt.sequential = {key: value for key, value in attempt.sequential.items()
                                  if key != "shuffle"}
        _shuffle_setting(course, True)
        db.session.commit()
        first = [response.item_id for response in attempt.responses]
        answer_block(attempt, right=lambda position, key: key == "towel-critical"
                     or position != 2)
        attempt = sequential_exams.advance(attempt, rng=random.Random(SEED))
        second = [response.item_id for response in attempt.responses][BLOCK_SIZE:]

        def drawn(shuffle: bool) -> list[int]:
            return draw_block(exam_pool(course), first, BLOCK_SIZE, Plan.of(
                attempt.sequential).quotas, random.Random(SEED), shuffle=shuffle)

        assert drawn(False) != drawn(True)
        assert second == drawn(kept is None)


KNOWN = ("towel-critical", "hat-0", "hat-1", "shoe-0", "shoe-1", "shoe-2")


def graded_history(world, make_user, answered: dict[str, int]) -> None:
    """Graded qualification attempts of other trainees: item key -> in how many of them it
    was answered (each answered in the first attempts). Written through the models."""
    ids = dict(db.session.execute(select(Item.key, Item.id)
                                  .where(Item.course_id == world.course_id)).all())
    version = manuals.latest_version(world.course())
    for n in range(max(answered.values())):
        keys = [key for key, times in answered.items() if n < times]
        db.session.add(Attempt(
            user_id=make_user().id, course_id=world.course_id, kind=AttemptKind.QUALIFICATION,
            cycle=1, number=1, manual_version_id=version.id, state=AttemptState.GRADED,
            pass_mark=0.75, critical_rule=True, critical_missed=[], score=1.0, passed=True,
            responses=[Response(position=p, item_id=ids[key], answer_seq=1, answer="yes",
                                points=1.0, correct=True)
                       for p, key in enumerate(keys, start=1)]))
    db.session.commit()


def test_blocks_draw_items_of_known_facility_first(app, seq_world, make_user):
    """Items answered in MIN_ANSWERS graded attempts are drawn before the others (shoe-3,
    answered one time fewer, is not known): the first block is one trial item of unknown
    facility and four known ones, the second takes the last two known and fills up with
    the others."""
    with app.app_context():
        graded_history(seq_world, make_user, {**dict.fromkeys(KNOWN, item_stats.MIN_ANSWERS),
                                              "shoe-3": item_stats.MIN_ANSWERS - 1})
        attempt = attempts.start(seq_world.user(seq_world.trainee), seq_world.course(),
                                 rng=random.Random(SEED))
        first = drawn_keys(attempt)
        assert len(first) == BLOCK_SIZE and len(set(first) - set(KNOWN)) == TRIAL_ITEMS
        answer_block(attempt, right=lambda position, key: key == "towel-critical"
                     or position != 2)
        attempt = sequential_exams.advance(attempt, rng=random.Random(SEED))
        second = drawn_keys(attempt)[BLOCK_SIZE:]
        assert attempt.is_open and len(second) == BLOCK_SIZE
        assert set(first + second) > set(KNOWN)
        assert len(set(second) - set(KNOWN)) == BLOCK_SIZE - (len(KNOWN) - 4)


def test_a_pool_too_small_for_the_most_items_refuses_the_start(app, seq_world, monkeypatch):
    with app.app_context():
        longer = replace(SEQUENTIAL_TEST, max_items=60)
        use_sequential(monkeypatch, longer)
        with pytest.raises(attempts.StartRefused, match="pool has 41 active items"):
            attempts.start(seq_world.user(seq_world.trainee), seq_world.course())


def test_parallel_next_items_posts_draw_one_block(racing_app, app, make_user, monkeypatch):
    """THREADS tabs of one session post "Next items" for the first block at once (on
    PostgreSQL): one block is drawn, and every post lands on the attempt's page."""
    use_sequential(monkeypatch)
    world = make_sequential_world(racing_app, make_user)
    with racing_app.app_context():
        attempt = attempts.start(world.user(world.trainee), world.course(),
                                 rng=random.Random(SEED))
        answer_block(attempt, right=lambda position, key: key == "towel-critical"
                     or position != 2)
        db.session.commit()
        attempt_id = attempt.id
    first = signed_in(racing_app, world.trainee)
    token = csrf_token(first, f"/attempts/{attempt_id}")
    clients = [racing_app.test_client() for _ in range(THREADS)]
    for client in clients:
        client.set_cookie("session", first.get_cookie("session").value)
    path = f"/attempts/{attempt_id}/submit"
    results = race([lambda c=c: c.post(path, data={"csrf_token": token, "drawn": "5"})
                    for c in clients])
    assert Counter(results) == {302: THREADS}, results
    with app.app_context():
        positions = db.session.scalars(select(Response.position).where(
            Response.attempt_id == attempt_id).order_by(Response.position)).all()
        assert positions == list(range(1, 11))
        assert db.session.get(Attempt, attempt_id).is_open
