"""The item-analysis and rules pages' numbers: which exam items and which manual rules cause
errors.

SQL gathers a course's history in a fixed number of grouped queries (whatever the number of
attempts, answers or items); the statistics are graders.item_analysis (Moodle's quiz
statistics) and graders.rule_errors (Wilson intervals, common mistakes), never copied here.
docs/statistics.md, "Items and exams" and "Rules that cause errors", says how to read them.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
from sqlalchemy import ColumnElement, func, select

from bootcamp.extensions import db
from courses.models import Course, Item, PracticeAnswer
from courses.services import manuals
from exams.models import Attempt, AttemptKind, AttemptState, Dispute, Response
from graders import item_analysis, rule_errors
from graders.item_analysis import Analysis, Flag, ItemStats
from graders.rule_errors import GivenAnswer, Mistake, SectionErrors, Source

MIN_ANSWERS = item_analysis.MIN_ANSWERS

FLAG_WORDS = {
    Flag.TOO_EASY: "too easy",
    Flag.TOO_HARD: "too hard",
    Flag.NEEDS_CHECKING: "likely to need checking",
}
SUSPICIOUS_CONTESTED = "suspicious: often missed and contested — check the gold"
SUSPICIOUS_NEGATIVE = ("suspicious: weaker trainees do better on it than stronger ones — "
                       "check the gold")


@dataclass(frozen=True, slots=True)
class ItemInfo:
    """What the pages name an item by (never its gold)."""

    id: int
    key: str
    kind: str
    prompt: str
    sections: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ItemRow:
    """One exam item's statistics and the item they are about."""

    item: ItemInfo
    stats: ItemStats

    @property
    def enough(self) -> bool:
        """Whether the item has enough answers for its numbers to mean something."""
        return self.stats.answers >= MIN_ANSWERS

    @property
    def flag_words(self) -> tuple[str, ...]:
        """The item's flags in plain words. A suspicious flag says which of the grader's two
        marks of a wrong gold it shows, so the instructor knows what to look at."""
        words = [FLAG_WORDS[flag] for flag in self.stats.flags if flag in FLAG_WORDS]
        if Flag.SUSPICIOUS in self.stats.flags:
            stats = self.stats
            contested = (stats.miss_rate is not None and stats.contested_rate is not None
                         and stats.miss_rate > item_analysis.SUSPICIOUS_MISS_RATE
                         and stats.contested_rate >= item_analysis.SUSPICIOUS_CONTESTED_RATE)
            words.insert(0, SUSPICIOUS_CONTESTED if contested else SUSPICIOUS_NEGATIVE)
        return tuple(words)


@dataclass(frozen=True, slots=True)
class ExamHistory:
    """The graded qualification attempts as graders.item_analysis takes them."""

    items: tuple[ItemInfo, ...]  # one per column
    scores: np.ndarray  # attempts x items, points in [0, 1], NaN where not drawn
    answers: tuple[tuple[Hashable | None, ...], ...]  # answer keys, same shape
    disputes: tuple[int, ...]  # per column


@dataclass(frozen=True, slots=True)
class ItemReport:
    """The item-analysis page: the exam as a whole, and its items, flagged ones first."""

    analysis: Analysis
    rows: tuple[ItemRow, ...]

    @property
    def flagged(self) -> tuple[ItemRow, ...]:
        return tuple(row for row in self.rows if row.stats.flags)


@dataclass(frozen=True, slots=True)
class SectionRow:
    """One manual section's error rates, practice and exam apart (None: no answers)."""

    section: str
    title: str
    practice: SectionErrors | None
    exam: SectionErrors | None
    mistakes: tuple[tuple[Mistake, ItemInfo], ...]


@dataclass(frozen=True, slots=True)
class RuleReport:
    """The rules page: sections in graders.rule_errors' order, then those without answers."""

    rows: tuple[SectionRow, ...]
    answers: int


def _items(course: Course) -> dict[int, ItemInfo]:
    """The course's items in the bank's order, without their gold (one query)."""
    rows = db.session.execute(
        select(Item.id, Item.key, Item.kind, Item.prompt, Item.sections)
        .where(Item.course_id == course.id).order_by(Item.position, Item.key)).all()
    return {row.id: ItemInfo(row.id, row.key, row.kind, row.prompt, tuple(row.sections or ()))
            for row in rows}


def _graded(course: Course, *kinds: AttemptKind) -> ColumnElement[bool]:
    """The course's graded attempts (of these kinds), as a condition on Attempt."""
    condition = (Attempt.course_id == course.id) & (Attempt.state == AttemptState.GRADED)
    return condition & Attempt.kind.in_(kinds) if kinds else condition


