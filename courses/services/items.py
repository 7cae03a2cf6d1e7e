"""The gold item bank: creating and updating items while keeping every gold they had."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Select, bindparam, func, select

import graders
from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.importers.media import image_size
from courses.importers.native import item_problems, with_defaults
from courses.media_paths import MAX_MEDIA_BYTES
from courses.models import Course, Item, ItemRevision, ItemStatus, MediaFile
from courses.services.manuals import latest_section_titles
from courses.signals import gold_revised

MAX_IMAGE_BYTES = MAX_MEDIA_BYTES  # an uploaded item image, as any media file
# An image's type by its first bytes (never by its name): the types every browser draws and
# whose size courses.importers.media.image_size reads.
IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"), (b"GIF87a", "gif"),
               (b"GIF89a", "gif"))


@dataclass
class BankChanges:
    """What an import did to a course's bank, by item id."""

    created: list[str] = field(default_factory=list)
    revised: list[str] = field(default_factory=list)  # the gold or spec changed: a new revision
    updated: list[str] = field(default_factory=list)  # other fields changed
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)  # active before, missing from the bundle


def bank(course: Course, *, active_only: bool = False) -> list[Item]:
    """The course's items in bank order."""
    query = select(Item).where(Item.course_id == course.id).order_by(Item.position, Item.id)
    if active_only:
        query = query.where(Item.status == ItemStatus.ACTIVE)
    return list(db.session.scalars(query))


@dataclass(frozen=True, slots=True)
class Outline:
    """What the pools an active item is in need to know of it, without its content."""

    course_id: int
    id: int
    key: str
    sections: list[str]
    pools: list[str]


def active_outlines(course_ids: Sequence[int]) -> list[Outline]:
    """The active items of these courses in bank order, one query: the practice modules and
    the exam pool are both made of them, so a page that shows both asks once."""
    return [Outline(*row) for row in db.session.execute(
        _outlines_query(), {"course_ids": list(course_ids)})]


def find_item(course: Course, key: str) -> Item | None:
    """The course's item with this key (keys are unique per course), in any status."""
    return db.session.scalar(_item_query(), {"course_id": course.id, "key": key})


# Built once: the practice and course pages ask them (building one costs 30-80 µs of CPU).
@cache
def _outlines_query() -> Select:
    return (select(Item.course_id, Item.id, Item.key, Item.sections, Item.pools)
            .where(Item.course_id.in_(bindparam("course_ids", expanding=True)),
                   Item.status == ItemStatus.ACTIVE)
            .order_by(Item.position, Item.id))


@cache
def _item_query() -> Select:
    return select(Item).where(Item.course_id == bindparam("course_id"),
                              Item.key == bindparam("key"))


def score_answer(kind: str, spec: dict, gold: Any, alternatives: list,
                 answer: Any) -> graders.Score:
    """Score against the gold and every accepted alternative; the best score counts."""
    best = graders.score(kind, spec, gold, answer)
    for alternative in alternatives:
        if best.correct and best.points >= 1.0:
            break
        other = graders.score(kind, spec, alternative, answer)
        if (other.correct, other.points) > (best.correct, best.points):
            best = other
    return best


def as_native(item: Item) -> dict[str, Any]:
    """The item as one line of a bundle's items.jsonl (see docs/item-formats.md)."""
    return {
        "id": item.key, "kind": item.kind, "prompt": item.prompt, "media": item.media,
        "spec": item.spec, "gold": item.gold, "alternatives": list(item.alternatives or []),
        "explanation": item.explanation,
        "sections": list(item.sections), "critical": item.critical, "pools": list(item.pools),
    }


def _revise(item: Item, spec: dict, gold: Any, actor: User | None, reason: str,
            alternatives: list | None = None, now: datetime | None = None) -> None:
    item.revision += 1
    item.spec, item.gold = spec, gold
    item.alternatives = list(item.alternatives or []) if alternatives is None else alternatives
    db.session.add(ItemRevision(item_id=item.id, number=item.revision, spec=spec, gold=gold,
                                alternatives=item.alternatives, reason=reason,
                                changed_by_id=actor.id if actor else None,
                                created_at=now or utcnow()))


