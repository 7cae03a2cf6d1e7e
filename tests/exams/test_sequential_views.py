"""A sequential exam's pages through the test client: one block at a time with "Items
answered" and never a score, "Next items", answers of a block decided on refused, the
result's sentence, and no gold on any page (the taking course run as a sequential exam)."""

from __future__ import annotations

import html
import re

import pytest

from bootcamp.extensions import db
from courses.models import Item
from exams.models import Attempt
from exams.sequential import SequentialRules
from tests.exams.test_views_taking import WRONG_BOX, WRONG_SPAN
from tests.factories import (
    TAKING_SLUG,
    Taker,
    gold_leaks,
    make_sequential_world,
    positions,
    signed_in,
    use_sequential,
)

SLUG = "sequential-course"
WRONG = {"c-critical": "zebra-wrong-opt", "l-critical": ["armour"], "b-street": WRONG_BOX,
         "s-call": WRONG_SPAN, "c-street": "walking-rider-cyclist", "c-plain": "heron-opt"}


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ",
                                                     response.get_data(as_text=True))))


@pytest.fixture
def seq_taker(app, make_user, monkeypatch) -> tuple[Taker, object]:
    use_sequential(monkeypatch)
    world = make_sequential_world(app, make_user)
    return Taker(signed_in(app, world.trainee), []), world


def golds(app, attempt_id: int) -> dict[int, str]:
    """Position -> the gold of its item, for answering."""
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return {r.position: db.session.get(Item, r.item_id).gold for r in attempt.responses}


def answer_shown(taker: Taker, app, attempt_id: int, token: str, *, right: bool) -> list[int]:
    """Answer the items the take page shows (the gold, or the other option)."""
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    shown = [int(n) for n in re.findall(r'data-position="(\d+)"', page)]
    gold = golds(app, attempt_id)
    for position in shown:
        answer = gold[position] if right else ("no" if gold[position] == "yes" else "yes")
        assert taker.save(attempt_id, position, answer, 1, token).status_code == 200
    return shown


def test_the_page_shows_one_block_and_items_answered_never_a_score(app, seq_taker):
    taker, _ = seq_taker
    attempt_id = taker.start(SLUG)
    page = taker.get(f"/attempts/{attempt_id}")
    body = text(page)
    assert "Items handed in: 0" in body
    assert "The exam ends as soon as the result is certain." in body
    assert "Next items" in body and "Submit the exam" not in body
    assert re.findall(r'data-position="(\d+)"', page.get_data(as_text=True)) == [
        "1", "2", "3", "4", "5"]
    assert "Item 1 " in body and "of 5" not in body and "%" not in body
    token = taker.token(f"/attempts/{attempt_id}")
    # Right, wrong, right, right, right: no decision at 5 (p 0.5 / 0.9), a second block.
    gold = golds(app, attempt_id)
    towel = positions(app, attempt_id)["towel-critical"]
    wrong = 1 if towel != 1 else 2  # never the critical item: that would end the exam
    for position in range(1, 6):
        other = "no" if gold[position] == "yes" else "yes"
        taker.save(attempt_id, position, other if position == wrong else gold[position], 1,
                   token)
    response = taker.post(f"/attempts/{attempt_id}/submit",
                          {"csrf_token": token, "drawn": "5"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/attempts/{attempt_id}"
    page = taker.get(f"/attempts/{attempt_id}")
    body = text(page)
    assert "Items handed in: 5" in body
    assert re.findall(r'data-position="(\d+)"', page.get_data(as_text=True)) == [
        "6", "7", "8", "9", "10"]
    assert 'name="drawn" value="10"' in page.get_data(as_text=True)
    # An item of the first block can no longer change; one of the second can.
    locked = taker.save(attempt_id, wrong, gold[wrong], 5, token)
    assert locked.status_code == 403 and "graded already" in locked.get_json()["detail"]
    assert taker.save(attempt_id, 6, "yes", 5, token).status_code == 200
    # The page of the first block posted again (another tab) draws nothing.
    again = taker.post(f"/attempts/{attempt_id}/submit",
                       {"csrf_token": token, "drawn": "5", f"answer-{wrong}": gold[wrong]})
    assert again.headers["Location"] == f"/attempts/{attempt_id}"
    assert len(golds(app, attempt_id)) == 10


def test_the_trainee_never_sees_where_the_test_decided_and_staff_do(app, seq_taker):
    """Strong answers decide at item 6, in the second block: the trainee's result, exam page
    and qualification history say how many items they were shown and whether they passed,
    never the deciding item, a score or which answers counted (that would tell item 6 was
    right); staff see all of it."""
    taker, world = seq_taker
    attempt_id = taker.start(SLUG)
    token = taker.token(f"/attempts/{attempt_id}")
    for drawn in (5, 10):
        answer_shown(taker, app, attempt_id, token, right=True)
        response = taker.post(f"/attempts/{attempt_id}/submit",
                              {"csrf_token": token, "drawn": str(drawn)})
    assert response.headers["Location"] == f"/attempts/{attempt_id}/result"
    body = text(taker.get(f"/attempts/{attempt_id}/result"))
    assert ("The exam ended after 10 items: it stops as soon as its result is certain, and "
            "after 20 items at the most.") in body
    assert "Result Passed" in body and "Nothing: you passed." in body
    shown_to_trainee = [body, text(taker.get(f"/courses/{SLUG}/exam")),
                        text(taker.get(f"/courses/{SLUG}"))]
    for page in shown_to_trainee:
        assert not re.search(r"\b6 items|decided after|did not count|\d+%", page), page
    assert "not shown" in shown_to_trainee[1]
    # The page of an ended attempt goes to its result.
    assert taker.get(f"/attempts/{attempt_id}").headers["Location"].endswith("/result")
    staff = signed_in(app, world.instructor)
    staff_result = text(staff.get(f"/attempts/{attempt_id}/result"))
    assert "The exam ended after 6 items: the result was certain." in staff_result
    assert "The answers to the 4 items after it were kept but did not count." in staff_result
    assert "Items that decided 6" in staff_result
    assert staff_result.count("Did not count: the exam had ended before this item.") == 4
    history = text(staff.get(f"/courses/{SLUG}/qualifications/{world.trainee.id}"))
    assert "decided after 6 items, log-likelihood ratio 3.53" in history
    assert "Passed the exam (attempt 1)." in history and "with 100%" not in history


def test_weak_answers_fail_at_the_first_block(app, seq_taker):
    taker, _ = seq_taker
    attempt_id = taker.start(SLUG)
    token = taker.token(f"/attempts/{attempt_id}")
    answer_shown(taker, app, attempt_id, token, right=False)
    response = taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token, "drawn": "5"})
    assert response.headers["Location"] == f"/attempts/{attempt_id}/result"
    body = text(taker.get(f"/attempts/{attempt_id}/result"))
    # Every answer wrong, the critical towel item's too: it ends the exam where it stands.
    assert "Not passed" in body and "The exam ended after 5 items" in body
    assert "critical" not in body.split("Your answers")[0]  # the rules say it; not which


