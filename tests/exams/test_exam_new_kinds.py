"""The exam path of the drawn kinds (tracks on a clip's frame strip, cuboids in a lidar cloud)
through the test client: the take page mounts both tools on media only the open attempt
serves, autosave keeps well-formed answers and explains malformed ones, submit grades them, the
result sums them up, and a disputed tracks item corrected by an instructor regrades the
attempt. No page or answer ever carries a gold (tests.factories.gold_leaks and the new golds'
numbers).
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace

import pytest
from sqlalchemy import select

from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import Item
from courses.services import catalog, enrolment
from courses.services.bundles import import_bundle
from exams.models import Attempt, Dispute, DisputeStatus
from exams.services import settings
from tests.factories import (
    CUBOIDS_GOLD,
    EXPLANATION,
    KINDS_SLUG,
    TRACKS_GOLD,
    TRACKS_SPEC,
    Taker,
    gold_leaks,
    has_number,
    make_kinds_exam_course,
    positions,
    post_form,
    response_of,
    signed_in,
    stored_answers,
)

EXAM = f"/courses/{KINDS_SLUG}/exam"
# A car followed through four frames far from the gold's: a well-formed, wrong track.
AWAY_TRACK = [{"id": 7, "label": "car", "boxes": {
    str(frame): {"x": 200 + 4 * frame, "y": 20, "w": 40, "h": 30} for frame in range(4)}}]
AWAY_CUBOID = [{"label": "car", "x": -20, "y": -8, "z": -1, "l": 4, "w": 2, "h": 1.5,
                "yaw": 0}]


@pytest.fixture
def taker(app, exam_staff, exam_trainee) -> Taker:
    """The trainee of tests/exams/conftest.py, enrolled in this course and logged in."""
    make_kinds_exam_course(app, exam_staff, (exam_trainee,))
    return Taker(signed_in(app, exam_trainee), [])


def text(response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ",
                                                     response.get_data(as_text=True))))


def drawn_gold_leaks(body: str) -> list[str]:
    """The new golds (or explanations) found in a body: every number of the tracks and the
    cuboids golds stands where only a leak can put it."""
    found = [f"explanation of {key}" for key in ("t-clip", "q-cloud")
             if EXPLANATION.format(key=key) in body]
    numbers = {box[c] for box in TRACKS_GOLD[0]["boxes"].values() for c in "xywh"}
    numbers |= {cuboid[c] for cuboid in CUBOIDS_GOLD for c in ("x", "y", "z", "l", "w", "h", "yaw")}
    return found + [f"gold number {n}" for n in sorted(numbers) if has_number(body, n)]


def begin(app, taker: Taker) -> tuple[int, dict[str, int], str]:
    """Start the exam: the attempt, its positions by item key and the page's CSRF token."""
    attempt_id = taker.start(KINDS_SLUG)
    return attempt_id, positions(app, attempt_id), taker.token(f"/attempts/{attempt_id}")


def hidden_answer(page: str, position: int):
    value = re.search(rf'id="answer-{position}-json" value=\'([^\']*)\'', page).group(1)
    return json.loads(html.unescape(value))


def enrolled(app, user: User) -> User:
    """`user`, enrolled in the course."""
    with app.app_context():
        enrolment.enrol(db.session.get(User, user.id), catalog.find_course(KINDS_SLUG),
                        enrolment.EnrollmentSource.SELF)
        db.session.commit()
    return user


def points_of(app, attempt_id: int, key: str) -> float:
    with app.app_context():
        return response_of(attempt_id, key).points


# --- The take page and its media. -------------------------------------------------------------

