"""Builders and helpers shared by the integration tests: courses, manuals, gold items,
practice courses, cohorts and invitations made through the services, a signed-in client, form
posts with their CSRF token, row and event counts; courses with an exam, attempts taken through
the services, and a trainee's client that keeps every page it got (to look for leaked golds).
Plain functions: fixtures live in the conftest.py files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bootcamp.audit import AuditEntry
from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.models import (
    Cohort,
    Course,
    CourseStatus,
    Enrollment,
    Invitation,
    Item,
    ItemRevision,
    ItemStatus,
    ManualVersion,
    MediaFile,
    PracticeAnswer,
)
from exams.models import Attempt, Response
from exams.rules import ExamRules
from exams.sequential import SequentialRules
from tests.helpers import CSRF_PATTERN, csrf_token, log_in

COUNTED = {
    "courses": Course,
    "manual_versions": ManualVersion,
    "media_files": MediaFile,
    "events": Event,
    "audit_entries": AuditEntry,
    "cohorts": Cohort,
    "enrollments": Enrollment,
    "invitations": Invitation,
    "items": Item,
    "item_revisions": ItemRevision,
    "practice_answers": PracticeAnswer,
}

MANUAL_V1 = """# Tagging clothing {#introduction}

Tag every piece of clothing.

## What counts {#what-counts}

Real wearable items: shirts, dresses and coats.

## Shoes {#shoes}

Shoes yes, flippers no.

## Towels {#towels}

A towel is not clothing.
"""

MANUAL_V2 = """# Tagging clothing {#introduction}

Tag every piece of clothing.

## What counts {#what-counts}

Real wearable items: shirts, dresses, coats and hats.

## Towels {#towels}

A towel is not clothing.

## Armour {#armour}

Clothing yes, armour no.
"""

# Two versions whose diff has every kind of change: gloves moved, what-counts changed,
# shoes removed, hats added; intro and towels unchanged.
DIFF_OLD = """# Intro {#intro}

Welcome.

## What counts {#what-counts}

Shirts and dresses.

## Shoes {#shoes}

Shoes yes, flippers no.

## Towels {#towels}

A towel is not clothing.

## Gloves {#gloves}

Gloves are clothing.
"""

DIFF_NEW = """# Intro {#intro}

Welcome.

## Gloves {#gloves}

Gloves are clothing.

## What counts {#what-counts}

Shirts, dresses and hats.

## Towels {#towels}

A towel is not clothing.

## Hats {#hats}

Hats are clothing.
"""

INVITE_LINK = re.compile(r'id="invite-link" type="text" readonly value="http://localhost'
                         r'(/courses/invite/[^"]+)"')


def row_counts(app: Flask) -> dict[str, int]:
    """How many rows each courses-related table (and the two logs) holds."""
    with app.app_context():
        return {name: db.session.scalar(select(func.count()).select_from(model))
                for name, model in COUNTED.items()}


def signed_in(app: Flask, user: User) -> FlaskClient:
    """A new client of `app`, logged in as `user` through the real form."""
    client = app.test_client()
    response = log_in(client, user.email)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


# The sequential test's fields as the page fills them with the defaults (levels and rates in %).
SEQUENTIAL_DATA = {"mode": "fixed", "sequential_p0": "70", "sequential_p1": "85",
                   "sequential_alpha": "5", "sequential_beta": "5", "sequential_min_items": "10",
                   "sequential_max_items": "123", "sequential_cut": ""}


def post_form(client: FlaskClient, path: str, data: dict | None = None,
              page: str = "/courses/", **kwargs):
    """POST `data` to `path` with a real CSRF token read from `page`."""
    payload = dict(data or {})
    payload["csrf_token"] = csrf_token(client, page)
    return client.post(path, data=payload, **kwargs)


def make_course(app: Flask, author: User, slug: str = "tagging", *,
                status: CourseStatus = CourseStatus.OPEN, versions: tuple[str, ...] = (),
                title: str | None = None, **fields) -> int:
    """Create a course with published manual versions (changelog "Changed." after the first)."""
    from courses.services import catalog, manuals

    with app.app_context():
        actor = db.session.get(User, author.id)
        course = catalog.create_course(catalog.CourseFields(
            slug=slug, title=title or slug.replace("-", " ").capitalize(), status=status,
            **fields), actor)
        for number, markdown in enumerate(versions, start=1):
            manuals.save_draft(course, markdown, actor)
            manuals.publish_draft(course, "" if number == 1 else f"Changed in {number}.", [],
                                  actor)
        db.session.commit()
        return course.id


PRACTICE_MANUAL = """# Clothing {#clothing}

