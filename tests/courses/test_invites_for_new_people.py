"""Invites that work for new people: an invite link shows the invitation to anyone and lets a
newcomer create an account right there; places count the same on every page; an email list
puts people who already have an account in the cohort at once."""

from __future__ import annotations

import io
import re
import time
import types
from html import unescape
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from bootcamp.users.services import deactivate
from courses.models import Cohort, Course, CourseStatus, Enrollment, EnrollmentSource
from courses.services import enrolment
from tests.factories import invite_link, make_cohort, make_course, post_form, signed_in
from tests.helpers import PASSWORD, csrf_token

NEWCOMER = {"name": "Nia Newcomer", "email": "Nia@Example.com", "password": PASSWORD,
            "confirm": PASSWORD}


def text_of(response) -> str:
    return response.get_data(as_text=True)


def words_of(response) -> str:
    """The page's visible text, tags removed and spaces squeezed, for phrases across tags."""
    text = re.sub(r"<[^>]+>", " ", text_of(response))
    return re.sub(r"\s+", " ", unescape(text)).strip()


def enrolments(app) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        rows = db.session.execute(select(User.email, Enrollment.cohort_id, Enrollment.source)
                                  .join(Enrollment, Enrollment.user_id == User.id)
                                  .order_by(Enrollment.id))
        return [(email, cohort_id, source.value) for email, cohort_id, source in rows]


def user_count(app) -> int:
    with app.app_context():
        return len(db.session.scalars(select(User.id)).all())


def upload_emails(client, cohort_id: int, content: bytes):
    return post_form(client, f"/courses/tagging/cohorts/{cohort_id}/emails",
                     {"emails": (io.BytesIO(content), "people.csv")},
                     content_type="multipart/form-data")


def enrol_in(app, user: User, course_id: int, cohort_id: int | None = None) -> None:
    with app.app_context():
        cohort = db.session.get(Cohort, cohort_id) if cohort_id else None
        enrolment.enrol(db.session.get(User, user.id), db.session.get(Course, course_id),
                        EnrollmentSource.SELF if cohort is None else EnrollmentSource.INVITE_LINK,
                        cohort)
        db.session.commit()


@pytest.fixture
def course_id(app, instructor) -> int:
    return make_course(app, instructor, qualifies_for="Paid clothing tagging",
                       estimated_minutes=90)


# Following a link while logged out.


def test_a_new_person_creates_an_account_on_the_invite_page_and_lands_enrolled(
        app, instructor, course_id):
    cohort_id = make_cohort(app, course_id, instructor, capacity=3)
    link = invite_link(app, instructor, cohort_id)
    client = app.test_client()
    page = client.get(link)
    assert page.status_code == 200
    words = words_of(page)
    for shown in ("Join Tagging", "March intake", "Starts on 2 March 2026",
                  "Places left 3 of 3", "Paid clothing tagging", "1 h 30 min",
                  "New here? Create an account", "I already have an account — log in"):
        assert shown in words, shown
    assert "2026-03-02" not in words  # a date in words, not ISO
    response = post_form(client, link, NEWCOMER, page=link)
    assert response.status_code == 302 and response.headers["Location"] == "/courses/tagging"
    home = client.get("/courses/tagging")
    assert home.status_code == 200
    assert "Welcome to Tagging (March intake)." in text_of(home)
    assert enrolments(app) == [("nia@example.com", cohort_id, "invite_link")]
    assert client.get("/dashboard").status_code == 200  # logged in as the new account


def test_the_log_in_choice_comes_back_to_the_invitation(app, instructor, trainee, course_id):
    cohort_id = make_cohort(app, course_id, instructor)
    link = invite_link(app, instructor, cohort_id)
    client = app.test_client()
    login_url = unescape(re.search(r'href="([^"]+)">I already have an account',
                                   text_of(client.get(link))).group(1))
    path, query = login_url.split("?")
    assert path == "/auth/login" and parse_qs(query) == {"next": [link]}
    token = csrf_token(client, login_url)
    response = client.post(login_url, data={"email": trainee.email, "password": PASSWORD,
                                            "csrf_token": token})
    assert response.headers["Location"] == link
    assert "Join this cohort" in text_of(client.get(link))
    assert post_form(client, link, page=link).headers["Location"] == "/courses/tagging"
    assert enrolments(app) == [(trainee.email, cohort_id, "invite_link")]


def test_a_full_cohort_says_so_before_the_form(app, instructor, make_user, course_id):
    cohort_id = make_cohort(app, course_id, instructor, capacity=1)
    enrol_in(app, make_user(Role.TRAINEE), course_id, cohort_id)
    link = invite_link(app, instructor, cohort_id)
    page = app.test_client().get(link)
    words = words_of(page)
    assert "The cohort March intake is full." in words and "Places left 0 of 1" in words
    assert "Your name" not in words and "Create an account" not in words


