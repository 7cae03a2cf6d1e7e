"""Tracks items in the app: a clip's frame strip checked on import, the feedback in words and
frames, and the gold history. The clips are the street-scenes demo's
(examples/street_clip.py wrote them)."""

from __future__ import annotations

import json
import shutil
import struct
import zlib
from pathlib import Path

import pytest

from bootcamp.extensions import db
from bootcamp.users.models import Role
from courses.bundles import read_bundle
from courses.clips import MAX_CLIP_FRAMES, strip_problem
from courses.errors import SourceInvalid
from courses.importers import from_jsonl
from courses.importers.media import image_size_of
from courses.services.bundles import import_bundle
from courses.track_feedback import tracks as feedback_view
from graders import score
from tests.factories import signed_in

SPEC = {"width": 4, "height": 3, "frames": 2, "labels": ["car", "cyclist"]}


def png(width: int, height: int) -> bytes:
    """A grey PNG of that size."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc
    rows = b"".join(b"\0" + b"\x80" * (3 * width) for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_a_strip_must_hold_its_frames_stacked():
    assert strip_problem(SPEC, png(4, 6)) is None
    assert strip_problem(SPEC, png(4, 3)) == (
        "the frame strip is 4 x 3 pixels, but spec.width 4 and spec.frames 2 x spec.height 3 "
        "need 4 x 6 (the frames stacked top to bottom)")
    assert strip_problem(SPEC, png(6, 4)).startswith("the frame strip is 6 x 4 pixels")
    assert strip_problem(SPEC, b"not an image") == (
        "the frame strip must be a PNG, JPEG or WebP image whose size can be read")


def test_a_clip_is_limited_in_frames_and_pixels():
    long = {**SPEC, "frames": MAX_CLIP_FRAMES + 1}
    assert strip_problem(long, b"") == (
        "spec.frames: a clip has at most 300 frames, got 301 (split it into several items)")
    large = {**SPEC, "width": 1920, "height": 1080, "frames": 9}
    assert strip_problem(large, b"") == (
        "spec: 9 frames of 1920 x 1080 pixels make 18,662,400 pixels, more than the 16,777,216 "
        "a phone's browser shows (use fewer or smaller frames)")


def test_webp_sizes_are_read_from_each_kind_of_first_chunk():
    def riff(chunk: bytes) -> bytes:
        return b"RIFF" + struct.pack("<I", 100) + b"WEBP" + chunk
    lossy = riff(b"VP8 " + b"\0" * 7 + b"\x9d\x01\x2a" + struct.pack("<HH", 320, 4320))
    bits = (320 - 1) | ((4320 - 1) << 14)
    lossless = riff(b"VP8L" + b"\0" * 4 + b"\x2f" + bits.to_bytes(4, "little"))
    sizes = (319).to_bytes(3, "little") + (4319).to_bytes(3, "little")
    extended = riff(b"VP8X" + b"\0" * 8 + sizes)
    for data in (lossy, lossless, extended):
        assert image_size_of(data + b"\0" * 8) == (320, 4320)
    assert image_size_of(riff(b"VP8Z" + b"\0" * 20)) is None


def test_a_tracks_item_needs_a_frame_strip():
    item = {"id": "t", "kind": "tracks", "prompt": "Follow.", "media": "media/clip.txt",
            "spec": SPEC, "gold": [], "pools": ["practice"]}
    with pytest.raises(SourceInvalid, match=r"media: a tracks item needs a frame strip "
                                            r"\(media/<file>\.png, \.jpg or \.webp"):
        from_jsonl(json.dumps(item), None)
    with pytest.raises(SourceInvalid, match="a tracks item needs a frame strip"):
        from_jsonl(json.dumps({**item, "media": None}), None)


def test_a_bundle_whose_strip_does_not_fit_its_frames_is_refused(repo_root, tmp_path):
    folder = tmp_path / "street-scenes"
    shutil.copytree(repo_root / "examples" / "street-scenes", folder)
    (folder / "media" / "clip-01.png").write_bytes(png(320, 180 * 23))
    lines = (folder / "items.jsonl").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if '"id": "clip-01"' in text)
    with pytest.raises(SourceInvalid) as raised:
        read_bundle(folder)
    assert [str(e) for e in raised.value.errors] == [
        f'items.jsonl:{line}: item "clip-01": media "media/clip-01.png": the frame strip is '
        "320 x 4140 pixels, but spec.width 320 and spec.frames 24 x spec.height 180 need "
        "320 x 4320 (the frames stacked top to bottom)"]


def _box(x: int) -> dict:
    return {"x": x, "y": 10, "w": 20, "h": 20}


def test_the_feedback_follows_each_track_in_frames_and_words():
    spec = {"width": 100, "height": 50, "frames": 8, "labels": ["car", "cyclist"]}
    gold = [{"id": 1, "label": "cyclist", "boxes": {str(f): _box(5 * f) for f in range(6)}},
            {"id": 2, "label": "car", "boxes": {"6": _box(60), "7": _box(70)}}]
    # Two tracks of the trainee share the cyclist (a switch at frame 3); it is lost at 5.
    answer = [{"id": 1, "label": "cyclist", "boxes": {str(f): _box(5 * f) for f in range(3)}},
              {"id": 7, "label": "cyclist", "boxes": {"3": _box(15), "4": _box(20)}},
              {"id": 9, "label": "car", "boxes": {"0": _box(80)}}]
    result = score("tracks", spec, gold, answer)
    view = feedback_view(spec, gold, answer, result.details)
    cyclist, car = view.timelines
    assert cyclist.name == "the cyclist" and car.name == "the car"
    assert cyclist.cells == ["matched", "matched", "matched", "switched", "matched", "missed",
                             "out", "out"]
    assert cyclist.words == [
        "The cyclist was followed in 5 of its 6 frames in view.", "It was lost in frame 6.",
        "Identity switched at frame 4: your track 7 took over from your track 1."]
    assert car.cells == ["out"] * 6 + ["missed", "missed"]
    assert car.missed and car.words[0].startswith("The car was never followed")
    assert view.notes == ["Your track 9 (car) follows nothing in the clip: no correct track "
                          "of that label is where its boxes are."]
    assert (view.still_frame, view.still_reason) == (
        3, "Frame 4, where the identity of the cyclist switched.")
    captions = [shape.caption for shape in view.still.shapes]
    assert captions == ["cyclist", "your 7"]


def test_the_demo_clip_feedback_and_gold_history(app, repo_root, make_user):
    with app.app_context():
        import_bundle(repo_root / "examples" / "street-scenes", actor=None)
        db.session.commit()
    staff = signed_in(app, make_user(Role.ADMIN))
    response = staff.get("/courses/street-scenes/items/clip-01")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    still = page.split("The correct tracks at frame 1")[1].split("</svg>")[0]
    # The whole strip under a one-frame window, at its first frame; the gold boxes only.
    assert 'href="/courses/street-scenes/media/clip-01.png" x="0" y="0" width="320" ' \
           'height="4320"' in still
    assert still.count("<rect") == 3 and "stroke-dasharray" not in still  # the red car: later
    assert "Each correct track, frame by frame" in page
    assert '<img class="item-media"' not in page  # the strip is not shown whole


@pytest.mark.parametrize("name", ["clip-01.png", "clip-02.png"])
def test_the_demo_strips_are_small_pngs_of_24_frames(repo_root: Path, name: str):
    data = (repo_root / "examples" / "street-scenes" / "media" / name).read_bytes()
    assert image_size_of(data) == (320, 180 * 24)


def test_an_item_import_checks_new_and_stored_strips(app, repo_root, tmp_path):
    with app.app_context():
        import_bundle(repo_root / "examples" / "street-scenes", actor=None)
        db.session.commit()
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "new.png").write_bytes(png(320, 180))
    spec = {"width": 320, "height": 180, "frames": 23, "labels": ["car"]}
    items = [{"id": f"t-{name}", "kind": "tracks", "prompt": "Follow.", "media": f"media/{name}",
              "spec": spec, "gold": [], "pools": ["practice"]}
             for name in ("clip-01.png", "new.png")]
    source = tmp_path / "items.jsonl"
    source.write_text("".join(json.dumps(item) + "\n" for item in items))
    result = app.test_cli_runner().invoke(args=["items", "import", "street-scenes", str(source),
                                                "--format", "jsonl"])
    assert result.exit_code != 0
    for line, (name, height) in enumerate((("clip-01.png", 4320), ("new.png", 180)), 1):
        assert (f'items.jsonl:{line}: item "t-{name}": media "media/{name}": the frame '
                f"strip is 320 x {height} pixels, but spec.width 320 and spec.frames 23 x "
                "spec.height 180 need 320 x 4140") in result.output
