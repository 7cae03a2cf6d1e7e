"""The cohort and course dashboards' numbers: the funnel, and retention by day since enrolment.

SQL gathers the facts of every trainee of a course in a fixed number of grouped queries
(whatever the number of cohorts or trainees); the rules are the pure ones of `graders`
(dropout state, Kaplan–Meier) and `courses.practice_modules` (mastery), never copied here.
docs/statistics.md says how to read each number.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, false, func, or_, select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from courses.models import Cohort, Course, Enrollment, ManualVersion, PracticeAnswer, VersionStatus
from courses.practice_modules import MASTERY_WINDOW, Mastery
from courses.services import practice
from exams.models import (
    Attempt,
    AttemptState,
    Dropout,
    Qualification,
    QualificationChange,
    QualificationStatus,
)
from graders.activity import stage_reached
from graders.dropout import Enrolment, dropout_status
from graders.retention import Observation, Outcome, Retention, observation, retention

# The trainee's own doings in a course: what keeps them "active" (docs/statistics.md, "Dropout").
# System events (a regrade, a qualification change) are not the trainee coming back.
ACTIVITY_KINDS = ("manual_opened", "section_read", "practice_answered", "exam_started",
                  "exam_submitted", "item_disputed")
MIN_TRAINEES = 5  # below this a retention curve is noise: the page says so instead

STEPS: tuple[tuple[str, str], ...] = (
    ("enrolled", "Enrolled"),
    ("opened", "Opened the manual"),
    ("read_all", "Read the whole manual"),
    ("practised", "Practised"),
    ("mastered", "Mastered every practice module"),
    ("examined", "Took the exam"),
    ("qualified", "Qualified"),
)
PRACTICE_STEPS = frozenset({"practised", "mastered"})


@dataclass(frozen=True, slots=True)
class TraineeFacts:
    """What the queries found about one enrolled trainee."""

    user_id: int
    cohort_id: int | None
    enrolled_at: datetime
    withdrawn_at: datetime | None
    last_activity: datetime | None
    opened: bool
    read_all: bool
    practised: bool
    mastered: bool
    examined: bool
    qualified_at: datetime | None
    open_dropout_at: datetime | None  # a Dropout row the refresh wrote, not yet returned from

    def reached(self) -> int:
        """Index in STEPS of the furthest step: a later step counts the earlier ones too
        (an exam-only trainee still got "at least as far as" the manual), as for stages."""
        done = (True, self.opened, self.read_all, self.practised, self.mastered,
                self.examined, self.qualified_at is not None)
        return max(index for index, flag in enumerate(done) if flag)


@dataclass(frozen=True, slots=True)
class FunnelStep:
    key: str
    label: str
    count: int
    share: float  # of those enrolled (0 when nobody is)


@dataclass(frozen=True, slots=True)
class Group:
    """The whole course, or one cohort (cohort None and name given for "no cohort")."""

    name: str
    cohort: Cohort | None
    funnel: tuple[FunnelStep, ...]
    observations: tuple[Observation, ...]
    retention: Retention

    @property
    def trainees(self) -> int:
        return len(self.observations)

    @property
    def meaningful(self) -> bool:
        """Whether there are enough trainees for a curve that says more than noise."""
        return self.trainees >= MIN_TRAINEES

    @property
    def dropped(self) -> int:
        return sum(item.outcome is Outcome.DROPPED for item in self.observations)

    @property
    def qualified(self) -> int:
        return sum(item.outcome is Outcome.QUALIFIED for item in self.observations)

    @property
    def dropout_days_median(self) -> float | None:
        """The plain median day of leaving among those who left (not Kaplan–Meier)."""
        days = [item.days for item in self.observations if item.outcome is Outcome.DROPPED]
        return statistics.median(days) if days else None


@dataclass(frozen=True, slots=True)
class CourseStats:
    course: Course
    now: datetime
    has_practice: bool
    whole: Group
    groups: tuple[Group, ...]  # one per cohort with trainees, then those in none, if any

    @property
    def cohorts(self) -> int:
        """How many cohorts have trainees."""
        return sum(group.cohort is not None for group in self.groups)


def _valid_reads(course: Course) -> tuple[int, dict[int, list[str]]]:
    """How many sections the latest version has, and per published version the sections
    whose reading still counts for it (the same text: sections_still_read's rule)."""
    rows = db.session.execute(
        select(ManualVersion.number, ManualVersion.outline)
        .where(ManualVersion.course_id == course.id,
               ManualVersion.status == VersionStatus.PUBLISHED)
        .order_by(ManualVersion.number)).all()
    if not rows:
        return 0, {}
    current = {entry["id"]: entry["digest"] for entry in rows[-1][1]}
    valid = {number: [entry["id"] for entry in outline
                      if current.get(entry["id"]) == entry["digest"]]
             for number, outline in rows}
    return len(current), {number: ids for number, ids in valid.items() if ids}


def _sections_read(course: Course, valid: dict[int, list[str]]):
    """Per trainee: distinct sections of the latest version read (in a version that said the
    same)."""
    section = Event.data["section"].as_string()
    version = Event.data["version"].as_integer()
    condition = or_(*(and_(version == number, section.in_(ids))
                      for number, ids in valid.items())) if valid else false()
    return (select(Event.user_id, func.count(section.distinct()).label("read"))
            .where(Event.course_id == course.id, Event.of_kind("section_read"), condition)
            .group_by(Event.user_id).subquery())


def _facts_query(course: Course, valid: dict[int, list[str]], cohort_id: int | None):
    activity = (
        select(Event.user_id, func.max(Event.created_at).label("last"),
               func.max(case((Event.of_kind("manual_opened", "section_read"), 1), else_=0))
               .label("opened"))
        .where(Event.course_id == course.id, Event.of_kind(*ACTIVITY_KINDS))
        .group_by(Event.user_id).subquery())
    read = _sections_read(course, valid)
    practised = (select(PracticeAnswer.user_id, func.count().label("answers"))
                 .where(PracticeAnswer.course_id == course.id)
                 .group_by(PracticeAnswer.user_id).subquery())
    examined = (select(Attempt.user_id, func.count().label("attempts"))
                .where(Attempt.course_id == course.id, Attempt.state == AttemptState.GRADED)
                .group_by(Attempt.user_id).subquery())
    qualified = (
        select(Qualification.user_id,
               func.coalesce(func.min(QualificationChange.created_at),
                             func.max(Qualification.granted_at)).label("at"))
        .outerjoin(QualificationChange,
                   and_(QualificationChange.qualification_id == Qualification.id,
                        QualificationChange.to_status == QualificationStatus.QUALIFIED))
        .where(Qualification.course_id == course.id)
        .group_by(Qualification.user_id).subquery())
    dropped = (select(Dropout.user_id, Dropout.dropped_at)
               .where(Dropout.course_id == course.id, Dropout.returned_at.is_(None)).subquery())
    query = (
        select(Enrollment.user_id, Enrollment.cohort_id, Enrollment.created_at,
               Enrollment.withdrawn_at, activity.c.last, activity.c.opened, read.c.read,
               practised.c.answers, examined.c.attempts, qualified.c.at, dropped.c.dropped_at)
        .outerjoin(activity, activity.c.user_id == Enrollment.user_id)
        .outerjoin(read, read.c.user_id == Enrollment.user_id)
        .outerjoin(practised, practised.c.user_id == Enrollment.user_id)
        .outerjoin(examined, examined.c.user_id == Enrollment.user_id)
        .outerjoin(qualified, qualified.c.user_id == Enrollment.user_id)
        .outerjoin(dropped, dropped.c.user_id == Enrollment.user_id)
        .where(Enrollment.course_id == course.id)
        .order_by(Enrollment.user_id))
    if cohort_id is not None:
        query = query.where(Enrollment.cohort_id == cohort_id)
    return query


def _mastered(course: Course, module_ids: Sequence[str], cohort_id: int | None) -> set[int]:
    """Trainees who master every module now (Mastery's rule over their last answers)."""
    if not module_ids:
        return set()
    ranked = select(
        PracticeAnswer.user_id, PracticeAnswer.module, PracticeAnswer.correct,
        func.row_number().over(
            partition_by=(PracticeAnswer.user_id, PracticeAnswer.module),
            order_by=(PracticeAnswer.created_at.desc(), PracticeAnswer.id.desc())).label("rank"),
    ).where(PracticeAnswer.course_id == course.id, PracticeAnswer.module.in_(module_ids))
    if cohort_id is not None:
        members = select(Enrollment.user_id).where(Enrollment.course_id == course.id,
                                                   Enrollment.cohort_id == cohort_id)
        ranked = ranked.where(PracticeAnswer.user_id.in_(members))
    ranked = ranked.subquery()
    rows = db.session.execute(
        select(ranked.c.user_id, func.count(),
               func.sum(case((ranked.c.correct, 1), else_=0)))
        .where(ranked.c.rank <= MASTERY_WINDOW)
        .group_by(ranked.c.user_id, ranked.c.module)).all()
    per_user: dict[int, int] = {}
    for user_id, count, correct in rows:
        if Mastery(recent=count, correct=int(correct or 0)).mastered:
            per_user[user_id] = per_user.get(user_id, 0) + 1
    return {user_id for user_id, count in per_user.items() if count == len(module_ids)}


def trainee_facts(course: Course, cohort_id: int | None = None,
                  module_ids: Sequence[str] | None = None) -> list[TraineeFacts]:
    """Every enrolled trainee of the course (of one cohort), with the facts the funnel and
    retention need: three grouped queries (and two for the practice modules when not given),
    however many trainees and cohorts."""
    sections, valid = _valid_reads(course)
    if module_ids is None:
        module_ids = [module.id for module in practice.modules(course)]
    mastered = _mastered(course, module_ids, cohort_id)
    rows = db.session.execute(_facts_query(course, valid, cohort_id)).all()
    return [
        TraineeFacts(
            user_id=row.user_id, cohort_id=row.cohort_id, enrolled_at=row.created_at,
            withdrawn_at=row.withdrawn_at, last_activity=row.last, opened=bool(row.opened),
            read_all=bool(sections) and (row.read or 0) >= sections,
            practised=bool(row.answers), mastered=row.user_id in mastered,
            examined=bool(row.attempts), qualified_at=row.at, open_dropout_at=row.dropped_at)
        for row in rows
    ]


def outcome_of(facts: TraineeFacts, now: datetime, window: timedelta) -> Observation:
    """The trainee as a censored observation (graders.retention), with graders.dropout's rule.

    A Dropout row the refresh wrote counts at its date unless the trainee has been active
    since; without one (no refresh has run yet) the rule computes the state from the facts.
    """
    stage = stage_reached(opened_manual=facts.opened, practised=facts.practised,
                          examined=facts.examined, qualified=facts.qualified_at is not None)
    status = dropout_status(Enrolment(
        enrolled_at=facts.enrolled_at, last_activity=facts.last_activity,
        qualified_at=facts.qualified_at, withdrawn_at=facts.withdrawn_at, stage=stage),
        now, window=window)
    recorded = facts.open_dropout_at
    came_back = (recorded is not None and facts.last_activity is not None
                 and facts.last_activity > recorded)
    if recorded is not None and not came_back and facts.qualified_at is None:
        return Observation(max((recorded - facts.enrolled_at).total_seconds(), 0.0) / 86_400,
                           Outcome.DROPPED)
    return observation(facts.enrolled_at, status, now, facts.qualified_at)


def funnel(facts: Sequence[TraineeFacts], *, has_practice: bool = True) -> tuple[FunnelStep, ...]:
    """How many trainees got at least as far as each step, and their share of those enrolled.
    Without practice items the two practice steps are left out (nobody could take them)."""
    reached = [item.reached() for item in facts]
    total = len(facts)
    steps = []
    for index, (key, label) in enumerate(STEPS):
        if key in PRACTICE_STEPS and not has_practice:
            continue
        count = sum(furthest >= index for furthest in reached)
        steps.append(FunnelStep(key, label, count, count / total if total else 0.0))
    return tuple(steps)


def _group(name: str, cohort: Cohort | None, facts: Sequence[TraineeFacts],
           observations: Sequence[Observation], has_practice: bool) -> Group:
    """A group from its trainees' facts and their observations (computed once, in order)."""
    return Group(name, cohort, funnel(facts, has_practice=has_practice), tuple(observations),
                 retention(observations))


def course_stats(course: Course, *, cohort: Cohort | None = None,
                 now: datetime | None = None) -> CourseStats:
    """The funnel and retention of the course (or of one cohort), whole and per cohort."""
    now = now or utcnow()
    window = timedelta(days=course.dropout_window_days or 7)
    module_ids = [module.id for module in practice.modules(course)]
    has_practice = bool(module_ids)  # every active practice item is in some module
    facts = trainee_facts(course, cohort.id if cohort else None, module_ids)
    cohorts = ([cohort] if cohort else list(db.session.scalars(
        select(Cohort).where(Cohort.course_id == course.id)
        .order_by(Cohort.starts_on, Cohort.id))))
    observations = [outcome_of(item, now, window) for item in facts]
    whole = _group(cohort.name if cohort else course.title, cohort, facts, observations,
                   has_practice)
    # One pass over the trainees, not one per cohort: a course of 10,000 trainees in 200
    # cohorts would otherwise compare two million times (bench/cohort_dashboard.py).
    members: dict[int | None, tuple[list[TraineeFacts], list[Observation]]] = {}
    for item, seen in zip(facts, observations, strict=True):
        found = members.setdefault(item.cohort_id, ([], []))
        found[0].append(item)
        found[1].append(seen)
    groups = [_group(each.name, each, *members[each.id], has_practice)
              for each in cohorts if each.id in members]
    if None in members and cohort is None:
        groups.append(_group("Trainees in no cohort", None, *members[None], has_practice))
    return CourseStats(course, now, has_practice, whole, tuple(groups))
