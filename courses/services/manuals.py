"""Manual versions: drafts, publishing, rendering, reading and what changed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache

from sqlalchemy import Select, bindparam, event, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bootcamp.audit import record_audit
from bootcamp.events import Event, record_event
from bootcamp.extensions import db
from bootcamp.outbox import record_outbox
from bootcamp.types import utcnow
from bootcamp.users.models import User
from courses.bundles import LIMITS, normalise_markdown
from courses.html_safety import find_unsafe_html
from courses.manual_diff import ManualDiff, diff_manuals
from courses.models import Course, ManualRendering, ManualVersion, VersionStatus
from courses.rendering import (
    RENDERER_VERSION,
    RenderedManual,
    kept_manual,
    kept_sections,
    limit_problems,
    manual_outline,
    render_manual,
    render_to_keep,
)
from courses.signals import manual_published, refresh_impact


class ManualError(ValueError):
    """A manual operation that cannot be done; `problems` lists every reason."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class RefreshUnconfirmed(Exception):
    """Publishing would send more qualified trainees to a refresh exam than the instructor
    confirmed; `count` is how many it would send now."""

    def __init__(self, count: int):
        super().__init__(f"{count} qualified trainees would need a refresh exam")
        self.count = count


def published_versions(course: Course) -> list[ManualVersion]:
    """Published versions, oldest first."""
    return list(db.session.scalars(_published_query(), {"course_id": course.id}))


@cache
def _published_query() -> Select:
    """Built once: the what-changed and history pages ask it."""
    return (select(ManualVersion)
            .where(ManualVersion.course_id == bindparam("course_id"),
                   ManualVersion.status == VersionStatus.PUBLISHED)
            .order_by(ManualVersion.number))


LATEST = "latest_manual_versions"  # db.session.info key: course id -> latest version


def latest_version(course: Course) -> ManualVersion | None:
    """The newest published version, asked once per database session (a request): a page's
    cards, steps and practice all want it. Publishing forgets it (forget_latest)."""
    return latest_versions([course.id])[course.id]


def latest_versions(course_ids: Sequence[int]) -> dict[int, ManualVersion | None]:
    """latest_version of many courses, the ones not yet known in one query."""
    known = db.session.info.setdefault(LATEST, {})
    missing = [course_id for course_id in course_ids if course_id not in known]
    if missing:
        found = {version.course_id: version
                 for version in db.session.scalars(_latest_query(), {"course_ids": missing})}
        known.update({course_id: found.get(course_id) for course_id in missing})
    return {course_id: known[course_id] for course_id in course_ids}


# The reading pages' statements, built once: building one costs SQLAlchemy 30-330 µs of CPU
# (the expressions, a subquery's column proxies, the cache key), on every page otherwise.
@cache
def _latest_query() -> Select:
    published = ManualVersion.status == VersionStatus.PUBLISHED
    newest = (select(ManualVersion.course_id, func.max(ManualVersion.number).label("number"))
              .where(ManualVersion.course_id.in_(bindparam("course_ids", expanding=True)),
                     published)
              .group_by(ManualVersion.course_id).subquery())
    return (select(ManualVersion)
            .join(newest, (ManualVersion.course_id == newest.c.course_id)
                  & (ManualVersion.number == newest.c.number))
            .where(published))


def forget_latest() -> None:
    """A version was published in this session: the next latest_version asks again."""
    db.session.info.pop(LATEST, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: object) -> None:
    session.info.pop(LATEST, None)  # what it remembered may have been rolled back


def latest_section_titles(course: Course) -> dict[str, str]:
    """Section id -> title in the latest published manual, in manual order: the sections items
    may point trainees to and exam quotas may name ({} before the first version)."""
    latest = latest_version(course)
    return latest.section_titles if latest else {}


def version_by_number(course: Course, number: int) -> ManualVersion | None:
    return db.session.scalar(
        select(ManualVersion).where(ManualVersion.course_id == course.id,
                                    ManualVersion.number == number)
    )


def draft_of(course: Course) -> ManualVersion | None:
    return db.session.scalar(
        select(ManualVersion).where(ManualVersion.course_id == course.id,
                                    ManualVersion.status == VersionStatus.DRAFT)
    )


def _lock(course: Course) -> None:
    """Serialise drafting and publishing per course (a row lock on PostgreSQL)."""
    db.session.execute(select(Course.id).where(Course.id == course.id).with_for_update())


