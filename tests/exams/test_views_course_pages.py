"""Course pages outside exams/ show the trainee's qualification and put the exam first when due."""

from __future__ import annotations

import re

from bootcamp.extensions import db
from exams.services import attempts
from tests.factories import WORLD_MANUAL, WORLD_MANUAL_V2, make_world, publish, signed_in, take


def words(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.get_data(as_text=True)))


def test_cards_and_course_home_show_a_refresh_that_is_due(app, make_user):
    world = make_world(app, make_user)
    with app.app_context():
        take(world, world.trainee)
        publish(world, WORLD_MANUAL_V2, ["hats"])
    client = signed_in(app, world.trainee)
    for page in ("/dashboard", "/courses/"):
        text = words(client.get(page))
        assert "Qualification Needs a refresh" in text
        assert re.search(r"Next: Take the refresh exam by \d+ \w+ \d{4}", text), text
    home = words(client.get("/courses/exam-course"))
    assert "pass the refresh exam by" in home and "Take the refresh exam" in home


def test_a_refresh_exam_shows_its_own_rules_and_links_to_what_changed(app, make_user):
    world = make_world(app, make_user)
    with app.app_context():
        take(world, world.trainee)
        publish(world, WORLD_MANUAL_V2, ["hats"])
    page = words(signed_in(app, world.trainee).get("/courses/exam-course/exam"))
    assert "Refresh exam" in page and "Qualification exam" not in page
    # Two items (the refresh setting), drawn from the three hat items, not from all eight.
    assert "Items 2, on what changed: Hats" in page
    assert "Attempts As many as you need before the deadline; wait before a retry: 1 hour" in page
    assert re.search(r"Deadline \d+ \w+ \d{4} \. If you have not passed by then", page), page
    assert "See what changed since version 1 , the version you qualified under." in page
    assert "Attempts allowed" not in page and "hats," not in page


def test_cards_and_course_home_offer_to_resume_an_open_attempt(app, make_user):
    world = make_world(app, make_user)
    with app.app_context():
        attempt = attempts.start(world.user(world.trainee), world.course())
        db.session.commit()
        take_url = f"/attempts/{attempt.id}"
    client = signed_in(app, world.trainee)
    card = client.get("/dashboard").get_data(as_text=True)
    assert f'<a href="{take_url}">Resume your exam</a>' in card
    home = client.get("/courses/exam-course").get_data(as_text=True)
    assert f'href="{take_url}">Resume your exam</a>' in home


def test_a_qualified_trainee_is_told_until_when(app, make_user):
    world = make_world(app, make_user)
    with app.app_context():
        take(world, world.trainee)
    text = words(signed_in(app, world.trainee).get("/courses/exam-course"))
    assert re.search(r"You are qualified until \d+ \w+ \d{4}", text)


def test_an_instructors_dashboard_shows_what_waits_in_the_courses_they_teach(app, make_user):
    from courses.models import Item
    from courses.services import manuals
    from exams.services import disputes

    world = make_world(app, make_user)
    with app.app_context():
        attempt = take(world, world.trainee)
        publish(world, WORLD_MANUAL_V2, ["hats"])  # the qualified trainee is due a refresh
        response = attempt.responses[0]
        disputes.open_dispute(world.user(world.trainee), db.session.get(Item, response.item_id),
                              response.answer, "I think the gold is wrong.", response=response)
        manuals.save_draft(world.course(), WORLD_MANUAL, world.user(world.instructor))
        db.session.commit()
    dashboard = signed_in(app, world.instructor).get("/dashboard")
    page, text = dashboard.get_data(as_text=True), words(dashboard)
    assert "Your courses" in text and "Your training centre" not in text
    row = re.search(r"<tr>\s*<th scope=\"row\"><a href=\"/courses/exam-course\">.*?</tr>", page,
                    re.S)[0]
    assert 'href="/courses/exam-course/manual/draft">A manual draft is not published yet' in row
    assert ">1 open dispute to answer</a>" in row
    assert 'status=needs_refresh">1 trainee is due a refresh exam</a>' in row
    assert re.search(r">1</a></td>", row)  # one trainee enrolled, linked to their progress
    # The trainee's own dashboard is their training centre, with no teaching section.
    trainee = words(signed_in(app, world.trainee).get("/dashboard"))
    assert "Your training centre" in trainee and "Your courses" not in trainee


def test_an_instructor_who_teaches_nothing_is_told_how_to_start(app, make_user):
    from bootcamp.users.models import Role

    text = words(signed_in(app, make_user(Role.INSTRUCTOR)).get("/dashboard"))
    assert "You are on the staff of no course yet" in text
    assert "Your training centre" not in text and "Courses you take" not in text


CARD_STEP = re.compile(r'<p class="next-step"><strong>Next:</strong> <a href="([^"]+)">(.*?)</a>'
                       r'</p>', re.S)
HOME_STEP = re.compile(r'<p class="next-step">.*?<a class="button" href="([^"]+)">(.*?)</a>'
                       r'</p>', re.S)


def next_steps(client, slug: str) -> tuple[tuple[str, str], tuple[str, str]]:
    """(url, label) of the next step on the training-centre card and on the course home."""
    (card,) = CARD_STEP.findall(client.get("/courses/").get_data(as_text=True))
    (home,) = HOME_STEP.findall(client.get(f"/courses/{slug}").get_data(as_text=True))
    return card, home


def test_the_card_and_the_course_home_agree_on_the_next_step_in_every_state(app, make_user):
    from tests.factories import make_manage_world

    world = make_manage_world(app, make_user)  # one attempt, every item needed to pass
    client = signed_in(app, world.trainee)
    slug = "exam-manage"
    seen = []
    for state in ("reading", "attempt open", "failed", "qualified"):
        with app.app_context():
            if state == "attempt open":
                attempts.start(world.user(world.trainee), world.course())
                db.session.commit()
            elif state == "failed":
                attempt = attempts.open_attempt(world.trainee.id, world.course_id)
                attempts.submit(attempt)  # nothing answered: failed, no attempt left
                db.session.commit()
            elif state == "qualified":
                from exams.services import qualifications
                qualifications.reinstate(world.trainee.id, world.course_id, "Another go.",
                                         world.user(world.instructor))
                db.session.commit()
                take(world, world.trainee)
        card, home = next_steps(client, slug)
        assert card == home, state
        seen.append(card[1])
    assert seen[0] == "Start reading the manual"
    assert seen[1] == "Resume your exam"
    assert seen[2] == "Ask for another round"
    assert seen[3].startswith("You are qualified until <time")


def test_the_card_and_the_course_home_agree_when_a_refresh_is_due(app, make_user):
    world = make_world(app, make_user)
    with app.app_context():
        take(world, world.trainee)
        publish(world, WORLD_MANUAL_V2, ["hats"])
    card, home = next_steps(signed_in(app, world.trainee), "exam-course")
    assert card == home and card[1].startswith("Take the refresh exam by <time")
