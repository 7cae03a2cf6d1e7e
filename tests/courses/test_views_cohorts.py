"""Enrolment and cohorts through the browser: self-enrolment, invite links, email lists."""

from __future__ import annotations

import io
import re
import time
import types

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Cohort, Course, CourseStatus, Enrollment, Invitation
from courses.services import enrolment
from tests.factories import (
    INVITE_LINK,
    events_of,
    invite_link,
    make_cohort,
    make_course,
    post_form,
    row_counts,
    signed_in,
)
from tests.helpers import PASSWORD, csrf_token, log_in


def text_of(response) -> str:
    return response.get_data(as_text=True)


def enrolments(app) -> list[tuple[int, int, int | None, str]]:
    with app.app_context():
        return [(e.user_id, e.course_id, e.cohort_id, e.source.value)
                for e in db.session.scalars(select(Enrollment).order_by(Enrollment.id))]


def upload_emails(client, cohort_id: int, content: bytes, name: str = "people.csv",
                  slug: str = "tagging"):
    return post_form(client, f"/courses/{slug}/cohorts/{cohort_id}/emails",
                     {"emails": (io.BytesIO(content), name)},
                     content_type="multipart/form-data")


def field_error(page: str) -> str:
    match = re.search(r'<p class="error" id="emails-error">(.*?)</p>', page, re.S)
    return match.group(1) if match else ""


# Self-enrolment.


def test_a_trainee_enrols_in_an_open_course(app, instructor, trainee):
    course_id = make_course(app, instructor)
    client = signed_in(app, trainee)
    assert "Enrol in this course" in text_of(client.get("/courses/tagging"))
    response = post_form(client, "/courses/tagging/enrol", page="/courses/tagging")
    assert response.headers["Location"] == "/courses/tagging"
    page = text_of(client.get("/courses/tagging"))
    assert "You are enrolled in Tagging." in page and "Enrol in this course" not in page
    post_form(client, "/courses/tagging/enrol", page="/courses/tagging")  # twice: still one
    assert enrolments(app) == [(trainee.id, course_id, None, "self")]
    assert len(events_of(app, "enrolled")) == 1


def test_enrolment_in_an_archived_course_is_refused(app, instructor, make_user):
    course_id = make_course(app, instructor)
    member, stranger = make_user(Role.TRAINEE), make_user(Role.TRAINEE)
    with app.app_context():
        course = db.session.get(Course, course_id)
        enrolment.enrol(db.session.get(User, member.id), course,
                        enrolment.EnrollmentSource.SELF)
        course.status = CourseStatus.ARCHIVED
        db.session.commit()
    staff, outsider, insider = (signed_in(app, u) for u in (instructor, stranger, member))
    before = row_counts(app)
    assert "Enrol in this course" not in text_of(staff.get("/courses/tagging"))
    refused = post_form(staff, "/courses/tagging/enrol")
    assert "This course is not open for enrolment." in text_of(
        staff.get(refused.headers["Location"]))
    # A trainee who never took it cannot even see it; one who did stays enrolled.
    assert post_form(outsider, "/courses/tagging/enrol").status_code == 404
    again = post_form(insider, "/courses/tagging/enrol")
    assert "You are enrolled in Tagging." in text_of(insider.get(again.headers["Location"]))
    assert row_counts(app) == before


def test_enrolment_in_a_draft_course_is_not_found(app, instructor, trainee):
    make_course(app, instructor, status=CourseStatus.DRAFT)
    client = signed_in(app, trainee)
    assert post_form(client, "/courses/tagging/enrol").status_code == 404
    assert enrolments(app) == []


def test_enrolment_needs_a_csrf_token(app, instructor, trainee):
    make_course(app, instructor)
    client = signed_in(app, trainee)
    assert client.post("/courses/tagging/enrol").status_code == 400
    assert enrolments(app) == []


# Cohorts.


def test_an_instructor_creates_a_cohort(app, instructor):
    course_id = make_course(app, instructor)
    client = signed_in(app, instructor)
    assert "No cohorts yet." in text_of(client.get("/courses/tagging/cohorts"))
    response = post_form(client, "/courses/tagging/cohorts",
                         {"name": "May intake", "starts_on": "2026-05-04", "capacity": "50"})
    assert response.status_code == 302
    with app.app_context():
        cohort = db.session.scalar(select(Cohort))
        assert (cohort.course_id, cohort.name, cohort.capacity) == (course_id, "May intake", 50)
    assert response.headers["Location"] == f"/courses/tagging/cohorts/{cohort.id}"
    page = text_of(client.get(response.headers["Location"]))
    assert "Cohort May intake created." in page and "Nobody yet." in page
    listing = text_of(client.get("/courses/tagging/cohorts"))
    assert "May intake" in listing and "0 of 50" in listing


