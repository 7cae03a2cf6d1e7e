"""Practice through the test client: modules, answering every kind, feedback, mastery, access."""

from __future__ import annotations

import json
import re
from html import unescape
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, PracticeAnswer
from courses.services import items
from tests.factories import (
    BOXES_GOLD,
    POINTS_GOLD,
    SPANS_GOLD,
    events_of,
    make_practice_course,
    practice_natives,
    row_counts,
    signed_in,
)
from tests.helpers import csrf_token

BASE = "/courses/practice/practice"
MODULES = ["Clothing", "Shoes", "Street scenes", "Poses", "Calls", "Other practice"]
URLS = {"outfit": "clothing/outfit", "shoe": "shoes/shoe", "flipper": "shoes/flipper",
        "street": "street/street", "pose": "pose/pose", "call": "calls/call",
        "orphan": "_other/orphan"}


@pytest.fixture
def enrolled(app, instructor, trainee):
    """A practice course the trainee is enrolled in; returns the trainee's client."""
    make_practice_course(app, instructor, enrol=(trainee,))
    return signed_in(app, trainee)


def answer(client, key: str, value=None, *, raw: str | None = None):
    """POST an answer to an item as its form would: a value, a list of values or JSON."""
    url = f"{BASE}/{URLS[key]}"
    data = {"csrf_token": csrf_token(client, url)}
    if raw is not None:
        data["answer"] = raw
    elif isinstance(value, list) and key in ("street", "pose", "call"):
        data["answer"] = json.dumps(value)
    elif value is not None:
        data["answer"] = value
    return client.post(url, data=data)


def text_of(response) -> str:
    """The page as text, whitespace squeezed, tags kept."""
    return re.sub(r"\s+", " ", response.get_data(as_text=True))


def stored(app) -> list[PracticeAnswer]:
    with app.app_context():
        rows = db.session.scalars(select(PracticeAnswer).order_by(PracticeAnswer.id)).all()
        for row in rows:
            db.session.expunge(row)
        return rows


# The modules page.


def test_modules_follow_the_manual_and_hold_only_active_practice_items(enrolled):
    page = text_of(enrolled.get(BASE))
    titles = re.findall(r'<h2 id="module-\d+-title">([^<]+)</h2>', page)
    assert titles == MODULES
    assert "Items answered</dt><dd>0 of 2</dd>" in page  # shoe and flipper; not exam or retired
    assert "Round 1: 0 of 2 items answered." in page
    assert 'href="/courses/practice/practice/_other"' in page


def test_a_module_sends_the_trainee_to_the_first_item_not_yet_tried_in_the_round(enrolled):
    def next_of(module: str) -> str:
        return enrolled.get(f"{BASE}/{module}").headers["Location"]

    assert next_of("shoes") == f"{BASE}/shoes/shoe"
    answer(enrolled, "shoe", "no")
    assert next_of("shoes") == f"{BASE}/shoes/flipper"  # shoe was tried in this round
    answer(enrolled, "flipper", "no")
    assert next_of("shoes") == f"{BASE}/shoes/shoe"  # the round is over: a new one
    answer(enrolled, "shoe", "yes")
    answer(enrolled, "flipper", "no")
    # Round 3 would start with flipper, but its answer was just shown: shoe comes first.
    assert next_of("shoes") == f"{BASE}/shoes/shoe"
    assert enrolled.get(f"{BASE}/nowhere").status_code == 404


def test_items_outside_practice_or_in_another_module_are_not_served(enrolled):
    for key in ("exam-only", "retired", "no-such-item"):
        assert enrolled.get(f"{BASE}/shoes/{key}").status_code == 404
    moved = enrolled.get(f"{BASE}/clothing/shoe")
    assert moved.status_code == 302 and moved.headers["Location"] == f"{BASE}/shoes/shoe"


# Answering each kind.


