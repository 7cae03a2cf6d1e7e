"""Courses, their manual versions and media, cohorts, enrolments, gold items and practice."""

from __future__ import annotations

import enum
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime
from functools import cache

from sqlalchemy import (
    BindParameter,
    Connection,
    Date,
    Delete,
    Float,
    ForeignKey,
    Index,
    Insert,
    Integer,
    LargeBinary,
    Select,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    case,
    delete,
    event,
    false,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, validates
from sqlalchemy.orm.attributes import get_history

from bootcamp.extensions import db
from bootcamp.types import JSONData, UTCDateTime, str_enum, utcnow


def markdown_digest(markdown: str) -> str:
    """SHA-256 of a manual's Markdown, in hex."""
    return hashlib.sha256(markdown.encode()).hexdigest()


EMPTY_DIGEST = markdown_digest("")


class CourseStatus(enum.StrEnum):
    """Draft courses are visible to staff only; open ones to everyone; archived ones are closed."""

    DRAFT = "draft"
    OPEN = "open"
    ARCHIVED = "archived"


class Course(db.Model):
    """A course: a plain title, what it qualifies for, and its manual."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    code_name: Mapped[str | None] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    qualifies_for: Mapped[str] = mapped_column(String(300), default="")
    estimated_minutes: Mapped[int | None] = mapped_column(Integer)
    # Days without activity after which an unqualified trainee counts as dropped out.
    dropout_window_days: Mapped[int] = mapped_column(Integer, default=7, server_default="7")
    status: Mapped[CourseStatus] = mapped_column(
        str_enum(CourseStatus, "course_status"), default=CourseStatus.DRAFT
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    versions: Mapped[list[ManualVersion]] = relationship(
        back_populates="course", order_by="ManualVersion.id", cascade="all, delete-orphan"
    )


class VersionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class ManualVersion(db.Model):
    """One version of a course's manual; immutable once published."""

    __tablename__ = "manual_versions"
    __table_args__ = (UniqueConstraint("course_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    number: Mapped[int | None] = mapped_column(Integer)  # set when published: 1, 2, 3...
    status: Mapped[VersionStatus] = mapped_column(
        str_enum(VersionStatus, "manual_version_status"), default=VersionStatus.DRAFT
    )
    markdown: Mapped[str] = mapped_column(Text, default="", deferred=True)  # up to 1 MB
    # SHA-256 of the Markdown, set with it: what a worker's kept rendering is keyed by, so that
    # no page loads a megabyte of Markdown to find its rendering (courses/services/manuals.py).
    digest: Mapped[str] = mapped_column(String(64), default=EMPTY_DIGEST)
    changelog: Mapped[str] = mapped_column(Text, default="")
    material_sections: Mapped[list[str]] = mapped_column(JSONData, default=list)
    # Id, title and digest of each section, kept when published so that counting sections
    # and reads never renders the manual ([] while a draft).
    outline: Mapped[list[dict[str, str]]] = mapped_column(JSONData, default=list)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    course: Mapped[Course] = relationship(back_populates="versions")

    @validates("markdown")
    def _digest_markdown(self, key: str, markdown: str) -> str:
        self.digest = markdown_digest(markdown)
        return markdown

    @property
    def is_published(self) -> bool:
        return self.status == VersionStatus.PUBLISHED

    @property
    def section_titles(self) -> dict[str, str]:
        """Section id -> title in manual order, from the outline: the manual is not rendered."""
        return {entry["id"]: entry["title"] for entry in self.outline}


class PublishedVersionImmutable(RuntimeError):
    """Raised when code tries to change or delete a published manual version."""


@event.listens_for(ManualVersion, "before_update")
def _refuse_published_update(mapper, connection, target: ManualVersion) -> None:
    history = get_history(target, "status")
    if VersionStatus.PUBLISHED in [*history.unchanged, *history.deleted]:
        raise PublishedVersionImmutable(f"manual version {target.number} is published")


@event.listens_for(ManualVersion, "before_delete")
def _refuse_published_delete(mapper, connection, target: ManualVersion) -> None:
    if target.status == VersionStatus.PUBLISHED:
        raise PublishedVersionImmutable(f"manual version {target.number} is published")


class ManualRendering(db.Model):
    """A published version's sections rendered once (courses.rendering.kept_sections): it never
    changes, so no page renders its Markdown again."""

    __tablename__ = "manual_renderings"

    version_id: Mapped[int] = mapped_column(
        ForeignKey("manual_versions.id", ondelete="CASCADE"), primary_key=True)
    sections: Mapped[list[dict]] = mapped_column(JSONData)
    renderer: Mapped[int]  # courses.rendering.RENDERER_VERSION when it was rendered


class MediaFile(db.Model):
    """A file a manual refers to as media/<path>, kept in the database so workers stay stateless."""

    __tablename__ = "media_files"
    __table_args__ = (UniqueConstraint("course_id", "path"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    path: Mapped[str] = mapped_column(String(255))  # "media/mannequin.png"
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Cohort(db.Model):
    """A group of trainees who start a course together."""

    __tablename__ = "cohorts"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    starts_on: Mapped[date] = mapped_column(Date)
    capacity: Mapped[int | None] = mapped_column(Integer)
    instructor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship()


class EnrollmentSource(enum.StrEnum):
    SELF = "self"
    INVITE_LINK = "invite_link"
    EMAIL_LIST = "email_list"


class Enrollment(db.Model):
    """A trainee taking a course, optionally as part of a cohort."""

    __tablename__ = "enrollments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"), index=True)
    source: Mapped[EnrollmentSource] = mapped_column(
        str_enum(EnrollmentSource, "enrollment_source"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # left the course


class Invitation(db.Model):
    """An email address invited to a cohort; it becomes an enrolment when that person logs in."""

    __tablename__ = "invitations"
    __table_args__ = (UniqueConstraint("cohort_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ItemStatus(enum.StrEnum):
    """Retired items stay in the bank (attempts refer to them) but are no longer served."""

    ACTIVE = "active"
    RETIRED = "retired"


class Item(db.Model):
    """A gold-standard item of a course's bank: a task whose right answer is known."""

    __tablename__ = "items"
    __table_args__ = (UniqueConstraint("course_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))  # the bundle's id, stable across imports
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))
    prompt: Mapped[str] = mapped_column(Text)
    media: Mapped[str | None] = mapped_column(String(255))
    spec: Mapped[dict] = mapped_column(JSONData)
    gold: Mapped[object] = mapped_column(JSONData)
    # Other answers accepted as fully correct (added when a dispute is accepted).
    alternatives: Mapped[list] = mapped_column(JSONData, default=list)
    explanation: Mapped[str] = mapped_column(Text, default="")
    sections: Mapped[list[str]] = mapped_column(JSONData, default=list)
    critical: Mapped[bool] = mapped_column(default=False)
    pools: Mapped[list[str]] = mapped_column(JSONData, default=list)
    status: Mapped[ItemStatus] = mapped_column(
        str_enum(ItemStatus, "item_status"), default=ItemStatus.ACTIVE
    )
    revision: Mapped[int] = mapped_column(Integer, default=1)  # the current gold revision
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ItemRevision(db.Model):
    """Every gold (and spec) an item ever had, so that later changes can regrade answers."""

    __tablename__ = "item_revisions"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    spec: Mapped[dict] = mapped_column(JSONData)
    gold: Mapped[object] = mapped_column(JSONData)
    alternatives: Mapped[list] = mapped_column(JSONData, default=list)
    reason: Mapped[str] = mapped_column(String(300), default="")
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PracticeAnswer(db.Model):
    """One answer a trainee gave to a practice item, scored against the gold of that moment."""

    __tablename__ = "practice_answers"
    __table_args__ = (
        Index("ix_practice_answers_user_course_module_created",
              "user_id", "course_id", "module", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    item_revision: Mapped[int] = mapped_column(Integer)  # the gold revision it was scored with
    module: Mapped[str] = mapped_column(Text)  # the section id of its practice module
    answer: Mapped[object] = mapped_column(JSONData)
    points: Mapped[float] = mapped_column(Float)
    correct: Mapped[bool] = mapped_column()
    details: Mapped[dict] = mapped_column(JSONData, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # How it counts toward mastery (courses.practice_modules.place), fixed when it is given:
    # the module's round it fell in, whether it was a first try there, whether it ended it.
    round_number: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    counts: Mapped[bool] = mapped_column(default=False, server_default=false())
    ends_round: Mapped[bool] = mapped_column(default=False, server_default=false())


class PracticeSummary(db.Model):
    """One trainee's practice in one module of a course, kept in step with practice_answers.

    Why kept: the dashboards and the progress table need every trainee's answer counts and
    mastery (the first tries of each module's latest finished round); computing them on read
    scans every practice answer of the course (a window over millions of rows at 10,000 trainees,
    bench/cohort_dashboard.py). Each flush that adds, changes or deletes practice answers
    recomputes the rows of the trainees it touched from their answers (`keep_summaries`), so
    a row always equals the from-scratch computation, whoever wrote the answers.
    """

    __tablename__ = "practice_summaries"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), primary_key=True, index=True)
    module: Mapped[str] = mapped_column(Text, primary_key=True)
    answers: Mapped[int] = mapped_column(Integer)  # every answer, retries included
    correct: Mapped[int] = mapped_column(Integer)
    rounds_done: Mapped[int] = mapped_column(Integer)  # the number of the latest finished round
    round_items: Mapped[int] = mapped_column(Integer)  # first tries counted in that round
    round_correct: Mapped[int] = mapped_column(Integer)  # how many of those were right
    open_tried: Mapped[int] = mapped_column(Integer)  # first tries so far in the open round


SUMMARY_LOCK = 0x5053  # pg_advisory_xact_lock's first key: "PS", one lock per trainee
_SUMMARY_LOCKS = text(  # the trainees' locks, in id order
    "SELECT count(pg_advisory_xact_lock(:space, u)) "
    "FROM (SELECT u FROM unnest(CAST(:users AS integer[])) AS u ORDER BY u) AS s")


def summary_select(course_id: int | BindParameter | None = None,
                   user_ids: Iterable[int] | BindParameter | None = None) -> Select:
    """The summary rows computed from scratch from practice_answers (of one course, of some
    trainees): counts, and the first tries of the latest finished round and of the open one.
    The course and trainees may be bound parameters, for a statement built once."""
    answer = PracticeAnswer
    trainee_module = (answer.user_id, answer.course_id, answer.module)
    rounds = select(
        answer.user_id, answer.course_id, answer.module, answer.correct, answer.counts,
        answer.round_number,
        func.max(case((answer.ends_round, answer.round_number))).over(
            partition_by=trainee_module).label("done"))
    if course_id is not None:
        rounds = rounds.where(answer.course_id == course_id)
    if user_ids is not None:
        rounds = rounds.where(answer.user_id.in_(
            user_ids if isinstance(user_ids, BindParameter) else sorted(user_ids)))
    rounds = rounds.subquery()
    number, done = rounds.c.round_number, rounds.c.done
    last = rounds.c.counts & (number == done)
    still_open = rounds.c.counts & (done.is_(None) | (number > done))
    return (select(rounds.c.user_id, rounds.c.course_id, rounds.c.module, func.count(),
                   func.sum(case((rounds.c.correct, 1), else_=0)),
                   func.coalesce(func.max(done), 0),
                   func.sum(case((last, 1), else_=0)),
                   func.sum(case((last & rounds.c.correct, 1), else_=0)),
                   func.sum(case((still_open, 1), else_=0)))
            .group_by(rounds.c.user_id, rounds.c.course_id, rounds.c.module))


SUMMARY_COLUMNS = ["user_id", "course_id", "module", "answers", "correct", "rounds_done",
                   "round_items", "round_correct", "open_tried"]


def rebuild_summaries(connection: Connection, course_id: int | None = None,
                      user_ids: Iterable[int] | None = None) -> None:
    """Replace the summary rows (of one course, of some trainees) by the from-scratch ones."""
    if course_id is not None and user_ids is not None:
        values = {"course_id": course_id, "user_ids": sorted(user_ids)}
        for statement in _trainees_rebuild():
            connection.execute(statement, values)
        return
    gone = delete(PracticeSummary)
    if course_id is not None:
        gone = gone.where(PracticeSummary.course_id == course_id)
    if user_ids is not None:
        user_ids = sorted(user_ids)
        gone = gone.where(PracticeSummary.user_id.in_(user_ids))
    connection.execute(gone)
    connection.execute(insert(PracticeSummary).from_select(
        SUMMARY_COLUMNS, summary_select(course_id, user_ids)))


@cache
def _trainees_rebuild() -> tuple[Delete, Insert]:
    """rebuild_summaries of some trainees in one course, built once: every practice answer
    runs it, and building the two statements costs SQLAlchemy ~1.3 ms of CPU."""
    course_id, user_ids = bindparam("course_id"), bindparam("user_ids", expanding=True)
    return (delete(PracticeSummary).where(PracticeSummary.course_id == course_id,
                                          PracticeSummary.user_id.in_(user_ids)),
            insert(PracticeSummary).from_select(SUMMARY_COLUMNS,
                                                summary_select(course_id, user_ids)))


def keep_summaries(connection: Connection, touched: Iterable[tuple[int, int]]) -> None:
    """Recompute the summaries of these (course id, user id) pairs. On PostgreSQL each
    trainee's lock is taken first (in id order, so two writers never wait on each other in a
    circle): a concurrent answer of the same trainee then waits, and its recomputation reads
    this one's answers once committed (SQLite writes one transaction at a time anyway)."""
    per_course: dict[int, set[int]] = defaultdict(set)
    for course_id, user_id in touched:
        per_course[course_id].add(user_id)
    if connection.dialect.name == "postgresql":
        users = sorted(set().union(*per_course.values()))
        connection.execute(_SUMMARY_LOCKS, {"space": SUMMARY_LOCK, "users": users})
    for course_id, user_ids in sorted(per_course.items()):
        rebuild_summaries(connection, course_id, user_ids)


@event.listens_for(Session, "after_flush")
def _keep_practice_summaries(session: Session, flush_context: object) -> None:
    """In the flush's transaction, the summaries of the trainees whose answers it wrote."""
    touched = {(each.course_id, each.user_id)
               for each in (*session.new, *session.dirty, *session.deleted)
               if isinstance(each, PracticeAnswer)}
    if touched:
        keep_summaries(session.connection(), touched)


class StaffRole(enum.StrEnum):
    """Owners also decide who else staffs the course; instructors change everything else."""

    OWNER = "owner"
    INSTRUCTOR = "instructor"


class CourseStaff(db.Model):
    """An instructor who may see and change one course (admins may change every course)."""

    __tablename__ = "course_staff"
    __table_args__ = (UniqueConstraint("course_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[StaffRole] = mapped_column(str_enum(StaffRole, "course_staff_role"))
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
