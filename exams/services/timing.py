"""Honest time: how long trainees really took to read the manual, master each practice module
and take the exam, beside the instructor's estimate on the course home.

Why measured and not only estimated: an instructor's estimate is a guess made before anyone
took the course, and workers are paid (and plan their week) by it. Each step's time is the
trainee's active time on that step's own events by graders.activity's rule (a gap counts in
full up to 5 minutes, as 5 minutes up to 30, nothing beyond; docs/statistics.md, "Active
time"), up to the moment the step was finished:

- the manual: manual opened and sections read, up to the read that completed every section of
  the latest version (a read in an older version counts when the section said the same);
- a practice module: its practice answers, up to the answer with which the trainee first
  mastered it (courses.practice_modules' rule: the round that answer finished);
- the exam: the trainee's first graded attempt, from its start through its saved answers to
  its submission.

A step shows the median over the trainees who finished it, and only once at least
MIN_FINISHED did: a median of two or three is an anecdote. Trainees are the enrolled users who
are neither course staff nor admins, the RECENT_TRAINEES latest enrolled. Four queries (and
practice's two for the modules), however many trainees; they read every reading event,
practice answer and exam save of those trainees, so the cost is bounded by their number,
not by the course's whole history (0.4 to 1 s in bench/cohort_dashboard.py, on 2 busy cores,
at any size).

Why cached: the course home shows these on every view, and medians over the latest 200
finishers move slowly. Each process keeps a course's steps for CACHE_SECONDS (keyed by the
course's id and `updated_at`, so an edited course is measured again); the estimate beside them
is always the course's current one. A cached view runs no query for it.
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, select

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import (
    Course,
    CourseStaff,
    Enrollment,
    PracticeAnswer,
)
from courses.practice_modules import first_mastered
from courses.services import manuals, practice
from exams.models import Attempt, AttemptState, Response
from graders.activity import active_time

MIN_FINISHED = 5  # fewer finishers than this and the page says "not enough trainees yet"
# Only the latest enrolments count: the course home shows this on every visit, so its cost
# must not grow with the course's whole history (bench/cohort_dashboard.py, timing_ms), and
# the recent trainees read the manual and items as they are now. 200 is four months of
# cohorts of 50 every two weeks.
RECENT_TRAINEES = 200
READING_EVENTS = ("manual_opened", "section_read")
CACHE_SECONDS = 600.0  # a step's median moves by trainees finishing it: ten minutes is fresh


@dataclass(frozen=True, slots=True)
class StepTime:
    """One step of the course: how many trainees finished it and their median active time
    (None while fewer than MIN_FINISHED did)."""

    key: str
    label: str
    finished: int
    median: timedelta | None

    @property
    def minutes(self) -> int | None:
        """The median in whole minutes (at least 1), for the `minutes` filter."""
        if self.median is None:
            return None
        return max(round(self.median.total_seconds() / 60), 1)


@dataclass(frozen=True, slots=True)
class CourseTiming:
    """The instructor's estimate (minutes, None when not given) beside the measured steps."""

    estimated_minutes: int | None
    steps: tuple[StepTime, ...]

    @property
    def measured(self) -> bool:
        """Whether any step has a median to show."""
        return any(step.median is not None for step in self.steps)


# Per course id: the course's updated_at when measured, when the copy expires, the steps.
_cache: dict[int, tuple[datetime, float, tuple[StepTime, ...]]] = {}


def _trainees(course: Course) -> Select:
    """The user ids of the course's RECENT_TRAINEES latest trainees (not staff, not admins),
    as a subquery."""
    staff = exists().where(CourseStaff.course_id == course.id,
                           CourseStaff.user_id == Enrollment.user_id)
    return (select(Enrollment.user_id).join(User, User.id == Enrollment.user_id)
            .where(and_(Enrollment.course_id == course.id, User.role != Role.ADMIN, ~staff))
            .order_by(Enrollment.created_at.desc(), Enrollment.id.desc())
            .limit(RECENT_TRAINEES))


def _step(key: str, label: str, durations: Sequence[timedelta]) -> StepTime:
    median = (timedelta(seconds=statistics.median(d.total_seconds() for d in durations))
              if len(durations) >= MIN_FINISHED else None)
    return StepTime(key, label, len(durations), median)


def finish_time(moments: Iterable[datetime], finished_at: datetime) -> timedelta:
    """Active time over the moments up to and including `finished_at`."""
    return active_time(moment for moment in moments if moment <= finished_at).active


