"""Item analysis and the rules that cause errors: the SQL gathers what graders' functions take,
the pages show it to staff only, and a common mistake becomes a call-out in the draft.

The hand-built history (choice items, gold "yes" except beret's, whose gold "no" is wrong):

| trainee | boots | sandals | cap / rare | beret (disputed when answered "yes") |
|---|---|---|---|---|
| t0 | yes | yes | rare: yes | yes, disputed |
| t1 | yes | yes | rare: yes | yes, disputed |
| t2 | yes | yes | cap: yes | yes, disputed |
| t3 | yes | no | cap: yes | yes, disputed |
| t4 | yes | no | cap: no | yes |
| t5 | no | yes | cap: no | no |
| t6 | no | no | cap: yes | no |
| t7 | no | no | cap: no | no |

Everyone who knows the rule "misses" beret and most dispute it: a wrong gold. Practice: boots
6 right and 2 "no"; cap 1 right and 3 hostile answers (a <script> to stay text).
"""

from __future__ import annotations

import numpy as np
import pytest
from flask import Flask
from sqlalchemy import event, select

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, CourseStatus, Item, ManualVersion, PracticeAnswer, VersionStatus
from courses.services import callouts, catalog, items, manuals
from exams.models import Attempt, AttemptKind, AttemptState, Dispute, Response
from exams.services import item_stats
from graders import item_analysis, rule_errors
from graders.rule_errors import GivenAnswer, Source
from tests.factories import post_form, signed_in

MANUAL = "# Shoes {#shoes}\n\nShoes are clothing.\n\n# Hats {#hats}\n\nHats are clothing.\n"
HOSTILE = "<script>alert(1)</script>"
SECTIONS = {"boots": ["shoes"], "sandals": ["shoes"], "cap": ["hats"], "beret": ["hats"],
            "rare": ["shoes"]}
GOLD = {"boots": "yes", "sandals": "yes", "cap": "yes", "beret": "no", "rare": "yes"}
TABLE = [  # (boots, sandals, (cap or rare, answer), beret, disputed)
    ("yes", "yes", ("rare", "yes"), "yes", True),
    ("yes", "yes", ("rare", "yes"), "yes", True),
    ("yes", "yes", ("cap", "yes"), "yes", True),
    ("yes", "no", ("cap", "yes"), "yes", True),
    ("yes", "no", ("cap", "no"), "yes", False),
    ("no", "yes", ("cap", "no"), "no", False),
    ("no", "no", ("cap", "yes"), "no", False),
    ("no", "no", ("cap", "no"), "no", False),
]
PRACTICE = ([("boots", "yes")] * 6 + [("boots", "no")] * 2 + [("cap", "yes")]
            + [("cap", HOSTILE)] * 3)


class History:
    """The module docstring's history, written through the models."""

    def __init__(self, app: Flask, instructor: User, make_user, slug: str = "stats"):
        self.app, self.make_user, self.slug = app, make_user, slug
        with app.app_context():
            actor = db.session.get(User, instructor.id)
            course = catalog.create_course(catalog.CourseFields(
                slug=slug, title="Stats", status=CourseStatus.OPEN), actor)
            manuals.save_draft(course, MANUAL, actor)
            manuals.publish_draft(course, "", [], actor)
            items.upsert_items(course, [{
                "id": key, "kind": "choice", "prompt": f"Is it clothing ({key})?",
                "media": None, "spec": {"options": ["yes", "no", HOSTILE]}, "gold": GOLD[key],
                "explanation": "", "sections": sections, "critical": False,
                "pools": ["exam", "practice"]} for key, sections in SECTIONS.items()],
                actor, "t")
            db.session.commit()
            self.course_id = course.id
            self.version_id = db.session.scalar(select(ManualVersion.id).where(
                ManualVersion.course_id == course.id))
            self.items = dict(db.session.execute(select(Item.key, Item.id).where(
                Item.course_id == course.id)).all())
        self.count = 0

    def attempt(self, answers: list[tuple[str, str]], disputed: set[str] = frozenset()) -> None:
        """One graded qualification attempt of a new trainee."""
        db.session.commit()
        self.count += 1
        user = self.make_user(Role.TRAINEE, email=f"t{self.count}-{self.slug}@example.com")
        attempt = Attempt(user_id=user.id, course_id=self.course_id,
                          kind=AttemptKind.QUALIFICATION, cycle=1, number=1,
                          manual_version_id=self.version_id, state=AttemptState.GRADED,
                          pass_mark=0.8, critical_rule=False, score=0.5, passed=False)
        db.session.add(attempt)
        db.session.flush()
        for position, (key, answer) in enumerate(answers, start=1):
            right = answer == GOLD[key]
            response = Response(attempt_id=attempt.id, position=position,
                                item_id=self.items[key], answer=answer, item_revision=1,
                                points=1.0 if right else 0.0, correct=right, details={})
            db.session.add(response)
            db.session.flush()
            if key in disputed:
                db.session.add(Dispute(course_id=self.course_id, item_id=self.items[key],
                                       user_id=user.id, response_id=response.id,
                                       answer=answer, item_revision=1, comment="Wrong gold."))

    def practice(self, answers: list[tuple[str, str]]) -> None:
        db.session.commit()
        self.count += 1
        user = self.make_user(Role.TRAINEE, email=f"p{self.count}-{self.slug}@example.com")
        for key, answer in answers:
            right = answer == GOLD[key]
            db.session.add(PracticeAnswer(
                user_id=user.id, course_id=self.course_id, item_id=self.items[key],
                item_revision=1, module=SECTIONS[key][0], answer=answer,
                points=1.0 if right else 0.0, correct=right, details={}))

    def build(self) -> History:
        with self.app.app_context():
            for boots, sandals, (third, answer), beret, disputed in TABLE:
                self.attempt([("boots", boots), ("sandals", sandals), (third, answer),
                              ("beret", beret)], {"beret"} if disputed else set())
            self.practice(PRACTICE)
            db.session.commit()
        return self


