"""Progress of every trainee in a course: reading, practice, exam, time on task, stage, state.

Why here and not in `courses`: a trainee's progress includes the exam and the qualification,
which `courses` may not import. The statistics are graders' pure functions
(`graders.activity` for active time and stages, `graders.dropout` for the state); this module
only gathers their facts.

Cost: `course_progress` runs a fixed number of grouped queries for the whole course (or one
cohort) — eleven, whatever the number of trainees: enrolments, manual outlines, section reads,
practice modules (two), mastery and practice counts (from the kept per-module summaries,
courses.models.PracticeSummary, not from every answer), graded attempts, qualifications, who
has started, and the activity timestamps. The last returns one row per event and saved exam
answer of the trainees shown (ordered by trainee and time, read through once), because active
time is graders.activity's rule over their gaps; so its size, and the time, grow linearly with
the history. Measured by bench/cohort_dashboard.py on PostgreSQL (2 shared cores): 10,000
trainees with 1.9 million events take about 6 s when the cores are quiet (up to 20 s when
busy), nearly all of it reading those timestamps and crediting their gaps (the other ten
statements went from about 9 s to 3 s on busy cores); 625 trainees take 0.3 to 2 s.
A course of thousands is best read per cohort. `trainee_progress`, one trainee's own row on
the course home, asks the same facts of them alone: in two statements when the page has their
enrolment, qualification and reading counts already, in up to six when it has none.
Nothing here writes (a page read never writes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    select,
    union_all,
)

from bootcamp.events import Event
from bootcamp.extensions import db
from bootcamp.users.models import Role, User
from courses.models import (
    Cohort,
    Course,
    CourseStaff,
    Enrollment,
    ManualVersion,
    PracticeSummary,
    VersionStatus,
)
from courses.services import practice
from exams.models import Attempt, AttemptState, Qualification, Response
from exams.services.dropout import ACTIVITY_EVENTS, qualified_at, window_of
from exams.services.qualifications import (
    LABELS,
    STARTED_EVENTS,
    Status,
    qualification_of,
    shown_status,
)
from graders.activity import Activity, Stage, active_time, per_week, stage_reached
from graders.dropout import CohortPractice, DropoutStatus, Enrolment, State, dropout_status

STATE_LABELS = {
    State.ACTIVE: "Active",
    State.AT_RISK: "At risk",
    State.DROPPED: "Dropped out",
    State.WITHDRAWN: "Left the course",
    State.QUALIFIED: "Qualified",
}
STAGE_LABELS = {
    Stage.ENROLLED: "Enrolled",
    Stage.READING: "Reading the manual",
    Stage.PRACTISING: "Practising",
    Stage.EXAMINED: "Took the exam",
    Stage.QUALIFIED: "Qualified",
    Stage.FAILED: "Used every attempt",
}


@dataclass(frozen=True, slots=True)
class ProgressRow:
    """One trainee's progress in one course at `now` (what the table and the panel show)."""

    user_id: int
    name: str
    email: str
    cohort_id: int | None
    cohort: str | None
    enrolled_at: datetime
    sections_read: int
    sections_total: int
    practice_answers: int
    practice_correct: int
    modules_mastered: int
    modules_total: int
    attempts: int  # graded exam attempts (qualification and refresh)
    best_score: float | None  # a share, 0..1
    status: Status
    activity: Activity
    stage: Stage
    dropout: DropoutStatus

    @property
    def state(self) -> State:
        return self.dropout.state

    @property
    def active(self) -> timedelta:
        return self.activity.active

    @property
    def first_activity(self) -> datetime | None:
        return self.activity.first

    @property
    def last_activity(self) -> datetime | None:
        return self.activity.last

    @property
    def status_label(self) -> str:
        return LABELS.get(self.status, str(self.status))

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def stage_label(self) -> str:
        return STAGE_LABELS[self.stage]


@dataclass(frozen=True, slots=True)
class _Trainee:
    user_id: int
    name: str
    email: str
    cohort_id: int | None
    cohort: str | None
    enrolled_at: datetime
    withdrawn_at: datetime | None


