"""Instructors create gold items in the browser, one kind after another from the registry;
the bank is linked from Manage and the course home; gold history draws each revision."""

from __future__ import annotations

import io
import json
import re
import struct
import zlib

import pytest
from sqlalchemy import select

from bootcamp.audit import AuditEntry
from bootcamp.extensions import db
from bootcamp.users.models import User
from courses import kinds
from courses.media_paths import MAX_MEDIA_BYTES
from courses.models import Course, Item, ItemRevision, MediaFile
from courses.services import items
from tests.factories import PRACTICE_MANUAL, make_course, post_form, row_counts, signed_in

SLUG = "tagging"
NEW = f"/courses/{SLUG}/items/new"
NAMES = ["alpha", "beta"]
TEXT = "Call me tomorrow about the invoice."
# A valid gold per kind for the names above, on a 64 x 48 image or on TEXT. A kind the New item
# page makes, added to courses/kinds.py without one here, fails test_every_kind_has_a_gold_here.
GOLDS = {
    "choice": "beta",
    "labels": ["alpha"],
    "boxes": [{"label": "alpha", "x": 4, "y": 6, "w": 20, "h": 10}],
    "points": [{"keypoints": {"alpha": [10, 12, 2], "beta": [30, 20, 2]}}],
    "spans": [{"start": 0, "end": 4, "label": "beta"}],
}
IMAGE_PATH = re.compile(r'name="image_path" type="hidden" value="([^"]*)"')


def png(width: int = 64, height: int = 48) -> bytes:
    """A real, tiny PNG (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))

    rows = b"".join(b"\x00" + bytes((120, 140, 160)) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows))
            + chunk(b"IEND", b""))


def question(kind: kinds.ItemKind, **changes) -> dict:
    """Step 1 of the form for `kind`, as the registry says it needs; None leaves a field out."""
    data = {"action": "question", "key": "", "prompt": f"A {kind.name} question?",
            "names": "\n".join(NAMES), "settings": "", "explanation": "Because.",
            "sections": ["shoes"], "pools": ["practice"]}
    if kind.media == "image":
        data["image"] = (io.BytesIO(png()), "photo.png")
    if kind.media == "text":
        data["text"] = TEXT
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def gold_field(kind: kinds.ItemKind, gold) -> dict:
    """The gold as the kind's widget posts it."""
    return {"answer": gold if kind.reader != "json" else json.dumps(gold)}


def post(client, kind_name: str, data: dict):
    path = f"{NEW}/{kind_name}"
    return post_form(client, path, data, page=path, content_type="multipart/form-data")


def create(client, kind: kinds.ItemKind, gold=None, **changes):
    """Both steps: the question, then the gold with the image step 1 kept."""
    first = post(client, kind.name, question(kind, **changes))
    assert first.status_code == 200, first.get_data(as_text=True)
    html = first.get_data(as_text=True)
    assert "2. The gold answer" in html, html
    kept = IMAGE_PATH.search(html)
    data = question(kind, action="save", image=None, image_path=kept.group(1) if kept else None,
                    key=changes.get("key", ""), **{k: v for k, v in changes.items()
                                                     if k not in ("key", "image")})
    data.update(gold_field(kind, GOLDS[kind.name] if gold is None else gold))
    return post(client, kind.name, data)


def stored(app, key: str) -> tuple[Item, list[ItemRevision]]:
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.key == key))
        revisions = list(db.session.scalars(select(ItemRevision).where(
            ItemRevision.item_id == item.id))) if item else []
        db.session.expunge_all()
        return item, revisions


@pytest.fixture
def course(app, instructor) -> int:
    return make_course(app, instructor, SLUG, versions=(PRACTICE_MANUAL,))


MADE_HERE = [name for name, kind in kinds.KINDS.items() if kind.made_in_browser]


def test_every_kind_has_a_gold_here():
    assert set(GOLDS) == set(MADE_HERE)


@pytest.mark.parametrize("name", sorted(set(kinds.KINDS) - set(MADE_HERE)))
def test_kinds_drawn_in_a_point_cloud_are_imported_not_made_here(app, instructor, course, name):
    client = signed_in(app, instructor)
    assert f'href="{NEW}/{name}"' not in client.get(NEW).get_data(as_text=True)
    assert client.get(f"{NEW}/{name}").status_code == 404


def test_uploaded_images_have_the_media_size_limit():
    assert items.MAX_IMAGE_BYTES == MAX_MEDIA_BYTES


