"""Refresh exams on the drawn kinds through the test client: a manual change marked material on
the tracks and lidar sections sends a qualified trainee to a refresh exam that draws the
tracks and cuboids items of those sections only, serves their tools' media, and grades them;
in a sequential course the refresh exam is a fixed one, failed and then passed."""

from __future__ import annotations

import json
import random

from bootcamp.extensions import db
from exams.models import Attempt, AttemptKind
from exams.services import attempts, qualifications, sequential_exams
from exams.services.qualifications import Status
from tests.exams.test_exam_new_kinds import AWAY_CUBOID, drawn_gold_leaks, text
from tests.factories import (
    CUBOIDS_GOLD,
    KINDS_MANUAL,
    KINDS_SEQUENTIAL_SLUG,
    KINDS_SEQUENTIAL_TEST,
    KINDS_SLUG,
    TRACKS_GOLD,
    ExamWorld,
    Taker,
    answer_block,
    grades_of,
    make_kinds_exam_course,
    make_kinds_sequential_world,
    positions,
    publish,
    signed_in,
    take,
    use_sequential,
)

# Version 2 changes what the tracks and the lidar sections ask (material) and nothing else.
TRACKS_CHANGED = KINDS_MANUAL.replace("Follow every car through the clip, frame by frame.",
                                      "Follow every car and cyclist through the clip.")
BOTH_CHANGED = TRACKS_CHANGED.replace("around every car in the point cloud.",
                                      "around every car and motorcycle in the point cloud.")
LIDAR_CHANGED = KINDS_MANUAL.replace("around every car in the point cloud.",
                                     "around every car and motorcycle in the point cloud.")


def status_of(app, world: ExamWorld):
    with app.app_context():
        return qualifications.qualification_of(world.trainee.id, world.course_id)


def test_a_refresh_on_the_changed_sections_draws_and_grades_the_track_and_the_cuboids(
        app, make_user, exam_staff):
    trainee = make_user()
    world = ExamWorld(make_kinds_exam_course(app, exam_staff, (trainee,)), exam_staff, trainee)
    with app.app_context():
        assert take(world).passed
        publish(world, BOTH_CHANGED, ["tracks", "lidar"])
    assert status_of(app, world).status == Status.NEEDS_REFRESH
    taker = Taker(signed_in(app, trainee), [])
    rules = text(taker.get(f"/courses/{KINDS_SLUG}/exam"))
    assert "Refresh exam" in rules
    # The sections in the manual's order, as the notice names them (not their ids' order).
    assert "Items 2, on what changed: Following road users, Lidar" in rules

    attempt_id = taker.start(KINDS_SLUG)
    where = positions(app, attempt_id)
    assert set(where) == {"t-clip", "q-cloud"}  # the only items on the changed sections
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('<section class="card exam-item"') == 2
    assert 'data-kind="tracks"' in page and 'data-kind="cuboids"' in page
    assert "Submit the exam" in page
    for media in ("clip-02.png", "lidar-02.pcd?packed"):
        assert taker.get(f"/attempts/{attempt_id}/media/{media}").status_code == 200
    token = taker.token(f"/attempts/{attempt_id}")
    assert taker.save(attempt_id, where["t-clip"], TRACKS_GOLD, 1, token).status_code == 200
    taker.post(f"/attempts/{attempt_id}/submit", {
        "csrf_token": token, f"answer-{where['q-cloud']}": json.dumps(AWAY_CUBOID)})

    assert grades_of(app, attempt_id) == {"t-clip": (1.0, True), "q-cloud": (0.0, False)}
    with app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.kind == AttemptKind.REFRESH
        assert (attempt.score, attempt.passed) == (0.5, True)  # the pass mark is 0.5
    qualification = status_of(app, world)
    assert qualification.status == Status.QUALIFIED
    assert qualification.manual_version_id == attempt.manual_version_id
    result = text(taker.get(f"/attempts/{attempt_id}/result"))
    assert "Result Passed" in result and "Score" not in result  # fewer than 3 items
    assert "Your answer: 1 track drawn (1 car)" in result
    assert "Your answer: 1 cuboid drawn (1 car)" in result
    for label, body in taker.bodies:
        if not label.endswith((".png", "?packed")):
            assert drawn_gold_leaks(body) == [], label


def test_a_sequential_courses_refresh_is_a_fixed_exam_of_its_changed_cuboids(
        app, make_user, monkeypatch):
    use_sequential(monkeypatch, KINDS_SEQUENTIAL_TEST)
    world = make_kinds_sequential_world(app, make_user)
    with app.app_context():  # qualify: every answer right, decided in the second block
        attempt = attempts.start(world.user(world.trainee), world.course(),
                                 rng=random.Random(1))
        while attempt.is_open:
            answer_block(attempt, right=lambda position, key: True)
            attempt = sequential_exams.advance(attempt, rng=random.Random(1))
        db.session.commit()
        assert attempt.passed
        publish(world, LIDAR_CHANGED, ["lidar"])
    assert status_of(app, world).status == Status.NEEDS_REFRESH
    taker = Taker(signed_in(app, world.trainee), [])
    rules = text(taker.get(f"/courses/{KINDS_SEQUENTIAL_SLUG}/exam"))
    assert "Refresh exam" in rules and "Items 2, on what changed: Lidar" in rules

    for number, answer, passed in ((1, AWAY_CUBOID, False), (2, CUBOIDS_GOLD, True)):
        attempt_id = taker.start(KINDS_SEQUENTIAL_SLUG)
        where = positions(app, attempt_id)
        assert len(where) == 2 and all(key.startswith("q-") for key in where)
        page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
        assert "Submit the exam" in page and "Next items" not in page
        assert 'name="drawn"' not in page
        assert page.count('data-kind="cuboids"') == 4  # each item's section and its tool
        token = taker.token(f"/attempts/{attempt_id}")
        for position in where.values():
            assert taker.save(attempt_id, position, answer, 1, token).status_code == 200
        taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token})
        grade = (1.0, True) if passed else (0.0, False)
        assert grades_of(app, attempt_id) == dict.fromkeys(where, grade)
        with app.app_context():
            attempt = db.session.get(Attempt, attempt_id)
            assert (attempt.kind, attempt.number, attempt.sequential) == (
                AttemptKind.REFRESH, number, None)
            assert attempt.passed is passed
        assert status_of(app, world).status == (
            Status.QUALIFIED if passed else Status.NEEDS_REFRESH)
        result = text(taker.get(f"/attempts/{attempt_id}/result"))
        assert ("Result Passed" if passed else "Result Not passed") in result
        assert "Your answer: 1 cuboid drawn (1 car)" in result
    assert "Status Qualified" in text(taker.get(f"/courses/{KINDS_SEQUENTIAL_SLUG}/exam"))
