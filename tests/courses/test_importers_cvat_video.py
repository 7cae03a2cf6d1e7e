"""CVAT for video 1.1 exports as tracks items: every-frame and key-frame-only tracks read as
CVAT reads them, frames found by CVAT's names, and hostile XML refused at its line."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

import graders
from courses import clips
from courses.errors import SourceInvalid
from courses.importers import from_cvat_video

META = """<?xml version="1.0" encoding="utf-8"?>
<annotations>
  <version>1.1</version>
  <meta>
    <task>
      <id>7</id>
      <name>Crossing demo</name>
      <size>{frames}</size>
      <mode>interpolation</mode>
      <labels>
        <label><name>car</name><type>rectangle</type></label>
        <label><name>pedestrian</name><type>rectangle</type></label>
      </labels>
      <original_size><width>80</width><height>60</height></original_size>
    </task>
    <dumped>2024-05-01 10:00:00.000000+00:00</dumped>
  </meta>
{tracks}
</annotations>
"""


def box(frame: int, corners: tuple[float, ...], outside: int = 0, keyframe: int = 1,
        extra: str = "") -> str:
    xtl, ytl, xbr, ybr = corners
    return (f'    <box frame="{frame}" keyframe="{keyframe}" outside="{outside}" occluded="0" '
            f'xtl="{xtl}" ytl="{ytl}" xbr="{xbr}" ybr="{ybr}" z_order="0"{extra}/>')


def track(identity: int, label: str, *boxes: str) -> str:
    return "\n".join([f'  <track id="{identity}" label="{label}" source="manual">', *boxes,
                      "  </track>"])


def export(*tracks: str, frames: int = 6) -> str:
    return META.format(frames=frames, tracks="\n".join(tracks))


def frames_folder(root: Path, frames: int = 6, size: tuple[int, int] = (80, 60)) -> Path:
    """The frames as CVAT saves them with an export: images/frame_000000.PNG ..."""
    (root / "images").mkdir(parents=True)
    for frame in range(frames):
        Image.new("RGB", size, (40 * frame, 90, 200)).save(
            root / "images" / f"frame_{frame:06d}.PNG")
    return root


def errors(raised: pytest.ExceptionInfo[SourceInvalid]) -> list[str]:
    return [str(error) for error in raised.value.errors]


def refused(text: str, root: Path) -> list[str]:
    """Every problem the import of `text` with the frames in `root` reports."""
    with pytest.raises(SourceInvalid) as raised:
        from_cvat_video(text, root)
    return errors(raised)


def test_an_export_listing_every_frame_becomes_a_tracks_item(tmp_path: Path):
    text = export(
        track(0, "car", box(0, (10, 10, 30, 20)), box(1, (12, 10, 32, 20), keyframe=0),
              box(2, (14, 10, 34, 20), keyframe=0), box(3, (14, 10, 34, 20), outside=1)),
        track(3, "pedestrian", box(2, (70, 40, 90, 70)), box(3, (60.5, 40, 75.25, 55)),
              box(4, (60.5, 40, 75.25, 55), outside=1)))
    converted = from_cvat_video(text, frames_folder(tmp_path), pools="exam")
    (item,) = converted.items
    assert item["id"] == "cvat-crossing-demo" and item["kind"] == "tracks"
    assert item["media"] == "media/clips/cvat-crossing-demo.jpg" and item["pools"] == ["exam"]
    assert item["spec"] == {"width": 80, "height": 60, "frames": 6,
                            "labels": ["car", "pedestrian"]}
    assert item["gold"] == [
        {"id": 0, "label": "car", "boxes": {
            "0": {"x": 10, "y": 10, "w": 20, "h": 10}, "1": {"x": 12, "y": 10, "w": 20, "h": 10},
            "2": {"x": 14, "y": 10, "w": 20, "h": 10}}},
        {"id": 3, "label": "pedestrian", "boxes": {
            "2": {"x": 70, "y": 40, "w": 10, "h": 20},  # clipped to the 80 x 60 frame
            "3": {"x": 60.5, "y": 40, "w": 14.75, "h": 15}}},
    ]
    assert converted.lines == [18]  # the first track's
    assert clips.strip_problem(item["spec"], converted.media[item["media"]]) is None
    score = graders.score("tracks", item["spec"], item["gold"], item["gold"])
    assert score.points == 1.0 and score.correct


def test_key_frames_only_are_interpolated_as_cvat_does(tmp_path: Path):
    text = export(
        # moves 0 -> 4, leaves at 6: frames 0 to 5 in view, moving toward the outside box
        track(1, "car", box(0, (0, 0, 10, 10)), box(4, (40, 20, 50, 30)),
              box(5, (50, 20, 60, 30), outside=1)),
        # in view 0, out from 1, back at 3 and held to the end
        track(2, "pedestrian", box(0, (5, 5, 15, 15)), box(1, (5, 5, 15, 15), outside=1),
              box(3, (20, 20, 30, 30))),
    )
    (item,) = from_cvat_video(text, frames_folder(tmp_path)).items
    car, walker = item["gold"]
    assert car["boxes"] == {str(f): {"x": 10 * f, "y": 5 * f, "w": 10, "h": 10}
                            for f in range(5)}
    assert sorted(walker["boxes"], key=int) == ["0", "3", "4", "5"]
    assert walker["boxes"]["5"] == {"x": 20, "y": 20, "w": 10, "h": 10}


def test_a_long_task_is_cut_into_clips(tmp_path: Path):
    text = export(track(1, "car", box(0, (0, 0, 10, 10)), box(5, (50, 0, 60, 10))))
    converted = from_cvat_video(text, frames_folder(tmp_path), clip=4)
    assert [i["id"] for i in converted.items] == ["cvat-crossing-demo-000000-000003",
                                                  "cvat-crossing-demo-000004-000005"]
    assert converted.items[1]["gold"][0]["boxes"] == {
        "0": {"x": 40, "y": 0, "w": 10, "h": 10}, "1": {"x": 50, "y": 0, "w": 10, "h": 10}}


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<annotations><meta><task><name>&lol3;</name></task></meta></annotations>
"""
EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE a [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<annotations><meta><task><name>&secret;</name></task></meta></annotations>
"""


@pytest.mark.parametrize(("text", "message"), [
    (BILLION_LAUGHS, "annotations.xml:2: a DOCTYPE is not allowed (CVAT writes none; "
                     "entities can blow up)"),
    (EXTERNAL, "annotations.xml:2: a DOCTYPE is not allowed"),
    ("<annotations><meta></annotations>", "annotations.xml:1: not well-formed XML: "
                                          "mismatched tag"),
    ("<annotations><image id='0' name='a.png'/></annotations>",
     "annotations.xml:1: this is a project export or a CVAT for images export"),
    ("<annotations><meta><task><size>3</size></task></meta></annotations>",
     "annotations.xml:1: meta: original_size/width: must be a whole number, got '' (CVAT for "
     "video 1.1 gives the task's size and original_size in <meta>)"),
])
def test_hostile_or_foreign_xml_is_refused_at_its_line(tmp_path: Path, text: str,
                                                       message: str):
    with pytest.raises(SourceInvalid) as raised:
        from_cvat_video(text, frames_folder(tmp_path))
    assert errors(raised)[0].startswith(message), errors(raised)


def test_every_bad_track_and_box_is_reported_at_its_line(tmp_path: Path):
    text = export(
        track(1, "car", box(0, (0, 0, 10, 10))),                                   # 18
        track(1, "car", box(0, (0, 0, 10, 10))),                                   # 21
        track(3, "car", box(0, (20, 0, 10, 10))),                                  # 29
        track(4, "car", box(0, (0, 0, 10, 10), extra=' rotation="30"')),
        track(5, "car", box(0, (0, 0, "nan", 10))),
        track(8, "car", '    <polygon frame="0" outside="0" points="1,1;5,5;1,5"/>'),
        track(9, "car", box(0, (0, 0, 10, 10), outside=2)),
        '  <track id="-3" label="car"></track>',
    )
    assert refused(text, frames_folder(tmp_path)) == [
        "annotations.xml:21: track 1: the id is used twice (also on line 18)",
        "annotations.xml:25: track 3: box: frame 0: xbr and ybr must be more than xtl and ytl,"
        " got 20, 0, 10, 10",
        "annotations.xml:28: track 4: box: frame 0: rotated boxes cannot be imported "
        "(Bootcamp's boxes are upright); straighten them in CVAT",
        "annotations.xml:31: track 5: box: xbr: must be a finite number of pixels, got nan",
        "annotations.xml:34: track 8: a track of polygon shapes cannot become a track of boxes "
        "(only boxes can)",
        "annotations.xml:37: track 9: box: frame 0: outside must be 0 or 1, got '2'",
        "annotations.xml:39: track: id: must be a whole number from 0 to 9007199254740992, "
        "got -3",
    ]


def test_boxes_must_fit_the_task_and_tracks_its_labels(tmp_path: Path):
    text = export(
        track(1, "car", box(0, (0, 0, 10, 10)), box(9, (0, 0, 10, 10))),           # 18
        track(2, "truck", box(0, (0, 0, 10, 10))),                                 # 22
        track(6, "car", box(0, (100, 0, 110, 10))),                                # 25
        track(7, "car", box(0, (0, 0, 10, 10)), box(0, (1, 1, 10, 10))),           # 28
    )
    assert refused(text, frames_folder(tmp_path)) == [
        "annotations.xml:20: track 1: box: frame 9: the task has frames 0 to 5",
        "annotations.xml:22: track 2: label 'truck' is not among the task's labels "
        "(car, pedestrian)",
        "annotations.xml:26: track 6: box: frame 0: the box lies outside the 80 x 60 frame",
        "annotations.xml:30: track 7: box: frame 0 is listed twice in the track (also on line 29)",
    ]


def test_frames_are_found_by_cvat_s_names_and_must_all_be_there(tmp_path: Path):
    text = export(track(1, "car", box(0, (0, 0, 10, 10))))
    root = frames_folder(tmp_path)
    (root / "images" / "frame_000002.PNG").unlink()
    Image.new("RGB", (80, 60)).save(root / "000004.jpg")
    (root / "images" / "frame_000005.PNG").unlink()
    (root / "images" / "frame_000005.PNG").symlink_to(root / "images" / "frame_000001.PNG")
    with pytest.raises(SourceInvalid) as raised:
        from_cvat_video(text, root)
    assert errors(raised) == [
        "annotations.xml:1: frame 2: no image named frame_000002.png (or .jpg, .webp) in the "
        "media folder",
        "annotations.xml:1: frame 4: several images (000004.jpg, images/frame_000004.PNG)",
        "annotations.xml:1: frame 5: no image named frame_000005.png (or .jpg, .webp) in the "
        "media folder",
    ]


def test_frames_of_another_size_than_the_task_s_are_refused(tmp_path: Path):
    text = export(track(1, "car", box(0, (0, 0, 10, 10))), frames=2)
    with pytest.raises(SourceInvalid) as raised:
        from_cvat_video(text, frames_folder(tmp_path, 2, (60, 80)))
    assert errors(raised) == [
        "annotations.xml:1: frame_000000.PNG: the frame is 60 x 80 pixels, not 80 x 60",
        "annotations.xml:1: frame_000001.PNG: the frame is 60 x 80 pixels, not 80 x 60"]
