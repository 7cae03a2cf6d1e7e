"""Exam settings, attempts and their responses, qualifications with their history, disputes.

An attempt freezes its items when it starts (one Response row per item, in the order shown)
and keeps the pass rules of that moment, so later setting changes never alter a past result.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bootcamp.extensions import db
from bootcamp.types import JSONData, UTCDateTime, str_enum, utcnow
from exams.grading import ResultDetail
from exams.rules import DEFAULTS


class ExamSettings(db.Model):
    """A course's exam rules; one row per course, created with defaults when first needed.

    Column defaults, and what each rule may be, come from exams.rules.
    """

    __tablename__ = "exam_settings"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), unique=True)
    item_count: Mapped[int] = mapped_column(Integer, default=DEFAULTS.item_count)
    quotas: Mapped[dict[str, int]] = mapped_column(JSONData, default=dict)  # section -> items
    shuffle: Mapped[bool] = mapped_column(default=DEFAULTS.shuffle)
    pass_mark: Mapped[float] = mapped_column(Float, default=DEFAULTS.pass_mark)  # a share
    critical_rule: Mapped[bool] = mapped_column(default=DEFAULTS.critical_rule)  # miss fails
    # No column defaults on the nullable rules: the ORM leaves a None out of the INSERT when a
    # default exists, so "no time limit" or "unlimited attempts" would be stored as the default.
    # settings_for() fills every rule from exams.rules.DEFAULTS instead.
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer)  # None: no time limit
    attempts_allowed: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    retry_delay_seconds: Mapped[int] = mapped_column(Integer,
                                                     default=DEFAULTS.retry_delay_seconds)
    validity_days: Mapped[int | None] = mapped_column(Integer)  # None: never expires
    refresh_item_count: Mapped[int] = mapped_column(Integer,
                                                    default=DEFAULTS.refresh_item_count)
    refresh_grace_days: Mapped[int] = mapped_column(Integer,
                                                    default=DEFAULTS.refresh_grace_days)
    # How much a trainee's result shows. Read when the result is shown (not frozen with the
    # attempt): showing less must also cover results already taken.
    result_detail: Mapped[ResultDetail] = mapped_column(
        str_enum(ResultDetail, "result_detail"), default=ResultDetail(DEFAULTS.result_detail))
    # "fixed" or "sequential" (exams.rules.MODES), and the sequential test's settings, kept
    # whatever the mode. Server defaults: rows from before the mode existed are fixed.
    mode: Mapped[str] = mapped_column(String(16), default=DEFAULTS.mode,
                                      server_default=DEFAULTS.mode)
    sequential_p0: Mapped[float] = mapped_column(
        Float, default=DEFAULTS.sequential_p0, server_default=str(DEFAULTS.sequential_p0))
    sequential_p1: Mapped[float] = mapped_column(
        Float, default=DEFAULTS.sequential_p1, server_default=str(DEFAULTS.sequential_p1))
    sequential_alpha: Mapped[float] = mapped_column(
        Float, default=DEFAULTS.sequential_alpha, server_default=str(DEFAULTS.sequential_alpha))
    sequential_beta: Mapped[float] = mapped_column(
        Float, default=DEFAULTS.sequential_beta, server_default=str(DEFAULTS.sequential_beta))
    sequential_min_items: Mapped[int] = mapped_column(
        Integer, default=DEFAULTS.sequential_min_items,
        server_default=str(DEFAULTS.sequential_min_items))
    sequential_max_items: Mapped[int] = mapped_column(
        Integer, default=DEFAULTS.sequential_max_items,
        server_default=str(DEFAULTS.sequential_max_items))
    sequential_cut: Mapped[float | None] = mapped_column(Float)  # None: where the ratio is even
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class AttemptKind(enum.StrEnum):
    QUALIFICATION = "qualification"
    REFRESH = "refresh"  # the short exam on changed sections after a material manual change


class AttemptState(enum.StrEnum):
    OPEN = "open"
    GRADED = "graded"


class Attempt(db.Model):
    """One sitting of an exam: frozen items, a server-side deadline, and its result."""

    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("user_id", "course_id", "cycle", "kind", "number"),
        # At most one open attempt per trainee and course, whatever the race.
        Index("uq_attempts_one_open", "user_id", "course_id", unique=True,
              postgresql_where=text("state = 'open'"), sqlite_where=text("state = 'open'")),
        Index("ix_attempts_state_deadline", "state", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    kind: Mapped[AttemptKind] = mapped_column(str_enum(AttemptKind, "attempt_kind"))
    cycle: Mapped[int] = mapped_column(Integer)  # the qualification cycle it counts in
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3... within the cycle and kind
    manual_version_id: Mapped[int] = mapped_column(ForeignKey("manual_versions.id"))
    state: Mapped[AttemptState] = mapped_column(
        str_enum(AttemptState, "attempt_state"), default=AttemptState.OPEN)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(16))  # "trainee" or "deadline"
    pass_mark: Mapped[float] = mapped_column(Float)
    critical_rule: Mapped[bool] = mapped_column()
    score: Mapped[float | None] = mapped_column(Float)
    passed: Mapped[bool | None] = mapped_column()
    critical_missed: Mapped[list[str]] = mapped_column(JSONData, default=list)  # item keys
    regraded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A sequential attempt (exams.blocks): its rules as it started (Plan.snapshot; None for a
    # fixed exam), and once graded the items its decision took and the final log-likelihood
    # ratio. Its responses are the items drawn so far, block by block.
    sequential: Mapped[dict | None] = mapped_column(JSONData)
    decision_items: Mapped[int | None] = mapped_column(Integer)
    decision_llr: Mapped[float | None] = mapped_column(Float)

    responses: Mapped[list[Response]] = relationship(
        back_populates="attempt", order_by="Response.position", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.state == AttemptState.OPEN

    @property
    def is_sequential(self) -> bool:
        return self.sequential is not None

    @hybrid_method
    def of_kind(self, kind: AttemptKind) -> bool:
        """Whether this is an attempt of `kind`; on the class, the same test as a query
        condition (`Attempt.of_kind(AttemptKind.REFRESH)`)."""
        return AttemptKind(self.kind) is AttemptKind(kind)

    @of_kind.inplace.expression
    @classmethod
    def _of_kind_condition(cls, kind: AttemptKind) -> ColumnElement[bool]:
        return cls.kind.in_((AttemptKind(kind),))

    @property
    def is_refresh(self) -> bool:
        """A refresh attempt (the short exam after a material manual change), not a
        qualification attempt."""
        return self.of_kind(AttemptKind.REFRESH)


class Response(db.Model):
    """One frozen item of an attempt and the trainee's latest saved answer to it."""

    __tablename__ = "responses"
    __table_args__ = (UniqueConstraint("attempt_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("attempts.id"))
    position: Mapped[int] = mapped_column(Integer)  # 1-based, the order shown
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    answer: Mapped[object | None] = mapped_column(JSONData)
    # The client's counter for this answer: a late, older save never overwrites a newer one.
    answer_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    item_revision: Mapped[int | None] = mapped_column(Integer)  # the gold it was graded with
    points: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column()
    details: Mapped[dict | None] = mapped_column(JSONData)

    attempt: Mapped[Attempt] = relationship(back_populates="responses")


class QualificationStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_TRAINING = "in_training"
    QUALIFIED = "qualified"
    FAILED = "failed"  # every attempt of the cycle used
    NEEDS_REFRESH = "needs_refresh"
    EXPIRED = "expired"
    REVOKED = "revoked"


class Qualification(db.Model):
    """Where one trainee stands in one course; every change is kept in QualificationChange."""

    __tablename__ = "qualifications"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    status: Mapped[QualificationStatus] = mapped_column(
        str_enum(QualificationStatus, "qualification_status"),
        default=QualificationStatus.IN_TRAINING)
    cycle: Mapped[int] = mapped_column(Integer, default=1)  # a new cycle restarts the attempts
    score: Mapped[float | None] = mapped_column(Float)
    manual_version_id: Mapped[int | None] = mapped_column(ForeignKey("manual_versions.id"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))  # that granted it
    granted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    refresh_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The sections a refresh exam tests: the material sections published since it was granted.
    refresh_sections: Mapped[list[str]] = mapped_column(JSONData, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class QualificationChange(db.Model):
    """One transition of a qualification, with who or what caused it and why."""

    __tablename__ = "qualification_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    qualification_id: Mapped[int] = mapped_column(ForeignKey("qualifications.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("attempts.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DisputeStatus(enum.StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class Dispute(db.Model):
    """A trainee's claim that an item's gold is wrong, with the answer they gave."""

    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    practice_answer_id: Mapped[int | None] = mapped_column(ForeignKey("practice_answers.id"))
    answer: Mapped[object | None] = mapped_column(JSONData)
    item_revision: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    status: Mapped[DisputeStatus] = mapped_column(
        str_enum(DisputeStatus, "dispute_status"), default=DisputeStatus.OPEN)
    resolution: Mapped[str | None] = mapped_column(String(16))  # "corrected" or "alternative"
    reply: Mapped[str] = mapped_column(Text, default="")
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class RoundRequest(db.Model):
    """A failed trainee's request for another round of attempts, and the instructor's answer.

    One per trainee, course and cycle (the unique key makes a second click, or two tabs, a
    no-op): granting one starts a new cycle, in which the trainee may ask again if need be.
    """

    __tablename__ = "round_requests"
    __table_args__ = (UniqueConstraint("user_id", "course_id", "cycle"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    cycle: Mapped[int] = mapped_column(Integer)  # the qualification's cycle it asks to end
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")  # granted, declined
    answer: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Notice(db.Model):
    """A message for one trainee (a dispute answered, a regrade, a qualification change)."""

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_user_id_created_at", "user_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Dropout(db.Model):
    """A trainee who left a course unqualified: inactive for its dropout window, or withdrawn.

    One row per trainee and course, so the `trainee.dropped` event goes out once; a trainee
    who comes back gets `returned_at`, and the row is reused if they drop out again.
    """

    __tablename__ = "dropouts"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    dropped_at: Mapped[datetime] = mapped_column(UTCDateTime())  # last activity + window
    stage: Mapped[str] = mapped_column(String(16))  # graders.activity stage reached
    reason: Mapped[str] = mapped_column(String(16))  # "inactive" or "withdrew"
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