def _is_trainee(course_id: int | BindParameter) -> ColumnElement[bool]:
    """Enrolled in the course and neither on its staff nor an admin (who enrol to try the
    course out): the trainees of exams.services.dropout, so both pages count the same people."""
    staff = exists().where(CourseStaff.course_id == course_id,
                           CourseStaff.user_id == Enrollment.user_id)
    return and_(Enrollment.course_id == course_id, User.role != Role.ADMIN, ~staff)


def _enrolled(course_id: int | BindParameter,
              cohort_id: int | BindParameter | None) -> Select:
    """The user ids of the course's (or the cohort's) trainees, as a subquery condition."""
    query = (select(Enrollment.user_id).join(User, User.id == Enrollment.user_id)
             .where(_is_trainee(course_id)))
    if cohort_id is not None:
        query = query.where(Enrollment.cohort_id == cohort_id)
    return query


def _trainees(course: Course, cohort_id: int | None) -> list[_Trainee]:
    query = (select(Enrollment.user_id, User.name, User.email, Enrollment.cohort_id,
                    Cohort.name, Enrollment.created_at, Enrollment.withdrawn_at)
             .join(User, User.id == Enrollment.user_id)
             .outerjoin(Cohort, Cohort.id == Enrollment.cohort_id)
             .where(_is_trainee(course.id)).order_by(User.email))
    if cohort_id is not None:
        query = query.where(Enrollment.cohort_id == cohort_id)
    return [_Trainee(*row) for row in db.session.execute(query)]


def _timestamps(course: Course, enrolled: Select) -> Iterator[tuple[int, list[datetime]]]:
    """(user id, their activity moments in time order), one trainee after another, from one
    query: their events in the course and the saves of their exam answers."""
    return _per_trainee(db.session.execute(_moments(course.id, enrolled)))


def _per_trainee(rows: Iterable[tuple[int, datetime]]) -> Iterator[tuple[int, list[datetime]]]:
    """(user id, moment) rows ordered by user, grouped: read through once."""
    current: int | None = None
    found: list[datetime] = []
    for user_id, at in rows:
        if user_id != current:
            if current is not None:
                yield current, found
            current, found = user_id, []
        found.append(at)
    if current is not None:
        yield current, found


def _moments(course_id: int | BindParameter, enrolled: Select) -> Select:
    """The statement of _timestamps: (user id, moment), by user and time."""
    events = select(Event.user_id.label("user_id"), Event.created_at.label("at")).where(
        Event.course_id == course_id, Event.kind.in_(ACTIVITY_EVENTS),
        Event.user_id.in_(enrolled))
    saves = (select(Attempt.user_id.label("user_id"), Response.saved_at.label("at"))
             .join(Response, Response.attempt_id == Attempt.id)
             .where(Attempt.course_id == course_id, Response.saved_at.is_not(None),
                    Attempt.user_id.in_(enrolled)))
    moments = union_all(events, saves).subquery()
    return select(moments.c.user_id, moments.c.at).order_by(moments.c.user_id, moments.c.at)


@cache
def _own_moments_query() -> Select:
    """_moments of one trainee (bound parameters course_id, enrolment_id), built once per
    process: building it took about as long as running it."""
    them = select(Enrollment.user_id).where(Enrollment.id == bindparam("enrolment_id"))
    return _moments(bindparam("course_id"), them)


def _sections_read(course: Course, enrolled: Select) -> tuple[dict[int, int], int]:
    """Per trainee, the sections of the latest version read in a version where they said
    the same (as manuals.sections_still_read, for everyone at once); and the total."""
    outlines = dict(db.session.execute(
        select(ManualVersion.number, ManualVersion.outline)
        .where(ManualVersion.course_id == course.id,
               ManualVersion.status == VersionStatus.PUBLISHED)).all())
    if not outlines:
        return {}, 0
    digests = {number: {entry["id"]: entry["digest"] for entry in outline}
               for number, outline in outlines.items()}
    current = digests[max(digests)]
    reads = db.session.execute(
        select(Event.user_id, Event.data["section"].as_string(),
               Event.data["version"].as_integer()).distinct()
        .where(Event.course_id == course.id, Event.of_kind("section_read"),
               Event.user_id.in_(enrolled))).all()
    read: dict[int, set[str]] = defaultdict(set)
    for user_id, section, number in reads:
        if section in current and digests.get(number, {}).get(section) == current[section]:
            read[user_id].add(section)
    return {user_id: len(sections) for user_id, sections in read.items()}, len(current)


