"""The drawn kinds (tracks, cuboids) in a sequential exam through the test client: blocks of
tracks, cuboids and choice items answered through the autosave and the "Next items" form,
graded and decided by the test, a decided block refusing a new track, the critical rule on a
tracks item, and a trainee's pages with no gold, no score and nothing that tells where the
test decided (tests.exams.test_sequential_views' rules)."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from courses.models import Item
from exams.models import Attempt, Dispute
from tests.exams.test_exam_new_kinds import AWAY_CUBOID, AWAY_TRACK, drawn_gold_leaks, text
from tests.factories import (
    CUBOIDS_GOLD,
    KINDS_SEQUENTIAL_SLUG,
    KINDS_SEQUENTIAL_TEST,
    TRACKS_GOLD,
    ExamWorld,
    Taker,
    grades_of,
    make_kinds_sequential_world,
    post_form,
    signed_in,
    use_sequential,
)

SLUG = KINDS_SEQUENTIAL_SLUG
RIGHT = {"tracks": TRACKS_GOLD, "cuboids": CUBOIDS_GOLD, "choice": "yes"}
WRONG = {"tracks": AWAY_TRACK, "cuboids": AWAY_CUBOID, "choice": "no"}
# What a trainee's page of a sequential attempt must never say (test_sequential_views).
FORBIDDEN = re.compile(r"\b6 items|decided after|did not count|\d+%")


@pytest.fixture
def seq_world(app, make_user, monkeypatch) -> tuple[Taker, ExamWorld]:
    use_sequential(monkeypatch, KINDS_SEQUENTIAL_TEST)
    world = make_kinds_sequential_world(app, make_user)
    return Taker(signed_in(app, world.trainee), []), world


def words(body: str) -> str:
    """A kept body as text, tags dropped."""
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


def drawn(app, attempt_id: int) -> dict[int, tuple[str, str]]:
    """Position -> (item key, kind) of the items drawn so far."""
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        items = [(r.position, db.session.get(Item, r.item_id)) for r in attempt.responses]
        return {position: (item.key, item.kind) for position, item in items}


def block_shown(taker: Taker, attempt_id: int) -> list[int]:
    """The positions the take page shows (the block being answered)."""
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    return [int(n) for n in re.findall(r'data-position="(\d+)"', page)]


def answer(kind: str, right: bool):
    return (RIGHT if right else WRONG)[kind]


def save_block(taker: Taker, attempt_id: int, token: str, shown: list[int],
               items: dict[int, tuple[str, str]], right) -> None:
    """Autosave each shown item's answer: right(key) says whether it is the gold."""
    for position in shown:
        key, kind = items[position]
        saved = taker.save(attempt_id, position, answer(kind, right(key)), 1, token)
        assert saved.status_code == 200, saved.get_json()