def test_a_cohort_form_with_problems_creates_nothing(app, instructor):
    make_course(app, instructor)
    client = signed_in(app, instructor)
    response = post_form(client, "/courses/tagging/cohorts",
                         {"name": "", "starts_on": "someday", "capacity": "0"})
    assert response.status_code == 200
    assert row_counts(app)["cohorts"] == 0


def test_a_cohort_of_another_course_is_not_found(app, instructor):
    make_course(app, instructor, "first")
    second = make_course(app, instructor, "second")
    cohort_id = make_cohort(app, second, instructor)
    client = signed_in(app, instructor)
    assert client.get(f"/courses/second/cohorts/{cohort_id}").status_code == 200
    assert client.get(f"/courses/first/cohorts/{cohort_id}").status_code == 404
    assert post_form(client, f"/courses/first/cohorts/{cohort_id}/link",
                     {"days": "3"}).status_code == 404


# Invite links.


def test_an_invite_link_enrols_into_the_cohort(app, instructor, trainee):
    course_id = make_course(app, instructor, qualifies_for="Paid tagging")
    cohort_id = make_cohort(app, course_id, instructor)
    link = invite_link(app, instructor, cohort_id)
    client = signed_in(app, trainee)
    page = text_of(client.get(link))
    assert "Join Tagging" in page and "March intake" in page and "Paid tagging" in page
    response = post_form(client, link, page=link)
    assert response.headers["Location"] == "/courses/tagging"
    assert "Welcome to Tagging (March intake)." in text_of(client.get("/courses/tagging"))
    assert enrolments(app) == [(trainee.id, course_id, cohort_id, "invite_link")]
    assert events_of(app, "enrolled") == [{"course_id": course_id, "user_id": trainee.id,
                                           "source": "invite_link", "cohort": cohort_id}]


def test_an_expired_invite_link_shows_a_400_page(app, instructor, trainee, monkeypatch):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    link = invite_link(app, instructor, cohort_id, days=2)
    client = signed_in(app, trainee)
    assert client.get(link).status_code == 200
    later = time.time() + 3 * 86400
    monkeypatch.setattr(enrolment, "time", types.SimpleNamespace(time=lambda: later))
    response = client.get(link)
    assert response.status_code == 400
    assert "This invite link has expired. Ask your instructor for a new one." in text_of(response)
    token = csrf_token(client, "/courses/")
    assert client.post(link, data={"csrf_token": token}).status_code == 400
    assert enrolments(app) == []


@pytest.mark.parametrize("tamper", [
    # A middle character: the last one of base64 partly encodes padding bits.
    lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:],
    lambda t: "eyJjIjo5OTksImUiOjk5OTk5OTk5OTl9." + t.rsplit(".", 1)[1],
    lambda t: "garbage",
], ids=["signature", "payload", "garbage"])
def test_a_tampered_invite_link_shows_a_400_page(app, instructor, trainee, tamper):
    course_id = make_course(app, instructor)
    link = invite_link(app, instructor, make_cohort(app, course_id, instructor))
    prefix, token = link.rsplit("/", 1)
    client = signed_in(app, trainee)
    response = client.get(f"{prefix}/{tamper(token)}")
    assert response.status_code == 400
    assert "This invite link is not valid." in text_of(response)
    assert "This invitation cannot be used" in text_of(response)


def test_an_invite_link_respects_the_capacity(app, instructor, make_user):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=1)
    link = invite_link(app, instructor, cohort_id)
    first, second = make_user(Role.TRAINEE), make_user(Role.TRAINEE)
    assert post_form(signed_in(app, first), link, page=link).status_code == 302
    late = signed_in(app, second)
    response = post_form(late, link, page=link)
    assert response.status_code == 409
    assert "The cohort March intake is full." in text_of(response)
    assert enrolments(app) == [(first.id, course_id, cohort_id, "invite_link")]