def _practice(course: Course, enrolled: Select) -> dict[int, tuple[int, int]]:
    """Per trainee: practice answers and correct ones (every answer, retries included)."""
    rows = db.session.execute(
        select(PracticeSummary.user_id, func.sum(PracticeSummary.answers),
               func.sum(PracticeSummary.correct))
        .where(PracticeSummary.course_id == course.id, PracticeSummary.user_id.in_(enrolled))
        .group_by(PracticeSummary.user_id)).all()
    return {user_id: (int(count), int(correct)) for user_id, count, correct in rows}


def _mastered(course: Course, enrolled: Select, module_ids: set[str]) -> dict[int, int]:
    """Per trainee: modules mastered (courses.practice_modules' rule on the kept summaries
    of each module's latest finished round, as practice.standings)."""
    rows = db.session.execute(
        select(PracticeSummary.user_id, func.count())
        .where(PracticeSummary.course_id == course.id, PracticeSummary.user_id.in_(enrolled),
               PracticeSummary.module.in_(module_ids), practice.summary_mastered())
        .group_by(PracticeSummary.user_id)).all()
    return dict(rows)


def _attempts(course: Course, enrolled: Select) -> dict[int, tuple[int, float | None]]:
    """Per trainee: graded exam attempts and the best score among them."""
    rows = db.session.execute(
        select(Attempt.user_id, func.count(), func.max(Attempt.score))
        .where(Attempt.course_id == course.id, Attempt.state == AttemptState.GRADED,
               Attempt.user_id.in_(enrolled))
        .group_by(Attempt.user_id)).all()
    return {user_id: (count, best) for user_id, count, best in rows}


def _qualifications(course: Course, enrolled: Select) -> dict[int, Qualification]:
    return {q.user_id: q for q in db.session.scalars(
        select(Qualification).where(Qualification.course_id == course.id,
                                    Qualification.user_id.in_(enrolled)))}


def _started(course: Course, enrolled: Select) -> set[int]:
    """Trainees who read or practised something (qualifications' "started", for those with
    no qualification record yet): per trainee, a walk of their (user, time) index that stops
    at the first such event, not a scan of every practice answer's event."""
    started = exists().where(Event.user_id == Enrollment.user_id,
                             Event.course_id == course.id, Event.kind.in_(STARTED_EVENTS))
    return set(db.session.scalars(
        select(Enrollment.user_id).where(Enrollment.course_id == course.id,
                                         Enrollment.user_id.in_(enrolled), started)))


def _cohort_practice(trainees: Iterable[_Trainee], practice_counts: dict[int, tuple[int, int]],
                     ) -> dict[int | None, CohortPractice]:
    """Practice totals per cohort, what graders.dropout compares a trainee's accuracy with;
    under None the whole course's (the reference of trainees in no cohort, as in
    exams.services.dropout). Only whole when the rows are the whole course's: a page of one
    cohort has every member of that cohort."""
    totals: dict[int | None, list[int]] = defaultdict(lambda: [0, 0])
    for trainee in trainees:
        answers, correct = practice_counts.get(trainee.user_id, (0, 0))
        for group in {trainee.cohort_id, None}:
            totals[group][0] += answers
            totals[group][1] += correct
    return {cohort: CohortPractice(answers, correct) for cohort, (answers, correct)
            in totals.items()}


def course_progress(course: Course, cohort_id: int | None = None, *,
                    now: datetime) -> list[ProgressRow]:
    """Every enrolled trainee's progress (one cohort's with `cohort_id`), by email.

    The state is graders.dropout's rule on the facts gathered here, with the course's dropout
    window, the trainee's cohort (the whole course for those in none) as the accuracy
    reference, and exams.services.dropout's meaning of qualified (holds or held the
    qualification), so that this table and the dropout records agree. Staff and admins
    enrolled to try the course are not trainees and are left out.
    """
    return _rows(course, cohort_id, now)