def test_no_gold_reaches_the_trainee_of_a_sequential_exam(app, taker, monkeypatch):
    """The taking course's six items (every kind, critical ones) as a sequential exam."""
    # Levels at which five wrong answers decide nothing, and no critical rule, so that the
    # wrong answers (which the result echoes; a right one would be gold) reach block two.
    use_sequential(monkeypatch, SequentialRules(p0=0.05, p1=0.2, min_items=5, max_items=6))
    taker.get(f"/courses/{TAKING_SLUG}/exam")
    attempt_id = taker.start()
    with app.app_context():
        db.session.get(Attempt, attempt_id).critical_rule = False
        db.session.commit()
    take_path = f"/attempts/{attempt_id}"
    token = taker.token(take_path)
    taker.get(take_path)
    where = positions(app, attempt_id)
    for key, answer in WRONG.items():
        if key in where:
            taker.save(attempt_id, where[key], answer, 1, token)
    taker.post(f"{take_path}/submit", {"csrf_token": token, "drawn": "5"},
               follow_redirects=True)
    taker.post(f"{take_path}/submit", {"csrf_token": token, "drawn": "6"},
               follow_redirects=True)
    taker.get(f"{take_path}/result")
    taker.get(f"/courses/{TAKING_SLUG}/exam")
    assert any("Items handed in: 5" in body for _, body in taker.bodies)
    assert any("The exam ended after 6 items: it stops as soon as its result is certain, and "
               "after 6 items at the most." in body for _, body in taker.bodies)
    for label, body in taker.bodies:
        # "Next items" lands on the next block's page: it shows its options too.
        assert gold_leaks(body, options_shown="exam-form" in body) == [], label


def test_the_exam_page_gives_the_sequential_rules(app, seq_taker):
    taker, _ = seq_taker
    body = text(taker.get(f"/courses/{SLUG}/exam"))
    assert ("Items 5 to 20, 5 at a time: the exam ends as soon as the result is certain"
            in body)
    assert "Pass mark" not in body
    home = text(taker.get(f"/courses/{SLUG}"))
    assert "Items 5 to 20: it ends as soon as the result is certain" in home
    assert "Pass mark" not in home
    for page in (body, home):  # a sequential exam has no score to speak of
        assert "fails the exam, whatever the other answers" in page
        assert "whatever the score" not in page


def test_a_score_of_fewer_than_three_decided_items_is_never_shown(app, seq_taker):
    """A critical miss at item 1 or 2 decides on fewer than 3 items: a score would tell."""
    taker, _ = seq_taker
    attempt_id = taker.start(SLUG)
    token = taker.token(f"/attempts/{attempt_id}")
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        keys = [db.session.get(Item, r.item_id).key for r in attempt.responses]
        towel = keys.index("towel-critical") + 1
        # The towel item first: the only miss, at item 1.
        first = attempt.responses[0]
        first.item_id, attempt.responses[towel - 1].item_id = (
            attempt.responses[towel - 1].item_id, first.item_id)
        db.session.commit()
    gold = golds(app, attempt_id)
    for position in range(1, 6):
        taker.save(attempt_id, position, "yes" if position == 1 else gold[position], 1, token)
    taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token, "drawn": "5"})
    result = text(taker.get(f"/attempts/{attempt_id}/result"))
    assert "The exam ended after 5 items" in result and "critical item" not in result
    assert "Score" not in result and "%" not in result
    overview = text(taker.get(f"/courses/{SLUG}/exam"))
    assert "Attempt 1" in overview and "not shown" in overview