Tag every piece of clothing.

## Shoes {#shoes}

Shoes yes, flippers no.

## Street scenes {#street}

Box every car, pedestrian and cyclist.

## Poses {#pose}

Place the nose and the wrists.

## Calls {#calls}

Mark what the caller wants.
"""

BOXES_SPEC = {"width": 200, "height": 100, "labels": ["car", "pedestrian", "cyclist"]}
BOXES_GOLD = [{"label": "car", "x": 10, "y": 10, "w": 60, "h": 40},
              {"label": "cyclist", "x": 120, "y": 20, "w": 30, "h": 60},
              {"label": "pedestrian", "x": 160, "y": 20, "w": 20, "h": 50}]
POINTS_SPEC = {"width": 200, "height": 150, "keypoints": ["nose", "left_wrist", "right_wrist"]}
POINTS_GOLD = [{"keypoints": {"nose": [100, 30, 2], "left_wrist": [60, 100, 2],
                              "right_wrist": [140, 100, 2]}, "area": 6000}]
SPANS_SPEC = {"text": "I want to cancel my contract today.", "labels": ["intent", "object"]}
SPANS_GOLD = [{"start": 2, "end": 16, "label": "intent"}, {"start": 17, "end": 28,
                                                           "label": "object"}]


def native(key: str, kind: str, spec: dict, gold, sections: list[str], *,
           media: str | None = None, pools: tuple[str, ...] = ("practice",),
           explanation: str = "", prompt: str | None = None) -> dict:
    """One item as items.jsonl has it."""
    return {"id": key, "kind": kind, "prompt": prompt or f"Question {key}?", "media": media,
            "spec": spec, "gold": gold, "explanation": explanation, "sections": sections,
            "critical": False, "pools": list(pools)}


def practice_natives() -> list[dict]:
    """Items of every kind; one exam-only, one retired, one whose section is not in the manual."""
    yes_no = {"options": ["yes", "no"]}
    return [
        native("outfit", "labels", {"options": ["shirt", "shoe", "towel", "hat"]},
               ["shirt", "shoe"], ["clothing", "shoes"],
               explanation="Towels are **not** clothing."),
        native("shoe", "choice", yes_no, "yes", ["shoes"], explanation="Shoes are **clothing**.",
               prompt="Is a shoe clothing?"),
        native("flipper", "choice", yes_no, "no", ["shoes", "clothing"],
               explanation="Flippers are sports equipment."),
        native("exam-only", "choice", yes_no, "no", ["shoes"], pools=("exam",)),
        native("retired", "choice", yes_no, "no", ["shoes"]),  # retired by make_practice_course
        native("street", "boxes", BOXES_SPEC, BOXES_GOLD, ["street"], media="media/street.png",
               explanation="The person walking a bicycle is a pedestrian."),
        native("pose", "points", POINTS_SPEC, POINTS_GOLD, ["pose"], media="media/pose.png"),
        native("call", "spans", SPANS_SPEC, SPANS_GOLD, ["calls"]),
        native("orphan", "choice", yes_no, "yes", ["no-such-section"]),
    ]


def make_practice_course(app: Flask, author: User, slug: str = "practice",
                         enrol: tuple[User, ...] = ()) -> int:
    """An open course with a published manual, media and practice items of every kind."""
    from courses.services import enrolment, items

    course_id = make_course(app, author, slug, versions=(PRACTICE_MANUAL,))
    with app.app_context():
        course = db.session.get(Course, course_id)
        for name in ("street.png", "pose.png"):
            db.session.add(MediaFile(course_id=course_id, path=f"media/{name}",
                                     content=b"\x89PNG\r\n\x1a\n" + name.encode(),
                                     sha256=name.ljust(64, "0")[:64]))
        items.upsert_items(course, practice_natives(), db.session.get(User, author.id), "test")
        retired = db.session.scalar(select(Item).where(Item.course_id == course_id,
                                                       Item.key == "retired"))
        retired.status = ItemStatus.RETIRED
        for trainee in enrol:
            enrolment.enrol(db.session.get(User, trainee.id), course,
                            enrolment.EnrollmentSource.SELF)
        db.session.commit()
    return course_id


def make_cohort(app: Flask, course_id: int, author: User, capacity: int | None = None,
                name: str = "March intake") -> int:
    from courses.services import enrolment

    with app.app_context():
        course = db.session.get(Course, course_id)
        cohort = enrolment.create_cohort(course, name, date(2026, 3, 2), capacity,
                                         db.session.get(User, author.id))
        db.session.commit()
        return cohort.id


def invite_link(app: Flask, instructor: User, cohort_id: int, days: int = 14,
                slug: str = "tagging") -> str:
    """The path of a new invite link to a cohort, made through the cohort page."""
    client = signed_in(app, instructor)
    page = post_form(client, f"/courses/{slug}/cohorts/{cohort_id}/link", {"days": str(days)})
    assert page.status_code == 200
    match = INVITE_LINK.search(page.get_data(as_text=True))
    assert match, page.get_data(as_text=True)
    return match.group(1)


def events_of(app: Flask, kind: str, user_id: int | None = None) -> list[dict]:
    """The data of every event of this kind (of this user), oldest first."""
    with app.app_context():
        query = select(Event).where(Event.kind == kind).order_by(Event.id)
        if user_id is not None:
            query = query.where(Event.user_id == user_id)
        return [{"course_id": e.course_id, "user_id": e.user_id, **e.data}
                for e in db.session.scalars(query)]


# Exams: three courses with an exam, built through the services. The taking course mixes item
# kinds and critical items for the trainee's pages (its golds carry markers that a scan of every
# response can look for); the world is a course of choice items for the exam services; the
# manage course is the instructor pages' (one attempt, every item needed to pass).

TAKING_SLUG = "exam-taking"
TAKING_MANUAL = """# Exam basics {#basics}

