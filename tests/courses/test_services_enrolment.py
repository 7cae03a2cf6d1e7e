"""Enrolment, cohorts, invite links and email lists through the services."""

from __future__ import annotations

import time
import types
from datetime import date

import pytest
from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import (
    Cohort,
    Course,
    CourseStatus,
    Enrollment,
    EnrollmentSource,
    Invitation,
)
from courses.services import enrolment
from tests.factories import events_of, make_cohort, make_course, row_counts

SECRET = "test-secret-key"


def _get(course_id: int, user: User) -> tuple[Course, User]:
    return db.session.get(Course, course_id), db.session.get(User, user.id)


def test_self_enrolment_in_an_open_course_records_an_event(app, instructor, trainee):
    course_id = make_course(app, instructor)
    with app.app_context():
        course, user = _get(course_id, trainee)
        first = enrolment.enrol(user, course, EnrollmentSource.SELF)
        db.session.commit()
        again = enrolment.enrol(user, course, EnrollmentSource.SELF)  # idempotent
        db.session.commit()
        assert first.id == again.id
        assert first.source is EnrollmentSource.SELF and first.cohort_id is None
    assert events_of(app, "enrolled") == [
        {"course_id": course_id, "user_id": trainee.id, "source": "self", "cohort": None}]


@pytest.mark.parametrize("status", [CourseStatus.DRAFT, CourseStatus.ARCHIVED])
def test_self_enrolment_is_refused_unless_the_course_is_open(app, instructor, trainee, status):
    course_id = make_course(app, instructor, status=status)
    before = row_counts(app)
    with app.app_context():
        course, user = _get(course_id, trainee)
        with pytest.raises(enrolment.EnrolmentError) as refused:
            enrolment.enrol(user, course, EnrollmentSource.SELF)
        assert refused.value.problems == ["This course is not open for enrolment."]
        db.session.rollback()
    assert row_counts(app) == before


def test_an_enrolled_trainee_stays_enrolled_when_the_course_closes(app, instructor, trainee):
    course_id = make_course(app, instructor)
    with app.app_context():
        course, user = _get(course_id, trainee)
        enrolment.enrol(user, course, EnrollmentSource.SELF)
        course.status = CourseStatus.ARCHIVED
        db.session.commit()
        assert enrolment.enrol(user, course, EnrollmentSource.SELF).course_id == course_id


def test_creating_a_cohort_is_audited(app, instructor):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=30, name="  April  ")
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        assert (cohort.name, cohort.capacity, cohort.starts_on) == ("April", 30, date(2026, 3, 2))
        assert cohort.instructor_id == instructor.id
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "cohort_created"))
        assert audit.target == f"cohort:{cohort_id}" and audit.data["name"] == "April"


def test_a_cohort_respects_its_capacity(app, instructor, make_user):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=2)
    users = [make_user(Role.TRAINEE) for _ in range(3)]
    with app.app_context():
        course, cohort = db.session.get(Course, course_id), db.session.get(Cohort, cohort_id)
        for user in users[:2]:
            enrolment.enrol(db.session.get(User, user.id), course, EnrollmentSource.INVITE_LINK,
                            cohort)
        db.session.commit()
        with pytest.raises(enrolment.EnrolmentError, match="The cohort March intake is full."):
            enrolment.enrol(db.session.get(User, users[2].id), course,
                            EnrollmentSource.INVITE_LINK, cohort)
        db.session.rollback()
        # Someone already enrolled (say, by an earlier link) is not refused.
        assert enrolment.enrol(db.session.get(User, users[0].id), course,
                               EnrollmentSource.INVITE_LINK, cohort).cohort_id == cohort_id
        assert enrolment.places_of(cohort) == enrolment.Places(2, 0, 2)
    assert [e["cohort"] for e in events_of(app, "enrolled")] == [cohort_id, cohort_id]


# Invite links.


def test_an_invite_link_names_its_cohort(app, instructor):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    with app.app_context():
        token = enrolment.make_invite_token(SECRET, db.session.get(Cohort, cohort_id), 14)
        assert enrolment.cohort_from_token(SECRET, token).id == cohort_id
        with pytest.raises(enrolment.EnrolmentError, match="not valid"):
            enrolment.cohort_from_token("another-secret", token)