@pytest.mark.parametrize("status", [CourseStatus.ARCHIVED, CourseStatus.DRAFT])
def test_a_closed_course_says_so_before_the_form(app, instructor, course_id, status):
    link = invite_link(app, instructor, make_cohort(app, course_id, instructor))
    with app.app_context():
        db.session.get(Course, course_id).status = status
        db.session.commit()
    words = words_of(app.test_client().get(link))
    assert "This course is not open for enrolment." in words and "Your name" not in words


def test_an_expired_link_says_so_before_the_form(app, instructor, course_id, monkeypatch):
    link = invite_link(app, instructor, make_cohort(app, course_id, instructor), days=1)
    later = time.time() + 2 * 86400
    monkeypatch.setattr(enrolment, "time", types.SimpleNamespace(time=lambda: later))
    client = app.test_client()
    response = client.get(link)
    assert response.status_code == 400
    assert "This invite link has expired." in words_of(response)
    assert "Your name" not in words_of(response)
    token = csrf_token(client, "/auth/login")
    assert client.post(link, data={**NEWCOMER, "csrf_token": token}).status_code == 400
    assert user_count(app) == 1  # the instructor only


def test_an_address_that_has_an_account_is_told_to_log_in(app, instructor, make_user,
                                                          course_id):
    owner = make_user(Role.TRAINEE, email="nia@example.com")
    link = invite_link(app, instructor, make_cohort(app, course_id, instructor))
    client = app.test_client()
    response = post_form(client, link, {**NEWCOMER, "password": "another long secret phrase",
                                        "confirm": "another long secret phrase"}, page=link)
    assert response.status_code == 200
    words = words_of(response)
    assert "this address may already have one" in words and "Log in with it" in words
    assert client.get("/dashboard").status_code == 302  # nobody was logged in
    assert enrolments(app) == []
    assert signed_in(app, owner)  # the owner's password still works


def test_a_sign_up_with_problems_creates_nothing(app, instructor, course_id):
    link = invite_link(app, instructor, make_cohort(app, course_id, instructor))
    client = app.test_client()
    response = post_form(client, link, {**NEWCOMER, "confirm": "something else entirely"},
                         page=link)
    assert response.status_code == 200
    assert "The passwords do not match." in text_of(response)
    assert user_count(app) == 1 and enrolments(app) == []
    assert client.post(link, data=NEWCOMER).status_code == 400  # no CSRF token
    assert user_count(app) == 1


def test_sign_ups_on_the_invite_page_are_limited_per_address(app, instructor, trainee,
                                                             course_id):
    app.config["SIGNUP_LIMIT_PER_IP"] = "2 per hour"
    link = invite_link(app, instructor, make_cohort(app, course_id, instructor))
    client = app.test_client()
    for number in range(2):
        form = {**NEWCOMER, "email": f"nia{number}@example.com", "confirm": "mismatch!"}
        assert post_form(client, link, form, page=link).status_code == 200
    assert post_form(client, link, NEWCOMER, page=link).status_code == 429
    assert user_count(app) == 2  # the instructor and the trainee
    member = signed_in(app, trainee)  # joining while logged in is not a sign-up
    assert post_form(member, link, page=link).status_code == 302


def test_the_last_place_taken_while_signing_up_keeps_the_account(app, instructor, make_user,
                                                                 course_id):
    cohort_id = make_cohort(app, course_id, instructor, capacity=1)
    link = invite_link(app, instructor, cohort_id)
    client = app.test_client()
    token = csrf_token(client, link)  # the form was shown while a place was free
    enrol_in(app, make_user(Role.TRAINEE, email="quick@example.com"), course_id, cohort_id)
    response = client.post(link, data={**NEWCOMER, "csrf_token": token})
    assert response.headers["Location"] == "/dashboard"
    assert "could not join March intake. The cohort March intake is full." in text_of(
        client.get("/dashboard"))
    assert [row[0] for row in enrolments(app)] == ["quick@example.com"]
    assert user_count(app) == 3  # the newcomer's account stands


def test_an_invitation_by_email_keeps_its_place_for_its_own_sign_up(app, instructor,
                                                                    course_id):
    cohort_id = make_cohort(app, course_id, instructor, capacity=1)
    upload_emails(signed_in(app, instructor), cohort_id, b"nia@example.com\n")
    link = invite_link(app, instructor, cohort_id)
    client = app.test_client()
    # The invited person follows the link (the invitation email carries it): the page says
    # the cohort is full, but that kept places wait for the invited, and offers the form.
    words = words_of(client.get(link))
    assert "The cohort March intake is full. Its last places are kept for people invited" \
        in words
    assert "Your name" in words
    response = post_form(client, link, NEWCOMER, page=link)
    assert response.headers["Location"] == "/courses/tagging"
    assert enrolments(app) == [("nia@example.com", cohort_id, "email_list")]


# Logged in.


def test_a_trainee_in_the_course_without_a_cohort_is_moved_in_by_the_link(app, instructor,
                                                                          trainee, course_id):
    cohort_id = make_cohort(app, course_id, instructor)
    enrol_in(app, trainee, course_id)
    link = invite_link(app, instructor, cohort_id)
    client = signed_in(app, trainee)
    assert "Join this cohort" in text_of(client.get(link))
    assert post_form(client, link, page=link).headers["Location"] == "/courses/tagging"
    assert enrolments(app) == [(trainee.email, cohort_id, "self")]
    assert "You are already in this cohort." in words_of(client.get(link))