def test_right_drawn_answers_pass_in_the_second_block_and_a_decided_track_is_locked(
        app, seq_world):
    taker, world = seq_world
    attempt_id = taker.start(SLUG)
    token = taker.token(f"/attempts/{attempt_id}")
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    items = drawn(app, attempt_id)
    assert block_shown(taker, attempt_id) == [1, 2, 3, 4, 5] and len(items) == 5
    kinds = [kind for _, kind in items.values()]
    assert "tracks" in kinds and "cuboids" in kinds  # the quotas: street scenes and lidar
    assert 'data-kind="tracks"' in page and 'data-kind="cuboids"' in page
    assert f'data-media="/attempts/{attempt_id}/media/clip-02.png"' in page
    assert taker.get(f"/attempts/{attempt_id}/media/lidar-02.pcd?packed").status_code == 200
    save_block(taker, attempt_id, token, [1, 2, 3, 4, 5], items, lambda key: True)
    # Five right: not yet certain (p0 0.5, p1 0.9), so "Next items" draws a second block.
    moved = taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token, "drawn": "5"})
    assert moved.headers["Location"] == f"/attempts/{attempt_id}"
    assert "Items handed in: 5" in text(taker.get(f"/attempts/{attempt_id}"))
    assert block_shown(taker, attempt_id) == [6, 7, 8, 9, 10]

    # The first block is decided on: its tracks item takes no new answer, by autosave or form.
    track = next(n for n, (key, _) in items.items() if key == "t-critical")
    refused = taker.save(attempt_id, track, AWAY_TRACK, 5, token)
    assert refused.status_code == 403 and refused.mimetype == "application/problem+json"
    assert refused.get_json()["title"] == "Item decided on"
    assert "graded already" in refused.get_json()["detail"]

    # The second block answered right through the form "Next items" posts (no JavaScript).
    items = drawn(app, attempt_id)
    form = {f"answer-{n}": (json.dumps(answer(kind, True)) if kind != "choice" else "yes")
            for n, (_, kind) in items.items() if n > 5}
    ended = taker.post(f"/attempts/{attempt_id}/submit", {
        "csrf_token": token, "drawn": "10", **form, f"answer-{track}": json.dumps(AWAY_TRACK)})
    assert ended.headers["Location"] == f"/attempts/{attempt_id}/result"
    grades = grades_of(app, attempt_id)
    assert grades == {key: (1.0, True) for key, _ in items.values()}  # the old track kept
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.passed, attempt.decision_items, attempt.score) == (True, 6, 1.0)

    result = text(taker.get(f"/attempts/{attempt_id}/result"))
    assert "Result Passed" in result and "Nothing: you passed." in result
    assert ("The exam ended after 10 items: it stops as soon as its result is certain, and "
            "after 10 items at the most.") in result
    assert "Your answer: 1 track drawn (1 car)" in result
    assert "Your answer: 1 cuboid drawn (1 car)" in result
    assert "Score" not in result
    taker.get(f"/courses/{SLUG}/exam")
    taker.get(f"/courses/{SLUG}")
    for label, body in taker.bodies[-3:]:
        assert not FORBIDDEN.search(words(body)), label
    assert "not shown" in words(taker.bodies[-2][1])  # the attempts' score column
    for label, body in taker.bodies:
        if not label.endswith((".png", "?packed")):
            assert drawn_gold_leaks(body) == [], label

    staff = text(signed_in(app, world.instructor).get(f"/attempts/{attempt_id}/result"))
    assert "The exam ended after 6 items: the result was certain." in staff
    assert "The answers to the 4 items after it were kept but did not count." in staff


def test_wrong_drawn_answers_fail_at_the_first_block(app, seq_world):
    """Wrong tracks, cuboids and choice answers (the critical track right): the test is
    certain at item 5; the closed attempt takes no answer and serves no media."""
    taker, world = seq_world
    attempt_id = taker.start(SLUG)
    token = taker.token(f"/attempts/{attempt_id}")
    items = drawn(app, attempt_id)
    save_block(taker, attempt_id, token, block_shown(taker, attempt_id), items,
               lambda key: key == "t-critical")
    ended = taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token, "drawn": "5"})
    assert ended.headers["Location"] == f"/attempts/{attempt_id}/result"
    grades = grades_of(app, attempt_id)
    assert grades.pop("t-critical") == (1.0, True)
    assert grades and all(not correct for _, correct in grades.values())
    assert all(points == 0.0 for key, (points, _) in grades.items() if key[0] in "qc")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.passed, attempt.decision_items) == (False, 5)

    result = text(taker.get(f"/attempts/{attempt_id}/result"))
    assert "Not passed" in result and "The exam ended after 5 items" in result
    assert not FORBIDDEN.search(result) and "Score" not in result
    track = next(n for n, (key, _) in items.items() if key == "t-critical")
    closed = taker.save(attempt_id, track, AWAY_TRACK, 9, token)
    assert closed.status_code == 409 and closed.get_json()["title"] == "Attempt closed"
    assert taker.get(f"/attempts/{attempt_id}/media/clip-02.png").status_code == 404
    for label, body in taker.bodies:
        if not label.endswith((".png", "?packed")):
            assert drawn_gold_leaks(body) == [], label
    staff = text(signed_in(app, world.instructor).get(f"/attempts/{attempt_id}/result"))
    assert "The exam ended after 5 items: the result was certain." in staff