@pytest.fixture
def instructor(make_user) -> User:
    return make_user(Role.INSTRUCTOR)


@pytest.fixture
def history(app, instructor, make_user) -> History:
    return History(app, instructor, make_user).build()


def course_of(history: History) -> Course:
    return db.session.get(Course, history.course_id)


def expected_matrix() -> tuple[list[str], np.ndarray, list[list[str | None]], list[int]]:
    """The docstring's table as graders.item_analysis takes it, built without the database."""
    keys = ["boots", "sandals", "cap", "beret", "rare"]
    scores = np.full((len(TABLE), len(keys)), np.nan)
    answers: list[list[str | None]] = [[None] * len(keys) for _ in TABLE]
    for row, (boots, sandals, (third, answer), beret, _) in enumerate(TABLE):
        for key, given in (("boots", boots), ("sandals", sandals), (third, answer),
                           ("beret", beret)):
            scores[row, keys.index(key)] = float(given == GOLD[key])
            answers[row][keys.index(key)] = rule_errors.answer_key(given)
    disputes = [0, 0, 0, sum(row[4] for row in TABLE), 0]
    return keys, scores, answers, disputes


def test_item_numbers_are_graders_on_the_same_matrix(app, history):
    keys, scores, answers, disputes = expected_matrix()
    expected = item_analysis.analyse(scores, items=keys, answers=answers, disputes=disputes)
    with app.app_context():
        report = item_stats.item_report(course_of(history))
    got = {row.item.key: row.stats for row in report.rows}
    assert set(got) == set(keys)
    for stats in expected.items:
        mine = got[stats.item]
        for name in ("facility", "sd", "discrimination", "efficiency", "miss_rate",
                     "contested_rate"):
            want = getattr(stats, name)
            assert getattr(mine, name) == (want if want is None else pytest.approx(want)), (
                stats.item, name)
        for name in ("answers", "disputes", "distribution", "flags"):
            assert getattr(mine, name) == getattr(stats, name), (stats.item, name)
    for name in ("attempts", "items_per_attempt", "sampled"):
        assert getattr(report.analysis.test, name) == getattr(expected.test, name)
    for name in ("mean", "median", "sd", "cic", "error_ratio", "standard_error"):
        assert getattr(report.analysis.test, name) == pytest.approx(
            getattr(expected.test, name)), name
    assert report.analysis.test.cic is not None
    # By hand: five of the eight trainees answered boots right.
    assert got["boots"].facility == pytest.approx(100 * 5 / 8)
    assert got["beret"].miss_rate == pytest.approx(5 / 8)
    assert got["beret"].contested_rate == pytest.approx(4 / 8)