def test_the_take_page_mounts_both_tools_on_the_attempts_media(app, taker):
    attempt_id, where, _ = begin(app, taker)
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('<section class="card exam-item"') == 8
    for key, kind, media in (("t-clip", "tracks", "clip-02.png"),
                             ("q-cloud", "cuboids", "lidar-02.pcd")):
        n = where[key]
        section = page.split(f'id="item-{n}"')[1].split("</section>")[0]
        assert f'data-kind="{kind}"' in section and 'data-answer-reader="json"' in section
        assert re.search(rf'data-widget="/static/js/widgets/{kind}\.[\w.]*js"', section)
        assert f'data-media="/attempts/{attempt_id}/media/{media}"' in section
        assert f'data-answer-field="answer-{n}-json"' in section
        assert hidden_answer(section, n) == []
        assert '<img class="item-media"' not in section  # the tool shows the media
    tracks = page.split(f'id="item-{where["t-clip"]}"')[1].split("</section>")[0]
    spec = re.search(r"data-spec='([^']*)'", tracks).group(1)
    assert json.loads(html.unescape(spec)) == TRACKS_SPEC  # the spec, and nothing of the gold
    assert "js/widgets/index." in page
    # What the tools fetch: the strip, and the cloud packed (?packed, as cuboids.js asks).
    strip = taker.get(f"/attempts/{attempt_id}/media/clip-02.png")
    assert strip.status_code == 200 and strip.mimetype == "image/png"
    packed = taker.get(f"/attempts/{attempt_id}/media/lidar-02.pcd?packed")
    assert packed.status_code == 200 and packed.mimetype == "application/octet-stream"
    assert packed.get_data()[:4] == b"BCPC"
    assert packed.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_exam_media_reach_only_the_open_attempt_that_shows_them(app, taker, make_user, exam_staff):
    attempt_id, _, token = begin(app, taker)
    paths = [f"/attempts/{attempt_id}/media/clip-02.png",
             f"/attempts/{attempt_id}/media/lidar-02.pcd",
             f"/attempts/{attempt_id}/media/lidar-02.pcd?packed"]
    course_paths = [f"/courses/{KINDS_SLUG}/media/clip-02.png",
                    f"/courses/{KINDS_SLUG}/media/lidar-02.pcd",
                    f"/courses/{KINDS_SLUG}/media/lidar-02.pcd?packed"]
    assert [taker.get(path).status_code for path in paths] == [200, 200, 200]
    # Exam-only media: not on the course's route, even to the trainee taking the exam.
    assert [taker.get(path).status_code for path in course_paths] == [404, 404, 404]

    rival = Taker(signed_in(app, enrolled(app, make_user(Role.TRAINEE))), [])  # an attempt too
    rival_attempt = rival.start(KINDS_SLUG)
    assert rival.get(f"/attempts/{rival_attempt}/media/clip-02.png").status_code == 200
    stranger = signed_in(app, make_user(Role.TRAINEE))  # not enrolled
    for client in (rival.client, stranger):
        assert [client.get(path).status_code for path in paths + course_paths] == [404] * 6
    anonymous = app.test_client()
    assert all(anonymous.get(path).status_code == 302 for path in paths)  # to the log-in
    # Staff study the course's media, not a trainee's attempt.
    staff_client = signed_in(app, exam_staff)
    assert [staff_client.get(path).status_code for path in paths] == [404] * 3
    assert [staff_client.get(path).status_code for path in course_paths] == [200] * 3

    taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token})
    assert [taker.get(path).status_code for path in paths] == [404] * 3  # closed


# --- Autosave. --------------------------------------------------------------------------------

def test_autosave_keeps_drawn_answers_and_explains_malformed_ones(app, taker):
    attempt_id, where, token = begin(app, taker)
    track, cloud = where["t-clip"], where["q-cloud"]
    saved = taker.save(attempt_id, track, AWAY_TRACK, 3, token)
    assert saved.status_code == 200 and saved.get_json()["seq"] == 3
    assert taker.save(attempt_id, cloud, AWAY_CUBOID, 4, token).status_code == 200
    refusals = {
        (track, json.dumps([{"id": 1, "label": "car", "boxes": {"30": {
            "x": 1, "y": 1, "w": 2, "h": 2}}}])): "track 1 (boxes.30) no such frame",
        (track, json.dumps([{"id": 1, "label": "bus", "boxes": {}}])):
            "track 1 (label) unknown label 'bus'",
        (track, json.dumps({"id": 1})): "the answer must be a list",
        (cloud, json.dumps([{**AWAY_CUBOID[0], "yaw": None}])): "cuboid 1 (yaw)",
        (cloud, json.dumps([{**AWAY_CUBOID[0], "x": 100}])):
            "cuboid 1 (x) outside the cloud: x = 100 is not within -30..30",
    }
    for (position, answer), detail in refusals.items():
        refused = taker.save(attempt_id, position, None, 9, token,
                             raw=f'{{"answer": {answer}, "seq": 9}}')
        assert refused.status_code == 400, answer
        assert refused.mimetype == "application/problem+json"
        assert refused.get_json()["title"] == "Answer refused"
        assert detail in refused.get_json()["detail"], refused.get_json()["detail"]
    stored = stored_answers(app, attempt_id)
    assert stored[track] == (AWAY_TRACK, 3) and stored[cloud] == (AWAY_CUBOID, 4)
    # A reload gives each tool the saved answer back.
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert hidden_answer(page, track) == AWAY_TRACK
    assert hidden_answer(page, cloud) == AWAY_CUBOID
    for position in (track, cloud):
        assert f'id="answer-{position}-status">Saved</p>' in page