def test_an_invite_link_expires(app, instructor, monkeypatch):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    with app.app_context():
        token = enrolment.make_invite_token(SECRET, db.session.get(Cohort, cohort_id), 3)
        now = time.time()
        monkeypatch.setattr(enrolment, "time", types.SimpleNamespace(time=lambda: now + 2 * 86400))
        assert enrolment.cohort_from_token(SECRET, token).id == cohort_id
        monkeypatch.setattr(enrolment, "time", types.SimpleNamespace(time=lambda: now + 4 * 86400))
        with pytest.raises(enrolment.EnrolmentError) as expired:
            enrolment.cohort_from_token(SECRET, token)
        assert expired.value.problems == [
            "This invite link has expired. Ask your instructor for a new one."]


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),
    lambda t: t.split(".")[0] + "x." + t.split(".", 1)[1],
    lambda t: "",
    lambda t: "not-a-token",
], ids=["signature", "payload", "empty", "garbage"])
def test_a_tampered_invite_link_is_refused(app, instructor, tamper):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    with app.app_context():
        token = enrolment.make_invite_token(SECRET, db.session.get(Cohort, cohort_id), 3)
        with pytest.raises(enrolment.EnrolmentError, match="This invite link is not valid"):
            enrolment.cohort_from_token(SECRET, tamper(token))


def test_an_invite_link_to_a_deleted_cohort_is_refused(app, instructor):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id)
        token = enrolment.make_invite_token(SECRET, cohort, 3)
        db.session.delete(cohort)
        db.session.commit()
        with pytest.raises(enrolment.EnrolmentError, match="no longer exists"):
            enrolment.cohort_from_token(SECRET, token)


# Lists of email addresses.


@pytest.mark.parametrize("text, emails", [
    ("a@example.com\nB@Example.com\n", ["a@example.com", "b@example.com"]),
    ("email\na@example.com\nb@example.com\n", ["a@example.com", "b@example.com"]),
    ("name,Email\nAnn,a@example.com\nBob, b@example.com \n", ["a@example.com", "b@example.com"]),
    ("\ufeffa@example.com\r\n\r\nb@example.com\r\na@example.com\r\n",
     ["a@example.com", "b@example.com"]),
], ids=["plain", "header", "header-second-column", "bom-crlf-blank-duplicate"])
def test_parsing_an_email_list(text, emails):
    assert enrolment.parse_email_list(text) == emails


@pytest.mark.parametrize("text, problem", [
    ("a@example.com\nb@example.com\nnot-an-email\n", "line 3: 'not-an-email' is not an email"),
    ("email\na@example.com\nbad@\n", "line 3: 'bad@' is not an email"),
    ("name,email\nAnn,a@example.com\n\nBob,b@@example.com\n", "line 4: 'b@@example.com'"),
    ("", "line 1: the list has no email addresses"),
    ("email\n", "line 1: the list has no email addresses"),
], ids=["plain", "header", "blank-line", "empty", "header-only"])
def test_a_wrong_line_names_its_number(text, problem):
    with pytest.raises(enrolment.EnrolmentError) as refused:
        enrolment.parse_email_list(text)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


def test_every_wrong_line_is_listed(app):
    with pytest.raises(enrolment.EnrolmentError) as refused:
        enrolment.parse_email_list("x\na@example.com\ny\n")
    assert [p.split(":")[0] for p in refused.value.problems] == ["line 1", "line 3"]


def test_too_many_addresses_are_refused(monkeypatch):
    monkeypatch.setattr(enrolment, "MAX_EMAILS", 3)
    with pytest.raises(enrolment.EnrolmentError, match="the list has 4 addresses; the limit is 3"):
        enrolment.parse_email_list("".join(f"u{n}@example.com\n" for n in range(4)))