def test_a_trainee_in_another_cohort_is_told_so(app, instructor, trainee, course_id):
    first = make_cohort(app, course_id, instructor, name="First")
    enrol_in(app, trainee, course_id, first)
    link = invite_link(app, instructor, make_cohort(app, course_id, instructor))
    client = signed_in(app, trainee)
    words = words_of(client.get(link))
    assert "Already in another cohort of this course: First." in words
    assert "Join this cohort" not in words and "Go to the course" in words
    response = post_form(client, link, page=link)
    assert response.status_code == 409
    assert enrolments(app) == [(trainee.email, first, "invite_link")]


# Places: the same count on every page.


def test_places_agree_on_the_cohort_list_the_cohort_page_and_the_invite_page(
        app, instructor, make_user, course_id):
    cohort_id = make_cohort(app, course_id, instructor, capacity=3)
    link = invite_link(app, instructor, cohort_id)
    assert post_form(signed_in(app, make_user(Role.TRAINEE)), link, page=link).status_code == 302
    staff = signed_in(app, instructor)
    upload_emails(staff, cohort_id, b"a@example.com\nb@example.com\n")  # no accounts yet

    listing = words_of(staff.get("/courses/tagging/cohorts"))
    assert "March intake 2 March 2026 1 2 3 of 3 (full)" in listing
    page = words_of(staff.get(f"/courses/tagging/cohorts/{cohort_id}"))
    assert "1 enrolled, 2 invited · places taken: 3 of 3 (full)" in page
    invite = words_of(app.test_client().get(link))  # full, but two places are kept
    assert "Places left 0 of 3" in invite and "The cohort March intake is full." in invite
    late = signed_in(app, make_user(Role.TRAINEE))
    assert "The cohort March intake is full." in words_of(late.get(link))
    assert post_form(late, link, page=link).status_code == 409


def test_a_cohort_without_a_limit_counts_its_places(app, instructor, trainee, course_id):
    cohort_id = make_cohort(app, course_id, instructor)
    enrol_in(app, trainee, course_id, cohort_id)
    staff = signed_in(app, instructor)
    assert "1 0 1, no limit" in words_of(staff.get("/courses/tagging/cohorts"))
    link = invite_link(app, instructor, cohort_id)
    assert "Places left No limit" in words_of(app.test_client().get(link))


# Email lists: people with an account are put in the cohort at once.


def test_an_email_list_adds_existing_trainees_and_says_why_others_are_not(
        app, instructor, make_user, course_id):
    cohort_id = make_cohort(app, course_id, instructor, capacity=10)
    other = make_cohort(app, course_id, instructor, name="Other intake")
    self_enrolled = make_user(Role.TRAINEE, email="self@example.com")
    enrol_in(app, self_enrolled, course_id)
    elsewhere = make_user(Role.TRAINEE, email="elsewhere@example.com")
    enrol_in(app, elsewhere, course_id, other)
    make_user(Role.TRAINEE, email="fresh@example.com")
    gone = make_user(Role.TRAINEE, email="gone@example.com")
    member = make_user(Role.TRAINEE, email="member@example.com")
    enrol_in(app, member, course_id, cohort_id)
    with app.app_context():
        deactivate(db.session.get(User, gone.id), db.session.get(User, instructor.id))
        db.session.commit()
    response = upload_emails(signed_in(app, instructor), cohort_id, (
        b"email\nself@example.com\nelsewhere@example.com\nfresh@example.com\n"
        b"gone@example.com\nmember@example.com\nnew@example.com\n"))
    words = words_of(response)
    assert ("Added to the cohort: 2. Invited (no account yet): 1. Already in: 1. "
            "Not added: 2.") in words
    assert "Added to the cohort now (2) self@example.com fresh@example.com" in words
    assert "new@example.com" in words
    assert "elsewhere@example.com: Already in another cohort of this course: Other intake." \
        in words
    assert "gone@example.com: The account is deactivated." in words
    assert sorted(enrolments(app)) == sorted([
        ("self@example.com", cohort_id, "self"),  # moved in, keeping how they first enrolled
        ("elsewhere@example.com", other, "invite_link"),
        ("member@example.com", cohort_id, "invite_link"),
        ("fresh@example.com", cohort_id, "email_list"),
    ])


def test_a_trainee_who_left_is_brought_back_into_the_cohort_by_a_list(app, instructor,
                                                                      trainee, course_id):
    cohort_id = make_cohort(app, course_id, instructor, capacity=1)
    enrol_in(app, trainee, course_id)
    with app.app_context():
        enrolment.withdraw(db.session.get(User, trainee.id), db.session.get(Course, course_id))
        db.session.commit()
    response = upload_emails(signed_in(app, instructor), cohort_id, trainee.email.encode())
    assert "Added to the cohort: 1." in words_of(response)
    with app.app_context():
        row = enrolment.enrollment_of(trainee.id, course_id)
        assert row is not None and row.cohort_id == cohort_id
