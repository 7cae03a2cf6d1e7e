"""The trainee's exam pages through the test client: rules, start and resume, autosave, submit,
the deadline, the result with its per-section breakdown, disputes, and no gold ever sent."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role
from courses.models import Course
from exams.models import Attempt, AttemptState, Dispute
from tests.factories import (
    CHOICE_GOLD,
    LABELS_GOLD,
    STREET_GOLD,
    TAKING_BOXES_SPEC,
    TAKING_RULES,
    TAKING_SLUG,
    TAKING_SPAN_TEXT,
    Taker,
    attempt_row,
    events_of,
    gold_leaks,
    make_exam_course,
    positions,
    signed_in,
    stored_answers,
)

EXAM = f"/courses/{TAKING_SLUG}/exam"
WRONG_BOX = [{"label": "car", "x": 5, "y": 5, "w": 20, "h": 20}]
WRONG_SPAN = [{"start": 0, "end": 12, "label": "object"}]


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ",
                                                     response.get_data(as_text=True))))


def take_token(taker: Taker, attempt_id: int) -> str:
    return taker.token(f"/attempts/{attempt_id}")


def move_deadline(app, attempt_id: int, seconds_from_now: float) -> None:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline = utcnow() + timedelta(seconds=seconds_from_now)
        db.session.commit()


# --- The exam page. ---------------------------------------------------------------------------

def test_the_exam_page_shows_the_rules_and_starts_then_resumes(app, taker):
    page = taker.get(EXAM)
    assert page.status_code == 200
    body = text(page)
    for fact in ("Items 6", "Pass mark 50% of the points", "Time limit 30 minutes",
                 "Attempts allowed 2", "Wait before a retry 1 hour",
                 "Qualification valid for 365 days",
                 "Any critical item answered wrong fails the exam", "Attempts left 2 of 2",
                 "Status Not started"):
        assert fact in body, fact
    assert ">Start the exam</button>" in page.get_data(as_text=True)

    attempt_id = taker.start()
    again = taker.get(EXAM).get_data(as_text=True)
    assert "Resume your attempt" in again and f'href="/attempts/{attempt_id}"' in again
    assert taker.start() == attempt_id  # starting again resumes the open attempt
    with app.app_context():
        assert db.session.query(Attempt).count() == 1


def test_a_trainee_who_is_not_enrolled_is_sent_to_enrol(app, exam_course, make_user):
    client = signed_in(app, make_user(Role.TRAINEE))
    response = client.get(EXAM)
    assert response.status_code == 302 and response.headers["Location"] == f"/courses/{TAKING_SLUG}"
    assert "Enrol in this course to take its exam." in text(client.get(f"/courses/{TAKING_SLUG}"))


def test_staff_see_the_rules_but_cannot_start(app, exam_course, exam_staff):
    client = signed_in(app, exam_staff)
    page = client.get(EXAM)
    assert page.status_code == 200
    body = text(page)
    assert "Pass mark 50%" in body and "only enrolled trainees can take the exam" in body
    assert "Start the exam" not in body
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      page.get_data(as_text=True)).group(1)
    response = client.post(f"{EXAM}/start", data={"csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"] == EXAM
    with app.app_context():
        assert db.session.query(Attempt).count() == 0


def test_a_refused_start_is_explained(app, make_user, exam_staff):
    trainee = make_user(Role.TRAINEE)
    from dataclasses import replace

    make_exam_course(app, exam_staff, (trainee,), slug="too-few",
                     rules=replace(TAKING_RULES, item_count=40))
    taker = Taker(signed_in(app, trainee), [])
    token = taker.token("/courses/too-few/exam")
    response = taker.post("/courses/too-few/exam/start", {"csrf_token": token})
    assert response.headers["Location"] == "/courses/too-few/exam"
    assert "The exam is not ready yet" in text(taker.get("/courses/too-few/exam"))


def test_the_course_home_shows_the_exam_rules_and_the_status(app, taker):
    body = text(taker.get(f"/courses/{TAKING_SLUG}"))
    assert "3. Qualification exam" in body
    assert "Items 6" in body and "Pass mark 50%" in body and "Time limit 30 minutes" in body
    assert "Valid for 365 days" in body and "Your qualification: Not started" in body
    assert f'href="{EXAM}"' in taker.get(f"/courses/{TAKING_SLUG}").get_data(as_text=True)


# --- Taking it. -------------------------------------------------------------------------------

def test_the_take_page_shows_every_item_with_its_widget_status_and_timer(app, taker):
    attempt_id = taker.start()
    where = positions(app, attempt_id)
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('<section class="card exam-item"') == 6
    for n in range(1, 7):
        assert f">Item {n} of 6</h2>" in page
        assert f'id="answer-{n}-status">Not answered</p>' in page
    assert 'role="timer"' in page and 'aria-live="off"' in page and "data-deadline=" in page
    assert re.search(r'data-now="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"', page)
    choice = where["c-critical"]
    assert f'type="radio" name="answer-{choice}" id="answer-{choice}-1"' in page
    assert f'<label for="answer-{choice}-2">' in page
    labels = where["l-critical"]
    assert page.count(f'type="checkbox" name="answer-{labels}"') == 4
    assert f'aria-describedby="answer-{labels}-hint"' in page
    boxes = where["b-street"]
    assert f'data-answer-field="answer-{boxes}-json"' in page
    assert f'<input type="hidden" name="answer-{boxes}" id="answer-{boxes}-json"' in page
    assert f'src="/attempts/{attempt_id}/media/shirt.png"' in page
    assert f'data-media="/attempts/{attempt_id}/media/street.png"' in page
    assert f'action="/attempts/{attempt_id}/submit"' in page
    assert ">Submit the exam</button>" in page
    assert "js/exam." in page and "js/widgets/index." in page  # content-hashed names


def test_autosave_is_idempotent_keeps_the_newest_and_explains_refusals(app, taker):
    attempt_id = taker.start()
    where = positions(app, attempt_id)
    token = take_token(taker, attempt_id)
    choice = where["c-critical"]

    first = taker.save(attempt_id, choice, "zebra-wrong-opt", 100, token)
    assert first.status_code == 200
    body = first.get_json()
    assert body["position"] == choice and body["seq"] == 100
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", body["saved_at"])
    assert taker.save(attempt_id, choice, "zebra-wrong-opt", 100, token).get_json()["seq"] == 100

    stale = taker.save(attempt_id, choice, "quokka-gold-opt", 50, token)
    assert stale.status_code == 200 and stale.get_json()["seq"] == 100
    assert stored_answers(app, attempt_id)[choice] == ("zebra-wrong-opt", 100)
    newer = taker.save(attempt_id, choice, None, 150, token)  # cleared
    assert newer.get_json()["seq"] == 150
    assert stored_answers(app, attempt_id)[choice] == (None, 150)

    malformed = taker.save(attempt_id, choice, "no-such-option", 200, token)
    assert malformed.status_code == 400
    assert malformed.mimetype == "application/problem+json"
    problem = malformed.get_json()
    assert problem["status"] == 400 and problem["title"] == "Answer refused" and problem["detail"]
    boxes = taker.save(attempt_id, where["b-street"], [{"label": "bus"}], 200, token)
    assert boxes.status_code == 400 and "bus" in boxes.get_json()["detail"] or boxes.get_json()

    assert taker.save(attempt_id, 99, "x", 300, token).status_code == 404
    assert taker.save(attempt_id + 1000, 1, "x", 300, token).status_code == 404
    deep = "[" * 5000 + "]" * 5000
    for raw in ("not json", "[]", '{"seq": 5}', '{"answer": 1, "seq": "5"}',
                '{"answer": 1, "seq": -1}', deep, f'{{"answer": {deep}, "seq": 7}}',
                '{"answer": ' + "[" * 900 + "]" * 900 + ', "seq": 7}'):
        refused = taker.save(attempt_id, choice, None, 0, token, raw=raw)
        assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    assert stored_answers(app, attempt_id)[choice] == (None, 150)


def test_autosave_needs_the_csrf_header_and_a_session(app, taker, exam_course):
    attempt_id = taker.start()
    refused = taker.save(attempt_id, 1, "zebra-wrong-opt", 10)  # no X-CSRFToken
    assert refused.status_code == 400 and refused.mimetype == "application/problem+json"
    assert "CSRF" in refused.get_json()["title"]
    forged = taker.save(attempt_id, 1, "zebra-wrong-opt", 10, token="forged")
    assert forged.status_code == 400
    assert stored_answers(app, attempt_id)[1] == (None, 0)
    anonymous = app.test_client().put(f"/attempts/{attempt_id}/answers/1",
                                      json={"answer": None, "seq": 1})
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"


def test_a_reload_shows_every_saved_answer(app, taker):
    attempt_id = taker.start()
    where = positions(app, attempt_id)
    token = take_token(taker, attempt_id)
    box = [{"label": "cyclist", "x": 12, "y": 34, "w": 56, "h": 78}]
    span = [{"start": 0, "end": 12, "label": "object"}]
    saves = {"c-critical": "zebra-wrong-opt", "l-critical": ["armour", "tights"],
             "b-street": box, "s-call": span}
    for key, answer in saves.items():
        assert taker.save(attempt_id, where[key], answer, 7, token).status_code == 200
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    choice, labels = where["c-critical"], where["l-critical"]
    assert f'name="answer-{choice}" id="answer-{choice}-1" value="zebra-wrong-opt" checked' in page
    assert f'id="answer-{labels}-2" value="armour" checked' in page
    assert f'id="answer-{labels}-4" value="tights" checked' in page
    assert f'id="answer-{labels}-1" value="hat">' in page
    value = re.search(rf'id="answer-{where["b-street"]}-json" value=\'([^\']*)\'', page).group(1)
    assert json.loads(html.unescape(value)) == box
    value = re.search(rf'id="answer-{where["s-call"]}-json" value=\'([^\']*)\'', page).group(1)
    assert json.loads(html.unescape(value)) == span
    for key in saves:
        assert f'id="answer-{where[key]}-status">Saved</p>' in page
    assert f'id="answer-{where["c-plain"]}-status">Not answered</p>' in page
    assert 'data-seq="7"' in page


def test_submit_grades_once_even_when_sent_twice(app, taker, exam_trainee):
    attempt_id = taker.start()
    where = positions(app, attempt_id)
    token = take_token(taker, attempt_id)
    taker.save(attempt_id, where["c-critical"], "quokka-gold-opt", 5, token)
    first = taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token})
    assert first.status_code == 302
    assert first.headers["Location"] == f"/attempts/{attempt_id}/result"
    graded = attempt_row(app, attempt_id)
    assert graded.state == AttemptState.GRADED and graded.closed_by == "trainee"
    second = taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token})
    assert second.headers["Location"] == f"/attempts/{attempt_id}/result"
    assert attempt_row(app, attempt_id).submitted_at == graded.submitted_at
    assert len(events_of(app, "exam_submitted", exam_trainee.id)) == 1
    # The take page of a graded attempt leads to its result.
    assert taker.get(f"/attempts/{attempt_id}").headers["Location"].endswith("/result")
    closed = taker.save(attempt_id, where["c-plain"], "heron-opt", 99, token)
    assert closed.status_code == 409 and closed.mimetype == "application/problem+json"


def test_submit_without_javascript_keeps_the_posted_answers(app, taker):
    attempt_id = taker.start()
    where = positions(app, attempt_id)
    token = take_token(taker, attempt_id)
    taker.save(attempt_id, where["c-plain"], "heron-opt", 5, token)
    data = {
        "csrf_token": token,
        f"answer-{where['c-critical']}": "quokka-gold-opt",
        f"answer-{where['l-critical']}": ["hat", "legging"],
        f"answer-{where['b-street']}": json.dumps(WRONG_BOX),
        f"answer-{where['s-call']}": "[]",  # the untouched tool: still unanswered
        f"answer-{where['c-street']}": "not-an-option",  # refused, the rest is kept
    }
    response = taker.post(f"/attempts/{attempt_id}/submit", data)
    assert response.status_code == 302
    stored = stored_answers(app, attempt_id)
    assert stored[where["c-critical"]][0] == "quokka-gold-opt"
    assert stored[where["l-critical"]][0] == ["hat", "legging"]
    assert stored[where["b-street"]][0] == WRONG_BOX
    assert stored[where["s-call"]][0] is None
    assert stored[where["c-street"]][0] is None
    assert stored[where["c-plain"]] == ("heron-opt", 5)  # not posted: the saved one stays
    assert attempt_row(app, attempt_id).state == AttemptState.GRADED
    assert "1 answer could not be read" in text(taker.get(response.headers["Location"]))


def test_past_the_deadline_the_take_page_grades_and_shows_the_result(app, taker):
    attempt_id = taker.start()
    token = take_token(taker, attempt_id)
    taker.save(attempt_id, positions(app, attempt_id)["c-plain"], "ibis-gold-opt", 3, token)
    move_deadline(app, attempt_id, -1)
    response = taker.get(f"/attempts/{attempt_id}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/attempts/{attempt_id}/result"
    graded = attempt_row(app, attempt_id)
    assert graded.state == AttemptState.GRADED and graded.closed_by == "deadline"
    assert graded.score is not None and graded.score > 0
    assert "(time was up)" in text(taker.get(f"/attempts/{attempt_id}/result"))


def test_a_late_form_post_keeps_only_what_was_saved(app, taker):
    attempt_id = taker.start()
    where = positions(app, attempt_id)
    token = take_token(taker, attempt_id)
    move_deadline(app, attempt_id, -60)
    taker.post(f"/attempts/{attempt_id}/submit",
               {"csrf_token": token, f"answer-{where['c-plain']}": "ibis-gold-opt"})
    assert stored_answers(app, attempt_id)[where["c-plain"]][0] is None
    closed = attempt_row(app, attempt_id)
    assert closed.state == AttemptState.GRADED and closed.closed_by == "deadline"


def test_the_sweep_closes_expired_attempts_on_a_later_request(app, taker, exam_trainee):
    attempt_id = taker.start()
    move_deadline(app, attempt_id, -60)
    app.config["EXAM_SWEEP_SECONDS"] = 0
    assert app.test_client().get("/auth/login").status_code == 200  # anybody's request
    closed = attempt_row(app, attempt_id)
    assert closed.state == AttemptState.GRADED and closed.closed_by == "deadline"
    assert len(events_of(app, "exam_submitted", exam_trainee.id)) == 1


def test_the_sweep_runs_at_most_every_interval(app, taker):
    app.config["EXAM_SWEEP_SECONDS"] = 3600
    taker.get(EXAM)  # the first request of the app sweeps
    attempt_id = taker.start()
    move_deadline(app, attempt_id, -60)
    app.test_client().get("/auth/login")
    assert attempt_row(app, attempt_id).state == AttemptState.OPEN


# --- The result. ------------------------------------------------------------------------------

def answer_and_submit(app, taker: Taker, answers: dict[str, object]) -> int:
    attempt_id = taker.start()
    where = positions(app, attempt_id)
    token = take_token(taker, attempt_id)
    for key, answer in answers.items():
        assert taker.save(attempt_id, where[key], answer, 10, token).status_code == 200
    taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token})
    return attempt_id


def test_the_result_shows_score_critical_misses_and_what_to_reread(app, taker):
    attempt_id = answer_and_submit(app, taker, {
        "c-critical": "zebra-wrong-opt", "l-critical": ["hat", "legging"],
        "b-street": WRONG_BOX, "c-street": "walking-rider-pedestrian",
        "c-plain": "ibis-gold-opt"})
    page = taker.get(f"/attempts/{attempt_id}/result")
    assert page.status_code == 200
    body, raw = text(page), page.get_data(as_text=True)
    assert "Exam result: not passed" in body
    assert "Score 50%" in body and "Result Not passed" in body
    # The score reached the pass mark: "not passed" says a critical miss failed it, so the
    # result may say so, but not how many or which (tests/exams/test_result_disclosure.py).
    assert "A critical item was answered wrong" in body
    assert "Critical items missed" not in body
    # Sections in groups of at least 3 items, named without counts (the default detail):
    # Street scenes (2 items) and Calls (1) are one group.
    reread = body.split("What to re-read")[1].split("What happens next")[0]
    assert "Clothing" in reread and "Street scenes and Calls" in reread
    assert not re.search(r"\d", reread.split("Sections with fewer")[0])
    assert f'href="/courses/{TAKING_SLUG}/manual#street">Street scenes</a>' in raw
    assert f'href="/courses/{TAKING_SLUG}/manual#calls">Calls</a>' in raw
    assert "Qualification In training" in body and "Attempts left 1 of 2" in body
    assert "Your next attempt opens at" in body and "data-countdown=" in raw
    assert body.count("Dispute this item") == 6
    assert "Your answer: zebra-wrong-opt" in body and "Your answer: 1 box drawn" in body
    assert "Your answer: Not answered" in body  # the spans item
    # The exam page lists the attempt with its score and a link to this result.
    overview = taker.get(EXAM).get_data(as_text=True)
    assert f'href="/attempts/{attempt_id}/result"' in overview and "50%" in overview
    assert "Your next attempt opens at" in text(taker.get(EXAM))


def test_a_pass_says_until_when_it_holds_and_what_it_lets_the_trainee_do(app, taker):
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == TAKING_SLUG))
        course.qualifies_for = "Paid clothing-tagging work on the Acme queue"
        db.session.commit()
    attempt_id = answer_and_submit(app, taker, {
        "c-critical": CHOICE_GOLD, "l-critical": LABELS_GOLD, "c-street": STREET_GOLD,
        "c-plain": "ibis-gold-opt"})
    body = text(taker.get(f"/attempts/{attempt_id}/result"))
    assert "Exam result: passed" in body and "Qualification Qualified" in body
    until = (utcnow() + timedelta(days=TAKING_RULES.validity_days)).strftime("%-d %B %Y")
    assert f"Valid until {until}" in body
    assert "It lets you Paid clothing-tagging work on the Acme queue" in body


def test_an_open_attempt_has_no_result_yet(app, taker):
    attempt_id = taker.start()
    response = taker.get(f"/attempts/{attempt_id}/result")
    assert response.headers["Location"] == f"/attempts/{attempt_id}"


def test_a_trainee_disputes_an_item_from_the_result(app, taker, exam_trainee):
    attempt_id = answer_and_submit(app, taker, {"c-plain": "heron-opt"})
    position = positions(app, attempt_id)["c-plain"]
    token = taker.token(f"/attempts/{attempt_id}/result")
    path = f"/attempts/{attempt_id}/items/{position}/dispute"
    empty = taker.post(path, {"csrf_token": token, "comment": "  "})
    assert empty.headers["Location"] == f"/attempts/{attempt_id}/result#item-{position}"
    assert "Say what you think is wrong" in text(taker.get(f"/attempts/{attempt_id}/result"))
    sent = taker.post(path, {"csrf_token": token, "comment": "A heron is a hat here."})
    assert sent.status_code == 302
    with app.app_context():
        dispute = db.session.query(Dispute).one()
        assert dispute.answer == "heron-opt" and dispute.response_id is not None
        assert dispute.user_id == exam_trainee.id
    result = text(taker.get(f"/attempts/{attempt_id}/result"))
    assert "your dispute about item" in result and "You disputed this item" in result
    overview = text(taker.get(EXAM))
    assert "Your disputes" in overview and "A heron is a hat here." in overview
    assert "Waiting for an instructor" in overview
    assert taker.post(f"/attempts/{attempt_id}/items/99/dispute",
                      {"csrf_token": token, "comment": "x"}).status_code == 404


def test_only_the_owner_takes_and_staff_may_read_the_result(app, taker, make_user,
                                                            exam_staff):
    attempt_id = taker.start()
    other = signed_in(app, make_user(Role.TRAINEE))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      other.get("/dashboard").get_data(as_text=True)).group(1)
    assert other.get(f"/attempts/{attempt_id}").status_code == 404
    assert other.get(f"/attempts/{attempt_id}/result").status_code == 404
    assert other.post(f"/attempts/{attempt_id}/submit",
                      data={"csrf_token": token}).status_code == 404
    assert other.put(f"/attempts/{attempt_id}/answers/1", json={"answer": None, "seq": 1},
                     headers={"X-CSRFToken": token}).status_code == 404
    staff = signed_in(app, exam_staff)
    assert staff.get(f"/attempts/{attempt_id}").status_code == 404
    assert staff.get(f"/attempts/{attempt_id}/result").status_code == 404  # still open
    taker.post(f"/attempts/{attempt_id}/submit",
               {"csrf_token": take_token(taker, attempt_id)})
    seen = staff.get(f"/attempts/{attempt_id}/result")
    assert seen.status_code == 200 and "as staff" in text(seen)
    assert "Dispute this item" not in text(seen)
    assert other.get(f"/attempts/{attempt_id}/result").status_code == 404


def test_exam_pictures_are_served_to_the_open_attempt_that_shows_them(app, taker, make_user,
                                                                     exam_staff):
    attempt_id = taker.start()
    path = f"/attempts/{attempt_id}/media/street.png"
    picture = taker.get(path)
    assert picture.status_code == 200 and picture.mimetype == "image/png"
    assert picture.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert taker.get(f"/attempts/{attempt_id}/media/nothing.png").status_code == 404
    assert signed_in(app, make_user(Role.TRAINEE)).get(path).status_code == 404
    assert signed_in(app, exam_staff).get(path).status_code == 404
    # Exam-only pictures are not on the course's media route for trainees.
    assert taker.get(f"/courses/{TAKING_SLUG}/media/street.png").status_code == 404
    taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": take_token(taker, attempt_id)})
    assert taker.get(path).status_code == 404


# --- Gold never reaches the browser. ----------------------------------------------------------

def test_no_exam_gold_ever_reaches_the_trainee(app, taker):
    taker.get(f"/courses/{TAKING_SLUG}")
    taker.get(EXAM)
    attempt_id = taker.start()
    where = positions(app, attempt_id)
    take_path = f"/attempts/{attempt_id}"
    token = take_token(taker, attempt_id)
    taker.get(take_path, follow_redirects=False)
    assert taker.get(f"{take_path}/media/shirt.png").status_code == 200
    assert taker.get(f"{take_path}/media/street.png").status_code == 200
    wrong = {"c-critical": "zebra-wrong-opt", "l-critical": ["armour"], "b-street": WRONG_BOX,
             "s-call": WRONG_SPAN, "c-street": "walking-rider-cyclist", "c-plain": "heron-opt"}
    for seq, (key, answer) in enumerate(wrong.items(), start=1):
        taker.save(attempt_id, where[key], answer, seq, token)
        taker.save(attempt_id, where[key], answer, seq, token)  # repeated: same answer
    taker.save(attempt_id, where["b-street"], [{"label": "bus"}], 99, token)  # refused
    taker.save(attempt_id, 42, None, 99, token)
    taker.get(take_path)
    taker.post(f"{take_path}/submit", {"csrf_token": token}, follow_redirects=True)
    taker.post(f"{take_path}/submit", {"csrf_token": token}, follow_redirects=True)
    taker.save(attempt_id, where["c-plain"], "heron-opt", 500, token)  # closed: 409
    taker.get(f"{take_path}/result")
    taker.post(f"{take_path}/items/{where['b-street']}/dispute",
               {"csrf_token": token, "comment": "My box was right."}, follow_redirects=True)
    taker.get(EXAM)
    taker.get(f"/courses/{TAKING_SLUG}")
    taker.get(take_path, follow_redirects=True)

    assert len(taker.bodies) > 20
    assert any(label.startswith("GET /attempts/") and "Item 1 of 6" in body
               for label, body in taker.bodies)
    for label, body in taker.bodies:
        is_take_page = re.fullmatch(r"GET /attempts/\d+", label) and "exam-form" in body
        assert gold_leaks(body, options_shown=bool(is_take_page)) == [], label
    # The scan itself finds gold where it is.
    assert gold_leaks(json.dumps(WRONG_BOX + [{"x": 131.771}])) == ["box coordinate 131.771"]
    assert gold_leaks(f'"start": {TAKING_SPAN_TEXT.index("cancel the")}') == [
        f"span offset {TAKING_SPAN_TEXT.index('cancel the')}"]
    assert gold_leaks("GOLD-EXPLANATION-s-call quokka-gold-opt") == [
        "explanation of s-call", "choice gold quokka-gold-opt"]
    assert TAKING_BOXES_SPEC["width"] == 400
    # ...and only there: a time with milliseconds is not a box coordinate.
    assert gold_leaks('{"h":59.119}') == ["box coordinate 59.119"]
    assert gold_leaks('<time datetime="2026-12-06T21:44:59.119Z">21:44</time>') == []
    assert gold_leaks("41.9130 131.7710 x97.283") == []


def test_exam_pages_carry_no_inline_code(app, taker):
    from tests.bootcamp.test_security import InlineCodeFinder

    taker.get(f"/courses/{TAKING_SLUG}")
    taker.get(EXAM)
    attempt_id = taker.start()
    taker.get(f"/attempts/{attempt_id}")
    taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": take_token(taker, attempt_id)})
    taker.get(f"/attempts/{attempt_id}/result")
    taker.get(EXAM)
    pages = [(label, body) for label, body in taker.bodies if label.startswith("GET")]
    assert len(pages) >= 5
    for label, body in pages:
        finder = InlineCodeFinder()
        finder.feed(body)
        assert finder.found == [], label


def test_the_course_home_says_when_the_exam_is_not_ready(app, make_user, exam_staff):
    from dataclasses import replace

    trainee = make_user(Role.TRAINEE)
    make_exam_course(app, exam_staff, (trainee,), slug="not-ready",
                     rules=replace(TAKING_RULES, item_count=40))
    body = text(signed_in(app, trainee).get("/courses/not-ready"))
    assert "The exam is being prepared" in body and "Items 40" in body