@pytest.mark.parametrize("name", MADE_HERE)
def test_instructors_create_an_item_of_each_kind_in_the_browser(app, instructor, course, name):
    kind = kinds.KINDS[name]
    client = signed_in(app, instructor)
    assert f'href="{NEW}/{name}"' in client.get(NEW).get_data(as_text=True)
    step1 = client.get(f"{NEW}/{name}").get_data(as_text=True)
    assert "1. The question" in step1 and "2. The gold answer" not in step1
    response = create(client, kind, key=f"new-{name}", critical="y", pools=["exam"])
    assert response.status_code == 302, response.get_data(as_text=True)
    assert response.headers["Location"].endswith(f"/courses/{SLUG}/items/new-{name}")
    item, revisions = stored(app, f"new-{name}")
    assert (item.kind, item.gold, item.revision) == (name, GOLDS[name], 1)
    assert item.spec[kind.names] == NAMES and item.prompt == f"A {name} question?"
    assert (item.sections, item.pools, item.critical) == (["shoes"], ["exam"], True)
    assert item.explanation == "Because."
    assert [(r.number, r.gold, r.changed_by_id) for r in revisions] == [
        (1, GOLDS[name], instructor.id)]
    if kind.media == "image":
        assert item.media.startswith("media/items/") and item.media.endswith(".png")
        assert (item.spec["width"], item.spec["height"]) == (64, 48)
        with app.app_context():
            assert db.session.scalar(select(MediaFile.content).where(
                MediaFile.path == item.media)) == png()
    else:
        assert item.media is None
    if kind.media == "text":
        assert item.spec["text"] == TEXT
    with app.app_context():
        audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "item_created"))
        assert audit.actor_id == instructor.id and audit.data["key"] == f"new-{name}"
    assert f"new-{name}" in client.get(f"/courses/{SLUG}/items").get_data(as_text=True)


def test_an_empty_key_and_prompt_are_made_for_the_instructor(app, instructor, course):
    client = signed_in(app, instructor)
    kind = kinds.KINDS["choice"]
    assert create(client, kind, prompt="").status_code == 302
    assert create(client, kind, prompt="").status_code == 302  # the same key is not reused
    with app.app_context():
        keys = list(db.session.scalars(select(Item.key).order_by(Item.position)))
        prompt = db.session.scalar(select(Item.prompt))
    assert keys == ["choose-the-option-that-fits", "choose-the-option-that-fits-2"]
    assert prompt == "Choose the option that fits."


@pytest.mark.parametrize(("kind_name", "changes", "field_id", "message"), [
    ("labels", {"names": "alpha\nalpha"}, "names", "line 2: duplicate"),
    ("choice", {"names": "only"}, "names", "needs at least 2"),
    ("boxes", {"settings": "iou_threshold: 2"}, "settings",
     "iou_threshold: must be a number greater than 0 and at most 1"),
    ("boxes", {"settings": "iou_threshold: [1"}, "settings", "not valid YAML or JSON"),
    ("boxes", {"settings": "a: &x [1]\nb: *x"}, "settings", "aliases"),
    ("spans", {"settings": "labels: [a]"}, "settings", "labels: set it in its own field"),
    ("spans", {"text": ""}, "text", "must have 1 to"),
    ("boxes", {"image": (io.BytesIO(b"not an image at all"), "photo.png")}, "image",
     "not a PNG, JPEG or GIF"),
    ("points", {"image": (io.BytesIO(png(400, 300)), "big.png")}, "image",
     "larger than 0.977 kB, the limit"),
    ("boxes", {"image": None}, "image", "Upload the image"),
    ("choice", {"key": "Not A Key!"}, "key", "lowercase letters"),
])
def test_a_bad_question_says_what_and_where_and_keeps_what_was_typed(
        app, instructor, course, kind_name, changes, field_id, message, monkeypatch):
    monkeypatch.setattr(items, "MAX_IMAGE_BYTES", 1000)  # png() is 157 bytes, png(400, 300) more
    client = signed_in(app, instructor)
    before = row_counts(app)
    kind = kinds.KINDS[kind_name]
    response = post(client, kind_name, question(kind, prompt="Typed <prompt>", **changes))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    error = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', html)
    assert error and message in error.group(1), html
    assert "Typed &lt;prompt&gt;" in html
    # A question the kind cannot use has no gold step yet (a bad key alone does not hide it).
    assert ("2. The gold answer" in html) == (field_id == "key")
    after = row_counts(app)
    assert after.pop("media_files") <= before.pop("media_files") + 1 and after == before
    if kind.media == "image" and field_id != "image":  # a good image is kept for the next post
        assert IMAGE_PATH.search(html).group(1).startswith("media/items/")


def test_a_gold_outside_the_image_is_refused_and_nothing_is_lost(app, instructor, course):
    client = signed_in(app, instructor)
    kind = kinds.KINDS["boxes"]
    outside = [{"label": "beta", "x": 50, "y": 6, "w": 40, "h": 10}]
    before = row_counts(app)
    response = create(client, kind, gold=outside, explanation="Typed explanation")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "The gold is not valid: gold[0].w: past the right edge" in html
    assert "Typed explanation" in html and "2. The gold answer" in html
    assert "&#34;x&#34;: 50" in html or '"x": 50' in html  # the drawn box is still there
    counts = row_counts(app)
    assert counts["items"] == before["items"] and counts["item_revisions"] == 0