def trainee_progress(user: User, course: Course, *, now: datetime,
                     modules: Sequence[practice.Module] | None = None,
                     reading: tuple[int, int] | None = None,
                     enrolment: Enrollment | None = None,
                     standing: tuple[Status, Qualification | None] | None = None,
                     ) -> ProgressRow | None:
    """One trainee's own progress (None when not enrolled as a trainee): the facts of
    course_progress asked of them alone, their cohort's practice totals as the accuracy
    reference. What the page has already is not asked again: `modules` (the course's practice
    modules), `reading` ((sections read, sections in all) as courses.services.progress counts
    them), `enrolment` (their enrolment row), `standing` (qualifications.standing)."""
    if user.role == Role.ADMIN:  # enrolled to try the course out: not a trainee (_is_trainee)
        return None
    if enrolment is None:
        enrolment = db.session.scalar(select(Enrollment).where(
            Enrollment.user_id == user.id, Enrollment.course_id == course.id))
        if enrolment is None:
            return None
    them = select(Enrollment.user_id).where(Enrollment.id == enrolment.id)  # a trainee: below
    modules = practice.modules(course) if modules is None else modules
    facts = _own_facts(course, enrolment, {module.id for module in modules})
    if facts.staff:
        return None
    if reading is None:
        read, sections_total = _sections_read(course, them)
        reading = read.get(user.id, 0), sections_total
    record = qualification_of(user.id, course.id) if standing is None else standing[1]
    rows = db.session.execute(_own_moments_query(),
                              {"course_id": course.id, "enrolment_id": enrolment.id})
    activity = next((active_time(moments) for _, moments in _per_trainee(rows)),
                    active_time(()))
    trainee = _Trainee(user.id, user.name, user.email, enrolment.cohort_id, facts.cohort_name,
                       enrolment.created_at, enrolment.withdrawn_at)
    return _row(trainee, now, window_of(course), facts.cohort, reading=reading,
                practised=(facts.answers, facts.correct, facts.mastered, len(modules)),
                exam=(facts.attempts, facts.best), record=record, started=facts.started,
                activity=activity)


@dataclass(frozen=True, slots=True)
class _OwnFacts:
    staff: bool  # on the course's staff: not a trainee (_is_trainee)
    cohort_name: str | None
    answers: int
    correct: int
    mastered: int
    attempts: int
    best: float | None
    started: bool
    cohort: CohortPractice


def _own_facts(course: Course, enrolment: Enrollment, module_ids: set[str]) -> _OwnFacts:
    """The counts of course_progress's grouped queries for one trainee, and their cohort's
    (the whole course's for none) practice totals, in one statement."""
    row = db.session.execute(_own_facts_query(enrolment.cohort_id is not None), {
        "course_id": course.id, "user_id": enrolment.user_id,
        "cohort_id": enrolment.cohort_id, "modules": sorted(module_ids)}).one()
    (staff, cohort_name, answers, correct, mastered, attempts, best, started,
     cohort_answers, cohort_correct) = row
    return _OwnFacts(bool(staff), cohort_name, int(answers), int(correct), mastered, attempts,
                     best, bool(started), CohortPractice(int(cohort_answers), int(cohort_correct)))


@cache
def _own_facts_query(in_cohort: bool) -> Select:
    """_own_facts' statement of scalar subqueries, built once per process with bound
    parameters (course_id, user_id, cohort_id, modules): building it anew took longer than
    the database takes to run it."""
    course_id, user_id = bindparam("course_id"), bindparam("user_id")
    cohort_id = bindparam("cohort_id")
    own = (PracticeSummary.course_id == course_id, PracticeSummary.user_id == user_id)
    cohort = (PracticeSummary.course_id == course_id, PracticeSummary.user_id.in_(
        _enrolled(course_id, cohort_id if in_cohort else None)))
    graded = (Attempt.course_id == course_id, Attempt.user_id == user_id,
              Attempt.state == AttemptState.GRADED)

    def total(column, *where) -> ColumnElement:
        return select(func.coalesce(func.sum(column), 0)).where(*where).scalar_subquery()

    return select(
        exists().where(CourseStaff.course_id == course_id, CourseStaff.user_id == user_id),
        select(Cohort.name).where(Cohort.id == cohort_id).scalar_subquery(),
        total(PracticeSummary.answers, *own), total(PracticeSummary.correct, *own),
        select(func.count()).where(
            *own, PracticeSummary.module.in_(bindparam("modules", expanding=True)),
            practice.summary_mastered()).scalar_subquery(),
        select(func.count()).where(*graded).scalar_subquery(),
        # the best score their result pages show: not a sequential attempt's, which counts
        # the right answers up to the item that decided it
        select(func.max(case((Attempt.decision_items.is_(None), Attempt.score))))
        .where(*graded).scalar_subquery(),
        exists().where(Event.user_id == user_id, Event.course_id == course_id,
                       Event.kind.in_(STARTED_EVENTS)),
        total(PracticeSummary.answers, *cohort), total(PracticeSummary.correct, *cohort),
    )