def test_a_wrong_gold_is_flagged_suspicious_and_links_to_its_editor(app, history, instructor):
    with app.app_context():
        report = item_stats.item_report(course_of(history))
    beret = next(row for row in report.rows if row.item.key == "beret")
    assert item_analysis.Flag.SUSPICIOUS in beret.stats.flags
    assert beret.flag_words[0] == item_stats.SUSPICIOUS_CONTESTED
    assert report.rows[0].item.key == "beret"  # suspicious items first
    body = signed_in(app, instructor).get("/courses/stats/items/analysis").get_data(
        as_text=True)
    flagged = body.split('id="flagged-title"')[1].split("</section>")[0]
    assert "beret" in flagged and "suspicious: often missed and contested" in flagged
    assert "/courses/stats/items/beret/edit" in flagged
    assert "/courses/stats/disputes?item=beret#disputes-title" in flagged
    assert "Too few answers to judge (2 of the 5 needed)" in body
    assert "Internal consistency (CIC)" in body


def test_rule_rates_are_graders_on_the_same_answers(app, history):
    given = [GivenAnswer(tuple(SECTIONS[key]), answer == GOLD[key], Source.PRACTICE,
                         key, rule_errors.answer_key(answer)) for key, answer in PRACTICE]
    for boots, sandals, (third, answer), beret, _ in TABLE:
        for key, value in (("boots", boots), ("sandals", sandals), (third, answer),
                           ("beret", beret)):
            given.append(GivenAnswer(tuple(SECTIONS[key]), value == GOLD[key], Source.EXAM,
                                     key, rule_errors.answer_key(value)))
    expected = rule_errors.section_errors(given)
    with app.app_context():
        report = item_stats.rule_report(course_of(history))
    got = [errors for row in report.rows for errors in (row.practice, row.exam) if errors]
    assert sorted(got, key=lambda e: (e.section, e.source)) == sorted(
        expected, key=lambda e: (e.section, e.source))
    assert [row.section for row in report.rows] == list(dict.fromkeys(
        errors.section for errors in expected))
    hats = next(row for row in report.rows if row.section == "hats")
    assert hats.title == "Hats"
    # By hand: cap in practice, 3 wrong of 4; in exams cap 3 wrong of 6 and beret 5 of 8.
    assert (hats.practice.wrong, hats.practice.answers) == (3, 4)
    assert (hats.exam.wrong, hats.exam.answers) == (8, 14)
    assert hats.practice.low == pytest.approx(rule_errors.wilson_interval(3, 4)[0])
    top = hats.mistakes[0]
    assert (top[1].key, top[0].answer, top[0].count) == ("beret", '"yes"', 5)


def test_answers_stay_text(app, history, instructor):
    client = signed_in(app, instructor)
    for path in ("/courses/stats/rules", "/courses/stats/items/analysis"):
        body = client.get(path).get_data(as_text=True)
        assert HOSTILE not in body
    body = client.get("/courses/stats/rules").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def statements(app: Flask, history: History) -> int:
    """How many statements both reports run; each must be a read."""
    found: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        found.append(statement)

    with app.app_context():
        course = course_of(history)
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            item_stats.item_report(course)
            item_stats.rule_report(course)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert all(statement.lstrip().upper().startswith("SELECT") for statement in found), found
    return len(found)


def test_the_number_of_queries_does_not_grow_with_the_history(app, history):
    before = statements(app, history)
    assert before == 7  # items, responses, disputes; titles, items, practice, exam
    with app.app_context():
        for _ in range(3):
            for boots, sandals, (third, answer), beret, disputed in TABLE:
                history.attempt([("boots", boots), ("sandals", sandals), (third, answer),
                                 ("beret", beret)], {"beret"} if disputed else set())
        history.practice(PRACTICE * 3)
        db.session.commit()
    assert statements(app, history) == before


@pytest.mark.parametrize("path", ["/courses/stats/items/analysis", "/courses/stats/rules"])
def test_only_the_course_staff_and_admins_see_the_pages(app, history, make_user, path):
    other = make_user(Role.INSTRUCTOR)
    with app.app_context():
        catalog.create_course(catalog.CourseFields(slug="other", title="Other"),
                              db.session.get(User, other.id))
        db.session.commit()
    assert app.test_client().get(path).headers["Location"].startswith("/auth/login")
    assert signed_in(app, make_user(Role.TRAINEE)).get(path).status_code == 403
    assert signed_in(app, other).get(path).status_code == 403
    assert signed_in(app, make_user(Role.ADMIN)).get(path).status_code == 200