def test_a_right_choice_is_stored_recorded_and_explained(app, enrolled, trainee):
    response = answer(enrolled, "shoe", "yes")
    assert response.status_code == 200
    page = text_of(response)
    assert '<h2 id="feedback-title" tabindex="-1" data-focus-on-load>Correct</h2>' in page
    assert "100% of the points" in page
    assert "Shoes are <strong>clothing</strong>." in page
    assert '<a href="/courses/practice/manual#shoes">Read the rule: Shoes</a>' in page
    assert f'href="{BASE}/shoes/shoe">Try again</a>' in page
    assert f'href="{BASE}/shoes/flipper">Next item</a>' in page
    [row] = stored(app)
    assert (row.user_id, row.module, row.answer, row.points, row.correct, row.item_revision) == (
        trainee.id, "shoes", "yes", 1.0, True, 1)
    assert row.details == {"expected": "yes", "given": "yes"}
    [event] = events_of(app, "practice_answered", trainee.id)
    assert event == {"course_id": row.course_id, "user_id": trainee.id, "item": "shoe",
                     "module": "shoes", "points": 1.0, "correct": True, "revision": 1}


def test_a_wrong_choice_marks_both_answers_in_words(app, enrolled):
    page = text_of(answer(enrolled, "shoe", "no"))
    assert '<h2 id="feedback-title" tabindex="-1" data-focus-on-load>Not quite</h2>' in page
    assert "0% of the points" in page
    assert re.search(r'fb-option-name">yes</span> <span class="fb-tag fb-tag-correct">'
                     r"correct answer</span>", page)
    assert re.search(r'fb-option-name">no</span> <span class="fb-tag fb-tag-chosen">'
                     r"your answer</span>", page)
    assert "checked" in re.search(r'<input type="radio"[^>]*value="no"[^>]*>', page).group(0)
    assert [(r.answer, r.correct) for r in stored(app)] == [("no", False)]


def test_labels_are_read_from_every_ticked_box(app, enrolled):
    enrolled_page = text_of(enrolled.get(f"{BASE}/clothing/outfit"))
    assert enrolled_page.count('type="checkbox" name="answer"') == 4
    page = text_of(answer(enrolled, "outfit", ["shirt", "towel"]))
    assert "Not quite" in page and "33% of the points" in page
    assert re.search(r'shoe</span> <span class="fb-tag fb-tag-correct">correct answer</span> '
                     r'<span class="fb-tag fb-tag-missed">missed</span>', page)
    assert re.search(r'towel</span> <span class="fb-tag fb-tag-chosen">your answer</span> '
                     r'<span class="fb-tag fb-tag-extra">should not be ticked</span>', page)
    assert "Read the rule: Clothing" in page and "Read the rule: Shoes" in page
    [row] = stored(app)
    assert (sorted(row.answer), row.correct, row.module) == (["shirt", "towel"], False, "clothing")
    assert row.details == {"missing": ["shoe"], "extra": ["towel"], "jaccard": 1 / 3}
    assert "Correct" in text_of(answer(enrolled, "outfit", ["shoe", "shirt"]))
    nothing = text_of(answer(enrolled, "outfit", None))  # ticking nothing is an answer
    assert "Not quite" in nothing and "0% of the points" in nothing
    assert len(stored(app)) == 3