def miss_the_critical_track(app, taker: Taker) -> tuple[int, int]:
    """Answer the first block right but for the critical track and post it: (the attempt,
    the track's position). The attempt fails there."""
    attempt_id = taker.start(SLUG)
    token = taker.token(f"/attempts/{attempt_id}")
    items = drawn(app, attempt_id)
    save_block(taker, attempt_id, token, block_shown(taker, attempt_id), items,
               lambda key: key != "t-critical")
    ended = taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token, "drawn": "5"})
    assert ended.headers["Location"] == f"/attempts/{attempt_id}/result"
    return attempt_id, next(n for n, (key, _) in items.items() if key == "t-critical")


def test_a_critical_track_answered_wrong_fails_whatever_the_other_answers(app, seq_world):
    taker, world = seq_world
    attempt_id, _ = miss_the_critical_track(app, taker)
    grades = grades_of(app, attempt_id)
    points, correct = grades.pop("t-critical")
    assert points < 0.5 and not correct
    assert all(grade == (1.0, True) for grade in grades.values())
    with app.app_context():
        assert db.session.get(Attempt, attempt_id).passed is False
    result = text(taker.get(f"/attempts/{attempt_id}/result"))
    assert "Not passed" in result and "The exam ended after 5 items" in result
    assert "critical" not in result.split("Your answers")[0]  # the rules say it; not which
    assert not FORBIDDEN.search(result)
    staff = text(signed_in(app, world.instructor).get(f"/attempts/{attempt_id}/result"))
    assert "a critical item was not answered right, which fails the exam." in staff


def test_a_tracks_dispute_that_regrades_a_sequential_attempt_tells_no_score(app, seq_world):
    """The critical track's gold corrected to the trainee's answer: the regrade re-runs the
    test on the same answers (five right, undecided at five: the cut score passes), and the
    notice that tells the trainee says passed, never the score the result page keeps to
    itself."""
    taker, world = seq_world
    attempt_id, track = miss_the_critical_track(app, taker)
    sent = taker.post(f"/attempts/{attempt_id}/items/{track}/dispute",
                      {"csrf_token": taker.token(f"/attempts/{attempt_id}/result"),
                       "comment": "I followed the car the prompt means."})
    assert sent.status_code == 302
    with app.app_context():
        dispute_id = db.session.scalar(select(Dispute.id))
    staff = signed_in(app, world.instructor)
    page = f"/courses/{SLUG}/disputes/{dispute_id}"
    resolved = post_form(staff, f"{page}/resolve",
                         {"action": "accept_correct", "reply": "Right: that car."}, page=page)
    assert resolved.status_code == 302
    assert grades_of(app, attempt_id)["t-critical"] == (1.0, True)
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert (attempt.passed, attempt.decision_items) == (True, 5)

    overview = text(taker.get(f"/courses/{SLUG}/exam"))
    assert ("An item of your attempt 1 was regraded (dispute #1 accepted): the attempt has "
            "now passed.") in overview
    for body in (overview, text(taker.get(f"/attempts/{attempt_id}/result"))):
        assert not FORBIDDEN.search(body), FORBIDDEN.search(body)
    # Staff are told why the test stopped undecided: the regrade, not a pool run dry.
    review = text(staff.get(f"/attempts/{attempt_id}/result"))
    assert "Regraded, the answers stopped being decisive after 5 items" in review
    assert "ran out of items" not in review
    for label, body in taker.bodies:
        if not label.endswith((".png", "?packed")):
            assert drawn_gold_leaks(body) == [], label
