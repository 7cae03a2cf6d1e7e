"""Cuboids items through the app: practice with feedback in words, the packed cloud's route and
who may fetch it, hostile answers, the exam (its cloud only inside the trainee's own open
attempt, and no gold in any response), and importing clouds.

The clouds are the street-scenes demo's (examples/street_clouds.py wrote them)."""

from __future__ import annotations

import json
import math
import re
import shutil
import struct
from pathlib import Path

import pytest

from bootcamp.users.models import Role
from courses import kinds
from courses.bundles import read_bundle
from courses.cuboid_feedback import notes, where
from courses.errors import SourceInvalid
from courses.importers import from_jsonl
from courses.pointclouds import DEFAULT_LIMIT, PACK_MAGIC
from tests.factories import (
    Taker,
    _exam_course,
    _rules,
    gold_leaks,
    has_number,
    native,
    positions,
    post_form,
    signed_in,
)

SLUG = "lidar"
MEDIA = Path(__file__).resolve().parents[2] / "examples" / "street-scenes" / "media"
CLOUDS = {f"media/{name}": (MEDIA / name).read_bytes() for name in ("lidar-01.pcd", "lidar-02.pcd")}
SPEC = {"labels": ["car", "motorcycle"], "range": {"x": [-30, 30], "y": [-12, 12], "z": [-3, 3]}}
PRACTICE_GOLD = [
    {"label": "car", "x": 9.0, "y": -4.6, "z": -0.98, "l": 4.4, "w": 1.8, "h": 1.5, "yaw": 0.0},
    {"label": "motorcycle", "x": 6.0, "y": -1.2, "z": -0.905, "l": 2.1, "w": 0.8, "h": 1.65,
     "yaw": 0.35}]
# Numbers found nowhere else, so that a scan of every response finds them only if they leak.
EXAM_GOLD = [{"label": "car", "x": 13.917, "y": -4.263, "z": -0.981, "l": 4.381, "w": 1.827,
              "h": 1.493, "yaw": 0.2917}]
EXPLANATION = "GOLD-EXPLANATION-cub-exam"
MANUAL = "# Lidar {#lidar}\n\nDraw a cuboid around every car and motorcycle.\n"


@pytest.fixture
def staff(make_user):
    return make_user(Role.INSTRUCTOR)


@pytest.fixture
def trainee(make_user):
    return make_user(Role.TRAINEE)


@pytest.fixture
def course(app, staff, trainee) -> int:
    practice = native("cub-practice", "cuboids", SPEC, PRACTICE_GOLD, ["lidar"],
                      media="media/lidar-01.pcd", explanation="Two road users.")
    exam = native("cub-exam", "cuboids", SPEC, EXAM_GOLD, ["lidar"], media="media/lidar-02.pcd",
                  pools=("exam",), explanation=EXPLANATION)
    rules = _rules(item_count=1, shuffle=False, pass_mark=0.5, time_limit_seconds=1800,
                   attempts_allowed=2, retry_delay_seconds=3600, validity_days=365)
    return _exam_course(app, staff, SLUG, MANUAL, [practice, exam], rules, (trainee,),
                        title="Lidar", media=CLOUDS)


ITEM = f"/courses/{SLUG}/practice/lidar/cub-practice"
PACKED = f"/courses/{SLUG}/media/lidar-01.pcd?packed"