def test_boxes_feedback_draws_gold_over_the_answer_and_lists_every_mistake(app, enrolled):
    given = [{"label": "car", "x": 12, "y": 10, "w": 60, "h": 40},  # matched, loose-ish
             {"label": "pedestrian", "x": 120, "y": 20, "w": 30, "h": 60},  # wrong label
             {"label": "car", "x": 0, "y": 60, "w": 20, "h": 20}]  # extra
    page = text_of(answer(enrolled, "street", given))
    assert "Not quite" in page
    svg = re.search(r"<svg [^>]*>.*?</svg>", page).group(0)
    assert 'role="img"' in svg and 'viewBox="0 0 200 100"' in svg
    labelled_by = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
    assert all(f'id="{name}"' in svg for name in labelled_by)
    assert '<image href="/courses/practice/media/street.png"' in svg
    rects = re.findall(r"<rect [^>]*>", svg)
    assert len(rects) == len(BOXES_GOLD) + len(given)
    assert sum('stroke-dasharray="6 4"' in r for r in rects) == len(given)
    strokes = {re.search(r'class="fb-([\w-]+)"', r).group(1): re.search(r'stroke="(#\w+)"', r)
               .group(1) for r in rects}
    assert strokes == {"gold-matched": "#1d7a46", "answer-matched": "#1f5fbf",
                       "gold-mislabelled": "#7b2cbf", "answer-mislabelled": "#7b2cbf",
                       "gold-missed": "#b3261e", "answer-extra": "#c25e00"}
    assert "pedestrian, should be cyclist</text>" in svg
    assert "Missed: pedestrian at (160, 20), 20 × 50" in page
    assert "Extra: car at (0, 60), 20 × 20" in page
    assert "Wrong label: pedestrian should be cyclist at (120, 20), 30 × 60 (100% overlap)" in page
    assert "Matched: car at (10, 10), 60 × 40 (94% overlap)" in page
    assert "1 of 3 boxes right, 1 extra." in page
    assert not re.search(r"IoU|F1|[Pp]recision|[Rr]ecall|OKS|Jaccard", page)  # no jargon
    assert "The person walking a bicycle is a pedestrian." in page
    [row] = stored(app)
    assert row.answer == given and row.details["mislabelled"][0]["gold_label"] == "cyclist"
    assert "Correct" in text_of(answer(enrolled, "street", BOXES_GOLD))


def test_the_courses_staff_also_see_the_scorers_measures(app, enrolled, instructor):
    given = [{**BOXES_GOLD[0], "x": 20}, *BOXES_GOLD[1:]]
    staff = text_of(answer(signed_in(app, instructor), "street", given))
    assert re.search(r"For staff: precision 1\.00, recall 1\.00, F1 1\.00; IoU threshold", staff)
    assert "For staff" not in text_of(answer(enrolled, "street", given))


def test_boxes_low_overlap_is_warned_about(enrolled):
    loose = [{**BOXES_GOLD[0], "x": 20}, *BOXES_GOLD[1:]]
    page = text_of(answer(enrolled, "street", loose))
    assert "Correct" in page
    assert ("Low overlap: car at (10, 10), 60 × 40: your box overlaps it by 71%; it counts, "
            "but aim for 80% or more") in page


def test_points_feedback_has_oks_per_person_and_similarity_per_keypoint(app, enrolled):
    given = [{"keypoints": {"nose": [110, 30, 2], "left_wrist": [60, 100, 2]}}]
    page = text_of(answer(enrolled, "pose", given))
    assert "Not quite" in page
    svg = re.search(r"<svg [^>]*>.*?</svg>", page).group(0)
    assert svg.count("<circle ") == 3 + 2 and svg.count("<line ") == 2
    assert re.search(r"<caption>Person 1: your points are \d+% close: not close enough "
                     r"\(at least \d+% is needed\)</caption>", page)
    assert re.search(r'<th scope="row">right wrist</th> <td>not placed</td> '
                     r"<td>—</td>", page)
    assert re.search(r'<th scope="row">left wrist</th> <td>100%</td> <td>0.0</td>', page)
    assert re.search(r'<th scope="row">nose</th> <td>\d+%</td> <td>10.0</td>', page)
    assert "OKS" not in page
    [row] = stored(app)
    assert row.details["persons"][0]["keypoints"]["right_wrist"]["given"] is False
    assert "Correct" in text_of(answer(enrolled, "pose", POINTS_GOLD))