@pytest.mark.parametrize("status", [CourseStatus.ARCHIVED, CourseStatus.DRAFT])
def test_an_invite_link_to_a_closed_course_is_refused(app, instructor, trainee, status):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    link = invite_link(app, instructor, cohort_id)
    with app.app_context():
        db.session.get(Course, course_id).status = status
        db.session.commit()
    client = signed_in(app, trainee)
    response = post_form(client, link, page="/courses/")
    assert response.status_code == 409
    assert "This course is not open for enrolment." in text_of(response)
    assert enrolments(app) == []


@pytest.mark.parametrize("days", ["0", "91", "soon"])
def test_invite_links_live_between_one_and_ninety_days(app, instructor, days):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    client = signed_in(app, instructor)
    page = post_form(client, f"/courses/tagging/cohorts/{cohort_id}/link", {"days": days})
    assert page.status_code == 200 and not INVITE_LINK.search(text_of(page))


# Lists of email addresses.


@pytest.mark.parametrize("content", [
    b"known@example.com\nnew@example.com\n",
    b"email\nknown@example.com\nnew@example.com\n",
    b"Name,Email\r\nKnown,KNOWN@example.com\r\nNew,new@example.com\r\n",
], ids=["no-header", "header", "header-second-column"])
def test_an_email_list_enrols_accounts_at_once_and_invites_the_rest(app, instructor, make_user,
                                                                    content):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=10)
    known = make_user(Role.TRAINEE, email="known@example.com")
    client = signed_in(app, instructor)
    response = upload_emails(client, cohort_id, content)
    assert response.status_code == 200
    page = text_of(response)
    assert "Added to the cohort: 1. Invited (no account yet): 1. Already in: 0." in page
    assert "known@example.com" in page and "new@example.com" in page
    assert enrolments(app) == [(known.id, course_id, cohort_id, "email_list")]
    with app.app_context():
        assert db.session.scalars(select(Invitation.email)).all() == ["new@example.com"]


def test_invited_people_are_enrolled_when_they_sign_up_and_log_in(app, instructor, make_user):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=10)
    upload_emails(signed_in(app, instructor), cohort_id, b"email\nnew@example.com\n")
    assert enrolments(app) == []

    client = app.test_client()
    signup = post_form(client, "/auth/signup", {
        "name": "New Person", "email": "New@Example.com", "password": PASSWORD,
        "confirm": PASSWORD}, page="/auth/signup")
    assert signup.status_code == 302  # signing up logs the new person in
    page = text_of(client.get(signup.headers["Location"]))
    assert "You have been enrolled in Tagging." in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.com"))
        assert db.session.scalar(select(Invitation.accepted_at)) is not None
    assert enrolments(app) == [(user.id, course_id, cohort_id, "email_list")]
    assert events_of(app, "enrolled") == [{"course_id": course_id, "user_id": user.id,
                                           "source": "email_list", "cohort": cohort_id}]
    roster = text_of(signed_in(app, instructor).get(f"/courses/tagging/cohorts/{cohort_id}"))
    assert "New Person" in roster and "1 enrolled, 0 invited" in roster

    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/courses/")})
    assert log_in(client, "new@example.com").status_code == 302  # again: nothing more happens
    assert len(enrolments(app)) == 1 and len(events_of(app, "enrolled")) == 1


@pytest.mark.parametrize("content, line", [
    (b"a@example.com\nb@example.com\nnot-an-email\n", 3),
    (b"email\na@example.com\nwrong@\nb@example.com\n", 3),
    (b"name,email\nA,a@example.com\n\nB,b@example.com\nC,c@@example.com\n", 5),
], ids=["no-header", "header", "blank-line"])
def test_an_email_list_with_a_wrong_line_names_it_and_writes_nothing(app, instructor,
                                                                     make_user, content, line):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    make_user(Role.TRAINEE, email="a@example.com")
    client = signed_in(app, instructor)
    before = row_counts(app)
    response = upload_emails(client, cohort_id, content)
    assert response.status_code == 200
    error = field_error(text_of(response))
    assert error.startswith(f"line {line}: "), error
    assert "is not an email address" in error
    assert row_counts(app) == before