def save_draft(course: Course, markdown: str, author: User) -> ManualVersion:
    """Create or update the course's single draft."""
    _lock(course)
    draft = draft_of(course)
    if draft is None:
        draft = ManualVersion(course_id=course.id, status=VersionStatus.DRAFT)
        db.session.add(draft)
    draft.markdown = normalise_markdown(markdown)  # stored as bundles store it: exports agree
    draft.author_id = author.id
    db.session.flush()
    return draft


def draft_text(course: Course) -> str:
    """What the editor opens with: the draft, else the latest published text (a read: the
    draft row is created by the first save, never by opening the editor)."""
    draft = draft_of(course) or latest_version(course)
    return draft.markdown if draft else ""


def discard_draft(course: Course) -> None:
    draft = draft_of(course)
    if draft is not None:
        db.session.delete(draft)


def publish_problems(markdown: str, changelog: str, material: list[str],
                     first: bool) -> list[str]:
    """Everything that stops a draft from being published, in words an author can act on."""
    return _checked(markdown, changelog, material, first)[0]


def _checked(markdown: str, changelog: str, material: list[str],
             first: bool) -> tuple[list[str], RenderedManual | None]:
    """Problems, and the rendered manual unless it is too large or too deep to render."""
    problems = []
    if not markdown.strip():
        problems.append("The manual is empty.")
    if not first and not changelog.strip():
        problems.append("Describe what changed in the changelog.")
    limits = limit_problems(markdown)
    if len(changelog) > LIMITS["changelog"]:
        limits.append(f"The changelog is {len(changelog):,} characters long; "
                      f"the limit is {LIMITS['changelog']:,}.")
    if limits:
        return problems + limits, None
    problems += [f"Line {u.line}: {u.message}" for u in find_unsafe_html(markdown)]
    problems += [f"Changelog line {u.line}: {u.message}" for u in find_unsafe_html(changelog)]
    rendered = render_to_keep(markdown)
    known = {section.id for section in rendered.sections}
    problems += [f"There is no section {sid!r} to mark as a material change."
                 for sid in material if sid not in known]
    if first and material:
        problems.append("The first version has nothing to change: mark no material sections.")
    return problems, rendered


def publish_draft(course: Course, changelog: str, material: list[str], actor: User,
                  published_at=None, *, confirmed_refreshes: int | None = None) -> ManualVersion:
    """Number the draft as the next version and freeze it.

    With `confirmed_refreshes` (the browser's confirmation), a valid draft whose material
    changes would send more qualified trainees to a refresh exam than that is not published:
    RefreshUnconfirmed says how many, counted under the course's lock."""
    _lock(course)
    draft = draft_of(course)
    if draft is None:
        raise ManualError(["There is no draft to publish."])
    latest = latest_version(course)
    problems, rendered = _checked(draft.markdown, changelog, material, latest is None)
    if problems or rendered is None:
        raise ManualError(problems)
    if confirmed_refreshes is not None:
        count = trainees_sent_to_refresh(course, material)
        if count > confirmed_refreshes:
            raise RefreshUnconfirmed(count)
    draft.outline = manual_outline(rendered)  # before it is published, and so frozen
    draft.number = (latest.number if latest else 0) + 1
    draft.changelog = normalise_markdown(changelog)
    draft.material_sections = list(material)
    draft.published_at = published_at or utcnow()
    draft.status = VersionStatus.PUBLISHED
    db.session.flush()
    forget_latest()
    keep_rendering(draft.id, rendered)
    record_audit("manual_published", actor_id=actor.id, target=f"course:{course.id}",
                 data={"version": draft.number, "material": list(material)})
    announce(course, draft)
    return draft


def trainees_sent_to_refresh(course: Course, material: list[str]) -> int:
    """How many qualified trainees publishing now with these material sections would send to
    a refresh exam (exams counts them; none without material changes)."""
    if not material:
        return 0
    return sum(count for _, count in refresh_impact.send(course, sections=list(material)))


def announce(course: Course, version: ManualVersion) -> None:
    """Tell exams (the signal: refresh exams) and platforms (the outbox) about a published
    version, in the publishing transaction."""
    manual_published.send(course, version=version)
    record_outbox("manual.published", user_id=None, course_id=course.id, data={
        "course": course.slug, "version": version.number,
        "material_sections": list(version.material_sections), "changelog": version.changelog})


def media_url_for(prefix: str) -> Callable[[str], str]:
    """Map a bundle-relative "media/x.png" to the URL that serves it."""
    return lambda path: prefix + path[len("media/"):] if path.startswith("media/") else path