def upsert_items(course: Course, natives: list[dict[str, Any]], actor: User | None,
                 reason: str, *, retire_missing: bool = False) -> BankChanges:
    """Create or update items by id, in the given order; items are assumed validated.

    An imported item is active, also when it had been retired. Items the import does not
    mention stay in the bank (attempts refer to them): as they are, or retired when
    `retire_missing` (a bundle's items.jsonl is the whole bank, so an item deleted from it
    leaves the practice and exam pools).
    """
    existing = {item.key: item for item in bank(course)}
    changes = BankChanges()
    for position, native in enumerate(natives):
        item = existing.get(native["id"])
        if item is None:
            item = Item(course_id=course.id, key=native["id"], revision=1)
            _assign(item, native, position)
            db.session.add(item)
            db.session.flush()
            db.session.add(ItemRevision(item_id=item.id, number=1, spec=item.spec,
                                        gold=item.gold, alternatives=item.alternatives,
                                        reason=reason,
                                        changed_by_id=actor.id if actor else None))
            changes.created.append(item.key)
            continue
        if ((item.spec, item.gold, item.alternatives or [])
                != (native["spec"], native["gold"], native.get("alternatives", []))):
            _revise(item, native["spec"], native["gold"], actor, reason,
                    list(native.get("alternatives", [])))
            changes.revised.append(item.key)
        elif (as_native(item) != native or item.position != position
              or item.status != ItemStatus.ACTIVE):
            changes.updated.append(item.key)
        else:
            changes.unchanged.append(item.key)
        _assign(item, native, position)
    if retire_missing:
        mentioned = {native["id"] for native in natives}
        for key, item in existing.items():
            if key not in mentioned and item.status == ItemStatus.ACTIVE:
                item.status = ItemStatus.RETIRED
                changes.retired.append(key)
    for key in changes.revised:
        gold_revised.send(existing[key], reason=reason)
    if changes.created or changes.revised or changes.updated or changes.retired:
        record_audit("items_imported", actor_id=actor.id if actor else None,
                     target=f"course:{course.id}",
                     data={"created": len(changes.created), "revised": changes.revised,
                           "updated": len(changes.updated), "retired": changes.retired,
                           "reason": reason})
    return changes


def _assign(item: Item, native: dict[str, Any], position: int) -> None:
    item.position = position
    item.kind, item.prompt, item.media = native["kind"], native["prompt"], native["media"]
    item.spec, item.gold = native["spec"], native["gold"]
    item.alternatives = list(native.get("alternatives", []))
    item.explanation = native["explanation"]
    item.sections, item.critical = list(native["sections"]), native["critical"]
    item.pools, item.status = list(native["pools"]), ItemStatus.ACTIVE


def revisions(item: Item) -> list[ItemRevision]:
    """The item's gold history, oldest first."""
    return list(db.session.scalars(
        select(ItemRevision).where(ItemRevision.item_id == item.id).order_by(ItemRevision.number)))


@dataclass
class ItemFields:
    """What an instructor may change about an item besides its gold."""

    prompt: str
    explanation: str
    sections: list[str]
    pools: list[str]
    critical: bool
    status: ItemStatus


class EditRefused(ValueError):
    """An edit that is refused as a whole; nothing was changed."""


def edit_item(item: Item, fields: ItemFields, gold: Any, actor: User | None,
              reason: str, *, now: datetime | None = None) -> bool:
    """Apply an instructor's edit; a changed gold becomes a new revision (dated `now`, the
    present unless a generated history says otherwise). True if anything changed.

    Raises graders.ScoringError when the gold is invalid for the item's kind and spec, and
    EditRefused when the gold changes without a reason; either way nothing is changed.
    """
    graders.validate(item.kind, item.spec, gold)
    reason = reason.strip()
    gold_changed = gold != item.gold
    if gold_changed and not reason:
        raise EditRefused("Give a reason for the change to the gold.")
    current = ItemFields(item.prompt, item.explanation, list(item.sections), list(item.pools),
                         item.critical, item.status)
    updated = [name for name in ItemFields.__dataclass_fields__
               if getattr(current, name) != getattr(fields, name)]
    if not gold_changed and not updated:
        return False
    if gold_changed:
        _revise(item, item.spec, gold, actor, reason, now=now)
    item.prompt, item.explanation = fields.prompt, fields.explanation
    item.sections, item.pools = list(fields.sections), list(fields.pools)
    item.critical, item.status = fields.critical, fields.status
    record_audit("item_edited", actor_id=actor.id if actor else None,
                 target=f"item:{item.id}",
                 data={"course_id": item.course_id, "key": item.key, "fields": updated,
                       "gold_changed": gold_changed, "revision": item.revision,
                       "reason": reason})
    if gold_changed:
        gold_revised.send(item, reason=reason)
    return True


def add_alternative(item: Item, answer: Any, actor: User | None, reason: str) -> None:
    """Accept `answer` as another fully correct answer: a new revision, the gold unchanged."""
    graders.validate(item.kind, item.spec, answer)
    if answer == item.gold or answer in (item.alternatives or []):
        raise EditRefused("That answer is already accepted as correct.")
    _revise(item, item.spec, item.gold, actor, reason, [*(item.alternatives or []), answer])
    record_audit("item_alternative_added", actor_id=actor.id if actor else None,
                 target=f"item:{item.id}",
                 data={"course_id": item.course_id, "key": item.key,
                       "revision": item.revision, "reason": reason})
    gold_revised.send(item, reason=reason)


