"""Invitations and qualification notices by email, read from a real SMTP server: one mail per
change, on every path (exam submit, publish, sweep, revoke), none for what rolls back."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import urlsplit

from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import Role
from exams.services import qualifications
from tests.factories import (
    WORLD_MANUAL_V2,
    make_cohort,
    make_course,
    make_world,
    post_form,
    publish,
    signed_in,
    take,
)

DAY = re.compile(r"\b\d{1,2} (January|February|March|April|May|June|July|August|September|"
                 r"October|November|December) \d{4}\b")


def upload(client, cohort_id: int, content: bytes):
    return post_form(client, f"/courses/tagging/cohorts/{cohort_id}/emails",
                     {"emails": (io.BytesIO(content), "people.csv")},
                     content_type="multipart/form-data")


def test_an_email_list_mails_each_new_address_an_invitation(app, make_user, smtp_server):
    instructor = make_user(Role.INSTRUCTOR, email="ivan@example.com")
    make_user(email="known@example.com")
    course_id = make_course(app, instructor, title="Tagging clothes")
    cohort_id = make_cohort(app, course_id, instructor, name="March intake")
    response = upload(signed_in(app, instructor), cohort_id,
                      b"email\nknown@example.com\nnew1@example.com\nNew2@example.com\n")
    assert response.status_code == 200
    received = smtp_server.wait_for(2)
    assert sorted(r.recipients[0] for r in received) == ["new1@example.com",
                                                        "new2@example.com"]
    assert len(smtp_server.wait_for(3, timeout=0.5)) == 2  # the known trainee was enrolled
    first = received[0]
    assert first.subject == "You are invited to Tagging clothes on Bootcamp"
    assert '"Tagging clothes"' in first.text and '"March intake"' in first.text
    assert "ivan has invited you" in first.text  # the inviter (named by their account)
    [link] = first.links()
    assert urlsplit(link).path.startswith("/courses/invite/")
    html = first.message.get_body(preferencelist=("html",)).get_content()
    assert f'href="{link}"' in html.replace("&amp;", "&")
    newcomer = make_user(email="new1@example.com")
    page = signed_in(app, newcomer).get(urlsplit(link).path)
    assert page.status_code == 200 and "March intake" in page.get_data(as_text=True)


def test_a_refused_email_list_mails_nobody(app, make_user, smtp_server):
    instructor = make_user(Role.INSTRUCTOR)
    course_id = make_course(app, instructor)
    cohort_id = make_cohort(app, course_id, instructor, capacity=1)
    page = upload(signed_in(app, instructor), cohort_id, b"a@example.com\nb@example.com\n")
    assert "free places" in page.get_data(as_text=True)
    assert smtp_server.wait_for(1, timeout=0.5) == []


def test_each_qualification_change_mails_the_trainee_once(app, make_user, smtp_server):
    app.config["BASE_URL"] = "https://training.example.com"
    world = make_world(app, make_user)
    with app.app_context():
        title = world.course().title
        slug = world.course().slug
        take(world)  # exam submit: qualified
        [granted] = smtp_server.wait_for(1)
        publish(world, WORLD_MANUAL_V2, ["hats"])  # a material change: needs a refresh
        [_, refresh] = smtp_server.wait_for(2)
        publish(world, WORLD_MANUAL_V2 + "\nMore.\n", ["hats"])  # already due: no new mail
        qualifications.expire_due(utcnow() + timedelta(days=400))  # the sweep
        db.session.commit()
        [*_, expired] = smtp_server.wait_for(3)
        qualifications.revoke(world.trainee.id, world.course_id, "Shared the exam answers.",
                              world.user(world.instructor))
        db.session.commit()
        [*_, revoked] = smtp_server.wait_for(4)
    assert len(smtp_server.wait_for(5, timeout=0.5)) == 4
    assert all(m.recipients == [world.trainee.email] for m in smtp_server.messages)
    assert granted.subject == f"You are qualified for {title}"
    assert "holds until" in granted.text and DAY.search(granted.text)
    assert "refresh exam" in refresh.subject and "“Hats”" in refresh.text
    assert DAY.search(refresh.text)
    assert expired.subject == f"Your qualification for {title} has expired"
    assert "take the exam again" in expired.text
    assert revoked.subject == f"Your qualification for {title} was revoked"
    assert "Shared the exam answers." in revoked.text
    for message in (granted, refresh, expired, revoked):
        assert message.links() == [f"https://training.example.com/courses/{slug}"]
        assert not re.search(r"\d{4}-\d{2}-\d{2}", message.text)  # no ISO dates