def keep_rendering(version_id: int, rendered: RenderedManual) -> list[dict]:
    """Keep a version's rendering (from render_to_keep) in this transaction, replacing an
    older one; two requests keeping the same version at once both succeed."""
    sections = kept_sections(rendered)
    insert = pg_insert if db.session.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.session.execute(insert(ManualRendering).values(
        version_id=version_id, sections=sections, renderer=RENDERER_VERSION,
    ).on_conflict_do_update(index_elements=["version_id"],
                            set_={"sections": sections, "renderer": RENDERER_VERSION}))
    return sections


def preview(markdown: str, media_prefix: str) -> tuple[RenderedManual | None, list[str]]:
    """A draft as trainees would see it; unrendered, with the reasons, when past a limit."""
    problems = limit_problems(markdown)
    rendered = None if problems else render_manual(markdown, media_url_for(media_prefix))
    return rendered, problems


def render_version(version: ManualVersion, media_prefix: str) -> RenderedManual:
    """Rendered manual; a published version's is the one kept when it was published. One
    kept by an older renderer (RENDERER_VERSION), or not kept, is rendered and kept again in
    this transaction: a page that commits after this stores it for the next."""
    if not version.is_published:
        return render_manual(version.markdown, media_url_for(media_prefix))
    return _kept_in_process(version.id, media_prefix, RENDERER_VERSION, version.digest)


@lru_cache(maxsize=16)
def _kept_in_process(version_id: int, media_prefix: str, renderer: int,
                     digest: str) -> RenderedManual:
    """The kept rendering, also held by each worker for its most read versions: decoding a
    43-page manual's sections from the database costs more than the rest of its page. The
    Markdown's digest in the key tells apart versions of the same id in different databases,
    without loading the Markdown."""
    kept = db.session.get(ManualRendering, version_id)
    if kept is None or kept.renderer != renderer:
        markdown = db.session.get(ManualVersion, version_id).markdown
        return kept_manual(keep_rendering(version_id, render_to_keep(markdown)), media_prefix)
    return kept_manual(kept.sections, media_prefix)


def diff_versions(old: ManualVersion, new: ManualVersion, media_prefix: str) -> ManualDiff:
    return diff_manuals(render_version(old, media_prefix), render_version(new, media_prefix))


# Reading: every view of the manual (but a reload, REOPEN_SECONDS) and every section marked
# read is an event.

REOPEN_SECONDS = 60


def record_opened(user: User, course: Course, version: ManualVersion, *,
                  now: datetime | None = None) -> None:
    """Record a view of the manual (`now`: when, for a generated history; else the present)."""
    record_event("manual_opened", user_id=user.id, course_id=course.id,
                 data={"version": version.number}).created_at = now or utcnow()


def mark_section_read(user: User, course: Course, version: ManualVersion,
                      section_id: str, *, now: datetime | None = None) -> None:
    """Record that the trainee read one section of one (published) version."""
    if section_id not in version.section_titles:
        raise ManualError([f"Version {version.number} has no section {section_id!r}."])
    record_event("section_read", user_id=user.id, course_id=course.id,
                 data={"version": version.number, "section": section_id}
                 ).created_at = now or utcnow()


def open_manual(user: User, course: Course, version: ManualVersion, *,
                now: datetime | None = None) -> int | None:
    """Record that the trainee opened `version` and return the newest version they had opened
    before (None: never). A reload of the newest version within REOPEN_SECONDS of the last
    opening is the same reading: it writes nothing, which spares the page a write and a
    commit (and the active time moves by at most that much, graders/activity.py)."""
    newest, last_at = db.session.execute(
        _last_opened_query(), {"user_id": user.id, "course_id": course.id}).one()
    now = now or utcnow()
    if not (newest == version.number and last_at is not None
            and now - last_at < timedelta(seconds=REOPEN_SECONDS)):
        record_opened(user, course, version, now=now)
    return newest


@cache
def _last_opened_query() -> Select:
    return (select(func.max(Event.data["version"].as_integer()), func.max(Event.created_at))
            .where(Event.user_id == bindparam("user_id"),
                   Event.course_id == bindparam("course_id"), Event.of_kind("manual_opened")))


def last_read_version(user_id: int, course_id: int) -> int | None:
    """The newest manual version this trainee has opened."""
    return last_read_versions(user_id, [course_id]).get(course_id)


def last_read_versions(user_id: int, course_ids: Sequence[int]) -> dict[int, int]:
    """last_read_version in many courses (those with one), in one query."""
    return dict(db.session.execute(
        _last_read_query(), {"user_id": user_id, "course_ids": list(course_ids)}).all())