def _reading(course: Course, trainees: Select) -> list[timedelta]:
    """Per trainee who read the whole manual: active reading time until they had."""
    sections, valid = manuals.sections_still_valid(course)
    if not sections:
        return []
    rows = db.session.execute(
        select(Event.user_id, Event.kind, Event.created_at, Event.data["version"].as_integer(),
               Event.data["section"].as_string())
        .where(Event.course_id == course.id, Event.of_kind(*READING_EVENTS),
               Event.user_id.in_(trainees))
        .order_by(Event.user_id, Event.created_at, Event.id))
    per_user: dict[int, list[tuple[str, datetime, int | None, str | None]]] = defaultdict(list)
    for user_id, what, moment, version, section in rows:
        per_user[user_id].append((what, moment, version, section))
    durations = []
    for events in per_user.values():
        read: set[str] = set()
        for what, moment, version, section in events:
            if what == "section_read" and section in valid.get(version or 0, ()):
                read.add(section)
                if read >= sections:
                    durations.append(finish_time((m for _, m, _, _ in events), moment))
                    break
    return durations


def _practice(course: Course, trainees: Select) -> dict[str, list[timedelta]]:
    """Per module, per trainee who mastered it: active time on its answers until they did."""
    rows = db.session.execute(
        select(PracticeAnswer.user_id, PracticeAnswer.module, PracticeAnswer.created_at,
               PracticeAnswer.round_number, PracticeAnswer.counts, PracticeAnswer.ends_round,
               PracticeAnswer.correct)
        .where(PracticeAnswer.course_id == course.id, PracticeAnswer.user_id.in_(trainees))
        .order_by(PracticeAnswer.user_id, PracticeAnswer.module, PracticeAnswer.created_at,
                  PracticeAnswer.id))
    answers: dict[tuple[int, str], list[tuple[datetime, tuple[int, bool, bool, bool]]]] = \
        defaultdict(list)
    for user_id, module, moment, *counted in rows:
        answers[(user_id, module)].append((moment, tuple(counted)))
    durations: dict[str, list[timedelta]] = defaultdict(list)
    for (_, module), found in answers.items():
        position = first_mastered(counted for _, counted in found)
        if position is not None:
            durations[module].append(finish_time((m for m, _ in found), found[position][0]))
    return durations


def _exam(course: Course, trainees: Select) -> list[timedelta]:
    """Per trainee with a graded attempt: active time of their first one (start, saves,
    submission)."""
    rows = db.session.execute(
        select(Attempt.user_id, Attempt.id, Attempt.started_at, Attempt.submitted_at,
               Response.saved_at)
        .outerjoin(Response, and_(Response.attempt_id == Attempt.id,
                                  Response.saved_at.is_not(None)))
        .where(Attempt.course_id == course.id, Attempt.state == AttemptState.GRADED,
               Attempt.user_id.in_(trainees))
        .order_by(Attempt.user_id, Attempt.started_at, Attempt.id))
    first: dict[int, tuple[int, list[datetime]]] = {}
    for user_id, attempt_id, started, submitted, saved in rows:
        attempt, moments = first.setdefault(user_id, (attempt_id, [started]))
        if attempt != attempt_id:
            continue
        if saved is not None:
            moments.append(saved)
        if submitted is not None and submitted not in moments:
            moments.append(submitted)
    return [active_time(moments).active for _, moments in first.values()]


def _measure(course: Course) -> tuple[StepTime, ...]:
    """Every step's measured time, from the queries."""
    trainees = _trainees(course)
    steps = [_step("manual", "Read the manual", _reading(course, trainees))]
    per_module = _practice(course, trainees)
    steps.extend(_step(f"practice:{module.id}", f"Practice: {module.title}",
                       per_module.get(module.id, ()))
                 for module in practice.modules(course))
    steps.append(_step("exam", "Take the exam", _exam(course, trainees)))
    return tuple(steps)


def course_timing(course: Course, *, fresh: bool = False) -> CourseTiming:
    """The measured median time of each step of the course, beside the estimate: this
    process's copy when measured less than CACHE_SECONDS ago, unless `fresh`."""
    now = time.monotonic()
    kept = _cache.get(course.id)
    if fresh or kept is None or kept[0] != course.updated_at or kept[1] <= now:
        kept = (course.updated_at, now + CACHE_SECONDS, _measure(course))
        _cache[course.id] = kept
    return CourseTiming(course.estimated_minutes, kept[2])
