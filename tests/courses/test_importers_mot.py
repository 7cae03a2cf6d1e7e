"""MOTChallenge sequences (gt/gt.txt, seqinfo.ini, img1/) as tracks items with frame strips:
classes, flags, windows and scaling, and every bad row or file reported at its line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

import graders
from courses import clips
from courses.errors import SourceInvalid
from courses.importers import from_mot, parse_classes, tracking

SEQINFO = ("[Sequence]\nname=MOT17-02-DEMO\nimDir=img1\nframeRate=30\nseqLength={frames}\n"
           "imWidth={width}\nimHeight={height}\nimExt=.jpg\n")
# Each frame one flat colour, so a strip shows which frame went where.
COLOURS = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (200, 200, 30), (30, 200, 200),
           (200, 30, 200)]
GT = "\n".join([
    "1,1,10,8,20,30,1,1,0.9",
    "2,1,12,8,20,30,1,1,0.8",
    "3,1,14,8,20,30,1,1,1",
    "1,2,-6,20,16,10,1,3,1",    # a car half out of the frame on the left: clipped
    "2,2,40,20,16,10,1,3,1",
    "4,2,44,20,30,10,1,3,0.5",   # and off the right edge
    "2,3,1,1,5,5,0,1,1",         # flagged 0: ignored, as the benchmark does
    "3,4,1,1,5,5,1,8,1",         # a distractor: left out
    "",
])


def sequence(root: Path, frames: int = 5, size: tuple[int, int] = (64, 48), *,
             seqinfo: str | None = None, extension: str = ".jpg") -> Path:
    """A small sequence folder: seqinfo.ini, img1/ with flat frames, gt/gt.txt."""
    (root / "img1").mkdir(parents=True)
    (root / "gt").mkdir()
    for frame in range(1, frames + 1):
        Image.new("RGB", size, COLOURS[(frame - 1) % len(COLOURS)]).save(
            root / "img1" / f"{frame:06d}{extension}")
    if seqinfo is not False:
        (root / "seqinfo.ini").write_text(seqinfo or SEQINFO.format(
            frames=frames, width=size[0], height=size[1]))
    (root / "gt" / "gt.txt").write_text(GT)
    return root


def errors(raised: pytest.ExceptionInfo[SourceInvalid]) -> list[str]:
    return [str(error) for error in raised.value.errors]


def strip_colours(content: bytes, frames: int) -> list[tuple[int, ...]]:
    """The colour in the middle of each frame of a strip."""
    strip = Image.open(io.BytesIO(content))
    height = strip.height // frames
    return [strip.getpixel((strip.width // 2, frame * height + height // 2))
            for frame in range(frames)]


def near(got: tuple[int, ...], want: tuple[int, ...]) -> bool:
    return all(abs(a - b) <= 12 for a, b in zip(got, want, strict=True))  # JPEG rounding


def test_a_sequence_becomes_one_tracks_item_with_its_strip(tmp_path: Path):
    root = sequence(tmp_path / "MOT17-02")
    converted = from_mot(GT, root, pools="exam")
    (item,) = converted.items
    assert item["id"] == "mot-mot17-02-demo" and item["kind"] == "tracks"
    assert item["pools"] == ["exam"] and item["media"] == "media/clips/mot-mot17-02-demo.jpg"
    assert item["spec"] == {"width": 64, "height": 48, "frames": 5, "labels": ["pedestrian", "car"]}
    assert item["gold"] == [
        {"id": 1, "label": "pedestrian", "boxes": {
            "0": {"x": 10, "y": 8, "w": 20, "h": 30}, "1": {"x": 12, "y": 8, "w": 20, "h": 30},
            "2": {"x": 14, "y": 8, "w": 20, "h": 30}}},
        {"id": 2, "label": "car", "boxes": {
            "0": {"x": 0, "y": 20, "w": 10, "h": 10}, "1": {"x": 40, "y": 20, "w": 16, "h": 10},
            "3": {"x": 44, "y": 20, "w": 20, "h": 10}}},
    ]
    content = converted.media[item["media"]]
    assert clips.strip_problem(item["spec"], content) is None
    assert all(near(got, want) for got, want in
               zip(strip_colours(content, 5), COLOURS, strict=False))
    score = graders.score("tracks", item["spec"], item["gold"], item["gold"])
    assert score.points == 1.0 and score.correct


def test_a_long_sequence_is_cut_into_clips_numbered_as_mot_numbers_frames(tmp_path: Path):
    root = sequence(tmp_path / "seq")
    converted = from_mot(GT, root, clip=2)
    assert [item["id"] for item in converted.items] == [
        "mot-mot17-02-demo-000001-000002", "mot-mot17-02-demo-000003-000004",
        "mot-mot17-02-demo-000005-000005"]
    assert [item["spec"]["frames"] for item in converted.items] == [2, 2, 1]
    second = converted.items[1]
    assert second["gold"] == [
        {"id": 1, "label": "pedestrian", "boxes": {"0": {"x": 14, "y": 8, "w": 20, "h": 30}}},
        {"id": 2, "label": "car", "boxes": {"1": {"x": 44, "y": 20, "w": 20, "h": 10}}}]
    assert converted.items[2]["gold"] == []  # nothing in view in frame 5
    assert all(near(got, want) for got, want in zip(
        strip_colours(converted.media[second["media"]], 2), COLOURS[2:4], strict=True))


def test_frames_are_scaled_down_until_the_strip_fits_and_boxes_with_them(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(clips, "MAX_STRIP_PIXELS", 32 * 24 * 5)
    root = sequence(tmp_path / "seq")
    (item,) = from_mot(GT, root).items
    assert (item["spec"]["width"], item["spec"]["height"]) == (32, 24)
    assert item["gold"][0]["boxes"]["0"] == {"x": 5, "y": 4, "w": 10, "h": 15}


def test_the_strip_never_has_more_rows_than_a_jpeg_can_hold():
    assert tracking.fitted_size(100, 1000, 300) == (21, 218)
    width, height = tracking.fitted_size(1920, 1080, 300)
    assert 300 * width * height <= clips.MAX_STRIP_PIXELS and 300 * height <= 65_535
    assert tracking.fitted_size(64, 48, 5) == (64, 48)  # never scaled up


def test_every_bad_row_is_reported_at_its_line_with_its_field(tmp_path: Path):
    root = sequence(tmp_path / "seq")
    rows = [
        "1,1,10,8,20,30,1,1",             # 8 values
        "x,1,10,8,20,30,1,1,1",
        "6,1,10,8,20,30,1,1,1",           # beyond seqLength 5
        "0,1,10,8,20,30,1,1,1",
        "1,-1,10,8,20,30,1,1,1",
        "1,9007199254740993,10,8,20,30,1,1,1",
        "1,5,nan,8,20,30,1,1,1",
        "1,5,10,1e308,20,30,1,1,1",
        "1,5,10,8,0,30,1,1,1",
        "1,5,10,8,20,30,2,1,1",
        "1,5,10,8,20,30,1,13,1",
        "1,5,10,8,20,30,1,1,1.5",
        "1,5,1000,8,20,30,1,1,1",
        "1,6,10,8,20,30,1,1,1",
        "1,6,11,8,20,30,1,1,1",           # (frame 1, id 6) again
        "2,6,11,8,20,30,1,3,1",           # id 6 changes class
    ]
    with pytest.raises(SourceInvalid) as raised:
        from_mot("\n".join(rows), root)
    assert errors(raised) == [
        "gt.txt:1: a gt.txt row has 9 values (frame, id, left, top, width, height, flag, "
        "class, visibility), got 8",
        "gt.txt:2: frame: must be a whole number, got 'x'",
        "gt.txt:3: frame: must be a whole number from 1 to 5, got 6",
        "gt.txt:4: frame: must be a whole number from 1 to 5, got 0",
        "gt.txt:5: id: must be a whole number from 0 to 9007199254740992, got -1",
        "gt.txt:6: id: must be a whole number from 0 to 9007199254740992, got 9007199254740993",
        "gt.txt:7: left: must be a finite number of pixels, got nan",
        "gt.txt:8: top: must be a finite number of pixels, got 1e308",
        "gt.txt:9: width: must be a positive number, got 0",
        "gt.txt:10: flag: must be a whole number from 0 to 1, got 2",
        "gt.txt:11: class: unknown class 13 (known: 1 (pedestrian), 2 (person_on_vehicle), "
        "3 (car), 4 (bicycle), 5 (motorbike), 6 (non_motorized_vehicle), 7 (static_person))",
        "gt.txt:12: visibility: must be from 0 to 1, got 1.5",
        "gt.txt:13: left, top, width, height: the box (1000, 8, 20, 30) lies outside the "
        "64 x 48 frame",
        "gt.txt:15: frame 1 has id 6 twice (also on line 14)",
        "gt.txt:16: class: id 6 is car here but pedestrian on line 14 (a track keeps one class)",
    ]


def test_a_mapping_keeps_its_classes_and_names_them(tmp_path: Path):
    root = sequence(tmp_path / "seq")
    classes = parse_classes("3=vehicle, 1=person, 7=person")
    assert classes == {3: "vehicle", 1: "person", 7: "person"}
    (item,) = from_mot(GT + "3,4,1,1,5,5,1,13,1\n", root, classes=classes).items
    assert item["spec"]["labels"] == ["vehicle", "person"]  # the mapping's labels, in its order
    assert [(t["id"], t["label"]) for t in item["gold"]] == [(1, "person"), (2, "vehicle")]


@pytest.mark.parametrize("text", ["", "1", "pedestrian", "x=car", "1=", "1:car"])
def test_a_bad_mapping_says_how_to_write_one(text: str):
    with pytest.raises(ValueError, match="CLASS=LABEL"):
        parse_classes(text)


def test_cvat_s_mot_export_names_classes_in_labels_txt_and_has_no_seqinfo(tmp_path: Path):
    root = sequence(tmp_path / "task_1", seqinfo=False, extension=".PNG")
    (root / "gt" / "labels.txt").write_text("person\nvehicle\nsign\n")
    (item,) = from_mot(GT.replace(",1,8,1", ",1,2,1"), root).items
    assert item["id"] == "mot-task_1"
    assert item["spec"] == {"width": 64, "height": 48, "frames": 5,
                            "labels": ["person", "vehicle", "sign"]}
    assert [(t["id"], t["label"]) for t in item["gold"]] == [
        (1, "person"), (2, "sign"), (4, "vehicle")]
    with pytest.raises(SourceInvalid) as raised:
        from_mot("1,1,10,8,20,30,1,4,1\n", root)
    assert errors(raised) == ["gt.txt:1: class: unknown class 4 (known: 1 (person), "
                              "2 (vehicle), 3 (sign))"]


@pytest.mark.parametrize(("change", "message"), [
    ({"imDir": "../elsewhere"}, "gt.txt:1: seqinfo.ini: imDir must name a folder inside the "
                                "sequence folder (letters, digits, '.', '_', '-'), got "
                                "'../elsewhere'"),
    ({"imDir": "/etc"}, "imDir must name a folder inside the sequence folder"),
    ({"imExt": "/../../secret.jpg"}, "gt.txt:1: seqinfo.ini: imExt must be .jpg, .jpeg, .png "
                                     "or .webp, got '/../../secret.jpg'"),
    ({"imExt": ".svg"}, "imExt must be .jpg, .jpeg, .png or .webp"),
    ({"seqLength": "100001"}, "gt.txt:1: seqinfo.ini: seqLength: must be a whole number from "
                              "1 to 100000, got 100001"),
    ({"imWidth": "-64"}, "seqinfo.ini: imWidth: must be a whole number from 1 to 8192"),
    ({"imHeight": "4.5"}, "seqinfo.ini: imHeight: must be a whole number from 1 to 8192"),
])
def test_seqinfo_cannot_lead_outside_the_sequence_or_claim_absurd_sizes(
        tmp_path: Path, change: dict[str, str], message: str):
    info = {"name": "s", "imDir": "img1", "seqLength": "5", "imWidth": "64", "imHeight": "48",
            "imExt": ".jpg"} | change
    text = "[Sequence]\n" + "".join(f"{key}={value}\n" for key, value in info.items())
    root = sequence(tmp_path / "seq", seqinfo=text)
    with pytest.raises(SourceInvalid) as raised:
        from_mot(GT, root)
    assert any(message in error for error in errors(raised)), errors(raised)


def test_seqinfo_must_be_an_ini_with_a_sequence_section(tmp_path: Path):
    root = sequence(tmp_path / "seq", seqinfo="imWidth=64\n")
    with pytest.raises(SourceInvalid) as raised:
        from_mot(GT, root)
    assert errors(raised)[0].startswith("gt.txt:1: seqinfo.ini needs a [Sequence] section")


def test_frames_must_be_there_be_images_and_have_the_sequence_s_size(tmp_path: Path):
    root = sequence(tmp_path / "seq")
    (root / "img1" / "000002.jpg").unlink()
    (root / "img1" / "000003.jpg").write_bytes(b"GIF89a not really")
    Image.new("RGB", (48, 64)).save(root / "img1" / "000004.jpg")
    with pytest.raises(SourceInvalid) as raised:
        from_mot(GT, root)
    assert errors(raised) == ['gt.txt:1: img1/000002.jpg: does not exist']
    Image.new("RGB", (64, 48)).save(root / "img1" / "000002.jpg")
    with pytest.raises(SourceInvalid) as raised:
        from_mot(GT, root)
    assert errors(raised)[0].startswith("gt.txt:1: 000003.jpg: cannot be read as a JPEG, PNG "
                                        "or WebP image")
    assert errors(raised)[1] == "gt.txt:1: 000004.jpg: the frame is 48 x 64 pixels, not 64 x 48"


def test_a_linked_frame_folder_is_refused(tmp_path: Path):
    elsewhere = sequence(tmp_path / "elsewhere")
    root = tmp_path / "seq"
    root.mkdir()
    (root / "gt").mkdir()
    (root / "seqinfo.ini").write_text((elsewhere / "seqinfo.ini").read_text())
    (root / "img1").symlink_to(elsewhere / "img1")
    with pytest.raises(SourceInvalid) as raised:
        from_mot(GT, root)
    assert "which is a link (links are not allowed)" in errors(raised)[0]


def test_a_window_too_full_for_one_item_asks_for_a_shorter_clip(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(tracking, "MAX_BOXES", 4)
    root = sequence(tmp_path / "seq")
    with pytest.raises(SourceInvalid) as raised:
        from_mot(GT, root)
    assert errors(raised) == [
        "gt.txt:1: frames 1 to 5 have 2 tracks and 6 boxes; an item holds at most 100 tracks "
        "and 4 boxes: cut the clip shorter (--clip)"]
    assert len(from_mot(GT, root, clip=2).items) == 3


def test_a_clip_longer_than_a_strip_holds_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="a clip has 1 to 300 frames, got 301"):
        from_mot(GT, sequence(tmp_path / "seq"), clip=301)


def test_nothing_to_import_is_said(tmp_path: Path):
    with pytest.raises(SourceInvalid) as raised:
        from_mot("1,1,10,8,20,30,0,1,1\n", sequence(tmp_path / "seq"))
    assert errors(raised) == ["gt.txt:1: no box to import: every row is flagged 0 or of a "
                              "class left out"]