@cache
def _last_read_query() -> Select:
    return (select(Event.course_id, func.max(Event.data["version"].as_integer()))
            .where(Event.user_id == bindparam("user_id"),
                   Event.course_id.in_(bindparam("course_ids", expanding=True)),
                   Event.of_kind("manual_opened"))
            .group_by(Event.course_id))


def read_sections(user_id: int, course_id: int) -> set[str]:
    """Ids of the sections this trainee has marked read, in any version."""
    rows = db.session.scalars(
        select(Event.data["section"].as_string()).distinct()
        .where(Event.user_id == user_id, Event.course_id == course_id,
               Event.of_kind("section_read"))
    )
    return set(rows)


def sections_still_read(user_id: int, course: Course, version: ManualVersion) -> set[str]:
    """Sections of `version` the trainee read in a version where they said the same.

    A section marked read in version 2 and rewritten in version 3 needs reading again. The
    outlines kept at publishing say what each section said: nothing is rendered.
    """
    return still_read_in(user_id, {course.id: version})[course.id]


def still_read_in(user_id: int, versions: dict[int, ManualVersion]) -> dict[int, set[str]]:
    """sections_still_read for many courses (course id -> version), in two queries."""
    reads = db.session.execute(
        _sections_read_query(), {"user_id": user_id, "course_ids": list(versions)}).all()
    digests = _digests(list(versions), {number for _, _, number in reads})
    current = {course_id: {entry["id"]: entry["digest"] for entry in version.outline}
               for course_id, version in versions.items()}
    still: dict[int, set[str]] = {course_id: set() for course_id in versions}
    for course_id, section, number in reads:
        now = current[course_id].get(section)
        if now is not None and digests.get((course_id, number), {}).get(section) == now:
            still[course_id].add(section)
    return still


@cache
def _sections_read_query() -> Select:
    return (select(Event.course_id, Event.data["section"].as_string(),
                   Event.data["version"].as_integer()).distinct()
            .where(Event.user_id == bindparam("user_id"),
                   Event.course_id.in_(bindparam("course_ids", expanding=True)),
                   Event.of_kind("section_read")))


def _digests(course_ids: list[int], numbers: set[int]) -> dict[tuple[int, int], dict[str, str]]:
    """(course id, number) -> section id -> digest for these published versions, without
    their Markdown."""
    rows = db.session.execute(
        _digests_query(), {"course_ids": course_ids, "numbers": list(numbers)}
    ).all() if numbers else []
    return {(course_id, number): {entry["id"]: entry["digest"] for entry in outline}
            for course_id, number, outline in rows}


@cache
def _digests_query() -> Select:
    return (select(ManualVersion.course_id, ManualVersion.number, ManualVersion.outline)
            .where(ManualVersion.course_id.in_(bindparam("course_ids", expanding=True)),
                   ManualVersion.number.in_(bindparam("numbers", expanding=True)),
                   ManualVersion.status == VersionStatus.PUBLISHED))


def sections_still_valid(course: Course) -> tuple[set[str], dict[int, set[str]]]:
    """The latest published version's section ids, and per published version the ids of its
    sections that still say the same (sections_still_read's rule, for every version at once:
    a section read in such a version counts as read now). One query of the outlines."""
    rows = db.session.execute(
        select(ManualVersion.number, ManualVersion.outline)
        .where(ManualVersion.course_id == course.id,
               ManualVersion.status == VersionStatus.PUBLISHED)
        .order_by(ManualVersion.number)).all()
    if not rows:
        return set(), {}
    current = {entry["id"]: entry["digest"] for entry in rows[-1][1]}
    return set(current), {number: {entry["id"] for entry in outline
                                   if current.get(entry["id"]) == entry["digest"]}
                          for number, outline in rows}


@dataclass(frozen=True)
class ChangesSince:
    """What a trainee who last read version `since` needs to know about the latest one."""

    since: ManualVersion
    latest: ManualVersion
    versions: list[ManualVersion]  # the versions published after `since`, oldest first
    diff: ManualDiff


def changes_since(course: Course, since_number: int, media_prefix: str) -> ChangesSince | None:
    """None when `since_number` is the latest version (or unknown)."""
    versions = published_versions(course)
    by_number = {v.number: v for v in versions}
    since = by_number.get(since_number)
    if since is None or since is versions[-1]:
        return None
    newer = [v for v in versions if v.number > since_number]
    return ChangesSince(since, versions[-1], newer,
                        diff_versions(since, versions[-1], media_prefix))