# --- Grading, the result and no gold. ---------------------------------------------------------

def test_right_drawn_answers_score_fully_and_wrong_ones_less(app, taker, make_user):
    attempt_id, where, token = begin(app, taker)
    assert taker.save(attempt_id, where["t-clip"], TRACKS_GOLD, 1, token).status_code == 200
    # The cuboids answer comes with the form post, as the page without JavaScript sends it.
    taker.post(f"/attempts/{attempt_id}/submit", {
        "csrf_token": token, f"answer-{where['q-cloud']}": json.dumps(CUBOIDS_GOLD),
        f"answer-{where['t-clip']}": json.dumps(TRACKS_GOLD)})
    assert points_of(app, attempt_id, "t-clip") == 1.0
    assert points_of(app, attempt_id, "q-cloud") == 1.0

    wrong = Taker(signed_in(app, enrolled(app, make_user(Role.TRAINEE))), [])
    other_id, other_where, other_token = begin(app, wrong)
    near = [{**TRACKS_GOLD[0], "boxes": {**TRACKS_GOLD[0]["boxes"],
                                         "3": {"x": 150, "y": 20, "w": 40, "h": 30}}}]
    wrong.save(other_id, other_where["t-clip"], near, 1, other_token)
    wrong.save(other_id, other_where["q-cloud"], AWAY_CUBOID, 1, other_token)
    wrong.post(f"/attempts/{other_id}/submit", {"csrf_token": other_token})
    assert 0 < points_of(app, other_id, "t-clip") < 1.0  # three frames of four followed
    assert points_of(app, other_id, "q-cloud") == 0.0
    with app.app_context():
        assert db.session.get(Attempt, other_id).score < db.session.get(Attempt, attempt_id).score


def test_the_result_sums_up_the_drawn_answers_and_no_page_shows_a_gold(app, taker, exam_staff):
    taker.get(EXAM)
    attempt_id, where, token = begin(app, taker)
    take_path = f"/attempts/{attempt_id}"
    for path in ("clip-02.png", "lidar-02.pcd?packed"):
        taker.get(f"{take_path}/media/{path}")
    taker.save(attempt_id, where["t-clip"], AWAY_TRACK, 1, token)
    taker.save(attempt_id, where["q-cloud"], AWAY_CUBOID + AWAY_CUBOID, 1, token)
    taker.save(attempt_id, where["q-cloud"], [{"label": "bus"}], 2, token)  # refused
    taker.get(take_path)
    taker.post(f"{take_path}/submit", {"csrf_token": token}, follow_redirects=True)
    result = taker.get(f"{take_path}/result")
    body = text(result)
    assert "Your answer: 1 track drawn (1 car)" in body
    assert "Your answer: 2 cuboids drawn (2 car)" in body
    assert "Dispute item 7" in body and "Dispute item 8" in body
    taker.post(f"{take_path}/items/{where['q-cloud']}/dispute",
               {"csrf_token": token, "comment": "There is no car there."},
               follow_redirects=True)
    taker.get(EXAM)
    with app.app_context():
        dispute_id = db.session.scalar(select(Dispute.id))
    seen = text(signed_in(app, exam_staff).get(f"/courses/{KINDS_SLUG}/disputes/{dispute_id}"))
    assert "Your cuboids drawn over the correct ones, seen from above" in seen

    assert any("Item 8 of 8" in body for _, body in taker.bodies)
    for label, body in taker.bodies:
        if label.endswith("?packed") or label.endswith(".png"):
            continue  # media: the clip's pixels and the cloud's points
        is_take_page = re.fullmatch(r"GET /attempts/\d+", label) and "exam-form" in body
        assert gold_leaks(body, options_shown=bool(is_take_page)) == [], label
        assert drawn_gold_leaks(body) == [], label
    # The scan finds the new golds where they are.
    assert len(drawn_gold_leaks(json.dumps(TRACKS_GOLD))) == 7  # 4 x, and y, w, h
    assert len(drawn_gold_leaks(json.dumps(CUBOIDS_GOLD))) == 7
    assert drawn_gold_leaks(json.dumps(AWAY_TRACK + AWAY_CUBOID)) == []
    assert drawn_gold_leaks(EXPLANATION.format(key="t-clip")) == ["explanation of t-clip"]