def test_a_key_already_used_is_refused_on_the_key_field(app, instructor, course):
    client = signed_in(app, instructor)
    kind = kinds.KINDS["choice"]
    assert create(client, kind, key="same").status_code == 302
    response = create(client, kind, key="same")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="key-error">&#34;same&#34; is already used by another item' in html
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Item)) == 1


def test_the_create_service_refuses_a_duplicate_key_and_unknown_sections(app, instructor,
                                                                          course):
    native = {"id": "x", "kind": "choice", "prompt": "P?", "spec": {"options": NAMES},
              "gold": "alpha", "pools": ["practice"], "sections": ["nowhere"]}
    with app.app_context():
        target = db.session.get(Course, course)
        actor = db.session.get(User, instructor.id)
        with pytest.raises(items.ItemInvalid) as refused:
            items.create_item(target, native, actor)
        assert refused.value.problems == [
            'sections[0]: "nowhere" is not a section of the manual']
        items.create_item(target, {**native, "sections": ["shoes"]}, actor)
        with pytest.raises(items.ItemInvalid) as again:
            items.create_item(target, {**native, "gold": "gamma", "sections": []}, actor)
        assert again.value.problems[0].startswith('id: "x" is already used')
        assert any(p.startswith("gold: unknown option") for p in again.value.problems)


@pytest.mark.parametrize("path", [NEW, f"{NEW}/boxes"])
def test_trainees_and_strangers_cannot_create_items(app, client, instructor, trainee, course,
                                                    path):
    assert client.get(path).status_code == 302  # to the log-in page
    other = signed_in(app, trainee)
    assert other.get(path).status_code == 403
    data = question(kinds.KINDS["choice"], action="save", answer="alpha")
    assert post_form(other, f"{NEW}/choice", data).status_code == 403
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Item)) == 0


def test_unknown_kinds_are_not_found(app, instructor, course):
    assert signed_in(app, instructor).get(f"{NEW}/cuboids").status_code == 404


def test_the_gold_items_page_is_linked_from_manage_and_the_course_home(app, instructor,
                                                                        trainee, course):
    client = signed_in(app, instructor)
    bank = f'href="/courses/{SLUG}/items"'
    assert bank in client.get("/courses/manage").get_data(as_text=True)
    assert bank in client.get(f"/courses/{SLUG}").get_data(as_text=True)
    assert f'href="{NEW}"' in client.get(f"/courses/{SLUG}/items").get_data(as_text=True)
    assert bank not in signed_in(app, trainee).get(f"/courses/{SLUG}").get_data(as_text=True)


def test_gold_history_draws_each_revision_and_says_what_changed(app, instructor, course):
    client = signed_in(app, instructor)
    assert create(client, kinds.KINDS["boxes"], key="cars").status_code == 302
    with app.app_context():
        item = db.session.scalar(select(Item).where(Item.key == "cars"))
        fields = items.ItemFields(item.prompt, item.explanation, item.sections, item.pools,
                                  item.critical, item.status)
        moved = [{"label": "alpha", "x": 30, "y": 6, "w": 20, "h": 10},
                 {"label": "beta", "x": 1, "y": 30, "w": 8, "h": 8}]
        items.edit_item(item, fields, moved, db.session.get(User, instructor.id), "moved")
        db.session.commit()
        media = item.media
    html = client.get(f"/courses/{SLUG}/items/cars").get_data(as_text=True)
    assert "Revision 2" in html and "Revision 1" in html
    assert "What changed: box 1 moved; box 2 added." in html
    assert "What changed: first gold." in html
    assert html.count('<svg class="fb-svg"') == 2 and html.count("<rect ") == 3
    assert f'href="/courses/{SLUG}/{media}"' in html
    assert "Box 2: beta at (1, 30), 8 × 8" in html
    assert 'class="json"' not in html and "&#34;label&#34;" not in html
    assert '"label":' not in html


@pytest.mark.parametrize("name", MADE_HERE)
def test_gold_history_shows_every_kind_without_raw_json(app, instructor, course, name):
    client = signed_in(app, instructor)
    assert create(client, kinds.KINDS[name], key=f"h-{name}").status_code == 302
    html = client.get(f"/courses/{SLUG}/items/h-{name}").get_data(as_text=True)
    assert 'class="json"' not in html and '"label":' not in html and "&#34;" not in html
    assert 'class="fb fb-' + name in html and "What changed: first gold." in html