def media_of(course: Course, items: list[Item]) -> dict[str, bytes]:
    """The media files these items use, by path: what an export of them needs beside it."""
    paths = sorted({item.media for item in items if item.media})
    if not paths:
        return {}
    return dict(db.session.execute(select(MediaFile.path, MediaFile.content).where(
        MediaFile.course_id == course.id, MediaFile.path.in_(paths))).all())


def exam_only_media(course: Course, path: str) -> bool:
    """True when items use the file and none of them is a practice item (nor has no pool)."""
    pools = db.session.scalars(select(Item.pools).where(Item.course_id == course.id,
                                                        Item.media == path)).all()
    return bool(pools) and all("practice" not in p and "exam" in p for p in pools)


class ItemInvalid(ValueError):
    """A new item refused as a whole, with every problem as "path: message" (as in
    items.jsonl errors: "id: ...", "gold[1].x: ..."); nothing was changed."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ItemImage:
    """An image stored among a course's media, with its size in pixels."""

    path: str
    width: int
    height: int


def _image_of(content: bytes) -> tuple[str, tuple[int, int]] | None:
    """(extension, (width, height)) of a PNG, JPEG or GIF by its content, or None."""
    extension = next((ext for magic, ext in IMAGE_TYPES if content.startswith(magic)), None)
    if extension is None:
        return None
    with tempfile.TemporaryDirectory(prefix="item-image-") as folder:
        path = Path(folder, f"image.{extension}")
        path.write_bytes(content)
        size = image_size(path)
    return (extension, size) if size and size[0] > 0 and size[1] > 0 else None


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.3g} MB" if size >= 1024 * 1024 else f"{size / 1024:.3g} kB"


def store_image(course: Course, content: bytes) -> ItemImage:
    """Keep an uploaded image among the course's media, named by its content (the same file
    uploaded twice is stored once, and no upload can replace another's file).

    Raises ItemInvalid when it is larger than the media limit or not a PNG, JPEG or GIF.
    """
    if len(content) > MAX_IMAGE_BYTES:
        raise ItemInvalid([f"media: the image is larger than {_megabytes(MAX_IMAGE_BYTES)}, "
                           "the limit"])
    found = _image_of(content)
    if found is None:
        raise ItemInvalid(["media: the file is not a PNG, JPEG or GIF image (or its size "
                           "cannot be read)"])
    extension, (width, height) = found
    digest = hashlib.sha256(content).hexdigest()
    path = f"media/items/{digest[:20]}.{extension}"
    stored = db.session.scalar(select(MediaFile).where(MediaFile.course_id == course.id,
                                                       MediaFile.path == path))
    if stored is None:
        db.session.add(MediaFile(course_id=course.id, path=path, content=content, sha256=digest))
    elif stored.sha256 != digest:
        raise ItemInvalid([f"media: {path} already holds another image; rename the file"])
    return ItemImage(path, width, height)


def stored_image(course: Course, path: str) -> ItemImage | None:
    """An image already among the course's media, or None when it is not one."""
    content = db.session.scalar(select(MediaFile.content).where(
        MediaFile.course_id == course.id, MediaFile.path == path))
    found = _image_of(content) if content is not None else None
    return ItemImage(path, *found[1]) if found else None


def create_item(course: Course, native: dict[str, Any], actor: User | None) -> Item:
    """Add one item made in the browser at the end of the bank: gold revision 1 by `actor`,
    audited like an edit.

    `native` is the item as items.jsonl has it; its media must already be among the course's
    media and its sections in the latest manual. Raises ItemInvalid listing every problem
    (the key already used, the spec, the gold, ...); nothing is changed then.
    """
    native = with_defaults(native)
    media = native.get("media")
    known = set(db.session.scalars(select(MediaFile.path).where(
        MediaFile.course_id == course.id, MediaFile.path == media))) if media else set()
    problems = item_problems(native, media=known, sections=latest_section_titles(course))
    if isinstance(native["id"], str) and find_item(course, native["id"]) is not None:
        problems.insert(0, f'id: "{native["id"]}" is already used by another item of '
                           "this course")
    if problems:
        raise ItemInvalid(problems)
    last = db.session.scalar(select(func.max(Item.position)).where(Item.course_id == course.id))
    item = Item(course_id=course.id, key=native["id"], revision=1)
    _assign(item, native, 0 if last is None else last + 1)
    db.session.add(item)
    db.session.flush()
    db.session.add(ItemRevision(item_id=item.id, number=1, spec=item.spec, gold=item.gold,
                                alternatives=item.alternatives, reason="created in the browser",
                                changed_by_id=actor.id if actor else None))
    record_audit("item_created", actor_id=actor.id if actor else None, target=f"item:{item.id}",
                 data={"course_id": course.id, "key": item.key, "kind": item.kind,
                       "revision": 1})
    return item
