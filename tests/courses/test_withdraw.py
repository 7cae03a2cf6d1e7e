"""Leaving a course ("Leave this course" on the course home), enrolling again, and the dropout
window per course (the course settings form and course.yaml's dropout_window_days)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.outbox import OutboxEvent
from bootcamp.users.models import Role, User
from courses.errors import SourceInvalid
from courses.models import Cohort, Course, Enrollment
from courses.services import enrolment
from courses.services.bundles import export_bundle, import_bundle
from exams.models import Dropout
from tests.factories import (
    events_of,
    invite_link,
    make_cohort,
    make_course,
    post_form,
    signed_in,
)

HOME = "/courses/tagging"
LEAVE = "/courses/tagging/leave"


@pytest.fixture
def instructor(make_user) -> User:
    return make_user(Role.INSTRUCTOR)


@pytest.fixture
def course_id(app, instructor) -> int:
    return make_course(app, instructor, "tagging", versions=("# Tagging {#tagging}\n\nTag.\n",))


def enrolled(app, user: User, slug: str = "tagging"):
    client = signed_in(app, user)
    response = post_form(client, f"/courses/{slug}/enrol", page=f"/courses/{slug}")
    assert response.status_code == 302
    return client


def enrolment_row(app, user: User, course_id: int) -> Enrollment | None:
    with app.app_context():
        row = db.session.scalar(select(Enrollment).where(Enrollment.user_id == user.id,
                                                         Enrollment.course_id == course_id))
        if row is not None:
            db.session.expunge(row)
        return row


def test_an_enrolled_trainee_sees_what_leaving_means_and_leaves(app, make_user, course_id):
    trainee = make_user()
    client = enrolled(app, trainee)
    page = client.get(HOME).get_data(as_text=True)
    assert "<summary>Leave this course</summary>" in page
    assert "Nothing is deleted" in page and "by enrolling again" in page
    assert f'action="{LEAVE}"' in page

    response = post_form(client, LEAVE, page=HOME)
    assert response.status_code == 302 and response.headers["Location"] == HOME
    row = enrolment_row(app, trainee, course_id)
    assert row.withdrawn_at is not None
    [left] = events_of(app, "course_left", trainee.id)
    assert left["course_id"] == course_id
    with app.app_context():  # recorded at once, with its event for platforms
        record = db.session.scalar(select(Dropout))
        assert (record.user_id, record.reason, record.dropped_at) == (
            trainee.id, "withdrew", row.withdrawn_at)
        [event] = db.session.scalars(select(OutboxEvent).where(
            OutboxEvent.type == "trainee.dropped")).all()
        assert event.data["reason"] == "withdrew" and event.data["course"] == "tagging"

    page = client.get(HOME).get_data(as_text=True)
    assert "You have left Tagging." in page
    assert "You left this course on" in page and "Enrol again" in page
    assert "<summary>Leave this course</summary>" not in page
    with app.app_context():
        assert enrolment.enrollment_of(trainee.id, course_id) is None


def test_leaving_needs_the_csrf_token(app, make_user, course_id):
    trainee = make_user()
    client = enrolled(app, trainee)
    assert client.post(LEAVE, data={}).status_code == 400
    assert client.post(LEAVE, data={"csrf_token": "forged"}).status_code == 400
    assert enrolment_row(app, trainee, course_id).withdrawn_at is None
    assert events_of(app, "course_left") == []


def test_only_an_enrolled_trainee_can_leave(app, make_user, course_id, instructor):
    stranger = make_user()
    client = signed_in(app, stranger)
    assert "Leave this course" not in client.get(HOME).get_data(as_text=True)
    response = post_form(client, LEAVE, page=HOME)
    assert response.status_code == 302
    assert "You are not enrolled in this course." in client.get(HOME).get_data(as_text=True)
    assert enrolment_row(app, stranger, course_id) is None
    staff = signed_in(app, instructor)
    assert "Leave this course" not in staff.get(HOME).get_data(as_text=True)
    assert events_of(app, "course_left") == []
    assert signed_in(app, stranger).post(LEAVE).status_code == 400  # no token at all
    assert app.test_client().post(LEAVE).status_code in (302, 400)  # logged out: nothing


def test_leaving_one_course_leaves_the_others_alone(app, make_user, course_id, instructor):
    other_id = make_course(app, instructor, "other")
    trainee = make_user()
    client = enrolled(app, trainee)
    post_form(client, "/courses/other/enrol", page="/courses/other")
    post_form(client, "/courses/other/leave", page="/courses/other")
    assert enrolment_row(app, trainee, other_id).withdrawn_at is not None
    assert enrolment_row(app, trainee, course_id).withdrawn_at is None
    assert "Leave this course" in client.get(HOME).get_data(as_text=True)
    post_form(client, "/courses/other/leave", page="/courses/other")  # twice: no second one
    assert len(events_of(app, "course_left", trainee.id)) == 1


def test_leaving_twice_is_refused_by_the_service(app, make_user, course_id):
    trainee = make_user()
    enrolled(app, trainee)
    with app.app_context():
        user, course = db.session.get(User, trainee.id), db.session.get(Course, course_id)
        enrolment.withdraw(user, course)
        db.session.commit()
        with pytest.raises(enrolment.WithdrawError, match="not enrolled"):
            enrolment.withdraw(user, course)


def test_enrolling_again_clears_the_withdrawal_and_keeps_the_enrolment(app, make_user,
                                                                       course_id):
    trainee = make_user()
    client = enrolled(app, trainee)
    first = enrolment_row(app, trainee, course_id)
    post_form(client, LEAVE, page=HOME)
    post_form(client, "/courses/tagging/enrol", page=HOME)
    again = enrolment_row(app, trainee, course_id)
    assert (again.id, again.created_at, again.withdrawn_at) == (first.id, first.created_at, None)
    enrolments = events_of(app, "enrolled", trainee.id)
    assert len(enrolments) == 2 and enrolments[1]["again"] is True
    assert "<summary>Leave this course</summary>" in client.get(HOME).get_data(as_text=True)


def test_an_invite_link_brings_a_trainee_who_left_back(app, make_user, course_id, instructor):
    cohort_id = make_cohort(app, course_id, instructor, capacity=1)
    trainee = make_user()
    client = signed_in(app, trainee)
    link = invite_link(app, instructor, cohort_id)
    post_form(client, link, page=link)
    assert enrolment_row(app, trainee, course_id).cohort_id == cohort_id
    post_form(client, LEAVE, page=HOME)
    post_form(client, link, page=link)  # the cohort is full, but the place is theirs
    row = enrolment_row(app, trainee, course_id)
    assert row.withdrawn_at is None and row.cohort_id == cohort_id
    with app.app_context():
        assert db.session.get(Cohort, cohort_id) is not None


def test_a_trainee_who_left_may_not_practise_until_they_come_back(app, make_user, course_id):
    trainee = make_user()
    client = enrolled(app, trainee)
    post_form(client, LEAVE, page=HOME)
    response = client.get("/courses/tagging/practice")
    assert response.status_code == 302 and response.headers["Location"].endswith(HOME)


# The dropout window: the course settings form and course.yaml.


def test_the_course_form_sets_the_dropout_window(app, instructor, course_id):
    client = signed_in(app, instructor)
    page = client.get("/courses/tagging/edit").get_data(as_text=True)
    assert "Dropout window (days)" in page and 'value="7"' in page
    fields = {"title": "Tagging", "status": "open"}
    refused = post_form(client, "/courses/tagging/edit",
                        {**fields, "dropout_window_days": "91"}, page="/courses/tagging/edit")
    assert refused.status_code == 200
    assert "Give a number of days from 1 to 90." in refused.get_data(as_text=True)
    saved = post_form(client, "/courses/tagging/edit", {**fields, "dropout_window_days": "14"},
                      page="/courses/tagging/edit")
    assert saved.status_code == 302
    with app.app_context():
        assert db.session.get(Course, course_id).dropout_window_days == 14


def test_a_new_course_gets_the_default_window(app, instructor):
    client = signed_in(app, instructor)
    response = post_form(client, "/courses/new", {"title": "Poses", "slug": "poses",
                                                  "status": "draft"}, page="/courses/new")
    assert response.status_code == 302
    with app.app_context():
        course = db.session.scalar(select(Course).where(Course.slug == "poses"))
        assert course.dropout_window_days == 7


def test_a_bundles_dropout_window_is_imported_and_exported(app, bundle_copy: Path,
                                                           tmp_path: Path):
    yaml = bundle_copy / "course.yaml"
    yaml.write_text(yaml.read_text().replace("dropout_window_days: 7", "dropout_window_days: 21"))
    with app.app_context():
        course = import_bundle(bundle_copy, actor=None).course
        db.session.commit()
        assert course.dropout_window_days == 21
        export_bundle(course, tmp_path / "out")
    assert "\ndropout_window_days: 21\n" in (tmp_path / "out" / "course.yaml").read_text()


def test_a_bundle_without_the_key_keeps_the_default(app, bundle_copy: Path):
    yaml = bundle_copy / "course.yaml"
    yaml.write_text(yaml.read_text().replace("dropout_window_days: 7\n", ""))
    with app.app_context():
        assert import_bundle(bundle_copy, actor=None).course.dropout_window_days == 7


@pytest.mark.parametrize(("value", "message"), [
    ("0", "dropout_window_days must be between 1 and 90 (days)"),
    ("365", "dropout_window_days must be between 1 and 90 (days)"),
    ("a week", "dropout_window_days must be a whole number, like 90"),
])
def test_a_bad_dropout_window_is_reported_at_its_line(app, bundle_copy: Path, value, message):
    yaml = bundle_copy / "course.yaml"
    text = yaml.read_text().replace("dropout_window_days: 7", f"dropout_window_days: {value}")
    yaml.write_text(text)
    line = text.split("\n").index(f"dropout_window_days: {value}") + 1
    with app.app_context(), pytest.raises(SourceInvalid) as caught:
        import_bundle(bundle_copy, actor=None)
    assert [str(error) for error in caught.value.errors] == [f"course.yaml:{line}: {message}"]