def test_an_email_list_larger_than_the_free_places_is_refused(app, instructor, make_user):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=3)
    member = make_user(Role.TRAINEE)
    make_user(Role.TRAINEE, email="known@example.com")
    with app.app_context():
        enrolment.enrol(db.session.get(User, member.id), db.session.get(Course, course_id),
                        enrolment.EnrollmentSource.INVITE_LINK,
                        db.session.get(Cohort, cohort_id))
        db.session.commit()
    client = signed_in(app, instructor)
    before = row_counts(app)
    response = upload_emails(client, cohort_id,
                             b"known@example.com\nx@example.com\ny@example.com\n")
    assert field_error(text_of(response)) == \
        "The cohort has 2 free places; the list would add 3 people."
    assert row_counts(app) == before
    fits = upload_emails(client, cohort_id, b"known@example.com\nx@example.com\n")
    assert "Added to the cohort: 1. Invited (no account yet): 1." in text_of(fits)
    assert row_counts(app)["enrollments"] == 2 and row_counts(app)["invitations"] == 1


@pytest.mark.parametrize("content, name, message", [
    ("a@exämple.com\n".encode("latin-1"), "people.csv",
     "The file is not UTF-8 text. Save it as CSV (UTF-8)."),
    (b"a@example.com\n", "people.xlsx", "Upload a .csv or .txt file."),
], ids=["not-utf8", "wrong-extension"])
def test_an_unreadable_email_list_is_refused(app, instructor, content, name, message):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    client = signed_in(app, instructor)
    before = row_counts(app)
    response = upload_emails(client, cohort_id, content, name)
    assert field_error(text_of(response)) == message
    assert row_counts(app) == before


def test_trainees_cannot_manage_cohorts(app, instructor, trainee):
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor)
    client = signed_in(app, trainee)
    assert client.get("/courses/tagging/cohorts").status_code == 403
    assert post_form(client, f"/courses/tagging/cohorts/{cohort_id}/link",
                     {"days": "3"}).status_code == 403
    assert upload_emails(client, cohort_id, b"a@example.com").status_code == 403
    assert row_counts(app)["invitations"] == 0


def test_an_invitation_to_a_course_not_open_yet_waits_until_it_opens(app, instructor):
    course_id = make_course(app, instructor, status=CourseStatus.DRAFT)
    cohort_id = make_cohort(app, course_id, instructor)
    open_id = make_course(app, instructor, "open-now")
    open_cohort = make_cohort(app, open_id, instructor)
    staff = signed_in(app, instructor)
    upload_emails(staff, cohort_id, b"early@example.com\n")
    upload_emails(staff, open_cohort, b"early@example.com\n", slug="open-now")
    client = app.test_client()
    post_form(client, "/auth/signup", {"name": "Early", "email": "early@example.com",
                                       "password": PASSWORD, "confirm": PASSWORD},
              page="/auth/signup")
    assert log_in(client, "early@example.com").status_code == 302
    assert [row[1:] for row in enrolments(app)] == [(open_id, open_cohort, "email_list")]
    with app.app_context():
        waiting = db.session.scalar(select(Invitation).where(Invitation.cohort_id == cohort_id))
        assert waiting.accepted_at is None  # still reserved for them
        db.session.get(Course, course_id).status = CourseStatus.OPEN
        db.session.commit()
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/courses/")})
    assert log_in(client, "early@example.com").status_code == 302
    assert [row[1:] for row in enrolments(app)] == [
        (open_id, open_cohort, "email_list"), (course_id, cohort_id, "email_list")]


def test_an_invitation_is_settled_at_log_in_even_when_already_enrolled(app, instructor):
    course_id = make_course(app, instructor, status=CourseStatus.DRAFT)
    cohort_id = make_cohort(app, course_id, instructor, capacity=1)
    upload_emails(signed_in(app, instructor), cohort_id, b"early@example.com\n")
    client = app.test_client()
    post_form(client, "/auth/signup", {"name": "Early", "email": "early@example.com",
                                       "password": PASSWORD, "confirm": PASSWORD},
              page="/auth/signup")
    assert log_in(client, "early@example.com").status_code == 302
    with app.app_context():
        db.session.get(Course, course_id).status = CourseStatus.OPEN
        db.session.commit()
    post_form(client, "/courses/tagging/enrol", page="/courses/tagging")  # on their own
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/courses/")})
    assert log_in(client, "early@example.com").status_code == 302
    assert [row[1:] for row in enrolments(app)] == [(course_id, None, "self")]
    with app.app_context():  # the place it reserved is free again
        assert db.session.scalar(select(Invitation.accepted_at)) is not None
