"""How many items sequential exams take to decide, for the staff dashboards: per course and per
cohort, from what grading recorded on each sequential attempt (decision_items), in one grouped
query however many attempts and cohorts there are.

The test's promise is to decide early (exams/sequential.py gives the expected number of items
at the pass and fail levels): these numbers show what it took in practice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, case, func, select

from bootcamp.extensions import db
from courses.models import Cohort, Course, Enrollment
from exams.models import Attempt, AttemptKind, AttemptState

NO_COHORT = "Trainees in no cohort"


@dataclass(frozen=True, slots=True)
class Decisions:
    """The graded sequential attempts of a group: how many, how many passed, and the items
    their decisions took (all of them, and the passes')."""

    name: str
    count: int
    passed: int
    items: int
    passed_items: int

    @property
    def failed(self) -> int:
        return self.count - self.passed

    @property
    def mean_items(self) -> float:
        return self.items / self.count

    @property
    def mean_items_passed(self) -> float | None:
        return self.passed_items / self.passed if self.passed else None

    @property
    def mean_items_failed(self) -> float | None:
        return (self.items - self.passed_items) / self.failed if self.failed else None


@dataclass(frozen=True, slots=True)
class DecisionStats:
    """The course's (or one cohort's) sequential decisions; `whole` None when there are none,
    and `groups` one per cohort with decisions, in the cohorts' order, then those in none."""

    whole: Decisions | None
    groups: tuple[Decisions, ...]


def decisions(course: Course, cohort: Cohort | None = None) -> DecisionStats:
    """The course's graded sequential qualification attempts, per cohort of their trainee
    (only `cohort`'s when given): one grouped query."""
    passed = Attempt.passed.is_(True)
    query = (
        select(Cohort.name, func.count(), func.sum(case((passed, 1), else_=0)),
               func.sum(Attempt.decision_items),
               func.sum(case((passed, Attempt.decision_items), else_=0)))
        .select_from(Attempt)
        .outerjoin(Enrollment, and_(Enrollment.user_id == Attempt.user_id,
                                    Enrollment.course_id == Attempt.course_id))
        .outerjoin(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Attempt.course_id == course.id, Attempt.state == AttemptState.GRADED,
               Attempt.of_kind(AttemptKind.QUALIFICATION), Attempt.decision_items.is_not(None))
        .group_by(Cohort.id, Cohort.name, Cohort.starts_on)
        .order_by(Cohort.id.is_(None), Cohort.starts_on, Cohort.id))
    if cohort is not None:
        query = query.where(Enrollment.cohort_id == cohort.id)
    groups = tuple(Decisions(name or NO_COHORT, count, int(won), int(items), int(won_items))
                   for name, count, won, items, won_items in db.session.execute(query).all())
    if not groups:
        return DecisionStats(None, ())
    whole = Decisions(cohort.name if cohort else course.title,
                      *(sum(getattr(group, name) for group in groups)
                        for name in ("count", "passed", "items", "passed_items")))
    return DecisionStats(whole, groups)