Read every rule before the exam.

## Clothing {#clothing}

Hats and leggings are clothing; armour and tights are not.

## Street scenes {#street}

Box every car and cyclist. A person walking a bicycle is a pedestrian.

## Calls {#calls}

Mark what the caller wants.
"""

# No digits in the text: the gold's offsets must be findable in a page only if they leak.
TAKING_SPAN_TEXT = (
    "Good morning, thank you for taking my call. I have been a customer for many years and I "
    "am mostly happy with the service, but the last few bills were far higher than I expected "
    "and nobody could tell me why. After a long talk with my family I decided that I want to "
    "cancel the subscription before the end of the month, so please tell me what I have to do "
    "next.")
_INTENT = "cancel the subscription"
TAKING_SPAN_GOLD = [{"start": TAKING_SPAN_TEXT.index(_INTENT),
                     "end": TAKING_SPAN_TEXT.index(_INTENT) + len(_INTENT), "label": "intent"}]
TAKING_BOXES_SPEC = {"width": 400, "height": 300, "labels": ["car", "cyclist"]}
TAKING_BOXES_GOLD = [{"label": "car", "x": 131.771, "y": 41.913, "w": 73.337, "h": 59.119},
                     {"label": "cyclist", "x": 251.427, "y": 88.613, "w": 31.559, "h": 97.283}]
CHOICE_GOLD = "quokka-gold-opt"
STREET_GOLD = "walking-rider-pedestrian"
LABELS_GOLD = ["hat", "legging"]
EXPLANATION = "GOLD-EXPLANATION-{key}"

# The taking course's exam pool in bank order (shuffle is off: attempts show this order).
TAKING_KEYS = ["c-critical", "l-critical", "b-street", "s-call", "c-street", "c-plain"]


def taking_natives() -> list[dict]:
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
        exam("b-street", "boxes", TAKING_BOXES_SPEC, TAKING_BOXES_GOLD, ["street"],
             media="media/street.png", prompt="Box every car and cyclist."),
        exam("s-call", "spans", {"text": TAKING_SPAN_TEXT, "labels": ["intent", "object"]},
             TAKING_SPAN_GOLD, ["calls"], prompt="Mark what the caller wants."),
        exam("c-street", "choice", {"options": [STREET_GOLD, "walking-rider-cyclist"]},
             STREET_GOLD, ["street"], prompt="A person walks a bicycle across. What is it?"),
        exam("c-plain", "choice", {"options": ["heron-opt", "ibis-gold-opt"]}, "ibis-gold-opt",
             ["clothing"], prompt="Which bird is clothing, as a test of wrong answers?"),
        native("p-only", "choice", {"options": ["yes", "no"]}, "yes", ["clothing"]),
    ]


def _rules(**values) -> ExamRules:
    return ExamRules(quotas={}, critical_rule=True, refresh_item_count=2, refresh_grace_days=7,
                     **values)


TAKING_RULES = _rules(item_count=len(TAKING_KEYS), shuffle=False, pass_mark=0.5,
                      time_limit_seconds=1800, attempts_allowed=2, retry_delay_seconds=3600,
                      validity_days=365)


def fake_png(spec: dict | None) -> bytes:
    return b"\x89PNG\r\n\x1a\nnot-really-an-image"


def _exam_course(app: Flask, author: User, slug: str, manual: str, natives: list[dict],
                 rules: ExamRules, enrol: tuple[User, ...] = (), *, title: str | None = None,
                 media: dict[str, bytes] | None = None) -> int:
    """An open course with a published manual, media, the items and exam rules; enrols."""
    from courses.services import enrolment, items
    from exams.services import settings

    course_id = make_course(app, author, slug, versions=(manual,), title=title)
    with app.app_context():
        course = db.session.get(Course, course_id)
        actor = db.session.get(User, author.id)
        for path, content in (media or {}).items():
            db.session.add(MediaFile(course_id=course_id, path=path, content=content,
                                     sha256=hashlib.sha256(content).hexdigest()))
        items.upsert_items(course, natives, actor, "test")
        settings.save_settings(course, rules, actor)
        for trainee in enrol:
            enrolment.enrol(db.session.get(User, trainee.id), course,
                            enrolment.EnrollmentSource.SELF)
        db.session.commit()
    return course_id


def make_exam_course(app: Flask, author: User, enrol: tuple[User, ...] = (), *,
                     slug: str = TAKING_SLUG, rules: ExamRules = TAKING_RULES,
                     image: Callable[[dict | None], bytes] = fake_png) -> int:
    """The taking course: mixed kinds with media, the exam pool and rules; enrols."""
    media = {path: image(spec) for path, spec in (
        ("media/shirt.png", {"width": 120, "height": 90}), ("media/street.png", TAKING_BOXES_SPEC))}
    return _exam_course(app, author, slug, TAKING_MANUAL, taking_natives(), rules, enrol,
                        title="Exam taking", media=media)


# The drawn kinds' exam: the taking course's items and a tracks and a cuboids item on the
# street-scenes demo's exam clip and cloud, with golds of numbers that only a leak can show.
KINDS_SLUG = "exam-kinds"
KINDS_MANUAL = TAKING_MANUAL + """
## Following road users {#tracks}

