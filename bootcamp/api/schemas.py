"""Request and response models of the API: what the OpenAPI description is generated from."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from exams.models import QualificationStatus


class Problem(BaseModel):
    """An RFC 9457 problem document, the shape of every error answer."""

    type: str = "about:blank"
    title: str
    detail: str
    status: int


class FieldProblem(BaseModel):
    """One bad field of a request: where it is and what is wrong with it."""

    field: str
    message: str


class ValidationProblem(Problem):
    """A 422 answer: the request did not fit its model; `errors` names every bad field."""

    errors: list[FieldProblem] = []


# Qualifications, workers, courses and events (bootcamp/api/views/). Times are ISO 8601 UTC
# ("Z"): pydantic writes aware UTC datetimes that way.

PRINTABLE = r"^[^\x00-\x1f\x7f]+$"  # no control characters (PostgreSQL refuses NUL)
ExternalId = Annotated[str, StringConstraints(min_length=1, max_length=128, pattern=PRINTABLE)]
Slug = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=PRINTABLE)]
Cursor = Annotated[str, StringConstraints(min_length=1, max_length=512,
                                          pattern=r"^[A-Za-z0-9_.-]+$")]
Limit = Annotated[int, Field(ge=1, le=1000, description="Items per page, at most 1,000.")]


class Standing(BaseModel):
    """Where a worker stands in one course, as of the moment of the answer."""

    course: str = Field(description="The course's slug.")
    course_title: str
    status: QualificationStatus = Field(
        description="A lapse the sweep has not applied yet already shows as expired.")
    score: float | None = Field(description="The score that granted the qualification, 0-1.")
    manual_version: int | None = Field(description="The manual version it was granted under.")
    current_manual_version: int | None = Field(
        description="The course's latest published manual version.")
    granted_at: datetime | None
    expires_at: datetime | None
    refresh_due_at: datetime | None = Field(
        description="When status is needs_refresh: the refresh exam is due by then.")
    retry_available_at: datetime | None = Field(
        description="When the next exam attempt may start; null when one may start now, "
                    "or when none is left or none applies.")
    updated_at: datetime = Field(
        description="The record's last change (the enrolment, before the first attempt).")


class WorkerQualifications(BaseModel):
    """Every course a worker is enrolled in or has a qualification record for."""

    external_id: str
    qualifications: list[Standing]


class WorkerPath(BaseModel):
    external_id: ExternalId


class CheckRequest(BaseModel):
    """Gate a batch of workers on one course."""

    course: Slug
    external_ids: list[ExternalId] = Field(min_length=1, max_length=1000)


CheckStatus = Literal[
    "not_started", "in_training", "qualified", "failed", "needs_refresh", "expired",
    "revoked", "unknown_worker"]


class CheckResult(BaseModel):
    """One worker's answer; status unknown_worker when the id is not linked to anyone."""

    external_id: str
    status: CheckStatus
    qualified: bool = Field(
        description="True only when status is qualified (under the current manual). "
                    "needs_refresh, though still qualified under the manual passed until "
                    "refresh_due_at, reads false: gate on status to let such workers work.")
    score: float | None = None
    manual_version: int | None = None
    current_manual_version: int | None = None
    expires_at: datetime | None = None
    refresh_due_at: datetime | None = None
    updated_at: datetime | None = None


class CheckResponse(BaseModel):
    course: str
    results: list[CheckResult]


class StrictQuery(BaseModel):
    """Query parameters: an unknown one is a mistake worth a 422 (a typo silently ignored
    would change what the client gets)."""

    model_config = ConfigDict(extra="forbid")


class SyncQuery(StrictQuery):
    """Bulk sync: qualification records of linked workers, oldest change first."""

    course: Slug | None = None
    status: QualificationStatus | None = None
    updated_after: datetime | None = Field(
        None, description="Only records changed after this time (ISO 8601 with a zone).")
    limit: Limit = 100
    cursor: Cursor | None = Field(
        None, description="The `next` of the previous page, as given.")

    @field_validator("updated_after", mode="before")
    @classmethod
    def _iso(cls, value: object) -> object:
        if isinstance(value, int | float) or (isinstance(value, str)
                                              and "T" not in value.upper()):
            raise ValueError("give an ISO 8601 time, like 2026-01-31T12:00:00Z")
        return value

    @field_validator("updated_after")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, like 2026-01-31T12:00:00Z")
        return value


class SyncItem(Standing):
    external_id: str


class SyncPage(BaseModel):
    items: list[SyncItem]
    next: str | None = Field(description="The cursor of the next page; null on the last.")


class WorkerRequest(BaseModel):
    """Create a trainee for a platform's worker, or link the existing account of the email."""

    external_id: ExternalId
    email: Annotated[str, StringConstraints(min_length=3, max_length=254,
                                            pattern=r"^[^@\x00-\x20\x7f]+@[^@\x00-\x20\x7f]+\.[^@\x00-\x20\x7f]+$")]
    name: Annotated[str, StringConstraints(min_length=1, max_length=120, pattern=PRINTABLE)]
    courses: list[Slug] = Field(default=[], max_length=50,
                                description="Open courses to enrol the worker in.")


class Worker(BaseModel):
    external_id: str
    email: str
    name: str
    courses: list[str] = Field(description="Slugs of the courses the worker is enrolled in.")


class WorkerCreated(BaseModel):
    worker: Worker
    sign_in_url: str = Field(description="Signs the worker in once, then lands on their "
                                         "first course.")
    expires_at: datetime


class ExamRules(BaseModel):
    item_count: int
    pass_mark: float = Field(description="The share of points needed to pass, 0-1.")
    time_limit_seconds: int | None
    attempts_allowed: int | None = Field(description="Per round; null: unlimited.")
    retry_delay_seconds: int
    validity_days: int | None = Field(description="null: a qualification never expires.")
    refresh_item_count: int
    refresh_grace_days: int


class CourseInfo(BaseModel):
    slug: str
    title: str
    code_name: str | None
    status: str
    current_manual_version: int | None
    exam: ExamRules


class PageQuery(StrictQuery):
    limit: Limit = 100
    cursor: Cursor | None = None


class CoursePage(BaseModel):
    items: list[CourseInfo]
    next: str | None


class EventQuery(StrictQuery):
    after: int = Field(0, ge=0, le=2**31 - 1, description="The `seq` of the last event seen.")
    limit: Limit = 100


class FeedEvent(BaseModel):
    id: str = Field(description="Stable across retries: the webhook-id of its deliveries.")
    seq: int = Field(description="Increasing; pass the last one seen as `after`.")
    type: str
    timestamp: datetime
    data: dict[str, Any]


class EventPage(BaseModel):
    items: list[FeedEvent]
    next: int | None = Field(description="The `after` of the next page, null when there is "
                                         "nothing more yet (poll again with the last seq).")