def _rows(course: Course, cohort_id: int | None, now: datetime) -> list[ProgressRow]:
    enrolled = _enrolled(course.id, cohort_id)
    trainees = _trainees(course, cohort_id)
    read, sections_total = _sections_read(course, enrolled)
    modules = practice.modules(course)
    mastered = _mastered(course, enrolled, {module.id for module in modules})
    practice_counts = _practice(course, enrolled)
    attempts = _attempts(course, enrolled)
    records = _qualifications(course, enrolled)
    started = _started(course, enrolled)
    activities = {user_id: active_time(moments)
                  for user_id, moments in _timestamps(course, enrolled)}
    cohorts = _cohort_practice(trainees, practice_counts)
    window = window_of(course)
    rows = []
    for trainee in trainees:
        uid = trainee.user_id
        answers, correct = practice_counts.get(uid, (0, 0))
        rows.append(_row(
            trainee, now, window, cohorts.get(trainee.cohort_id),
            reading=(read.get(uid, 0), sections_total),
            practised=(answers, correct, mastered.get(uid, 0), len(modules)),
            exam=attempts.get(uid, (0, None)), record=records.get(uid), started=uid in started,
            activity=activities.get(uid) or active_time(())))
    return rows


def _row(trainee: _Trainee, now: datetime, window: timedelta, cohort: CohortPractice | None,
         *, reading: tuple[int, int], practised: tuple[int, int, int, int],
         exam: tuple[int, float | None], record: Qualification | None, started: bool,
         activity: Activity) -> ProgressRow:
    """A trainee's row from their facts: `reading` (sections read, in all), `practised`
    (answers, right ones, modules mastered, in all) and `exam` (graded attempts, best score)."""
    status = shown_status(record, started, now)
    answers, correct, _, _ = practised
    count, _ = exam
    stage = stage_reached(opened_manual=reading[0] > 0 or started, practised=answers > 0,
                          examined=count > 0,
                          qualified=record is not None and record.granted_at is not None,
                          failed=status == Status.FAILED)
    dropout = dropout_status(Enrolment(
        enrolled_at=trainee.enrolled_at, last_activity=activity.last,
        qualified_at=qualified_at(record.granted_at) if record else None,
        withdrawn_at=trainee.withdrawn_at, stage=stage,
        practice_answers=answers, practice_correct=correct),
        now, window=window, cohort=cohort)
    return ProgressRow(trainee.user_id, trainee.name, trainee.email, trainee.cohort_id,
                       trainee.cohort, trainee.enrolled_at, *reading, *practised, *exam, status,
                       activity, stage, dropout)


@dataclass(frozen=True, slots=True)
class HoursRow:
    """Active time of one trainee in one UTC day or ISO week (named by its Monday)."""

    period: date
    user_id: int
    name: str
    email: str
    cohort: str | None
    active: timedelta


def training_hours(course: Course, cohort_id: int | None = None, *, period: str = "day",
                   start: date | None = None, end: date | None = None) -> list[HoursRow]:
    """Active time per trainee per UTC day (`period="day"`) or ISO week ("week"), for paying
    training: periods with no credited time are left out. `start` and `end` (inclusive) bound
    the days counted (a week then sums only its days in range). Two queries."""
    if period not in ("day", "week"):
        raise ValueError("period must be day or week")
    trainees = {t.user_id: t for t in _trainees(course, cohort_id)}
    rows = []
    for user_id, moments in _timestamps(course, _enrolled(course.id, cohort_id)):
        trainee = trainees.get(user_id)
        if trainee is None:
            continue
        days = [(day, amount) for day, amount in active_time(moments).per_day
                if (start is None or day >= start) and (end is None or day <= end)]
        totals = per_week(days) if period == "week" else days
        rows.extend(HoursRow(day, user_id, trainee.name, trainee.email, trainee.cohort, amount)
                    for day, amount in totals if amount)
    rows.sort(key=lambda row: (row.period, row.email))
    return rows