Follow every car through the clip, frame by frame.

## Lidar {#lidar}

Draw a cuboid around every car in the point cloud.
"""
STREET_MEDIA = Path(__file__).resolve().parents[1] / "examples" / "street-scenes" / "media"
CLIP, CLOUD = "media/clip-02.png", "media/lidar-02.pcd"
TRACKS_SPEC = {"width": 320, "height": 180, "frames": 24,
               "labels": ["car", "pedestrian", "cyclist"]}
TRACKS_GOLD = [{"id": 1, "label": "car", "boxes": {
    str(frame): {"x": x, "y": 87.263, "w": 56.371, "h": 25.189}
    for frame, x in enumerate((61.437, 73.529, 85.613, 97.841))}}]
CUBOIDS_SPEC = {"labels": ["car", "motorcycle"],
                "range": {"x": [-30, 30], "y": [-12, 12], "z": [-3, 3]}}
CUBOIDS_GOLD = [{"label": "car", "x": 12.347, "y": 4.613, "z": -0.981, "l": 4.417,
                 "w": 1.823, "h": 1.537, "yaw": 3.1216}]
KINDS_KEYS = [*TAKING_KEYS, "t-clip", "q-cloud"]
KINDS_RULES = replace(TAKING_RULES, item_count=len(KINDS_KEYS))


def kinds_natives() -> list[dict]:
    """The taking course's items, then the tracks and the cuboids exam items."""
    drawn = [native("t-clip", "tracks", TRACKS_SPEC, TRACKS_GOLD, ["tracks"], media=CLIP,
                    pools=("exam",), prompt="Follow every car through the clip."),
             native("q-cloud", "cuboids", CUBOIDS_SPEC, CUBOIDS_GOLD, ["lidar"], media=CLOUD,
                    pools=("exam",), prompt="Draw a cuboid around every car.")]
    for item in drawn:
        item["explanation"] = EXPLANATION.format(key=item["id"])
    return [*taking_natives(), *drawn]