def test_spans_feedback_marks_the_text_with_labels_in_words(app, enrolled):
    given = [{"start": 2, "end": 16, "label": "object"}, {"start": 29, "end": 34,
                                                         "label": "intent"}]
    page = text_of(answer(enrolled, "call", given))
    assert "Not quite" in page
    assert ('<mark class="fb-span fb-span-mislabelled">want to cancel</mark>'
            '<span class="fb-span-label fb-span-label-mislabelled">intent, you said object'
            "</span>") in page
    assert ('<mark class="fb-span fb-span-missed">my contract</mark>'
            '<span class="fb-span-label fb-span-label-missed">object: missed</span>') in page
    assert ('<mark class="fb-span fb-span-extra">today</mark>'
            '<span class="fb-span-label fb-span-label-extra">intent: extra</span>') in page
    assert "Missed: object “my contract”" in page
    assert "Extra: intent “today”" in page
    assert "Wrong label: “want to cancel” is intent, you said object" in page
    assert [r.correct for r in stored(app)] == [False]
    assert "Correct" in text_of(answer(enrolled, "call", SPANS_GOLD))


BAD_ANSWERS = [
    ("shoe", None, None, "Choose one of the options, then check your answer."),
    ("shoe", "maybe", None, "Your answer could not be checked: the answer unknown option"),
    ("outfit", ["shirt", "scarf"], None, "Your answer could not be checked: choice 2"),
    ("street", None, "[{not json", "Your answer could not be read. Reload the page"),
    ("street", [{"label": "car", "x": 10, "y": 10, "w": -5, "h": 4}], None,
     "Your answer could not be checked: box 1 (w) must be a positive number"),
    ("street", [{"label": "bus", "x": 10, "y": 10, "w": 5, "h": 4}], None,
     "Your answer could not be checked: box 1 (label)"),
    ("pose", [{"keypoints": {"nose": [500, 30, 2]}}], None,
     "Your answer could not be checked: person 1 (keypoints.nose"),
    ("call", [{"start": 20, "end": 99, "label": "intent"}], None,
     "Your answer could not be checked: span 1 (end)"),
    ("call", None, '{"start": 1}', "Your answer could not be checked: the answer"),
]


@pytest.mark.parametrize(("key", "value", "raw", "message"), BAD_ANSWERS,
                         ids=[f"{case[0]}-{n}" for n, case in enumerate(BAD_ANSWERS)])
def test_a_malformed_answer_is_a_friendly_error_and_stores_nothing(
        app, enrolled, key, value, raw, message):
    before = row_counts(app)
    response = answer(enrolled, key, value, raw=raw)
    assert response.status_code == 200
    page = text_of(response)
    alert = re.search(r'<div class="alert" role="alert"><p>(.*?)</p></div>', page)
    assert alert, page
    assert unescape(alert.group(1)).startswith(message), alert.group(1)
    assert "feedback-title" not in page
    assert row_counts(app) == before


def test_a_new_gold_regrades_earlier_answers_and_scores_new_ones(app, enrolled, instructor):
    answer(enrolled, "shoe", "yes")
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "practice"))
        natives = [{**n, "gold": "no"} if n["id"] == "shoe" else n for n in practice_natives()]
        items.upsert_items(course, natives, db.session.get(User, instructor.id), "gold fixed")
        db.session.commit()
    assert "Not quite" in text_of(answer(enrolled, "shoe", "yes"))
    # The earlier answer was regraded with revision 2; the event log keeps what happened then.
    assert [(r.item_revision, r.correct) for r in stored(app)] == [(2, False), (2, False)]
    assert [e["revision"] for e in events_of(app, "practice_answered")] == [1, 2]


# Progress and mastery.


def mastery_of(client, number: int = 2) -> str:
    """What the modules page says of module `number`'s mastery (2: Shoes, shoe and flipper)."""
    module = text_of(client.get(BASE)).split(f'id="module-{number}-title"')[1].split("</li>")[0]
    return re.search(r"<dt>Mastery</dt><dd>([^<]+)</dd>", module).group(1)


