"""Another round: a trainee with no attempts left asks once; an instructor grants or declines."""

from __future__ import annotations

import html
import re

from sqlalchemy import func, select

from bootcamp.extensions import db
from exams.models import RoundRequest
from exams.services import attempts, qualifications, round_requests
from tests.factories import MANAGE_SLUG, post_form, signed_in, take
from tests.helpers import csrf_token

BASE = f"/courses/{MANAGE_SLUG}"
EXAM = f"{BASE}/exam"


def words(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))
                    .split())


def fail(app, setup) -> None:
    with app.app_context():
        take(setup, wrong={"hat-1"})  # one attempt allowed, every item needed: failed


def ask(client, message: str = "I misread the hats rule; I have re-read it."):
    return post_form(client, f"{EXAM}/another-round", {"message": message}, page=EXAM)


def answer(app, staff, action: str, text: str):
    with app.app_context():
        request_id = db.session.scalar(select(RoundRequest.id))
    token = csrf_token(staff, f"{BASE}/settings")  # the session's token, whatever the form
    return staff.post(f"{BASE}/round-requests/{request_id}", data={
        f"r{request_id}-csrf_token": token, f"r{request_id}-action": action,
        f"r{request_id}-answer": text})


def test_a_failed_trainee_asks_once_and_the_instructor_sees_it_waiting(app, setup):
    fail(app, setup)
    trainee = signed_in(app, setup.trainee)
    page = words(trainee.get(EXAM))
    assert "You have used every attempt. You can ask your instructor for another round" in page
    assert "Message to your instructor (optional)" in page
    assert ask(trainee).status_code == 302
    ask(trainee, "Asking again from a second tab.")
    page = words(trainee.get(EXAM))
    assert re.search(r"You asked for another round on \d+ \w+ \d{4} \. Your instructor's "
                     r"answer will show here\.", page), page
    assert "Ask for another round" not in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoundRequest)) == 1

    staff = signed_in(app, setup.instructor)
    assert "1 request for another round to answer" in words(staff.get("/dashboard"))
    queue = words(staff.get(f"{BASE}/round-requests"))
    assert setup.trainee.email in queue and "I misread the hats rule" in queue
    assert "Asking again" not in queue


def test_declining_needs_an_answer_that_the_trainee_then_reads(app, setup):
    fail(app, setup)
    ask(signed_in(app, setup.trainee))
    staff = signed_in(app, setup.instructor)
    refused = answer(app, staff, "decline", "")
    assert refused.status_code == 409 and "Say why, when you decline" in words(refused)
    assert answer(app, staff, "decline", "Practise the hats module first.").status_code == 302
    assert "No trainee is waiting" in words(staff.get(f"{BASE}/round-requests"))
    assert answer(app, staff, "grant", "").status_code == 409  # answered once, only once
    page = words(signed_in(app, setup.trainee).get(EXAM))
    assert ("your instructor did not give one. Their answer: “Practise the hats module "
            "first.”") in page
    assert "Ask for another round" not in page  # one request per round of attempts


def test_granting_starts_a_new_round_of_attempts(app, setup):
    fail(app, setup)
    trainee = signed_in(app, setup.trainee)
    ask(trainee)
    assert answer(app, signed_in(app, setup.instructor), "grant", "").status_code == 302
    page = words(trainee.get(EXAM))
    assert "Your instructor gave you another round of exam attempts." in page
    assert "Start the exam" in page and "Attempts left 1 of 1" in page
    with app.app_context():
        record = qualifications.qualification_of(setup.trainee.id, setup.course_id)
        assert record.status == qualifications.Status.IN_TRAINING and record.cycle == 2
        assert attempts.standing(setup.user(setup.trainee), setup.course()).can_start


def test_only_a_trainee_with_no_attempts_left_can_ask(app, setup):
    trainee = signed_in(app, setup.trainee)
    assert "Ask for another round" not in words(trainee.get(EXAM))
    ask(trainee)
    assert "Only a trainee who has used every attempt can ask" in words(trainee.get(EXAM))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(RoundRequest)) == 0
        try:
            round_requests.ask(setup.user(setup.trainee), setup.course(), "x" * 1001)
        except round_requests.RoundRequestRefused as refused:
            assert "under 1000 characters" in str(refused)
        else:
            raise AssertionError("a 1001-character message was accepted")