def answer_practice(client, answer) -> str:
    data = {"answer": answer if isinstance(answer, str) else json.dumps(answer)}
    response = post_form(client, ITEM, data)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_practice_feedback_says_overlap_heading_and_extras_in_words(app, course, trainee, staff):
    turned = {**PRACTICE_GOLD[1], "yaw": 0.35 + math.radians(30)}
    extra = {"label": "car", "x": -20.0, "y": 3.0, "z": -1.0, "l": 4.0, "w": 1.8, "h": 1.5,
             "yaw": 0.0}
    page = answer_practice(signed_in(app, trainee), [PRACTICE_GOLD[0], turned, extra])
    assert "Your cuboids drawn over the correct ones, seen from above" in page
    assert "The car&#39;s box (9.0 m ahead, 4.6 m to the right): your box overlaps the correct " \
           "one by 100%." in page
    assert re.search(r"The motorcycle&#39;s box \(6\.0 m ahead, 1\.2 m to the right\): your box "
                     r"overlaps the correct one by \d+% and is turned 30° from the correct "
                     r"heading", page)
    assert "Extra: your car box 20.0 m behind, 3.0 m to the left matches no object." in page
    assert "turned 30°" in page and "<polygon" in page
    assert "IoU" not in page and "2 of 2 cuboids right, 1 extra" in page
    preview = answer_practice(signed_in(app, staff), [PRACTICE_GOLD[0]])
    assert "3D IoU 1.00, bird's-eye IoU 1.00" in preview  # staff read the measures
    assert "Missed: the motorcycle 6.0 m ahead, 1.2 m to the right." in preview


def test_the_practice_page_mounts_the_widget_on_the_cloud(app, course, trainee):
    page = signed_in(app, trainee).get(ITEM).get_data(as_text=True)
    assert 'data-kind="cuboids"' in page
    assert 'data-media="/courses/lidar/media/lidar-01.pcd"' in page
    assert re.search(r'data-widget="/static/js/widgets/cuboids[^"]*\.js"', page)
    assert "the tool to draw in the point cloud starts when JavaScript is on" in page


@pytest.mark.parametrize("answer", [
    "not json", "[" * 5000, json.dumps([{"label": "car"}]), json.dumps({"label": "car"}),
    json.dumps([{**PRACTICE_GOLD[0], "label": "bus"}]),
    json.dumps([{**PRACTICE_GOLD[0], "x": 1e9}]), json.dumps([{**PRACTICE_GOLD[0], "l": -1}]),
    json.dumps([{**PRACTICE_GOLD[0], "yaw": "1"}]), json.dumps([{**PRACTICE_GOLD[0], "h": 0}]),
    json.dumps([{**PRACTICE_GOLD[0], "extra": 1}]), json.dumps([PRACTICE_GOLD[0]] * 501),
    '[{"label": "car", "x": NaN, "y": 0, "z": 0, "l": 1, "w": 1, "h": 1, "yaw": 0}]',
    json.dumps([{**PRACTICE_GOLD[0], "yaw": 10**400}]),
], ids=["text", "nested", "keys", "object", "label", "outside", "negative", "string",
        "flat", "unknown-key", "too-many", "nan", "huge"])
def test_hostile_answers_are_refused_with_a_message(app, course, trainee, answer):
    page = answer_practice(signed_in(app, trainee), answer)
    alert = re.search(r'<div class="alert" role="alert"><p>([^<]+)</p></div>', page)
    assert alert and alert.group(1).startswith("Your answer could not be"), page
    assert "Your cuboids drawn over" not in page


def _pack_header(body: bytes) -> tuple[int, int]:
    assert body[:4] == PACK_MAGIC
    version, count = struct.unpack("<II", body[4:12])
    return version, count


