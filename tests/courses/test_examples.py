"""The demo bundles under examples/ stay valid, canonical and self-consistent.

`bootcamp demo` imports every folder of examples/ that holds a course.yaml. These tests use the
pure functions only (no app, no database), so that demo content cannot rot unnoticed: each
bundle reads without errors and is written back byte for byte, its items.jsonl passes the
native item checks against the bundle's own media and latest manual, and every gold answer
scores full marks against itself.
"""

from __future__ import annotations

import importlib.util
import struct
from pathlib import Path

import pytest

import graders
from courses.bundles import Bundle, read_bundle, write_bundle
from courses.importers import dump_items, load_items
from courses.rendering import render_manual

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
BUNDLES = sorted(p for p in EXAMPLES.iterdir() if (p / "course.yaml").is_file())
IMAGE_KINDS = ("boxes", "points")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

bundle_params = pytest.mark.parametrize("folder", BUNDLES, ids=[p.name for p in BUNDLES])


def _bundle_files(root: Path) -> dict[str, bytes]:
    """The files a bundle consists of, by path relative to the bundle (hidden files ignored)."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            files[rel.as_posix()] = path.read_bytes()
    return files


def _latest_sections(bundle: Bundle) -> list[str]:
    return [s.id for s in render_manual(bundle.versions[-1].markdown).sections]


def _items(folder: Path) -> tuple[Bundle, str, list[dict]]:
    bundle = read_bundle(folder)
    text = (folder / "items.jsonl").read_text(encoding="utf-8")
    items = load_items(text, media=set(bundle.media), sections=_latest_sections(bundle))
    return bundle, text, items


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == PNG_SIGNATURE and data[12:16] == b"IHDR", "not a PNG file"
    return struct.unpack(">II", data[16:24])


def test_the_demo_bundles_are_all_found():
    names = {p.name for p in BUNDLES}
    assert {"clothing-tagging", "street-scenes", "crowd-pose", "call-centre"} <= names


@bundle_params
def test_bundle_reads_without_errors_and_writes_back_byte_identical(folder: Path, tmp_path: Path):
    bundle = read_bundle(folder)
    assert bundle.course.slug == folder.name
    assert bundle.versions, "a demo course needs at least one published manual version"

    out = tmp_path / folder.name
    write_bundle(bundle, out)
    written = _bundle_files(out)
    original = {rel: data for rel, data in _bundle_files(folder).items()
                if rel in ("course.yaml", "items.jsonl") or rel.startswith(("manual/", "media/"))}
    assert sorted(written) == sorted(original)
    for rel, data in written.items():
        assert data == original[rel], f"{folder.name}/{rel} is not in canonical form"


@bundle_params
def test_items_are_valid_against_media_and_latest_manual_and_canonical(folder: Path):
    _, text, items = _items(folder)
    assert dump_items(items) == text
    assert len({item["id"] for item in items}) == len(items)


@bundle_params
def test_every_gold_scores_full_marks_against_itself(folder: Path):
    _, _, items = _items(folder)
    for item in items:
        score = graders.score(item["kind"], item["spec"], item["gold"], item["gold"])
        assert (score.points, score.correct) == (1.0, True), item["id"]


@bundle_params
def test_image_items_match_the_size_of_their_picture(folder: Path):
    bundle, _, items = _items(folder)
    for item in items:
        if item["kind"] in IMAGE_KINDS:
            size = _png_size(bundle.media[item["media"]])
            assert size == (item["spec"]["width"], item["spec"]["height"]), item["id"]


@bundle_params
def test_media_pictures_are_real_pngs(folder: Path):
    bundle = read_bundle(folder)
    for path, data in bundle.media.items():
        if path.lower().endswith(".png"):
            width, height = _png_size(data)
            assert width > 0 and height > 0, path


def test_the_street_clouds_are_what_their_generator_writes():
    """examples/street_clouds.py made the lidar clouds; its cuboids are the items' gold."""
    spec = importlib.util.spec_from_file_location("street_clouds", EXAMPLES / "street_clouds.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    media = EXAMPLES / "street-scenes" / "media"
    for name, data in generator.clouds().items():
        assert (media / name).read_bytes() == data, name
        assert len(data) < 250_000, name  # the repository stays small
    _, _, items = _items(EXAMPLES / "street-scenes")
    golds = {item["media"]: item["gold"] for item in items if item["kind"] == "cuboids"}
    assert set(golds) == {f"media/{scene}.pcd" for scene in generator.SCENES}
    for scene, things in generator.SCENES.items():
        expected = [{key: round(value, 4) if isinstance(value, float) else value
                     for key, value in thing.cuboid.items()} for thing in things]
        assert golds[f"media/{scene}.pcd"] == expected, scene


def test_the_street_clips_are_what_their_generator_writes():
    """examples/street_clip.py made the frame strips; its tracks are the items' gold."""
    spec = importlib.util.spec_from_file_location("street_clip", EXAMPLES / "street_clip.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    media = EXAMPLES / "street-scenes" / "media"
    _, _, items = _items(EXAMPLES / "street-scenes")
    golds = {item["media"]: item for item in items if item["media"] in
             {f"media/{name}" for name in generator.clips()}}
    for name, (data, tracks) in generator.clips().items():
        assert (media / name).read_bytes() == data, name
        assert len(data) < 100_000, name  # the repository stays small
        assert golds[f"media/{name}"]["gold"] == tracks, name
        assert _png_size(data) == (generator.WIDTH, generator.HEIGHT * generator.FRAMES)
    assert [item["pools"] for item in golds.values()] == [["practice"], ["exam"]]


def test_the_exam_clip_cannot_be_worked_out_from_the_practice_clip():
    """Its practice twin's gold (shown as feedback) mirrored or shifted in time gives almost
    none of the exam clip's boxes: its objects move otherwise."""
    spec = importlib.util.spec_from_file_location("street_clip", EXAMPLES / "street_clip.py")
    generator = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(generator)
    practice, exam = (generator.clips()[name][1] for name in ("clip-01.png", "clip-02.png"))

    def boxes(tracks: list[dict], mirror: bool, shift: int) -> set[tuple]:
        return {(track["label"], int(frame) + shift,
                 generator.WIDTH - box["x"] - box["w"] if mirror else box["x"],
                 box["y"], box["w"], box["h"])
                for track in tracks for frame, box in track["boxes"].items()}

    wanted = boxes(exam, False, 0)
    shared = max(len(boxes(practice, mirror, shift) & wanted)
                 for mirror in (False, True) for shift in range(-23, 24))
    assert shared / len(wanted) < 0.1