def make_kinds_exam_course(app: Flask, author: User, enrol: tuple[User, ...] = (), *,
                           image: Callable[[dict | None], bytes] = fake_png) -> int:
    """The drawn kinds' course: every kind in one exam, in bank order; enrols."""
    media = {path: image(spec) for path, spec in (
        ("media/shirt.png", {"width": 120, "height": 90}), ("media/street.png", TAKING_BOXES_SPEC))}
    media |= {path: (STREET_MEDIA / path.removeprefix("media/")).read_bytes()
              for path in (CLIP, CLOUD)}
    return _exam_course(app, author, KINDS_SLUG, KINDS_MANUAL, kinds_natives(), KINDS_RULES,
                        enrol, title="Exam of every kind", media=media)


@dataclass(frozen=True)
class ExamWorld:
    """A course with an exam, its instructor and one enrolled trainee."""

    course_id: int
    instructor: User
    trainee: User

    def course(self) -> Course:
        return db.session.get(Course, self.course_id)

    def user(self, user: User) -> User:
        return db.session.get(User, user.id)


def _world(app: Flask, make_user, slug: str, manual: str, natives: list[dict],
           rules: ExamRules) -> ExamWorld:
    from bootcamp.users.models import Role

    instructor, trainee = make_user(Role.INSTRUCTOR), make_user()
    course_id = _exam_course(app, instructor, slug, manual, natives, rules, (trainee,))
    return ExamWorld(course_id, instructor, trainee)


WORLD_MANUAL = """# Intro {#intro}

Welcome.

## Shoes {#shoes}

Shoes are clothing.

## Hats {#hats}

Hats are clothing.

## Towels {#towels}

Towels are not clothing.
"""
WORLD_MANUAL_V2 = WORLD_MANUAL.replace("Hats are clothing.", "Hats are clothing, helmets are not.")
WORLD_RULES = _rules(item_count=4, shuffle=True, pass_mark=0.75, time_limit_seconds=600,
                     attempts_allowed=2, retry_delay_seconds=3600, validity_days=30)
_YES_NO = {"options": ["yes", "no"]}


def world_natives() -> list[dict]:
    """Three shoe, three hat and two towel items, all exam items; the last towel critical."""
    natives = [native(f"{kind}-{n}", "choice", _YES_NO, gold, [f"{kind}s"], pools=("exam",))
               for kind, count, gold in (("shoe", 3, "yes"), ("hat", 3, "yes"), ("towel", 2, "no"))
               for n in range(count)]
    natives[-1]["critical"] = True
    return natives


def make_world(app: Flask, make_user, rules: ExamRules = WORLD_RULES) -> ExamWorld:
    """The world of the exam services' tests: choice items on shoes, hats and towels."""
    return _world(app, make_user, "exam-course", WORLD_MANUAL, world_natives(), rules)


MANAGE_SLUG = "exam-manage"
MANAGE_MANUAL = WORLD_MANUAL.split("\n## Towels")[0]
# Four exam items, every one needed to pass: one miss fails, and there is one attempt only.
MANAGE_RULES = _rules(item_count=4, shuffle=False, pass_mark=1.0, time_limit_seconds=600,
                      attempts_allowed=1, retry_delay_seconds=0, validity_days=30)


def manage_natives() -> list[dict]:
    """Two shoe and two hat exam items, and a practice item."""
    natives = [native(f"{kind}-{n}", "choice", _YES_NO, "yes", [f"{kind}s"], pools=("exam",))
               for kind in ("shoe", "hat") for n in range(2)]
    return [*natives, native("boots", "choice", _YES_NO, "yes", ["shoes"], pools=("practice",))]


def make_manage_world(app: Flask, make_user, rules: ExamRules = MANAGE_RULES) -> ExamWorld:
    """The world of the instructor pages' tests."""
    return _world(app, make_user, MANAGE_SLUG, MANAGE_MANUAL, manage_natives(), rules)