def test_the_packed_cloud_is_for_staff_and_enrolled_trainees(app, course, trainee, staff,
                                                            make_user):
    client = signed_in(app, trainee)
    response = client.get(PACKED)
    assert response.status_code == 200, response.get_data(as_text=True)
    version, count = _pack_header(response.get_data())
    assert version == 1 and 0 < count <= DEFAULT_LIMIT
    assert len(response.get_data()) == 36 + 7 * count
    assert "immutable" in response.headers["Cache-Control"]
    assert response.headers["Content-Type"] == "application/octet-stream"
    again = client.get(PACKED, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304
    assert signed_in(app, staff).get(PACKED).status_code == 200
    stranger = signed_in(app, make_user(Role.TRAINEE))  # not enrolled
    assert stranger.get(PACKED).status_code == 404
    assert app.test_client().get(PACKED).status_code in (302, 401)  # not logged in
    # The exam's cloud is not on the course's route, packed or not.
    assert client.get(f"/courses/{SLUG}/media/lidar-02.pcd?packed").status_code == 404
    assert client.get(f"/courses/{SLUG}/media/lidar-02.pcd").status_code == 404
    assert client.get(f"/courses/{SLUG}/media/nothing.pcd?packed").status_code == 404
    assert client.get(f"/courses/{SLUG}/media/..%2flidar-01.pcd?packed").status_code == 404


def test_the_exam_cloud_only_inside_the_trainees_own_open_attempt(app, course, trainee,
                                                                 make_user):
    taker = Taker(signed_in(app, trainee), [])
    attempt_id = taker.start(SLUG)
    cloud = f"/attempts/{attempt_id}/media/lidar-02.pcd?packed"
    page = taker.get(f"/attempts/{attempt_id}").get_data(as_text=True)
    assert f'data-media="/attempts/{attempt_id}/media/lidar-02.pcd"' in page
    assert _pack_header(taker.get(cloud).get_data())[0] == 1
    assert taker.get(f"/attempts/{attempt_id}/media/lidar-01.pcd?packed").status_code == 404
    other = make_user(Role.TRAINEE)
    assert signed_in(app, other).get(cloud).status_code == 404
    token = taker.token(f"/attempts/{attempt_id}")
    where_ = positions(app, attempt_id)
    wrong = [{**EXAM_GOLD[0], "x": 2.0, "y": 1.0, "yaw": 0.0}]
    assert taker.save(attempt_id, where_["cub-exam"], wrong, 1, token).status_code == 200
    taker.post(f"/attempts/{attempt_id}/submit", {"csrf_token": token})
    assert taker.get(cloud).status_code == 404


def test_no_cuboid_gold_reaches_the_trainee(app, course, trainee):
    taker = Taker(signed_in(app, trainee), [])
    taker.get(f"/courses/{SLUG}")
    attempt_id = taker.start(SLUG)
    take = f"/attempts/{attempt_id}"
    token = taker.token(take)
    taker.get(f"{take}/media/lidar-02.pcd?packed")
    position = positions(app, attempt_id)["cub-exam"]
    taker.save(attempt_id, position, [{**EXAM_GOLD[0], "x": 2.0, "y": 1.0}], 1, token)
    taker.save(attempt_id, position, [{"label": "bus"}], 2, token)  # refused
    taker.post(f"{take}/submit", {"csrf_token": token}, follow_redirects=True)
    taker.get(f"{take}/result")
    taker.post(f"{take}/items/{position}/dispute",
               {"csrf_token": token, "comment": "My cuboid was right."}, follow_redirects=True)
    taker.get(f"/courses/{SLUG}/exam")
    assert len(taker.bodies) > 6
    for label, body in taker.bodies:
        found = [f"{key} {value}" for key, value in EXAM_GOLD[0].items()
                 if key != "label" and has_number(body, value)]
        assert found == [] and EXPLANATION not in body, label
        assert gold_leaks(body) == [], label
    assert has_number(json.dumps(EXAM_GOLD), 4.381)  # the scan finds gold where it is


def test_the_summary_and_the_default_prompt():
    kind = kinds.kind_of("cuboids")
    assert kind.default_prompt(SPEC, "person") == (
        "Draw a cuboid around every car and motorcycle in the point cloud.")
    assert kinds.answer_summary("cuboids", SPEC, PRACTICE_GOLD) == (
        "2 cuboids drawn (1 car, 1 motorcycle)")


def test_notes_say_heights_mislabels_and_places():
    gold = [{**PRACTICE_GOLD[0]}, {**PRACTICE_GOLD[1], "y": 0.0}]
    lifted = {**PRACTICE_GOLD[0], "z": PRACTICE_GOLD[0]["z"] + 0.3}
    details = {"matched": [{"gold": 0, "answer": 0, "label": "car", "iou": 0.75,
                            "heading_error": 0.0}],
               "mislabelled": [{"gold": 1, "answer": 1, "gold_label": "motorcycle",
                                "answer_label": "car", "iou": 0.9}],
               "missed": [], "extra": []}
    said = notes(gold, [lifted, {**gold[1], "label": "car"}], details)
    assert said[0] == ("warning", "The car's box (9.0 m ahead, 4.6 m to the right): your box "
                                  "overlaps the correct one by 75%, its bottom is 0.3 m too high "
                                  "and its top is 0.3 m too high; it counts, but aim for 80% or "
                                  "more.")
    assert said[1] == ("mislabelled", "Wrong label: the motorcycle 6.0 m ahead is a car in your "
                                      "answer (your box overlaps it by 90%).")
    assert where({"x": -3.0, "y": -0.04}) == "3.0 m behind"


def _items_file(tmp_path: Path, media: str, data: bytes, kind: str = "cuboids") -> Path:
    folder = tmp_path / "media"
    folder.mkdir()
    (folder / media).write_bytes(data)
    item = native("one", kind, SPEC, PRACTICE_GOLD, [], media=f"media/{media}")
    return folder, json.dumps(item) + "\n"


def test_the_jsonl_importer_takes_a_cloud_and_refuses_a_broken_one(tmp_path):
    folder, text = _items_file(tmp_path, "scan.pcd", CLOUDS["media/lidar-01.pcd"])
    converted = from_jsonl(text, folder)
    assert list(converted.media) == ["media/scan.pcd"] and converted.items[0]["kind"] == "cuboids"
    (folder / "scan.pcd").write_bytes(b"# .PCD v0.7\nVERSION 0.7\nFIELDS x y z\n")
    with pytest.raises(SourceInvalid, match=r'items.jsonl:1: item "one": media "media/scan.pcd": '
                                            r"not a PCD file"):
        from_jsonl(text, folder)
    (folder / "scan.pcd").unlink()
    (folder / "scan.bin").write_bytes(b"\x00" * 17)
    with pytest.raises(SourceInvalid, match="not a multiple of 16"):
        from_jsonl(text.replace("scan.pcd", "scan.bin"), folder)


def test_a_cuboids_item_needs_a_point_cloud_and_only_it_may_have_one(tmp_path):
    item = native("one", "cuboids", SPEC, PRACTICE_GOLD, [])
    with pytest.raises(SourceInvalid, match=r"media: a cuboids item needs a point cloud "
                                            r"\(media/<file>\.pcd or a KITTI media/<file>\.bin\)"):
        from_jsonl(json.dumps(item), None)
    with pytest.raises(SourceInvalid, match="a cuboids item needs a point cloud"):
        from_jsonl(json.dumps({**item, "media": "media/street.png"}), None)
    choice = native("two", "choice", {"options": ["a", "b"]}, "a", [], media="media/x.pcd")
    with pytest.raises(SourceInvalid, match="a point cloud is the media of cuboids items only"):
        from_jsonl(json.dumps(choice), None)


def test_a_bundle_with_a_broken_cloud_is_refused(repo_root, tmp_path):
    folder = tmp_path / "street-scenes"
    shutil.copytree(repo_root / "examples" / "street-scenes", folder)
    (folder / "media" / "lidar-01.pcd").write_bytes(b"VERSION 0.7\n")
    with pytest.raises(SourceInvalid) as raised:
        read_bundle(folder)
    assert [str(e) for e in raised.value.errors] == [
        "media/lidar-01.pcd:1: not a PCD file: no complete header (VERSION ... DATA) in the "
        "first 65,536 bytes"]


def test_the_gold_history_draws_the_cuboids_in_words(app, course, staff):
    page = signed_in(app, staff).get(f"/courses/{SLUG}/items/cub-practice").get_data(as_text=True)
    assert "The correct cuboids, seen from above" in page
    assert ("Cuboid 2: motorcycle, 6.0 m ahead, 1.2 m to the right, 2.1 × 0.8 × 1.6 m (length "
            "× width × height), facing 20° to the left") in page
    assert 'stroke-dasharray' not in page.split("The correct cuboids, seen from above")[1]
