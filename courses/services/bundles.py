"""Importing and exporting course bundles (course-as-code) against the database.

Reading and writing the folder format is pure logic in the courses.bundles package; this module
checks a bundle against what is already stored, then writes it in one transaction or not at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bootcamp.audit import record_audit
from bootcamp.extensions import db
from bootcamp.users.models import User
from courses.bundles import (
    Bundle,
    CourseSpec,
    ExamBlock,
    ManualVersionSpec,
    read_bundle,
    write_bundle,
)
from courses.errors import SourceError, SourceInvalid
from courses.importers.native import dump_items, load_items
from courses.models import Course, CourseStatus, ManualVersion, MediaFile, VersionStatus
from courses.rendering import manual_outline, render_to_keep
from courses.services import catalog, items, manuals
from courses.signals import bundle_exporting, bundle_imported


def _exam_spec(course: Course) -> ExamBlock | None:
    """The exam rules export writes into course.yaml's `exam:` block, which exams provides
    (exams/bundle_hooks.py); None when the course has no stored rules."""
    answers = bundle_exporting.send(course)
    return next((exam for _, exam in answers if exam is not None), None)


@dataclass(frozen=True)
class ImportResult:
    course: Course
    created: bool
    new_versions: list[int]
    new_media: list[str]
    item_changes: items.BankChanges


def _version_file(number: int) -> str:
    return f"manual/{number:03d}.md"


def _conflicts(course: Course, bundle: Bundle) -> list[SourceError]:
    """Published versions and imported media are immutable: a bundle must agree with them."""
    errors = []
    published = manuals.published_versions(course)
    if len(bundle.versions) < len(published):
        errors.append(SourceError("manual/", 1, (
            f"the course already has {len(published)} published versions but the bundle has "
            f"{len(bundle.versions)}; a bundle must contain every published version")))
    for stored, spec in zip(published, bundle.versions, strict=False):
        if _spec_of(stored) != spec:
            errors.append(SourceError(_version_file(spec.number), 1, (
                f"version {spec.number} differs from the published version {stored.number}; "
                "published versions never change: add a new version file instead")))
    stored_media = {m.path: m.sha256 for m in db.session.scalars(
        select(MediaFile).where(MediaFile.course_id == course.id))}
    for path, content in bundle.media.items():
        if path in stored_media and stored_media[path] != _sha256(content):
            errors.append(SourceError(path, 1, (
                "differs from the file of that name already imported, which published versions "
                "use; give the new file a new name")))
    return errors


def _spec_of(version: ManualVersion) -> ManualVersionSpec:
    return ManualVersionSpec(
        number=version.number, published_at=version.published_at,
        changelog=version.changelog, material=tuple(version.material_sections),
        markdown=version.markdown,
    )


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def _fields(spec: CourseSpec) -> catalog.CourseFields:
    return catalog.CourseFields(
        slug=spec.slug, title=spec.title, code_name=spec.code_name,
        description=spec.description, qualifies_for=spec.qualifies_for,
        estimated_minutes=spec.estimated_minutes, status=CourseStatus(spec.status),
        dropout_window_days=spec.dropout_window_days,
    )


def _not_staff(root: Path, slug: str) -> SourceError:
    """The refusal, at the line of course.yaml that names the slug."""
    lines = (root / "course.yaml").read_text(encoding="utf-8").splitlines()
    line = next((n for n, text in enumerate(lines, start=1) if text.startswith("slug:")), 1)
    return SourceError("course.yaml", line, (
        f"a course with the slug {slug!r} already exists and you are not on its staff, so "
        "this bundle cannot change it; use another slug, or ask its owner to add you"))


def import_bundle(root: Path, actor: User | None) -> ImportResult:
    """Validate the whole bundle, then import it atomically; raises SourceInvalid otherwise.

    A person (`actor`) may only change a course whose staff they are on; the command line,
    run by an operator, passes no actor and may change any course.
    """
    bundle = read_bundle(root)  # checks the items too: media, sections, spec and gold
    course = catalog.find_course(bundle.course.slug)
    created = course is None
    if course is not None and actor is not None and not catalog.can_edit(course.id, actor):
        raise SourceInvalid([_not_staff(root, course.slug)])
    if course is not None:
        errors = _conflicts(course, bundle)
        if errors:
            raise SourceInvalid(errors)
        catalog.update_course(course, _fields(bundle.course), actor)
        known = len(manuals.published_versions(course))
    else:
        course = catalog.create_course(_fields(bundle.course), actor)
        known = 0
    new_versions = [spec for spec in bundle.versions if spec.number > known]
    renderings = [render_to_keep(spec.markdown) for spec in new_versions]
    published = [ManualVersion(
        course_id=course.id, number=spec.number, status=VersionStatus.PUBLISHED,
        markdown=spec.markdown, changelog=spec.changelog,
        material_sections=list(spec.material), published_at=spec.published_at,
        outline=manual_outline(rendered), author_id=actor.id if actor else None,
    ) for spec, rendered in zip(new_versions, renderings, strict=True)]
    db.session.add_all(published)
    stored = set(db.session.scalars(select(MediaFile.path).where(MediaFile.course_id == course.id)))
    new_media = [path for path in bundle.media if path not in stored]
    for path in new_media:
        content = bundle.media[path]
        db.session.add(MediaFile(course_id=course.id, path=path, content=content,
                                 sha256=_sha256(content)))
    db.session.flush()
    for version, rendered in zip(published, renderings, strict=True):
        manuals.keep_rendering(version.id, rendered)
    manuals.forget_latest()
    changes = items.upsert_items(course, load_items(bundle.items_jsonl), actor,
                                 reason="bundle import", retire_missing=True)
    bundle_imported.send(course, exam=bundle.course.exam, actor=actor)
    for version in published:  # after the items: a refresh exam draws from the new bank
        manuals.announce(course, version)
    if created or new_versions or new_media:  # re-importing an unchanged bundle writes nothing
        record_audit("bundle_imported", actor_id=actor.id if actor else None,
                     target=f"course:{course.id}",
                     data={"versions": [s.number for s in new_versions], "media": new_media})
    return ImportResult(course, created, [s.number for s in new_versions], new_media, changes)


def export_bundle(course: Course, root: Path) -> None:
    """Write the course's published state as a bundle folder."""
    media = db.session.scalars(
        select(MediaFile).where(MediaFile.course_id == course.id).order_by(MediaFile.path))
    bundle = Bundle(
        course=CourseSpec(
            slug=course.slug, title=course.title, code_name=course.code_name,
            description=course.description, qualifies_for=course.qualifies_for,
            estimated_minutes=course.estimated_minutes, status=course.status.value,
            exam=_exam_spec(course), dropout_window_days=course.dropout_window_days,
        ),
        versions=tuple(_spec_of(v) for v in manuals.published_versions(course)),
        media={m.path: m.content for m in media},
        items_jsonl=dump_items(
            items.as_native(item) for item in items.bank(course, active_only=True)),
    )
    write_bundle(bundle, root)