def test_an_email_list_enrols_members_and_invites_the_rest(app, instructor, make_user):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=5)
    known = make_user(Role.TRAINEE, email="known@example.com")
    enrolled = make_user(Role.TRAINEE, email="enrolled@example.com")
    with app.app_context():
        course = db.session.get(Course, course_id)
        enrolment.enrol(db.session.get(User, enrolled.id), course, EnrollmentSource.SELF)
        db.session.commit()
        report = enrolment.invite_emails(
            db.session.get(Cohort, cohort_id),
            "email\nKnown@example.com\nnew@example.com\nenrolled@example.com\n",
            db.session.get(User, instructor.id))
        db.session.commit()
        # Enrolled without a cohort: moved into this one, keeping how they enrolled.
        assert report.added == ["known@example.com", "enrolled@example.com"]
        assert report.invited == ["new@example.com"]
        assert report.already == [] and report.refused == {}
        member = enrolment.enrollment_of(known.id, course_id)
        assert member.cohort_id == cohort_id and member.source is EnrollmentSource.EMAIL_LIST
        moved = enrolment.enrollment_of(enrolled.id, course_id)
        assert moved.cohort_id == cohort_id and moved.source is EnrollmentSource.SELF
        invitation = db.session.scalar(select(Invitation))
        assert (invitation.email, invitation.accepted_at) == ("new@example.com", None)
        again = enrolment.invite_emails(db.session.get(Cohort, cohort_id), "new@example.com",
                                        db.session.get(User, instructor.id))
        assert again.already == ["new@example.com"] and not again.invited
    assert [e["source"] for e in events_of(app, "enrolled")] == ["self", "email_list"]


def test_an_email_list_larger_than_the_free_places_is_refused_whole(app, instructor, make_user):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=3)
    member = make_user(Role.TRAINEE)
    make_user(Role.TRAINEE, email="known@example.com")
    with app.app_context():
        enrolment.enrol(db.session.get(User, member.id), db.session.get(Course, course_id),
                        EnrollmentSource.INVITE_LINK, db.session.get(Cohort, cohort_id))
        db.session.commit()
    before = row_counts(app)
    with app.app_context():
        with pytest.raises(enrolment.EnrolmentError) as refused:
            enrolment.invite_emails(db.session.get(Cohort, cohort_id),
                                    "known@example.com\nx@example.com\ny@example.com\n",
                                    db.session.get(User, instructor.id))
        assert refused.value.problems == [
            "The cohort has 2 free places; the list would add 3 people."]
        db.session.rollback()
    assert row_counts(app) == before


def test_pending_invitations_reserve_places(app, instructor, make_user):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=2)
    late = make_user(Role.TRAINEE)
    with app.app_context():
        enrolment.invite_emails(db.session.get(Cohort, cohort_id),
                                "a@example.com\nb@example.com", db.session.get(User, instructor.id))
        db.session.commit()
        with pytest.raises(enrolment.EnrolmentError, match="is full"):
            enrolment.enrol(db.session.get(User, late.id), db.session.get(Course, course_id),
                            EnrollmentSource.INVITE_LINK, db.session.get(Cohort, cohort_id))


def test_invitations_become_enrolments_at_log_in(app, instructor, make_user):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    with app.app_context():
        enrolment.invite_emails(db.session.get(Cohort, cohort_id), "late@example.com",
                                db.session.get(User, instructor.id))
        db.session.commit()
    late = make_user(Role.TRAINEE, email="late@example.com")
    with app.app_context():
        user = db.session.get(User, late.id)
        courses = enrolment.accept_pending_invitations(user)
        db.session.commit()
        assert [c.id for c in courses] == [course_id]
        assert enrolment.accept_pending_invitations(user) == []
        enrollment = enrolment.enrollment_of(late.id, course_id)
        assert enrollment.cohort_id == cohort_id
        assert db.session.scalar(select(Invitation.accepted_at)) is not None
    assert events_of(app, "enrolled", late.id) == [
        {"course_id": course_id, "user_id": late.id, "source": "email_list",
         "cohort": cohort_id}]


def test_enrolment_rows_are_unique_per_user_and_course(app, instructor, trainee):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    with app.app_context():
        course, user = _get(course_id, trainee)
        enrolment.enrol(user, course, EnrollmentSource.SELF)
        enrolment.enrol(user, course, EnrollmentSource.INVITE_LINK,
                        db.session.get(Cohort, cohort_id))
        db.session.commit()
        rows = db.session.scalars(select(Enrollment)).all()
        assert len(rows) == 1 and rows[0].cohort_id is None