def answer_all(attempt: Attempt, *, wrong: set[str] = frozenset(),
               now: datetime | None = None) -> None:
    """Answer every item of an open attempt: the gold, except for the item keys in `wrong`
    (answered "no" for "yes" and "yes" otherwise)."""
    from exams.services import attempts

    for response in attempt.responses:
        item = db.session.get(Item, response.item_id)
        given = item.gold if item.key not in wrong else ("no" if item.gold == "yes" else "yes")
        attempts.save_answer(attempt, response.position, given, 1, now=now)


def keys_of(attempt: Attempt) -> list[str]:
    """The item keys of an attempt, in the order shown."""
    return [db.session.get(Item, r.item_id).key for r in attempt.responses]


def take(world: ExamWorld, user: User | None = None, *, wrong: set[str] = frozenset(),
         now: datetime | None = None) -> Attempt:
    """Start, answer and submit an attempt (the world's trainee's unless `user`); returns it
    graded and committed. Inside an app context."""
    from bootcamp.types import utcnow
    from exams.services import attempts

    now = now or utcnow()
    attempt = attempts.start(world.user(user or world.trainee), world.course(), now=now)
    answer_all(attempt, wrong=wrong, now=now)
    attempts.submit(attempt, now=now)
    db.session.commit()
    return attempt


def response_of(attempt_id: int, key: str) -> Response:
    """The response of an attempt to the item with this key. Inside an app context."""
    attempt = db.session.get(Attempt, attempt_id)
    return next(r for r in attempt.responses if db.session.get(Item, r.item_id).key == key)


def publish(world: ExamWorld, markdown: str, material: list[str]) -> None:
    """Publish a new manual version of the world's course. Inside an app context."""
    from courses.services import manuals

    course = world.course()
    actor = world.user(world.instructor)
    manuals.save_draft(course, markdown, actor)
    manuals.publish_draft(course, "Changed.", material, actor)
    db.session.commit()


def has_number(body: str, number: float) -> bool:
    """True when `number` stands in `body` as a whole token: 59.119 is found in "h": 59.119
    but not in a time such as 21:44:59.119Z, nor 41 in 41.913, so only a real leak matches."""
    return re.search(rf"(?<![\w.]){re.escape(str(number))}(?![\w.])", body) is not None


def gold_leaks(body: str, *, options_shown: bool = False) -> list[str]:
    """Every gold (or explanation) of the taking course found in a response body.

    Choice and labels golds are options, which the take page must show: `options_shown`
    skips them there (the take page is still scanned for all the rest).
    """
    found = [f"explanation of {key}" for key in TAKING_KEYS
             if EXPLANATION.format(key=key) in body]
    for box in TAKING_BOXES_GOLD:
        found += [f"box coordinate {box[c]}" for c in "xywh" if has_number(body, box[c])]
    for span in TAKING_SPAN_GOLD:
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

    def start(self, slug: str = TAKING_SLUG) -> int:
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


def grades_of(app: Flask, attempt_id: int) -> dict[str, tuple[float | None, bool | None]]:
    """Item key -> (points, correct) as graded."""
    with app.app_context():
        rows = db.session.execute(
            select(Item.key, Response.points, Response.correct)
            .join(Response, Response.item_id == Item.id)
            .where(Response.attempt_id == attempt_id)).all()
        return {key: (points, correct) for key, points, correct in rows}


def attempt_row(app: Flask, attempt_id: int) -> Attempt:
    """The attempt as stored, detached from the session."""
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        db.session.expunge(attempt)
        return attempt


# A sequential exam (exams.blocks): forty yes/no items on shoes and hats and one critical
# towel item, the only item on towels, which a quota puts in the first block. The test:
# p0 0.5, p1 0.9, 5% error each way, 5 to 20 items; all right passes at item 6, all wrong
# fails at item 5. Tests give these rules through the seam (use_sequential).
SEQUENTIAL_TEST = SequentialRules(p0=0.5, p1=0.9, alpha=0.05, beta=0.05, min_items=5,
                                  max_items=20)
SEQUENTIAL_EXAM_RULES = replace(
    _rules(item_count=10, shuffle=True, pass_mark=0.75, time_limit_seconds=600,
           attempts_allowed=3, retry_delay_seconds=0, validity_days=30),
    quotas={"towels": 1, "hats": 2})


