"""Fixtures for the exam pages' tests: a course whose exam mixes item kinds and critical items.

The golds carry distinctive markers (explanations, odd coordinates and offsets, option names),
so a scan of every response a trainee receives can tell that no gold reached the browser.
Everything is built through the services; nothing here is autouse.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Course, Item, MediaFile
from courses.services import enrolment, items
from exams.models import Attempt, Response
from exams.services import settings
from tests.factories import make_course, native, signed_in
from tests.helpers import CSRF_PATTERN

SLUG = "exam-taking"

EXAM_MANUAL = """# Exam basics {#basics}

Read every rule before the exam.

## Clothing {#clothing}

Hats and leggings are clothing; armour and tights are not.

## Street scenes {#street}

Box every car and cyclist. A person walking a bicycle is a pedestrian.

## Calls {#calls}

Mark what the caller wants.
"""

# No digits in the text: the gold's offsets must be findable in a page only if they leak.
SPAN_TEXT = ("Good morning, thank you for taking my call. I have been a customer for many "
             "years and I am mostly happy with the service, but the last few bills were far "
             "higher than I expected and nobody could tell me why. After a long talk with my "
             "family I decided that I want to cancel the subscription before the end of the "
             "month, so please tell me what I have to do next.")
SPAN_GOLD = [{"start": SPAN_TEXT.index("cancel the subscription"),
              "end": SPAN_TEXT.index("cancel the subscription") + len("cancel the subscription"),
              "label": "intent"}]
BOXES_SPEC = {"width": 400, "height": 300, "labels": ["car", "cyclist"]}
BOXES_GOLD = [{"label": "car", "x": 131.771, "y": 41.913, "w": 73.337, "h": 59.119},
              {"label": "cyclist", "x": 251.427, "y": 88.613, "w": 31.559, "h": 97.283}]
CHOICE_GOLD = "quokka-gold-opt"
STREET_GOLD = "walking-rider-pedestrian"
LABELS_GOLD = ["hat", "legging"]

EXPLANATION = "GOLD-EXPLANATION-{key}"

# The exam pool in bank order (shuffle is off, so attempts show them in this order).
EXAM_KEYS = ["c-critical", "l-critical", "b-street", "s-call", "c-street", "c-plain"]


def exam_natives() -> list[dict]:
    def exam(key, kind, spec, gold, sections, *, critical=False, media=None, prompt=None):
        item = native(key, kind, spec, gold, sections, media=media, pools=("exam",),
                      explanation=EXPLANATION.format(key=key), prompt=prompt)
        item["critical"] = critical
        return item

    return [
        exam("c-critical", "choice", {"options": ["zebra-wrong-opt", CHOICE_GOLD]}, CHOICE_GOLD,
             ["clothing"], critical=True, media="media/shirt.png",
             prompt="Is the thing in the picture clothing?"),
        exam("l-critical", "labels", {"options": ["hat", "armour", "legging", "tights"]},
             LABELS_GOLD, ["clothing"], critical=True, prompt="Which of these are clothing?"),
        exam("b-street", "boxes", BOXES_SPEC, BOXES_GOLD, ["street"], media="media/street.png",
             prompt="Box every car and cyclist."),
        exam("s-call", "spans", {"text": SPAN_TEXT, "labels": ["intent", "object"]}, SPAN_GOLD,
             ["calls"], prompt="Mark what the caller wants."),
        exam("c-street", "choice", {"options": [STREET_GOLD, "walking-rider-cyclist"]},
             STREET_GOLD, ["street"], prompt="A person walks a bicycle across. What is it?"),
        exam("c-plain", "choice", {"options": ["heron-opt", "ibis-gold-opt"]}, "ibis-gold-opt",
             ["clothing"], prompt="Which bird is clothing, as a test of wrong answers?"),
        native("p-only", "choice", {"options": ["yes", "no"]}, "yes", ["clothing"]),
    ]


RULES = settings.ExamRules(
    item_count=len(EXAM_KEYS), quotas={}, shuffle=False, pass_mark=0.5, critical_rule=True,
    time_limit_seconds=1800, attempts_allowed=2, retry_delay_seconds=3600, validity_days=365,
    refresh_item_count=2, refresh_grace_days=7)


def fake_png(spec: dict | None) -> bytes:
    return b"\x89PNG\r\n\x1a\nnot-really-an-image"


def make_exam_course(app: Flask, author: User, enrol: tuple[User, ...] = (), *,
                     slug: str = SLUG, rules: settings.ExamRules = RULES,
                     image: Callable[[dict | None], bytes] = fake_png) -> int:
    """An open course with a published manual, media, the exam pool and rules; enrols."""
    course_id = make_course(app, author, slug, versions=(EXAM_MANUAL,), title="Exam taking")
    with app.app_context():
        course = db.session.get(Course, course_id)
        actor = db.session.get(User, author.id)
        for path, spec in (("media/shirt.png", {"width": 120, "height": 90}),
                           ("media/street.png", BOXES_SPEC)):
            content = image(spec)
            db.session.add(MediaFile(course_id=course_id, path=path, content=content,
                                     sha256=hashlib.sha256(content).hexdigest()))
        items.upsert_items(course, exam_natives(), actor, "test")
        settings.save_settings(course, rules, actor)
        for trainee in enrol:
            enrolment.enrol(db.session.get(User, trainee.id), course,
                            enrolment.EnrollmentSource.SELF)
        db.session.commit()
    return course_id


def has_number(body: str, number: float) -> bool:
    """True when `number` stands in `body` as a whole token: 59.119 is found in "h": 59.119
    but not in a time such as 21:44:59.119Z, nor 41 in 41.913, so only a real leak matches."""
    return re.search(rf"(?<![\w.]){re.escape(str(number))}(?![\w.])", body) is not None


def gold_leaks(body: str, *, options_shown: bool = False) -> list[str]:
    """Every exam gold (or explanation) found in a response body.

    Choice and labels golds are options, which the take page must show: `options_shown`
    skips them there (the take page is still scanned for all the rest).
    """
    found = [f"explanation of {key}" for key in EXAM_KEYS
             if EXPLANATION.format(key=key) in body]
    for box in BOXES_GOLD:
        found += [f"box coordinate {box[c]}" for c in "xywh" if has_number(body, box[c])]
    for span in SPAN_GOLD:
        found += [f"span offset {span[end]}" for end in ("start", "end")
                  if has_number(body, span[end])]
    if not options_shown:
        found += [f"choice gold {gold}" for gold in (CHOICE_GOLD, STREET_GOLD, "ibis-gold-opt")
                  if gold in body]
        found += ["labels gold"] * ("hat, legging" in body or "hat" in body.split())
    return found


@dataclass
class Taker:
    """A logged-in trainee's client that remembers every response body it received."""

    client: FlaskClient
    bodies: list[tuple[str, str]]

    def _keep(self, label: str, response):
        self.bodies.append((label, response.get_data().decode("utf-8", "replace")))
        return response

    def get(self, path: str, **kwargs):
        return self._keep(f"GET {path}", self.client.get(path, **kwargs))

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self._keep(f"POST {path}", self.client.post(path, data=data, **kwargs))

    def token(self, path: str) -> str:
        match = CSRF_PATTERN.search(self.get(path).get_data(as_text=True))
        assert match, path
        return match.group(1)

    def save(self, attempt_id: int, position: int, answer, seq: int, token: str | None = None,
             raw: str | None = None):
        headers = {"X-CSRFToken": token} if token else {}
        path = f"/attempts/{attempt_id}/answers/{position}"
        if raw is not None:
            response = self.client.put(path, data=raw, headers=headers,
                                       content_type="application/json")
        else:
            response = self.client.put(path, json={"answer": answer, "seq": seq},
                                       headers=headers)
        return self._keep(f"PUT {path}", response)

    def start(self, slug: str = SLUG) -> int:
        """Start (or resume) the exam through the page; returns the attempt id."""
        token = self.token(f"/courses/{slug}/exam")
        response = self.post(f"/courses/{slug}/exam/start", {"csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        match = re.fullmatch(r"/attempts/(\d+)", response.headers["Location"])
        assert match, response.headers["Location"]
        return int(match.group(1))


def positions(app: Flask, attempt_id: int) -> dict[str, int]:
    """Item key -> position in the attempt."""
    with app.app_context():
        rows = db.session.execute(
            select(Item.key, Response.position).join(Response, Response.item_id == Item.id)
            .where(Response.attempt_id == attempt_id)).all()
        return dict(rows)


def stored_answers(app: Flask, attempt_id: int) -> dict[int, tuple[object, int]]:
    """Position -> (answer, seq) as stored."""
    with app.app_context():
        return {r.position: (r.answer, r.answer_seq) for r in db.session.scalars(
            select(Response).where(Response.attempt_id == attempt_id))}


def attempt_row(app: Flask, attempt_id: int) -> Attempt:
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


@pytest.fixture
def exam_staff(make_user) -> User:
    return make_user(Role.INSTRUCTOR)


@pytest.fixture
def exam_trainee(make_user) -> User:
    return make_user(Role.TRAINEE)


@pytest.fixture
def exam_course(app: Flask, exam_staff: User, exam_trainee: User) -> int:
    return make_exam_course(app, exam_staff, (exam_trainee,))


@pytest.fixture
def taker(app: Flask, exam_course: int, exam_trainee: User) -> Taker:
    return Taker(signed_in(app, exam_trainee), [])