def test_answering_one_item_again_and_again_never_masters_its_module(enrolled):
    answer(enrolled, "shoe", "no")
    for _ in range(10):
        answer(enrolled, "shoe", "yes")
    assert mastery_of(enrolled) == "Round 1: 1 of 2 items answered."
    answer(enrolled, "flipper", "no")
    assert mastery_of(enrolled) == ("Last round: 1 of 2 right on the first try. "
                                    "Round 2: 0 of 2 items answered.")
    assert 'class="card module-card is-mastered"' not in text_of(enrolled.get(BASE))


def test_a_round_with_every_item_right_on_the_first_try_masters_the_module(enrolled):
    answer(enrolled, "shoe", "no")
    answer(enrolled, "flipper", "no")  # round 1: both right, but shoe not on the first try
    answer(enrolled, "shoe", "yes")
    page = text_of(answer(enrolled, "flipper", "no"))
    assert "Round 2 done: 2 of 2 right on the first try." in page
    assert "You have mastered this module." in page
    assert mastery_of(enrolled) == "Mastered. Last round: 2 of 2 right on the first try."
    modules = text_of(enrolled.get(BASE))
    assert 'class="card module-card is-mastered"' in modules
    assert "Items answered</dt><dd>2 of 2 (2 answered correctly)</dd>" in modules
    item_page = text_of(enrolled.get(f"{BASE}/shoes/shoe"))
    assert ('Item 1 of 2 · <span class="mastery">Mastered. Last round: 2 of 2 right on the '
            'first try.</span>') in item_page


def test_the_rule_and_the_round_are_said_on_the_pages(enrolled):
    rule = ("To master this module, answer each of its 2 items right on your first try in "
            "one round.")
    assert rule in text_of(enrolled.get(BASE))
    answer(enrolled, "shoe", "yes")
    page = text_of(enrolled.get(f"{BASE}/shoes/shoe"))
    assert rule in page
    assert "Round 1: 1 of 2 items answered." in page
    assert "This try will not count toward mastery: you have already seen this item's answer."\
        in page
    assert "This try will not count" not in text_of(enrolled.get(f"{BASE}/shoes/flipper"))
    one_item = text_of(enrolled.get(f"{BASE}/{URLS['outfit']}"))
    assert "To master this module, answer its item right on your first try in a round." \
        in one_item


def test_the_end_of_a_round_offers_the_next_module_not_yet_mastered(enrolled):
    answer(enrolled, "shoe", "no")
    page = text_of(answer(enrolled, "flipper", "no"))
    assert "Round 1 done: 1 of 2 right on the first try." in page
    assert ("Not mastered yet: answer each of its 2 items right on your first try in one "
            "round.") in page
    assert f'href="{BASE}/street">Next module: Street scenes</a>' in page
    assert "Next module" not in text_of(answer(enrolled, "shoe", "yes"))  # a new round's try


def test_when_every_module_is_mastered_the_page_says_so_and_points_to_the_exam(enrolled):
    golds = [("outfit", ["shirt", "shoe"]), ("shoe", "yes"), ("flipper", "no"),
             ("street", BOXES_GOLD), ("pose", POINTS_GOLD), ("call", SPANS_GOLD)]
    for key, gold in golds:
        page = text_of(answer(enrolled, key, gold))
        assert ("You have mastered this module." in page) is (key != "shoe")
    assert "every practice module" not in text_of(enrolled.get(BASE))
    page = text_of(answer(enrolled, "orphan", "yes"))
    assert "Next module" not in page
    exam = 'href="/courses/practice/exam">Go to the exam</a>'
    assert "You have mastered every practice module." in page and exam in page
    modules = text_of(enrolled.get(BASE))
    assert "You have mastered every practice module." in modules and exam in modules


def test_retrying_an_item_stores_every_answer(app, enrolled, trainee):
    answer(enrolled, "flipper", "yes")
    retry = enrolled.get(f"{BASE}/shoes/flipper")
    assert "feedback-title" not in retry.get_data(as_text=True)
    assert "Correct" in text_of(answer(enrolled, "flipper", "no"))
    assert [(r.answer, r.correct) for r in stored(app)] == [("yes", False), ("no", True)]
    assert [e["correct"] for e in events_of(app, "practice_answered", trainee.id)] == [
        False, True]


