"""Builders and helpers shared by the integration tests: courses, manuals, gold items,
practice courses, cohorts and invitations made through the services, a signed-in client, form
posts with their CSRF token, row and event counts. Plain functions: fixtures live in the
conftest.py files.
"""

from __future__ import annotations

import re
from datetime import date

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
from tests.helpers import csrf_token, log_in

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