def test_a_trainee_cannot_add_a_callout(app, history, make_user):
    client = signed_in(app, make_user(Role.TRAINEE))
    response = post_form(client, "/courses/stats/rules/callout",
                         {"section": "hats", "item": "beret", "answer": '"yes"'})
    assert response.status_code == 403
    with app.app_context():
        assert manuals.draft_of(course_of(history)) is None


def draft_and_latest(app: Flask, history: History) -> tuple[str | None, int]:
    with app.app_context():
        course = course_of(history)
        draft = manuals.draft_of(course)
        assert draft is None or draft.status == VersionStatus.DRAFT
        return (draft.markdown if draft else None), manuals.latest_version(course).number


def test_the_callout_button_creates_a_draft_without_publishing(app, history, instructor):
    client = signed_in(app, instructor)
    page = client.get("/courses/stats/rules").get_data(as_text=True)
    assert "Add a call-out to the next draft" in page
    assert draft_and_latest(app, history) == (None, 1)
    response = post_form(client, "/courses/stats/rules/callout",
                         {"section": "hats", "item": "beret", "answer": '"yes"'},
                         page="/courses/stats/rules")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/courses/stats/manual/draft")
    markdown, latest = draft_and_latest(app, history)
    assert latest == 1
    hats = markdown.index("# Hats")
    callout = markdown.index("::: note")
    assert callout > hats and 'item `beret`, trainees answered `"yes"` (5 times)' in markdown
    assert markdown.startswith(MANUAL.split("# Hats")[0])
    editor = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "A call-out about item beret was added to the draft under “Hats”" in editor


def test_the_callout_button_appends_to_an_existing_draft(app, history, instructor):
    with app.app_context():
        manuals.save_draft(course_of(history), MANUAL.replace("Shoes are", "Shoes really are"),
                           db.session.get(User, instructor.id))
        db.session.commit()
    client = signed_in(app, instructor)
    response = post_form(client, "/courses/stats/rules/callout",
                         {"section": "hats", "item": "cap", "answer": f'"{HOSTILE}"'},
                         page="/courses/stats/rules")
    assert response.status_code == 302
    markdown, latest = draft_and_latest(app, history)
    assert latest == 1
    assert "Shoes really are" in markdown
    assert markdown.rstrip().endswith(":::")  # hats is the last section
    assert f'`"{HOSTILE}"`' in markdown  # a code span: shown as typed, never run
    assert not manuals.publish_problems(markdown, "Call-out.", [], False)


def test_a_mistake_no_longer_common_adds_nothing(app, history, instructor):
    client = signed_in(app, instructor)
    response = post_form(client, "/courses/stats/rules/callout",
                         {"section": "hats", "item": "beret", "answer": '"maybe"'},
                         page="/courses/stats/rules")
    assert response.status_code == 302 and response.headers["Location"].endswith("/rules")
    assert draft_and_latest(app, history) == (None, 1)


def test_an_empty_course_says_so(app, instructor):
    with app.app_context():
        catalog.create_course(catalog.CourseFields(slug="empty", title="Empty"),
                              db.session.get(User, instructor.id))
        db.session.commit()
    client = signed_in(app, instructor)
    assert "No graded qualification attempt yet" in client.get(
        "/courses/empty/items/analysis").get_data(as_text=True)
    assert "The manual has no sections yet" in client.get(
        "/courses/empty/rules").get_data(as_text=True)


def test_the_pages_are_linked_from_the_dashboard_and_the_course_pages(app, history, instructor):
    client = signed_in(app, instructor)
    for path in ("/courses/stats/dashboard", "/courses/stats", "/courses/manage"):
        body = client.get(path).get_data(as_text=True)
        assert 'href="/courses/stats/items/analysis"' in body, path
        assert 'href="/courses/stats/rules"' in body, path


def test_a_callout_lands_at_the_end_of_its_section_or_of_the_manual():
    text, found = callouts.insert_under_section(MANUAL, "shoes", "::: note\nX\n:::")
    assert found and text == ("# Shoes {#shoes}\n\nShoes are clothing.\n\n::: note\nX\n:::\n\n"
                              "# Hats {#hats}\n\nHats are clothing.\n")
    text, found = callouts.insert_under_section(MANUAL, "gone", "::: note\nX\n:::")
    assert not found and text == MANUAL + "\n::: note\nX\n:::\n"
    assert callouts.inline_code("a `b` c") == "``a `b` c``"
    assert callouts.inline_code("`x") == "`` `x ``"
