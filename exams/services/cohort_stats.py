"""The cohort and course dashboards' numbers: the funnel, and retention by day since enrolment.

SQL gathers the facts of every trainee of a course in a fixed number of grouped queries
(whatever the number of cohorts or trainees); the rules are the pure ones of `graders`
(dropout state, Kaplan–Meier) and `courses.practice_modules` (mastery, applied to the kept
per-module practice summaries rather than to every answer), never copied here.
docs/statistics.md says how to read each number, and what it costs at 10,000 trainees.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    and_,
    case,
    false,
    func,
    or_,
    select,
    true,
)

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.types import utcnow
from courses.models import (
    Cohort,
    Course,
    Enrollment,
    PracticeSummary,
)
from courses.services import manuals, practice
from exams.models import (
    Attempt,
    AttemptState,
    Dropout,
    Qualification,
    QualificationChange,
    QualificationStatus,
)
from exams.services.dropout import ACTIVITY_EVENTS, READING_EVENTS
from graders.activity import stage_reached
from graders.dropout import Enrolment, dropout_status
from graders.retention import Observation, Outcome, Retention, observation, retention

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
    whose reading still counts for it, sorted (a stable statement to cache)."""
    latest, still = manuals.sections_still_valid(course)
    return len(latest), {number: sorted(ids) for number, ids in still.items() if ids}


def _members(user_id: ColumnElement[int], course: Course,
             cohort_id: int | None) -> ColumnElement[bool]:
    """The user is in the cohort (anyone for the whole course: the enrolments joined last
    pick the trainees). A cohort's page so reads only its members' rows."""
    if cohort_id is None:
        return true()
    return user_id.in_(select(Enrollment.user_id).where(Enrollment.course_id == course.id,
                                                        Enrollment.cohort_id == cohort_id))


def _reading(course: Course, valid: dict[int, list[str]], cohort_id: int | None):
    """Per trainee who opened the manual: distinct sections of the latest version read (in a
    version that said the same). Reads only the reading events (the (course, kind) index),
    made distinct first so that the count needs no sort of the events."""
    section = Event.data["section"].as_string()
    version = Event.data["version"].as_integer()
    condition = or_(*(and_(Event.of_kind("section_read"), version == number, section.in_(ids))
                      for number, ids in valid.items())) if valid else false()
    reads = (select(Event.user_id, case((condition, section)).label("section")).distinct()
             .where(Event.course_id == course.id, Event.of_kind(*READING_EVENTS),
                    _members(Event.user_id, course, cohort_id))
             .subquery())
    return (select(reads.c.user_id, func.count(reads.c.section).label("read"))
            .group_by(reads.c.user_id).subquery())


def _last_activity(course: Course) -> ScalarSelect:
    """The enrolled trainee's latest own event in the course: one short backward walk of the
    (user, time) index per trainee, not a scan of the course's whole history."""
    return (select(func.max(Event.created_at))
            .where(Event.user_id == Enrollment.user_id, Event.course_id == course.id,
                   Event.of_kind(*ACTIVITY_EVENTS))
            .scalar_subquery())


def _facts_query(course: Course, valid: dict[int, list[str]], cohort_id: int | None):
    """One row per enrolled trainee; each grouped part reads only the members' rows."""
    read = _reading(course, valid, cohort_id)
    practised = (select(PracticeSummary.user_id, func.sum(PracticeSummary.answers)
                        .label("answers"))
                 .where(PracticeSummary.course_id == course.id,
                        _members(PracticeSummary.user_id, course, cohort_id))
                 .group_by(PracticeSummary.user_id).subquery())
    examined = (select(Attempt.user_id, func.count().label("attempts"))
                .where(Attempt.course_id == course.id, Attempt.state == AttemptState.GRADED,
                       _members(Attempt.user_id, course, cohort_id))
                .group_by(Attempt.user_id).subquery())
    qualified = (
        select(Qualification.user_id,
               func.coalesce(func.min(QualificationChange.created_at),
                             func.max(Qualification.granted_at)).label("at"))
        .outerjoin(QualificationChange,
                   and_(QualificationChange.qualification_id == Qualification.id,
                        QualificationChange.to_status == QualificationStatus.QUALIFIED))
        .where(Qualification.course_id == course.id,
               _members(Qualification.user_id, course, cohort_id))
        .group_by(Qualification.user_id).subquery())
    dropped = (select(Dropout.user_id, Dropout.dropped_at)
               .where(Dropout.course_id == course.id, Dropout.returned_at.is_(None)).subquery())
    query = (
        select(Enrollment.user_id, Enrollment.cohort_id, Enrollment.created_at,
               Enrollment.withdrawn_at, _last_activity(course).label("last"),
               read.c.user_id.label("opened"), read.c.read,
               practised.c.answers, examined.c.attempts, qualified.c.at, dropped.c.dropped_at)
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
    """Trainees who master every module now (Mastery's rule on their kept summaries)."""
    if not module_ids:
        return set()
    return set(db.session.scalars(
        select(PracticeSummary.user_id)
        .where(PracticeSummary.course_id == course.id, PracticeSummary.module.in_(module_ids),
               practice.summary_mastered(), _members(PracticeSummary.user_id, course, cohort_id))
        .group_by(PracticeSummary.user_id)
        .having(func.count() == len(set(module_ids)))))


def trainee_facts(course: Course, cohort_id: int | None = None,
                  module_ids: Sequence[str] | None = None) -> list[TraineeFacts]:
    """Every enrolled trainee of the course (of one cohort), with the facts the funnel and
    retention need: three grouped queries (and two for the practice modules when not given),
    however many trainees and cohorts."""
    sections, valid = _valid_reads(course)
    if module_ids is None:
        module_ids = [module.id for module in practice.modules(course)]
    mastered = _mastered(course, module_ids, cohort_id)
    rows = db.session.execute(_facts_query(course, valid, cohort_id))
    return [
        TraineeFacts(
            user_id=user_id, cohort_id=cohort, enrolled_at=enrolled_at,
            withdrawn_at=withdrawn_at, last_activity=last, opened=opened is not None,
            read_all=bool(sections) and (read or 0) >= sections, practised=bool(answers),
            mastered=user_id in mastered, examined=bool(attempts), qualified_at=qualified,
            open_dropout_at=dropped_at)
        for (user_id, cohort, enrolled_at, withdrawn_at, last, opened, read, answers, attempts,
             qualified, dropped_at) in rows
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


@lru_cache(maxsize=1024)
def _settled_retention(observations: tuple[Observation, ...]) -> Retention:
    return retention(observations)


def _retention(observations: tuple[Observation, ...]) -> Retention:
    """graders.retention, remembered for a group in which everyone has left or qualified:
    its observations, and so its curves, no longer change (the old cohorts, on every view of
    the course page), while one with trainees still in it moves with `now`. The observations
    are the key, so a trainee who comes back is a new key."""
    if all(item.outcome is not Outcome.CENSORED for item in observations):
        return _settled_retention(observations)
    return retention(observations)


def _group(name: str, cohort: Cohort | None, facts: Sequence[TraineeFacts],
           observations: Sequence[Observation], has_practice: bool) -> Group:
    """A group from its trainees' facts and their observations (computed once, in order)."""
    found = tuple(observations)
    return Group(name, cohort, funnel(facts, has_practice=has_practice), found,
                 _retention(found))


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