# --- Disputes and regrading. ------------------------------------------------------------------

def test_a_tracks_dispute_accepted_as_the_gold_regrades_the_attempt(app, taker, exam_staff,
                                                                   exam_trainee):
    attempt_id, where, token = begin(app, taker)
    position = where["t-clip"]
    taker.save(attempt_id, position, AWAY_TRACK, 1, token)
    taker.save(attempt_id, where["q-cloud"], CUBOIDS_GOLD, 1, token)
    taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token})
    before = points_of(app, attempt_id, "t-clip")
    assert before < 0.5
    with app.app_context():
        score_before = db.session.get(Attempt, attempt_id).score

    sent = taker.post(f"/attempts/{attempt_id}/items/{position}/dispute",
                      {"csrf_token": taker.token(f"/attempts/{attempt_id}/result"),
                       "comment": "The car I followed is the one the prompt means."})
    assert sent.status_code == 302
    assert "You disputed this item" in text(taker.get(f"/attempts/{attempt_id}/result"))
    with app.app_context():
        dispute = db.session.scalar(select(Dispute))
        assert dispute.answer == AWAY_TRACK and dispute.user_id == exam_trainee.id
        dispute_id = dispute.id

    instructor = signed_in(app, exam_staff)
    page = instructor.get(f"/courses/{KINDS_SLUG}/disputes/{dispute_id}")
    assert page.status_code == 200
    assert "against the current gold" in text(page)  # the tracks feedback is drawn
    resolved = post_form(instructor, f"/courses/{KINDS_SLUG}/disputes/{dispute_id}/resolve",
                         {"action": "accept_correct", "reply": "Right: that car."},
                         page=f"/courses/{KINDS_SLUG}/disputes/{dispute_id}")
    assert resolved.status_code == 302, text(resolved)
    assert "Regraded 1 attempt" in text(instructor.get(resolved.headers["Location"]))

    assert points_of(app, attempt_id, "t-clip") == 1.0
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.key == "t-clip"))
        assert item.gold == AWAY_TRACK and item.revision == 2
        assert db.session.get(Dispute, dispute_id).status == DisputeStatus.ACCEPTED
        assert db.session.get(Attempt, attempt_id).score > score_before
    overview = text(taker.get(EXAM))
    assert "was accepted: the item corrected its gold" in overview


def test_the_demo_exam_draws_its_clip_and_cloud(app, repo_root, make_user):
    """The street-scenes demo's exam pool drawn whole (8 items): its tracks and cuboids items
    are exam-only, and the attempt serves their tools what they need."""
    trainee = make_user(Role.TRAINEE)
    with app.app_context():
        import_bundle(repo_root / "examples" / "street-scenes", actor=None)
        course = catalog.find_course("street-scenes")
        rules = settings.rules_of(settings.settings_for(course))
        settings.save_settings(course, replace(rules, item_count=8, quotas={}), None)
        enrolment.enrol(db.session.get(User, trainee.id), course, enrolment.EnrollmentSource.SELF)
        db.session.commit()
    taker = Taker(signed_in(app, trainee), [])
    attempt_id = taker.start("street-scenes")
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert page.count('<section class="card exam-item"') == 8
    for kind, media in (("tracks", "clip-02.png"), ("cuboids", "lidar-02.pcd")):
        assert page.count(f'data-kind="{kind}"') == 2  # the section and its tool
        assert f'data-media="/attempts/{attempt_id}/media/{media}"' in page
    assert taker.get(f"/attempts/{attempt_id}/media/clip-02.png").status_code == 200
    packed = taker.get(f"/attempts/{attempt_id}/media/lidar-02.pcd?packed")
    assert packed.status_code == 200 and packed.get_data()[:4] == b"BCPC"
    for media in ("clip-02.png", "lidar-02.pcd?packed"):
        assert taker.get(f"/courses/street-scenes/media/{media}").status_code == 404
    assert taker.get("/courses/street-scenes/media/clip-01.png").status_code == 200  # practice