def use_sequential(monkeypatch, rules: SequentialRules = SEQUENTIAL_TEST) -> None:
    """Make every course's exam sequential with `rules`: the seam
    (exams.services.settings.sequential_rules) patched where it is read, which spares each
    test the settings form (the seam's own test saves real settings)."""
    from exams.services import attempts, settings, summary

    for module in (settings, attempts, summary):
        monkeypatch.setattr(module, "sequential_rules", lambda _settings: rules)


def sequential_natives() -> list[dict]:
    natives = [native(f"{kind}-{n}", "choice", _YES_NO, "yes" if n % 3 else "no",
                      [f"{kind}s"], pools=("exam",))
               for kind in ("shoe", "hat") for n in range(20)]
    natives.append(native("towel-critical", "choice", _YES_NO, "no", ["towels"],
                          pools=("exam",)))
    natives[-1]["critical"] = True
    return natives


def make_sequential_world(app: Flask, make_user) -> ExamWorld:
    """The sequential exam's course (its rules through the seam: SEQUENTIAL_TEST)."""
    return _world(app, make_user, "sequential-course", WORLD_MANUAL, sequential_natives(),
                  SEQUENTIAL_EXAM_RULES)


def answer_block(attempt: Attempt, *, right: Callable[[int, str], bool],
                 now: datetime | None = None) -> None:
    """Answer the items of the block a sequential attempt is on: the gold where
    right(position, key), the other option elsewhere."""
    from exams.services import attempts, sequential_exams

    attempt = db.session.get(Attempt, attempt.id)
    drawn = len(attempt.responses)
    _, start = sequential_exams.progress(attempt, drawn)
    for response in attempt.responses[start - 1:]:
        item = db.session.get(Item, response.item_id)
        given = item.gold if right(response.position, item.key) else (
            "no" if item.gold == "yes" else "yes")
        attempts.save_answer(attempt, response.position, given, 1, now=now)


# The drawn kinds in a sequential exam: tracks, cuboids and choice items on the drawn kinds'
# manual. The critical tracks item is the only item on street scenes and the quotas put it and
# a cuboids item in the first block. The test: p0 0.5, p1 0.9, 5% error each way, 5 to 10
# items; all right passes at item 6, all wrong fails at item 5.
KINDS_SEQUENTIAL_SLUG = "sequential-kinds"
KINDS_SEQUENTIAL_TEST = replace(SEQUENTIAL_TEST, max_items=10)
KINDS_SEQUENTIAL_RULES = replace(SEQUENTIAL_EXAM_RULES, quotas={"street": 1, "lidar": 1})


def kinds_sequential_natives() -> list[dict]:
    """Four tracks items (the first critical, on street scenes too), four cuboids items and
    four choice items, all exam items with the drawn kinds' golds."""
    def drawn(key, kind, spec, gold, sections, media):
        return native(key, kind, spec, gold, sections, media=media, pools=("exam",),
                      explanation=EXPLANATION.format(key=key))

    natives = [drawn("t-critical", "tracks", TRACKS_SPEC, TRACKS_GOLD, ["tracks", "street"],
                     CLIP)]
    natives += [drawn(f"t-{n}", "tracks", TRACKS_SPEC, TRACKS_GOLD, ["tracks"], CLIP)
                for n in range(3)]
    natives += [drawn(f"q-{n}", "cuboids", CUBOIDS_SPEC, CUBOIDS_GOLD, ["lidar"], CLOUD)
                for n in range(4)]
    natives += [native(f"c-{n}", "choice", _YES_NO, "yes", ["clothing"], pools=("exam",))
                for n in range(4)]
    natives[0]["critical"] = True
    return natives


def make_kinds_sequential_world(app: Flask, make_user) -> ExamWorld:
    """The drawn kinds' sequential course (its test through the seam: KINDS_SEQUENTIAL_TEST)."""
    from bootcamp.users.models import Role

    instructor, trainee = make_user(Role.INSTRUCTOR), make_user()
    media = {path: (STREET_MEDIA / path.removeprefix("media/")).read_bytes()
             for path in (CLIP, CLOUD)}
    course_id = _exam_course(app, instructor, KINDS_SEQUENTIAL_SLUG, KINDS_MANUAL,
                             kinds_sequential_natives(), KINDS_SEQUENTIAL_RULES, (trainee,),
                             title="Sequential exam of the drawn kinds", media=media)
    return ExamWorld(course_id, instructor, trainee)