def test_the_last_item_of_a_module_leads_back_to_the_modules(enrolled):
    page = text_of(answer(enrolled, "flipper", "no"))
    assert f'href="{BASE}">Back to all modules</a>' in page
    assert "Next item" not in page


# Who may practise.


def test_a_trainee_who_is_not_enrolled_is_asked_to_enrol(app, instructor, trainee):
    make_practice_course(app, instructor)
    client = signed_in(app, trainee)
    for path in (BASE, f"{BASE}/shoes", f"{BASE}/shoes/shoe"):
        response = client.get(path)
        assert response.status_code == 302
        assert response.headers["Location"] == "/courses/practice"
    token = csrf_token(client, "/courses/practice")
    refused = client.post(f"{BASE}/shoes/shoe", data={"csrf_token": token, "answer": "yes"})
    assert refused.status_code == 302
    assert "Enrol in this course to practise." in client.get("/courses/practice").get_data(
        as_text=True)
    assert stored(app) == []


def test_staff_preview_scores_without_storing(app, instructor):
    make_practice_course(app, instructor)
    client = signed_in(app, instructor)
    assert "Preview: you are not enrolled" in text_of(client.get(BASE))
    page = text_of(answer(client, "shoe", "yes"))
    assert "Correct" in page and "(Preview: not stored.)" in page
    assert stored(app) == [] and events_of(app, "practice_answered") == []


def test_anonymous_visitors_log_in_first(app, instructor, client):
    make_practice_course(app, instructor)
    response = client.get(f"{BASE}/shoes/shoe")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")