def exam_history(course: Course) -> ExamHistory:
    """The graded qualification attempts as a matrix: three queries, however large."""
    infos = _items(course)
    rows = db.session.execute(
        select(Response.attempt_id, Response.item_id, Response.points, Response.answer)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(_graded(course, AttemptKind.QUALIFICATION))
        .order_by(Response.attempt_id, Response.position)).all()
    disputed = dict(db.session.execute(
        select(Response.item_id, func.count(Dispute.id))
        .join(Response, Response.id == Dispute.response_id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(Dispute.course_id == course.id, _graded(course, AttemptKind.QUALIFICATION))
        .group_by(Response.item_id)).all())
    drawn = {row.item_id for row in rows}
    columns = [item_id for item_id in infos if item_id in drawn]
    column_of = {item_id: index for index, item_id in enumerate(columns)}
    row_of: dict[int, int] = {}
    for row in rows:
        row_of.setdefault(row.attempt_id, len(row_of))
    scores = np.full((len(row_of), len(columns)), np.nan)
    answers: list[list[Hashable | None]] = [[None] * len(columns) for _ in row_of]
    for row in rows:
        if row.item_id not in column_of:
            continue
        r, c = row_of[row.attempt_id], column_of[row.item_id]
        scores[r, c] = min(max(float(row.points or 0.0), 0.0), 1.0)
        answers[r][c] = None if row.answer is None else rule_errors.answer_key(row.answer)
    return ExamHistory(tuple(infos[item_id] for item_id in columns), scores,
                       tuple(tuple(row) for row in answers),
                       tuple(int(disputed.get(item_id, 0)) for item_id in columns))


def known_items(course: Course) -> frozenset[int]:
    """The ids of the exam items whose facility is known: answered in at least MIN_ANSWERS
    graded qualification attempts, the item-analysis page's "enough answers" (ItemRow.enough).
    A sequential exam draws them first (exams.sampling.known_first). One grouped query."""
    return frozenset(db.session.scalars(
        select(Response.item_id)
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(_graded(course, AttemptKind.QUALIFICATION))
        .group_by(Response.item_id)
        .having(func.count() >= MIN_ANSWERS)))


def item_report(course: Course) -> ItemReport:
    """Moodle's item and test statistics of the course's qualification exam."""
    history = exam_history(course)
    analysis = item_analysis.analyse(history.scores, items=[i.id for i in history.items],
                                     answers=history.answers, disputes=history.disputes)
    rows = [ItemRow(info, stats) for info, stats in zip(history.items, analysis.items,
                                                        strict=True)]
    # Suspicious items first, the most contested (the likeliest wrong gold) leading; then the
    # other flagged items; the bank's order otherwise (sort is stable).
    rows.sort(key=lambda row: (Flag.SUSPICIOUS not in row.stats.flags, not row.stats.flags,
                               -(row.stats.contested_rate or 0.0)))
    return ItemReport(analysis, tuple(rows))


def _given(course: Course, infos: dict[int, ItemInfo]) -> list[GivenAnswer]:
    """Every practice answer and graded exam response as graders.rule_errors takes them: two
    grouped queries (by item, correctness and answer), expanded by their counts."""
    practice = db.session.execute(
        select(PracticeAnswer.item_id, PracticeAnswer.correct, PracticeAnswer.answer,
               func.count())
        .where(PracticeAnswer.course_id == course.id)
        .group_by(PracticeAnswer.item_id, PracticeAnswer.correct, PracticeAnswer.answer)).all()
    exam = db.session.execute(
        select(Response.item_id, Response.correct, Response.answer, func.count())
        .join(Attempt, Attempt.id == Response.attempt_id)
        .where(_graded(course))
        .group_by(Response.item_id, Response.correct, Response.answer)).all()
    given = []
    for source, rows in ((Source.PRACTICE, practice), (Source.EXAM, exam)):
        for item_id, correct, answer, count in rows:
            info = infos.get(item_id)
            if info is None or not info.sections:
                continue
            key = None if answer is None else rule_errors.answer_key(answer)
            one = GivenAnswer(info.sections, bool(correct), source, item_id, key)
            given.extend([one] * count)
    return given


def rule_report(course: Course, *, top: int = rule_errors.TOP_MISTAKES) -> RuleReport:
    """Error rates per section of the latest manual, practice and exam apart, with the common
    mistakes of each: four queries, however many answers."""
    titles = manuals.latest_section_titles(course)
    infos = _items(course)
    given = _given(course, infos)
    errors = rule_errors.section_errors(given)
    mistakes = rule_errors.common_mistakes(given, top=top)
    by_section: dict[str, dict[Source, SectionErrors]] = {}
    order: list[str] = []
    for row in errors:  # already in graders.rule_errors' order: the first row places a section
        if row.section not in by_section:
            order.append(row.section)
        by_section.setdefault(row.section, {})[row.source] = row
    order += [section for section in titles if section not in by_section]
    rows = tuple(
        SectionRow(section, titles.get(section, section),
                   by_section.get(section, {}).get(Source.PRACTICE),
                   by_section.get(section, {}).get(Source.EXAM),
                   tuple((mistake, infos[mistake.item]) for mistake in mistakes.get(section, ())
                         if mistake.item in infos))
        for section in order)
    return RuleReport(rows, len(given))


def find_mistake(course: Course, section: str, item_key: str, answer: str
                 ) -> tuple[SectionRow, Mistake, ItemInfo] | None:
    """The common mistake a call-out button names, if it is still one of its section's."""
    for row in rule_report(course).rows:
        if row.section != section:
            continue
        for mistake, info in row.mistakes:
            if info.key == item_key and mistake.answer == answer:
                return row, mistake, info
    return None


def percent(value: float | None) -> str:
    """A share or a Moodle percentage for the pages ("—" when there is none)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.0f}%"