def test_a_course_without_practice_items_says_so(app, instructor, trainee):
    from tests.factories import make_course

    make_course(app, instructor, "bare", versions=("# One\n\nText.",))
    client = signed_in(app, trainee)
    with app.app_context():
        from courses.services import enrolment

        course = db.session.scalar(select(Course).where(Course.slug == "bare"))
        enrolment.enrol(db.session.get(User, trainee.id), course,
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    assert "This course has no practice items yet." in text_of(client.get("/courses/bare/practice"))
    home = text_of(client.get("/courses/bare"))
    assert "Practice items for this course are on their way." in home


# The widgets' markup (the contract with static/js/widgets/) and the course home.


@pytest.mark.parametrize("key", ["street", "pose", "call"])
def test_drawing_items_render_the_widget_contract(enrolled, key):
    page = enrolled.get(f"{BASE}/{URLS[key]}").get_data(as_text=True)
    natives = {n["id"]: n for n in practice_natives()}
    widget = re.search(r"<div class=\"widget\" data-kind=\"(\w+)\" data-spec='([^']*)'"
                       r'\s*(?:data-media="([^"]*)")? data-widget="([^"]*)">', page)
    assert widget, page
    assert widget.group(1) == natives[key]["kind"]
    assert re.fullmatch(rf"/static/js/widgets/{natives[key]['kind']}\.[0-9a-f]{{12}}\.js",
                        widget.group(4))  # content-hashed (bootcamp/static_files.py)
    assert json.loads(widget.group(2)) == natives[key]["spec"]
    media = natives[key]["media"]
    assert widget.group(3) == (f"/courses/practice/{media}" if media else None)
    assert """<input type="hidden" name="answer" id="answer-json" value='[]'>""" in page
    assert '<p class="widget-fallback">This task needs JavaScript' in page
    assert re.search(r'<script type="module" src="/static/js/widgets/index\.[0-9a-f]{12}\.js">'
                     r"</script>", page)
    assert ">Check answer</button>" in page


def test_a_drawing_answer_comes_back_in_the_widget_after_checking(enrolled):
    page = answer(enrolled, "street", BOXES_GOLD).get_data(as_text=True)
    value = re.search(r"id=\"answer-json\" value='([^']*)'", page).group(1)
    assert json.loads(value) == BOXES_GOLD


def test_choice_items_need_no_script_and_use_their_prompt_as_legend(enrolled):
    page = text_of(enrolled.get(f"{BASE}/shoes/shoe"))
    assert "<legend>Is a shoe clothing?</legend>" in page
    assert page.count('type="radio" name="answer"') == 2
    assert '<label for="answer-1">yes</label>' in page
    assert "widgets/index." not in page


def test_the_course_home_and_the_training_centre_show_the_modules_mastered(enrolled):
    def shown() -> tuple[str, ...]:
        home = text_of(enrolled.get("/courses/practice"))
        found = re.search(r'<p class="practice-progress"><strong>([^<]+)</strong>', home)
        cards = [re.search(r"<dt>Practice</dt><dd>([^<]+)</dd>", text_of(enrolled.get(url)))
                 for url in ("/courses/", "/dashboard")]
        return (found.group(1), *(card.group(1) for card in cards))

    assert shown() == ("Practice: 0 of 6 modules mastered.", "0 of 6 modules mastered",
                       "0 of 6 modules mastered")
    answer(enrolled, "outfit", ["shirt", "shoe"])
    answer(enrolled, "outfit", ["shirt", "shoe"])  # a retry straight after: no second module
    assert shown() == ("Practice: 1 of 6 modules mastered.", "1 of 6 modules mastered",
                       "1 of 6 modules mastered")


def test_the_course_home_links_practice_and_suggests_it_once_the_manual_is_read(
        app, enrolled):
    home = text_of(enrolled.get("/courses/practice"))
    assert "6 practice modules" in home
    assert '<a href="/courses/practice/practice">Practise</a>' in home
    manual = enrolled.get("/courses/practice/manual").get_data(as_text=True)
    version = re.search(r'name="version" value="(\d+)"', manual).group(1)
    for section in ("clothing", "shoes", "street", "pose", "calls"):
        enrolled.post("/courses/practice/manual/read", data={
            "csrf_token": csrf_token(enrolled, "/courses/practice"), "version": version,
            "section": section})
    home = text_of(enrolled.get("/courses/practice"))
    assert "Manual read: practise the rules with instant feedback." in home
    assert '<a class="button" href="/courses/practice/practice">Start practising</a>' in home
    cards = text_of(enrolled.get("/courses/"))
    assert '<a href="/courses/practice/practice">Start practising</a>' in cards


# No inline styles anywhere (the CSP forbids them).


class _StyleFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "style" or any(name == "style" for name, _ in attrs):
            self.found.append(f"<{tag} {attrs}>")

    handle_startendtag = handle_starttag


def styles_in(response) -> list[str]:
    finder = _StyleFinder()
    finder.feed(response.get_data(as_text=True))
    return finder.found


WRONG = {"outfit": ["towel"], "shoe": "no", "flipper": "yes", "orphan": "no",
         "street": [{"label": "pedestrian", "x": 0, "y": 0, "w": 10, "h": 10}],
         "pose": [{"keypoints": {"nose": [20, 20, 2]}}],
         "call": [{"start": 0, "end": 1, "label": "object"}]}


def test_no_practice_page_has_an_inline_style(enrolled):
    pages = {"modules": enrolled.get(BASE)}
    for key, value in WRONG.items():
        pages[f"{key} question"] = enrolled.get(f"{BASE}/{URLS[key]}")
        pages[f"{key} feedback"] = answer(enrolled, key, value)
    pages["error"] = answer(enrolled, "street", raw="nope")
    for name, response in pages.items():
        assert response.status_code == 200, name
        assert styles_in(response) == [], name
    assert "Not quite" in text_of(pages["pose feedback"])


def test_the_admin_and_instructors_see_practice_of_any_course(app, make_user, instructor):
    make_practice_course(app, instructor)
    admin = signed_in(app, make_user(Role.ADMIN))
    assert admin.get(f"{BASE}/calls/call").status_code == 200
